"""A source renamed in sources.toml keeps its id (README: "change the `name` instead"), and the
reading room credits each article to the name its source had when the archive first captured
it: an archivist cites the publisher as it was, not the portal it merged into since. Each crawl
records the name it began with (crawls.source_name, migration m024)."""

import asyncio
import html
import sqlite3

import pytest
from sqlite_utils import Database

from archive import ingest
from archive.db import lacking, migrations, open_db
from archive.serve import make_datasette
from archive.sources import parse_sources
from conftest import store_page

OLD_NAME, NEW_NAME = "Cổng TTĐT tỉnh Hải Dương", "Cổng TTĐT thành phố Hải Phòng"


def _source(name):
    return parse_sources(
        f'[[source]]\nid = "haiduong"\nname = "{name}"\nkind = "province-portal"\nhome = "https://t.vn/"\n'
        'allowed_domains = ["t.vn"]\narticle_pattern = "/tin/"\nschedule = "0 * * * *"\n'
        '[source.discovery]\nfeeds = ["https://t.vn/rss"]\n'
    )[0]


def _store(db, crawl, key, title):
    record = ingest.prepare({"url": f"https://t.vn/tin/{key}", "title": title, "text": f"{title}. Nội dung bài.",
                             "published": "2025-03-18", "text_hash": key})
    store_page(db, record, source_id="haiduong", seen_at="2025-03-18T02:00:00+00:00", crawl_id=crawl)


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    """Article 1 captured under the old name; the source renamed; article 2 captured after, and
    article 1 captured again (a new version) under the new name."""
    path = tmp_path_factory.mktemp("names") / "archive.db"
    db = open_db(path)
    with db.atomic():
        crawl = ingest.start_crawl(db, _source(OLD_NAME), max_pages=None)
        _store(db, crawl, "1", "Hải Dương khởi công cầu mới")
    with db.atomic():
        crawl = ingest.start_crawl(db, _source(NEW_NAME), max_pages=None)
        _store(db, crawl, "2", "Hải Phòng họp bàn sáp nhập")
        _store(db, crawl, "1", "Hải Dương khởi công cầu mới (cập nhật)")
    db.close()
    return path


def _get(ds, path):
    response = asyncio.run(ds.client.get(path))
    assert response.status_code == 200, (path, response.text[:500])
    return response


def _ids(path):
    conn = sqlite3.connect(path)
    try:
        return dict(conn.execute("select url, id from articles"))
    finally:
        conn.close()


def test_each_crawl_records_the_name_it_began_with(archive):
    conn = sqlite3.connect(archive)
    rows = conn.execute("select source_name from crawls order by id").fetchall()
    conn.close()
    assert rows == [(OLD_NAME,), (NEW_NAME,)]


def test_an_article_is_cited_under_the_name_its_source_had_when_first_captured(archive):
    ids = _ids(archive)
    ds = make_datasette(archive)
    page = html.unescape(_get(ds, f"/-/a/{ids['https://t.vn/tin/1']}").text)
    assert f"Hải Dương khởi công cầu mới (cập nhật). {OLD_NAME} (2025-03-18)." in page
    assert NEW_NAME not in page
    later = html.unescape(_get(ds, f"/-/a/{ids['https://t.vn/tin/2']}").text)
    assert f"Hải Phòng họp bàn sáp nhập. {NEW_NAME} (2025-03-18)." in later
    # Search results and their download name each article's publisher as its citation does.
    results = html.unescape(_get(ds, "/-/search?q=Hải").text)
    assert OLD_NAME in results and NEW_NAME in results
    rows = _get(ds, "/-/search.csv?q=Hải").text
    assert OLD_NAME in rows and NEW_NAME in rows


def _copy(archive, tmp_path, *statements):
    """A copy of ``archive`` with ``statements`` run on it."""
    copy = tmp_path / "archive.db"
    conn = sqlite3.connect(archive)
    conn.execute("vacuum into ?", [str(copy)])
    conn.close()
    conn = sqlite3.connect(copy)
    with conn:
        for statement in statements:
            conn.execute(statement)
    conn.close()
    return copy


def test_crawls_before_names_were_recorded_fall_back_to_the_source_s_name(archive, tmp_path):
    copy = _copy(archive, tmp_path, "update crawls set source_name = null")
    page = html.unescape(_get(make_datasette(copy), f"/-/a/{_ids(copy)['https://t.vn/tin/1']}").text)
    assert f"(cập nhật). {NEW_NAME} (2025-03-18)." in page


def test_an_archive_not_yet_upgraded_is_read_without_the_names(archive, tmp_path):
    # As serve reads an archive it cannot upgrade (read-only storage): crawls lack the column.
    copy = _copy(archive, tmp_path, "delete from _sqlite_migrations where name = 'm024_crawls_source_name'",
                 "alter table crawls drop column source_name")
    ds = make_datasette(copy)
    for path in (f"/-/a/{_ids(copy)['https://t.vn/tin/1']}", "/", "/-/search?q=Hải", "/-/search.csv?q=Hải"):
        assert NEW_NAME in html.unescape(_get(ds, path).text), path
    assert lacking(["m024_crawls_source_name"]) == [
        "articles are cited under their source's present name, not the one it had when they were captured"]


def test_the_upgrade_adds_the_column_and_keeps_the_crawls(tmp_path):
    db = Database(sqlite3.connect(tmp_path / "old.db"))
    migrations.apply(db, stop_before="m024_crawls_source_name")
    db["sources"].insert({"id": "haiduong", "name": OLD_NAME})
    db["crawls"].insert({"source_id": "haiduong", "started_at": "2025-03-18T02:00:00+00:00"})
    db.conn.commit()
    db.close()
    db = open_db(tmp_path / "old.db")
    assert [dict(r) for r in db.query("select source_id, source_name from crawls")] == [
        {"source_id": "haiduong", "source_name": None}]
    db.close()
