"""The crawl's frontier stays bounded in memory: sitemaps and callback output are streamed.

A frontier of 100,000 URLs once peaked at 470 MB because every request a sitemap led to was
alive at once (F7). These tests check the structure that prevents it, not a speed or an RSS.
"""

import asyncio
import gzip
import sqlite3
import tracemalloc

import pytest
from scrapy import Request
from scrapy.http import XmlResponse
from scrapy.utils.test import get_crawler

from archive import ingest
from archive.db import open_db
from archive.sources import parse_sources
from crawler.frontier import FrontierMiddleware
from crawler.items import PageItem
from crawler.spiders.source import SourceSpider, spider_for

BASE = "http://portal.example.vn"
SOURCES = f"""
[[source]]
id = "portal"
name = "Portal"
kind = "press"
home = "{BASE}/"
allowed_domains = ["portal.example.vn"]
article_pattern = "/bai-\\\\d+\\\\.html$"
schedule = "0 * * * *"
[source.discovery]
sitemaps = ["{BASE}/sitemap.xml"]
"""


@pytest.fixture
def crawl(tmp_path):
    """A spider and the frontier middleware of one real crawl, recording into a real archive."""
    source = parse_sources(SOURCES)[0]
    db_path = str(tmp_path / "archive.db")
    db = open_db(db_path)
    crawl_id = ingest.start_crawl(db, source, max_pages=None)
    db.close()
    crawler = get_crawler(spider_for(source), {"ARCHIVE_DB": db_path, "ARCHIVE_FRONTIER_BATCH": 100})
    spider = SourceSpider.from_crawler(crawler, source=source)
    spider.crawl_id = crawl_id
    crawler.spider = spider
    middleware = FrontierMiddleware.from_crawler(crawler)
    yield spider, middleware, db_path
    middleware.spider_closed(spider, "finished")


def _frontier(db_path):
    conn = sqlite3.connect(db_path)
    try:
        return {row[0] for row in conn.execute("select url from frontier")}
    finally:
        conn.close()


def _sitemap(n, start=0):
    entries = "".join(f"<url><loc>{BASE}/bai-{i}.html</loc></url>" for i in range(start, start + n))
    return (f"<?xml version='1.0'?><urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
            f"{entries}</urlset>").encode()


def _response(body, spider, url=f"{BASE}/sitemap.xml"):
    return XmlResponse(url, body=body, request=Request(url, meta={"kind": "sitemap", "canonical_url": url}))


def _callback_output(made, n):
    """What a callback for a page with n links yields: its fetch row, then a request per link."""
    yield PageItem(url=f"{BASE}/page", kind="listing")
    for i in range(n):
        made.append(i)
        yield Request(f"{BASE}/bai-{i}.html", meta={"kind": "article", "canonical_url": f"{BASE}/bai-{i}.html"},
                      callback=SourceSpider.parse_article)


def test_callback_output_is_recorded_and_passed_on_in_batches(crawl):
    spider, middleware, db_path = crawl
    made = []
    output = middleware.process_spider_output(None, _callback_output(made, 1000))
    first = next(output)
    # Before the fix the middleware gathered the whole output first: 1,000 requests alive at once.
    assert len(made) <= middleware.batch_size
    assert isinstance(first, Request)
    assert first.url in _frontier(db_path)
    rest = list(output)
    assert len(made) == 1000 and sum(isinstance(o, Request) for o in [first, *rest]) == 1000


def test_async_callback_output_is_recorded_and_passed_on_in_batches(crawl):
    spider, middleware, db_path = crawl
    made = []

    async def source():
        for output in _callback_output(made, 1000):
            yield output

    async def first_and_rest():
        output = middleware.process_spider_output_async(None, source())
        first = await output.__anext__()
        pulled = len(made)
        return first, pulled, [o async for o in output]

    first, pulled, rest = asyncio.run(first_and_rest())
    assert pulled <= middleware.batch_size
    assert isinstance(first, Request)
    assert len(rest) == 1000  # 999 requests and the item


def test_a_page_leaves_the_frontier_only_after_all_its_links_are_in_it(crawl):
    """The item is what removes a page from the frontier; yielded before its links are recorded,
    a kill in between would lose them on resume."""
    spider, middleware, db_path = crawl
    outputs = middleware.process_spider_output(None, _callback_output([], 1000))
    for output in outputs:
        if not isinstance(output, Request):
            assert len(_frontier(db_path)) == 1000
            break
    else:
        pytest.fail("the item never came")


def test_a_big_sitemap_is_turned_into_requests_as_they_are_pulled(crawl):
    """A 50,000-URL sitemap (the protocol's maximum): its first request must not cost a list of
    all its entries, as it did when the spider read the sitemap whole."""
    spider, middleware, db_path = crawl
    response = _response(_sitemap(50_000), spider)
    tracemalloc.start()
    try:
        output = spider.parse_sitemap(response)
        first = next(output)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # 50,000 URLs as strings take about 5 MB, the body decoded as text 3 MB; one entry's worth
    # is a few KB (plus lxml's look-ahead of one read buffer).
    assert peak < 1_000_000, peak
    assert isinstance(first, Request) and first.url == f"{BASE}/bai-0.html"
    assert spider.scheduled == 1
    rest = list(output)
    assert len(rest) == 50_000 and isinstance(rest[-1], PageItem) and rest[-1]["error"] is None


def test_a_sitemap_streams_through_the_frontier_middleware(crawl):
    spider, middleware, db_path = crawl
    response = _response(gzip.compress(_sitemap(2000)), spider, url=f"{BASE}/sitemap.xml.gz")
    output = middleware.process_spider_output(response, spider.parse_sitemap(response))
    next(output)
    assert spider.scheduled <= middleware.batch_size
    rest = list(output)
    assert spider.scheduled == 2000 and len(_frontier(db_path)) == 2000
    assert isinstance(rest[-1], PageItem) and rest[-1]["error"] is None


def test_an_unreadable_sitemap_still_leaves_its_fetch_row(crawl):
    spider, middleware, db_path = crawl
    response = _response(b"\x1f\x8b not really gzip", spider, url=f"{BASE}/sitemap.xml.gz")
    outputs = list(spider.parse_sitemap(response))
    assert len(outputs) == 1 and outputs[0]["error"].startswith("unreadable sitemap: ")


def test_a_resumed_crawl_reads_its_frontier_a_part_at_a_time(crawl):
    """A crawl killed with 20,000 requests pending: resuming it must not load them all at once
    (a 100,000-request frontier once took 250 MB that way), and must replay every one, in order."""
    spider, middleware, db_path = crawl
    db = open_db(db_path)
    with db.atomic():
        ingest.add_to_frontier(db, spider.crawl_id, [
            {"url": f"{BASE}/bai-{n}.html", "kind": "article", "callback": "parse_article", "cb_kwargs": "{}"}
            for n in range(20_000)
        ])
    db.close()
    spider.resume_from = spider.crawl_id

    async def first_then_rest():
        start = spider.start()
        tracemalloc.start()
        try:
            first = await start.__anext__()
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        # a row written after the resume began is the crawl's own new request, not one to replay
        db = open_db(db_path)
        with db.atomic():
            ingest.add_to_frontier(db, spider.crawl_id, [{"url": f"{BASE}/bai-new.html", "kind": "article",
                                                          "callback": "parse_article", "cb_kwargs": "{}"}])
        db.close()
        return first, peak, [request async for request in start]

    first, peak, rest = asyncio.run(first_then_rest())
    # 20,000 rows as dicts and requests are ~20 MB; one part of ARCHIVE_FRONTIER_BATCH (100 here)
    # is a few hundred KB
    assert peak < 2_000_000, peak
    # the 20,000 in order, then the source's start requests the frontier lacked: its sitemap
    assert [r.url for r in [first, *rest]] == [f"{BASE}/bai-{n}.html" for n in range(20_000)] + [f"{BASE}/sitemap.xml"]
