"""A redirect does not carry the validators of the page asked for to another page: a server
answering 304 to them there would pass the page asked for as unchanged, and its move or removal
would never be seen."""

from __future__ import annotations

import pytest

from tests.conftest import crawl_into, query, serve_routes
from tests.test_variants import PARAGRAPHS, article_page, write_sources

# A portal that sends no ETag, only Last-Modified, and honours If-Modified-Since.
LAST_MODIFIED = "Tue, 05 Mar 2024 01:00:00 GMT"
PAGES = {"/a/one.htm": "da-nang-tin-gia", "/a/two.htm": "nghe-an-nguoi-phat-ngon"}
HTML = {"Content-Type": "text/html; charset=utf-8"}


@pytest.fixture
def portal(tmp_path):
    state = {"redirect": None, "asked": []}

    def answer(path, _base, headers):
        state["asked"].append((path, headers.get("If-Modified-Since")))
        if path == state["redirect"]:
            return 301, {"Location": state["to"]}, b""
        if path == "/list":
            return 200, HTML, "".join(f'<a href="{p}">{p}</a>' for p in PAGES).encode()
        if path in PAGES and headers.get("If-Modified-Since") == LAST_MODIFIED:
            return 304, {}, b""
        if path in PAGES:
            return 200, {**HTML, "Last-Modified": LAST_MODIFIED}, article_page(PAGES[path], PARAGRAPHS[PAGES[path]])
        return None

    with serve_routes(answer, with_headers=True) as (base, _hits):
        write_sources(tmp_path, base)
        yield tmp_path, base, state


def test_an_article_redirected_to_another_page_is_not_passed_as_unchanged_by_its_304(portal):
    folder, base, state = portal
    assert crawl_into(folder, "--quiet").returncode == 0
    # The first article is removed, its readers sent to an older article that has not changed.
    state.update(redirect="/a/one.htm", to="/a/two.htm", asked=[])
    assert crawl_into(folder, "--quiet").returncode == 0
    # Asked for conditionally, then its new address without the first page's validators.
    assert ("/a/one.htm", LAST_MODIFIED) in state["asked"]
    assert ("/a/two.htm", None) in state["asked"]
    fetch = query(folder, "select status, error from fetches where url = ? order by id desc limit 1",
                  [f"{base}/a/one.htm"])[0]
    assert fetch["status"] == 200 and "does not read as the article" in fetch["error"], fetch
    assert query(folder, "select title from articles where url = ?", [f"{base}/a/one.htm"]) == [
        {"title": "Đà Nẵng xử lý 42 phản ánh tin sai sự thật trong quý I"}]
