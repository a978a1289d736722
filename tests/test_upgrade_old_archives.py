"""Archives made by earlier releases, served by this one: upgraded first, as any command that
opens them does, so that no page asks for a table or column they lack; where they cannot be
written to, served as they are only when what they lack is what the pages can do without.

An earlier release's archive is made here as it made it: the migrations of its time, then the
rows of the crawled sample archive in the columns that schema has. The other test_upgrade_*
files use these helpers."""

import os
import shutil
import sqlite3
import subprocess
import sys
import urllib.request
from pathlib import Path
from urllib.error import HTTPError

import pytest
from sqlite_utils import Database

from archive.db import migrations
from archive.vietnamese import fold
from tests.test_read_only import read_only  # noqa: F401 (a fixture: the tests below take it)

GOVARCHIVE = str(Path(sys.executable).with_name("govarchive"))
FIRST_RELEASE = "m008_lean_storage"  # the first landed release made archives at m006
TABLES = ("sources", "crawls", "fetches", "articles", "doc_refs", "mentions")


def _columns(conn, table, schema="main"):
    return [r[1] for r in conn.execute(f"pragma {schema}.table_info({table})")]


def make_old_archive(crawled_archive, folder, stop_before, *, bare_names=False):
    """``folder``/old.db, as a release whose last migration came before ``stop_before`` left it,
    holding the crawled archive's rows, with its WARC files in old-warc/. ``bare_names``: its
    fetch rows name their WARC files by bare name, as crawls before commit d8384ba did."""
    path = folder / "old.db"
    db = Database(sqlite3.connect(path))
    migrations.apply(db, stop_before=stop_before)
    conn = db.conn
    conn.execute("attach database ? as crawled", [str(crawled_archive / "archive.db")])
    for table in TABLES:
        if not db[table].exists():
            continue
        columns = ", ".join(c for c in _columns(conn, table) if c in _columns(conn, table, "crawled"))
        conn.execute(f"insert into main.{table} ({columns}) select {columns} from crawled.{table}")
    # The articles' versions as they were kept before m008: each with its texts.
    columns = ", ".join(_columns(conn, "article_versions")) if db["article_versions"].exists() else None
    if columns and "in_articles" not in columns:
        conn.execute(f"insert into article_versions ({columns}) select {columns} from crawled.article_history")
    if db["articles_fold"].exists():
        rows = conn.execute("select id, title, description, text from articles").fetchall()
        conn.executemany("insert into articles_fold (rowid, title, description, text) values (?, ?, ?, ?)",
                         [(i, *(fold(t or "") for t in texts)) for i, *texts in rows])
    prefix = "" if bare_names else "old-warc/"
    conn.execute("update fetches set warc_file = ? || substr(warc_file, length('archive-warc/') + 1) "
                 "where warc_file like 'archive-warc/%'", [prefix])
    conn.commit()
    conn.execute("detach database crawled")
    db.close()
    shutil.copytree(crawled_archive / "archive-warc", folder / "old-warc")
    return path


def govarchive(*args, cwd):
    """The console script's result; a command still running after a minute (a serve that started
    serving) is a failure, not a test that hangs."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOVARCHIVE_")}
    try:
        return subprocess.run([GOVARCHIVE, *map(str, args)], cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"govarchive {' '.join(map(str, args))} still running after a minute: {exc.stdout}{exc.stderr}")


def _applied(path):
    db = Database(sqlite3.connect(path))
    try:
        return {m.name for m in migrations.applied(db)}
    finally:
        db.close()


def _all_migrations():
    return {m.name for m in migrations.pending(Database(memory=True))}


def _one_article(path):
    conn = sqlite3.connect(path)
    try:
        return conn.execute("select a.id, a.fetch_id from articles a join fetches f on f.id = a.fetch_id "
                            "where f.warc_file is not null order by a.id limit 1").fetchone()
    finally:
        conn.close()


class Server:
    """``govarchive serve`` of an archive, on a free port, until closed."""

    def __init__(self, path, cwd):
        self.process = subprocess.Popen([GOVARCHIVE, "serve", "--db", str(path), "--port", "0"], cwd=cwd,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                        env={**{k: v for k, v in os.environ.items() if not k.startswith("GOVARCHIVE_")},
                                             "PYTHONUNBUFFERED": "1"})
        line = self.process.stdout.readline()
        if not line.startswith("Serving"):
            raise AssertionError(f"serve did not start: {line}{self.close()}")
        self.base = line.split(" at ")[1].split()[0].rstrip("/")

    def status(self, url):
        try:
            with urllib.request.urlopen(self.base + url, timeout=60) as response:
                return response.status
        except HTTPError as exc:
            return exc.code

    def close(self):
        self.process.terminate()
        self.process.wait(timeout=30)
        return self.process.stderr.read()


@pytest.mark.parametrize("stop_before", [FIRST_RELEASE, "m003_accent_insensitive_search"])
def test_serve_upgrades_an_old_archive_and_serves_every_page(crawled_archive, tmp_path, stop_before):
    path = make_old_archive(crawled_archive, tmp_path, stop_before)
    article, fetch = _one_article(path)
    server = Server(path, tmp_path)
    try:
        statuses = {url: server.status(url) for url in (
            f"/-/a/{article}", f"/-/article/{article}.json", f"/-/capture/{fetch}.html",
            "/old/articles?_search=zalo", "/-/search?q=zalo")}
    finally:
        stderr = server.close()
    assert statuses == dict.fromkeys(statuses, 200), stderr
    assert "upgrading the archive" in stderr and "not yet upgraded" not in stderr
    assert _applied(path) == _all_migrations()


def _on_read_only_storage(read_only, path):
    def copy(mnt):
        shutil.copy(path, mnt / "old.db")
        shutil.copytree(path.parent / "old-warc", mnt / "old-warc")

    return read_only(copy) / "old.db"


def test_an_archive_that_cannot_be_upgraded_and_lacks_what_pages_read_is_not_served(
        crawled_archive, tmp_path, read_only):
    path = _on_read_only_storage(read_only, make_old_archive(crawled_archive, tmp_path, FIRST_RELEASE))
    for command in (["serve", "--port", "0"], ["stats"]):
        result = govarchive(*command, "--db", path, cwd=tmp_path)
        assert result.returncode == 1, result.stdout
        [line] = result.stderr.splitlines()
        assert line.startswith(f"Error: {path}: not yet upgraded (m008_lean_storage, ")
        assert line.endswith(f"and it cannot be upgraded here: its folder {path.parent} is read-only; run "
                             f"'govarchive stats --db {path}' once where it can be written to, which upgrades it")


# The indexes m016-m019 add, and m023, which changes no schema: what the last release's archives lack.
INDEX_MIGRATIONS = {
    "m016_home_page_indexes": ("idx_articles_source_id_last_seen", "idx_fetches_captured"),
    "m017_channel_and_agency_indexes": ("idx_mentions_platform_article_id", "idx_mentions_agency_article_id"),
    "m018_articles_fetch_id_index": ("idx_articles_fetch_id",),
    "m019_articles_published_month_index": ("idx_articles_published_month",),
    "m023_bare_warc_file_names": (),
}


def test_an_archive_that_cannot_be_upgraded_and_lacks_only_indexes_is_served(
        archive_copy, read_only):
    article, fetch = _one_article(archive_copy)
    conn = sqlite3.connect(archive_copy)
    with conn:
        for name, indexes in INDEX_MIGRATIONS.items():
            conn.execute("delete from _sqlite_migrations where name = ?", [name])
            for index in indexes:
                conn.execute(f"drop index {index}")
    conn.close()
    path, statuses, stderr = _served_read_only(archive_copy, read_only, (
        "/", f"/-/a/{article}", f"/-/article/{article}.json", f"/-/capture/{fetch}.html", "/-/search?q=zalo",
        "/-/search?q=zalo&platform=Zalo", "/archive/articles?_search=zalo"))
    assert statuses == dict.fromkeys(statuses, 200), stderr
    assert stderr.startswith(f"note: {path} is not yet upgraded ({', '.join(INDEX_MIGRATIONS)}) and cannot be "
                             "upgraded here: it is served as it is"), stderr
    # What it lacks, each said once: slower pages for the indexes, lost old captures for m023.
    note = stderr.splitlines()[0]
    assert note.count("are slower") == 1 and "captures of crawls from before the --warc-dir option" in note, note


def test_an_archive_lacking_only_crawl_columns_and_warc_names_is_not_said_to_be_slower(archive_copy, read_only):
    # The note spoke of missing indexes whatever the archive lacked; m023 adds none.
    conn = sqlite3.connect(archive_copy)
    with conn:
        conn.execute("delete from _sqlite_migrations where name in ('m022_crawls_rechecks_after', "
                     "'m023_bare_warc_file_names')")
        conn.execute("alter table crawls drop column rechecks_after")
    conn.close()
    _, statuses, stderr = _served_read_only(archive_copy, read_only, ("/",))
    assert statuses == {"/": 200}, stderr
    note = stderr.splitlines()[0]
    assert "m022_crawls_rechecks_after, m023_bare_warc_file_names" in note and "slower" not in note, note
    assert "the captures of crawls from before the --warc-dir option are not found" in note, note


def _served_read_only(archive_copy, read_only, urls):
    """The archive copied onto read-only storage and served: its path there, the status of each
    of ``urls``, and what the server said on stderr."""
    def copy(mnt):
        shutil.copy(archive_copy, mnt)
        shutil.copytree(archive_copy.with_name("archive-warc"), mnt / "archive-warc")

    path = read_only(copy) / "archive.db"
    server = Server(path, archive_copy.parent)
    try:
        statuses = {url: server.status(url) for url in urls}
    finally:
        stderr = server.close()
    return path, statuses, stderr
