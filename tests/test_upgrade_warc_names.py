"""Crawls before commit d8384ba named a capture's WARC file by its bare name, in the
``<db name>-warc`` folder; since, the name is relative to the database's folder. The upgrade
(m023) puts the folder in front of the bare names, so those captures are found again."""

import logging
import sqlite3

import pytest
from sqlite_utils import Database

from archive.captures import read_capture
from archive.db import migrations, open_db
from tests.test_upgrade_old_archives import make_old_archive


def test_an_archive_with_bare_warc_file_names_reads_its_captures_once_upgraded(crawled_archive, tmp_path, run_cli):
    path = make_old_archive(crawled_archive, tmp_path, "m003_accent_insensitive_search", bare_names=True)
    conn = sqlite3.connect(path)
    with conn:
        # An absolute name, and one already relative to the database's folder, are left as they are.
        conn.execute("update fetches set warc_file = '/elsewhere/x.warc.gz' "
                     "where id = (select max(id) from fetches where warc_file is not null)")
        conn.execute("insert into fetches (url, warc_file) values ('http://x.example/', 'w/y.warc.gz')")
        # A bare name is also that of a file beside the database (a crawl with --warc-dir its folder),
        # and one found in neither folder cannot be told to be in old-warc/.
        for name in ("beside.warc.gz", "nowhere.warc.gz"):
            conn.execute("insert into fetches (url, warc_file) values ('http://x.example/', ?)", [name])
    conn.close()
    tmp_path.joinpath("beside.warc.gz").write_bytes(b"")
    tmp_path.joinpath("old-warc", "beside.warc.gz").write_bytes(b"")
    kept = ("/elsewhere/x.warc.gz", "w/y.warc.gz", "beside.warc.gz", "nowhere.warc.gz")
    run_cli("stats", "--db", path, check=True)
    db = Database(path)
    fetches = [f for f in db.query("select * from fetches where warc_file is not null") if f["warc_file"] not in kept]
    assert fetches and all(f["warc_file"].startswith("old-warc/") for f in fetches)
    for fetch in fetches:
        # Found, and read whole; a 304 (the crawled archive crawled again by another test) has no body.
        capture = read_capture(path, fetch)
        assert capture.body or fetch["status"] == 304, fetch
    assert sorted(r[0] for r in db.execute("select warc_file from fetches where warc_file in (?, ?, ?, ?)", kept)
                  ) == sorted(kept)


@pytest.mark.parametrize("bare, announced", [
    (None, False),  # names relative to the database's folder, as crawls have written since d8384ba
    ("beside.warc.gz", False),  # a file beside the database: left as it is
    ("old.warc.gz", True),  # in old-warc/: m023 puts the folder in front
])
def test_the_upgrade_says_it_takes_a_while_only_when_m023_has_names_to_change(tmp_path, caplog, bare, announced):
    path = tmp_path / "old.db"
    db = Database(sqlite3.connect(path))
    migrations.apply(db, stop_before="m022_crawls_rechecks_after")
    db["fetches"].insert({"url": "http://x.example/a", "warc_file": "old-warc/a.warc.gz"})
    if bare:
        db["fetches"].insert({"url": "http://x.example/b", "warc_file": bare})
    db.conn.commit()
    db.close()
    tmp_path.joinpath("old-warc").mkdir()
    for name in ("old-warc/old.warc.gz", "beside.warc.gz"):
        tmp_path.joinpath(name).write_bytes(b"")
    with caplog.at_level(logging.WARNING, logger="archive.db"):
        open_db(path).close()
    messages = [r.getMessage() for r in caplog.records]
    upgrading = (f"{path}: upgrading the archive (m022_crawls_rechecks_after, m023_bare_warc_file_names, "
                 "m024_crawls_source_name, m025_doc_refs_issuing_body, m026_merged_articles, m027_change_numbers, "
                 "m028_source_renames, m029_live_change_numbers, m030_earlier_versions_search_index, "
                 "m031_article_urls_date_author_description); "
                 "on a large archive this takes a while")
    assert messages == ([upgrading] if announced else []), messages
    assert not migrations.pending(Database(path))  # upgraded all the same
