"""One generic spider, driven by a source entry from sources.toml.

It decides what to fetch (sitemaps, feeds, paginated listings -> article URLs) and hands every
exchange to the pipeline as a PageItem; it never parses article content.
"""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from datetime import datetime, timedelta, timezone
from urllib.parse import urljoin, urlsplit

import lxml.etree
import scrapy
from parsel import css2xpath
from scrapy import signals
from scrapy.exceptions import DontCloseSpider, IgnoreRequest
from scrapy.extensions.logcount import LogCount
from scrapy.http import Response, TextResponse
from scrapy.utils.gz import gzip_magic_number
from scrapy.utils.sitemap import Sitemap
from twisted.python.failure import Failure

from archive import ingest
from archive.db import open_db
from archive.rechecks import begin_rechecks, due_for_recheck, rechecks_stored
from archive.sniff import BYTE_ORDER_MARKS
from archive.sources import Listing, Source, load_sources, select
from archive.urls import canonical_url
from crawler.decoding import DECODE_ERRORS, BodyTooLarge, BodyTruncated, decode
from crawler.frontier import DEFAULT_BATCH, StorageFailed, storage_failed
from crawler.items import PageItem
from crawler.refusals import ResponseRefused

logger = logging.getLogger(__name__)

# The crawl's stat counting the links it met that match article_pattern on a host
# allowed_domains does not allow, which it did not follow.
OUTSIDE_LINKS_STAT = "archive/article_links_outside_domains"
# Links article_pattern did not match that a crawl matching none shows.
MISSED_SHOWN = 2
# The crawl's stat counting the sitemap and feed entries article_pattern did not match: each
# stands for an article, so one not followed is an article missed, not a menu link.
UNMATCHED_ENTRIES_STAT = "archive/entries_unmatched"


class SourceSpider(scrapy.Spider):
    name = "source"

    def __init__(
        self,
        source: Source | str | None = None,
        max_pages: int | str | None = None,
        backfill: bool | str = False,
        resume_from: int | str | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.source_arg = source
        self.max_pages = int(max_pages) if max_pages not in (None, "") else None
        self.backfill = backfill in (True, "1", "true", "yes")
        self.resume_from = int(resume_from) if resume_from not in (None, "") else None
        self.scheduled = 0  # requests made (handed to Scrapy) in this run
        # Requests sent to the site, which --max-pages bounds: not those robots.txt or the offsite
        # filter stopped. A resumed crawl's count those of the crawl it resumes.
        self.sent = 0
        self.seen: set[str] = set()
        self.known: dict[str, ingest.Known] = {}
        self.skipped_before: set[str] = set()
        self.spared: set[str] = set()  # archived articles a sitemap dates before their last fetch
        self.listed: dict[str, set[str]] = {}  # per listing, the article URLs its pages offered in this crawl
        self.budget_exhausted = False
        self.rechecks_chosen = False
        self.outside: set[str] = set()  # article links on hosts allowed_domains does not allow
        self.missed: list[str] = []  # the longest links of the source's own the pattern did not match
        self.unpaged: list[tuple[str, str, int]] = []  # listings whose links selector held no article link
        self.listing_pages: set[str] = set()  # the listing pages requested
        # Per sitemap or feed, the first of its entries article_pattern did not match.
        self.unmatched: dict[str, list[str]] = {}
        self.caught: set[str] = set()  # listings some of whose pages article_pattern matches, said so

    @classmethod
    def update_settings(cls, settings):
        super().update_settings(settings)
        # The page budget is the spider's own argument: it holds wherever the spider runs.
        middlewares = settings.getdict("DOWNLOADER_MIDDLEWARES")
        middlewares.setdefault(f"{__name__}.PageBudgetMiddleware", PAGE_BUDGET_ORDER)
        settings.set("DOWNLOADER_MIDDLEWARES", middlewares, priority="spider")
        extensions = settings.getdict("EXTENSIONS")
        extensions.setdefault(LOG_COUNT, None)
        extensions.setdefault(f"{__name__}.CrawlLogCount", 0)
        settings.set("EXTENSIONS", extensions, priority="spider")

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
        crawler.signals.connect(spider.recheck_archived, signal=signals.spider_idle)
        spider.landing_pages = {
            _address(canonical_url(url, prefer_scheme=spider.scheme)) for url in (source.home, *source.start_urls())
        }
        return spider

    async def start(self):
        db_path = self.crawler.settings.get("ARCHIVE_DB")
        if db_path:
            db = open_db(db_path)
            try:
                # A resumed crawl must judge "already archived" as its first part did, not count
                # what that part archived, or it would stop paging where the kill left it.
                before = ingest.chain_start(db, self.resume_from) if self.resume_from is not None else None
                self.known = ingest.known_articles(db, self.source.id, before=before)
                self.skipped_before = ingest.skipped_urls(db, self.source.id)
                if self.resume_from is not None:
                    self.seen = ingest.finished_urls(db, self.resume_from)
                    self.sent = _pages_sent(db, self.resume_from)
                pending, last = ingest.frontier_extent(db, self.crawl_id)
            finally:
                db.close()
            if pending and self.resume_from is not None:
                logger.info("%s: resuming crawl %d: %d requests to go, %d done",
                            self.source.id, self.resume_from, pending, len(self.seen))
                for request in self._pending(db_path, last):
                    yield request
                # Then the start requests the frontier lacks (those fetched or just replayed are
                # skipped as seen): one the interrupted part never recorded, as a crawl that took
                # over another's frontier and was killed before it wrote its own start.
                pending = 0
        else:
            pending = 0
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
        if pending:
            # What the source's last crawl left undone (killed, failed, or cut by --max-pages),
            # which this crawl took over: its own start first, for what is new.
            logger.info("%s: carrying on %d requests an earlier crawl left undone", self.source.id, pending)
            for request in self._pending(db_path, last):
                yield request

    def _pending(self, db_path: str, last: int):
        """The requests the frontier held as this crawl began (the crawl it resumes, or those it
        took over), made again a part at a time as Scrapy pulls them.

        Rows added after ``last`` are this crawl's own new requests, already scheduled.
        """
        batch = self.crawler.settings.getint("ARCHIVE_FRONTIER_BATCH", DEFAULT_BATCH)
        after = 0
        while after < last:
            db = open_db(db_path)
            try:
                entries = ingest.pending_requests(db, self.crawl_id, after=after, up_to=last, limit=batch)
            finally:
                db.close()
            if not entries:
                return
            after = entries[-1]["rowid"]
            for entry in entries:
                if request := self._replay(entry):
                    yield request

    def recheck_archived(self):
        """Once the crawl has done all its discovery led to, ask again for archived articles it
        did not reach (archive/rechecks.py), and keep the crawl open for them.

        Not recorded in the frontier: a crawl killed before making them all leaves the rest the
        ones asked for longest ago, which its resumed part chooses again in what is left of its
        batch (or the next crawl, in a batch of its own).
        """
        if self.rechecks_chosen:
            return
        self.rechecks_chosen = True
        requests = self._rechecks()
        if not requests:
            return
        logger.info("%s: re-checking %d archived articles the crawl did not otherwise ask for, "
                    "those asked for longest ago first", self.source.id, len(requests))
        self.crawler.stats.set_value(ingest.RECHECKED_STAT, len(requests))
        for request in requests:
            self.crawler.engine.crawl(request)
        raise DontCloseSpider

    def _rechecks(self) -> list[scrapy.Request]:
        db_path = self.crawler.settings.get("ARCHIVE_DB")
        count = self.source.recheck
        if count is None:
            count = self.crawler.settings.getint("ARCHIVE_RECHECK_PER_CRAWL")
        if self.max_pages is not None:
            # Within what is left of the budget, never past it: the next crawl chooses its own.
            count = min(count, self.max_pages - self.sent)
        if not db_path or count <= 0 or storage_failed(self.crawler) or not self._met_articles():
            return []
        db = open_db(db_path)
        try:
            # One batch for the whole crawl, however many times it is resumed.
            count -= rechecks_stored(db, self.resume_from)
            due = due_for_recheck(db, self.source.id, count, skip=self.seen, source=self.source)
            if due.urls:
                begin_rechecks(db, self.crawl_id)
        finally:
            db.close()
        if due.outside:
            logger.warning("%s: %d archived articles have no URL inside allowed_domains %s and can no longer be "
                           "re-checked, e.g. %s", self.source.id, due.outside, list(self.source.allowed_domains),
                           " and ".join(due.outside_shown))
        requests = (self._request(url, self.parse_article, "article") for url in due.urls)
        # _request gives the record of a skip for a URL over URLLENGTH_LIMIT: an archived
        # article's URL was within it when fetched, and is over it only if the limit is lowered.
        return [request for request in requests if isinstance(request, scrapy.Request)]

    def _met_articles(self) -> bool:
        """Whether discovery met any article URL: a crawl that met none is judged empty (its
        article_pattern fits no article, its listings are broken), which re-checked articles
        would hide. A resumed crawl counts those the crawl it resumes asked for."""
        stats = self.crawler.stats
        return bool(stats.get_value(ingest.ARTICLE_LINKS_STAT) or stats.get_value(ingest.SITEMAP_UNCHANGED_STAT)
                    or any(map(self.source.is_article, self.seen)))

    def _replay(self, entry: dict):
        """A request saved in the frontier of an interrupted crawl, made again."""
        cb_kwargs = json.loads(entry["cb_kwargs"] or "{}")
        if "listing" in cb_kwargs:
            cb_kwargs["listing"] = Listing(**cb_kwargs["listing"])
        return self._request(entry["url"], getattr(self, entry["callback"]), entry["kind"], **cb_kwargs)

    def _request(self, url: str, callback, kind: str, **cb_kwargs):
        """A request within the page budget, for a URL not requested before in this crawl.

        An article already in the archive is asked for conditionally, with the validators of
        its last capture, so an unchanged page costs a 304 and no extraction.
        """
        url = canonical_url(url, prefer_scheme=self.scheme)
        if url in self.seen:
            return None
        if not self.source.allows(url):
            if kind != "article":  # article links outside are counted and shown at the crawl's end
                self.seen.add(url)
                logger.warning("%s: %s %s is outside allowed_domains, so it is not read", self.source.id, kind, url)
            return None
        limit = self.crawler.settings.getint("URLLENGTH_LIMIT")
        if limit and len(url) > limit:
            # Scrapy would drop it without a trace; the archive says why it has no copy.
            self.seen.add(url)
            return self._unfetched(
                kind, url[:limit] + "…", url[:limit] + "…",
                f"skipped: URL of {len(url)} characters is longer than URLLENGTH_LIMIT ({limit})",
            )
        over_budget = self._budget_spent()
        if over_budget and not self.crawler.settings.get("ARCHIVE_DB"):
            return None  # no frontier to wait in
        self.seen.add(url)
        if kind == "listing":
            self.listing_pages.add(url)
        if not over_budget:
            self.scheduled += 1
        if url in self.spared:  # a listing or feed shows it after all
            self.spared.discard(url)
            self.crawler.stats.inc_value(ingest.SITEMAP_UNCHANGED_STAT, -1)
        headers, validated = {}, {}
        if kind == "article" and url in self.known:
            etag, last_modified, _, validated_by = self.known[url]
            if etag:
                headers["If-None-Match"] = etag
            if last_modified:
                headers["If-Modified-Since"] = last_modified
            if headers and validated_by:
                # For the revisit record of a 304 (crawler.warc_capture).
                file, offset, length = validated_by
                validated = {"validators_from": {"file": file, "offset": offset, "length": length}}
        return scrapy.Request(
            url,
            callback=callback,
            errback=self.on_error,
            cb_kwargs=cb_kwargs,
            headers=headers,
            # A request past the budget is not made, only recorded in the frontier: the next
            # crawl makes it, where a listing cut off at page 3 would otherwise never be read
            # past page 2 (paging stops at the first page holding only archived articles). One
            # made before the budget was spent is held back where it would be sent (admit).
            meta={"kind": kind, "canonical_url": url, **validated, **({"deferred": True} if over_budget else {})},
        )

    def admit(self, request: scrapy.Request) -> None:
        """Count a request against --max-pages as it is sent to the site, or hold it back in the
        frontier (OverBudget) once the budget is spent.

        Counted here, past robots.txt and the offsite filter, not when the request is made: a
        URL those skip is no page, and must not take the place of one.
        """
        if "kind" not in request.meta or request.meta.get("sent"):
            return  # robots.txt itself; a redirect or retry of a request already counted
        if self._budget_spent():
            raise OverBudget(f"--max-pages {self.max_pages} reached")
        self.sent += 1
        request.meta["sent"] = True

    def _budget_spent(self) -> bool:
        spent = self.max_pages is not None and self.sent >= self.max_pages
        if spent and not self.budget_exhausted:
            logger.info("%s: reached --max-pages %d: what is left waits in the frontier for the next crawl",
                        self.source.id, self.max_pages)
            self.budget_exhausted = True
        return spent

    def _item(self, response: Response, error: str | None = None, request=None) -> PageItem:
        # A response refused inside the downloader middlewares is not yet tied to its request.
        request = request or response.request
        redirects = request.meta.get("redirect_urls") or []
        kind, url = request.meta.get("kind"), request.meta.get("canonical_url", response.url)
        moved_to = None
        if kind == "article" and redirects and not error and response.status == 200:
            moved_to = canonical_url(response.url, prefer_scheme=self.scheme)
            if _address(moved_to) in self.landing_pages:
                # A portal that removes an article often sends its readers to the home or a
                # section page: that page is not a new version of the article. By path and query
                # alone, since the source's other hosts (www. or not) serve the same home and
                # sections, and a first crawl, with no text of the article to compare, would
                # archive such a page as the article.
                error = ingest.redirected_away(response.url, "the source's home or listing page, not an article")
            if moved_to == url or error:
                moved_to = None
        return PageItem(
            source_id=self.source.id,
            kind=kind,
            url=url,
            requested_url=redirects[0] if redirects else request.url,
            response_url=response.url,
            moved_to=moved_to,
            status=response.status,
            headers={
                k.decode("latin-1"): b", ".join(v).decode("latin-1") for k, v in response.headers.items()
            },
            body=response.body,
            fetched_at=_now(),
            error=error or (None if response.status < 400 else f"HTTP {response.status}"),
            warc=request.meta.get("warc"),
            warc_hops=request.meta.get("warc_hops"),
        )

    def _article_requests(self, urls, *, entries_of: str | None = None):
        for url in urls:
            if request := self._article_request(url, entries_of):
                yield request

    def _article_request(self, url: str, entry_of: str | None = None):
        """The request for an article link, or None; ``entry_of``: the sitemap or feed the link is
        an entry of, counted when the pattern does not match it."""
        url = canonical_url(url, prefer_scheme=self.scheme)
        if not self.source.is_article(url):
            self._missed(url)
            if entry_of is not None:
                self._unmatched(url, entry_of)
            return None
        if not self.source.allows(url):
            # Not an article link the crawl met: a crawl that met only these archived nothing.
            if url not in self.outside:
                self.outside.add(url)
                self.crawler.stats.inc_value(OUTSIDE_LINKS_STAT)
            return None
        self.crawler.stats.inc_value(ingest.ARTICLE_LINKS_STAT)
        return self._request(url, self.parse_article, "article")

    def _unmatched(self, url: str, document: str):
        self.crawler.stats.inc_value(UNMATCHED_ENTRIES_STAT)
        shown = self.unmatched.setdefault(document, [])
        if len(shown) < MISSED_SHOWN and url not in shown:
            shown.append(url)

    def _unmatched_shown(self) -> list[str]:
        """Entries to show of those the pattern did not match: one from each of the first two
        sitemaps or feeds that had any, which may need different fixes (an m. host in one, a
        relative link in the other), or two from the only one."""
        documents = list(self.unmatched.items())
        if len(documents) == 1:
            return [f"{url} (in {documents[0][0]})" for url in documents[0][1]]
        return [f"{urls[0]} (in {document})" for document, urls in documents[:MISSED_SHOWN]]

    def _missed(self, url: str):
        """Keep the two longest links of the source's own that article_pattern did not match, to
        show when it matched none: an article's URL is most often the longest a page links to."""
        if len(self.missed) == MISSED_SHOWN and len(url) <= len(self.missed[-1]):
            return
        if url not in self.missed and self.source.allows(url):
            self.missed = sorted([*self.missed, url], key=len, reverse=True)[:MISSED_SHOWN]

    def parse_article(self, response: Response):
        yield self._item(response)

    def parse_sitemap(self, response: Response):
        if response.status != 200:
            yield self._item(response)
            return
        # Entries become requests one at a time as Scrapy pulls them: a sitemap may list 50,000
        # URLs, and neither its parsed entries nor its requests should all be in memory at once.
        # So the fetch row comes last, when it is known whether the whole sitemap could be read;
        # the entries read before a failure are still crawled.
        max_size = self.crawler.settings.getint("DOWNLOAD_MAXSIZE") if gzip_magic_number(response) else None
        entries = _sitemap_entries(response.body, gunzip_max_size=max_size)
        error = None
        read = 0
        while True:
            try:
                is_index, loc, lastmod = next(entries)
                read += 1
            except StopIteration:
                break
            except NotMarkup:
                error = NotASitemap("answered a gzip file holding no XML" if gzip_magic_number(response)
                                    else f"answered {_content_type(response)}, not XML")
                break
            except Exception as exc:  # a corrupt, oversized or unparsable sitemap is that sitemap's problem only
                error = exc
                break
            # Not response.urljoin: a sitemap has no HTML <base>, and looking for one needs the
            # whole body decoded as text.
            try:
                url = urljoin(response.url, loc)
            except ValueError:  # no URL can be made of it ("http://[::1"): the other entries still count
                continue
            if not is_index and self._unchanged_since_capture(url, lastmod):
                continue
            if is_index:
                request = self._request(url, self.parse_sitemap, "sitemap")
            else:
                request = self._article_request(url, response.url)
            if request:
                yield request
        if isinstance(error, SitemapCutShort):
            # A download cut off in transit reads as a whole sitemap of fewer entries.
            error = f"{error}; the {read} entries read before the cut are followed (not the last, which may be cut)"
            logger.warning("%s: sitemap cut short %s: %s", self.source.id, response.url, error)
            yield self._item(response, error=f"sitemap cut short: {error}")
        elif error is not None:
            logger.warning("%s: unreadable sitemap %s: %s", self.source.id, response.url, error)
            reason = str(error) if isinstance(error, NotASitemap) else _reason(error)
            yield self._item(response, error=f"unreadable sitemap: {reason}")
        else:
            yield self._item(response)

    def _unchanged_since_capture(self, url: str, lastmod: str | None) -> bool:
        """Whether the sitemap dates an archived article's last change before its content was
        last confirmed, so that asking for it again, even conditionally, would be wasted: a
        portal's sitemap lists every article it ever published, and each would cost a request
        and a share of --max-pages on every crawl. --backfill asks for them all the same."""
        if self.backfill or not lastmod:
            return False
        url = canonical_url(url, prefer_scheme=self.scheme)
        known = self.known.get(url)
        if known is None or not known.last_seen or not _surely_before(lastmod, known.last_seen):
            return False
        if url not in self.seen and url not in self.spared:
            self.spared.add(url)
            self.crawler.stats.inc_value(ingest.SITEMAP_UNCHANGED_STAT)
        return True

    def parse_feed(self, response: Response):
        if response.status != 200:
            yield self._item(response)
            return
        if not _starts_as_markup(response.body):
            # Parsed as XML anyway, JSON or a binary file would read as an <html> root.
            error = f"answered {_content_type(response)}, not XML"
            logger.warning("%s: unreadable feed %s: %s", self.source.id, response.url, error)
            yield self._item(response, error=f"unreadable feed: {error}")
            return
        try:
            root = _feed_root(response.body, response.url)
        except Exception as exc:  # an unparsable feed is that feed's problem only
            logger.warning("%s: unreadable feed %s: %s", self.source.id, response.url, exc)
            yield self._item(response, error=f"unreadable feed: {_reason(exc)}")
            return
        # Atom links first, joined against their xml:base: remove_namespaces renames that attribute.
        atom_links = [_atom_link(link) for link in root.xpath(_ATOM_LINKS)]
        selector = scrapy.Selector(root=root, type="xml")
        selector.remove_namespaces()
        root = selector.xpath("name(/*)").get() or ""
        if root not in _FEED_ROOTS:
            # A page that is no feed (a portal that moved its RSS serves its home page there).
            logger.warning("%s: unreadable feed %s: its root element is <%s>", self.source.id, response.url, root)
            yield self._item(response, error=f"unreadable feed: not an RSS or Atom feed (its root element is <{root}>)")
            return
        yield self._item(response)
        links = []
        for item in selector.xpath("//item"):
            links += [link for link in item.xpath("link/text()").getall() if link.strip()] or _permalink(item)
        joined = [_joined(response, link.strip()) for link in links if link.strip()]
        yield from self._article_requests((url for url in [*joined, *atom_links] if url), entries_of=response.url)

    def parse_listing(self, response: Response, listing: Listing, page: int):
        if response.status == 200 and (answered := _not_html(response)):
            # A "Xem thêm" (load more) address answering JSON for a page's script: the spider
            # can read no link in it, and it must not pass for a listing page that ended the paging.
            error = f"listing answered {answered}, not an HTML page"
            logger.warning("%s: %s: %s", self.source.id, response.url, error)
            yield self._item(response, error=error)
            return
        yield self._item(response)
        if response.status != 200:
            return
        href = None
        if listing.next:
            link = response.css(listing.next)
            href = link.attrib.get("href") if link else None
            next_url = _joined(response, href) if href else None
        else:
            next_url = listing.page_link(page + 1) if listing.page_url else None
        # The next page is the listing's, even where article_pattern matches it ("trang-10.htm"
        # under "-\d{2,}\.htm$"): requested as an article first, it could not be read as a listing page.
        next_page = next_url and canonical_url(next_url, prefer_scheme=self.scheme)
        articles = [url for url in self._listed_articles(response, "a") if url != next_page]
        yield from self._article_requests(articles)
        if listing.links:
            # Every article link on the page is followed; only the listing's own decide the paging.
            every = articles
            articles = [url for url in self._listed_articles(response, listing.links) if url != next_page]
            if page == 1 and every and not articles:
                # A mistyped selector would end the paging at the first page without a word.
                self.unpaged.append((listing.url, listing.links, len(every)))
        if not articles:
            # A listing page with no articles ends the paging: past the last page, or a
            # calendar that links to a next day forever.
            return
        if articles and not self.backfill and all(a in self.known or a in self.skipped_before for a in articles):
            # Stop when seen: everything on this page is archived, so older pages are too.
            logger.info("%s: %s page %d holds only archived articles; not paging further",
                        self.source.id, listing.url, page)
            return
        offered = self.listed.setdefault(listing.url, set())
        if offered.issuperset(articles):
            # A page already read under another number: many portals answer a page number past
            # the last with page 1 or the last page again, and would for every number after it.
            if page == 2 and not self.known:
                # On a first crawl, more likely a site ignoring the page number it was given.
                paging = f"page_url {listing.page_url!r}" if listing.page_url else f"the next selector {listing.next!r}"
                logger.warning("%s: listing %s: its page 2, %s, lists only articles its first page does, so the "
                               "listing was read no further: check %s against the site's own link to the listing's "
                               "second page (a listing of one page answering every page number with it says the "
                               "same)", self.source.id, listing.url, response.url, paging)
            else:
                logger.info("%s: %s page %d repeats the listing's earlier pages; not paging further",
                            self.source.id, listing.url, page)
            return
        offered.update(articles)
        if listing.next:
            if not href and page == 1:
                self._no_next_link(response, listing)
            if href:
                if next_url is None:
                    logger.warning("%s: %s page %d: next link %.100r is no URL, cannot be followed",
                                   self.source.id, listing.url, page, href)
                    return
                scheme = urlsplit(next_url).scheme
                if scheme not in ("http", "https"):
                    # An ASP.NET pager's __doPostBack link: a form post no request can replay.
                    logger.warning("%s: %s page %d: next link %.100r is %s:, cannot be followed; use page_url",
                                   self.source.id, listing.url, page, href, scheme)
                    return
                if page == 1 and self._leads_back(response, next_page, href):
                    self._next_to_itself(response, listing, link[0])
                    return
        if not next_url:
            return
        depth_limit = self.crawler.settings.getint("DEPTH_LIMIT")
        if depth_limit and response.meta.get("depth", 0) + 1 >= depth_limit:
            # Scrapy would fetch the next page and then drop its article links, one level deeper
            # than DEPTH_LIMIT, without a word.
            logger.warning("%s: %s: paging cut off at page %d by DEPTH_LIMIT (%d); later pages are not crawled",
                           self.source.id, listing.url, page, depth_limit)
            return
        fetched = self.source.is_article(next_page) and self._caught_by_pattern(listing, next_page)
        if request := self._request(next_url, self.parse_listing, "listing", listing=listing, page=page + 1):
            # Past Scrapy's duplicate filter, which holds the article request's fingerprint.
            yield request.replace(dont_filter=True) if fetched else request

    def _caught_by_pattern(self, listing: Listing, url: str) -> bool:
        """Say, once a listing, that article_pattern matches one of its pages; and whether that
        page was requested as an article already (linked from an earlier page's pager), in which
        case it is taken from the URLs seen, to be requested again as the listing's."""
        fetched = url in self.seen and url not in self.listing_pages
        if fetched:
            self.seen.discard(url)
        if listing.url not in self.caught:
            self.caught.add(listing.url)
            how = ("it was fetched as an article before the paging reached it, and is read again as a listing page"
                   if fetched else "it is read as a listing page, not archived as an article")
            logger.warning("%s: listing %s: its page %s matches article_pattern %r, so the pattern catches listing "
                           "pages: %s; narrow the pattern", self.source.id, listing.url, url,
                           self.source.article_pattern, how)
        return fetched

    def _leads_back(self, response: Response, url: str, href: str) -> bool:
        """Whether a next link leads to the page it is on, other than as a pager's disabled link
        (href "#" or empty) does."""
        here = {response.meta.get("canonical_url"), canonical_url(response.url, prefer_scheme=self.scheme)}
        return url in here and href.strip()[:1] not in ("", "#")

    def _next_to_itself(self, response: Response, listing: Listing, link):
        """Say that a listing's next selector matches, on its first page, a link to that page (the
        "1" of a pager, which a selector such as ".pagination a" matches first), showing the
        likeliest link to the next page."""
        likely = _pager_link(response, self._is_article_link, self._is_own_link)
        logger.warning("%s: listing %s: its next selector %r matches a link to its first page itself (%s), so only "
                       "that page is read; check the selector against the pager's link to the next page%s",
                       self.source.id, listing.url, listing.next, _shown(link), f", such as {likely}" if likely else "")

    def _no_next_link(self, response: Response, listing: Listing):
        """Say that a listing's next selector matched no link on its first page: a warning when the
        page has a link like a pager's all the same (a mistyped selector would read only that page),
        showing it; a note when it has none (a listing of one page, as many sections are)."""
        missed = _pager_link(response, self._is_article_link, self._is_own_link)
        if missed is None:
            logger.info("%s: listing %s: its next selector %r matches no link on its first page, which shows no "
                        "pager: a listing of one page", self.source.id, listing.url, listing.next)
            return
        logger.warning("%s: listing %s: its next selector %r matches no link with an href on its first page, so "
                       "only that page is read, though the page has a link that looks like its pager's: %s; check "
                       "the selector against that link", self.source.id, listing.url, listing.next, missed)

    def _is_article_link(self, url: str) -> bool:
        return urlsplit(url).scheme in ("http", "https") and self.source.is_article(
            canonical_url(url, prefer_scheme=self.scheme))

    def _is_own_link(self, url: str) -> bool:
        return self.source.allows(canonical_url(url, prefer_scheme=self.scheme))

    def _listed_articles(self, response: Response, selector: str) -> list[str]:
        """Article URLs linked from the elements ``selector`` matches (or from inside them)."""
        # One XPath over the document rather than one per matched element (half the time on a
        # listing page with fifty links).
        hrefs = response.xpath(f"({css2xpath(selector)})/descendant-or-self::a/@href").getall()
        joined = filter(None, (_joined(response, h) for h in hrefs))
        articles = []
        for url in {canonical_url(url, prefer_scheme=self.scheme) for url in joined}:
            if self.source.is_article(url):
                articles.append(url)
            else:
                self._missed(url)
        return articles

    def closed(self, reason):
        if unchanged := self.crawler.stats.get_value(ingest.SITEMAP_UNCHANGED_STAT):
            logger.info("%s: %d archived articles not asked for again: the sitemap dates their last change "
                        "before they were last fetched (--backfill asks for them)", self.source.id, unchanged)
        for url, selector, count in self.unpaged:
            logger.warning("%s: listing %s: its links selector %r holds none of the %d article links on its first "
                           "page, so the listing was not paged (its first page's article links were followed): "
                           "check the selector against the page", self.source.id, url, selector, count)
        if self.outside:
            logger.warning("%s: %d links matching article_pattern are outside allowed_domains %s, so were not "
                           "followed, e.g. %s", self.source.id, len(self.outside),
                           list(self.source.allowed_domains), min(self.outside))
        if unmatched := self.crawler.stats.get_value(UNMATCHED_ENTRIES_STAT):
            logger.warning("%s: %d sitemap and feed entries did not match article_pattern, so were not followed, "
                           "e.g. %s", self.source.id, unmatched, " and ".join(self._unmatched_shown()))
        if reason == "finished" and self.missed and not self.outside and not self._met_articles():
            logger.warning("%s: no link matched article_pattern %r; the URLs it was tested against are canonical "
                           "(IDNA host, percent-encoded path, home's scheme), such as %s", self.source.id,
                           self.source.article_pattern, " and ".join(self.missed))

    def on_error(self, failure: Failure):
        request = failure.request
        if failure.check(StorageFailed, OverBudget):
            return  # no fetch row, which would take it out of the frontier
        if failure.check(IgnoreRequest) and not getattr(failure.value, "response", None):
            # Not fetched on purpose (robots.txt, offsite): recorded, so nothing goes unexplained.
            error = f"skipped: {failure.value or 'ignored'}"[:500]
        else:
            response = getattr(failure.value, "response", None)
            if response is not None:
                refused = _describe(failure) if failure.check(ResponseRefused) else None
                yield self._item(response, refused, request=request)
                return
            error = _describe(failure)
        yield self._unfetched(
            request.meta.get("kind"), request.meta.get("canonical_url", request.url), request.url, error
        )

    def _unfetched(self, kind: str, url: str, requested_url: str, error: str) -> PageItem:
        """The record of a URL that got no response: skipped on purpose, or failed."""
        return PageItem(
            source_id=self.source.id, kind=kind, url=url, requested_url=requested_url, response_url=None,
            status=None, headers={}, body=b"", fetched_at=_now(), error=error,
        )


class OverBudget(IgnoreRequest):
    """A request held back by --max-pages: it stays in the frontier for the next crawl."""


# After robots.txt (100), so that what it skips costs nothing: see SourceSpider.admit.
PAGE_BUDGET_ORDER = 110


LOG_COUNT = "scrapy.extensions.logcount.LogCount"


class CrawlLogCount(LogCount):
    """Scrapy's log_count/<level> stats, of the crawl's own lines only.

    Each crawl's counter sits on the root logger, and the sources of one command are crawled in
    one process: every crawl counted every crawl's lines, and one source's error showed in all
    their crawls' stats."""

    def spider_opened(self, spider) -> None:
        super().spider_opened(spider)
        self.handler.addFilter(_CrawlLines(spider))


class _CrawlLines(logging.Filter):
    """A crawl's own log lines: Scrapy's, which carry their spider, and the project's, which
    begin with the source's id."""

    def __init__(self, spider):
        super().__init__()
        self.spider = spider
        self.prefix = f"{spider.source.id}: "

    def filter(self, record) -> bool:
        owner = getattr(record, "spider", None)
        if owner is not None:
            return owner is self.spider
        try:
            return record.getMessage().startswith(self.prefix)
        except Exception:  # a line whose arguments do not fit its message is counted by no crawl
            return False


class PageBudgetMiddleware:
    """Downloader middleware holding the crawl to its --max-pages (SourceSpider.admit)."""

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_request(self, request):
        self.crawler.spider.admit(request)


def _pages_sent(db, crawl_id: int) -> int:
    """The pages of ``crawl_id`` and of every crawl it resumes: what a resumed crawl has spent
    of its --max-pages already."""
    pages = 0
    while crawl_id is not None:
        pages += ingest.fetch_counts(db, crawl_id)[0]
        crawl_id = db.execute("select resumed_from from crawls where id = ?", [crawl_id]).fetchone()[0]
    return pages


def spider_for(source: Source, *, queue_dir: str | None = None) -> type[SourceSpider]:
    """A SourceSpider subclass carrying the source's settings as Scrapy custom_settings.

    ``queue_dir`` becomes the crawl's JOBDIR, so its scheduler queue lives on disk and memory
    stays flat however large the frontier grows. It is a scratch folder: resuming works from the
    frontier table, which (unlike JOBDIR) also keeps the requests in flight at a crash.
    """
    settings = {}
    if queue_dir:
        settings["JOBDIR"] = queue_dir
    if source.delay is not None:
        settings["DOWNLOAD_DELAY"] = source.delay
        settings["AUTOTHROTTLE_START_DELAY"] = source.delay
    if source.concurrency is not None:
        settings["CONCURRENT_REQUESTS_PER_DOMAIN"] = source.concurrency
        settings["AUTOTHROTTLE_TARGET_CONCURRENCY"] = float(source.concurrency)
    return type(f"SourceSpider[{source.id}]", (SourceSpider,), {"custom_settings": settings})


def _address(url: str) -> tuple[str, str]:
    """A URL's path and query: where a page is on whichever of a source's hosts serves it."""
    parts = urlsplit(url)
    # An empty path is the root: a home written without its slash is the page "/" redirects to.
    return parts.path or "/", parts.query


# Root elements of RSS 2.0, Atom and RSS 1.0 (rdf:RDF), namespaces removed.
_FEED_ROOTS = {"rss", "feed", "RDF"}


# An Atom entry's link to its article, namespaces or none.
_ATOM_LINKS = ("//*[local-name()='entry']/*[local-name()='link'][not(@rel) or @rel='alternate']")


def _atom_link(link) -> str | None:
    """An Atom link's URL, its href joined against its xml:base (or the feed's URL), or None for
    one no URL can be made of: one bad link ("http://[::1") must not cost the feed's others."""
    href = link.get("href", "").strip()
    try:
        return urljoin(link.base or "", href) if href else None
    except ValueError:
        return None


def _feed_root(body: bytes, url: str):
    """A feed's root element, decoded as its byte order mark or XML declaration says (parsel
    would read its bytes as UTF-8 whatever they declare, and a windows-1258 feed's Vietnamese
    article URLs would become U+FFFD). Raises NotMarkup for a body holding no element."""
    parser = lxml.etree.XMLParser(recover=True, resolve_entities=False, no_network=True, remove_comments=True,
                                  huge_tree=True)
    root = lxml.etree.fromstring(_escape_ampersands(body), parser=parser, base_url=url)
    if root is None:
        raise NotMarkup("no XML element in it")
    return root


# An '&' that begins no entity or character reference.
_BARE_AMPERSAND = re.compile(rb"&(?!(?:[A-Za-z_:][\w.:-]*|#[0-9]+|#x[0-9A-Fa-f]+);)")


def _escape_ampersands(body: bytes) -> bytes:
    """A sitemap or feed with its bare '&' escaped: ASP.NET portals write "tin.aspx?ItemID=501&CateID=12"
    unescaped, which lxml's recovering parser reads as "ItemID=501=12". A UTF-16 or UTF-32 body,
    whose '&' is not one byte, is left as it is."""
    if b"\x00" in body[:4]:
        return body
    return _BARE_AMPERSAND.sub(b"&amp;", body)


def _permalink(item) -> list[str]:
    """An RSS item's <guid> as its URL, for feeds that give some items no <link>: only when the
    guid says it is a permalink (isPermaLink absent means true, as RSS 2.0 defines it) and is
    an absolute http(s) URL, since a guid may be any unique string."""
    guid = item.xpath("guid[1]")
    if not guid or guid.attrib.get("isPermaLink", "true").strip().lower() != "true":
        return []
    url = (guid.xpath("text()").get() or "").strip()
    parts = urlsplit(url)
    return [url] if parts.scheme in ("http", "https") and parts.netloc else []


# What a pager's link to the next page says (casefolded, arrows and spaces stripped off its ends):
# Vietnamese portals' words and the usual English ones. A link of arrows alone says it too.
_NEXT_WORDS = frozenset({"sau", "trang sau", "tiếp", "tiếp theo", "trang tiếp", "trang tiếp theo", "kế tiếp",
                         "trang kế", "trang kế tiếp", "xem tiếp", "tin tiếp", "cũ hơn", "tin cũ hơn", "bài cũ hơn",
                         "next", "next page", "older", "older posts", "older entries"})
_NEXT_ARROWS = "›»>→⟩❯▶▸≫⇒"
# A pager's other links: a page by its number (a 0-based or offset pager's URL need not hold
# it), its last page.
_PAGER_LABEL = re.compile(r"(?:trang |page )?2|trang cuối|cuối|last|last page")
# A link's own class saying it leads to the next page (next, page-next, pager__item--next).
_NEXT_CLASS = re.compile(r"(?<![a-z])next(?![a-z])")
# The class of an icon-only next link, or of the icon inside it (Font Awesome, Bootstrap icons).
_NEXT_ICON = re.compile(r"(?<![a-z])(?:next|(?:angle|chevron|arrow|caret)-right)(?![a-z])")


def _pager_link(response: Response, is_article, allows) -> str | None:
    """The link on a listing page most like a pager's link to its next page, as HTML shortened to
    200 characters, or None: rel next first, then one whose words or class say next ("Trang sau"),
    then arrows or a next icon alone ("»"), then another of a pager's ("2", "Trang cuối"), the
    first in the page of its kind. Links back to the page itself, article links, links off the
    source's domains and javascript: links (a slider's arrows) are not a pager's."""
    here = urlsplit(response.url)._replace(fragment="").geturl()
    best = None
    for link in response.xpath("//a[@href] | //link[@href]"):
        url = _joined(response, link.attrib["href"])
        if url is None or urlsplit(url).scheme not in ("http", "https") or not allows(url):
            continue
        if urlsplit(url)._replace(fragment="").geturl() == here or is_article(url):
            continue
        rank = _next_rank(link)
        if rank is not None and (best is None or rank < best[0]):
            best = (rank, _shown(link))
    return best and best[1]


def _next_rank(link) -> int | None:
    """How surely a link leads to the next page, 0 the surest (rel next), 3 the least (another of
    a pager's links), None for a link no pager's."""
    if "next" in link.attrib.get("rel", "").casefold().split():
        return 0
    if link.root.tag != "a":
        return None
    text = _label(link.xpath("string()").get())
    labels = [text, *map(_label, (link.attrib.get("title"), link.attrib.get("aria-label"))),
              *map(_label, link.xpath(".//img/@alt").getall())]
    words = [label.strip(_NEXT_ARROWS + " ") for label in labels if label]
    if any(w in _NEXT_WORDS for w in words) or _NEXT_CLASS.search(link.attrib.get("class", "").casefold()):
        return 1
    icons = " ".join(link.xpath("descendant-or-self::*/@class").getall()).casefold()
    if "" in words or (not text and _NEXT_ICON.search(icons)):
        return 2
    return 3 if any(_PAGER_LABEL.fullmatch(label) for label in labels) else None


def _label(text: str | None) -> str:
    return unicodedata.normalize("NFC", " ".join((text or "").split())).casefold()


def _joined(response: Response, href: str) -> str | None:
    """A link's absolute URL, or None for one no URL can be made of (an IPv6 host never closed,
    as in "http://[::1"): one bad link on a page must not cost the page's others."""
    try:
        return response.urljoin(href)
    except ValueError:
        return None


def _shown(link) -> str:
    return " ".join(link.get().split())[:200]


class NotASitemap(ValueError):
    pass


class NotMarkup(ValueError):
    """A body that is not XML or HTML at all: JSON, a binary file."""




def _starts_as_markup(body: bytes) -> bool:
    """Whether a body begins as XML and HTML do, with '<'."""
    head = body[:1024]
    for mark, _ in BYTE_ORDER_MARKS:
        if head.startswith(mark):
            head = head[len(mark):]
            break
    # A UTF-16 or UTF-32 '<' is the same byte beside NULs.
    return head.replace(b"\x00", b"").lstrip().startswith(b"<")


def _content_type(response: Response) -> str:
    value = (response.headers.get("Content-Type") or b"").decode("latin-1")
    return value.split(";")[0].strip().lower() or "no content type"


def _not_html(response: Response) -> str | None:
    """What a listing page answered that no link can be read from (its content type, JSON
    under another type), or None for an HTML or XML page."""
    if not isinstance(response, TextResponse) or response.selector.type not in ("html", "xml"):
        return _content_type(response)
    if response.selector.type == "html" and response.body[:1024].lstrip()[:1] in (b"{", b"["):
        # JSON sent as text/html, which lxml would read as a page of text with no links.
        try:
            json.loads(response.body)
        except ValueError:
            return None
        return f"JSON (as {_content_type(response)})"
    return None


class SitemapCutShort(ValueError):
    """A sitemap whose gzip stream or XML ends before its end: a download cut off."""


def _sitemap_entries(body: bytes, *, gunzip_max_size: int | None = None):
    """(is the sitemap an index, loc, lastmod or None) for each entry of a sitemap, parsed as it is iterated.

    Scrapy's Sitemap parses incrementally and frees each entry's elements once read, so the
    memory this takes does not grow with the number of entries. A sitemap cut short raises
    SitemapCutShort once the entries before the cut are read.
    """
    cut = None
    if gunzip_max_size is not None:
        body, cut = _gunzip(body, gunzip_max_size)
    if not _starts_as_markup(body):
        raise SitemapCutShort(cut) if cut else NotMarkup()
    try:
        sitemap = Sitemap(_escape_ampersands(body))
    except StopIteration:  # Scrapy's Sitemap reads the root element as it is made: there is none
        raise (SitemapCutShort(cut) if cut else NotASitemap("no XML element in it")) from None
    if sitemap.type not in ("urlset", "sitemapindex"):
        raise NotASitemap(f"not a sitemap (its root element is <{sitemap.type}>)")
    is_index = sitemap.type == "sitemapindex"
    # Each entry is given once the next is read: the last of a sitemap cut short may be cut
    # itself ("…/tin-tuc/bai-24.ht"), and is not given.
    held = None
    for entry in sitemap:
        if loc := entry.get("loc"):
            if held:
                yield held
            held = is_index, loc, entry.get("lastmod")
    if cut:
        raise SitemapCutShort(cut)
    if sitemap.xmliter.error_log.filter_types([lxml.etree.ErrorTypes.ERR_TAG_NOT_FINISHED]):
        # lxml's recovering parser closes what was left open without a word.
        raise SitemapCutShort(f"its XML ends inside <{sitemap.type}>, before its closing tag")
    if held:
        yield held


def _gunzip(body: bytes, max_size: int) -> tuple[bytes, str | None]:
    """A gzip sitemap's content, and what cut it short or None. It is read as a gzip-coded
    body is (crawler.decoding), not by Scrapy's gunzip, which returns what it could inflate of
    a file cut off in transit as if it were whole."""
    try:
        return decode(body, "gzip", max_size), None
    except BodyTooLarge as exc:
        raise NotASitemap(f"its gzip file decodes to more than {exc.limit} bytes (DOWNLOAD_MAXSIZE)") from None
    except DECODE_ERRORS as exc:
        raise NotASitemap(f"its gzip file is damaged ({exc})") from None
    except BodyTruncated as exc:
        if not exc.decoded:
            raise SitemapCutShort("the gzip file ends before any XML") from None
        return exc.decoded, f"the gzip file ends after {len(exc.decoded)} bytes of XML, before its end-of-stream marker"


# A time without a zone may be in any of them, from UTC-12 to UTC+14.
_LATEST_ZONE = timezone(timedelta(hours=-12))


def _surely_before(lastmod: str, confirmed: str) -> bool:
    """Whether a sitemap <lastmod> (W3C datetime) falls before ``confirmed`` (an ISO time)
    however it is read: a day alone stands for its last moment, a time without a zone for its
    westernmost. A value that does not parse is never before anything."""
    lastmod = lastmod.strip()
    try:
        changed = datetime.fromisoformat(lastmod)
        confirmed_at = datetime.fromisoformat(confirmed)
    except ValueError:
        return False
    if len(lastmod) <= len("2026-11-26"):
        changed += timedelta(days=1)
    if changed.tzinfo is None:
        changed = changed.replace(tzinfo=_LATEST_ZONE)
    if confirmed_at.tzinfo is None:
        confirmed_at = confirmed_at.replace(tzinfo=timezone.utc)
    return changed < confirmed_at


def _describe(failure: Failure) -> str:
    return _reason(failure.value)


def _reason(exc: BaseException) -> str:
    """"Type: message", falling back on the cause when Scrapy raises an exception bare."""
    name = type(exc).__name__
    message = str(exc).strip()
    cause = exc.__cause__ or exc.__context__
    if not message and cause is not None:
        message = f"{type(cause).__name__}: {str(cause).strip()}".rstrip(": ")
    return f"{name}: {message or 'no detail given'}"[:500]


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")
