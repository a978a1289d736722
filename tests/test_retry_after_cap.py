"""A server asking for a longer wait (Retry-After) than ARCHIVE_RETRY_AFTER_MAX is not waited
for, and a quiet crawl says why its fetch failed: not just "HTTP 429"."""

import re
import time
from email.utils import formatdate

import pytest

from crawler.settings import ARCHIVE_RETRY_AFTER_MAX
from tests.conftest import crawl_into, query, serve_routes
from tests.test_variants import write_sources

ARTICLE = "/a/cho-doi.htm"


@pytest.mark.parametrize("status, retry_after, wait", [
    (429, lambda: "120", (120, 120)),
    # A date is read to the second it names, a second or so closer by the time it is read.
    (503, lambda: formatdate(time.time() + ARCHIVE_RETRY_AFTER_MAX + 10, usegmt=True),
     (ARCHIVE_RETRY_AFTER_MAX + 5, ARCHIVE_RETRY_AFTER_MAX + 10)),
], ids=["seconds", "date"])
def test_a_wait_too_long_to_honour_is_said_in_a_quiet_crawl(tmp_path, status, retry_after, wait):
    def answer(path, _base):
        if path == "/list":
            return f'<html><body><a href="{ARTICLE}">Bài</a></body></html>'.encode(), "text/html; charset=utf-8"
        if path == ARTICLE:
            return status, {"Retry-After": retry_after(), "Content-Type": "text/plain"}, b"busy"
        return None

    with serve_routes(answer) as (base, hits):
        write_sources(tmp_path, base, home="/list")
        result = crawl_into(tmp_path, "--quiet")
    assert [path for _, path in hits].count(ARTICLE) == 1
    assert query(tmp_path, "select status from fetches where url = ?", [base + ARTICLE]) == [{"status": status}]
    (warning,) = [line for line in result.stderr.splitlines() if "Retry-After" in line]
    assert "WARNING" in warning and base + ARTICLE in warning
    asked = re.search(rf"answered {status} asking to wait (\d+) s \(Retry-After\) before trying again, more than "
                      rf"ARCHIVE_RETRY_AFTER_MAX \({ARCHIVE_RETRY_AFTER_MAX} s\): not retried", warning)
    assert asked and wait[0] <= int(asked[1]) <= wait[1], warning
