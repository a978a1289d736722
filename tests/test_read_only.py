"""An archive on read-only storage: read by the commands that only read, and a plain
one-line error from those that must write to it, never "not a SQLite database"."""

import asyncio
import shutil
import sqlite3
import subprocess

import pytest

from archive.db import ArchiveError, open_db, pending_migrations
from archive.serve import make_datasette


def _mount(*args):
    return subprocess.run(["mount", *map(str, args)], capture_output=True, text=True)


@pytest.fixture
def read_only(tmp_path):
    """A tmpfs mounted at ``tmp_path``/mnt, with ``fill(folder)`` to copy files into it and then
    remount it read-only: permission bits do not stop root, a read-only mount does."""
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    mounted = _mount("-t", "tmpfs", "tmpfs", mnt)
    if mounted.returncode != 0:
        pytest.skip(f"needs to mount a tmpfs (as root): {mounted.stderr.strip()}")

    def fill(copy):
        copy(mnt)
        remounted = _mount("-o", "remount,ro", mnt)
        assert remounted.returncode == 0, remounted.stderr
        return mnt

    yield fill
    subprocess.run(["umount", "-l", str(mnt)], check=True)


@pytest.fixture
def ro(read_only, crawled_archive):
    """``ro`` folder on read-only storage holding a copy of the crawled archive and its WARC files."""

    def copy(mnt):
        (mnt / "ro").mkdir()
        shutil.copy(crawled_archive / "archive.db", mnt / "ro")
        shutil.copytree(crawled_archive / "archive-warc", mnt / "ro" / "archive-warc")
        shutil.copy(crawled_archive / "sources.toml", mnt)

    return read_only(copy)


def _one_line_error(result):
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.mark.parametrize("command", [
    ("crawl", "--all", "--sources", "sources.toml"),
    ("reextract",),
    ("schedule", "--once", "--sources", "sources.toml"),
])
def test_a_command_that_writes_says_the_archive_s_folder_is_read_only(run_cli, ro, command):
    line = _one_line_error(run_cli(*command, "--db", "ro/archive.db", cwd=ro))
    assert line == "Error: ro/archive.db: cannot write to the archive: its folder ro is read-only"


def test_a_crawl_into_a_new_archive_in_a_read_only_folder_says_so(run_cli, ro):
    result = run_cli("crawl", "--all", "--sources", "sources.toml", "--db", "ro/new.db", cwd=ro)
    assert _one_line_error(result) == "Error: ro/new.db: cannot write to the archive: its folder ro is read-only"


@pytest.mark.parametrize("command", [("search", "Zalo"), ("stats",), ("export", "--format", "jsonl")])
def test_a_command_that_only_reads_reads_a_read_only_archive(run_cli, ro, command):
    result = run_cli(*command, "--db", "ro/archive.db", cwd=ro)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()


def test_an_archive_opened_for_reading_on_read_only_storage_is_read_as_it_is(ro, crawled_archive):
    db = open_db(ro / "ro" / "archive.db", create=False, for_reading=True)
    assert db.execute("select count(*) from articles").fetchone() == \
        sqlite3.connect(crawled_archive / "archive.db").execute("select count(*) from articles").fetchone()
    assert pending_migrations(ro / "ro" / "archive.db") == []
    with pytest.raises(ArchiveError, match="its folder .* is read-only"):
        open_db(ro / "ro" / "archive.db", create=False)


def test_the_reading_room_serves_a_read_only_archive(ro):
    ds = make_datasette(ro / "ro" / "archive.db")
    response = asyncio.run(ds.client.get("/archive/articles.json?_shape=array&_size=1"))
    assert response.status_code == 200, response.text[:500]
    assert response.json()[0]["title"]
    assert asyncio.run(ds.client.get("/-/search?q=Zalo")).status_code == 200


def _with_writes_in_the_wal(crawled_archive, folder, *, shm):
    """Copy the archive as a crawl leaves it mid-way: its last writes in -wal, not yet in the file."""
    work = folder.parent / "work"
    work.mkdir()
    shutil.copy(crawled_archive / "archive.db", work)
    conn = sqlite3.connect(work / "archive.db")
    conn.execute("PRAGMA wal_autocheckpoint = 0")
    conn.execute("delete from article_urls")
    conn.execute("delete from articles where id > 1")
    conn.commit()
    for suffix in ("", "-wal", "-shm") if shm else ("", "-wal"):
        shutil.copy(work / f"archive.db{suffix}", folder)
    conn.close()


def test_writes_still_in_the_wal_are_read_not_skipped(read_only, crawled_archive):
    # Reading the file as immutable would ignore the -wal and show articles deleted since.
    mnt = read_only(lambda mnt: _with_writes_in_the_wal(crawled_archive, mnt, shm=True))
    db = open_db(mnt / "archive.db", create=False, for_reading=True)
    assert db.execute("select count(*) from articles").fetchone() == (1,)
    ds = make_datasette(mnt / "archive.db")
    assert asyncio.run(ds.client.get("/archive/articles.json?_shape=array")).json()[0]["id"] == 1


def test_writes_in_the_wal_that_cannot_be_read_are_explained(read_only, crawled_archive):
    mnt = read_only(lambda mnt: _with_writes_in_the_wal(crawled_archive, mnt, shm=False))
    with pytest.raises(ArchiveError) as raised:
        open_db(mnt / "archive.db", create=False, for_reading=True)
    message = str(raised.value)
    assert "cannot read it" in message and "archive.db-wal" in message and "archive.db-shm" in message
    assert "not a SQLite database" not in message
