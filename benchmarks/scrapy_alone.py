"""Scrapy alone: fetch a list of URLs with Scrapy's own components and nothing of govarchive's.

``python benchmarks/scrapy_alone.py URLS_FILE`` (one URL a line) prints one JSON object: pages
fetched, wall seconds and this process's CPU seconds from engine start to spider close. The
crawl benchmark runs it on the pages a crawl fetched, as the share of a crawl no change to
govarchive's components can remove: no WARC, no extraction, no SQLite, no link extraction, a
memory queue. Scrapy's engine is set up as the crawl sets it (reactor, CONCURRENT_ITEMS, the
generator check), so that what the crawl saves there is not counted against it.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

import scrapy
from scrapy import signals
from scrapy.crawler import CrawlerProcess

from crawler import settings as crawl_settings


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class FetchOnly(scrapy.Spider):
    name = "fetch-only"

    def __init__(self, urls: list[str], **kwargs):
        super().__init__(**kwargs)
        self.urls = urls

    async def start(self):
        for url in self.urls:
            yield scrapy.Request(url, callback=self.parse, dont_filter=True)

    def parse(self, response):
        return None


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    urls = [line.strip() for line in Path(sys.argv[1]).read_text(encoding="utf-8").splitlines() if line.strip()]
    process = CrawlerProcess(
        {
            "LOG_LEVEL": "WARNING",
            "TELNETCONSOLE_ENABLED": False,
            "ROBOTSTXT_OBEY": False,
            "COOKIES_ENABLED": False,
            # govarchive's crawl runs 16 requests at a time on the same reactor.
            "CONCURRENT_REQUESTS": 16,
            "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
            "DOWNLOAD_DELAY": 0,
            # Scrapy starts CONCURRENT_ITEMS tasks for every response (0.6 ms a page at its
            # default of 100, measured here); the crawl sets 8.
            **{name: getattr(crawl_settings, name)
               for name in ("TWISTED_REACTOR", "CONCURRENT_ITEMS", "WARN_ON_GENERATOR_RETURN_VALUE")},
        }
    )
    crawler = process.create_crawler(FetchOnly)
    marks = {}

    def started():
        marks["start"] = (time.perf_counter(), cpu_seconds())

    def closed(spider, reason):
        marks["end"] = (time.perf_counter(), cpu_seconds())
        marks["reason"] = reason

    crawler.signals.connect(started, signal=signals.engine_started)
    crawler.signals.connect(closed, signal=signals.spider_closed)
    process.crawl(crawler, urls=urls)
    process.start()
    stats = crawler.stats.get_stats()
    pages = stats.get("response_received_count", 0)
    if pages != len(urls):
        print(f"fetched {pages} of {len(urls)} URLs ({marks.get('reason')}); errors: "
              f"{ {k: v for k, v in stats.items() if 'exception' in k or 'status_count' in k} }", file=sys.stderr)
        return 1
    (wall0, cpu0), (wall1, cpu1) = marks["start"], marks["end"]
    print(json.dumps({"pages": pages, "wall": wall1 - wall0, "cpu": cpu1 - cpu0}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
