"""Carrying a source's former ids over to it: ``formerly = ["hai-duong"]`` in sources.toml.

An id renamed, or a portal merged into another (Hải Dương's into Hải Phòng's in 2025), leaves
the old id's articles outside the successor's crawls: never re-checked, fetched again in full
(crawls know the articles they may ask conditionally, and re-check, by source id), and read by
other extract rules than the successor's. At the successor's crawl start every row of its former
ids becomes its own, in one transaction.

Nothing can clash: an article's URL (articles.url, article_urls.url) is the archive's once,
whichever source met it first, so the old id's articles and the successor's are kept side by side.
Each crawl keeps the name it recorded (crawls.source_name): a page captured from the old portal
is still cited under the name it had then.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import sqlite3

from sqlite_utils import Database

from archive.db import FOLD_COLUMNS, db_file, index_versions
from archive.locks import SourceLock, SourceLocked
from archive.search import LIST_FILTERS, filter_words, row_filter_words
from archive.sources import Source
from archive.vietnamese import fold

logger = logging.getLogger("govarchive.carryover")

# Articles folded and re-indexed at a time: the texts of a batch are held in memory.
BATCH = 500


def former_ids_held(db: Database, source: Source) -> list[str]:
    """Those of the source's former ids the archive still files rows under. One lookup of the
    sources table's key: every crawl registers its source before it writes a row, and the carry
    over removes the old id's row last, so an id without one has nothing to carry."""
    if not source.formerly:
        return []
    marks = ", ".join("?" * len(source.formerly))
    return [r[0] for r in db.execute(f"select id from sources where id in ({marks})", list(source.formerly))]


def carry_over(db: Database, source: Source) -> dict[str, int]:
    """Carry the rows of ``source``'s former ids over to it; returns the articles carried, by
    old id. The caller holds ``source``'s lock (a crawl of it is starting). An old id that a crawl
    is crawling now (a scheduler still reading the sources file of before the rename) is left for
    the next crawl of ``source``, with a warning: its rows would be filed under it again."""
    held = former_ids_held(db, source)
    if not held:
        return {}
    from archive.ingest import close_interrupted, register_source

    with contextlib.ExitStack() as locks:
        free = []
        for old in held:
            try:
                locks.enter_context(SourceLock(db_file(db), old))
            except SourceLocked as exc:
                logger.warning("%s: not carried over to %s (formerly) yet: %s; the next crawl of %s carries it",
                               old, source.id, exc, source.id)
                continue
            free.append(old)
        if not free:
            return {}
        with db.atomic():
            register_source(db, source)  # the rows' new id must name a source first
            counts = {}
            for old in free:
                close_interrupted(db, old)  # its crawls marked running died: its lock was free
                counts[old] = (_carry_articles(db, old, source.id), *_carry_crawls(db, old, source.id))
                db.execute("delete from sources where id = ?", [old])
                _record_rename(db, old, source.id)
        for old in free:
            _drop_queue_folder(db, old)
    for old, (articles, crawls, fetches) in counts.items():
        logger.warning("carried %s articles of %s over to %s (formerly), with its %s crawls and %s fetches",
                       f"{articles:,}", old, source.id, f"{crawls:,}", f"{fetches:,}")
    return {old: articles for old, (articles, _crawls, _fetches) in counts.items()}


def _record_rename(db: Database, old: str, new: str) -> None:
    """Record that ``old`` is now ``new``: ids carried over to ``old`` before are ``new``'s now
    too, and ``new``, an id in use again, is no former id (a rename undone)."""
    from archive.ingest import now_iso

    db.execute("update source_renames set new_id = ? where new_id = ?", [new, old])
    db.execute("delete from source_renames where old_id = ?", [new])
    db.execute("insert or replace into source_renames (old_id, new_id, renamed_at) values (?, ?, ?)",
               [old, new, now_iso()])


def never_held(db: Database, source: Source) -> list[str]:
    """Those of the source's former ids the archive neither holds rows under nor carried over: a
    typo in ``formerly``, or an id of another archive."""
    if not source.formerly:
        return []
    marks = ", ".join("?" * len(source.formerly))
    known = {r[0] for r in db.execute(f"select id from sources where id in ({marks}) union "
                                      f"select old_id from source_renames where old_id in ({marks})",
                                      [*source.formerly, *source.formerly])}
    return [old for old in source.formerly if old not in known]


def successor(conn, old: str) -> tuple[str, str] | None:
    """(new id, when) of a source id carried over to another, or None; ``conn`` is the archive's
    Database or a connection to it (the reading room reads an archive maybe not upgraded)."""
    try:
        return conn.execute("select new_id, renamed_at from source_renames where old_id = ?", [old]).fetchone()
    except sqlite3.OperationalError as exc:
        if "no such table" not in str(exc):
            raise
        return None  # an archive read as it is, before m028: nothing carried over


def _drop_queue_folder(db: Database, old: str) -> None:
    """Remove the old id's request queue folder, which no crawl will empty again: a crawl's
    queue is made afresh at its start, and what an interrupted crawl left is in the frontier
    table, carried over with its crawl. The old id's lock file stays: removing a file others may
    have open to lock would let two processes each hold "the" lock."""
    from archive.crawl import queue_dir

    folder = queue_dir(db_file(db), old)
    try:
        shutil.rmtree(folder)
    except FileNotFoundError:
        pass
    except OSError as exc:
        logger.warning("%s: the request queue folder of %s (carried over) could not be removed: %s",
                       folder, old, exc.strerror or exc)


_FOLD_FIELDS = ("id", *FOLD_COLUMNS, "source_id", "published_month",
                *(column for _prefix, column in LIST_FILTERS))


def _carry_articles(db: Database, old: str, new: str) -> int:
    """Move ``old``'s articles to ``new``, and the search indexes' filter words with them. The
    exact index's triggers re-index a row whose source_id changes; the folded index holds no
    content, and forgets a row only when told every value it was indexed with."""
    carried, after = 0, 0
    while True:
        rows = [dict(zip(_FOLD_FIELDS, r)) for r in db.execute(
            f"select {', '.join(_FOLD_FIELDS)} from articles where source_id = ? and id > ? order by id limit ?",
            [old, after, BATCH])]
        if not rows:
            return carried
        deleted, inserted = [], []
        for row in rows:
            folded = [fold(row[c] or "") for c in FOLD_COLUMNS]
            deleted.append(("delete", row["id"], *folded, row_filter_words(row)))
            inserted.append((row["id"], *folded, row_filter_words({**row, "source_id": new})))
        db.conn.executemany("insert into articles_fold (articles_fold, rowid, title, description, text, filters) "
                            "values (?, ?, ?, ?, ?, ?)", deleted)
        db.conn.executemany("insert into articles_fold (rowid, title, description, text, filters) "
                            "values (?, ?, ?, ?, ?)", inserted)
        _carry_versions(db, old, new, rows[0]["id"], rows[-1]["id"])
        db.execute("update articles set source_id = ? where source_id = ? and id between ? and ?",
                   [new, old, rows[0]["id"], rows[-1]["id"]])
        carried += len(rows)
        after = rows[-1]["id"]


def _carry_versions(db: Database, old: str, new: str, first: int, last: int) -> None:
    """Give the earlier versions of ``old``'s articles ``first`` to ``last`` the source word of
    ``new`` in their search index (archive.db.m030), each keeping its other filter words."""
    versions = db.execute(
        """select v.id, v.title, v.description, v.text, v.fold_filters from article_versions v
           where v.article_id in (select id from articles where source_id = ? and id between ? and ?)
             and v.in_articles is not 1""", [old, first, last]).fetchall()
    if not versions:
        return
    old_word, new_word = filter_words(old, None), filter_words(new, None)
    carried = [(version_id, *texts, " ".join(new_word if w == old_word else w for w in (words or "").split()))
               for version_id, *texts, words in versions]
    index_versions(db, versions, forget=True)
    index_versions(db, carried)
    db.conn.executemany("update article_versions set fold_filters = ? where id = ?",
                        [(words, version_id) for version_id, *_texts, words in carried])


def _carry_crawls(db: Database, old: str, new: str) -> tuple[int, int]:
    """Move ``old``'s crawls and fetches to ``new``: its crawls' leftover requests are then taken
    over by ``new``'s next crawl, and its fetches' validators ask its articles conditionally."""
    # A crawl from before the archive recorded names (m024) is cited under its source's present
    # name, which the old id's row, about to go, is the only record of.
    db.execute("update crawls set source_name = (select name from sources where id = ?) "
               "where source_id = ? and source_name is null", [old, old])
    crawls = db.execute("update crawls set source_id = ? where source_id = ?", [new, old]).rowcount
    fetches = db.execute("update fetches set source_id = ? where source_id = ?", [new, old]).rowcount
    return crawls, fetches
