"""Re-extractions that meet trouble: WARC files gone or unreadable."""

import shutil
import sqlite3

import pytest

from archive.warc import default_warc_dir
from tests.test_export_durability import a_directory_in_place_of_a_warc_file, govarchive


@pytest.fixture
def archive_copy(crawled_archive, tmp_path):
    """A private copy of the crawled archive."""
    shutil.copy(crawled_archive / "archive.db", tmp_path / "archive.db")
    shutil.copytree(default_warc_dir(crawled_archive / "archive.db"), default_warc_dir(tmp_path / "archive.db"))
    return tmp_path / "archive.db"


def test_a_warc_file_that_cannot_be_read_leaves_its_articles_as_they_are(archive_copy):
    warc_file, affected = a_directory_in_place_of_a_warc_file(archive_copy)
    total = sqlite3.connect(archive_copy).execute("select count(*) from articles").fetchone()[0]
    result = govarchive("reextract", "--stored-rules", "--db", archive_copy.name, cwd=archive_copy.parent)
    assert "Traceback" not in result.stderr
    assert result.stdout.startswith(f"0 updated, {total - len(affected)} unchanged, 0 without a capture, "
                                    f"{len(affected)} with a capture that cannot be read"), result.stdout
    assert warc_file in result.stderr and "Is a directory" in result.stderr


def test_gone_or_unreadable_warc_files_are_named_and_the_exit_status_is_1(archive_copy):
    # A directory in place of one file, and eight articles whose files are gone.
    warc_file, affected = a_directory_in_place_of_a_warc_file(archive_copy)
    db = sqlite3.connect(archive_copy)
    ids = [r[0] for r in db.execute("select id from articles order by id")]
    with db:
        for n, article_id in enumerate([i for i in ids if i not in affected][:8]):
            db.execute("update fetches set warc_file = ? where id = (select fetch_id from articles where id = ?)",
                       [f"archive-warc/gone-{n}.warc.gz", article_id])
    db.close()
    unread = len(affected) + 8
    result = govarchive("reextract", "--stored-rules", "--db", archive_copy.name, cwd=archive_copy.parent)
    assert result.returncode == 1, result.stderr
    assert result.stdout.splitlines()[0] == (f"0 updated, {len(ids) - unread} unchanged, 0 without a capture, "
                                             f"{unread} with a capture that cannot be read.")
    # Named once each, not once for each of their articles: a handful, then how many more.
    said = [line for line in result.stderr.splitlines() if not line.startswith("Re-extracting: ")]
    assert said == [
        f"error: {unread} captures could not be read; their articles keep their reading; WARC files gone or "
        f"unreadable: {warc_file} (Is a directory), "
        + ", ".join(f"archive-warc/gone-{n}.warc.gz (missing)" for n in range(4)) + " and 4 more"]


def test_an_article_a_crawl_stores_anew_while_it_is_re_extracted_is_left_to_the_crawl(archive_copy, monkeypatch):
    import archive.reextract as module
    from click.testing import CliRunner

    from archive.cli import cli
    from archive.db import open_db
    from archive.extract import text_hash
    from archive.ingest import now_iso, prepare
    from tests.conftest import store_page

    db = open_db(archive_copy)
    article_id, url, source_id, fetch_id = db.execute(
        "select id, url, source_id, fetch_id from articles order by id limit 1").fetchone()
    # An older reading, so that re-extracting the capture would update the article.
    with db.atomic():
        db.execute("update articles set extractor_version = 'old' where id = ?", [article_id])
    real = module.extract
    crawled = {}

    def extract_while_a_crawl_stores_an_edit(body, page_url, headers, rules=None, **capture):
        record = real(body, page_url, headers, rules, **capture)
        if page_url == url and not crawled:
            text = record["text"] + "\nNội dung được cập nhật lần hai."
            crawled.update(record, text=text, text_hash=text_hash(text))
            crawl = open_db(archive_copy)
            with crawl.atomic():
                assert store_page(crawl, prepare(dict(crawled)), source_id=source_id, seen_at=now_iso()) == "changed"
            crawl.close()
        return record

    monkeypatch.setattr(module, "extract", extract_while_a_crawl_stores_an_edit)
    result = CliRunner().invoke(cli, ["reextract", "--stored-rules", "--db", str(archive_copy)])
    assert result.exit_code == 0, result.output
    assert "1 left alone as a crawl stored them anew meanwhile." in result.stdout
    # The crawl's reading stands, with its capture; the one it replaced is a version.
    text, stored_hash, now_from = db.execute("select text, text_hash, fetch_id from articles where id = ?",
                                             [article_id]).fetchone()
    assert (text, stored_hash) == (crawled["text"], crawled["text_hash"]) and now_from != fetch_id
    versions = db.execute("select fetch_id, in_articles from article_versions where article_id = ? order by version",
                          [article_id]).fetchall()
    assert versions == [(fetch_id, None), (now_from, 1)]
