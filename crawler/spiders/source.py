"""One generic spider, driven by a source entry from sources.toml.

It decides what to fetch (sitemaps, feeds, paginated listings -> article URLs) and hands every
exchange to the pipeline as a PageItem; it never parses article content.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from urllib.parse import urlsplit

import scrapy
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.utils.gz import gunzip, gzip_magic_number
from scrapy.utils.sitemap import Sitemap
from twisted.python.failure import Failure

from archive.sources import Listing, Source, load_sources, select
from archive.urls import canonical_url
from crawler.items import PageItem

logger = logging.getLogger(__name__)


class SourceSpider(scrapy.Spider):
    name = "source"

    def __init__(self, source: Source | str | None = None, max_pages: int | str | None = None, **kwargs):
        super().__init__(**kwargs)
        self.source_arg = source
        self.max_pages = int(max_pages) if max_pages not in (None, "") else None
        self.scheduled = 0
        self.seen: set[str] = set()
        self.budget_exhausted = False

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        source = spider.source_arg
        if not isinstance(source, Source):
            if not source:
                raise ValueError("the source spider needs -a source=ID")
            sources = load_sources(crawler.settings.get("ARCHIVE_SOURCES"))
            source = select(sources, [source])[0]
        spider.source = source
        spider.allowed_domains = list(source.allowed_domains)
        if spider.max_pages is None and crawler.settings.get("ARCHIVE_MAX_PAGES"):
            spider.max_pages = crawler.settings.getint("ARCHIVE_MAX_PAGES")
        spider.scheme = urlsplit(source.home).scheme
        return spider

    async def start(self):
        for url in self.source.sitemaps:
            if request := self._request(url, self.parse_sitemap, "sitemap"):
                yield request
        for url in self.source.feeds:
            if request := self._request(url, self.parse_feed, "feed"):
                yield request
        for listing in self.source.listings:
            request = self._request(listing.url, self.parse_listing, "listing", listing=listing, page=1)
            if request:
                yield request

    def _request(self, url: str, callback, kind: str, **cb_kwargs):
        """A request within the page budget, for a URL not requested before in this crawl."""
        url = canonical_url(url, prefer_scheme=self.scheme)
        if url in self.seen or not self.source.allows(url):
            return None
        if self.max_pages is not None and self.scheduled >= self.max_pages:
            if not self.budget_exhausted:
                logger.info("%s: reached --max-pages %d, not scheduling more", self.source.id, self.max_pages)
                self.budget_exhausted = True
            return None
        self.seen.add(url)
        self.scheduled += 1
        return scrapy.Request(
            url,
            callback=callback,
            errback=self.on_error,
            cb_kwargs=cb_kwargs,
            meta={"kind": kind, "canonical_url": url},
        )

    def _item(self, response: Response) -> PageItem:
        request = response.request
        redirects = request.meta.get("redirect_urls") or []
        return PageItem(
            source_id=self.source.id,
            kind=request.meta.get("kind"),
            url=request.meta.get("canonical_url", response.url),
            requested_url=redirects[0] if redirects else request.url,
            response_url=response.url,
            status=response.status,
            headers={
                k.decode("latin-1"): b", ".join(v).decode("latin-1") for k, v in response.headers.items()
            },
            body=response.body,
            fetched_at=_now(),
            error=None if response.status < 400 else f"HTTP {response.status}",
            warc=request.meta.get("warc"),
        )

    def _article_requests(self, urls):
        for url in urls:
            url = canonical_url(url, prefer_scheme=self.scheme)
            if self.source.is_article(url):
                if request := self._request(url, self.parse_article, "article"):
                    yield request

    def parse_article(self, response: Response):
        yield self._item(response)

    def parse_sitemap(self, response: Response):
        yield self._item(response)
        if response.status != 200:
            return
        body = response.body
        if gzip_magic_number(response):
            try:
                body = gunzip(body, max_size=self.crawler.settings.getint("DOWNLOAD_MAXSIZE"))
            except Exception as exc:  # a corrupt or oversized archive is that sitemap's problem only
                logger.warning("%s: cannot decompress sitemap %s: %s", self.source.id, response.url, exc)
                return
        try:
            sitemap = Sitemap(body)
        except Exception as exc:
            logger.warning("%s: unreadable sitemap %s: %s", self.source.id, response.url, exc)
            return
        locs = [entry["loc"] for entry in sitemap if entry.get("loc")]
        if sitemap.type == "sitemapindex":
            for loc in locs:
                if request := self._request(response.urljoin(loc), self.parse_sitemap, "sitemap"):
                    yield request
        else:
            yield from self._article_requests(response.urljoin(loc) for loc in locs)

    def parse_feed(self, response: Response):
        yield self._item(response)
        if response.status != 200:
            return
        try:
            selector = scrapy.Selector(body=response.body, type="xml")
        except Exception as exc:
            logger.warning("%s: unreadable feed %s: %s", self.source.id, response.url, exc)
            return
        selector.remove_namespaces()
        links = selector.xpath("//item/link/text()").getall()
        links += selector.xpath("//entry/link[not(@rel) or @rel='alternate']/@href").getall()
        yield from self._article_requests(response.urljoin(link.strip()) for link in links if link.strip())

    def parse_listing(self, response: Response, listing: Listing, page: int):
        yield self._item(response)
        if response.status != 200 or not hasattr(response, "css"):
            return
        hrefs = [response.urljoin(h) for h in response.css("a::attr(href)").getall()]
        articles = [h for h in hrefs if self.source.is_article(canonical_url(h, prefer_scheme=self.scheme))]
        yield from self._article_requests(articles)
        next_url = None
        if listing.next:
            link = response.css(listing.next)
            href = link.attrib.get("href") if link else None
            if href:
                next_url = response.urljoin(href)
        elif listing.page_url and articles:
            next_url = listing.page_url.replace("{page}", str(page + 1))
        if next_url:
            request = self._request(next_url, self.parse_listing, "listing", listing=listing, page=page + 1)
            if request:
                yield request

    def on_error(self, failure: Failure):
        if failure.check(IgnoreRequest) and not getattr(failure.value, "response", None):
            logger.debug("%s: skipped %s: %s", self.source.id, failure.request.url, failure.value)
            return
        request = failure.request
        response = getattr(failure.value, "response", None)
        if response is not None:
            yield self._item(response)
            return
        yield PageItem(
            source_id=self.source.id,
            kind=request.meta.get("kind"),
            url=request.meta.get("canonical_url", request.url),
            requested_url=request.url,
            response_url=None,
            status=None,
            headers={},
            body=b"",
            fetched_at=_now(),
            error=_describe(failure),
        )


def spider_for(source: Source) -> type[SourceSpider]:
    """A SourceSpider subclass carrying the source's politeness as Scrapy custom_settings."""
    settings = {}
    if source.delay is not None:
        settings["DOWNLOAD_DELAY"] = source.delay
        settings["AUTOTHROTTLE_START_DELAY"] = source.delay
    if source.concurrency is not None:
        settings["CONCURRENT_REQUESTS_PER_DOMAIN"] = source.concurrency
        settings["AUTOTHROTTLE_TARGET_CONCURRENCY"] = float(source.concurrency)
    return type(f"SourceSpider[{source.id}]", (SourceSpider,), {"custom_settings": settings})


def _describe(failure: Failure) -> str:
    name = failure.type.__name__ if failure.type else "Error"
    message = str(failure.value).strip() or name
    return f"{name}: {message}"[:500]


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
