"""Re-running extraction over stored captures, with no network.

When the extractor or its rules improve, every article can be rebuilt from the bytes the
archive kept. This is a correction of the archive's reading, not a change on the site: the
row is updated in place (and the FTS index with it), ``last_seen`` and versions are untouched.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from sqlite_utils import Database
from sqlite_utils.db import NotFoundError

from archive.captures import CaptureMissing, WarcFileMissing, read_capture
from archive.extract import extract
from archive.ingest import (
    SAID, article_fields, keep_version_texts, read_again, register_source, store_knowledge, update_article,
)
from archive.sources import UNMATCHED_RULES, Source, unmatched_rule
from archive.warc import RecordUnreadable, WarcFileUnreadable

logger = logging.getLogger(__name__)


EXAMPLES = 3  # ids named of the articles a re-extraction left without text or title
# A new title or text given to more than this many articles of a source, and to more than half
# of those whose title or text changed, is a rule reading something every page has (a footer).
SHARED_MIN = 10
SHARED_SHOWN = 60  # characters shown of such a title or text


class Tally(Counter):
    """Counts of updated, unchanged, missing (no capture was kept), unreadable (a capture that
    cannot be read) and "changed meanwhile" articles (a crawl stored them anew while they were
    re-extracted, and they were left to it), with the WARC files that are gone or cannot be read in
    ``files`` (file: why); and under "no text" and "no title" of the updated ones that had a
    text or title and lost it, with the first ids and every source of those in ``emptied``: a
    rule that finds nothing is broken. ``changed`` counts, by (source, "text" or "title"), the
    updated articles given a new one, and ``shared`` holds each new one that most of them share.
    ``ruled`` counts by source the articles read by extract rules, and ``unmatched`` by (source,
    rule, selector, why) those where a rule gave nothing (archive.sources.UNMATCHED_RULES)."""

    def __init__(self):
        super().__init__()
        self.files: dict[str, str] = {}
        self.emptied: dict[str, tuple[list[int], set[str]]] = {"text": ([], set()), "title": ([], set())}
        self.changed: Counter = Counter()
        self.shared: list[Shared] = []
        self.ruled: Counter = Counter()
        self.unmatched: Counter = Counter()


class Shared(NamedTuple):
    """A new title or text a re-extraction gave ``count`` of the ``changed`` articles of a source
    whose title or text it changed; ``head`` is its beginning."""

    source: str
    key: str
    count: int
    changed: int
    head: str


def shared_readings(tally: Tally) -> list[str]:
    """One warning line for each new title or text that many articles now share."""
    return [f"{s.count:,} of the {s.changed:,} articles of {s.source} whose {s.key} changed now have the same "
            f"{s.key}, {s.head!r}: check the extract rules of {s.source}" for s in tally.shared]


def unmatched_readings(tally: Tally) -> list[str]:
    """One warning line for each extract rule that gave nothing on some of the articles re-read:
    a mistyped selector leaves them the generic reading, which a few articles show only by their
    titles (the portal's name), too few for shared_readings to tell."""
    lines = []
    for (source, key, selector, why), count in tally.unmatched.items():
        where = f"{count:,} of the {tally.ruled[source]:,} articles re-read"
        lines.append(f"{source}: {unmatched_rule(key, selector, why, where)}")
    return lines


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during a re-extraction: ``tally`` of what it did, and ``next_id``, the article to
    go on from (articles go in id order; the one being re-extracted was rolled back)."""

    def __init__(self, tally: Tally, next_id: int):
        super().__init__()
        self.tally, self.next_id = tally, next_id


class RulesTaken(NamedTuple):
    """The archive's sources the sources file lists, those of them whose rules it changed, and
    those it does not list (they keep their stored rules)."""

    listed: list[str]
    changed: list[str]
    unlisted: list[str]


def take_rules(db: Database, sources: list[Source], *, only: str | None = None) -> RulesTaken:
    """Store with each archived source (or only ``only``) its rules in ``sources``, as its next
    crawl would, so that the re-extraction reads by them and the crawls after it agree with it.
    A source the file does not list keeps its stored rules: its articles are still the
    archive's, and those rules the last it was read by."""
    by_id = {s.id: s for s in sources}
    taken = RulesTaken([], [], [])
    with db.atomic():
        for source_id, stored in db.execute("select id, extract_rules from sources order by id").fetchall():
            if only and source_id != only:
                continue
            source = by_id.get(source_id)
            if source is None:
                taken.unlisted.append(source_id)
                continue
            taken.listed.append(source_id)
            if json.loads(stored or "{}") != source.extract:
                taken.changed.append(source_id)
                register_source(db, source)
    return taken


def reextract(
    db: Database,
    db_path: str | Path,
    *,
    source: str | None = None,
    from_id: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Tally:
    """Re-extract every article (of ``source``; from id ``from_id`` on), with the captures of
    its other URLs; returns the Tally. An unreadable record is logged, a WARC file that is gone or
    unreadable goes into the Tally's ``files``. Interrupted on Ctrl-C."""
    where, params = ("source_id = ? and id >= ?", [source]) if source else ("id >= ?", [])
    params.append(from_id or 1)
    total = db.execute(f"select count(*) from articles where {where}", params).fetchone()[0]
    tally = Tally()
    rules = {
        row[0]: json.loads(row[1] or "{}") for row in db.execute("select id, extract_rules from sources")
    }
    next_id = from_id or 1
    # The new readings are counted on disk, by digest: memory stays flat on a large archive.
    db.execute("create temp table reextract_readings (source_id text, key text, digest blob, head text)")
    try:
        for done, (article_id, url, source_id) in enumerate(_pages(db, where, params), start=1):
            next_id = article_id
            if progress:
                progress(done, total)
            tally[_article(db, db_path, article_id, url, source_id, rules.get(source_id), tally)] += 1
            _reread_urls(db, db_path, article_id, rules.get(source_id))
        tally.shared = _shared(db, tally)
    except KeyboardInterrupt:
        raise Interrupted(tally, next_id) from None
    finally:
        db.execute("drop table temp.reextract_readings")
    return tally


def _note_readings(db: Database, source_id: str, before: dict, fields: dict, tally: Tally) -> None:
    """Count the article's new title and text, to find one that many articles now share."""
    for key in ("text", "title"):
        new = fields[key] or ""
        if new.strip() and new != before[key]:
            tally.changed[source_id, key] += 1
            digest = hashlib.blake2b(new.encode("utf-8", "surrogatepass"), digest_size=16).digest()
            head = new[:SHARED_SHOWN] + ("…" if len(new) > SHARED_SHOWN else "")
            db.execute("insert into temp.reextract_readings values (?, ?, ?, ?)", [source_id, key, digest, head])


def _shared(db: Database, tally: Tally) -> list[Shared]:
    rows = db.execute("select source_id, key, count(*), min(head) from temp.reextract_readings "
                      "group by source_id, key, digest having count(*) > ? order by source_id, key",
                      [SHARED_MIN]).fetchall()
    return [Shared(source_id, key, count, tally.changed[source_id, key], head)
            for source_id, key, count, head in rows if count * 2 > tally.changed[source_id, key]]


# What a crawl changes when it stores an article anew: a newer capture, or a new reading of the
# same one (by another extractor version or other rules).
_READING = "select fetch_id, text_hash, title, extractor_version from articles where id = ?"


def _article(db, db_path, article_id, url, source_id, rules, tally) -> str:
    """Re-extract one article; returns what became of it."""
    reading = db.execute(_READING, [article_id]).fetchone()
    try:
        fetch = db["fetches"].get(reading[0])
        capture = read_capture(db_path, fetch)
        body = capture.body
    except (WarcFileMissing, WarcFileUnreadable) as exc:
        # Every capture in the file fails alike: the file is named once, not each article.
        tally.files.setdefault(str(exc.file), exc.reason)
        return "unreadable"
    except (NotFoundError, CaptureMissing, TypeError):
        return "missing"
    except RecordUnreadable as exc:
        # The article keeps its current reading rather than one of undecodable bytes.
        logger.warning("article %s kept as it is: %s", article_id, exc)
        return "unreadable"
    # At the fetch's time, as the crawl read it: a page without a Date header is dated by it.
    record = extract(body, url, capture.headers, rules, captured_at=fetch["fetched_at"])
    _count_unmatched(record, source_id, rules, tally)
    fields = article_fields(record)
    stored = db.execute(f"select {', '.join(fields)} from articles where id = ?", [article_id]).fetchone()
    if tuple(stored) == tuple(fields.values()):
        # Rewriting it alike would still copy its text into its versions and renumber its
        # references and mentions.
        return "unchanged"
    with db.atomic():
        if db.execute(_READING, [article_id]).fetchone() != reading:
            # A crawl ran meanwhile: the capture read here is no longer the article's, and its
            # reading would take the article back to what it was (and the next crawl would
            # find it changed and add a version that is not one).
            return "changed meanwhile"
        # Versions keep the reading they were captured with; this one replaces it in place.
        keep_version_texts(db, article_id)
        update_article(db, article_id, fields)
        store_knowledge(db, article_id, source_id, record)
        before = dict(zip(fields, stored))
        # In the article's transaction: a write outside one would leave one open for the next.
        _note_readings(db, source_id, before, fields, tally)
    for key in ("text", "title"):
        if (before[key] or "").strip() and not (fields[key] or "").strip():
            tally[f"no {key}"] += 1
            ids, sources = tally.emptied[key]
            if len(ids) < EXAMPLES:
                ids.append(article_id)
            sources.add(source_id)
    return "updated"


def _count_unmatched(record: dict, source_id: str, rules: dict | None, tally: Tally) -> None:
    unmatched = record.pop(UNMATCHED_RULES, None)
    if unmatched is None:
        return
    tally.ruled[source_id] += 1
    tally.unmatched.update((source_id, key, rules[key], why) for key, why in unmatched.items())


def _reread_urls(db: Database, db_path: str | Path, article_id: int, rules: dict | None) -> None:
    """Read the captures behind the article's other URLs again too: what each URL gave is
    compared with its next fetch, and a reading by the old rules would make every one of them a
    change."""
    rows = db.execute("select url, fetch_id from article_urls where article_id = ?", [article_id]).fetchall()
    for url, fetch_id in rows:
        record = read_again(db, db_path, fetch_id, url, rules)
        if record is None:
            continue
        # Unless a crawl has fetched the URL again meanwhile: its reading is of the newer capture.
        with db.atomic():
            db.execute("update article_urls set text_hash = ?, title = ?, extractor_version = ?, "
                       "published = ?, author = ?, description = ? where url = ? and fetch_id = ?",
                       [record.get("text_hash"), record.get("title"), record.get("extractor_version"),
                        *(record.get(field) for field in SAID), url, fetch_id])


def _pages(db: Database, where: str, params: list, size: int = 500):
    """Rows in id order, a page at a time, so memory stays flat on a large archive."""
    last = 0
    while True:
        rows = db.execute(
            f"select id, url, source_id from articles "
            f"where {where} and id > ? order by id limit {size}",
            [*params, last],
        ).fetchall()
        if not rows:
            return
        yield from rows
        last = rows[-1][0]
