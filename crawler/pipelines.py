"""The storage step: every PageItem becomes a fetch row; article pages are extracted and stored.

All writes go through archive.ingest, so handing items to another writer later (a distributed
crawl) means replacing this one class.
"""

from __future__ import annotations

import logging

from scrapy import signals
from scrapy.exceptions import NotConfigured

from archive import ingest
from archive.db import open_db
from archive.extract import extract

logger = logging.getLogger(__name__)

HTML_TYPES = ("text/html", "application/xhtml+xml", "")


class ArchivePipeline:
    def __init__(self, db_path: str, crawler):
        self.db_path = db_path
        self.crawler = crawler
        self.db = None
        self.crawl_id = None

    @classmethod
    def from_crawler(cls, crawler):
        db_path = crawler.settings.get("ARCHIVE_DB")
        if not db_path:
            raise NotConfigured("ARCHIVE_DB is not set")
        pipeline = cls(db_path, crawler)
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def open_spider(self, spider):
        self.db = open_db(self.db_path)
        self.crawl_id = ingest.start_crawl(self.db, spider.source, max_pages=spider.max_pages)
        spider.crawl_id = self.crawl_id
        logger.info("%s: crawl %d into %s", spider.source.id, self.crawl_id, self.db_path)

    def process_item(self, item, spider):
        headers = item.get("headers") or {}
        content_type = _header(headers, "content-type")
        with self.db.conn:
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
                error=item.get("error"),
                fetched_at=item.get("fetched_at"),
            )
            if (
                item["kind"] == "article"
                and item.get("status") == 200
                and item.get("body")
                and (content_type or "").split(";")[0].strip().lower() in HTML_TYPES
            ):
                record = extract(item["body"], item["url"], headers)
                outcome = ingest.store_article(
                    self.db, record, source_id=item["source_id"], fetch_id=fetch_id,
                    seen_at=item.get("fetched_at") or ingest.now_iso(),
                )
                ingest.count_article_outcome(self.db, self.crawl_id, outcome)
                self.crawler.stats.inc_value(f"govarchive/articles_{outcome}")
        return {"url": item["url"], "status": item.get("status"), "kind": item["kind"]}

    def spider_closed(self, spider, reason):
        if self.db is None or self.crawl_id is None:
            return
        row = ingest.finish_crawl(
            self.db, self.crawl_id, finish_reason=reason, stats=self.crawler.stats.get_stats()
        )
        logger.info(
            "%s: crawl %d %s: %d pages, %d new, %d changed, %d unchanged, %d errors",
            spider.source.id, self.crawl_id, row["status"], row["pages"], row["articles_new"],
            row["articles_changed"], row["articles_unchanged"], row["errors"],
        )
        self.db.close()
        self.db = None


def _header(headers: dict, name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None
