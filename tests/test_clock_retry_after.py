"""A Retry-After given as a date is read on the server's clock: measured from the response's own
Date header, not from ours, which may be hours off the server's."""

import asyncio
import time
from datetime import datetime, timezone
from email.utils import formatdate

import pytest
from scrapy.http import Request, Response

import crawler.retry_after
from crawler.retry_after import RetryAfterMiddleware, retry_after_seconds


class _Stats:
    def __init__(self):
        self.values = {}

    def inc_value(self, key):
        self.values[key] = self.values.get(key, 0) + 1

    def get_value(self, key):
        return self.values.get(key)


class _Crawler:
    def __init__(self):
        self.stats = _Stats()


@pytest.mark.parametrize("server_ahead", [3600, -7200, 0], ids=["server 1 h fast", "server 2 h slow", "same"])
def test_a_retry_after_date_is_waited_for_as_long_as_the_server_asked(monkeypatch, server_ahead):
    waits = []

    async def sleep(seconds):
        waits.append(seconds)

    monkeypatch.setattr(crawler.retry_after.asyncio, "sleep", sleep)
    server_now = int(time.time()) + server_ahead
    response = Response("https://s.vn/a", status=503, headers={
        "Date": formatdate(server_now, usegmt=True), "Retry-After": formatdate(server_now + 30, usegmt=True)})
    middleware = RetryAfterMiddleware(_Crawler(), cap=60, retry_times=2)
    assert asyncio.run(middleware.process_response(Request("https://s.vn/a"), response)) is response
    assert waits == [30]


def test_without_a_date_header_a_retry_after_date_is_measured_from_our_clock():
    now = datetime(2024, 7, 5, 7, 0, tzinfo=timezone.utc)
    assert retry_after_seconds(b"Fri, 05 Jul 2024 07:00:45 GMT", None, now) == 45
    # A Date header that cannot be read is no date.
    assert retry_after_seconds("Fri, 05 Jul 2024 07:00:45 GMT", b"yesterday", now) == 45
    assert retry_after_seconds("Fri, 05 Jul 2024 07:00:45 GMT", "Fri, 05 Jul 2024 09:00:00 GMT", now) == 0
    assert retry_after_seconds(b"120", "Fri, 05 Jul 2024 09:00:00 GMT", now) == 120
