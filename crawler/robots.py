"""Scrapy's RobotsTxtMiddleware with two corrections.

Requests that arrive while robots.txt loads: Scrapy (2.19) parks every request for a host on
one Deferred and awaits it once per request. A Deferred hands its result to the first awaiter
only; the others receive None, which the middleware reads as "no robots.txt" and lets them
through, so a crawl that starts with many requests for one host (a resumed crawl) fetched pages
robots.txt forbids. Here each waiter waits on its own Deferred and then reads the parser.

A robots.txt that cannot be read: Scrapy allows everything when robots.txt answers 5xx or not
at all. RFC 9309 (2.3.1.4) says a server error or an unreachable robots.txt means "assume
complete disallow": a portal whose robots.txt is down is not crawled until it is back, and every
request it would have made is recorded as skipped with the reason. A robots.txt that came but
could not be recorded (the WARC folder cannot be written) is not the site's failing, and not an
absent robots.txt either, which Scrapy takes any IgnoreRequest for: the crawl stops for the
storage failure, and the requests waiting on robots.txt stay in the frontier for --resume.
"""

from __future__ import annotations

import logging

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware as ScrapyRobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred

from archive.ingest import ROBOTS_UNAVAILABLE
from crawler.frontier import StorageFailed, stop_for_storage

logger = logging.getLogger(__name__)


class Unavailable:
    """Stands in for the parser of a host whose robots.txt could not be read."""

    def __init__(self, reason: str):
        self.reason = reason

    def allowed(self, url, user_agent) -> bool:
        return False


class NotRecorded(Unavailable):
    """Stands in for the parser of a host whose robots.txt could not be recorded."""


class RobotsTxtMiddleware(ScrapyRobotsTxtMiddleware):
    def __init__(self, crawler):
        super().__init__(crawler)
        # A Crawl-delay of a day would stall the crawl: past this, the source is crawled this slowly.
        self._max_crawl_delay = crawler.settings.getfloat("ARCHIVE_ROBOTS_MAX_DELAY")
        self._capped: set[str] = set()

    async def robot_parser(self, request):
        netloc = urlparse_cached(request).netloc
        pending = self._parsers.get(netloc)
        if isinstance(pending, Deferred):
            mine = Deferred()

            def relay(result):
                mine.callback(None)
                return result

            pending.addBoth(relay)
            await maybe_deferred_to_future(mine)
            return self._parsers.get(netloc)
        return await super().robot_parser(request)

    def process_request_2(self, rp, request) -> None:
        if isinstance(rp, NotRecorded):
            raise StorageFailed(f"robots.txt could not be recorded ({rp.reason})")
        if isinstance(rp, Unavailable):
            self._stats.inc_value("robotstxt/unavailable")
            raise IgnoreRequest(f"{ROBOTS_UNAVAILABLE} ({rp.reason}), so nothing on this host is fetched")
        super().process_request_2(rp, request)
        if rp is not None:
            self._keep_crawl_delay(rp, request)

    def _keep_crawl_delay(self, rp, request) -> None:
        """Requests to a host whose robots.txt sets a Crawl-delay go at most one per that delay.

        Scrapy's parsers read the directive but its middleware does nothing with it. The host's
        download slot gets the delay exactly (no jitter, which would halve it at times), for a
        slot made later too, and AutoThrottle is kept from lowering it again.
        """
        agent = self._robotstxt_useragent or request.headers.get(b"User-Agent", self._default_useragent)
        delay = rp.crawl_delay(agent)
        if not delay:
            return
        if delay > self._max_crawl_delay:
            host = urlparse_cached(request).netloc
            if host not in self._capped:
                self._capped.add(host)
                logger.warning("%s asks for a Crawl-delay of %s s; waiting ARCHIVE_ROBOTS_MAX_DELAY (%s s) instead",
                               host, delay, self._max_crawl_delay)
            delay = self._max_crawl_delay
        request.meta["autothrottle_dont_adjust_delay"] = True
        downloader = self.crawler.engine.downloader
        key = downloader.get_slot_key(request)
        slot_settings = downloader.per_slot_settings.setdefault(key, {})
        if slot_settings.get("delay", 0) < delay:
            slot_settings.update(delay=delay, jitter=0)
        slot = downloader.slots.get(key)
        if slot is not None and (slot.delay < delay or slot.jitter):
            slot.delay, slot.jitter = max(slot.delay, delay), 0

    async def _parse_robots(self, response, netloc, request) -> None:
        if response.status >= 500:
            self._stats.inc_value("robotstxt/response_count")
            self._stats.inc_value(f"robotstxt/response_status_count/{response.status}")
            self._settle(netloc, Unavailable(f"HTTP {response.status}"))
            return
        await super()._parse_robots(response, netloc, request)

    def _robots_error(self, exc: Exception, netloc: str) -> None:
        if isinstance(exc, StorageFailed):
            cause = exc.__cause__ or exc
            stop_for_storage(self.crawler, f"recording robots.txt of {netloc}", cause)
            self._settle(netloc, NotRecorded(f"{type(cause).__name__}: {cause}"[:200]))
            return
        if isinstance(exc, IgnoreRequest):
            super()._robots_error(exc, netloc)
            return
        self._stats.inc_value(f"robotstxt/exception_count/{type(exc)}")
        self._settle(netloc, Unavailable(f"{type(exc).__name__}: {exc}".strip()[:200]))

    def _settle(self, netloc: str, parser: Unavailable) -> None:
        pending = self._parsers[netloc]
        self._parsers[netloc] = parser
        if isinstance(pending, Deferred):
            pending.callback(parser)
