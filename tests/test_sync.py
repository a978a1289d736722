"""Keeping a copy in sync: every change to what an export carries gives the article the archive's
next change number (``articles.changed``), in the order the changes commit, whoever writes them
(a crawl, reextract, a source carried over, a merge); ``export --changed-after N`` takes up where
the last export stopped, with nothing missed and nothing repeated."""

import io
import json
import sqlite3
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import pytest
from sqlite_utils import Database

from archive import ingest
from archive.db import m031_article_urls_date_author_description, migrations, open_db
from archive.export import NoChangeNumbers, Selection, changes, export
from archive.sources import parse_sources
from tests.conftest import store_page

SOURCE = """[[source]]
id = "{id}"
name = "Cổng {id}"
kind = "press"
home = "https://t.vn/"
allowed_domains = ["t.vn"]
article_pattern = "x"
schedule = "0 * * * *"
{formerly}[source.discovery]
feeds = ["https://t.vn/rss"]
"""


def _source(source_id="t", formerly=""):
    return parse_sources(SOURCE.format(id=source_id, formerly=formerly))[0]


def _page(n, text="Sở triển khai kế hoạch tới người dân.", **fields):
    return {"url": f"https://t.vn/{n}", "title": f"Kế hoạch số {n}", "text": text, "published": "2024-06-01",
            "text_hash": f"{n}:{text}", **fields}


def _store(db, n, seen_at="2024-12-01T00:00:00+00:00", **fields):
    with db.atomic():
        return store_page(db, _page(n, **fields), source_id="t", seen_at=seen_at)


def _changed(db, n):
    return db.execute("select changed from articles where url = ?", [f"https://t.vn/{n}"]).fetchone()[0]


@pytest.fixture
def db(tmp_path):
    db = open_db(tmp_path / "archive.db")
    ingest.register_source(db, _source())
    db.conn.commit()
    yield db
    db.close()


def _writer(path, n, seen_at, wrote: threading.Event, commit: threading.Event):
    """A crawl's process: stores page ``n`` stamped ``seen_at``, says so, and commits when told."""
    db = open_db(path)
    with db.atomic():
        store_page(db, _page(n), source_id="t", seen_at=seen_at)
        wrote.set()
        assert commit.wait(10)
    db.close()


def test_numbers_follow_the_order_changes_commit_in_not_capture_times(db, tmp_path):
    # Two crawls write at once: the first stamps its page later but commits first. A copy polling
    # first_seen past the greatest it had read missed the other page; polling changed does not.
    path = tmp_path / "archive.db"
    events = [(threading.Event(), threading.Event()) for _ in range(2)]
    first = threading.Thread(target=_writer, args=(path, 1, "2024-12-01T00:00:02+00:00", *events[0]))
    second = threading.Thread(target=_writer, args=(path, 2, "2024-12-01T00:00:01+00:00", *events[1]))
    first.start()
    assert events[0][0].wait(10)
    second.start()  # waits for the write lock, which the first holds
    assert not events[1][0].wait(0.2)
    events[0][1].set()
    first.join()
    assert events[1][0].wait(10)  # the second has written, not yet committed: a copy syncs now
    reader = sqlite3.connect(path)
    cursor_seen, cursor_changed = reader.execute("select max(first_seen), max(changed) from articles").fetchone()
    events[1][1].set()
    second.join()
    assert reader.execute("select url from articles where first_seen > ?", [cursor_seen]).fetchall() == []
    assert reader.execute("select url from articles where changed > ?", [cursor_changed]).fetchall() == [
        ("https://t.vn/2",)]
    reader.close()


def test_changes_made_in_place_move_the_number_and_a_crawl_seeing_the_page_again_does_not(db):
    for n in (1, 2):
        assert _store(db, n) == "new"
    first = _changed(db, 1)
    assert first and _changed(db, 2) == first + 1
    # Seen again as it was: last_seen moves, the number does not.
    assert _store(db, 1, seen_at="2024-12-02T00:00:00+00:00") == "unchanged"
    assert _changed(db, 1) == first
    # Updated in place with what it had (a re-extraction that reads it alike): no change.
    (article,) = db.execute("select id from articles where url = 'https://t.vn/1'").fetchone()
    same = dict(zip(("title", "text", "author"),
                    db.execute("select title, text, author from articles where id = ?", [article]).fetchone()))
    with db.atomic():
        ingest.update_article(db, article, {**same, "last_seen": "2024-12-03T00:00:00+00:00"})
    assert _changed(db, 1) == first
    # reextract and ingest's in-place correction: the record changes, fetch_id and times do not.
    with db.atomic():
        ingest.update_article(db, article, {**same, "author": "Nguyễn Văn A"})
    corrected = _changed(db, 1)
    assert corrected > _changed(db, 2)
    # A new version.
    assert _store(db, 2, text="Sở triển khai kế hoạch mới.") == "changed"
    assert _changed(db, 2) > corrected


def test_a_source_carried_over_to_its_new_id_moves_its_articles_numbers(db):
    from archive.carryover import carry_over

    assert _store(db, 1) == "new"
    before = _changed(db, 1)
    assert carry_over(db, _source("t2", formerly='formerly = ["t"]\n')) == {"t": 1}
    assert db.execute("select source_id from articles").fetchall() == [("t2",)]
    assert _changed(db, 1) > before


def test_a_merged_article_is_numbered_and_named_by_the_next_export(tmp_path):
    from tests.test_merged_ids import merge

    path = tmp_path / "archive.db"
    article, twin, _version = merge(path)
    db = open_db(path)
    (merged_changed,) = db.execute("select changed from merged_articles where id = ?", [twin]).fetchone()
    assert merged_changed is not None
    # The survivor's record changed in the merge (its other URLs): numbered after the merge row.
    assert db.execute("select changed from articles where id = ?", [article]).fetchone()[0] > merged_changed
    where = changes(db, merged_changed - 1)
    assert [row[:2] for row in where.merged] == [(twin, article)]
    assert changes(db, merged_changed).merged == ()
    db.close()


def _export(db, path, after, fmt="jsonl", during=None):
    """The records an export of what changed since ``after`` writes, and the Changes it says."""
    class Out(io.BytesIO):
        def write(self, data):
            if during:  # another process commits while the export is being written
                during()
            return super().write(data)

    out, said = Out(), []
    export(db, path, fmt, out, Selection(changed_after=after), changed=said.append)
    return [json.loads(line) for line in out.getvalue().splitlines()], said[0]


def test_exports_chained_by_changed_after_miss_nothing_and_repeat_nothing_while_a_crawl_writes(db, tmp_path):
    path = tmp_path / "archive.db"
    for n in range(1, 6):
        _store(db, n)
    crawl = open_db(path)
    written = []

    def crawl_writes():
        if not written:
            # A new page and a change to one already exported, committed mid-export.
            written.append(_store(crawl, 6))
            written.append(_store(crawl, 1, text="Đã sửa."))

    records, first = _export(db, path, 0, during=crawl_writes)
    assert written == ["new", "changed"]
    assert [r["url"].rsplit("/", 1)[1] for r in records] == ["1", "2", "3", "4", "5"]
    assert [r["changed"] for r in records] == sorted(r["changed"] for r in records)
    assert first.through == records[-1]["changed"]  # as the export's snapshot saw it
    _store(crawl, 7)  # between the exports
    records, second = _export(db, path, first.through)
    assert [(r["url"].rsplit("/", 1)[1], r["text"]) for r in records] == [
        ("6", "Sở triển khai kế hoạch tới người dân."), ("1", "Đã sửa."), ("7", "Sở triển khai kế hoạch tới người dân.")]
    records, third = _export(db, path, second.through)
    assert records == [] and third.through == second.through
    crawl.close()


def _govarchive(*args, cwd):
    return subprocess.run([str(Path(sys.executable).with_name("govarchive")), *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def test_the_export_command_says_where_to_continue_and_names_merged_articles(tmp_path):
    from tests.test_merged_ids import merge

    # The exports go beside the archive's folder: the one its captures are named in is refused.
    tmp_path.joinpath("a").mkdir()
    path = tmp_path / "a" / "archive.db"
    article, twin, _version = merge(path)
    db = open_db(path)
    (merged_at, merged_changed) = db.execute("select merged_at, changed from merged_articles").fetchone()
    (through,) = db.execute("select value from change_counter").fetchone()
    db.close()

    full = _govarchive("export", "--db", path, "-o", tmp_path / "all.jsonl", cwd=tmp_path)
    assert full.returncode == 0, full.stderr
    assert f"Changes through {through}: continue with --changed-after {through}." in full.stderr.splitlines()

    since = _govarchive("export", "--db", path, "--changed-after", merged_changed - 1, cwd=tmp_path)
    assert since.returncode == 0, since.stderr
    assert [json.loads(line)["id"] for line in since.stdout.splitlines()] == [article]
    assert since.stderr.splitlines()[:2] == [
        f"warning: article {twin} was merged into article {article} at {merged_at}: its id is gone from the archive",
        f"Changes through {through}: continue with --changed-after {through}."]

    out = tmp_path / "since.zip"
    zipped = _govarchive("export", "--db", path, "--format", "zip", "--changed-after", merged_changed - 1,
                         "-o", out, cwd=tmp_path)
    # The merge's capture was named, never written: the export is kept as since.zip.incomplete.
    assert zipped.returncode == 1, zipped.stderr
    with zipfile.ZipFile(tmp_path / "since.zip.incomplete") as z:
        readme = z.read("README.txt").decode()
        merged_tsv = z.read("merged.tsv").decode()
    assert f"\nlast_change          {through}: " in readme and "merged.tsv" in readme
    assert merged_tsv.splitlines() == ["id\tinto_id\tmerged_at\tchanged", f"{twin}\t{article}\t{merged_at}\t{merged_changed}"]
    assert zipped.stderr.splitlines()[1] == (
        f"warning: 1 article merged into another since change {merged_changed - 1}: the zip's merged.tsv lists them")

    nothing = _govarchive("export", "--db", path, "--changed-after", through, cwd=tmp_path)
    assert nothing.returncode == 0 and nothing.stdout == ""
    assert nothing.stderr.splitlines() == [
        f"warning: nothing matched the selection (source=all changed_after={through}); nothing was written",
        f"Changes through {through}: continue with --changed-after {through}."]
    # A number past the archive's own (a copy synced with an archive since restored from an older
    # backup) would skip the changes numbered up to it here: said, not passed over.
    past = _govarchive("export", "--db", path, "--changed-after", through + 50, cwd=tmp_path)
    assert past.returncode == 0 and (
        f"warning: --changed-after {through + 50} is past this archive's last change number, {through}: "
        f"it is another archive's, or this one was restored from an older copy") in past.stderr
    assert "is past this archive's" not in nothing.stderr


def _archive_before_change_numbers(folder):
    """An archive of one article, upgraded up to m027 but not by it."""
    path = folder / "old.db"
    old = Database(sqlite3.connect(path))
    migrations.apply(old, stop_before="m027_change_numbers")
    m031_article_urls_date_author_description(old)  # what today's ingest writes to besides
    ingest.register_source(old, _source())
    store_page(old, _page(1), source_id="t", seen_at="2024-12-01T00:00:00+00:00")
    old.conn.commit()
    old.close()
    return path


def test_an_archive_from_before_is_upgraded_without_numbering_its_rows(tmp_path):
    path = _archive_before_change_numbers(tmp_path)
    db = open_db(path)
    assert _changed(db, 1) is None  # covered by a first full export
    _store(db, 2)
    _store(db, 1, text="Đã sửa.")
    assert (_changed(db, 2), _changed(db, 1)) == (1, 2)
    db.close()


def test_an_archive_read_as_it_is_refuses_changed_after_and_exports_in_full(tmp_path):
    path = _archive_before_change_numbers(tmp_path)
    from archive.db import READABLE_WITHOUT, _open_as_it_is

    assert "m027_change_numbers" in READABLE_WITHOUT
    db = _open_as_it_is(path, "its folder is read-only")
    with pytest.raises(NoChangeNumbers):
        changes(db, 0)
    out, said = io.BytesIO(), []
    assert export(db, path, "jsonl", out, Selection(), changed=said.append) == 1
    assert said == [None] and json.loads(out.getvalue())["changed"] is None
    db.close()


def test_datasette_pages_the_articles_by_change_number(db, tmp_path):
    import asyncio

    from archive.serve import make_datasette

    for n in range(1, 4):
        _store(db, n)
    _store(db, 1, text="Đã sửa.")
    after = _changed(db, 2)
    ds = make_datasette(tmp_path / "archive.db")
    response = asyncio.run(ds.client.get(f"/archive/articles.json?changed__gt={after}&_sort=changed&_shape=objects"))
    assert response.status_code == 200, response.text
    assert [(r["url"], r["changed"]) for r in response.json()["rows"]] == [
        ("https://t.vn/3", after + 1), ("https://t.vn/1", after + 2)]
