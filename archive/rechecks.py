"""Which archived articles a crawl asks for again when its discovery did not lead to them.

A portal drops an article from its sitemap and listings when it removes or moves it, and often
only because the article has aged out of them. Asked for by no crawl, such an article would stay
in the archive as the live page it once was: its removal (404, 410), its move (a redirect) or a
later edit never recorded. Each crawl therefore asks again for a few of its source's archived
articles, those asked for longest ago first, so that successive crawls go round the whole archive.
"""

from __future__ import annotations

from collections.abc import Set
from contextlib import closing

from sqlite_utils import Database

def due_for_recheck(db: Database, source_id: str, count: int, *, skip: Set[str] = frozenset()) -> list[str]:
    """Up to ``count`` URLs of the source's archived articles, none of them in ``skip`` (what the
    crawl asked for already): those whose last fetch is oldest first, one never fetched before
    any. An article is asked for at its own URL: whatever that answers is what the reading room
    tells of the live page."""
    if count <= 0:
        return []
    # From the index on (source_id, last_fetch_id), oldest first (never fetched, null, before
    # any), the rowid breaking ties. The crawl's own URLs, fetched last, come at the end: the
    # rows are read only until enough are found, however many the crawl asked for.
    rows = db.execute("select url from articles where source_id = ? order by last_fetch_id, id", [source_id])
    due = []
    with closing(rows):
        for (url,) in rows:
            if url not in skip:
                due.append(url)
                if len(due) == count:
                    break
    return due


def begin_rechecks(db: Database, crawl_id: int) -> None:
    """Record that the crawl begins its re-checks: every fetch it stores from now on is one of
    them, since it makes them once its discovery is done and stored."""
    with db.atomic():
        db.execute("update crawls set rechecks_after = (select coalesce(max(id), 0) from fetches) where id = ?",
                   [crawl_id])


def rechecks_stored(db: Database, crawl_id: int | None) -> int:
    """How many re-checks ``crawl_id`` and every crawl it resumes stored: what is left of the
    crawl's batch for the crawl that resumes it."""
    stored = 0
    while crawl_id is not None:
        resumed_from, after = db.execute(
            "select resumed_from, rechecks_after from crawls where id = ?", [crawl_id]).fetchone()
        if after is not None:
            stored += db.execute("select count(*) from fetches where crawl_id = ? and id > ?",
                                 [crawl_id, after]).fetchone()[0]
        crawl_id = resumed_from
    return stored
