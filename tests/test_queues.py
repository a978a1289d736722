"""The JOBDIR disk queue: requests come back with the same callback, errback and data as
Scrapy's own queue gives, without searching the spider's members."""

from __future__ import annotations

import inspect

import pytest
from scrapy import Request
from scrapy.squeues import PickleLifoDiskQueue as ScrapyQueue
from scrapy.utils.test import get_crawler

from archive.sources import Source
from crawler.queues import PickleLifoDiskQueue, method_name
from crawler.spiders.source import SourceSpider

SOURCE = Source(id="s", name="S", kind="press", home="http://127.0.0.1/", allowed_domains=("127.0.0.1",),
                article_pattern=r".*\.html$", schedule="0 * * * *")


@pytest.fixture
def spider():
    crawler = get_crawler(SourceSpider)
    spider = SourceSpider.from_crawler(crawler, source=SOURCE)
    crawler.spider = spider
    return crawler, spider


def _requests(spider):
    return [
        Request("http://127.0.0.1/a.html", callback=spider.parse_article, errback=spider.on_error,
                meta={"kind": "article"}, cb_kwargs={}),
        Request("http://127.0.0.1/sitemap.xml", callback=spider.parse_sitemap, priority=3),
        Request("http://127.0.0.1/robots.txt"),
    ]


def _round_trip(queue_class, crawler, path):
    queue = queue_class.from_crawler(crawler, str(path))
    for request in _requests(crawler.spider):
        queue.push(request)
    out = [queue.pop() for _ in range(3)]
    queue.close()
    return out


def test_same_requests_back_as_scrapys_queue(spider, tmp_path):
    crawler, _ = spider
    ours = _round_trip(PickleLifoDiskQueue, crawler, tmp_path / "ours")
    theirs = _round_trip(ScrapyQueue, crawler, tmp_path / "theirs")
    assert [r.to_dict(spider=crawler.spider) for r in ours] == [r.to_dict(spider=crawler.spider) for r in theirs]
    assert ours[2].callback == crawler.spider.parse_article and ours[2].errback == crawler.spider.on_error


def test_no_member_search_for_the_spiders_own_methods(spider, tmp_path, monkeypatch):
    crawler, s = spider
    monkeypatch.setattr(inspect, "getmembers", lambda *a, **k: pytest.fail("searched the spider's members"))
    queue = PickleLifoDiskQueue.from_crawler(crawler, str(tmp_path / "q"))
    request = _requests(s)[0]
    queue.push(request)
    assert request.callback == s.parse_article  # the request itself is left as it was
    assert queue.pop().callback == s.parse_article
    queue.close()


def test_a_function_that_is_not_the_spiders_method_is_left_to_scrapy(spider):
    _, s = spider
    assert method_name(s, s.parse_article) == "parse_article"
    assert method_name(s, print) is print
    assert method_name(s, None) is None
