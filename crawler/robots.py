"""Scrapy's RobotsTxtMiddleware, made safe for requests that arrive while robots.txt loads.

Scrapy (2.19) parks every request for a host on one Deferred while that host's robots.txt is
being fetched, and awaits it once per request. A Deferred hands its result to the first
awaiter only; the others receive None, which the middleware reads as "no robots.txt" and lets
them through. A crawl that starts with many requests for one host at once (a resumed crawl)
then fetches pages robots.txt forbids. Here each waiter waits on its own Deferred and reads
the parser from the middleware once the fetch is done.
"""

from __future__ import annotations

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware as ScrapyRobotsTxtMiddleware
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred


class RobotsTxtMiddleware(ScrapyRobotsTxtMiddleware):
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
