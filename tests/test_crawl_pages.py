"""A crawl's pages are the requests it sent: a URL it chose not to request (robots.txt forbids
it, or robots.txt could not be read) is no page, in the crawl's summary, in govarchive stats and
in the reading room, which all read crawls.pages."""

import socket

from tests.conftest import crawl_into, query, serve_routes
from tests.test_variants import write_sources


def _summary_row(result, source_id="mau"):
    (row,) = [line.split() for line in result.stdout.splitlines() if line.startswith(f"{source_id} ")]
    return row


def test_a_site_that_refuses_connections_is_shown_with_no_page(tmp_path, run_cli):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        base = f"http://127.0.0.1:{closed.getsockname()[1]}"
    write_sources(tmp_path, base, home="/list")
    result = crawl_into(tmp_path, "--quiet")
    assert result.returncode == 1
    (crawl,) = query(tmp_path, "select status, pages, errors from crawls")
    assert crawl == {"status": "unreachable", "pages": 0, "errors": 1}
    assert _summary_row(result)[1:3] == ["unreachable", "0"]
    (stats,) = [line.split() for line in run_cli("stats", "--db", "archive.db", check=True).stdout.splitlines()
                if " mau " in line]
    assert stats[4:6] == ["unreachable", "0"]


def test_urls_robots_txt_forbids_are_not_counted_as_pages(tmp_path):
    def answer(path, _base):
        if path == "/robots.txt":
            return b"User-agent: *\nDisallow: /a/cam-\n", "text/plain"
        if path == "/list":
            links = '<a href="/a/cam-1.htm">1</a><a href="/a/cam-2.htm">2</a>'
            return f"<html><body>{links}</body></html>".encode(), "text/html; charset=utf-8"
        return None

    with serve_routes(answer) as (base, _hits):
        write_sources(tmp_path, base, home="/list")
        result = crawl_into(tmp_path, "--quiet")
    skipped = query(tmp_path, "select url from fetches where error like 'skipped:%'")
    assert len(skipped) == 2
    (crawl,) = query(tmp_path, "select pages, errors from crawls")
    requested = query(tmp_path, "select count(*) as n from fetches where error is null or error not like 'skipped:%'")
    assert crawl == {"pages": requested[0]["n"], "errors": 0} and crawl["pages"] >= 1
    assert _summary_row(result)[2] == str(crawl["pages"])
