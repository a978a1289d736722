"""Responses Scrapy drops with IgnoreRequest, turned into errors the archive records.

The spider reads IgnoreRequest as "not fetched on purpose" (robots.txt, offsite links) and
writes no fetch row. Scrapy also raises it for responses it did fetch and then threw away: the
eleventh redirect of a chain, a body that decompresses past DOWNLOAD_MAXSIZE (a gzip bomb).
These subclasses raise ResponseRefused instead, so the errback writes a fetch row saying why;
so does a body that is cut short or does not decode.

Redirects get two more checks. One that loops or leaves allowed_domains is refused at once:
otherwise Scrapy's dupe filter or offsite filter drops the next request silently, and the URL
that redirected is left without a fetch row. And a redirect to a URL fetched before is fetched
again rather than dropped by the dupe filter, for the same reason: the spider already requests
each URL once, so the dupe filter only ever sees redirects.
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from scrapy import Request
from scrapy.downloadermiddlewares import httpcompression, redirect
from scrapy.exceptions import IgnoreRequest

from archive.sources import url_in_domains
from crawler.decoding import DECODE_ERRORS, BodyTooLarge, BodyTruncated, decode


class ResponseRefused(Exception):
    """A response that was fetched and not used; the message says why. ``response``, when
    given, is recorded in the fetch row with its status and WARC record."""

    def __init__(self, message: str, response=None):
        super().__init__(message)
        self.response = response


CONDITIONAL_HEADERS = (b"If-None-Match", b"If-Modified-Since")


class _RecordedRedirects:
    def process_response(self, request, response):
        chain = [*request.meta.get("redirect_urls", []), request.url]
        try:
            result = super().process_response(request, response)
        except IgnoreRequest:
            raise ResponseRefused(
                f"more than {self.max_redirect_times} redirects (REDIRECT_MAX_TIMES), from {chain[0]}"
            ) from None
        if not isinstance(result, Request) and result is response and response.status in REDIRECTS:
            # Scrapy hands back a redirect to file:, ftp:, data: … as it came: stored as a page,
            # the article's answer was neither an error nor a version, and it left every count.
            target = _location(response)
            if target and urlsplit(target).scheme not in ("http", "https"):
                raise ResponseRefused(f"redirect to {target[:200]}, not an http(s) address", response=response)
        if isinstance(result, Request):
            parts = urlsplit(result.url)
            if parts.username is not None or parts.password is not None:
                # No credential is sent anywhere; said so rather than failing as "robots.txt
                # unavailable" for the whole host.
                raise ResponseRefused(f"redirect to {parts.scheme}://…@{parts.hostname}{parts.path}, an address "
                                      "with a user name or password, not followed")
            if result.url in chain:
                raise ResponseRefused(f"redirect loop: {request.url} redirects to {result.url}")
            domains = getattr(self.crawler.spider, "allowed_domains", None)
            if domains and not url_in_domains(result.url, domains):
                raise ResponseRefused(f"redirect to {result.url}, outside allowed_domains")
            # dont_filter also lifts Scrapy's offsite filter: the domain check above is what
            # keeps redirects on the source.
            result.dont_filter = True
            if urlsplit(result.url)[1:] != urlsplit(request.url)[1:]:
                # The validators are those of the page asked for: sent to another page they would
                # let it answer 304, and the page asked for would pass as unchanged, its move
                # or removal never seen. Only the same page on another scheme may use them.
                for name in CONDITIONAL_HEADERS:
                    result.headers.pop(name, None)
        return result


REDIRECTS = (301, 302, 303, 307, 308)


def _location(response) -> str | None:
    location = response.headers.get(b"Location")
    if not location:
        return None
    try:
        return urljoin(response.url, location.decode("latin-1").strip())
    except ValueError:  # no URL can be made of it
        return location.decode("latin-1").strip()


class RedirectMiddleware(_RecordedRedirects, redirect.RedirectMiddleware):
    pass


class MetaRefreshMiddleware(_RecordedRedirects, redirect.MetaRefreshMiddleware):
    pass


class HttpCompressionMiddleware(httpcompression.HttpCompressionMiddleware):
    """Scrapy's, decoding with crawler.decoding: a body whose compressed stream is cut short
    or does not decode is refused, not archived as the part of the page that decoded."""

    def process_response(self, request, response):
        codings = b", ".join(response.headers.getlist("Content-Encoding")).decode("latin-1")
        try:
            return super().process_response(request, response)
        except BodyTooLarge as exc:
            raise ResponseRefused(
                f"body of {len(response.body)} B compressed ({codings}) exceeded DOWNLOAD_MAXSIZE "
                f"({exc.limit} B) during decompression", response,
            ) from None
        except BodyTruncated as exc:
            raise ResponseRefused(f"body cut short: {exc} ({codings})", response) from None
        except DECODE_ERRORS as exc:
            raise ResponseRefused(f"body does not decode as {codings}: {exc}", response) from None

    @staticmethod
    def _decode(body: bytes, encoding: bytes, max_size: int) -> bytes:
        return decode(body, encoding.decode("ascii"), max_size)
