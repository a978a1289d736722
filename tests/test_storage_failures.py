"""The archive's own storage failing under a crawl (a full disk, a file size limit): the crawl
stops as failed, says why, keeps what it had not stored in its frontier, and ``--resume``
completes it once the disk is mended. No page is filed as failed for what the disk did."""

from __future__ import annotations

import os
import resource
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from archive import ingest
from archive.captures import read_capture
from conftest import query

# What the WARC disk holds before it is full, in a crawl of the sample site (whose WARC files
# take some 10 MB): tens of pages in, hundreds still to fetch.
WARC_ROOM = 400_000
# Larger than the database a crawl starts with, smaller than the one it ends with.
FILE_SIZE_LIMIT = 3 * 1024 * 1024

# A disk that fills up: the WARC files the crawler writes (archive/warc.py opens them with
# open(path, "xb")) take WARC_ROOM bytes in all, then every write fails as on a full disk.
FULL_DISK = '''
import os

if os.environ.get("TEST_WARC_ROOM"):
    import builtins
    import errno

    import archive.warc

    room = [int(os.environ["TEST_WARC_ROOM"])]

    class _OnFullDisk:
        def __init__(self, file):
            self._file = file

        def write(self, data):
            if len(data) > room[0]:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            room[0] -= len(data)
            return self._file.write(data)

        def __getattr__(self, name):
            return getattr(self._file, name)

    def _open(file, mode="r", *args, **kwargs):
        opened = builtins.open(file, mode, *args, **kwargs)
        return _OnFullDisk(opened) if "x" in mode else opened

    archive.warc.open = _open
'''


def _shimmed(folder, code, **variables) -> dict:
    """The environment of a crawl whose Python runs ``code`` first (a sitecustomize module in
    ``folder``), with ``variables`` set."""
    folder.mkdir()
    (folder / "sitecustomize.py").write_text(textwrap.dedent(code), encoding="utf-8")
    path = os.pathsep.join(p for p in (str(folder), os.environ.get("PYTHONPATH")) if p)
    return {**os.environ, "PYTHONPATH": path, **variables}


def _crawl(folder, *extra, env=None, preexec_fn=None):
    return subprocess.run(
        [str(Path(sys.executable).with_name("govarchive")), "crawl", "--all", "--sources", "sources.toml",
         "--db", "archive.db", *extra],
        cwd=folder, capture_output=True, text=True, timeout=600, env=env, preexec_fn=preexec_fn,
    )


def _resumed_to_the_whole_archive(site, folder):
    """--resume, the disk mended, archives every article, each with a capture that reads back."""
    result = _crawl(folder, "--resume")
    assert result.returncode == 0, result.stdout + result.stderr
    assert {r["url"] for r in query(folder, "select url from articles")} == site.expected_article_urls()
    assert query(folder, "select count(*) as n from frontier") == [{"n": 0}]
    assert [r["status"] for r in query(folder, "select status from crawls order by id")][-3:] == ["ok"] * 3
    for fetch in query(folder, "select f.* from articles a join fetches f on f.id = a.fetch_id"):
        assert read_capture(folder / "archive.db", fetch).body


def _stopped_for_storage(result, folder, error):
    assert result.returncode == 1, result.stdout + result.stderr
    said = [line for line in result.stderr.splitlines() if "the crawl stops: " in line]
    assert said and all(error in line for line in said), result.stderr
    crawls = query(folder, "select c.id, c.source_id, c.status, c.finish_reason, "
                           "(select count(*) from frontier f where f.crawl_id = c.id) as left from crawls c")
    # A crawl whose end could not be written either (the disk still full) is closed as
    # interrupted, as a killed one is, and the crawler says so.
    unrecorded = {c["id"] for c in crawls if f"crawl {c['id']}: its end could not be recorded" in result.stderr}
    assert any(c["finish_reason"] == "storage_failed" or c["id"] in unrecorded for c in crawls), crawls
    # A source whose crawl ended before the disk filled (the sample news site is small) is whole;
    # every other crawl stopped for the disk, and the frontier keeps what they had left to fetch.
    for c in crawls:
        if c["status"] == "ok":
            assert c["finish_reason"] == "finished" and not c["left"], crawls
        elif c["id"] in unrecorded:
            assert (c["status"], c["finish_reason"]) == ("interrupted", None), crawls
        else:
            assert (c["status"], c["finish_reason"]) == ("failed", "storage_failed"), crawls
    # Nothing the disk did is filed as a page's failure, which would keep --resume from it.
    assert query(folder, "select url, error from fetches where error like '%No space%' or error like '%I/O%' "
                         "or error like 'storage failed%'") == []
    assert query(folder, "select count(*) as n from frontier")[0]["n"] > 0


def test_a_full_warc_disk_stops_the_crawl_and_resume_completes_it(sample_site, tmp_path):
    (tmp_path / "sources.toml").write_text(sample_site.sources_toml(), encoding="utf-8")
    result = _crawl(tmp_path, env=_shimmed(tmp_path / "full-disk", FULL_DISK, TEST_WARC_ROOM=str(WARC_ROOM)))
    _stopped_for_storage(result, tmp_path, f"writing WARC files in {tmp_path / 'archive-warc'} failed: "
                                           "OSError: [Errno 28] No space left on device")
    _resumed_to_the_whole_archive(sample_site, tmp_path)


def test_a_database_that_cannot_grow_stops_the_crawl_and_resume_completes_it(sample_site, tmp_path):
    (tmp_path / "sources.toml").write_text(sample_site.sources_toml(), encoding="utf-8")

    def limit_file_size():  # ulimit -f: a write past it fails (EFBIG), as on a full disk
        resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_SIZE_LIMIT, FILE_SIZE_LIMIT))

    # WARC files rotated well below the limit: only the database meets it.
    result = _crawl(tmp_path, "--warc-max-mb", "1", preexec_fn=limit_file_size)
    _stopped_for_storage(result, tmp_path, "archive.db failed: OperationalError: disk I/O error")
    _resumed_to_the_whole_archive(sample_site, tmp_path)


def _full_database_error() -> sqlite3.Error:
    conn = sqlite3.connect(":memory:")
    conn.execute("create table t (x)")
    conn.execute("pragma max_page_count = 2")
    try:
        conn.execute("insert into t values (zeroblob(100000))")
    except sqlite3.Error as exc:
        return exc
    finally:
        conn.close()


def _constraint_error() -> sqlite3.Error:
    conn = sqlite3.connect(":memory:")
    conn.execute("create table t (x unique)")
    try:
        conn.executemany("insert into t values (?)", [(1,), (1,)])
    except sqlite3.Error as exc:
        return exc
    finally:
        conn.close()


@pytest.mark.parametrize("error, storage", [
    (_full_database_error(), True),
    (OSError(28, "No space left on device"), True),
    (_constraint_error(), False),
    (ValueError("a bug"), False),
])
def test_storage_failures_are_told_from_the_rows_own(error, storage):
    assert ingest.storage_failure(error) is storage


# The crawl's end is written; then giving the archive's free pages back to the file system
# (PRAGMA incremental_vacuum, which writes too) fails as the disk fills.
RELEASE_FAILS = '''
import os

if os.environ.get("TEST_RELEASE_FAILS"):
    import sqlite3

    import crawler.pipelines

    def _release_free_pages(db):
        full = sqlite3.connect(":memory:")
        full.execute("pragma max_page_count = 1")
        full.execute("create table t (x)")

    crawler.pipelines.release_free_pages = _release_free_pages
'''


def test_a_crawl_whose_end_is_written_is_not_said_to_be_unrecorded(sample_site, tmp_path):
    (tmp_path / "sources.toml").write_text(sample_site.sources_toml(), encoding="utf-8")
    result = _crawl(tmp_path, "--max-pages", "5",
                    env=_shimmed(tmp_path / "release-fails", RELEASE_FAILS, TEST_RELEASE_FAILS="1"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "could not be recorded" not in result.stderr, result.stderr
    crawls = query(tmp_path, "select id, status from crawls order by id")
    assert [c["status"] for c in crawls] == ["ok"] * 3, crawls
    for c in crawls:
        assert (f"crawl {c['id']}: its end is recorded; tidying up after it (clearing its frontier, giving "
                "freed space back to the file system) failed: OperationalError: database or disk is full"
                ) in result.stderr, result.stderr
