"""Extraction worker processes driven from the crawler's event loop.

``concurrent.futures.ProcessPoolExecutor`` feeds its workers from two helper threads. In the
crawler process those threads compete with the reactor thread for the GIL: profiling a
2,000-article crawl showed the reactor waiting about 2.6 ms on every ``submit`` (5.4 s in all),
time in which it neither downloads nor writes. Here each worker has its own pipe and the event
loop is told when a result is ready (``add_reader``): no threads.

A worker holds the page it is extracting and, when they fit the pipe's buffer, up to three
more sent ahead, so it goes straight on to the next page when it has answered instead of
waiting for the crawler's process to get a core and send it. The crawler's process cannot
always do so at once: it also stores a batch of items in one go. With one page each, the two
cores of a 3,055-article crawl stood idle 13-15 % of the time; with one more sent ahead, 8-9 %,
and the crawl archived 4.6 % more articles a second (six alternating pairs of crawls); with
three more, 5-7 % instead of 7-10 %, and 2 % more articles a second again (six more pairs).
More would let one slow page hold up more pages behind it while the other worker runs out. A
page that would not fit waits for a worker with room, since sending it would stall the event
loop until the worker reads. A worker that dies passes the page it was extracting to another,
once: a page that kills a second worker fails, as it would kill every worker it met. The pages
waiting behind it go to another worker too.

Pages waiting for a free worker queue here; Scrapy bounds that queue, because a page counts
as active until its item is stored (SCRAPER_SLOT_MAX_ACTIVE_SIZE).
"""

from __future__ import annotations

import asyncio
import collections
import logging
import multiprocessing
import multiprocessing.forkserver
import multiprocessing.util
import os
import pickle
import signal
import socket
import tempfile
from typing import Any, Callable, NamedTuple

logger = logging.getLogger(__name__)


# The fork server listens on a Unix socket, "<temporary folder>/pymp-<8 random characters>/
# listener-<8 more>", and a socket's path may not be longer than sun_path's 107 bytes: under a
# TMPDIR of over 75 bytes every crawl failed at its first page ("AF_UNIX path too long"), which
# Python 3.11's multiprocessing does not avoid itself.
_SOCKET_PATH_MAX = 107
_RANDOM_PART = 8  # tempfile's random names
_SOCKET_NAME = len("/pymp-") + _RANDOM_PART + len("/listener-") + _RANDOM_PART
_SHORT_TEMP_DIRS = ("/tmp", "/var/tmp", "/usr/tmp")


def _fork_server_temp_dir() -> None:
    """Have multiprocessing make its temporary folder, where the fork server's socket goes,
    in the temporary directory if the socket's path fits there, else in a shorter one."""
    if len(os.fsencode(tempfile.gettempdir())) + _SOCKET_NAME <= _SOCKET_PATH_MAX:
        return
    short = next((d for d in _SHORT_TEMP_DIRS if os.path.isdir(d) and os.access(d, os.W_OK | os.X_OK)), None)
    if short is None:
        return  # the fork server's own error says why
    saved, tempfile.tempdir = tempfile.tempdir, short
    try:
        multiprocessing.util.get_temp_dir()  # made once a process, then reused
    finally:
        tempfile.tempdir = saved


# What the extraction workers' fork server imports before it starts them: the extractor.
# Warming dateparser's locales there too (1.3 s, which a worker otherwise spends at its first
# page whose date only dateparser reads) made crawls of 3,055 articles slower, not faster:
# 100-106 against 105-116 articles/s in three alternating pairs, the workers starting 1.3 s later.
EXTRACTION_PRELOAD = ("archive.ingest", "archive.extract")


def start_fork_server(preload: tuple[str, ...]) -> None:
    """Start the fork server now, importing ``preload``. The crawler's process calls this before
    its own imports (Scrapy, the archive: about a second), so the fork server's (trafilatura,
    lxml, numpy: about a second more) run beside them on the other core instead of after them,
    when the first spider opens: a small crawl took 2.9 s, of which 0.9 s was waiting for it."""
    _fork_server_temp_dir()
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(list(preload))
    multiprocessing.forkserver.ensure_running()


class WorkerDied(RuntimeError):
    """Two worker processes handling a job exited before answering (crash, OOM kill, signal)."""


def _serve(conn, function: Callable) -> None:
    """Worker main loop: one job in, one answer out, until the crawler closes the pipe."""
    # Ctrl-C, and the SIGTERM of timeout, systemctl stop or docker stop, reach the whole process
    # group; the crawler stops gracefully and still wants the pages in flight extracted, so the
    # workers leave the signals to it and end at end-of-file.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    while True:
        try:
            args = pickle.loads(conn.recv_bytes())
        except (EOFError, OSError):
            return
        try:
            answer = (True, function(*args))
        except Exception as exc:  # sent back to the caller, which decides what a failure means
            answer = (False, exc)
        try:
            conn.send_bytes(_pickled(answer))
        except OSError:
            # The crawler is gone (killed, as by the OOM killer): no one is waiting for answers.
            return


def _pickled(answer: tuple) -> bytes:
    try:
        return pickle.dumps(answer, pickle.HIGHEST_PROTOCOL)
    except Exception as exc:  # e.g. an exception that cannot be pickled
        return pickle.dumps((False, RuntimeError(f"{type(answer[1]).__name__}: {answer[1]} ({exc})")))


class _Job(NamedTuple):
    data: bytes
    future: asyncio.Future
    # Whether a worker already died extracting it.
    outlived: bool = False


# Bytes the crawler's end of a worker's pipe may hold; the kernel caps it (net.core.wmem_max).
PIPE_BUFFER = 1024 * 1024
# Pages a worker holds at most: the one it extracts and those sent ahead of it.
HELD = 4


class _Worker:
    def __init__(self, pool: ExtractionPool, number: int):
        context = pool.context
        self.conn, child = context.Pipe()
        with socket.socket(fileno=os.dup(self.conn.fileno())) as end:
            end.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, PIPE_BUFFER)
            # Linux reports twice what it lets the data use (the rest is its bookkeeping).
            self.room = end.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF) // 2
        self.process = context.Process(
            target=_serve, args=(child, pool.function), name=f"govarchive-extract-{number}", daemon=True
        )
        self.process.start()
        child.close()
        self.jobs: collections.deque[_Job] = collections.deque()


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
        self.preload = tuple(dict.fromkeys([function.__module__, *preload]))
        self.workers: list[_Worker] = []
        self._waiting: collections.deque[_Job] = collections.deque()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._started = 0

    def start(self) -> None:
        """Start the workers now rather than at the first page (a crawl starts them while it
        reads robots.txt and sitemaps). Call from inside the running event loop."""
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
            # Started already, by the crawler's entry point, when it could be.
            start_fork_server(self.preload)
            for _ in range(self.size):
                self._start_worker()

    async def run(self, *args: Any) -> Any:
        self.start()
        future = self._loop.create_future()
        self._waiting.append(_Job(pickle.dumps(args, pickle.HIGHEST_PROTOCOL), future))
        self._dispatch()
        return await future

    def close(self) -> None:
        """Stop the workers; jobs still waiting fail with CancelledError."""
        while self._waiting:
            self._waiting.popleft().future.cancel()
        for worker in self.workers:
            if self._loop is not None:
                self._loop.remove_reader(worker.conn.fileno())
            worker.conn.close()  # the worker sees end-of-file and returns
        for worker in self.workers:
            worker.process.join(timeout=10)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join()
            for job in worker.jobs:
                if not job.future.done():
                    job.future.cancel()
        self.workers.clear()
        self._loop = None

    def _start_worker(self) -> None:
        self._started += 1
        worker = _Worker(self, self._started)
        self.workers.append(worker)
        self._loop.add_reader(worker.conn.fileno(), self._answered, worker)

    def _taker(self, size: int) -> _Worker | None:
        """The worker holding the fewest pages, if it holds fewer than HELD and this page fits its
        pipe beside them (some may not be read yet), so that sending cannot block."""
        fits = [
            w for w in self.workers
            if not w.jobs or (len(w.jobs) < HELD and sum(len(job.data) for job in w.jobs) + size <= w.room)
        ]
        return min(fits, key=lambda w: len(w.jobs), default=None)

    def _dispatch(self) -> None:
        while self._waiting:
            job = self._waiting[0]
            if job.future.cancelled():
                self._waiting.popleft()
                continue
            worker = self._taker(len(job.data))
            if worker is None:
                return
            self._waiting.popleft()
            worker.jobs.append(job)
            try:
                worker.conn.send_bytes(job.data)
            except OSError:
                worker.jobs.pop()
                self._waiting.appendleft(job)
                self._lost(worker)

    def _answered(self, worker: _Worker) -> None:
        try:
            ok, value = worker.conn.recv()
        except (EOFError, OSError):
            self._lost(worker)
            self._dispatch()
            return
        job = worker.jobs.popleft().future
        if not job.done():
            if ok:
                job.set_result(value)
            else:
                job.set_exception(value)
        self._dispatch()

    def _lost(self, worker: _Worker) -> None:
        """The worker exited: the pages it held go back to the head of the queue in order. The
        one it was extracting goes first, unless it is the second worker that page has killed;
        then it fails. Those sent ahead were never started and cannot be what killed it."""
        worker.process.join(timeout=5)
        code = worker.process.exitcode
        logger.error("extraction worker %s exited (code %s); starting another", worker.process.name, code)
        if worker.jobs:
            job = worker.jobs.popleft()
            if job.outlived:
                if not job.future.done():
                    job.future.set_exception(WorkerDied(f"two extraction workers exited on it, the last with code {code}"))
            else:
                worker.jobs.appendleft(job._replace(outlived=True))
        self._waiting.extendleft(reversed(worker.jobs))
        worker.jobs.clear()
        self._loop.remove_reader(worker.conn.fileno())
        worker.conn.close()
        self.workers.remove(worker)
        self._start_worker()
