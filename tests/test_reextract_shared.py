"""A rule that reads page furniture gives every article the same title: reextract warns."""

import json
import shutil

from archive.db import open_db
from archive.reextract import reextract, shared_readings
from archive.warc import default_warc_dir
from tests.conftest import query


def rules_for(folder, source_id, rules):
    db = open_db(folder / "archive.db")
    with db.atomic():
        db.execute("update sources set extract_rules = ? where id = ?", [json.dumps(rules), source_id])
    return db


def copy(crawled_archive, tmp_path):
    shutil.copy(crawled_archive / "archive.db", tmp_path / "archive.db")
    shutil.copytree(default_warc_dir(crawled_archive / "archive.db"), default_warc_dir(tmp_path / "archive.db"))
    return tmp_path


def test_one_title_given_to_most_articles_a_run_changed_is_warned_about(crawled_archive, tmp_path):
    folder = copy(crawled_archive, tmp_path)
    news = query(folder, "select id from articles where source_id = 'sample-news'")
    assert len(news) > 10
    # The sample site's disclaimer is on every page of it, as a footer is.
    db = rules_for(folder, "sample-news", {"title": "p.sample-note"})
    tally = reextract(db, folder / "archive.db", source="sample-news")
    titles = {r["title"] for r in query(folder, "select title from articles where source_id = 'sample-news'")}
    (title,) = titles
    assert tally["updated"] == len(news)
    assert shared_readings(tally) == [
        f"{len(news)} of the {len(news)} articles of sample-news whose title changed now have the same title, "
        f"{title[:60] + '…'!r}: check the extract rules of sample-news"
    ]


def test_titles_that_differ_are_not_warned_about(crawled_archive, tmp_path):
    folder = copy(crawled_archive, tmp_path)
    # Reads the headline where the generic extractor may read it otherwise: every title differs.
    db = rules_for(folder, "sample-news", {"title": "h1", "body": "p.sample-note"})
    tally = reextract(db, folder / "archive.db", source="sample-news")
    # The body rule reads the disclaimer alone: the same text, warned about; the titles are not.
    assert [line.split(" now have")[0].rsplit(" whose ", 1)[1] for line in shared_readings(tally)] == ["text changed"]


def test_the_reextract_command_prints_the_warning(crawled_archive, tmp_path, run_cli):
    folder = copy(crawled_archive, tmp_path)
    rules_for(folder, "sample-news", {"title": "p.sample-note"}).close()
    result = run_cli("reextract", "--db", "archive.db", "--source", "sample-news", cwd=folder)
    assert result.returncode == 0, result.stderr
    assert "articles of sample-news whose title changed now have the same title" in result.stderr
