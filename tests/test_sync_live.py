"""Keeping a copy in sync with what the live pages did: an article whose live state, as an export
gives it (``live``), changes takes the archive's next change number (m029), so that a copy synced
by ``export --changed-after N`` learns that a page is gone, back or moved. Seen again as it was,
it keeps its number, as an article whose last_seen alone moves does."""

import sqlite3

from sqlite_utils import Database

from archive import ingest
from archive.db import m031_article_urls_date_author_description, migrations, open_db
from tests.conftest import query, store_page
from tests.test_live_changes import PATH, Site, site  # noqa: F401
from tests.test_sync import _changed, _export, _page, _source, _store, db  # noqa: F401
from tests.test_variants import crawl, folder  # noqa: F401

URL = "https://t.vn/{}"


def _fetch(db, n, status, **fields):
    """A crawl's fetch of article ``n``'s URL that is no reading of it (a 404, a 410, a redirect
    read as another page), in a write transaction of its own."""
    with db.atomic():
        return ingest.record_fetch(db, crawl_id=None, source_id="t", url=URL.format(n), kind="article",
                                   status=status, **fields)


def _soft_404(db, n):
    """What the crawl does with a 200 that says the page is not there: the fetch, then its error."""
    with db.atomic():
        fetch = ingest.record_fetch(db, crawl_id=None, source_id="t", url=URL.format(n), kind="article", status=200)
        ingest.set_fetch_error(db, fetch, ingest.NOT_THERE)


def _live(db, path, after, n):
    """The ``live`` of article ``n`` as ``export --changed-after after`` gives it; KeyError when
    that export leaves the article out."""
    records, _ = _export(db, path, after)
    return {r["url"]: r["live"] for r in records}[URL.format(n)]


def test_a_page_gone_back_and_moved_takes_a_number_each_time_and_seen_again_none(db, tmp_path):
    path = tmp_path / "archive.db"
    for n in (1, 2):
        _store(db, n)
    archived = _changed(db, 1)
    _fetch(db, 1, 404)
    gone = _changed(db, 1)
    assert gone > _changed(db, 2)
    assert _live(db, path, archived, 1)["state"] == "gone"
    # Gone again, as it was: nothing for a copy to learn (checked_at alone moves).
    _fetch(db, 1, 404)
    assert _changed(db, 1) == gone
    _fetch(db, 1, 410)  # what the record says changes: status 410
    assert _changed(db, 1) > gone
    gone = _changed(db, 1)
    # Back: the article read again as it was is a change of its live state, not of its text.
    assert _store(db, 1, seen_at="2024-12-02T00:00:00+00:00") == "unchanged"
    back = _changed(db, 1)
    assert back > gone and _live(db, path, gone, 1) is None
    assert _store(db, 1, seen_at="2024-12-03T00:00:00+00:00") == "unchanged"
    assert _changed(db, 1) == back
    # A "page not found" page answered 200, twice: read as a page first, then as not there, in
    # the one transaction; a number the first time only.
    _soft_404(db, 1)
    not_there = _changed(db, 1)
    assert not_there > back and _live(db, path, back, 1)["state"] == "not_there"
    _soft_404(db, 1)
    assert _changed(db, 1) == not_there
    # Moved: its URL leads to a new one, where the page reads as the article.
    with db.atomic():
        fetch = ingest.record_fetch(db, crawl_id=None, source_id="t", url=URL.format(1), kind="article",
                                    status=200, response_url=URL.format("m/1"))
        assert ingest.store_article(db, _page(1), source_id="t", fetch_id=fetch, seen_at="2024-12-04T00:00:00+00:00",
                                    also_at=URL.format("m/1")) == "unchanged"
    moved = _changed(db, 1)
    live = _live(db, path, not_there, 1)
    assert moved > not_there and live == {"state": "moved", "status": 200, "checked_at": live["checked_at"],
                                          "url": URL.format("m/1"), "temporary": None}
    # The new URL gone: the article's own URL was not asked, and its live state is gone all the same.
    _fetch(db, "m/1", 404)
    assert _changed(db, 1) > moved and _live(db, path, moved, 1)["state"] == "gone"
    assert _changed(db, 2) == archived + 1  # never fetched again


def test_pages_gone_in_one_batch_of_writes_take_a_number_each(db, tmp_path):
    for n in (1, 2, 3):
        _store(db, n)
    before = _changed(db, 3)
    with db.atomic():  # the crawl stores its items a batch at a time
        for n in (1, 2):
            ingest.record_fetch(db, crawl_id=None, source_id="t", url=URL.format(n), kind="article", status=404)
        ingest.record_fetch(db, crawl_id=None, source_id="t", url="https://t.vn/list", kind="listing", status=404)
    assert (_changed(db, 1), _changed(db, 2)) == (before + 1, before + 2)
    records, changes = _export(db, tmp_path / "archive.db", before)
    assert [(r["url"], r["live"]["state"]) for r in records] == [(URL.format(1), "gone"), (URL.format(2), "gone")]
    assert changes.through == before + 2


def test_an_archive_from_before_numbers_a_live_state_only_when_it_changes(tmp_path):
    path = tmp_path / "old.db"
    old = Database(sqlite3.connect(path))
    migrations.apply(old, stop_before="m029_live_change_numbers")
    m031_article_urls_date_author_description(old)  # what today's ingest writes to besides
    ingest.register_source(old, _source())
    for n in (1, 2):
        store_page(old, _page(n), source_id="t", seen_at="2024-12-01T00:00:00+00:00")
    # Page 1 found gone before the upgrade.
    ingest.record_fetch(old, crawl_id=None, source_id="t", url=URL.format(1), kind="article", status=404)
    old.conn.commit()
    old.close()
    db = open_db(path)
    numbers = {n: _changed(db, n) for n in (1, 2)}
    # Gone again: the fetches before said so already. Page 2, there until now, is gone.
    _fetch(db, 1, 404)
    _fetch(db, 2, 404)
    assert _changed(db, 1) == numbers[1] and _changed(db, 2) > numbers[2]
    assert _live(db, path, numbers[2], 2)["state"] == "gone"
    assert _store(db, 1, seen_at="2024-12-02T00:00:00+00:00") == "unchanged"
    assert _changed(db, 1) > _changed(db, 2)
    db.close()


def _only_change_number(folder):
    (article,) = query(folder, "select changed from articles")
    return article["changed"]


def test_a_crawl_finding_an_archived_page_not_there_numbers_it_once(site, folder):  # noqa: F811
    # The crawl stores the page as a page, then says it is a "page not found" page: the article's
    # number moves once, not on every crawl that finds it so.
    crawl(folder)
    archived = _only_change_number(folder)
    site.not_found.add(PATH)
    crawl(folder)
    not_there = _only_change_number(folder)
    assert not_there > archived
    db = open_db(folder / "archive.db")
    records, _ = _export(db, folder / "archive.db", archived)
    assert [r["live"]["state"] for r in records] == ["not_there"]
    db.close()
    crawl(folder)
    assert _only_change_number(folder) == not_there


def test_a_moved_article_is_checked_when_its_new_address_last_answered(db, tmp_path):
    # Its new address found gone, then answering again: the copy had "gone, checked on the 5th",
    # and the move must not then say it was checked on the 4th, by the fetch of its old address.
    path = tmp_path / "archive.db"
    _store(db, 1)
    with db.atomic():
        fetch = ingest.record_fetch(db, crawl_id=None, source_id="t", url=URL.format(1), kind="article", status=200,
                                    response_url=URL.format("m/1"), fetched_at="2024-12-04T00:00:00+00:00")
        ingest.store_article(db, _page(1), source_id="t", fetch_id=fetch, seen_at="2024-12-04T00:00:00+00:00",
                             also_at=URL.format("m/1"))
    assert _live(db, path, None, 1)["checked_at"] == "2024-12-04T00:00:00+00:00"
    _fetch(db, "m/1", 404, fetched_at="2024-12-05T00:00:00+00:00")
    assert _live(db, path, None, 1) == {"state": "gone", "status": 404, "checked_at": "2024-12-05T00:00:00+00:00"}
    with db.atomic():
        fetch = ingest.record_fetch(db, crawl_id=None, source_id="t", url=URL.format("m/1"), kind="article",
                                    status=200, fetched_at="2024-12-06T00:00:00+00:00")
        assert ingest.store_article(db, _page(1, url=URL.format("m/1")), source_id="t", fetch_id=fetch,
                                    seen_at="2024-12-06T00:00:00+00:00") == "unchanged"
    live = _live(db, path, None, 1)
    assert (live["state"], live["url"], live["checked_at"]) == ("moved", URL.format("m/1"), "2024-12-06T00:00:00+00:00")
