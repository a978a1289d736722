"""Extraction worker processes driven from the crawler's event loop.

``concurrent.futures.ProcessPoolExecutor`` feeds its workers from two helper threads. In the
crawler process those threads compete with the reactor thread for the GIL: profiling a
2,000-article crawl showed the reactor waiting about 2.6 ms on every ``submit`` (5.4 s in all),
time in which it neither downloads nor writes. Here each worker has its own pipe, the event loop
is told when a result is ready (``add_reader``), and a worker gets its next page only when it
has sent the last result back: no threads, and a worker that dies fails one page, not the pool.

Pages waiting for a free worker queue here; Scrapy bounds that queue, because a page counts
as active until its item is stored (SCRAPER_SLOT_MAX_ACTIVE_SIZE).
"""

from __future__ import annotations

import asyncio
import collections
import logging
import multiprocessing
import signal
from typing import Any, Callable

logger = logging.getLogger(__name__)


class WorkerDied(RuntimeError):
    """The worker process handling a job exited before answering (crash, OOM kill, signal)."""


def _serve(conn, function: Callable) -> None:
    """Worker main loop: one job in, one answer out, until the crawler closes the pipe."""
    # Ctrl-C reaches the whole process group; the crawler stops gracefully and still wants the
    # pages in flight extracted, so the workers leave the signal to it and end at end-of-file.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        try:
            args = conn.recv()
        except (EOFError, OSError):
            return
        try:
            answer = (True, function(*args))
        except Exception as exc:  # sent back to the caller, which decides what a failure means
            answer = (False, exc)
        try:
            conn.send(answer)
        except Exception as exc:  # e.g. an exception that cannot be pickled
            conn.send((False, RuntimeError(f"{type(answer[1]).__name__}: {answer[1]} ({exc})")))


class _Worker:
    def __init__(self, pool: ExtractionPool, number: int):
        context = pool.context
        self.conn, child = context.Pipe()
        self.process = context.Process(
            target=_serve, args=(child, pool.function), name=f"govarchive-extract-{number}", daemon=True
        )
        self.process.start()
        child.close()
        self.job: asyncio.Future | None = None


class ExtractionPool:
    """``workers`` processes running ``function``; ``await pool.run(*args)`` returns its result.

    ``preload`` names modules the workers should have imported before their first job.
    """

    def __init__(self, workers: int, function: Callable, preload: tuple[str, ...] = ()):
        if workers < 1:
            raise ValueError(f"an extraction pool needs at least one worker, not {workers}")
        self.size = workers
        self.function = function
        # forkserver: workers must not inherit the reactor, sockets and SQLite handles.
        self.context = multiprocessing.get_context("forkserver")
        # The fork server imports the extractor (trafilatura, lxml, numpy: about a second) once;
        # every worker, replacements included, starts from that instead of importing it again.
        self.context.set_forkserver_preload([function.__module__, *preload])
        self.workers: list[_Worker] = []
        self._idle: list[_Worker] = []
        self._waiting: collections.deque[tuple[tuple, asyncio.Future]] = collections.deque()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._started = 0

    def start(self) -> None:
        """Start the workers now rather than at the first page (a crawl starts them while it
        reads robots.txt and sitemaps). Call from inside the running event loop."""
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
            for _ in range(self.size):
                self._start_worker()

    async def run(self, *args: Any) -> Any:
        self.start()
        future = self._loop.create_future()
        self._waiting.append((args, future))
        self._dispatch()
        return await future

    def close(self) -> None:
        """Stop the workers; jobs still waiting fail with CancelledError."""
        while self._waiting:
            self._waiting.popleft()[1].cancel()
        for worker in self.workers:
            if self._loop is not None:
                self._loop.remove_reader(worker.conn.fileno())
            worker.conn.close()  # the worker sees end-of-file and returns
        for worker in self.workers:
            worker.process.join(timeout=10)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join()
            if worker.job is not None and not worker.job.done():
                worker.job.cancel()
        self.workers.clear()
        self._idle.clear()
        self._loop = None

    def _start_worker(self) -> None:
        self._started += 1
        worker = _Worker(self, self._started)
        self.workers.append(worker)
        self._idle.append(worker)
        self._loop.add_reader(worker.conn.fileno(), self._answered, worker)

    def _dispatch(self) -> None:
        while self._idle and self._waiting:
            args, future = self._waiting.popleft()
            if future.cancelled():
                continue
            worker = self._idle.pop()
            worker.job = future
            try:
                # The worker is blocked in recv(), so this returns as soon as it has read the page.
                worker.conn.send(args)
            except OSError:
                self._replace(worker)
                self._waiting.appendleft((args, future))

    def _answered(self, worker: _Worker) -> None:
        try:
            ok, value = worker.conn.recv()
        except (EOFError, OSError):
            worker.process.join(timeout=5)
            code = worker.process.exitcode
            logger.error("extraction worker %s exited (code %s); starting another", worker.process.name, code)
            if worker.job is not None and not worker.job.done():
                worker.job.set_exception(WorkerDied(f"extraction worker exited with code {code}"))
            self._replace(worker)
            self._dispatch()
            return
        job, worker.job = worker.job, None
        self._idle.append(worker)
        if job is not None and not job.done():
            if ok:
                job.set_result(value)
            else:
                job.set_exception(value)
        self._dispatch()

    def _replace(self, worker: _Worker) -> None:
        self._loop.remove_reader(worker.conn.fileno())
        worker.conn.close()
        self.workers.remove(worker)
        if worker in self._idle:
            self._idle.remove(worker)
        self._start_worker()
