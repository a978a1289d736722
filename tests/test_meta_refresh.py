"""An article page that sends its reader on by <meta http-equiv="refresh"> is treated as one that
redirects, also when it sends them to another of the source's hosts (127.0.0.1 and localhost
here, as www.portal.gov.vn and portal.gov.vn on the web)."""

import pytest

from tests.conftest import crawl_into, query, serve_routes
from tests.test_variants import Site, write_sources

MOVED = "/a/ha-tinh.htm"


def refresh(url):
    return 200, {"Content-Type": "text/html; charset=utf-8"}, (
        f'<!DOCTYPE html><html><head><meta http-equiv="refresh" content="0; url={url}"></head>'
        "<body></body></html>").encode()


def redirect(url):
    return 301, {"Location": url}, b""


@pytest.fixture
def site():
    site = Site()
    site.listed = ["/a/nghe-an.htm", MOVED]
    site.sent_to = None  # where MOVED sends its readers, and how: (refresh or redirect, URL)
    return site


@pytest.fixture
def folder(site, tmp_path):
    def answer(path, _base):
        if path == MOVED and site.sent_to:
            how, url = site.sent_to
            return how(url)
        return site.answer(path)

    with serve_routes(answer) as (base, _hits):
        port = base.rsplit(":", 1)[1]
        write_sources(tmp_path, base, home="/index.html", hosts=("127.0.0.1", "localhost"))
        site.base = base
        site.other_host = f"http://localhost:{port}"
        yield tmp_path


def crawl(folder):
    result = crawl_into(folder, "--quiet")
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def last_fetch(folder, url):
    (fetch,) = query(folder, "select status, response_url, error from fetches where url = ? order by id desc limit 1",
                     [url])
    return fetch


HOW = pytest.mark.parametrize("how", [refresh, redirect], ids=["meta refresh", "HTTP 301"])


@HOW
@pytest.mark.parametrize("target", ["/index.html", "/list"], ids=["home page", "listing"])
def test_an_article_sent_to_a_landing_page_on_another_host_is_not_archived_as_that_page(site, folder, how, target):
    landing = site.other_host + target
    site.sent_to = how, landing
    crawl(folder)
    url = site.base + MOVED
    assert last_fetch(folder, url) == {
        "status": 200, "response_url": landing,
        "error": f"redirected to {landing}, the source's home or listing page, not an article",
    }
    assert [a["url"] for a in query(folder, "select url from articles")] == [f"{site.base}/a/nghe-an.htm"]
    assert query(folder, "select url from article_urls") == []


@HOW
def test_an_archived_article_sent_to_the_home_page_on_another_host_keeps_its_text(site, folder, how):
    crawl(folder)
    url = site.base + MOVED
    (before,) = query(folder, "select id, text, last_seen from articles where url = ?", [url])
    site.sent_to = how, site.other_host + "/index.html"
    crawl(folder)
    assert last_fetch(folder, url)["error"] == (
        f"redirected to {site.other_host}/index.html, the source's home or listing page, not an article")
    assert query(folder, "select id, text, last_seen from articles where url = ?", [url]) == [before]
    assert query(folder, "select count(*) as n from article_versions where article_id = ?", [before["id"]]) == [{"n": 1}]


@HOW
def test_an_article_sent_to_its_page_on_another_host_is_archived_with_that_url(site, folder, how):
    site.paths["ha-tinh-cong-van"] = "/a/ha-tinh-2024.htm"
    site.sent_to = how, site.other_host + "/a/ha-tinh-2024.htm"
    crawl(folder)
    url = site.base + MOVED
    assert last_fetch(folder, url) == {"status": 200, "response_url": site.other_host + "/a/ha-tinh-2024.htm",
                                       "error": None}
    (article,) = query(folder, "select id, title from articles where url = ?", [url])
    assert article["title"] == "Hà Tĩnh hướng dẫn vận hành Zalo OA cấp xã"
    assert {r["url"] for r in query(folder, "select url from article_urls where article_id = ?", [article["id"]])} == {
        url, site.other_host + "/a/ha-tinh-2024.htm"}


def test_a_home_written_without_its_slash_is_the_root_on_every_host():
    from archive.urls import canonical_url
    from crawler.spiders.source import _address

    assert _address(canonical_url("https://portal.gov.vn")) == _address(canonical_url("https://www.portal.gov.vn/"))
