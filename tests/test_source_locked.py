"""A crawl of a source another crawl holds (a second scheduler, a person crawling by hand) is
not started: an expected event, said once, not an error of the crawler."""

import os
import subprocess
import sys
from pathlib import Path

import archive.crawl
from archive.crawl import NOT_STARTED, run_crawl
from archive.locks import SourceLock
from archive.schedule import COPY_PREFIX, summary_status
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
    # One line says it: not a second "Could not crawl" naming it again.
    assert [line for line in result.stderr.splitlines() if "mau" in line] == [
        f"mau: not started: mau is already being crawled (pid {os.getpid()})"], result.stderr


def test_a_crawl_the_scheduler_started_leaves_a_source_another_crawl_holds_to_the_scheduler(tmp_path):
    # The scheduler's crawls read a copy of its sources file; it logs the source as being
    # crawled elsewhere itself, once.
    with serve_routes(_answer) as (base, hits), SourceLock(tmp_path / "archive.db", "mau"):
        write_sources(tmp_path, base, home="/list")
        (tmp_path / "sources.toml").rename(tmp_path / f"{COPY_PREFIX}1-mau-x.toml")
        result = subprocess.run(
            [str(Path(sys.executable).with_name("govarchive")), "crawl", "mau", "--sources",
             f"{COPY_PREFIX}1-mau-x.toml", "--db", "archive.db", "--quiet"],
            cwd=tmp_path, capture_output=True, text=True, timeout=600,
        )
    assert result.returncode == 1 and hits == []
    assert summary_status(result.stdout, "mau") == NOT_STARTED
    assert result.stderr == ""


def test_a_source_whose_crawl_ends_before_it_is_asked_about_is_still_said_not_started(tmp_path, monkeypatch):
    # The crawl holding the source ends between the crawler's refusal and govarchive crawl's look.
    monkeypatch.setattr(archive.crawl, "holder", lambda db_path, source_id: None)
    with serve_routes(_answer) as (base, _hits), SourceLock(tmp_path / "archive.db", "mau"):
        write_sources(tmp_path, base, home="/list")
        (row,) = run_crawl(tmp_path / "archive.db", sources_file=tmp_path / "sources.toml", log_level="WARNING")
    assert row["status"] == NOT_STARTED
    assert row["first_error"] == "mau was being crawled by another process as this crawl began"
