"""``formerly = ["old-id"]``: a source renamed, or a portal merged into another, takes over what
the archive holds under its former ids when it is next crawled, as if it had archived it itself."""

import json
import logging
import re
from datetime import datetime, timedelta, timezone

import pytest

from archive import carryover, ingest
from archive.datasette.plugins.reading_room import HOME_SOURCES_SQL
from archive.db import open_db
from archive.locks import SourceLock
from archive.search import filter_words, search
from archive.sources import SourcesError, parse_sources
from tests.conftest import query, store_page
from tests.test_schedule import _sources
from tests.test_sources import GOOD

FORMERLY = 'schedule = "0 */6 * * *"\nformerly = {}\n'


def _formerly(text: str, value: str) -> str:
    return text.replace('schedule = "0 */6 * * *"\n', FORMERLY.format(value), 1)


def test_formerly_is_a_list_of_ids():
    (source,) = parse_sources(GOOD)
    assert source.formerly == ()
    (source,) = parse_sources(_formerly(GOOD, '["old-portal", "older", "old-portal"]'))
    assert source.formerly == ("old-portal", "older")


OTHER = GOOD.replace("demo-portal", "other-portal").replace("hanoi", "hue")


@pytest.mark.parametrize("text, problem", [
    (_formerly(GOOD, '"old-portal"'), "must be a list of the source's former ids (each 1 to 64 lowercase letters, "
                                      "digits and hyphens), not 'old-portal' (line 10; the source starts at line 2)"),
    (_formerly(GOOD, '["Old Portal"]'), "must be a list of the source's former ids (each 1 to 64 lowercase letters, "
                                        "digits and hyphens), not ['Old Portal'] (line 10; the source starts at line 2)"),
    (_formerly(GOOD, '["demo-portal"]'), "'demo-portal' is this source's own id (line 10; the source starts at line 2)"),
    (_formerly(GOOD, '["other-portal"]') + OTHER,
     "'other-portal' is the id of source #2 (line 22), still in the file: remove that source once its site is this "
     "one's, or 'other-portal' from formerly (line 10; the source starts at line 2)"),
])
def test_formerly_refused(text, problem):
    with pytest.raises(SourcesError) as caught:
        parse_sources(text)
    assert str(caught.value) == f"sources.toml: source 'demo-portal': field 'formerly': {problem}"


def test_one_old_id_claimed_by_two_sources_is_refused():
    with pytest.raises(SourcesError) as caught:
        parse_sources(_formerly(GOOD, '["old"]') + _formerly(OTHER, '["old"]'))
    assert str(caught.value) == ("sources.toml: source 'other-portal': field 'formerly': 'old' is claimed by source "
                                 "'demo-portal' too: an old id's articles are carried over to one source (line 30; "
                                 "the source starts at line 22)")


def _index_counts(db, source_id: str) -> tuple[int, int]:
    """Rows of the folded and the exact search index whose filter words name ``source_id``."""
    word = '"' + filter_words(source_id, None) + '"'
    return (db.execute("select count(*) from articles_fold where articles_fold match ?", [f"filters : {word}"]).fetchone()[0],
            db.execute("select count(*) from articles_fts where articles_fts match ?", [word]).fetchone()[0])


def test_a_renamed_source_crawls_its_former_ids_articles_as_its_own(sample_site, tmp_path, run_cli):
    text = _sources(sample_site, ["portal"], schedule="0 */6 * * *")
    (tmp_path / "sources.toml").write_text(text, encoding="utf-8")
    run_cli("crawl", "sample-portal", "--db", "archive.db", "--max-pages", "8", check=True)
    first = query(tmp_path, "select id, url from articles order by id")
    assert len(first) >= 3
    renamed = _formerly(text.replace('id = "sample-portal"', 'id = "portal"'), '["sample-portal", "sample-portl"]')
    (tmp_path / "sources.toml").write_text(renamed.replace("Cổng thông tin mẫu", "Cổng mới"), encoding="utf-8")
    assert (tmp_path / "archive-queues" / "sample-portal").is_dir()
    second = run_cli("crawl", "portal", "--db", "archive.db", "--max-pages", "8", check=True)
    # The old id's request queue folder goes with it; its lock file stays (others may have it open).
    assert sorted(p.name for p in (tmp_path / "archive-queues").iterdir()) == ["portal"]
    assert (tmp_path / "archive-locks" / "sample-portal.lock").exists()
    assert f"carried {len(first)} articles of sample-portal over to portal (formerly), with its 1 crawls and " in second.stderr
    assert query(tmp_path, "select id, url from articles order by id")[:len(first)] == first
    assert {r["source_id"] for r in query(tmp_path, "select source_id from articles")} == {"portal"}
    crawls = query(tmp_path, "select * from crawls order by id")
    assert [(c["source_id"], c["source_name"]) for c in crawls] == [
        ("portal", "Cổng thông tin mẫu (portal)"), ("portal", "Cổng mới (portal)")]
    # The articles the first crawl archived are the renamed source's own: none is fetched in full
    # again (spared by the sitemap's lastmod, or asked conditionally) nor counted new.
    again = query(tmp_path, "select f.url, f.status from fetches f join articles a on a.url = f.url "
                            "where f.crawl_id = ? and a.first_seen < ?", [crawls[1]["id"], crawls[1]["started_at"]])
    assert all(r["status"] == 304 for r in again), again
    assert crawls[1]["articles_new"] == len(query(tmp_path, "select id from articles")) - len(first)
    assert {r["source_id"] for r in query(tmp_path, "select distinct source_id from fetches")} == {"portal"}
    db = open_db(tmp_path / "archive.db")
    try:
        assert [r["id"] for r in db.query(HOME_SOURCES_SQL)] == ["portal"]
        title = db.execute("select title from articles order by id limit 1").fetchone()[0]
        assert [r["title"] for r in search(db, f'title:"{title}"', source="portal")][:1] == [title]
        assert search(db, f'title:"{title}"', source="sample-portal") == []
        assert _index_counts(db, "sample-portal") == (0, 0)
        total = db.execute("select count(*) from articles").fetchone()[0]
        assert _index_counts(db, "portal") == (total, total)
    finally:
        db.close()
    # Nothing is left to carry: the next crawl does not say it again.
    third = run_cli("crawl", "portal", "--db", "archive.db", "--max-pages", "2", check=True)
    assert " over to portal (formerly)" not in third.stderr
    # A former id never held is a typo, said at every crawl; one carried over is not.
    typo = ("portal: formerly names 'sample-portl', which this archive holds nothing under and never carried "
            "over: a typo in the sources file?")
    assert typo in second.stderr and typo in third.stderr and "'sample-portal'," not in third.stderr


def _source(source_id: str, formerly=()) -> object:
    text = OTHER.replace("other-portal", source_id)
    return parse_sources(_formerly(text, repr(list(formerly)).replace("'", '"')) if formerly else text)[0]


def _store(db, source, n: int, title: str) -> int:
    ingest.register_source(db, source)
    crawl = ingest.start_crawl(db, source, max_pages=None)
    record = {"url": f"https://hue.gov.vn/tin-tuc/bai-{source.id}-{n}.htm", "title": title, "text": f"{title} nội dung",
              "published": "2025-07-01"}
    store_page(db, ingest.prepare(record), source_id=source.id, seen_at=ingest.now_iso(), crawl_id=crawl)
    return crawl


def test_a_merge_keeps_both_sources_articles_and_is_done_once(tmp_path, caplog):
    db = open_db(tmp_path / "archive.db")
    try:
        hai_duong, hai_phong = _source("hai-duong"), _source("hai-phong")
        old_crawls = [_store(db, hai_duong, n, f"Hải Dương tin {n}") for n in range(3)]
        _store(db, hai_phong, 0, "Hải Phòng tin")
        merged = _source("hai-phong", formerly=["hai-duong", "never-crawled"])
        lock = SourceLock(tmp_path / "archive.db", "hai-duong").acquire()
        try:
            # A crawl of the old id running from a sources file of before the merger: left for later.
            with caplog.at_level(logging.WARNING, logger="govarchive.carryover"):
                assert carryover.carry_over(db, merged) == {}
            assert "hai-duong: not carried over to hai-phong (formerly) yet: hai-duong is already being crawled" in caplog.text
            assert db.execute("select count(*) from articles where source_id = 'hai-duong'").fetchone()[0] == 3
        finally:
            lock.release()
        with caplog.at_level(logging.WARNING, logger="govarchive.carryover"):
            ingest.start_crawl(db, merged, max_pages=None)
        assert "carried 3 articles of hai-duong over to hai-phong (formerly), with its 3 crawls and 3 fetches" in caplog.text
        rows = db.execute("select source_id, count(*) from articles group by source_id").fetchall()
        assert rows == [("hai-phong", 4)]
        assert [r[0] for r in db.execute("select id from sources")] == ["hai-phong"]
        # The old id's crawls left marked running died with their crawler (its lock was free).
        assert {r[0] for r in db.execute(f"select status from crawls where id in {tuple(old_crawls)}")} == {"interrupted"}
        assert _index_counts(db, "hai-duong") == (0, 0)
        assert _index_counts(db, "hai-phong") == (4, 4)
        assert len(search(db, "Hai Duong", source="hai-phong")) == 3
        assert len(search(db, "Hải Dương", source="hai-phong")) == 3
        assert search(db, "Hai Duong", source="hai-duong") == []
        # The rename is recorded: a former id carried over is told from one never held (a typo).
        assert [tuple(r) for r in db.execute("select old_id, new_id from source_renames")] == [("hai-duong", "hai-phong")]
        assert carryover.never_held(db, merged) == ["never-crawled"]
        # Done once: the next time is one lookup of the sources table's key.
        statements = []
        db.conn.set_trace_callback(statements.append)
        try:
            assert carryover.carry_over(db, merged) == {}
        finally:
            db.conn.set_trace_callback(None)
        (statement,) = statements
        assert re.fullmatch(r"select id from sources where id in \('hai-duong', 'never-crawled'\)", statement)
        plan = " ".join(r[3] for r in db.execute("explain query plan select id from sources where id in (?, ?)",
                                                  ["a", "b"]))
        assert "USING" in plan and "INDEX" in plan, plan
    finally:
        db.close()


def test_a_renamed_sources_interrupted_crawl_is_resumed_by_its_new_id(sample_site, tmp_path, run_cli):
    text = _sources(sample_site, ["portal"], schedule="0 */6 * * *")
    (tmp_path / "sources.toml").write_text(text, encoding="utf-8")
    run_cli("crawl", "sample-portal", "--db", "archive.db", "--max-pages", "6", check=True)
    # As a kill leaves it: its frontier kept, its row not finished.
    db = open_db(tmp_path / "archive.db")
    try:
        with db.atomic():
            db.execute("update crawls set status = 'interrupted', finished_at = null")
        left = ingest.frontier_extent(db, 1)[0]
    finally:
        db.close()
    assert left
    renamed = _formerly(text.replace('id = "sample-portal"', 'id = "portal"'), '["sample-portal", "sample-portl"]')
    (tmp_path / "sources.toml").write_text(renamed, encoding="utf-8")
    resumed = run_cli("crawl", "portal", "--resume", "--db", "archive.db", "--max-pages", "12", check=True)
    assert "no interrupted crawl to resume" not in resumed.stderr
    assert "resumes #1" in resumed.stdout, resumed.stdout
    assert [r["resumed_from"] for r in query(tmp_path, "select resumed_from from crawls order by id")] == [None, 1]


def test_a_crawl_from_before_names_were_recorded_keeps_its_sources_name_when_carried_over(tmp_path):
    """Such a crawl is cited under its source's present name, which the old id's row, removed by
    the carry-over, was the only record of: the successor's name must not take its place."""
    from archive.datasette.plugins.reading_room import publisher

    db = open_db(tmp_path / "archive.db")
    try:
        hai_duong = parse_sources(OTHER.replace("other-portal", "hai-duong").replace(
            'name = "', 'name = "Cổng Hải Dương', 1))[0]
        _store(db, hai_duong, 0, "Hải Dương tin")
        with db.atomic():
            db.execute("update crawls set source_name = null")  # as m024 leaves the crawls before it
        cited = f"select {publisher(True)} from articles a left join sources s on s.id = a.source_id"
        before = db.execute(cited).fetchone()[0]
        assert before.startswith("Cổng Hải Dương")
        carryover.carry_over(db, _source("hai-phong", formerly=["hai-duong"]))
        assert db.execute(cited).fetchone()[0] == before
    finally:
        db.close()


def test_stats_json_tells_the_merged_sources_crawls_apart_by_the_name_each_recorded(tmp_path):
    from click.testing import CliRunner

    from archive.cli import cli

    db = open_db(tmp_path / "archive.db")
    try:
        hai_duong = parse_sources(OTHER.replace("other-portal", "hai-duong").replace('name = "', 'name = "Hải Dương ', 1))[0]
        _store(db, hai_duong, 0, "Hải Dương tin")
        carryover.carry_over(db, _source("hai-phong", formerly=["hai-duong"]))
        _store(db, _source("hai-phong"), 1, "Hải Phòng tin")
    finally:
        db.close()
    result = CliRunner().invoke(cli, ["stats", "--db", str(tmp_path / "archive.db"), "--json"])
    assert result.exit_code == 0, result.output
    runs = [json.loads(line) for line in result.output.splitlines()]
    assert [(r["source_id"], r["source_name"][:9]) for r in runs] == [("hai-phong", "Cổng thôn"), ("hai-phong", "Hải Dương")]


def test_a_renamed_source_is_due_when_its_former_id_would_have_been(tmp_path):
    from archive.schedule import due_sources

    db = open_db(tmp_path / "archive.db")
    try:
        _store(db, _source("hai-duong"), 0, "Hải Dương tin")
        renamed = _source("hai-duong-moi", formerly=["hai-duong"])
        # A merger's successor crawled long ago: its own crawls, not its former id's, tell when it is due.
        _store(db, _source("hai-phong"), 0, "Hải Phòng tin")
        successor = _source("hai-phong", formerly=["hai-duong"])
        db.execute("update crawls set started_at = '2020-01-01T00:00:00+00:00' where source_id = 'hai-phong'")
        db.conn.commit()
    finally:
        db.close()
    now = datetime.now(timezone.utc)
    # The old id was crawled just now: renamed in the sources file, it is not due before its next slot.
    assert due_sources(tmp_path / "archive.db", [renamed, successor], now) == [successor]
    assert due_sources(tmp_path / "archive.db", [renamed], now + timedelta(hours=7)) == [renamed]


def test_a_rename_of_a_rename_and_a_rename_undone_are_recorded_as_they_stand(tmp_path):
    db = open_db(tmp_path / "archive.db")
    try:
        _store(db, _source("a"), 0, "Tin A")
        ingest.start_crawl(db, _source("b", formerly=["a"]), max_pages=None)
        ingest.start_crawl(db, _source("c", formerly=["b"]), max_pages=None)
        renames = "select old_id, new_id from source_renames order by old_id"
        assert [tuple(r) for r in db.execute(renames)] == [("a", "c"), ("b", "c")]
        # "a" is an id in use again: no former id, and what it was is now its own.
        ingest.start_crawl(db, _source("a", formerly=["c"]), max_pages=None)
        assert [tuple(r) for r in db.execute(renames)] == [("b", "a"), ("c", "a")]
        assert carryover.successor(db, "b")[0] == "a" and carryover.successor(db, "a") is None
    finally:
        db.close()


def test_a_link_by_a_former_id_finds_its_successors_articles_and_says_so(tmp_path):
    import asyncio

    from archive.serve import make_datasette

    db = open_db(tmp_path / "archive.db")
    try:
        _store(db, _source("hai-duong"), 0, "Hải Dương tin")
        ingest.start_crawl(db, _source("hai-phong", formerly=["hai-duong"]), max_pages=None)
    finally:
        db.close()
    ds = make_datasette(tmp_path / "archive.db")
    page = asyncio.run(ds.client.get("/-/search", params={"source": "hai-duong"})).text
    assert "Hải Dương tin" in page
    assert "Source «hai-duong» is now «hai-phong» (carried over at " in page
    data = asyncio.run(ds.client.get("/-/results.json", params={"source": "hai-duong"})).json()
    assert [r["title"] for r in data["results"]] == ["Hải Dương tin"]
    # An id never held is still said to be none.
    page = asyncio.run(ds.client.get("/-/search", params={"source": "hai-duong-cu"})).text
    assert "The archive has no source «hai-duong-cu»" in page
