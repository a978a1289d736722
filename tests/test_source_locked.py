"""A crawl of a source another crawl holds (a second scheduler, a person crawling by hand) is
not started: an expected event, said once, not an error of the crawler."""

import archive.crawl
from archive.crawl import NOT_STARTED, run_crawl
from archive.locks import SourceLock
from tests.conftest import crawl_into, serve_routes
from tests.test_variants import write_sources


def _answer(path, _base):
    if path == "/list":
        return b"<html><body></body></html>", "text/html; charset=utf-8"
    return None


def test_a_source_another_crawl_holds_is_said_not_started_once(tmp_path):
    with serve_routes(_answer) as (base, hits), SourceLock(tmp_path / "archive.db", "mau"):
        write_sources(tmp_path, base, home="/list")
        result = crawl_into(tmp_path, "--quiet")
    assert result.returncode == 1
    assert hits == []
    (row,) = [line.split() for line in result.stdout.splitlines() if line.startswith("mau ")]
    assert row[1:3] == ["not", "started"]
    assert "error" not in result.stderr
    assert result.stderr.count("mau is already being crawled") == 1, result.stderr


def test_a_source_whose_crawl_ends_before_it_is_asked_about_is_still_said_not_started(tmp_path, monkeypatch):
    # The crawl holding the source ends between the crawler's refusal and govarchive crawl's look.
    monkeypatch.setattr(archive.crawl, "holder", lambda db_path, source_id: None)
    with serve_routes(_answer) as (base, _hits), SourceLock(tmp_path / "archive.db", "mau"):
        write_sources(tmp_path, base, home="/list")
        (row,) = run_crawl(tmp_path / "archive.db", sources_file=tmp_path / "sources.toml", log_level="WARNING")
    assert row["status"] == NOT_STARTED
    assert row["first_error"] == "mau was being crawled by another process as this crawl began"
