"""Lean storage: each text kept once, integer LSH buckets, 32-bit signatures (m008), an exact
index without positions (m009), freed pages given back; an archive written before migrates
without losing a version, a syndication link or an exact match."""

from __future__ import annotations

import hashlib
import logging
import sqlite3

import numpy as np
import pytest
from sqlite_utils import Database

from archive import ingest, syndication
from archive.db import migrations, open_db, release_free_pages
from archive.search import search
from archive.sources import Source
from archive.vietnamese import fold
from conftest import store_page

TEXT = (
    "Ngày 12/3/2024, Sở Thông tin và Truyền thông Hà Nội ban hành Kế hoạch 174/KH-UBND về việc "
    "đưa kênh Zalo OA của thành phố vào phục vụ người dân, tiếp nhận phản ánh về hạ tầng, môi trường "
    "và thủ tục hành chính, đồng thời cung cấp thông tin chính thống về chủ trương, chính sách mới."
)


def _old_bands(sig_hex: str) -> list[str]:
    """Bucket keys as m005 wrote them: hex text over 64-bit values."""
    values = np.frombuffer(bytes.fromhex(sig_hex), dtype=np.uint32).astype(np.uint64)
    return [hashlib.blake2b(values[b * 4:(b + 1) * 4].tobytes(), digest_size=8).hexdigest() for b in range(16)]


def test_an_archive_from_before_m008_migrates(tmp_path):
    path = tmp_path / "old.db"
    db = Database(sqlite3.connect(path))
    migrations.apply(db, stop_before="m008_lean_storage")
    db["sources"].insert_all([{"id": "a"}, {"id": "b"}])
    sig = syndication.signature(TEXT)
    for article_id, source in ((1, "a"), (2, "b")):
        db["articles"].insert({"id": article_id, "url": f"http://{source}.example/1.html", "source_id": source,
                               "title": "Zalo OA", "text": TEXT, "text_hash": "h"})
        db["article_versions"].insert({"article_id": article_id, "version": 1, "title": "Zalo OA", "text": TEXT,
                                       "text_hash": "h"})
        old_blob = np.frombuffer(bytes.fromhex(sig), dtype=np.uint32).astype(np.uint64).tobytes()
        db["article_minhash"].insert({"article_id": article_id, "signature": old_blob})
        db["lsh_bands"].insert_all({"band": i, "bucket": b, "article_id": article_id} for i, b in enumerate(_old_bands(sig)))
    # an older version with its own text stays as it is
    db["article_versions"].insert({"article_id": 1, "version": 0, "title": "Nháp", "text": "bản cũ", "text_hash": "o"})
    db.conn.commit()
    db.close()

    db = open_db(path)
    rows = db.execute("select version, in_articles, text from article_versions where article_id = 1 order by version").fetchall()
    assert rows == [(0, None, "bản cũ"), (1, 1, None)]
    history = db.execute("select version, text from article_history where article_id = 1 order by version").fetchall()
    assert history == [(0, "bản cũ"), (1, TEXT)]
    assert {len(r[0]) for r in db.execute("select signature from article_minhash")} == {64 * 4}
    assert db.execute("select typeof(bucket) from lsh_bands limit 1").fetchone()[0] == "integer"
    found = syndication.similar(db, sig, exclude=1)
    assert [(f[0], f[1], f[2]) for f in found] == [(2, "b", 1.0)]


def _archive(path):
    """A new archive with the source "s" registered."""
    db = open_db(path)
    ingest.register_source(db, Source(id="s", name="S", kind="press", home="http://s.example/",
                                      allowed_domains=("s.example",), article_pattern=r".*", schedule="0 * * * *"))
    return db


def test_a_changed_article_keeps_each_text_once(tmp_path):
    db = _archive(tmp_path / "archive.db")
    record = {"url": "http://s.example/1.html", "title": "Zalo OA", "text": TEXT, "text_hash": "1",
              "minhash": syndication.signature(TEXT)}
    with db.atomic():
        assert store_page(db, ingest.prepare(dict(record)), source_id="s", seen_at="t1") == "new"
    changed = {**record, "text": TEXT + " Bổ sung chuyên mục hỏi đáp.", "text_hash": "2"}
    with db.atomic():
        assert store_page(db, ingest.prepare(changed), source_id="s", seen_at="t2") == "changed"
    assert db.execute("select version, in_articles, text from article_versions order by version").fetchall() == [
        (1, None, TEXT), (2, 1, None)]
    assert [r[0] for r in db.execute("select text from article_history order by version")] == [TEXT, changed["text"]]
    # the re-indexed signature replaced the old band keys instead of adding to them
    assert db.execute("select count(*) from lsh_bands").fetchone()[0] == syndication.BANDS


def test_a_templated_notice_is_compared_with_the_latest_of_its_kind_only(tmp_path):
    # A weekly schedule posted for years: every notice shares every bucket with the others, and
    # comparing a new one with all of them made storing each slower than the last.
    db = _archive(tmp_path / "a.db")
    notice = "Lịch tiếp công dân định kỳ của Chủ tịch UBND quận Ba Đình tại trụ sở tiếp công dân. " * 4
    count = 2 * syndication.CANDIDATES_PER_BAND + 40
    for article_id in range(1, count + 1):
        text = f"{notice} Tuần {article_id}."
        db["articles"].insert({"id": article_id, "url": f"http://s.example/{article_id}", "source_id": "s",
                               "title": "Lịch tiếp công dân", "text": text})
        syndication.index_article(db, article_id, "s", syndication.signature(text))
    found = {article_id for article_id, _source, _score in syndication.similar(db, syndication.signature(f"{notice} Tuần 0."))}
    latest = set(range(count - syndication.CANDIDATES_PER_BAND + 1, count + 1))
    assert latest <= found
    assert len(found) < count and 1 not in found


def test_a_new_archive_uses_16_kb_pages_and_an_old_one_keeps_its_own(tmp_path):
    new = open_db(tmp_path / "new.db")
    assert new.execute("pragma page_size").fetchone()[0] == 16384
    old = sqlite3.connect(tmp_path / "old.db")
    old.execute("create table t (x)")
    old.close()
    assert open_db(tmp_path / "old.db").execute("pragma page_size").fetchone()[0] == 4096


def test_an_archive_from_before_m009_keeps_its_exact_matches(tmp_path, caplog):
    path = tmp_path / "old.db"
    db = Database(sqlite3.connect(path))
    migrations.apply(db, stop_before="m009_exact_index_without_positions")
    db["sources"].insert({"id": "s"})
    texts = {1: ("Năm 2024 ở Hà Nội", TEXT), 2: ("Nam Định triển khai Zalo OA", "Tỉnh Nam Định mở kênh Zalo OA.")}
    for article_id, (title, text) in texts.items():
        db["articles"].insert({"id": article_id, "url": f"http://s.example/{article_id}.html", "source_id": "s",
                               "title": title, "text": text, "text_hash": str(article_id)})
        db["articles_fold"].insert({"rowid": article_id, **{c: fold(v) for c, v in (("title", title), ("text", text))}})
    db.conn.commit()
    db.close()

    with caplog.at_level(logging.WARNING, logger="archive.db"):
        db = open_db(path)
        open_db(tmp_path / "new.db").close()
    # the upgrade is announced, a new archive's set-up is not
    [message] = [r.getMessage() for r in caplog.records]
    assert message.startswith(f"{path}: upgrading the archive (m009_exact_index_without_positions, m010_")
    assert message.endswith("); on a large archive this takes a while")
    sql = db.execute("select sql from sqlite_master where name = 'articles_fts'").fetchone()[0]
    assert "detail=none" in sql
    # rebuilt from the articles table: both found, the exact accents first
    assert [r[0] for r in db.execute("select rowid from articles_fts where articles_fts match 'Nam'")] == [2]
    results = search(db, "nam")
    assert [(r["id"], r["exact_match"]) for r in results] == [(2, True), (1, False)]
    # the folded index was built again with each article's filter words (m011)
    assert [r["id"] for r in search(db, "nam", source="s")] == [2, 1] and search(db, "nam", source="x") == []
    # phrases and column filters still match on the folded index; the exact index ranks them
    assert [(r["id"], r["exact_match"]) for r in search(db, '"Hà Nội" title:năm')] == [(1, True)]
    assert [(r["id"], r["exact_match"]) for r in search(db, '"nam dinh" title:dinh')] == [(2, False)]
    # the triggers still keep it in step
    with db.atomic():
        db.execute("update articles set title = 'Nam Bộ' where id = 1")
    assert {r[0] for r in db.execute("select rowid from articles_fts where articles_fts match 'Nam'")} == {1, 2}
    db.execute("delete from articles where id = 2")
    assert {r[0] for r in db.execute("select rowid from articles_fts where articles_fts match 'Nam'")} == {1}


def test_freed_pages_go_back_in_a_new_archive_only(tmp_path):
    def fill_and_empty(db):
        with db.atomic():
            db.conn.executemany("insert into frontier (crawl_id, url, kind) values (?, ?, ?)",
                                [(1, f"http://s.example/{i}/" + "x" * 500, "article") for i in range(5000)])
        with db.atomic():
            db.execute("delete from frontier")
        return db.execute("pragma freelist_count").fetchone()[0]

    new = open_db(tmp_path / "new.db")
    assert new.execute("pragma auto_vacuum").fetchone()[0] == 2
    freed = fill_and_empty(new)
    assert freed > 50
    size = (tmp_path / "new.db").stat().st_size + (tmp_path / "new.db-wal").stat().st_size
    assert release_free_pages(new) == freed
    assert new.execute("pragma freelist_count").fetchone()[0] == 0
    new.execute("pragma wal_checkpoint(truncate)")
    assert (tmp_path / "new.db").stat().st_size < size - freed * 16384 // 2

    old = sqlite3.connect(tmp_path / "old.db")
    old.execute("create table t (x)")
    old.close()
    old = open_db(tmp_path / "old.db")
    freed = fill_and_empty(old)
    assert freed > 50
    # an archive made before auto_vacuum keeps its free pages for reuse: giving them back
    # would need a VACUUM, which rewrites the whole file
    assert release_free_pages(old) == 0
    assert old.execute("pragma freelist_count").fetchone()[0] == freed


def _store_one(db, text_hash, **fields):
    """Store (or store again) the one article page "Thông báo", with the record ``fields``."""
    record = {"url": "http://s.example/1.html", "title": "Thông báo", "text": TEXT, "text_hash": text_hash, **fields}
    with db.atomic():
        return store_page(db, ingest.prepare(record), source_id="s", seen_at="t")


def _found(db, **filters):
    """What "Thông báo" finds with ``filters``: in the folded index, and in the exact one."""
    from archive.search import parse_query, with_filters

    folded = with_filters(parse_query("thong bao").folded, **filters)
    exact = with_filters(parse_query("Thông báo").accented, column=False, **filters)
    return ([r[0] for r in db.execute("select rowid from articles_fold where articles_fold match ?", [folded])],
            [r[0] for r in db.execute("select rowid from articles_fts where articles_fts match ?", [exact])])


def test_filter_words_follow_an_article_that_changes(tmp_path):
    db = _archive(tmp_path / "archive.db")
    assert _store_one(db, "1", published="2024-03-05T08:00:00+07:00") == "new"
    assert _found(db, month="2024-03") == _found(db, source="s") == _found(db, source="s", month="2024-03") == ([1], [1])
    assert _found(db, month="2024-04") == _found(db, source="t") == ([], [])
    # re-read with another date: the old month's word is gone from the indexes, the new one there
    assert _store_one(db, "2", published="2024-04-01T08:00:00+07:00") == "changed"
    assert _found(db, month="2024-03") == ([], [])
    assert _found(db, month="2024-04") == _found(db, source="s") == ([1], [1])


@pytest.mark.parametrize("source_id, month, channels, agencies, refs", [
    ("bench-7", "2019-05", '["Facebook", "Zalo"]', '["Sở Thông tin và Truyền thông", "UBND tỉnh Đắk Lắk"]',
     '["174/KH-UBND", "13/2023/NĐ-CP"]'),
    ("sở-tư-pháp", None, None, "[]", None), (None, "2024-12", '["Zalo"]', None, '["57-NQ/TW"]'),
    ("", "", '[""]', '"Zalo"', "{}"), (None, None, "not json", '[1, null, "Bộ Y tế"]', ""),
])
def test_the_filter_words_are_the_same_in_python_and_in_sqlite(source_id, month, channels, agencies, refs):
    from archive.search import filter_words, filter_words_sql, json_list

    conn = sqlite3.connect(":memory:")
    conn.execute("create table articles (source_id, published_month, channels, agencies, refs)")
    conn.execute("insert into articles values (?, ?, ?, ?, ?)", [source_id, month, channels, agencies, refs])
    in_sqlite = conn.execute(f"select {filter_words_sql('articles')} from articles").fetchone()[0]
    lists = (json_list(channels), json_list(agencies), json_list(refs))
    assert in_sqlite.split() == filter_words(source_id, month, *lists).split()
    as_m011 = conn.execute(f"select {filter_words_sql('articles', lists=False)} from articles").fetchone()[0]
    assert as_m011 == filter_words(source_id, month)


def test_channel_agency_and_document_words_follow_an_article_in_both_indexes(tmp_path):
    db = _archive(tmp_path / "archive.db")
    zalo = {"kind": "channel", "platform": "Zalo", "name": "Zalo OA", "text": "Zalo OA"}
    agency = {"kind": "agency", "platform": None, "name": "Sở Tư pháp", "text": "Sở Tư pháp"}
    plan = [{"ref": "174/KH-UBND"}]
    assert _store_one(db, "1", mentions=[zalo, agency], doc_refs=plan) == "new"
    assert _found(db, platform="Zalo") == _found(db, agency="Sở Tư pháp") == _found(db, ref="174/KH-UBND") == ([1], [1])
    assert _found(db, platform="Zalo", source="s", ref="174/KH-UBND") == ([1], [1])
    assert _found(db, platform="Facebook") == _found(db, agency="Sở Y tế") == _found(db, ref="174/KH") == ([], [])
    # re-read without the channel and the plan: their words leave both indexes, the agency's stays
    assert _store_one(db, "2", mentions=[agency]) == "changed"
    assert _found(db, platform="Zalo") == _found(db, ref="174/KH-UBND") == ([], [])
    assert _found(db, agency="Sở Tư pháp") == ([1], [1])


def test_archives_from_before_m012_get_channel_agency_and_document_words(tmp_path):
    from sqlite_utils import Database

    from archive.db import migrations
    from archive.search import parse_query, with_filters

    db = Database(tmp_path / "old.db")
    migrations.apply(db, stop_before="m012_channel_agency_and_document_filter_words")
    db.execute("insert into sources (id, name) values ('s', 'S')")
    db.execute(
        "insert into articles (url, source_id, title, text, published_month, channels, agencies, refs) "
        "values ('http://s.example/1.html', 's', 'Thông báo', ?, '2024-03', '[\"Zalo\"]', '[\"Sở Tư pháp\"]', "
        "'[\"174/KH-UBND\"]')",
        [TEXT],
    )
    db.conn.commit()
    db.close()
    db = open_db(tmp_path / "old.db")
    for index, query, column in (("articles_fold", "thong bao", True), ("articles_fts", "Thông báo", False)):
        text = parse_query(query).folded if column else parse_query(query).accented
        for filters in ({"platform": "Zalo"}, {"agency": "Sở Tư pháp"}, {"ref": "174/KH-UBND"},
                        {"month": "2024-03", "source": "s"}):
            match = with_filters(text, column=column, **filters)
            assert [r[0] for r in db.execute(f"select rowid from {index} where {index} match ?", [match])] == [1]


def test_seeing_an_unchanged_article_again_leaves_the_exact_index_alone(tmp_path):
    db = open_db(tmp_path / "archive.db")
    with db.atomic():
        db["sources"].insert({"id": "s"})
        for i in range(1, 51):
            db["articles"].insert({"id": i, "url": f"http://s.example/{i}.html", "source_id": "s", "title": "Zalo OA",
                                   "text": TEXT, "published_month": "2024-03"})
    segments = db.execute("select group_concat(id) from articles_fts_data").fetchone()[0]
    with db.atomic():
        db.execute("update articles set last_seen = 'later'")
    assert db.execute("select group_concat(id) from articles_fts_data").fetchone()[0] == segments
    # a change to what it indexes still reaches it: the month's word moves with the article
    with db.atomic():
        db.execute("update articles set published_month = '2024-04' where id = 7")
    month = {m: {r[0] for r in db.execute("select rowid from articles_fts where articles_fts match ?", [f'"month{m}"'])}
             for m in ("202403", "202404")}
    assert month["202404"] == {7} and len(month["202403"]) == 49 and 7 not in month["202403"]


def test_an_archive_whose_first_creation_ran_out_of_storage_is_named_empty_and_made_by_the_next_run(tmp_path):
    import subprocess
    import sys

    from archive.db import ArchiveError, check_archive

    path = tmp_path / "archive.db"
    # A file size limit stands for a full disk; Python ignores SIGXFSZ, so writes fail instead.
    create = ("import resource, sys; resource.setrlimit(resource.RLIMIT_FSIZE, (300 * 1024, 300 * 1024)); "
              "from archive.db import open_db; open_db(sys.argv[1])")
    first = subprocess.run([sys.executable, "-c", create, str(path)], capture_output=True, text=True, timeout=120)
    assert first.returncode != 0 and ("disk I/O error" in first.stderr or "full" in first.stderr), first.stderr
    # Not "another program's database": nothing was made in it, and a crawl makes the archive.
    with pytest.raises(ArchiveError, match="an empty database, with no archive made in it yet; 'govarchive crawl' makes one"):
        check_archive(path)
    check_archive(path, may_be_new=True)
    db = open_db(path)
    assert {"articles", "crawls", "fetches", "articles_fold"} <= set(db.table_names())
    check_archive(path)
