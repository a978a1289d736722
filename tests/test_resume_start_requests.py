"""A crawl stopped before Scrapy pulled all of its start requests resumes to every article.

Scrapy pulls a spider's start requests only as it has room for them, so on a busy crawl a stop
can come before it has pulled the last of a source's feeds and listings. Those start requests
must be in the frontier all the same: a resume that found a frontier holding only what had been
pulled asked for nothing else, and ended `ok` with the articles of the listings never pulled
missing.

Which start requests a real crawl has pulled when a stop comes depends on its load. Here a
spider middleware of the test's settings module, between the frontier and Scrapy's engine,
passes the first start request on and no other: Scrapy having pulled only that one when the
crawl is stopped.
"""

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time

import pytest

from tests.conftest import crawl_into, serve_routes

LISTINGS = 4
PER_PAGE = 3
PARAGRAPH = ("Sở Thông tin và Truyền thông thông báo lịch cập nhật Cổng thông tin điện tử của tỉnh trong "
             "tuần, theo Kế hoạch 174/KH-UBND; bạn đọc theo dõi thêm trên kênh Zalo OA của Sở.")

# The crawler's settings, with a middleware passing on the crawl's first start request alone.
FIRST_START_ONLY = """
import asyncio

from crawler.settings import *


class FirstStartOnly:
    async def process_start(self, start):
        async for output in start:
            yield output
            await asyncio.Event().wait()  # until the crawl is stopped


SPIDER_MIDDLEWARES = {**SPIDER_MIDDLEWARES, "first_start_only.FirstStartOnly": 5}
"""


class Site:
    """A feed and LISTINGS listings, each of PER_PAGE articles of its own. With ``hold_feed``,
    the feed is answered once the test lets it, so the crawl can be stopped while it is fetched."""

    def __init__(self, *, hold_feed: bool):
        self.feed_requested = threading.Event()
        self.release = threading.Event()
        if not hold_feed:
            self.release.set()

    def answer(self, path, base):
        if path == "/robots.txt":
            return b"User-agent: *\nAllow: /\n", "text/plain"
        if path == "/rss.xml":
            self.feed_requested.set()
            self.release.wait(60)
            items = "".join(f"<item><title>{n}</title><link>{base}/bai/tin-{n}.html</link></item>"
                            for n in range(PER_PAGE))
            return f"<rss version='2.0'><channel><title>Tin</title>{items}</channel></rss>".encode(), \
                "application/rss+xml"
        if path.startswith("/muc-"):
            links = "".join(f'<li><a href="/bai/{path[1:]}-{n}.html">{n}</a></li>' for n in range(PER_PAGE))
            return f"<html><body><ul>{links}</ul></body></html>".encode(), "text/html; charset=utf-8"
        if path.startswith("/bai/"):
            title = f"Thông báo {path}"
            return (f"<html lang='vi'><head><meta charset='utf-8'><title>{title}</title></head><body><article>"
                    f"<h1>{title}</h1>{f'<p>{PARAGRAPH}</p>' * 4}</article></body></html>").encode(), \
                "text/html; charset=utf-8"
        return None


def _expected(base):
    feed = {f"{base}/bai/tin-{n}.html" for n in range(PER_PAGE)}
    return feed | {f"{base}/bai/muc-{m}-{n}.html" for m in range(LISTINGS) for n in range(PER_PAGE)}


def _write_sources(folder, base, *, frontier_batch=None):
    port = base.rsplit(":", 1)[1]
    listings = "".join(f'[[source.discovery.listings]]\nurl = "{base}/muc-{m}"\n' for m in range(LISTINGS))
    (folder / "sources.toml").write_text(f"""[[source]]
id = "tinh"
name = "Cổng tỉnh"
kind = "province-portal"
home = "{base}/"
allowed_domains = ["127.0.0.1"]
article_pattern = '^http://127\\.0\\.0\\.1:{port}/bai/[a-z0-9-]+\\.html$'
schedule = "0 * * * *"
[source.discovery]
feeds = ["{base}/rss.xml"]
{listings}
[source.politeness]
delay = 0
concurrency = 1
""", encoding="utf-8")
    batch = f"ARCHIVE_FRONTIER_BATCH = {frontier_batch}\n" if frontier_batch else ""
    (folder / "first_start_only.py").write_text(FIRST_START_ONLY + batch, encoding="utf-8")


def _crawl_pulling_one_start_request(folder):
    env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "first_start_only",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(folder), os.environ.get("PYTHONPATH")]))}
    # The crawler itself, since `govarchive crawl` names its settings module.
    return subprocess.Popen(
        [sys.executable, "-m", "crawler", "--all", "--sources", "sources.toml", "--db", "archive.db",
         "--log-level", "WARNING"],
        cwd=folder, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        text=True, start_new_session=True,
    )


def _rows(folder, sql):
    conn = sqlite3.connect(folder / "archive.db", timeout=30)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def _resumed_to_every_article(folder, base):
    result = crawl_into(folder, "--resume", "--quiet")
    assert result.returncode == 0, result.stdout + result.stderr
    assert {url for (url,) in _rows(folder, "select url from articles")} == _expected(base)
    assert _rows(folder, "select status, resumed_from is not null from crawls order by id") == \
        [("interrupted", 0), ("ok", 1)]
    # Nothing the stopped part fetched is fetched again.
    assert _rows(folder, "select url, count(*) n from fetches where status is not null group by url "
                         "having n > 1") == []
    assert _rows(folder, "select count(*) from frontier") == [(0,)]


@pytest.mark.parametrize("stop", [signal.SIGKILL, signal.SIGINT], ids=["SIGKILL", "SIGINT"])
def test_a_crawl_stopped_before_its_start_requests_were_pulled_resumes_them(tmp_path, stop):
    """The stop comes while the feed, the one start request pulled, is being fetched: a kill
    leaves the feed in the frontier, a Ctrl-C its articles; both must leave the listings too."""
    site = Site(hold_feed=True)
    with serve_routes(site.answer) as (base, _hits):
        _write_sources(tmp_path, base)
        crawl = _crawl_pulling_one_start_request(tmp_path)
        try:
            assert site.feed_requested.wait(120), "the crawl never asked for its feed"
            crawl.send_signal(stop)
            site.release.set()  # a Ctrl-C lets the download in progress finish
            _, err = crawl.communicate(timeout=120)
        finally:
            site.release.set()
            if crawl.poll() is None:
                os.killpg(crawl.pid, signal.SIGKILL)
        assert "Traceback" not in err, err[-6000:]
        assert _rows(tmp_path, "select count(*) from frontier where kind = 'listing'") == [(LISTINGS,)]
        _resumed_to_every_article(tmp_path, base)


# A batch of one records each start request only as Scrapy pulls it, as for a source with more
# start requests than a batch holds: the frontier is then empty, and the listings are no less left.
@pytest.mark.parametrize("frontier_batch, left", [(None, [("listing", LISTINGS)]), (1, [])],
                         ids=["listings-in-frontier", "empty-frontier"])
def test_a_crawl_stopped_with_all_it_pulled_done_resumes_its_other_start_requests(tmp_path, frontier_batch, left):
    """Every request the stopped part made is done (the feed and its articles), and Scrapy has
    pulled no other start request: the listings are all that is left."""
    site = Site(hold_feed=False)
    with serve_routes(site.answer) as (base, _hits):
        _write_sources(tmp_path, base, frontier_batch=frontier_batch)
        crawl = _crawl_pulling_one_start_request(tmp_path)
        try:
            done = f"select count(*) from fetches where kind = 'feed' or url like '{base}/bai/tin-%'"
            deadline = time.monotonic() + 120
            while _fetches(tmp_path, done) < 1 + PER_PAGE:
                assert crawl.poll() is None, crawl.communicate()[1][-6000:]
                assert time.monotonic() < deadline, "the crawl did not fetch its feed's articles"
                time.sleep(0.1)
            crawl.kill()
            crawl.wait(timeout=60)
        finally:
            if crawl.poll() is None:
                os.killpg(crawl.pid, signal.SIGKILL)
        assert _rows(tmp_path, "select kind, count(*) from frontier group by kind") == left
        _resumed_to_every_article(tmp_path, base)


def _fetches(folder, sql):
    try:
        return _rows(folder, sql)[0][0]
    except sqlite3.OperationalError:  # the crawler has not created its tables yet
        return 0
