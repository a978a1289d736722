"""Discovery pages that answer something the spider cannot read as a page (JSON, a binary
file): each is a fetch that failed, named in its error and the log, and the crawl's errors
count it; none is a spider exception."""

import json

import pytest

from tests.conftest import crawl_into, query, serve_routes
from tests.test_discovery_warnings import _article


def _listing(numbers) -> bytes:
    items = "".join(f"<li><a href='/bai-{n}.html'>Bài {n}</a></li>" for n in numbers)
    return f"<html><head><meta charset='utf-8'></head><body><ul>{items}</ul></body></html>".encode()


# "Xem thêm" pages of a portal: the page's next entries as JSON for its script to insert.
_XEM_THEM = json.dumps({"html": "<li><a href='/bai-4.html'>Bài 4</a></li>", "page": 2}).encode()
_PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256))


# What each listing's page 2, and each sitemap and feed, answers: (path, body, content type, as said).
_LISTING_ANSWERS = {
    "json": ("/ajax/json?page=2", _XEM_THEM, "application/json", "application/json"),
    "json-as-text": ("/ajax/text?page=2", _XEM_THEM, "text/plain; charset=utf-8", "text/plain"),
    "json-as-html": ("/ajax/html?page=2", _XEM_THEM, "text/html; charset=utf-8", "JSON (as text/html)"),
    "png": ("/ajax/png?page=2", _PNG, "image/png", "image/png"),
}
_DOCUMENT_ANSWERS = {
    (what, name): (f"/{what}-{name}.xml", body, kind, said)
    for what in ("sitemap", "feed")
    for name, body, kind, said in [("json", _XEM_THEM, "application/json", "application/json"),
                                   ("png", _PNG, "image/png", "image/png")]
}


def _routes(path, _base):
    if path.startswith("/bai-"):
        return _article(int(path[5:].split(".")[0])), "text/html; charset=utf-8"
    if path.startswith("/muc-"):
        return _listing([1, 2, 3]), "text/html; charset=utf-8"
    for answer_path, body, kind, _said in [*_LISTING_ANSWERS.values(), *_DOCUMENT_ANSWERS.values()]:
        if path == answer_path:
            return body, kind
    return None


def _discovery(base) -> str:
    """One listing per answer its page 2 gives, and a sitemap or feed per answer: one crawl."""
    sitemaps = ", ".join(f'"{base}{path}"' for (what, _), (path, *_) in _DOCUMENT_ANSWERS.items() if what == "sitemap")
    feeds = ", ".join(f'"{base}{path}"' for (what, _), (path, *_) in _DOCUMENT_ANSWERS.items() if what == "feed")
    listings = "".join(f'[[source.discovery.listings]]\nurl = "{base}/muc-{name}/"\n'
                       f'page_url = "{base}{path.replace("2", "{page}")}"\n'
                       for name, (path, *_) in _LISTING_ANSWERS.items())
    return f"sitemaps = [{sitemaps}]\nfeeds = [{feeds}]\n{listings}"


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    folder = tmp_path_factory.mktemp("answers")
    with serve_routes(_routes) as (base, _hits):
        (folder / "sources.toml").write_text(f"""
[[source]]
id = "cong"
name = "Cổng"
kind = "press"
home = "{base}/"
allowed_domains = ["127.0.0.1"]
article_pattern = '/bai-\\d+\\.html$'
schedule = "0 * * * *"
[source.discovery]
recheck = 0
{_discovery(base)}
[source.politeness]
delay = 0.0
concurrency = 4
""", encoding="utf-8")
        result = crawl_into(folder)
    (crawl,) = query(folder, "select status, errors from crawls")
    return folder, base, result, crawl


def _error(folder, url):
    (fetch,) = query(folder, "select error from fetches where url = ?", [url])
    return fetch["error"]


def test_no_answer_is_a_spider_exception_and_each_is_an_error_of_the_crawl(crawled):
    folder, base, result, crawl = crawled
    assert "Spider error" not in result.stderr and "Traceback" not in result.stderr, result.stderr[-3000:]
    assert crawl["errors"] == len(_LISTING_ANSWERS) + len(_DOCUMENT_ANSWERS)
    assert {r["url"] for r in query(folder, "select url from articles")} == {
        f"{base}/bai-{n}.html" for n in (1, 2, 3)}


@pytest.mark.parametrize("name", list(_LISTING_ANSWERS))
def test_a_listing_page_that_is_no_html_page_is_a_failed_fetch_that_names_it(crawled, name):
    folder, base, result, _crawl = crawled
    path, _body, _kind, said = _LISTING_ANSWERS[name]
    error = f"listing answered {said}, not an HTML page"
    assert _error(folder, f"{base}{path}") == error
    assert f"WARNING: cong: {base}{path}: {error}" in result.stderr


@pytest.mark.parametrize("what, name", list(_DOCUMENT_ANSWERS))
def test_a_sitemap_or_feed_that_is_no_xml_names_what_it_answered(crawled, what, name):
    folder, base, result, _crawl = crawled
    path, _body, _kind, said = _DOCUMENT_ANSWERS[what, name]
    error = _error(folder, f"{base}{path}")
    assert error.startswith(f"unreadable {what}: ") and f"answered {said}, not XML" in error, error
    assert f"WARNING: cong: unreadable {what} {base}{path}: " in result.stderr
