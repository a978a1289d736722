"""Spider middleware keeping the crawl's frontier in the archive database.

Every request the spider schedules is written to the ``frontier`` table before it can be
downloaded, and the pipeline deletes it once its fetch row is stored. A crawl killed at any
moment (SIGKILL included) therefore leaves exactly its unfinished requests — queued and in
flight — for ``govarchive crawl --resume``. Scrapy's JOBDIR does not cover the in-flight ones:
its disk queue forgets a request as soon as it is dequeued.

A callback's output is recorded and passed on in batches, never gathered whole: a sitemap of
50,000 URLs would otherwise hold 50,000 Request objects at once (several sitemaps in parallel,
hundreds of MB), and Scrapy pulls callback output only as fast as the scheduler takes it.
The items a callback yields (its response's own fetch row, which takes the response's URL out
of the frontier) are held back until every request the callback made is recorded, so a kill
between batches never loses a page's links.

The spider's start requests are recorded in batches too, each before any of it is passed on:
Scrapy pulls them only as it has room for them, and a crawl stopped before it pulled the last
of a source's sitemaps, feeds and listings (fewer than a batch) must still leave them all to
``--resume``.

A failure of the archive's storage (a full disk, one gone read-only, an I/O error) stops the
crawl as failed: what could not be stored stays in the frontier, and ``--resume`` completes the
crawl once the disk is mended. Such a failure is no page's fault, and recording it as one
would take the page out of the frontier for good.
"""

from __future__ import annotations

import dataclasses
import json
import logging

from scrapy import Request, signals
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.utils.defer import deferred_from_coro

from archive import ingest
from archive.db import open_db, sqlite_temp_dir


logger = logging.getLogger(__name__)


class StorageFailed(IgnoreRequest):
    """A response the archive could not keep: its request stays in the frontier."""


def stop_for_storage(crawler, what: str, exc: BaseException) -> None:
    """Stop the crawl as failed: writing ``what`` failed with ``exc``, a storage failure."""
    if storage_failed(crawler):
        return
    message = f"{what} failed: {type(exc).__name__}: {exc}"
    crawler.stats.set_value(ingest.STORAGE_FAILURE_STAT, message)
    from archive.schedule import scheduler_of  # croniter with it: only on this rare path

    # A scheduled crawl's command has no --resume: the scheduler's own line says how it goes on.
    scheduled = scheduler_of(crawler.settings.get("ARCHIVE_SOURCES") or "") is not None
    then = "" if scheduled else ", then run the same command with --resume"
    # SQLite's temporary files are not in the archive's folder: a full TMPDIR reads the same.
    where = f" (the archive's disk, or {sqlite_temp_dir()}, where SQLite keeps its temporary files)" \
        if "disk is full" in message else ""
    logger.error("%s: the crawl stops: %s. What it had not stored stays in its frontier: make room%s or mend "
                 "the disk%s", crawler.spider.source.id, message, where, then)
    deferred_from_coro(crawler.engine.close_spider_async(reason="storage_failed"))


def storage_failed(crawler) -> bool:
    """Whether the crawl is stopping for a storage failure: nothing more is to be stored."""
    return crawler.stats.get_value(ingest.STORAGE_FAILURE_STAT) is not None


# Requests per frontier transaction (ARCHIVE_FRONTIER_BATCH): big enough that commits cost
# little, small enough that a batch of Request objects (about 3 KB each) is nothing next to
# the crawl.
DEFAULT_BATCH = 500


class FrontierMiddleware:
    def __init__(self, crawler, db_path, batch_size=DEFAULT_BATCH):
        self.crawler = crawler
        self.db_path = db_path
        self.batch_size = max(1, batch_size)
        self.db = None

    @classmethod
    def from_crawler(cls, crawler):
        db_path = crawler.settings.get("ARCHIVE_DB")
        if not db_path:
            raise NotConfigured("ARCHIVE_DB is not set")
        middleware = cls(crawler, db_path, crawler.settings.getint("ARCHIVE_FRONTIER_BATCH", DEFAULT_BATCH))
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def _record(self, outputs: list) -> bool:
        """Record the requests among ``outputs``; False when the crawl is stopping for a storage
        failure, and they must not be made."""
        if storage_failed(self.crawler):
            return False
        entries = [_entry(o) for o in outputs if isinstance(o, Request) and o.meta.get("kind")]
        crawl_id = getattr(self.crawler.spider, "crawl_id", None)
        if not entries or crawl_id is None:
            return True
        try:
            if self.db is None:
                self.db = open_db(self.db_path)
            with self.db.atomic():
                ingest.add_to_frontier(self.db, crawl_id, entries)
        except Exception as exc:
            if not ingest.storage_failure(exc):
                raise
            stop_for_storage(self.crawler, f"writing the frontier to {self.db_path}", exc)
            return False
        return True

    async def process_start(self, start):
        # Recorded one at a time as Scrapy pulled them, the start requests a stop came before
        # were in no frontier, and --resume never asked for them.
        outputs = []
        async for output in start:
            outputs.append(output)
            if len(outputs) >= self.batch_size:
                if not self._record(outputs):
                    return
                for made in _made(outputs):
                    yield made
                outputs = []
        if self._record(outputs):
            for made in _made(outputs):
                yield made

    def process_spider_output(self, response, result):
        requests, held = [], []
        for output in result:
            if isinstance(output, Request):
                requests.append(output)
                if len(requests) >= self.batch_size:
                    if not self._record(requests):
                        return
                    yield from _made(requests)
                    requests = []
            else:
                held.append(output)
        # Not even the page's own fetch row when its links could not all be recorded: the page
        # stays in the frontier, to be fetched again by --resume.
        if self._record(requests):
            yield from [*_made(requests), *held]

    async def process_spider_output_async(self, response, result):
        requests, held = [], []
        async for output in result:
            if isinstance(output, Request):
                requests.append(output)
                if len(requests) >= self.batch_size:
                    if not self._record(requests):
                        return
                    for request in _made(requests):
                        yield request
                    requests = []
            else:
                held.append(output)
        if self._record(requests):
            for output in [*_made(requests), *held]:
                yield output

    def spider_closed(self, spider, reason):
        if self.db is not None:
            self.db.close()
            self.db = None


def _deferred(output) -> bool:
    """A request past the crawl's page budget: recorded for the next crawl, not made."""
    return isinstance(output, Request) and output.meta.get("deferred", False)


def _made(outputs: list) -> list:
    """The outputs to pass on: all but the requests past the page budget."""
    return [o for o in outputs if not _deferred(o)]


def _entry(request: Request) -> dict:
    kwargs = {
        key: dataclasses.asdict(value) if dataclasses.is_dataclass(value) else value
        for key, value in request.cb_kwargs.items()
    }
    return {
        "url": request.meta.get("canonical_url", request.url),
        "kind": request.meta["kind"],
        "callback": request.callback.__name__,
        "cb_kwargs": json.dumps(kwargs, ensure_ascii=False),
    }
