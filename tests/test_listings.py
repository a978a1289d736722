"""Paging a listing: it ends past the last page, however the portal answers there."""

import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from archive.sources import SourcesError, parse_sources
from conftest import crawl_into, query

PAGES = 3  # listing pages with entries; every later page answers 200 with an empty list
PER_PAGE = 3


def _article(n):
    return (f"<html lang='vi'><head><title>Bài {n}</title></head><body><article><h1>Bài số {n} về Zalo OA</h1>"
            + "".join(f"<p>Sở Thông tin và Truyền thông thông báo nội dung thứ {n}.{i} của Kế hoạch 174/KH-UBND "
                      f"về việc đưa kênh Zalo OA vào phục vụ người dân trên địa bàn thành phố.</p>" for i in range(6))
            + "</article></body></html>")


def _listing(page, entries=None, pager=""):
    if entries is None:
        entries = range((page - 1) * PER_PAGE + 1, page * PER_PAGE + 1) if page <= PAGES else ()
    own = "".join(f"<li><a href='/bai-{n}.html'>Bài {n}</a></li>" for n in entries)
    # the portal's sidebar, on every page: the two newest articles
    latest = "<div class='latest'><a href='/bai-1.html'>Bài 1</a><a href='/bai-2.html'>Bài 2</a></div>"
    return f"<html><body><ul class='list-news'>{own}</ul>{pager}{latest}</body></html>"


# Listings by their path: the page a page number gets.
LISTINGS = {
    "tin-tuc": _listing,
    # Past the last page, page 1 again, or the last page again (ASP.NET portals do both).
    "lap-dau": lambda n: _listing(n if n <= PAGES else 1),
    "lap-cuoi": lambda n: _listing(min(n, PAGES)),
    # A new article on every page, forever.
    "vo-tan": lambda n: _listing(n, entries=[n]),
    "postback": lambda n: _listing(n, pager="<div class='pager'><a class='next' "
                                            "href=\"javascript:__doPostBack('ctl00$pager$lnkNext','')\">Sau</a></div>"),
}


class _Portal(BaseHTTPRequestHandler):
    def do_GET(self):
        name, _, page = self.path.strip("/").partition("/trang-")
        if self.path.startswith("/bai-"):
            body = _article(int(self.path[5:].split(".")[0]))
        elif name in LISTINGS:
            body = LISTINGS[name](int(page or 1))
        else:
            self.send_error(404)
            return
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def portal():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Portal)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def _sources(base, links="", path="tin-tuc", paging=None):
    paging = paging or f'page_url = "{base}/{path}/trang-{{page}}"'
    return f"""
[[source]]
id = "portal"
name = "Portal"
kind = "province-portal"
home = "{base}/"
allowed_domains = ["127.0.0.1"]
article_pattern = '/bai-\\d+\\.html$'
schedule = "0 * * * *"
[source.discovery]
[[source.discovery.listings]]
url = "{base}/{path}"
{paging}
{links}
[source.politeness]
delay = 0.0
concurrency = 4
"""


def _listing_pages(directory, last_crawl=False):
    where = "and crawl_id = (select max(id) from crawls)" if last_crawl else ""
    return sorted(r["url"] for r in query(directory, f"select url from fetches where kind = 'listing' {where}"))


def _pages(base, path, last):
    return sorted([f"{base}/{path}"] + [f"{base}/{path}/trang-{n}" for n in range(2, last + 1)])


def _archived(directory):
    return {r["url"] for r in query(directory, "select url from articles")}


def test_the_listings_own_entries_end_the_paging(portal, tmp_path):
    (tmp_path / "sources.toml").write_text(_sources(portal, 'links = "ul.list-news"'), encoding="utf-8")
    result = crawl_into(tmp_path)
    assert result.returncode == 0, result.stderr
    assert _listing_pages(tmp_path) == sorted(
        [f"{portal}/tin-tuc"] + [f"{portal}/tin-tuc/trang-{n}" for n in range(2, PAGES + 2)])
    archived = {r["url"] for r in query(tmp_path, "select url from articles")}
    assert archived == {f"{portal}/bai-{n}.html" for n in range(1, PAGES * PER_PAGE + 1)}


def test_without_links_a_page_of_the_sidebar_alone_ends_the_paging(portal, tmp_path):
    # Past the last page the sidebar's links still count as articles, but page 1 showed them.
    (tmp_path / "sources.toml").write_text(_sources(portal), encoding="utf-8")
    result = crawl_into(tmp_path, "--max-pages", 30)
    assert result.returncode == 0, result.stderr
    assert _listing_pages(tmp_path) == _pages(portal, "tin-tuc", PAGES + 1)


@pytest.mark.parametrize("path", ["lap-dau", "lap-cuoi"])
def test_a_page_number_answered_with_a_page_already_read_ends_the_paging(portal, tmp_path, path):
    (tmp_path / "sources.toml").write_text(_sources(portal, 'links = "ul.list-news"', path=path), encoding="utf-8")
    everything = {f"{portal}/bai-{n}.html" for n in range(1, PAGES * PER_PAGE + 1)}
    # (--max-pages only bounds a crawl that would not stop.)
    result = crawl_into(tmp_path, "--max-pages", 40)
    assert result.returncode == 0, result.stderr
    assert _listing_pages(tmp_path) == _pages(portal, path, PAGES + 1)
    assert _archived(tmp_path) == everything
    assert f"{portal}/{path} page {PAGES + 1} repeats the listing's earlier pages" in result.stderr
    # Stop-when-seen still ends an incremental crawl at its first page of archived articles...
    result = crawl_into(tmp_path, "--max-pages", 40)
    assert result.returncode == 0, result.stderr
    assert _listing_pages(tmp_path, last_crawl=True) == [f"{portal}/{path}"]
    # ... and --backfill, which pages past archived pages, stops at the repeat.
    result = crawl_into(tmp_path, "--max-pages", 40, "--backfill")
    assert result.returncode == 0, result.stderr
    assert _listing_pages(tmp_path, last_crawl=True) == _pages(portal, path, PAGES + 1)


def test_paging_cut_off_by_the_depth_limit_is_a_warning(portal, tmp_path):
    (tmp_path / "sources.toml").write_text(_sources(portal, 'links = "ul.list-news"', path="vo-tan"), encoding="utf-8")
    (tmp_path / "shallow.py").write_text("from crawler.settings import *\nDEPTH_LIMIT = 4\n", encoding="utf-8")
    env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "shallow",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(tmp_path), os.environ.get("PYTHONPATH")]))}
    # The crawler itself, since `govarchive crawl` names its settings module.
    result = subprocess.run(
        [sys.executable, "-m", "crawler", "--all", "--sources", "sources.toml", "--db", "archive.db", "--max-pages", "40"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    assert _listing_pages(tmp_path) == _pages(portal, "vo-tan", 4)
    # Every listing page fetched has its articles followed: none is fetched only to be dropped.
    assert _archived(tmp_path) == {f"{portal}/bai-{n}.html" for n in range(1, 5)}
    assert f"WARNING: portal: {portal}/vo-tan: paging cut off at page 4 by DEPTH_LIMIT (4)" in result.stderr


def test_a_javascript_next_link_is_named_once(portal, tmp_path):
    (tmp_path / "sources.toml").write_text(_sources(portal, path="postback", paging='next = "a.next"'),
                                           encoding="utf-8")
    result = crawl_into(tmp_path)
    assert result.returncode == 0, result.stderr
    assert _listing_pages(tmp_path) == [f"{portal}/postback"]
    warnings = [line for line in result.stderr.splitlines() if "next link" in line]
    assert len(warnings) == 1, result.stderr
    assert (f"WARNING: portal: {portal}/postback page 1: next link "
            "\"javascript:__doPostBack('ctl00$pager$lnkNext','')\" is javascript:, cannot be followed; use page_url"
            ) in warnings[0]


@pytest.mark.parametrize("value, message", [("''", "must be a CSS selector string"),
                                            ("3", "must be a CSS selector string"),
                                            ("'ul['", "bad CSS selector 'ul\\['")])
def test_a_bad_links_selector_is_named(value, message):
    with pytest.raises(SourcesError, match=rf"discovery\.listings\[1\]\.links.*{message}"):
        parse_sources(_sources("http://127.0.0.1:9", f"links = {value}"))
