"""An article URL is read by what its body is, not by the Content-Type a portal sends: HTML sent
as application/octet-stream or text/plain is archived as an article, and a PDF or an image is
kept as captured and counted as a failure, named in the crawl's log, never passed over."""

import pytest

from tests.conftest import crawl_into, query, serve_routes
from tests.test_variants import PARAGRAPHS, article_page, write_sources

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n" * 20
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8
# path: (Content-Type, body)
PAGES = {
    "/a/da-nang.htm": ("text/html; charset=utf-8", article_page("da-nang-tin-gia", PARAGRAPHS["da-nang-tin-gia"])),
    # A byte order mark and blank lines before the doctype, as some portals' templates leave.
    "/a/nghe-an.htm": ("application/octet-stream", b"\xef\xbb\xbf\r\n\n  " + article_page(
        "nghe-an-nguoi-phat-ngon", PARAGRAPHS["nghe-an-nguoi-phat-ngon"])),
    "/a/ha-tinh.htm": ("text/plain", article_page("ha-tinh-cong-van", PARAGRAPHS["ha-tinh-cong-van"]).replace(
        b"<!DOCTYPE html>", b"<!-- trang tin -->")),
    "/a/van-ban.htm": ("application/pdf", PDF),
    "/a/anh.htm": ("image/png", PNG),
}


def answer(path, _base):
    if path == "/list":
        links = "".join(f'<li><a href="{p}">{p}</a></li>' for p in PAGES)
        return f"<html><body><ul>{links}</ul></body></html>".encode(), "text/html; charset=utf-8"
    if path == "/robots.txt":
        return b"User-agent: *\nAllow: /\n", "text/plain"
    if path in PAGES:
        content_type, body = PAGES[path]
        return 200, {"Content-Type": content_type}, body
    return None


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    folder = tmp_path_factory.mktemp("types")
    with serve_routes(answer) as (base, _hits):
        write_sources(folder, base, home="/list")
        result = crawl_into(folder, "--quiet")
    return folder, base, result


def test_html_is_archived_whatever_its_content_type(crawled):
    folder, base, result = crawled
    assert result.returncode == 0, result.stdout + result.stderr
    archived = {row["url"] for row in query(folder, "select url from articles")}
    assert archived == {base + path for path in ("/a/da-nang.htm", "/a/nghe-an.htm", "/a/ha-tinh.htm")}


@pytest.mark.parametrize("path, content_type", [("/a/van-ban.htm", "application/pdf"), ("/a/anh.htm", "image/png")])
def test_a_page_that_is_not_html_is_kept_counted_and_named(crawled, path, content_type):
    folder, base, result = crawled
    (fetch,) = query(folder, "select status, error, warc_file, length from fetches where url = ?", [base + path])
    assert fetch["status"] == 200 and fetch["warc_file"] and fetch["length"] == len(PAGES[path][1])
    assert fetch["error"] == f"not an HTML page ({content_type}): kept as captured, no article extracted"
    # The crawl's closing warning, which --quiet keeps, names it and its type.
    (line,) = [line for line in result.stderr.splitlines() if " failed: " in line]
    assert f"{base}{path} (not an HTML page ({content_type})" in line


def test_the_crawl_counts_them_as_errors(crawled):
    folder, _base, result = crawled
    (crawl,) = query(folder, "select status, articles_new, errors from crawls")
    assert crawl == {"status": "ok", "articles_new": 3, "errors": 2}
    (row,) = [line.split() for line in result.stdout.splitlines() if line.startswith("mau ")]
    assert (row[1], row[3], row[6]) == ("ok", "3", "2")
