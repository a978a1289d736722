"""crawl, schedule and demo run from a current folder that no longer exists (a deploy replaced
the release folder under a cron shell that was in it) when every path they are given is
absolute; a path relative to that folder cannot be found, and is a one-line error saying why."""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_schedule import _crawled, _sources

GOVARCHIVE = str(Path(sys.executable).with_name("govarchive"))
GONE = ("Error: the current folder no longer exists (it was deleted or replaced), so paths relative to it cannot "
        "be found ({}): give absolute paths, or run the command from a folder that exists")


def _from_a_deleted_folder(tmp_path, *args):
    """govarchive ``args`` run in a folder removed before the command starts."""
    gone = tmp_path / "release"
    gone.mkdir()
    env = {name: value for name, value in os.environ.items() if name not in ("GOVARCHIVE_DB", "GOVARCHIVE_SOURCES")}
    return subprocess.run(["sh", "-c", 'cd "$1" && rmdir "$1" && shift && exec "$@"', "sh", str(gone), GOVARCHIVE,
                           *map(str, args)], env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=300)


def _articles(db):
    conn = sqlite3.connect(db)
    try:
        return conn.execute("select count(*) from articles").fetchone()[0]
    finally:
        conn.close()


@pytest.fixture
def sources(sample_site, tmp_path):
    path = tmp_path / "sources.toml"
    path.write_text(_sources(sample_site, ["news"]), encoding="utf-8")
    return path


def test_crawl_with_absolute_paths(tmp_path, sources):
    result = _from_a_deleted_folder(tmp_path, "crawl", "--all", "--db", tmp_path / "archive.db", "--sources",
                                    sources, "--max-pages", "3")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok (max pages)" in result.stdout
    assert _crawled(tmp_path) == ["sample-news"]


def test_schedule_once_with_absolute_paths(tmp_path, sources):
    result = _from_a_deleted_folder(tmp_path, "schedule", "--once", "--db", tmp_path / "archive.db", "--sources",
                                    sources, "--max-pages", "3")
    assert result.returncode == 0, result.stdout + result.stderr
    assert _crawled(tmp_path) == ["sample-news"]


def test_demo_with_an_absolute_db(tmp_path):
    result = _from_a_deleted_folder(tmp_path, "demo", "--no-serve", "--db", tmp_path / "demo.db")
    assert result.returncode == 0, result.stdout + result.stderr
    assert _articles(tmp_path / "demo.db") > 0


@pytest.mark.parametrize("args, relative", [
    (["crawl", "--all", "--db", "a.db", "--sources", "SOURCES"], "a.db"),
    (["crawl", "--all", "--db", "DB", "--warc-dir", "w"], "sources.toml, w"),
    (["schedule", "--once", "--db", "DB", "--sources", "s.toml"], "s.toml"),
    (["demo", "--no-serve"], "demo.db"),
])
def test_a_path_relative_to_the_deleted_folder_is_a_one_line_error(tmp_path, sources, args, relative):
    args = [{"SOURCES": sources, "DB": tmp_path / "archive.db"}.get(arg, arg) for arg in args]
    result = _from_a_deleted_folder(tmp_path, *args)
    assert (result.returncode, result.stderr) == (1, GONE.format(relative) + "\n"), result.stdout
    assert not (tmp_path / "archive.db").exists()


# A command that reads says so too, instead of sending the user to make the archive.
@pytest.mark.parametrize("command", [["stats"], ["search", "Zalo"], ["export", "--format", "jsonl"], ["reextract"],
                                     ["serve", "--port", "0"]])
def test_a_command_that_reads_says_the_current_folder_is_gone(tmp_path, command):
    result = _from_a_deleted_folder(tmp_path, *command, "--db", "archive.db")
    assert (result.returncode, result.stderr) == (1, GONE.format("archive.db") + "\n"), result.stdout
