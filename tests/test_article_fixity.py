"""The article page says when the text it shows is not known to be the record: the text no
longer gives the text_hash stored with it, or the capture it was read from cannot be read."""

import asyncio
import shutil
import sqlite3

import lxml.html
import pytest

from archive.db import open_db
from archive.fixity import text_hash
from archive.serve import make_datasette
from archive.warc import default_warc_dir
from conftest import store_page


@pytest.fixture
def archive(crawled_archive, tmp_path):
    folder = tmp_path / "archive"
    folder.mkdir()
    db_path = folder / "archive.db"
    shutil.copy(crawled_archive / "archive.db", db_path)
    shutil.copytree(default_warc_dir(crawled_archive / "archive.db"), default_warc_dir(db_path))
    return db_path


def change(db_path, sql, params=()):
    conn = sqlite3.connect(db_path)
    with conn:
        rows = conn.execute(sql, params).fetchall()
    conn.close()
    return rows


def an_article(db_path) -> dict:
    conn = sqlite3.connect(db_path)
    conn.row_factory = sqlite3.Row
    row = conn.execute("select a.id, a.text, f.warc_file, f.warc_offset, f.warc_length from articles a "
                       "join fetches f on f.id = a.fetch_id where a.text like '%Zalo%' order by a.id limit 1").fetchone()
    conn.close()
    return dict(row)


def page(db_path, path):
    response = asyncio.run(make_datasette(db_path).client.get(path))
    assert response.status_code == 200, response.text[:300]
    return lxml.html.fromstring(response.text)


def notice(tree) -> str | None:
    found = tree.cssselect(".fixity-notice")
    return " ".join(found[0].text_content().split()) if found else None


def test_a_sound_article_has_no_notice(archive):
    article = an_article(archive)
    tree = page(archive, f"/-/a/{article['id']}")
    assert tree.cssselect("article.reading") and notice(tree) is None


def test_a_text_changed_in_the_database_is_said_to_be_so(archive):
    article = an_article(archive)
    change(archive, "update articles set text = replace(text, 'Zalo', 'Zal0') where id = ?", [article["id"]])
    tree = page(archive, f"/-/a/{article['id']}")
    said = notice(tree)
    assert "no longer gives the hash (text_hash)" in said and "cannot be read" not in said
    # Before the text, which a reader may quote.
    assert tree.cssselect(".fixity-notice + article.reading")


def test_a_lost_or_damaged_capture_is_said_with_why(archive):
    article = an_article(archive)
    warc = archive.parent / article["warc_file"]
    data = bytearray(warc.read_bytes())
    data[article["warc_offset"] + article["warc_length"] // 2] ^= 0xFF
    warc.write_bytes(bytes(data))
    said = notice(page(archive, f"/-/a/{article['id']}"))
    assert "The capture this text was read from cannot be read" in said and "damaged" in said
    assert "text_hash" not in said.split("cannot be read")[1]  # the text itself is as archived
    warc.unlink()
    said = notice(page(archive, f"/-/a/{article['id']}"))
    assert "cannot be read" in said and article["warc_file"].split("/")[-1] in said


def test_an_earlier_version_s_text_is_checked_as_it_is_shown(archive):
    article = an_article(archive)
    (url, title, source), = change(archive, "select url, title, source_id from articles where id = ?", [article["id"]])
    text = article["text"] + "\nĐoạn cập nhật sau."
    db = open_db(archive, create=False)
    with db.atomic():
        assert store_page(db, {"url": url, "title": title, "text": text, "text_hash": text_hash(text)},
                          source_id=source, seen_at="2030-01-01T00:00:00+00:00") == "changed"
    db.close()
    change(archive, "update article_versions set text = text || ' thêm' where article_id = ? and version = 1",
           [article["id"]])
    said = notice(page(archive, f"/-/a/{article['id']}?version=1"))
    assert "no longer gives the hash (text_hash)" in said
    # The current text, which the later version is, is as archived.
    assert notice(page(archive, f"/-/a/{article['id']}")) is None
    assert notice(page(archive, f"/-/a/{article['id']}?version=2")) is None


def test_a_text_whose_fetch_row_is_gone_is_said_to_have_no_capture(archive):
    article = an_article(archive)
    change(archive, "pragma foreign_keys = off")
    change(archive, "delete from fetches where id = (select fetch_id from articles where id = ?)", [article["id"]])
    said = notice(page(archive, f"/-/a/{article['id']}"))
    assert "cannot be read" in said and "is not in the archive" in said


def test_the_current_version_asked_by_number_is_checked_as_the_text_it_shows(archive):
    # It reads as the article does; its version row may hold a text of its own (reextract reads
    # the article anew and leaves its versions as they were read), which is not the one shown.
    from archive.ingest import keep_version_texts

    article = an_article(archive)
    db = open_db(archive, create=False)
    with db.atomic():
        keep_version_texts(db, article["id"])
    db.close()
    change(archive, "update articles set text = text || ' thêm' where id = ?", [article["id"]])
    (number,) = change(archive, "select max(version) from article_versions where article_id = ?", [article["id"]])[0]
    said = notice(page(archive, f"/-/a/{article['id']}?version={number}"))
    assert said is not None and "no longer gives the hash (text_hash)" in said
