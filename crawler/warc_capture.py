"""Downloader middleware writing every HTTP exchange to WARC, exactly as it came off the wire.

It sits next to the downloader (order 950), so it sees each response before decompression,
redirect handling and retries: redirects, robots.txt and error pages are captured too. The
pointer to the response record travels in ``request.meta["warc"]`` to the pipeline, and those of
the redirects and retries before it in ``request.meta["warc_hops"]``. A WARC file that cannot be
written (a full disk) stops the crawl, leaving the pages not captured in its frontier.

A request sent with the validators of an archived capture may carry that capture's pointer (as
``meta["warc"]`` holds one) in ``request.meta["validators_from"]``: a 304 answer's revisit
record then names the capture it confirms, not only its URI.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timezone
from http import HTTPStatus
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.exceptions import NotConfigured

from archive.captures import CaptureMissing, read_hop
from archive.warc import (
    DEFAULT_LEVEL, DEFAULT_MAX_SIZE, RecordUnreadable, WarcFileWriter, default_warc_dir, reference_for,
)
from crawler.archive_signals import before_commit
from crawler.frontier import StorageFailed, stop_for_storage, storage_failed
from crawler.refusals import CONDITIONAL_HEADERS

logger = logging.getLogger(__name__)


class WarcCaptureMiddleware:
    def __init__(self, crawler, directory, max_size, level):
        self.crawler = crawler
        self.db_path = crawler.settings.get("ARCHIVE_DB") or "."
        self.directory = directory
        self.max_size = max_size
        self.level = level
        self.writer = None
        # The fetch rows' name for the current WARC file, worked out once per file.
        self._reference = (None, None)

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        if not settings.getbool("ARCHIVE_WARC_ENABLED", True):
            raise NotConfigured("ARCHIVE_WARC_ENABLED is off")
        directory = settings.get("ARCHIVE_WARC_DIR")
        if not directory:
            if not settings.get("ARCHIVE_DB"):
                raise NotConfigured("neither ARCHIVE_WARC_DIR nor ARCHIVE_DB is set")
            directory = default_warc_dir(settings.get("ARCHIVE_DB"))
        middleware = cls(
            crawler,
            directory,
            settings.getint("ARCHIVE_WARC_MAX_SIZE", DEFAULT_MAX_SIZE),
            settings.getint("ARCHIVE_WARC_GZIP_LEVEL", DEFAULT_LEVEL),
        )
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(middleware.headers_received, signal=signals.headers_received)
        crawler.signals.connect(middleware.sync, signal=before_commit)
        return middleware

    def _writer(self, spider) -> WarcFileWriter:
        if self.writer is None:
            source = getattr(spider, "source", None)
            source_id = source.id if source else spider.name
            crawl_id = getattr(spider, "crawl_id", None)
            stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
            info = {"isPartOf": f"{source_id} crawl {crawl_id}",
                    "http-header-user-agent": self.crawler.settings.get("USER_AGENT"),
                    "robots": "obey" if self.crawler.settings.getbool("ROBOTSTXT_OBEY") else "ignore"}
            if operator := self.crawler.settings.get("ARCHIVE_WARC_OPERATOR"):
                info = {"operator": operator, **info}
            self.writer = WarcFileWriter(
                self.directory, prefix=f"{source_id}-{stamp}-c{crawl_id}", info=info,
                max_size=self.max_size, level=self.level,
            )
        return self.writer

    # A record's WARC-Date is when its capture began (WARC 1.1 §5.4), not when the body had all
    # arrived: noted as the request passes here, again for each redirect or retry (their meta
    # is a copy of the first's), and moved back to when the download handler sent it once its
    # headers are in, since a request waits in its site's slot (DOWNLOAD_DELAY, AutoThrottle)
    # after passing here.
    def process_request(self, request):
        request.meta["warc_started"] = time.time()

    def headers_received(self, headers, body_length, request, spider):
        latency = request.meta.get("download_latency")  # the handler's, from sending to headers
        if latency is not None:
            request.meta["warc_started"] = time.time() - latency

    def process_response(self, request, response):
        if storage_failed(self.crawler):
            # A failed write may have left half a record behind; nothing is written after it.
            raise StorageFailed("the crawl is stopping: the archive could not be written")
        try:
            reason = HTTPStatus(response.status).phrase
        except ValueError:
            reason = ""
        try:
            pointer = self._writer(self.crawler.spider).write_exchange(
                url=request.url,
                method=request.method,
                request_headers=_with_host(_pairs(request.headers), request.url),
                request_body=request.body or b"",
                status=response.status,
                reason=reason,
                response_headers=_pairs(response.headers),
                body=response.body,
                fetched_at=_started(request),
                ip=str(response.ip_address) if response.ip_address else None,
                protocol=response.protocol or "HTTP/1.1",
                refers_to=self._validated_capture(request) if response.status == 304 else None,
            )
        except OSError as exc:
            stop_for_storage(self.crawler, f"writing WARC files in {self.directory}", exc)
            raise StorageFailed(f"not captured: {exc}") from exc
        if self._reference[0] != pointer.file:
            self._reference = (pointer.file, reference_for(self.writer.directory / pointer.file, self.db_path))
        if "warc" in request.meta:
            # A redirect or a retry copies its request's meta: the exchanges before this one are
            # part of the same fetch, and an export needs them to replay the URL asked for.
            request.meta["warc_hops"] = [*request.meta.get("warc_hops", ()), request.meta["warc"]]
        request.meta["warc"] = {
            "file": self._reference[1],
            "offset": pointer.offset,
            "length": pointer.length,
        }
        self.crawler.stats.inc_value("govarchive/warc_records", 2)
        return response

    def _validated_capture(self, request) -> dict[str, str] | None:
        """The WARC headers of the capture whose validators the request was sent with, when it
        names one and its record can still be read. A redirect to another page copies the meta
        but not the validators (refusals): a 304 there confirms nothing of that capture."""
        pointer = request.meta.get("validators_from")
        if not pointer or not any(request.headers.get(name) for name in CONDITIONAL_HEADERS):
            return None
        try:
            return read_hop(self.db_path, pointer).warc_headers
        except (CaptureMissing, RecordUnreadable) as exc:
            logger.warning("%s: the capture its validators came from cannot be read: %s", request.url, exc)
            return None

    def sync(self):
        """Make the records written so far durable before the pipeline commits rows pointing to them."""
        if self.writer is None or storage_failed(self.crawler):
            return
        try:
            self.writer.sync()
        except OSError as exc:
            stop_for_storage(self.crawler, f"writing WARC files in {self.directory}", exc)

    def spider_closed(self, spider, reason):
        if self.writer is None:
            return
        try:
            self.writer.close()
        except OSError:
            # The write that stopped the crawl left bytes behind that no flush can write.
            if not storage_failed(self.crawler):
                raise
        logger.info("WARC: %d records in %s", self.writer.records, self.directory)


def _started(request) -> datetime | None:
    started = request.meta.get("warc_started")
    return datetime.fromtimestamp(started, timezone.utc) if started is not None else None


def _with_host(headers: list[tuple[str, str]], url: str) -> list[tuple[str, str]]:
    """The request's headers with the Host header Twisted sends (Scrapy's request never holds
    it): the port only when it is not the scheme's default."""
    if any(name.lower() == "host" for name, _ in headers):
        return headers
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    if parts.port and parts.port != {"http": 80, "https": 443}.get(parts.scheme):
        host += f":{parts.port}"
    return [("Host", host), *headers]


def _pairs(headers) -> list[tuple[str, str]]:
    return [
        (name.decode("latin-1"), value.decode("latin-1"))
        for name, values in headers.items()
        for value in values
    ]
