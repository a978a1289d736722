"""The storage step: every PageItem becomes a fetch row; article pages are extracted and stored.

Extraction is CPU-bound (trafilatura) and would stall the reactor, so it runs in a pool of
worker processes shared by every crawler in this process (crawler.extraction_pool). While a
page waits for its worker, Scrapy counts it as active, so the engine stops downloading when
the pool falls behind (SCRAPER_SLOT_MAX_ACTIVE_SIZE): the queue never grows without bound.

Writes are batched: items are stored in one short transaction per ARCHIVE_WRITE_BATCH items or
ARCHIVE_WRITE_INTERVAL seconds (a quarter of that when no item follows), whichever comes first,
and an item counts as processed only once its transaction has committed. A crawl killed
mid-batch leaves those pages in the frontier, so ``--resume`` fetches them again; nothing is
half-written. So does a write the database refuses for want of storage (a full disk, an I/O
error): it stops the crawl (crawler.frontier.stop_for_storage), where an item the database
refuses costs that item only.

All writes go through archive.ingest, so handing items to another writer later (a distributed
crawl) means replacing this one class.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections import Counter

from scrapy import signals
from scrapy.exceptions import NotConfigured

from archive import ingest
from archive.db import open_db, release_free_pages
from archive.notfound import says_not_found
from archive.sniff import is_page
from archive.sources import UNMATCHED_RULES, unmatched_rule
from archive.stats import health_drop
from crawler.archive_signals import before_commit
from crawler.extraction_pool import EXTRACTION_PRELOAD, ExtractionPool
from crawler.frontier import stop_for_storage, storage_failed
from crawler.spiders.source import OUTSIDE_LINKS_STAT

logger = logging.getLogger(__name__)

# ARCHIVE_WRITE_BATCH and ARCHIVE_WRITE_INTERVAL when the settings do not name them.
WRITE_BATCH = 64
WRITE_INTERVAL = 1.0


class SharedPool:
    """One extraction pool per crawler process, opened by the first spider, closed by the last."""

    pool: ExtractionPool | None = None
    users = 0

    @classmethod
    def acquire(cls, workers: int) -> ExtractionPool:
        if cls.pool is None:
            cls.pool = ExtractionPool(workers, ingest.extract_for_storage, preload=EXTRACTION_PRELOAD)
        cls.users += 1
        return cls.pool

    @classmethod
    def release(cls) -> None:
        cls.users -= 1
        if cls.users <= 0 and cls.pool is not None:
            cls.pool.close()
            cls.pool = None
            cls.users = 0


class ArchivePipeline:
    def __init__(self, db_path: str, crawler, workers: int, batch_size: int = WRITE_BATCH,
                 batch_seconds: float = WRITE_INTERVAL):
        self.db_path = db_path
        self.crawler = crawler
        self.workers = workers
        self.batch_size = batch_size
        self.batch_seconds = batch_seconds
        self.pool = None
        self.db = None
        self.crawl_id = None
        self._batch: list[tuple[tuple, asyncio.Future]] = []
        self._timer: asyncio.TimerHandle | None = None
        self._due = 0.0  # when the waiting batch's first item has waited batch_seconds
        # Pages read by the source's extract rules, and by (rule, why) those where one gave nothing.
        self.ruled_pages = 0
        self.unmatched: Counter = Counter()

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        db_path = settings.get("ARCHIVE_DB")
        if not db_path:
            raise NotConfigured("ARCHIVE_DB is not set")
        workers = settings.get("ARCHIVE_EXTRACT_WORKERS")
        workers = (os.cpu_count() or 1) if workers in (None, "") else int(workers)
        batch_size = settings.getint("ARCHIVE_WRITE_BATCH", WRITE_BATCH)
        batch_seconds = settings.getfloat("ARCHIVE_WRITE_INTERVAL", WRITE_INTERVAL)
        if workers < 0 or batch_size < 1 or batch_seconds < 0:
            raise ValueError(
                f"ARCHIVE_EXTRACT_WORKERS must be >= 0 (is {workers}), ARCHIVE_WRITE_BATCH >= 1 "
                f"(is {batch_size}) and ARCHIVE_WRITE_INTERVAL >= 0 (is {batch_seconds})"
            )
        pipeline = cls(db_path, crawler, workers, batch_size, batch_seconds)
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
        else:
            ingest.take_over_frontier(self.db, spider.source.id, self.crawl_id)
        spider.crawl_id = self.crawl_id
        if self.workers > 0:
            self.pool = SharedPool.acquire(self.workers)
            self.pool.start()  # spiders are opened from inside the reactor's running loop
        logger.info(
            "%s: crawl %d into %s (%s)", spider.source.id, self.crawl_id, self.db_path,
            f"{self.workers} extraction workers" if self.pool else "extraction inline",
        )

    async def process_item(self, item):
        # One time for the page's extraction and its fetch row: a re-extraction reads the
        # capture at the row's time, and must read it as the crawl did.
        item["fetched_at"] = item.get("fetched_at") or ingest.now_iso()
        headers = item.get("headers") or {}
        content_type = _header(headers, "content-type")
        record = None
        error = item.get("error")
        if _is_article_page(item):
            error = _not_a_page(item["body"], content_type)
            if error:
                # Kept as captured (its WARC record is the archive's copy) and counted as a failure:
                # a source whose articles all come as PDFs must not look healthy, archiving none.
                self.crawler.stats.inc_value("govarchive/articles_not_html")
            else:
                record, error = await self._extract(item, headers)
                self._count_unmatched(record)
        await self._write((item, headers, content_type, record, error))
        # The body is in the WARC file already; keep it out of logs and feed exports.
        return {"url": item["url"], "status": item.get("status"), "kind": item["kind"]}

    async def _extract(self, item, headers) -> tuple[dict | None, str | None]:
        """The page's record, or the error that says why there is none."""
        try:
            job = (item["body"], item["url"], headers, self.crawler.spider.source.extract, item["fetched_at"])
            if self.pool is not None:
                return await self.pool.run(*job), None
            return ingest.extract_for_storage(*job), None
        except Exception as exc:  # a page that breaks the extractor must still leave its fetch row
            logger.error("%s: extraction failed for %s: %r", item["source_id"], item["url"], exc)
            self.crawler.stats.inc_value("govarchive/extraction_errors")
            return None, f"extraction failed: {type(exc).__name__}: {exc}"[:500]

    def _count_unmatched(self, record: dict | None) -> None:
        """Count the rules that gave the page's reading nothing, taking them out of the record:
        they are for the crawl's closing warning, not the archive."""
        unmatched = record.pop(UNMATCHED_RULES, None) if record is not None else None
        if unmatched is None:
            return
        self.ruled_pages += 1
        self.unmatched.update(unmatched.items())

    def _write(self, job: tuple) -> asyncio.Future:
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._batch.append((job, future))
        if len(self._batch) >= self.batch_size:
            self._flush()
            return future
        # Stored when the first item has waited batch_seconds, or sooner when no item has come
        # for a quarter of that: a crawl's last items, which Scrapy waits for before it closes
        # the spider, and a slow crawl's, wait no longer than they must.
        if len(self._batch) == 1:
            self._due = loop.time() + self.batch_seconds
        if self._timer is not None:
            self._timer.cancel()
        self._timer = loop.call_at(min(self._due, loop.time() + self.batch_seconds / 4), self._flush)
        return future

    def _flush(self) -> None:
        """Store the waiting items in one transaction (synchronous: nothing else runs meanwhile)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        batch, self._batch = self._batch, []
        if batch and not storage_failed(self.crawler):
            self.crawler.signals.send_catch_log(signal=before_commit)
        # Asked again: a WARC file that could not be synced has just stopped the crawl.
        if batch and not storage_failed(self.crawler):
            try:
                self._store_batch(batch)
            except Exception as exc:  # a storage failure: _store_batch lets no other through
                stop_for_storage(self.crawler, f"writing {self.db_path}", exc)
        for _, future in batch:
            if not future.done():
                future.set_result(None)  # not stored: it stays in the frontier for --resume

    def _store_batch(self, batch: list[tuple[tuple, asyncio.Future]]) -> None:
        """Store the items, settling the future of each one stored. A storage failure is raised,
        the items not stored yet left unsettled."""
        try:
            with self.db.atomic():
                outcomes = [self._store(*job) for job, _ in batch]
        except Exception as exc:
            if ingest.storage_failure(exc):
                raise
            # The transaction is rolled back; store the items one by one so one bad item
            # cannot cost the others their rows.
            logger.warning("%s: a batch of %d items failed (%r); storing them one at a time",
                           batch[0][0][0]["source_id"], len(batch), exc)
            for job, future in batch:
                try:
                    self._stored(future, self._store_alone(job))
                except Exception as exc:
                    if ingest.storage_failure(exc):
                        raise
                    future.set_exception(exc)  # not even its fetch row could be written
            return
        for outcome, (_, future) in zip(outcomes, batch):
            self._stored(future, outcome)

    def _stored(self, future: asyncio.Future, outcome: str | None) -> None:
        if outcome:
            self.crawler.stats.inc_value(f"govarchive/articles_{outcome}")
        future.set_result(outcome)

    def _store_alone(self, job: tuple) -> str | None:
        item, headers, content_type = job[:3]
        try:
            with self.db.atomic():
                return self._store(*job)
        except Exception as exc:  # a storage bug must not lose the fact of the fetch
            if ingest.storage_failure(exc):
                raise
            logger.error("%s: storing %s failed: %r", item["source_id"], item["url"], exc)
            self.crawler.stats.inc_value("govarchive/storage_errors")
            with self.db.atomic():
                return self._store(item, headers, content_type, None, f"storage failed: {type(exc).__name__}: {exc}"[:500])

    def _store(self, item, headers, content_type, record, error) -> str | None:
        ingest.remove_from_frontier(self.db, self.crawl_id, item["url"])
        fetch_id = ingest.record_fetch(
            self.db,
            crawl_id=self.crawl_id,
            source_id=item["source_id"],
            url=item["url"],
            requested_url=item.get("requested_url"),
            response_url=item.get("response_url"),
            kind=item["kind"],
            status=item.get("status"),
            content_type=content_type,
            length=len(item.get("body") or b""),
            error=error,
            fetched_at=item["fetched_at"],
            warc=item.get("warc"),
            warc_hops=item.get("warc_hops"),
            etag=_header(headers, "etag"),
            last_modified=_header(headers, "last-modified"),
        )
        outcome = None
        if record is not None and not record["text"]:
            ingest.set_fetch_error(self.db, fetch_id, "no article text extracted")
        elif record is not None and says_not_found(record):
            # The article is gone from the live site, not rewritten as "page not found".
            ingest.set_fetch_error(self.db, fetch_id, _redirected(item, ingest.NOT_THERE))
        elif record is not None:
            outcome = ingest.store_article(
                self.db, record, source_id=item["source_id"], fetch_id=fetch_id,
                seen_at=item["fetched_at"], also_at=item.get("moved_to"),
                rules=self.crawler.spider.source.extract,
            )
            if outcome is None:
                ingest.set_fetch_error(self.db, fetch_id, _redirected(item, ingest.NOT_THE_ARTICLE))
        elif item["kind"] == "article" and item.get("status") == 304:
            outcome = ingest.mark_not_modified(self.db, item["url"], item["fetched_at"])
        if outcome:
            ingest.count_article_outcome(self.db, self.crawl_id, outcome)
        return outcome

    def spider_closed(self, spider, reason):
        if self.pool is not None:
            SharedPool.release()
            self.pool = None
        if self.db is None or self.crawl_id is None:
            return
        self._flush()
        if storage_failed(self.crawler):
            # Also when the last items were what could not be stored: the crawl did not finish.
            reason = "storage_failed"
        elif reason == "finished" and spider.budget_exhausted:
            # Said by the row, not guessed from its pages: a resumed crawl's budget counts the
            # requests of the crawl it resumes too, and may be spent before it makes any.
            reason = "max_pages"
        try:
            row = ingest.finish_crawl(
                self.db, self.crawl_id, finish_reason=reason, stats=self.crawler.stats.get_stats()
            )
        except Exception as exc:
            if not ingest.storage_failure(exc):
                raise
            # Its row still says running: it is closed as interrupted, with what it fetched,
            # once the archive can be written (govarchive crawl, the source's next crawl).
            logger.error("%s: crawl %d: its end could not be recorded: %s: %s",
                         spider.source.id, self.crawl_id, type(exc).__name__, exc)
            self.db.close()
            self.db = None
            return
        left = ingest.frontier_extent(self.db, self.crawl_id)[0] if spider.budget_exhausted else 0
        try:
            if reason == "finished" and not left:
                ingest.clear_frontier(self.db, self.crawl_id)
            release_free_pages(self.db)
        except Exception as exc:
            if not ingest.storage_failure(exc):
                raise
            # Harmless once the end is written: freed pages stay inside the file for the archive's
            # next writes, and a skipped request left in the frontier is skipped again.
            logger.warning("%s: crawl %d: its end is recorded; tidying up after it (clearing its frontier, "
                           "giving freed space back to the file system) failed: %s: %s",
                           spider.source.id, self.crawl_id, type(exc).__name__, exc)
        # Unchanged counts the articles answered 304 Not Modified, as the crawl's summary does.
        logger.info(
            "%s: crawl %d %s: %d pages, %d new, %d changed, %d unchanged, %d errors",
            spider.source.id, self.crawl_id, row["status"], row["pages"], row["articles_new"],
            row["articles_changed"], row["articles_unchanged"] + row["articles_not_modified"], row["errors"],
        )
        gone = self.db.execute(f"select count(*) from fetches where crawl_id = ? and {ingest.GONE_SQL}",
                               [self.crawl_id]).fetchone()[0]
        if gone:
            # Not errors (the site answered as it should), but what the crawl is there to record.
            logger.info("%s: crawl %d found %d archived articles gone from the live site (404, 410 or a "
                        "'page not found' page): govarchive stats counts them as gone",
                        spider.source.id, self.crawl_id, gone)
        if left:
            logger.warning("%s: crawl %d reached --max-pages %d: %d requests wait in the frontier for the "
                           "source's next crawl", spider.source.id, self.crawl_id, spider.max_pages, left)
        outside = spider.crawler.stats.get_value(OUTSIDE_LINKS_STAT)
        if row["status"] == "empty" and row["pages"] and outside:
            logger.warning(
                "%s: crawl %d: the links on its %d pages that match article_pattern are all outside "
                "allowed_domains (%d, named above), so it archived nothing",
                spider.source.id, self.crawl_id, row["pages"], outside,
            )
        elif row["status"] == "empty" and row["pages"]:
            logger.warning(
                "%s: crawl %d: no link on its %d pages matches article_pattern %r, so it archived nothing: "
                "compare the pattern with the article URLs its listings, feeds or sitemaps link to",
                spider.source.id, self.crawl_id, row["pages"], spider.source.article_pattern,
            )
        self._warn_unmatched(spider)
        if worse := health_drop(self.db, self.crawl_id):
            logger.warning("%s: crawl %d: %s", spider.source.id, self.crawl_id, worse)
        if row["errors"]:
            # A count alone sends the reader to SQL to learn what failed.
            failed = ingest.failed_fetches(self.db, self.crawl_id, FAILURES_LOGGED)
            more = row["errors"] - len(failed)
            logger.warning(
                "%s: crawl %d: %d failed: %s%s", spider.source.id, self.crawl_id, row["errors"],
                "; ".join(f"{url} ({reason})" for url, reason in failed),
                f"; and {more} more (the fetches table of crawl {self.crawl_id} has them all)" if more else "",
            )
        self.db.close()
        self.db = None

    def _warn_unmatched(self, spider) -> None:
        """Name each extract rule that gave nothing on some of the crawl's pages: a mistyped
        selector is otherwise seen only in the articles, with the portal's name for a title."""
        rules = spider.source.extract
        order = list(rules)
        for (key, why), count in sorted(self.unmatched.items(), key=lambda entry: order.index(entry[0][0])):
            logger.warning("%s: crawl %d: %s", spider.source.id, self.crawl_id,
                           unmatched_rule(key, rules[key], why, f"{count} of {self.ruled_pages} article pages"))


# Failed fetches a crawl's closing warning names.
FAILURES_LOGGED = 5


def _is_article_page(item) -> bool:
    """Whether the item is an article URL's page, whatever kind of page it turns out to be."""
    return item["kind"] == "article" and item.get("status") == 200 and not item.get("error")


def _not_a_page(body: bytes | None, content_type: str | None) -> str | None:
    """Why an article URL's body holds no HTML page to extract (its error), or None when it does:
    declared HTML, or HTML by its first bytes whatever it is declared."""
    if not body:
        return "empty body: no article extracted"
    if is_page(body, content_type):
        return None
    return f"not an HTML page ({content_type or 'no Content-Type'}): kept as captured, no article extracted"


def _redirected(item, page: str) -> str:
    """The error of an article URL whose page is ``page``, saying where a redirect led to it."""
    return ingest.redirected_away(item.get("response_url"), page) if item.get("moved_to") else page


def _header(headers: dict, name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None
