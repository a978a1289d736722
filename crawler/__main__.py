"""Run crawls of one or more sources in one Scrapy process: ``python -m crawler --help``.

``govarchive crawl`` starts this as a subprocess, because Twisted's reactor cannot be restarted
inside one process and a crawl should not take the caller down with it.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import shutil
import signal
import sys
import threading
from urllib.parse import urlsplit


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crawler", description=__doc__)
    parser.add_argument("source_ids", nargs="*", metavar="SOURCE_ID")
    parser.add_argument("--all", action="store_true", help="crawl every source in the file")
    parser.add_argument("--sources", default="sources.toml", help="sources file (default: sources.toml)")
    parser.add_argument("--db", required=True, help="archive database to write")
    parser.add_argument("--max-pages", type=int, default=None, help="at most N requests per source")
    parser.add_argument("--backfill", action="store_true", help="page listings to the end")
    parser.add_argument("--resume", action="store_true", help="continue each source's interrupted crawl")
    parser.add_argument("--memory-queue", action="store_true",
                        help="keep the request queue in memory instead of on disk (for comparisons)")
    parser.add_argument("--warc-dir", default=None, help="WARC folder (default: <db name>-warc beside the db)")
    parser.add_argument("--warc-max-size", type=int, default=None, help="rotate WARC files at this many bytes")
    parser.add_argument("--log-level", default="INFO")
    parser.add_argument("--stop-when-stdin-closes", action="store_true",
                        help="stop the crawls as on Ctrl-C (resumable) when standard input reaches its end: "
                             "how govarchive crawl asks for a stop, and what its death does")
    args = parser.parse_args(argv)
    if args.stop_when_stdin_closes:
        # Stopping is then govarchive crawl's to ask, through stdin, and it turns a SIGINT or
        # SIGTERM of its own into that. The same signal sent to the whole process group (a
        # Ctrl-C at the terminal, a service manager's stop) reaches this process too, and is
        # ignored from here on, before the slow imports below: Python's KeyboardInterrupt in the
        # middle of an import or of a crawl's start-up breaks it, and Scrapy's handler, stopping
        # the crawls beside the stdin stop, stops the reactor before their closing is done.
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, signal.SIG_IGN)
    if os.environ.get("GOVARCHIVE_EXTRACT_WORKERS") != "0":
        from crawler.extraction_pool import EXTRACTION_PRELOAD, start_fork_server

        # A fork server that cannot start here is tried again when the first spider opens, where
        # its failure is reported as the crawl's.
        with contextlib.suppress(OSError):
            start_fork_server(EXTRACTION_PRELOAD)
    from archive import carryover, ingest
    from archive.crawl import (
        ARCHIVE_LOCKED, SOURCES_LOCKED, ArchiveLocked, QueueUnusable, archive_locked_message, check_environment,
        is_archive_locked, wait_for_write_lock,
    )
    from archive.db import ArchiveError, open_db
    from archive.locks import LocksUnusable, SourceLock, SourceLocked
    from archive.sources import SourcesError, load_sources, select

    try:
        check_environment(os.environ)
        sources = load_sources(args.sources)
        # A paused source (enabled = false) is crawled only when named, as by govarchive crawl.
        chosen = [s for s in sources if s.enabled] if args.all or not args.source_ids else select(sources, args.source_ids)
    except (ArchiveError, SourcesError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not chosen:
        print(f"note: every source in {args.sources} is paused (enabled = false): nothing to crawl", file=sys.stderr)
        return 0

    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    from scrapy.utils.project import get_project_settings

    from crawler.spiders.source import spider_for

    settings = get_project_settings()
    settings.set("ARCHIVE_DB", args.db)
    settings.set("ARCHIVE_SOURCES", args.sources)
    settings.set("LOG_LEVEL", args.log_level.upper())
    if args.warc_dir:
        settings.set("ARCHIVE_WARC_DIR", args.warc_dir)
    if args.warc_max_size:
        settings.set("ARCHIVE_WARC_MAX_SIZE", args.warc_max_size)
    settings.set("LOG_INSTALL_ROOT_HANDLER", False)
    _configure_logging(settings)
    if warning := anonymous_crawl_warning(chosen, os.environ):
        logging.getLogger("crawler").warning(warning)
    process = _crawler_process(settings)
    # Sources whose lock another crawl holds: not started, which is no failure of this crawler.
    failures, locks, refused = [], [], []
    db = open_db(args.db)
    try:
        # Before Scrapy starts: a crawl whose first write fails leaves Scrapy's own errors behind.
        wait_for_write_lock(db, args.db)
    except ArchiveLocked:
        db.close()
        return ARCHIVE_LOCKED
    for source in chosen:
        lock = SourceLock(args.db, source.id)
        try:
            lock.acquire()
            queue_dir = None if args.memory_queue else _fresh_queue_dir(args.db, source.id)
        except SourceLocked as exc:
            refused.append(exc)
            continue
        except (LocksUnusable, QueueUnusable) as exc:
            # govarchive crawl checks these folders before it starts this process; they can change since.
            lock.release()
            failures.append((source.id, exc))
            continue
        try:
            # Before the resume's lookup: an interrupted crawl of a former id is the source's own to resume.
            carryover.carry_over(db, source)
            for old in carryover.never_held(db, source):
                logging.getLogger("crawler").warning(
                    "%s: formerly names %r, which this archive holds nothing under and never carried over: "
                    "a typo in the sources file?", source.id, old)
        except Exception as exc:
            if not ingest.storage_failure(exc):
                raise
            lock.release()
            failures.append((source.id, exc))
            continue
        locks.append(lock)
        resume_from = ingest.interrupted_crawl(db, source.id) if args.resume else None
        if args.resume and resume_from is None:
            logging.getLogger("crawler").warning("%s: no interrupted crawl to resume; crawling afresh", source.id)
        deferred = process.crawl(
            spider_for(source, queue_dir=queue_dir), source=source, max_pages=args.max_pages,
            backfill=args.backfill, resume_from=resume_from,
        )
        deferred.addErrback(lambda failure, sid=source.id: failures.append((sid, failure.value)))
    db.close()
    if locks:
        if args.stop_when_stdin_closes:
            StopWhenStdinCloses(process).start()
        process.start(install_signal_handlers=not args.stop_when_stdin_closes)
    for lock in locks:
        lock.release()
    if failures and all(is_archive_locked(exc) for _, exc in failures):
        # Another process held the archive's write lock past the busy timeout: govarchive crawl
        # says so, once for every crawl it kept from starting.
        return ARCHIVE_LOCKED
    for source_id, exc in failures:
        message = archive_locked_message(args.db) if is_archive_locked(exc) else exc
        print(f"error: crawl of {source_id} failed: {message}", file=sys.stderr)
    if failures or not args.stop_when_stdin_closes:
        # govarchive crawl reports a source not started from its exit status and the lock; run
        # alone, or beside a failure, the crawler says it.
        for exc in refused:
            print(f"not started: {exc}", file=sys.stderr)
    return 1 if failures else SOURCES_LOCKED if refused else 0


class StopWhenStdinCloses:
    """Stops every crawl of the process gracefully (finish reason ``shutdown``: interrupted, its
    frontier kept for --resume) once standard input reaches its end.

    govarchive crawl holds the other end of the pipe: it closes it to pass on a SIGINT or SIGTERM
    it received, and the kernel closes it when that process dies, however it dies, so a crawl
    never goes on alone holding its sources' locks. A pipe rather than a signal: a Ctrl-C at the
    terminal or a service manager's SIGTERM reaches both processes, and Scrapy takes a second
    signal as an order to stop at once, uncleanly.
    """

    def __init__(self, process):
        self.process = process

    def start(self) -> None:
        from twisted.internet import reactor

        def wait_for_end_of_input():
            # The bare descriptor: a thread blocked in sys.stdin's reader holds its lock, and the
            # interpreter aborts when it cannot take that lock at exit.
            while os.read(0, 4096):
                pass
            reactor.callFromThread(self.stop)

        threading.Thread(target=wait_for_end_of_input, name="stop-when-stdin-closes", daemon=True).start()

    def stop(self) -> None:
        logging.getLogger("crawler").warning(
            "stopping: the govarchive command that started this crawler was interrupted or has ended "
            "(--resume continues the crawl)")
        for crawler in list(self.process.crawlers):
            self._stop(crawler)

    def _stop(self, crawler) -> None:
        from scrapy.utils.defer import deferred_from_coro
        from twisted.internet import reactor

        if crawler not in self.process.crawlers:  # ended meanwhile
            return
        if crawler.engine is not None and crawler.engine.running:
            send_no_more(crawler)
            deferred_from_coro(crawler.engine.stop_async())
        else:
            # Still starting (or already stopping): Scrapy drops a stop asked of an engine that
            # is not running yet, and that crawl would then run to its end.
            reactor.callLater(0.2, self._stop, crawler)


def _crawler_process(settings):
    """Scrapy's CrawlerProcess, whose stop at a signal (run without --stop-when-stdin-closes)
    sends nothing more either."""
    from scrapy.crawler import CrawlerProcess

    class Process(CrawlerProcess):
        def stop(self):
            for crawler in self.crawlers:
                if crawler.engine is not None and crawler.engine.running:
                    send_no_more(crawler)
            return super().stop()

    return Process(settings)


def send_no_more(crawler) -> None:
    """Keep the crawl from sending any request it has not sent yet: the stop that follows waits
    for the downloads in progress only.

    Scrapy's graceful stop waits for every request that has reached the downloader, and a
    slot's queue holds up to CONCURRENT_REQUESTS of them, sent one per the source's delay: the
    site was still asked for pages long after the stop (a Crawl-delay of a minute outlasted the
    kill that follows a stop). Each request waiting in a slot, and each one that reaches the
    downloader later (one that waited on robots.txt), is dropped unsent instead. One the
    frontier recorded stays there for --resume, as no fetch row takes it out: the spider's
    errback, which would record one (failed or skipped), is taken off it, and it ends in an
    IgnoreRequest, which Scrapy does not log.
    """
    from scrapy.exceptions import IgnoreRequest
    from twisted.python.failure import Failure

    downloader = crawler.engine.downloader

    def drop_queued(slot) -> None:
        slot.close()  # its timer for the next request after the delay
        while slot.queue:
            request, deferred = slot.queue.popleft()
            request.errback = None
            crawler.stats.inc_value("govarchive/not_sent_at_stop")
            deferred.errback(Failure(IgnoreRequest("not sent: the crawl was stopped")))

    # Scrapy's downloader sends what it has queued from this method, after a delay and as each
    # download ends.
    downloader._process_queue = drop_queued
    for slot in list(downloader.slots.values()):
        drop_queued(slot)


def _fresh_queue_dir(db_path: str, source_id: str) -> str:
    """An empty JOBDIR for this crawl of the source: a left-over one holds a dead crawl's queue,
    which the frontier table replays on --resume instead. Raises QueueUnusable, with the error
    that kept it from being emptied or made."""
    from archive.crawl import QueueUnusable, queue_dir

    path = queue_dir(db_path, source_id)
    try:
        with contextlib.suppress(FileNotFoundError):  # the source's first crawl
            shutil.rmtree(path)
        path.mkdir(parents=True)
    except OSError as exc:
        raise QueueUnusable(path, exc) from None
    return str(path)


_LOOPBACK = ("127.", "localhost", "[::1]")


def anonymous_crawl_warning(sources, environ) -> str | None:
    """What to say when sites other than this machine's are about to be crawled as the project
    itself: their webmasters see the User-Agent's contact page, which should name who runs this
    crawler."""
    if environ.get("GOVARCHIVE_CONTACT"):
        return None
    hosts = sorted({urlsplit(s.home).netloc for s in sources} - {""})
    remote = [h for h in hosts if not h.startswith(_LOOPBACK)]
    if not remote:
        return None
    return (f"GOVARCHIVE_CONTACT is not set: {', '.join(remote[:3])}{' …' if len(remote) > 3 else ''} "
            "will see this project's page as the crawler's contact; set it to a page that says who runs "
            "this crawl and how to reach them")


class _OneLineErrors(logging.Filter):
    """Errors of the web (refused connections, timeouts) are expected: say them, no traceback."""

    def filter(self, record):
        if record.exc_info:
            exc = record.exc_info[1]
            record.msg = f"{record.getMessage()} [{type(exc).__name__}]"
            record.args = ()
            record.exc_info = None
            record.exc_text = None
        return True


class _NoStartupDumps(logging.Filter):
    """Scrapy's start-up dumps (versions, settings, components) and its closing stats dump are
    ~100 lines a source; the stats are kept in the crawl's row (crawls.stats) anyway. A filter
    on the handler, since Scrapy's logging set-up resets its loggers' levels."""

    CHATTY = frozenset({"scrapy.utils.log", "scrapy.addons", "scrapy.middleware", "scrapy.crawler",
                        "scrapy.statscollectors"})

    def filter(self, record):
        return record.levelno >= logging.WARNING or record.name not in self.CHATTY


def _configure_logging(settings) -> None:
    level = settings.get("LOG_LEVEL")
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter(settings.get("LOG_FORMAT"), settings.get("LOG_DATEFORMAT")))
    handler.setLevel(level)
    if level != "DEBUG":
        handler.addFilter(_OneLineErrors())
        handler.addFilter(_NoStartupDumps())
    logging.root.addHandler(handler)
    logging.root.setLevel(level)


if __name__ == "__main__":
    sys.exit(main())
