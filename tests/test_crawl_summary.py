"""What govarchive crawl's summary says of each crawl: its real status, and the error that says why."""

import os
import signal
import sqlite3

import pytest

import archive.crawl
from archive import ingest
from archive.crawl import crawls_since
from archive.db import open_db
from archive.sources import parse_sources
from tests.conftest import crawl_into, govarchive, query, serve_routes
from tests.test_page_budget import PUBLIC, _routes, _sources
from tests.test_stop_signals import _crawler_pid, _end, _slow_sources, _start_crawl

SOURCE = (
    '[[source]]\nid = "s"\nname = "S"\nkind = "press"\nhome = "https://s.vn/"\nallowed_domains = ["s.vn"]\n'
    'article_pattern = "x"\nschedule = "0 * * * *"\n[source.discovery]\nfeeds = ["https://s.vn/rss"]\n'
)


def test_a_crawl_whose_crawler_died_is_shown_interrupted_with_what_it_fetched(sample_site, tmp_path):
    _slow_sources(sample_site, tmp_path)
    crawl = _start_crawl(tmp_path)
    try:
        os.kill(_crawler_pid(tmp_path), signal.SIGKILL)
        crawl.wait(timeout=60)
    finally:
        _end(crawl)
    out, err = (tmp_path / "c.out").read_text(), (tmp_path / "c.err").read_text()
    conn = sqlite3.connect(tmp_path / "archive.db")
    (status, pages), = conn.execute("select status, pages from crawls").fetchall()
    fetched = conn.execute("select count(*) from fetches where coalesce(error not like 'skipped:%', 1)").fetchone()[0]
    assert (status, pages) == ("interrupted", fetched) and fetched >= 1
    (line,) = [l for l in out.splitlines() if l.startswith("sample-news")]
    assert line.split()[1:3] == ["interrupted", str(fetched)], out
    assert "sample-news: interrupted; 'govarchive crawl sample-news --resume --db archive.db --sources s.toml'" in err


def test_the_cause_given_is_a_storage_failure_before_a_site_error_before_a_skip(tmp_path):
    (source,) = parse_sources(SOURCE)
    db = open_db(tmp_path / "archive.db")
    fetches = {
        "storage": ["skipped: Forbidden by robots.txt", "HTTP 503", "storage failed: OperationalError: database or disk is full"],
        "site": ["skipped: Forbidden by robots.txt", "HTTP 503", "TimeoutError: took too long"],
        "skip": ["skipped: Forbidden by robots.txt", None],
        "disk": ["ConnectionRefusedError: refused", "OSError: [Errno 28] No space left on device"],
    }
    for errors in fetches.values():
        crawl = ingest.start_crawl(db, source, max_pages=None)
        for n, error in enumerate(errors):
            status = 503 if error == "HTTP 503" else (200 if error is None else None)
            ingest.record_fetch(db, crawl_id=crawl, source_id="s", url=f"https://s.vn/{crawl}/{n}", kind="article",
                                status=status, error=None if status else error)
    # a crawl the crawler stopped for a storage failure names it in its stats
    stopped = ingest.start_crawl(db, source, max_pages=None)
    ingest.record_fetch(db, crawl_id=stopped, source_id="s", url="https://s.vn/x", kind="article", status=None,
                        error="skipped: Forbidden by robots.txt")
    failure = "writing WARC files in w failed: OSError: [Errno 28] No space left on device"
    ingest.finish_crawl(db, stopped, finish_reason="storage_failed", stats={ingest.STORAGE_FAILURE_STAT: failure})
    causes = [row["first_error"] for row in crawls_since(db, 0, ["s"])]
    assert causes == [
        "storage failed: OperationalError: database or disk is full", "HTTP 503", "skipped: Forbidden by robots.txt",
        "OSError: [Errno 28] No space left on device", failure,
    ]


def test_a_robots_txt_that_cannot_be_recorded_stops_the_crawl_before_any_page_is_fetched(sample_site, tmp_path):
    (tmp_path / "sources.toml").write_text(sample_site.sources_toml(), encoding="utf-8")
    (tmp_path / "not-a-folder").write_text("")
    served = len(sample_site.requests)
    result = crawl_into(tmp_path, "--warc-dir", tmp_path / "not-a-folder" / "warc", "--max-pages", "5")
    assert result.returncode == 1
    # robots.txt came but is not known: the host is not crawled as if it had none
    assert {path for path, *_ in sample_site.requests[served:]} == {"/robots.txt"}
    assert "unreachable" not in result.stdout + result.stderr, result.stdout + result.stderr[-6000:]
    statuses = {r["source_id"]: (r["status"], r["finish_reason"]) for r in query(tmp_path, "select * from crawls")}
    assert statuses == {s: ("failed", "storage_failed") for s in ("sample-portal", "sample-magazine", "sample-news")}
    assert "sample-news: failed: writing WARC files in" in result.stderr  # the cause, not a bare "failed"
    # the site is not blamed: no page is skipped as if its robots.txt were down
    assert not query(tmp_path, "select * from fetches where error like 'skipped: robots.txt unavailable%'")


def test_a_dead_crawl_the_archive_cannot_close_is_still_shown_interrupted(tmp_path, monkeypatch):
    (source,) = parse_sources(SOURCE)
    db = open_db(tmp_path / "archive.db")
    crawl = ingest.start_crawl(db, source, max_pages=None)
    for n in range(3):
        ingest.record_fetch(db, crawl_id=crawl, source_id="s", url=f"https://s.vn/{n}", kind="article",
                            status=500 if n else 200)

    def full(db, source_id):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(archive.crawl, "close_interrupted", full)
    rows = crawls_since(db, 0, ["s"])
    archive.crawl._close_dead_crawls(db, tmp_path / "archive.db", rows)
    assert [(r["status"], r["pages"], r["errors"]) for r in rows] == [("interrupted", 3, 2)]


@pytest.mark.parametrize("max_pages, ended", [(len(PUBLIC) + 1, "ok"), (len(PUBLIC), "ok (max pages)")])
def test_the_summary_and_stats_say_alike_whether_max_pages_cut_the_crawl_short(tmp_path, max_pages, ended):
    # The feed and the articles robots.txt allows: a budget of as many pages fetches them all
    # and leaves nothing waiting, so it did not cut the crawl short, though the pages reach it.
    with serve_routes(_routes(200)) as (base, _hits):
        (tmp_path / "sources.toml").write_text(_sources(base), encoding="utf-8")
        result = crawl_into(tmp_path, "--max-pages", max_pages)
    assert result.returncode == 0, result.stdout + result.stderr
    table = govarchive("stats", "--db", "archive.db", cwd=tmp_path).stdout
    assert (_status(result.stdout, "cong"), _status(table, "cong")) == (ended, ended), result.stdout + table


def _status(table: str, source_id: str) -> str:
    """The status column of the table's row of ``source_id``."""
    header, *rows = table.splitlines()
    (row,) = [row for row in rows if source_id in row.split()]
    return row[header.index("status"):].split("  ")[0]
