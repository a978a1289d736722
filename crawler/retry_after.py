"""Honouring Retry-After: a server that says when to come back (429, 503) is retried then.

Scrapy's RetryMiddleware retries 429 and 503 at once, which is exactly what a rate-limited
server asked us not to do. This middleware sits just before it on the way back from the
downloader and, when the response carries a Retry-After of at most ARCHIVE_RETRY_AFTER_MAX
seconds, waits that long before passing the response on to be retried. A longer wait is not
worth holding the request for: the answer is kept as it is (its fetch row shows the status)
and the next scheduled crawl tries the URL again.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

from scrapy.exceptions import NotConfigured

logger = logging.getLogger(__name__)

STATUSES = (429, 503)


class RetryAfterMiddleware:
    def __init__(self, crawler, cap: float, retry_times: int):
        self.crawler = crawler
        self.cap = cap
        self.retry_times = retry_times

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        if not settings.getbool("RETRY_ENABLED"):
            raise NotConfigured("RETRY_ENABLED is off")
        return cls(crawler, settings.getfloat("ARCHIVE_RETRY_AFTER_MAX"), settings.getint("RETRY_TIMES"))

    async def process_response(self, request, response):
        if response.status not in STATUSES or request.meta.get("dont_retry"):
            return response
        delay = retry_after_seconds(response.headers.get("Retry-After"), response.headers.get("Date"))
        if delay is None:
            return response
        if request.meta.get("retry_times", 0) >= request.meta.get("max_retry_times", self.retry_times):
            return response  # RetryMiddleware gives up on it: nothing to wait for
        if delay > self.cap:
            stats = self.crawler.stats
            stats.inc_value("govarchive/retry_after_too_long")
            # Said where a quiet or scheduled crawl shows it, or its fetches fail with no reason
            # but their status; once a crawl, as a rate-limited site answers every page so.
            first = stats.get_value("govarchive/retry_after_too_long") == 1
            (logger.warning if first else logger.info)(
                "%s answered %d asking to wait %.0f s (Retry-After) before trying again, more than "
                "ARCHIVE_RETRY_AFTER_MAX (%.0f s): not retried, the source's next crawl asks again%s",
                request.url, response.status, delay, self.cap,
                "; other such answers in this crawl are logged at INFO level" if first else "",
            )
            request.meta["dont_retry"] = True
            return response
        self.crawler.stats.inc_value("govarchive/retry_after_waits")
        await asyncio.sleep(delay)
        return response


def retry_after_seconds(value: bytes | str | None, date: bytes | str | None = None,
                        now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After value (delay-seconds or an HTTP date); None if unreadable.

    A date is measured from the response's own Date header (``date``) when it can be read, as
    RFC 9110 allows: both then come from the server's clock, which may be hours off ours. Only
    without one is it measured from our clock (``now``, by default the time now)."""
    text = _text(value)
    if not text:
        return None
    if text.isdigit():
        return float(text)
    when = _http_date(text)
    if when is None:
        return None
    sent = _http_date(_text(date)) or now or datetime.now(timezone.utc)
    return max(0.0, (when - sent).total_seconds())


def _text(value: bytes | str | None) -> str:
    text = value.decode("latin-1") if isinstance(value, bytes) else value or ""
    return text.strip()


def _http_date(text: str) -> datetime | None:
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)
