"""A fetch row's WARC pointer naming another URL's record (pointers swapped in the database,
records shuffled in a copy): the record is refused as a damaged one is, never read as the
fetch's capture, while a capture of the fetch's own URL written another way still reads."""

import asyncio
import logging
import sqlite3
from datetime import datetime, timedelta, timezone

import pytest
from sqlite_utils import Database

from archive.captures import read_capture
from archive.db import MIGRATION_SET, m010_fetch_urls_only_when_they_differ
from archive.export import Selection, export
from archive.ingest import now_iso
from archive.reextract import reextract
from archive.warc import RecordUnreadable, WarcFileWriter, default_warc_dir, reference_for
from tests.conftest import query


def _two_articles(db_path):
    """Two articles' (article id, url, text, fetch row), their captures in the archive."""
    rows = query(db_path.parent, "select a.id, a.url, a.text, a.fetch_id from articles a join fetches f "
                                 "on f.id = a.fetch_id where f.warc_file is not null order by a.id limit 2")
    return [(r["id"], r["url"], r["text"], _fetch(db_path, r["fetch_id"])) for r in rows]


def _swap_pointers(db_path, one: int, other: int) -> None:
    conn = sqlite3.connect(db_path)
    pointers = {i: conn.execute("select warc_file, warc_offset, warc_length from fetches where id = ?", [i]).fetchone()
                for i in (one, other)}
    with conn:
        for i, j in ((one, other), (other, one)):
            conn.execute("update fetches set warc_file = ?, warc_offset = ?, warc_length = ? where id = ?",
                         [*pointers[j], i])
    conn.close()


def _fetch(db_path, fetch_id: int) -> dict:
    return query(db_path.parent, "select * from fetches where id = ?", [fetch_id])[0]


def test_a_pointer_to_another_urls_record_is_refused_naming_both_urls(archive_copy):
    (_, url_a, _, a), (_, url_b, _, b) = _two_articles(archive_copy)
    _swap_pointers(archive_copy, a["id"], b["id"])
    fetch = _fetch(archive_copy, a["id"])
    # A RecordUnreadable: every caller's path for a damaged record.
    with pytest.raises(RecordUnreadable) as refused:
        read_capture(archive_copy, fetch)
    message = str(refused.value)
    assert f"fetch {a['id']}" in message and f"{url_b}, not of {url_a}" in message


def test_reextract_keeps_the_text_of_an_article_whose_pointer_names_another_page(archive_copy, caplog):
    (id_a, url_a, text_a, a), (id_b, url_b, text_b, b) = _two_articles(archive_copy)
    assert text_a != text_b
    _swap_pointers(archive_copy, a["id"], b["id"])
    db = Database(sqlite3.connect(archive_copy))
    with caplog.at_level(logging.WARNING, logger="archive.reextract"):
        tally = reextract(db, archive_copy)
    assert tally["unreadable"] == 2
    texts = dict(db.execute("select id, text from articles where id in (?, ?)", [id_a, id_b]).fetchall())
    assert texts == {id_a: text_a, id_b: text_b}
    assert any(f"article {id_a} kept as it is" in line and f"{url_b}, not of {url_a}" in line
               for line in caplog.messages)


def test_a_warc_export_leaves_out_a_capture_of_another_url_and_says_so(archive_copy, tmp_path):
    (id_a, url_a, _, a), (id_b, url_b, _, b) = _two_articles(archive_copy)
    _swap_pointers(archive_copy, a["id"], b["id"])
    db = Database(sqlite3.connect(archive_copy))
    total = db.execute("select count(*) from articles").fetchone()[0]
    left = []
    with open(tmp_path / "out.warc.gz", "wb") as out:
        count = export(db, archive_copy, "warc", out, Selection(),
                       left_out=lambda row, reason, file: left.append((row["id"], reason, file)))
    assert count == total - 2
    assert {(i, file) for i, _, file in left} == {(id_a, None), (id_b, None)}
    assert any(i == id_a and f"{url_b}, not of {url_a}" in reason for i, reason, _ in left)


def test_the_capture_view_refuses_a_capture_of_another_url(archive_copy):
    from archive.serve import make_datasette

    (_, url_a, _, a), (_, url_b, _, b) = _two_articles(archive_copy)
    _swap_pointers(archive_copy, a["id"], b["id"])

    async def capture_page():
        return await make_datasette(archive_copy).client.get(f"/-/capture/{a['id']}.html")

    response = asyncio.run(capture_page())
    assert response.status_code == 500
    assert url_b in response.text and url_a in response.text
    # Said as what it is, and the other page's record is not offered as this capture's.
    assert "This capture&#39;s WARC record is of another address" in response.text or \
        "This capture's WARC record is of another address" in response.text
    assert f"/-/capture/{a['id']}.warc.gz" not in response.text


# The same URL as a record and a fetch row may spell it: each pair names one resource.
SPELLINGS = [
    ("http://127.0.0.1:80/tin-tuc/bai-1.html", "http://127.0.0.1/tin-tuc/bai-1.html"),
    ("https://www.chinhphu.vn/tin-t%e1%bb%a9c/b%C3%A0i.html?id=5", "https://www.chinhphu.vn/tin-t%E1%BB%A9c/b%c3%a0i.html?id=5"),
    ("https://www.chinhphu.vn/tin-tuc/bai-2.html#", "https://www.chinhphu.vn/tin-tuc/bai-2.html"),
    ("https://WWW.ChinhPhu.VN/tin-tuc/bai-3.html", "https://www.chinhphu.vn/tin-tuc/bai-3.html"),
    ("http://xn--b-ngoi-giao-vt9exz.vn/tin", "http://bộ-ngoại-giao.vn/tin"),
    ("https://www.chinhphu.vn/tin-t%E1%BB%A9c/bai-4.html", "https://www.chinhphu.vn/tin-tức/bai-4.html"),
    ("https://www.chinhphu.vn:443/tin-tuc/bai-5.html?utm_source=zalo", "https://www.chinhphu.vn/tin-tuc/bai-5.html"),
]
OTHERS = [
    ("https://www.chinhphu.vn/tin-tuc/bai-6.html?id=5", "https://www.chinhphu.vn/tin-tuc/bai-6.html?id=6"),
    ("https://www.chinhphu.vn/tin-tuc/bai-7.html", "https://baochinhphu.vn/tin-tuc/bai-7.html"),
    ("http://www.chinhphu.vn/tin-tuc/bai-8.html", "https://www.chinhphu.vn/tin-tuc/bai-8.html"),
]


def _written(archive_copy, records, status=200):
    """Fetch rows (not stored) pointing at new records of each (record URL, row URL) pair."""
    writer = WarcFileWriter(default_warc_dir(archive_copy), prefix="spellings")
    pointers = [writer.write_exchange(url=held, method="GET", request_headers=[], request_body=b"", status=status,
                                      reason="", response_headers=[("Content-Type", "text/html")],
                                      body=b"" if status == 304 else b"<p>trang</p>")
                for held, _ in records]
    writer.close()
    return [{"id": 9000 + i, "url": url, "response_url": None, "fetched_at": now_iso(),
             "warc_file": reference_for(writer.directory / p.file, archive_copy), "warc_offset": p.offset,
             "warc_length": p.length} for i, ((_, url), p) in enumerate(zip(records, pointers))]


@pytest.mark.parametrize("status", [200, 304])
def test_a_capture_of_the_fetchs_own_url_spelled_otherwise_still_reads(archive_copy, status):
    for fetch, (held, _) in zip(_written(archive_copy, SPELLINGS, status), SPELLINGS):
        assert read_capture(archive_copy, fetch).url == held
    for fetch in _written(archive_copy, OTHERS, status):
        with pytest.raises(RecordUnreadable, match="is a capture of"):
            read_capture(archive_copy, fetch)


def test_the_final_url_after_redirects_is_the_one_a_record_is_checked_against(archive_copy):
    (_, url_a, _, a), (_, url_b, _, b) = _two_articles(archive_copy)
    # As a fetch of url_a redirected to url_b records it: the record is url_b's.
    fetch = {**_fetch(archive_copy, b["id"]), "url": url_a, "response_url": url_b}
    assert read_capture(archive_copy, fetch).url == url_b
    with pytest.raises(RecordUnreadable, match=f"{url_a}, not of {url_b}"):
        read_capture(archive_copy, {**_fetch(archive_copy, a["id"]), "response_url": url_b})


def test_a_redirected_fetch_from_before_final_urls_were_recorded_still_reads(archive_copy):
    """Releases before m010 kept no response_url: such a row's record may be that of where a
    redirect led, which nothing in the row names."""
    (_, url_a, _, a), _ = _two_articles(archive_copy)
    fetch = {**_fetch(archive_copy, a["id"]), "url": url_a.replace(".html", "-cu.html"), "response_url": None}
    upgraded = datetime.fromisoformat(fetch["fetched_at"]) + timedelta(days=1)
    conn = sqlite3.connect(archive_copy)
    with conn:
        conn.execute("update _sqlite_migrations set applied_at = ? where migration_set = ? and name = ?",
                     [str(upgraded.astimezone(timezone.utc)), MIGRATION_SET,
                      m010_fetch_urls_only_when_they_differ.__name__])
    conn.close()
    assert read_capture(archive_copy, fetch).url == url_a
