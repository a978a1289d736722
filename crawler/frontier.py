"""Spider middleware keeping the crawl's frontier in the archive database.

Every request the spider schedules is written to the ``frontier`` table before it can be
downloaded, and the pipeline deletes it once its fetch row is stored. A crawl killed at any
moment (SIGKILL included) therefore leaves exactly its unfinished requests — queued and in
flight — for ``govarchive crawl --resume``. Scrapy's JOBDIR does not cover the in-flight ones:
its disk queue forgets a request as soon as it is dequeued.
"""

from __future__ import annotations

import dataclasses
import json

from scrapy import Request, signals
from scrapy.exceptions import NotConfigured

from archive import ingest
from archive.db import open_db


class FrontierMiddleware:
    def __init__(self, crawler, db_path):
        self.crawler = crawler
        self.db_path = db_path
        self.db = None

    @classmethod
    def from_crawler(cls, crawler):
        db_path = crawler.settings.get("ARCHIVE_DB")
        if not db_path:
            raise NotConfigured("ARCHIVE_DB is not set")
        middleware = cls(crawler, db_path)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def _record(self, outputs: list) -> None:
        entries = [_entry(o) for o in outputs if isinstance(o, Request) and o.meta.get("kind")]
        crawl_id = getattr(self.crawler.spider, "crawl_id", None)
        if not entries or crawl_id is None:
            return
        if self.db is None:
            self.db = open_db(self.db_path)
        with self.db.atomic():
            ingest.add_to_frontier(self.db, crawl_id, entries)

    async def process_start(self, start):
        async for output in start:
            self._record([output])
            yield output

    def process_spider_output(self, response, result):
        outputs = list(result)
        self._record(outputs)
        yield from outputs

    async def process_spider_output_async(self, response, result):
        outputs = [output async for output in result]
        self._record(outputs)
        for output in outputs:
            yield output

    def spider_closed(self, spider, reason):
        if self.db is not None:
            self.db.close()
            self.db = None


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
