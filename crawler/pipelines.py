"""The storage step: every PageItem becomes a fetch row; article pages are extracted and stored.

Extraction is CPU-bound (trafilatura) and would stall the reactor, so it runs in a pool of
worker processes shared by every crawler in this process. While a page waits for its worker,
Scrapy counts it as active, so the engine stops downloading when the pool falls behind
(SCRAPER_SLOT_MAX_ACTIVE_SIZE): the queue never grows without bound.

All writes go through archive.ingest, so handing items to another writer later (a distributed
crawl) means replacing this one class.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor

from scrapy import signals
from scrapy.exceptions import NotConfigured

from archive import ingest
from archive.db import open_db
from archive.extract import extract

logger = logging.getLogger(__name__)

HTML_TYPES = ("text/html", "application/xhtml+xml", "")


class ExtractionPool:
    """One process pool per crawler process, opened by the first spider, closed by the last."""

    executor: ProcessPoolExecutor | None = None
    users = 0

    @classmethod
    def acquire(cls, workers: int) -> ProcessPoolExecutor:
        if cls.executor is None:
            # forkserver: workers must not inherit the reactor, sockets and SQLite handles.
            cls.executor = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("forkserver"))
        cls.users += 1
        return cls.executor

    @classmethod
    def release(cls) -> None:
        cls.users -= 1
        if cls.users <= 0 and cls.executor is not None:
            cls.executor.shutdown(wait=True, cancel_futures=False)
            cls.executor = None
            cls.users = 0


class ArchivePipeline:
    def __init__(self, db_path: str, crawler, workers: int):
        self.db_path = db_path
        self.crawler = crawler
        self.workers = workers
        self.pool = None
        self.db = None
        self.crawl_id = None

    @classmethod
    def from_crawler(cls, crawler):
        db_path = crawler.settings.get("ARCHIVE_DB")
        if not db_path:
            raise NotConfigured("ARCHIVE_DB is not set")
        workers = crawler.settings.get("ARCHIVE_EXTRACT_WORKERS")
        workers = (os.cpu_count() or 1) if workers in (None, "") else int(workers)
        pipeline = cls(db_path, crawler, workers)
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def open_spider(self):
        spider = self.crawler.spider
        self.db = open_db(self.db_path)
        ingest.close_interrupted(self.db, spider.source.id)
        self.crawl_id = ingest.start_crawl(
            self.db, spider.source, max_pages=spider.max_pages, backfill=spider.backfill,
            resumed_from=spider.resume_from,
        )
        if spider.resume_from is not None:
            ingest.move_frontier(self.db, spider.resume_from, self.crawl_id)
        spider.crawl_id = self.crawl_id
        if self.workers > 0:
            self.pool = ExtractionPool.acquire(self.workers)
        logger.info(
            "%s: crawl %d into %s (%s)", spider.source.id, self.crawl_id, self.db_path,
            f"{self.workers} extraction workers" if self.pool else "extraction inline",
        )

    async def process_item(self, item):
        headers = item.get("headers") or {}
        content_type = _header(headers, "content-type")
        record = None
        error = item.get("error")
        if _is_article_page(item, content_type):
            try:
                rules = self.crawler.spider.source.extract
                if self.pool is not None:
                    future = self.pool.submit(extract, item["body"], item["url"], headers, rules)
                    record = await asyncio.wrap_future(future)
                else:
                    record = extract(item["body"], item["url"], headers, rules)
            except Exception as exc:  # a page that breaks the extractor must still leave its fetch row
                logger.error("%s: extraction failed for %s: %r", item["source_id"], item["url"], exc)
                self.crawler.stats.inc_value("govarchive/extraction_errors")
                error = f"extraction failed: {type(exc).__name__}: {exc}"[:500]
        try:
            self._store(item, headers, content_type, record, error)
        except Exception as exc:  # a storage bug must not lose the fact of the fetch
            logger.error("%s: storing %s failed: %r", item["source_id"], item["url"], exc)
            self.crawler.stats.inc_value("govarchive/storage_errors")
            self._store(item, headers, content_type, None, f"storage failed: {type(exc).__name__}: {exc}"[:500])
        # The body is in the WARC file already; keep it out of logs and feed exports.
        return {"url": item["url"], "status": item.get("status"), "kind": item["kind"]}

    def _store(self, item, headers, content_type, record, error):
        with self.db.atomic():
            ingest.remove_from_frontier(self.db, self.crawl_id, item["url"])
            fetch_id = ingest.record_fetch(
                self.db,
                crawl_id=self.crawl_id,
                source_id=item["source_id"],
                url=item["url"],
                requested_url=item.get("requested_url"),
                kind=item["kind"],
                status=item.get("status"),
                content_type=content_type,
                length=len(item.get("body") or b""),
                error=error,
                fetched_at=item.get("fetched_at"),
                warc=item.get("warc"),
                etag=_header(headers, "etag"),
                last_modified=_header(headers, "last-modified"),
            )
            outcome = None
            if record is not None and not record["text"]:
                ingest.set_fetch_error(self.db, fetch_id, "no article text extracted")
            elif record is not None:
                outcome = ingest.store_article(
                    self.db, record, source_id=item["source_id"], fetch_id=fetch_id,
                    seen_at=item.get("fetched_at") or ingest.now_iso(),
                )
            elif item["kind"] == "article" and item.get("status") == 304:
                outcome = ingest.mark_not_modified(self.db, item["url"], item.get("fetched_at") or ingest.now_iso())
            if outcome:
                ingest.count_article_outcome(self.db, self.crawl_id, outcome)
                self.crawler.stats.inc_value(f"govarchive/articles_{outcome}")

    def spider_closed(self, spider, reason):
        if self.pool is not None:
            ExtractionPool.release()
            self.pool = None
        if self.db is None or self.crawl_id is None:
            return
        row = ingest.finish_crawl(
            self.db, self.crawl_id, finish_reason=reason, stats=self.crawler.stats.get_stats()
        )
        if reason == "finished":
            ingest.clear_frontier(self.db, self.crawl_id)
        logger.info(
            "%s: crawl %d %s: %d pages, %d new, %d changed, %d unchanged, %d errors",
            spider.source.id, self.crawl_id, row["status"], row["pages"], row["articles_new"],
            row["articles_changed"], row["articles_unchanged"], row["errors"],
        )
        self.db.close()
        self.db = None


def _is_article_page(item, content_type) -> bool:
    return (
        item["kind"] == "article"
        and item.get("status") == 200
        and bool(item.get("body"))
        and (content_type or "").split(";")[0].strip().lower() in HTML_TYPES
    )


def _header(headers: dict, name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None
