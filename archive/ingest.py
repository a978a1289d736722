"""Turning crawl events and extracted records into archive rows.

The crawler calls these functions and nothing else, so that storage stays behind one seam
(a distributed crawl can later hand items to a single writer that calls the same functions).
"""

from __future__ import annotations

import itertools
import json
import os
import re
import sqlite3
import weakref
from datetime import datetime, timezone
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit

from sqlite_utils import Database
from sqlite_utils.db import NotFoundError

from archive import carryover, syndication
from archive.captures import CaptureMissing, read_capture
from archive.db import FOLD_COLUMNS, HEALTH_COLUMNS, db_file, index_versions
from archive.search import LIST_FILTERS, row_filter_words
from archive.sources import Source
from archive.vietnamese import fold
from archive.warc import RecordUnreadable

ARTICLE_COLUMNS = (
    "title", "author", "published", "updated", "description", "text", "language", "sitename",
    "categories", "tags", "image", "word_count", "text_hash", "extractor_version", "charset",
)


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def prepare(record: dict) -> dict:
    """Add to an extracted record what storing it costs in CPU (the folded search text), so a
    crawl can do it in its extraction workers instead of the process that writes."""
    record["folded"] = _folded(record)
    return record


def _folded(fields: dict) -> list[str]:
    """The folded title, description and text, as the articles_fold index holds them."""
    return [fold(fields.get(c) or "") for c in FOLD_COLUMNS]


def extract_for_storage(
    body: bytes, url: str, headers: dict, rules: dict | None = None, fetched_at: str | None = None
) -> dict:
    """extract() then prepare(): the job a crawl's extraction workers run for each page.
    ``fetched_at`` is the time its fetch row gets, which a re-extraction reads it by too."""
    # Imported here: every govarchive command imports this module, and only crawls need
    # trafilatura (~15 MB and a second to load).
    from archive.extract import extract

    return prepare(extract(body, url, headers, rules, captured_at=fetched_at))


# The id a new article or version takes: above any such row ever had. SQLite would give the
# greatest id of a row deleted by a merge (_take_in_twin) again, to another article; the ids the
# merges freed are in merged_articles. Each max() is one lookup in an index.
_NEW_ID = {
    "articles": "max(coalesce((select max(id) from articles), 0), "
                "coalesce((select max(id) from merged_articles), 0)) + 1",
    "article_versions": "max(coalesce((select max(id) from article_versions), 0), "
                        "coalesce((select max(version_id) from merged_articles), 0)) + 1",
}


def _insert(db: Database, table: str, row: dict) -> int:
    """One INSERT of ``row`` (scalar values only); returns the new rowid.

    The per-item writes of a crawl use this rather than ``db[table].insert()``, which inspects
    the table and opens a savepoint on every call (3.7 s of a 2,000-article crawl, profiled).
    """
    columns = [f"[{c}]" for c in row]
    marks = ["?"] * len(row)
    if table in _NEW_ID:
        columns.insert(0, "id")
        marks.insert(0, _NEW_ID[table])
    return db.execute(f"insert into [{table}] ({', '.join(columns)}) values ({', '.join(marks)})",
                      list(row.values())).lastrowid


def register_source(db: Database, source: Source) -> None:
    db["sources"].upsert(
        {
            "id": source.id,
            "name": source.name,
            "kind": source.kind,
            "home": source.home,
            "allowed_domains": json.dumps(list(source.allowed_domains)),
            "article_pattern": source.article_pattern,
            "schedule": source.schedule,
            "extract_rules": json.dumps(source.extract, ensure_ascii=False),
            "updated_at": now_iso(),
        },
        pk="id",
    )


def start_crawl(
    db: Database, source: Source, *, max_pages: int | None, backfill: bool = False,
    resumed_from: int | None = None,
) -> int:
    # Before the crawl reads what the source has archived: what its former ids archived is its own.
    carryover.carry_over(db, source)
    with db.atomic():
        register_source(db, source)
        table = db["crawls"].insert(
            {
                # The name the archive's articles from this crawl are cited under: sources.name
                # is replaced when the source is renamed.
                "source_id": source.id, "source_name": source.name, "started_at": now_iso(), "status": "running",
                "max_pages": max_pages, "pages": 0, "articles_new": 0, "articles_changed": 0,
                "articles_unchanged": 0, "articles_not_modified": 0, "errors": 0,
                "backfill": int(backfill), "resumed_from": resumed_from,
            }
        )
    return table.last_pk


def interrupted_crawl(db: Database, source_id: str) -> int | None:
    """The last crawl of ``source_id`` if it never finished (killed, still running, or stopped by
    a failure, which keeps its frontier as a kill does)."""
    row = db.execute(
        "select id, status from crawls where source_id = ? order by id desc limit 1", [source_id]
    ).fetchone()
    return row[0] if row and row[1] in ("running", "interrupted", "failed") else None


# SQLite's primary result codes for a failure of where the archive is kept rather than of what
# was written to it: a full disk or one gone read-only, an I/O error (a file size limit too),
# a lock held past the busy timeout, a damaged file, no memory left.
_STORAGE_CODES = frozenset({
    sqlite3.SQLITE_PERM, sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_NOMEM,
    sqlite3.SQLITE_READONLY, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_FULL,
    sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PROTOCOL, sqlite3.SQLITE_NOTADB,
})


# The crawl stat (crawls.stats) in which the crawler names the storage failure that stopped a
# crawl, for the crawl's summary.
STORAGE_FAILURE_STAT = "govarchive/storage_failure"
# The crawl's stats counting the links it met that match the source's article_pattern, and the
# archived articles its sitemaps spared (dated before their last capture).
ARTICLE_LINKS_STAT = "archive/article_links"
SITEMAP_UNCHANGED_STAT = "archive/sitemap_unchanged"
# The crawl's stat counting the archived articles it asked for again once its discovery was
# done (archive/rechecks.py): a crawl that made them did not stop for its page budget.
RECHECKED_STAT = "archive/rechecked"


def storage_failure(exc: BaseException) -> bool:
    """Whether ``exc`` is the archive's storage failing (the database or a file of ours), which
    writing the same rows again succeeds once it is mended, rather than something in the rows."""
    if isinstance(exc, sqlite3.Error):
        return (getattr(exc, "sqlite_errorcode", 0) & 0xFF) in _STORAGE_CODES
    return isinstance(exc, OSError)


def close_interrupted(db: Database, source_id: str) -> None:
    """Close the source's crawls that were killed (the caller holds the source's lock, so none
    is alive) with what they fetched, as finish_crawl would have: the crawls table and the
    crawl_health view would otherwise show them running, with nothing fetched, for good."""
    with db.atomic():
        killed = db.execute("select id from crawls where source_id = ? and status = 'running'", [source_id])
        for (crawl_id,) in killed.fetchall():
            pages, _ok, errors = fetch_counts(db, crawl_id)
            last = db.execute("select max(fetched_at) from fetches where crawl_id = ?", [crawl_id]).fetchone()[0]
            db["crawls"].update(crawl_id, {
                "status": "interrupted", "finished_at": last, "pages": pages, "errors": errors,
                **crawl_health(db, crawl_id),
            })


class Known(NamedTuple):
    """What a crawl needs of an archived article: the validators of the capture behind it, and
    when its content was last confirmed (a 200 or a 304). A capture its WARC file no longer
    holds (lost_captures) confirms nothing and gives no validators: a conditional request would
    get a 304, and the page would never be captured again."""

    etag: str | None
    last_modified: str | None
    last_seen: str | None
    # The capture the validators come from (WARC file, offset, length), which a 304's revisit
    # record names.
    validated_by: tuple[str, int, int] | None = None


def known_articles(db: Database, source_id: str, *, before: str | None = None) -> dict[str, Known]:
    """Archived article URLs of a source (first seen before ``before``, when given)."""
    rows = db.execute(
        f"""select a.url, v.etag, v.last_modified, a.last_seen, f.warc_file, f.warc_offset, f.warc_length,
                  v.warc_file, v.warc_offset, v.warc_length
           from articles a left join fetches f on f.id = a.fetch_id
           left join fetches v on v.id = {_VALIDATED_BY.format(url="a.url", reading="a.fetch_id")}
           where a.source_id = ? and (? is null or a.first_seen < ?)
           union all
           select u.url, v.etag, v.last_modified, u.last_seen, f.warc_file, f.warc_offset, f.warc_length,
                  v.warc_file, v.warc_offset, v.warc_length
           from article_urls u join articles a on a.id = u.article_id left join fetches f on f.id = u.fetch_id
           left join fetches v on v.id = {_VALIDATED_BY.format(url="u.url", reading="u.fetch_id")}
           where a.source_id = ? and (? is null or u.first_seen < ?)""",
        [source_id, before, before] * 2,
    ).fetchall()
    captures = {capture for row in rows for capture in (row[4:7], row[7:10]) if capture[0] is not None}
    lost = lost_captures(Path(db_file(db)).parent, captures)
    known = {}
    files: dict[str, str] = {}  # one string for each WARC file's name, however many rows name it
    # An article's own URL with a row of its own: that row tells what the URL gave last.
    for url, etag, last_modified, last_seen, *capture in rows:
        # Asked in full when either capture is gone: the reading's, which the answer then
        # replaces, or the one whose validators a 304 would confirm.
        if tuple(capture[:3]) in lost or tuple(capture[3:]) in lost:
            etag = last_modified = last_seen = None
        validated_by = None
        if (etag or last_modified) and capture[3] is not None:
            validated_by = (files.setdefault(capture[3], capture[3]), capture[4], capture[5])
        known[url] = Known(etag, last_modified, last_seen, validated_by)
    return known


# The fetch whose validators (ETag, Last-Modified) a URL is asked again with: its latest whole
# answer (a 200 read as the page, not led elsewhere) since its reading, else the reading's. A
# page read the same again keeps its reading's fetch, and a server that gave it an ETag only
# later, or a new one, would otherwise be asked with the old validators for good.
_VALIDATED_BY = """coalesce((select max(g.id) from fetches g where g.url = {url} and g.id > {reading}
    and g.status = 200 and g.error is null and (g.response_url is null or g.response_url = g.url)), {reading})"""


# How a capture's record begins: a gzip member, as this archive writes them, or an uncompressed
# WARC record, which its readers take too. Either ends in bytes that are never all zero: the
# member's length of what it holds, or the record's closing blank line. Bytes read at each end:
RECORD_STARTS = (b"\x1f\x8b", b"WARC")
RECORD_EDGE = 4


def lost_captures(base: Path, captures) -> set[tuple[str, int, int]]:
    """Those of ``captures`` (WARC file relative to ``base``, offset, length) that their file no
    longer holds: the file is gone or unreadable, ends before the record does, or holds zeros
    where the record begins or ends, as a file whose length reached the disk and whose data did
    not is found after a power cut. Each file is opened once; of each record only its first and
    last bytes are read, in file order."""
    lost = set()
    for name, group in itertools.groupby(sorted(captures), key=lambda capture: capture[0]):
        group = list(group)
        try:
            fd = os.open(base / name, os.O_RDONLY)
        except OSError:
            lost.update(group)
            continue
        try:
            size = os.fstat(fd).st_size
            lost.update(capture for capture in group if not _holds(fd, size, capture[1], capture[2]))
        finally:
            os.close(fd)
    return lost


def _holds(fd: int, size: int, offset: int, length: int) -> bool:
    if offset + length > size:
        return False
    try:
        head = os.pread(fd, RECORD_EDGE, offset)
        end = os.pread(fd, RECORD_EDGE, offset + length - RECORD_EDGE)
    except OSError:  # an I/O error, or a directory in the file's place
        return False
    return head.startswith(RECORD_STARTS) and end != bytes(RECORD_EDGE)


def chain_start(db: Database, crawl_id: int) -> str:
    """When the crawl that ``crawl_id`` resumes (through any number of resumes) first began."""
    started, resumed_from = db.execute(
        "select started_at, resumed_from from crawls where id = ?", [crawl_id]
    ).fetchone()
    return chain_start(db, resumed_from) if resumed_from else started


# How the crawler says a page was skipped because robots.txt could not be read (RFC 9309's
# "assume complete disallow"): unlike a disallow, it holds only until robots.txt is back.
ROBOTS_UNAVAILABLE = "robots.txt unavailable"


def skipped_urls(db: Database, source_id: str) -> set[str]:
    """URLs of a source that crawls chose not to fetch (robots.txt, offsite), for good: not those
    skipped while robots.txt could not be read."""
    rows = db.execute(
        "select distinct url from fetches where source_id = ? and error like 'skipped:%' "
        f"and error not like 'skipped: {ROBOTS_UNAVAILABLE}%'",
        [source_id],
    )
    return {r[0] for r in rows}


def add_to_frontier(db: Database, crawl_id: int, entries: list[dict]) -> None:
    created = now_iso()
    db["frontier"].insert_all(
        ({"crawl_id": crawl_id, "created": created, **entry} for entry in entries), replace=True
    )


def remove_from_frontier(db: Database, crawl_id: int, url: str) -> None:
    db.execute("delete from frontier where crawl_id = ? and url = ?", [crawl_id, url])


def frontier_extent(db: Database, crawl_id: int) -> tuple[int, int]:
    """How many requests ``crawl_id`` has pending, and the last rowid among them (0 if none)."""
    count, last = db.execute("select count(*), max(rowid) from frontier where crawl_id = ?", [crawl_id]).fetchone()
    return count, last or 0


def pending_requests(db: Database, crawl_id: int, *, after: int = 0, up_to: int | None = None,
                     limit: int = 500) -> list[dict]:
    """Up to ``limit`` of ``crawl_id``'s pending requests, in the order they were scheduled: those
    after rowid ``after`` and up to ``up_to``. A resumed crawl reads them a part at a time (with
    their rowid, to ask for the next part), so 100,000 of them are never in memory at once."""
    bound = "" if up_to is None else " and rowid <= :up_to"
    return [
        dict(r) for r in db.query(
            f"select rowid, * from frontier where crawl_id = :crawl and rowid > :after{bound} order by rowid limit :limit",
            {"crawl": crawl_id, "after": after, "up_to": up_to, "limit": limit},
        )
    ]


def clear_frontier(db: Database, crawl_id: int) -> None:
    """A finished crawl owes nothing: requests it skipped (robots.txt, offsite) are dropped."""
    with db.atomic():
        db.execute("delete from frontier where crawl_id = ?", [crawl_id])


def finished_urls(db: Database, crawl_id: int) -> set[str]:
    """URLs fetched by ``crawl_id`` and by every crawl it resumes, however many times resumed."""
    urls: set[str] = set()
    while crawl_id is not None:
        urls.update(r[0] for r in db.execute("select url from fetches where crawl_id = ?", [crawl_id]))
        row = db.execute("select resumed_from from crawls where id = ?", [crawl_id]).fetchone()
        crawl_id = row[0] if row else None
    return urls


def take_over_frontier(db: Database, source_id: str, crawl_id: int) -> None:
    """A crawl started afresh takes over the requests the source's earlier crawls left undone
    (killed, stopped by a failure, or cut off by --max-pages), in the order they were made:
    paging stops at the first listing page holding only archived articles, so what they left
    would otherwise be reached by no later crawl. Only the last crawl can be resumed."""
    with db.atomic():
        db.execute(
            "update or replace frontier set crawl_id = ? "
            "where crawl_id in (select id from crawls where source_id = ? and id <> ?)",
            [crawl_id, source_id, crawl_id],
        )


def move_frontier(db: Database, old_crawl: int, new_crawl: int) -> None:
    with db.atomic():
        db.execute("update or replace frontier set crawl_id = ? where crawl_id = ?", [new_crawl, old_crawl])


# The status of a crawl that reached its site and asked for article pages, of which it got none.
ARTICLES_FAILED = "articles failed"


def finish_crawl(db: Database, crawl_id: int, *, finish_reason: str, stats: dict) -> dict:
    """Close the crawl row; the status says whether the source could be reached at all, whether
    it led to any article, and whether it got any of the articles it asked for."""
    pages, ok, errors = fetch_counts(db, crawl_id)
    health = crawl_health(db, crawl_id)
    # A resume with nothing left to do (the crawl it continues was killed as it closed, or had used
    # up --max-pages) is judged by what the whole crawl fetched. Skips count: a crawl whose every
    # URL was skipped for want of robots.txt is one that could not reach its site.
    outcomes = _outcomes(db, crawl_id)
    fetched, reached = outcomes if outcomes[0] else _chain_counts(db, crawl_id)
    if finish_reason == "shutdown":
        status = "interrupted"
    elif finish_reason not in ("finished", "closespider_pagecount", "max_pages"):
        status = "failed"
    elif fetched and not reached:
        status = "unreachable"
    elif not fetched or (finish_reason == "finished" and pages and not _led_to_articles(db, crawl_id, stats)):
        status = "empty"
    elif _every_article_failed(db, crawl_id, stats):
        status = ARTICLES_FAILED
    else:
        status = "ok"
    update = {
        "finished_at": now_iso(), "status": status, "finish_reason": finish_reason,
        "pages": pages, "errors": errors,
        "stats": json.dumps(stats, default=str, ensure_ascii=False, sort_keys=True),
        **health,
    }
    with db.atomic():
        db["crawls"].update(crawl_id, update)
    return db["crawls"].get(crawl_id)


def _every_article_failed(db: Database, crawl_id: int, stats: dict) -> bool:
    """Whether the crawl asked for article pages and got none: every one failed (an HTTP error,
    no answer, a PDF where the page should be), and its sitemaps spared no archived article as
    unchanged. It reached its site and archived nothing, which its counts alone did not say."""
    if stats.get(SITEMAP_UNCHANGED_STAT):
        return False
    asked, failed = db.execute(
        f"select count(*), sum({FETCH_FAILED_SQL}) from fetches "
        f"where crawl_id = ? and kind = 'article' and ({FETCH_FAILED_SQL} or not {SKIPPED_SQL})",
        [crawl_id],
    ).fetchone()
    return asked > 0 and failed == asked


def _led_to_articles(db: Database, crawl_id: int, stats: dict) -> bool:
    """Whether the crawl met any article URL: a link matching the source's article_pattern, an
    archived article its sitemap spared, or an article page from the frontier it resumed. A
    crawl that read its listings and matched none has a pattern that fits no article URL."""
    if stats.get(ARTICLE_LINKS_STAT) or stats.get(SITEMAP_UNCHANGED_STAT):
        return True
    return db.execute("select 1 from fetches where crawl_id = ? and kind = 'article' limit 1", [crawl_id]).fetchone() is not None


def _chain_counts(db: Database, crawl_id: int) -> tuple[int, int]:
    """_outcomes() of ``crawl_id`` and of every crawl it resumes, added up."""
    rows = ok = 0
    while crawl_id is not None:
        more, more_ok = _outcomes(db, crawl_id)
        rows, ok = rows + more, ok + more_ok
        crawl_id = db.execute("select resumed_from from crawls where id = ?", [crawl_id]).fetchone()[0]
    return rows, ok


def _outcomes(db: Database, crawl_id: int) -> tuple[int, int]:
    """A crawl's fetch rows, and those answered 2xx or 3xx or that found an archived article gone
    (the site answered as it should)."""
    rows, ok = db.execute(
        f"select count(*), sum(status between 200 and 399 or {GONE_SQL}) from fetches where crawl_id = ?", [crawl_id]
    ).fetchone()
    return rows, ok or 0


def fetch_counts(db: Database, crawl_id: int) -> tuple[int, int, int]:
    """A crawl's pages, those answered 2xx or 3xx, and those that failed. Its pages are the
    requests it sent, answered or not; a URL it chose not to request (robots.txt, another host)
    has a fetch row but is no page, though one skipped for want of robots.txt is a failure."""
    pages, ok, errors = db.execute(
        f"select count(*) - sum({SKIPPED_SQL}), sum(status between 200 and 399), sum({FETCH_FAILED_SQL}) "
        "from fetches where crawl_id = ?",
        [crawl_id],
    ).fetchone()
    return pages or 0, ok or 0, errors or 0


def failed_fetches(db: Database, crawl_id: int, limit: int) -> list[tuple[str, str]]:
    """The first ``limit`` of a crawl's failed fetches: (URL, reason)."""
    return db.execute(
        f"select url, coalesce(error, 'HTTP ' || status) from fetches where crawl_id = ? and {FETCH_FAILED_SQL} "
        "order by id limit ?",
        [crawl_id, limit],
    ).fetchall()


# The error of a fetch redirected to a page that does not read as the article asked for; the
# reading room tells it from a redirect to the home or a listing by these words.
NOT_THE_ARTICLE = "a page that does not read as the article"
# How the error of an article URL that a redirect led away from its article begins: the page
# captured there is the page it led to (see redirected_away).
REDIRECTED_AWAY = "redirected to "


def redirected_away(to: str, page: str) -> str:
    """The error of an article URL that a redirect led to ``to``, where ``page`` (what the page
    was: the home, not the article, a "page not found" page) is no reading of the article."""
    return f"{REDIRECTED_AWAY}{to}, {page}"


# The error of a fetch answered 200 with a page saying the page asked for is not there (a soft
# 404: archive.notfound); the reading room tells the live page gone by these words.
NOT_THERE = "a page saying the article is not there (a soft 404)"

# A fetch that records an archived article's removal, not a failure: one of the article's URLs
# answered 404 or 410, or a page saying it is not there (a soft 404, also at the end of a
# redirect). A URL never archived that answers so is a broken link, an error. The fetch's columns
# are unqualified, so that it reads in any query over fetches, aliased or not. Never null: a fetch
# that got no answer has no status, and "not null" would hide it from FETCH_FAILED_SQL.
GONE_SQL = (
    "(kind = 'article' and (coalesce(status in (404, 410), 0) or instr(coalesce(error, ''), '{}') > 0)"
    " and (url in (select url from articles) or url in (select url from article_urls)))"
).format(NOT_THERE.replace("'", "''"))


def set_fetch_error(db: Database, fetch_id: int, error: str) -> None:
    (url,) = db.execute("update fetches set error = ? where id = ? returning url", [error, fetch_id]).fetchone()
    note_live_state(db, url, fetch_id)


# A fetch row of a URL the crawl did not request.
SKIPPED_SQL = "coalesce(error like 'skipped:%', 0)"
# A fetch that went wrong: an error other than a deliberate skip, or an HTTP error status, but
# not an archived article found gone, which is what the crawl is there to record. A page
# skipped because robots.txt could not be read was not refused by the site: it failed.
FETCH_FAILED_SQL = (
    "(((error is not null and (error not like 'skipped:%' "
    f"or error like 'skipped: {ROBOTS_UNAVAILABLE}%')) or status >= 400) and not {GONE_SQL})"
)


def crawl_health(db: Database, crawl_id: int) -> dict:
    """Share of the crawl's articles with a title, a date, an author and >= 50 words.

    Measured over every article the crawl saw (also those answered 304), so a redesign that
    breaks extraction shows in the first crawl after it.
    """
    row = db.execute(
        """select count(*), avg(a.title is not null and a.title != ''), avg(a.published is not null),
                  avg(a.author is not null and a.author != ''), avg(coalesce(a.word_count, 0) >= 50)
           from articles a where a.url in (
               select url from fetches where crawl_id = ? and kind = 'article' and status in (200, 304))""",
        [crawl_id],
    ).fetchone()
    return dict(zip(HEALTH_COLUMNS, row))


def record_fetch(
    db: Database,
    *,
    crawl_id: int,
    source_id: str,
    url: str,
    requested_url: str | None = None,
    response_url: str | None = None,
    kind: str,
    status: int | None,
    content_type: str | None = None,
    length: int | None = None,
    error: str | None = None,
    fetched_at: str | None = None,
    warc: dict | None = None,
    warc_hops: list[dict] | None = None,
    etag: str | None = None,
    last_modified: str | None = None,
) -> int:
    fetch_id = _insert(
        db,
        "fetches",
        {
            "crawl_id": crawl_id, "source_id": source_id, "url": url,
            "requested_url": requested_url if requested_url != url else None,
            "response_url": response_url if response_url != url else None,
            "kind": kind, "status": status,
            "fetched_at": fetched_at or now_iso(), "content_type": content_type,
            "length": length, "error": error,
            "warc_file": warc["file"] if warc else None,
            "warc_offset": warc["offset"] if warc else None,
            "warc_length": warc["length"] if warc else None,
            "warc_hops": json.dumps(warc_hops) if warc_hops else None,
            "etag": etag, "last_modified": last_modified,
        },
    )
    # An article page answered 200 is the article, a soft 404 or another page: the crawl reads it
    # next, and store_article or set_fetch_error notes what it was. Noted now as well, a soft 404
    # seen again would read as back for a moment, and take a number for nothing.
    if not (kind == "article" and status == 200 and not error):
        note_live_state(db, url, fetch_id)
    return fetch_id


def note_live_state(db: Database, url: str, fetch_id: int) -> None:
    """Give the articles whose live state the fetch ``fetch_id`` of ``url`` changed, as an export
    gives it (archive.history.live_key), the next change number (m029): the article at ``url``
    and the one it is another URL of, since a live state follows an article's moves and its new
    host. Each lookup is by an index; a state seen again as it was writes nothing.

    An article with no key yet (archived before m029, or new) is compared with what the fetches
    before this one said: a page found gone at the first crawl after the upgrade is news, one
    found gone again is not. One read from this fetch has just been numbered for it (new, or a
    new version), whatever its live state."""
    history = _live_history(db)
    if history is None:
        return
    from archive.history import live_key

    articles = db.execute(
        "select a.id, a.url, a.fetch_id = :fetch, l.article_id is not null, l.state from articles a "
        "left join article_live l on l.article_id = a.id "
        "where a.id in (select id from articles where url = :url union all "
        "select article_id from article_urls where url = :url)",
        {"url": url, "fetch": fetch_id},
    ).fetchall()
    for article_id, own, read_now, kept, was in articles:
        now = live_key(history.live_state(own))
        if not kept:
            was = now if read_now else live_key(history.live_state(own, before=fetch_id))
            db.execute("insert into article_live (article_id, state) values (?, ?)", [article_id, was])
        if now != was:
            db.execute("update article_live set state = ? where article_id = ?", [now, article_id])


# The History each writing connection works out live states with, which reads the schema once;
# None where there is no article_live to keep them in: an archive is written to once open_db has
# upgraded it, but the tests build one as an older release left it with today's ingest.
_histories: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _live_history(db: Database):
    if db not in _histories:
        from archive.history import History  # history reads this module's words for errors

        keeps = db.execute("select 1 from sqlite_master where name = 'article_live'").fetchone()
        _histories[db] = History(db.conn, db_file(db)) if keeps else None
    return _histories[db]


def article_fields(record: dict) -> dict:
    """The article-table columns an extracted record sets."""
    row = {col: record.get(col) for col in ARTICLE_COLUMNS}
    mentions = record.get("mentions") or []
    lists = {
        "categories": record.get("categories") or [],
        "tags": record.get("tags") or [],
        "authors": record.get("authors") or [],
        # Once each: one number cited from two issuers is two rows of doc_refs, one word to filter on.
        "refs": list(dict.fromkeys(r["ref"] for r in record.get("doc_refs") or [])),
        "agencies": [m["name"] for m in mentions if m["kind"] == "agency"],
        "channels": sorted({m["platform"] for m in mentions if m["kind"] != "agency" and m["platform"]}),
    }
    row.update({key: json.dumps(value, ensure_ascii=False) for key, value in lists.items()})
    row["published_month"] = (record.get("published") or "")[:7] or None
    return row


def store_article(
    db: Database, record: dict, *, source_id: str, fetch_id: int, seen_at: str, also_at: str | None = None,
    rules: dict | None = None,
) -> str | None:
    """Insert or refresh the article row for ``record``; returns 'new', 'changed' or 'unchanged',
    or None when the page is refused (see ``also_at``).

    One row per article, under the first canonical URL it was archived at; seeing the same
    page again only moves ``last_seen``. A page of the same source that is a variant of an
    archived article (print, AMP, a session id, a moved URL) is one of that article's URLs in
    ``article_urls``, and each of its URLs is compared with what that URL gave last time: with
    the article's current text a print page would differ on every crawl. ``also_at`` is the URL
    a redirect led to, recorded as another URL of the article if the page still reads as the
    article: a known article that now reads as another page (a section, or another article, the
    portal sends the readers of a removed article to) is not given its text.
    """
    outcome = _store_article(db, record, source_id, fetch_id, seen_at, also_at, rules)
    if outcome is not None:  # else the caller says what the page was (set_fetch_error), which notes it
        note_live_state(db, record["url"], fetch_id)
    return outcome


def _store_article(db, record, source_id, fetch_id, seen_at, also_at, rules) -> str | None:
    """store_article's work, which may return from many places: the live state is noted after it."""
    row = article_fields(record)
    url, text_hash, title = record["url"], record.get("text_hash"), record.get("title")
    existing = db.execute(
        "select id, text_hash, title, fetch_id, extractor_version from articles where url = ?", [url]
    ).fetchone()
    own = db.execute(
        "select article_id, text_hash, title, fetch_id, extractor_version, published, author, description "
        "from article_urls where url = ?",
        [url],
    ).fetchone()
    sig = record.get("minhash")
    candidates = syndication.similar(db, sig) if sig else []
    if existing is None and own is None:
        variant_of = _redirected_to(db, source_id, url, also_at, record) or syndication.same_article(
            db, candidates, source_id, title, record.get("published"), url)
        moved = False
        if variant_of is None:
            variant_of = _moved(db, candidates, source_id, record)
            moved = variant_of is not None
        if variant_of is None:
            article_id = _insert(
                db,
                "articles",
                {
                    "url": url, "source_id": source_id, **row,
                    "first_seen": seen_at, "last_seen": seen_at, "fetch_id": fetch_id,
                },
            )
            folded = record.get("folded") or _folded(row)
            _index_folded(db, article_id, folded, row_filter_words({**row, "source_id": source_id}))
            _add_version(db, article_id, row, fetch_id, seen_at)
            store_knowledge(db, article_id, source_id, record, candidates)
            _also_at(db, article_id, url, also_at, record, fetch_id, seen_at)
            return "new"
        _add_url(db, variant_of, url, record, fetch_id, seen_at)
        current = db.execute("select url, text_hash, title, description from articles where id = ?",
                             [variant_of]).fetchone()
        description = record.get("description")
        if ((current[1], current[2]) == (text_hash, title) and not moved
                and not (description and description != current[3])) or _confirmed_in_this_crawl(
                db, current[0], fetch_id):
            # The article's own URL has told this crawl what the article says: what this page
            # adds or lacks is its own furniture. (A moved page not read as a variant is dated
            # otherwise or worded otherwise: a correction, whatever its text hash says.)
            _seen(db, variant_of, url, None, seen_at)
            return "unchanged"
        # Met for the first time, and the article's own URL was not read today: the page is
        # the only word on what the article says now (an edit made before the portal changed
        # its URLs is not to be lost).
        return _change(db, variant_of, row, record, source_id, fetch_id, seen_at, candidates)
    if own is not None:
        article_id, old_hash, old_title, read_from, read_by, *said = own
    else:
        (article_id, old_hash, old_title, read_from, read_by), said = existing, None
    if also_at and (_numbered_apart(db, article_id, url, also_at, record) or (
            (old_hash, old_title) != (text_hash, title) and not _still_the_article(db, article_id, record))):
        return None
    if also_at:
        _take_in_twin(db, article_id, source_id, also_at, fetch_id)
    _also_at(db, article_id, url, also_at, record, fetch_id, seen_at)
    if old_hash == text_hash and old_title == title and not _restated(db, article_id, url, record, said):
        _seen(db, article_id, url, own, seen_at)
        if own is not None:
            # Known from now on where it was not (a row from before m031, a page that gave none):
            # a later correction at this URL is compared with it.
            said_now = _said(record)
            if any(kept is None and new is not None for kept, new in zip(said, said_now)):
                db.execute("update article_urls set published = coalesce(published, ?), author = coalesce(author, ?), "
                           "description = coalesce(description, ?) where url = ?", [*said_now, url])
        if _capture_lost(db, read_from):
            _recaptured(db, article_id, url, read_from, fetch_id)
        return "unchanged"
    if read_by != record.get("extractor_version") and _reads_alike(db, read_from, url, record, rules):
        # The page is as it was: the extractor or the source's selectors changed since it was
        # read. The archive's reading is corrected in place, as reextract would, with no version.
        if own is not None:
            db.execute("update article_urls set text_hash = ?, title = ?, extractor_version = ?, last_seen = ?, "
                       "published = ?, author = ?, description = ? where url = ?",
                       [text_hash, title, record.get("extractor_version"), seen_at, *_said(record), url])
        if existing is not None:  # the article's own URL
            keep_version_texts(db, article_id)
            update_article(db, article_id, {**row, "last_seen": seen_at})
            store_knowledge(db, article_id, source_id, record, candidates)
        else:
            _seen(db, article_id, url, None, seen_at)
        return "unchanged"
    if own is not None:
        db.execute("update article_urls set text_hash = ?, title = ?, extractor_version = ?, last_seen = ?, "
                   "fetch_id = ?, published = ?, author = ?, description = ? where url = ?",
                   [text_hash, title, record.get("extractor_version"), seen_at, fetch_id, *_said(record), url])
        # Fetch ids, not times, order the readings: a crawl stores its pages in the order their
        # extractions finish, not the order they were fetched in.
        if db.execute("select 1 from article_versions where article_id = ? and fetch_id > ? limit 1",
                      [article_id, read_from]).fetchone():
            # The article has changed, at another of its URLs, since this one last did: this is
            # that change arriving here late (a print page's cache), not another one.
            _seen(db, article_id, url, None, seen_at)
            return "unchanged"
    return _change(db, article_id, row, record, source_id, fetch_id, seen_at, candidates)


def _change(db, article_id, row, record, source_id, fetch_id, seen_at, candidates) -> str:
    """The article's new reading becomes its text and its latest version."""
    keep_version_texts(db, article_id)
    update_article(db, article_id, {**row, "last_seen": seen_at, "fetch_id": fetch_id})
    _add_version(db, article_id, row, fetch_id, seen_at)
    store_knowledge(db, article_id, source_id, record, candidates)
    return "changed"


# What a page says of its article beside its text and headline, each compared (_restated) only
# where the page gives it; article_urls keeps what each URL gave, in this order.
SAID = ("published", "author", "description")


def _said(record: dict) -> list:
    return [record.get(field) for field in SAID]


def _restated(db: Database, article_id: int, url: str, record: dict, said: list | None) -> bool:
    """Whether the page gives another publication date, author or description (sapo) than its
    URL gave when last read (``said``, from its row in article_urls): a correction that leaves
    the text as it was.

    Each URL is compared with itself, not with the article: a print page may show no author or
    sapo, or the date in another form, and would flip the article's with each crawl. A value its
    row does not know (a row from before m031; a page that gave none) is compared with the
    article's only when the article's reading came from this URL, as is every value of a URL
    with no row (an article read at one URL): so is a value added where there was none.
    A page that gives none is not asked (a date the extractor did not find is no correction). A
    year-less date ("Chiều 8/4") is read in the year of the day the page is fetched: the same day
    and time a year later is that, not news.
    """
    row = db.execute(
        "select a.published, a.author, a.description, f.url from articles a join fetches f on f.id = a.fetch_id "
        "where a.id = ?",
        [article_id],
    ).fetchone()
    read_here = row is not None and row[3] == url
    for field, kept, the_article_s in zip(SAID, said or [None] * len(SAID), row or [None] * len(SAID)):
        new = record.get(field)
        if not new or (kept is None and not read_here):
            continue
        old = kept if kept is not None else the_article_s
        if not (_same_date(old, new) if field == "published" else old == new):
            return True
    return False


def _same_date(old: str | None, new: str | None) -> bool:
    """Whether two readings of a page's date are the same date (see _restated on year-less ones).
    The day alone where the time was given is the same date read less closely: a redesign that
    drops the time from its date line corrects nothing."""
    if old and new and len(new) == 10 < len(old):
        return old[:10] == new
    return old == new or bool(old and new and old[4:] == new[4:] and old[:4] < new[:4])


def _capture_lost(db: Database, fetch_id: int | None) -> bool:
    """Whether the WARC file meant to hold the capture of ``fetch_id`` no longer does (lost_captures)."""
    row = db.execute("select warc_file, warc_offset, warc_length from fetches where id = ?", [fetch_id]).fetchone()
    return bool(row and row[0]) and bool(lost_captures(Path(db_file(db)).parent, [tuple(row)]))


def _recaptured(db: Database, article_id: int, url: str, lost: int, fetch_id: int) -> None:
    """The page read from ``lost``, whose capture is gone, reads the same from ``fetch_id``: what
    pointed at the lost capture (the URL's reading, the article's, their version) points at
    this one, so the archive holds the page again."""
    db.execute("update article_urls set fetch_id = ? where url = ? and fetch_id = ?", [fetch_id, url, lost])
    db.execute("update articles set fetch_id = ? where id = ? and fetch_id = ?", [fetch_id, article_id, lost])
    db.execute("update article_versions set fetch_id = ? where article_id = ? and fetch_id = ?",
               [fetch_id, article_id, lost])


def _confirmed_in_this_crawl(db: Database, url: str, fetch_id: int) -> bool:
    return db.execute(
        """select 1 from fetches where url = ? and crawl_id = (select crawl_id from fetches where id = ?)
           and status in (200, 304) and error is null limit 1""",
        [url, fetch_id],
    ).fetchone() is not None


def _redirected_to(db: Database, source_id: str, url: str, also_at: str | None, record: dict) -> int | None:
    """The archived article a new URL redirected to, when the page still reads as that article:
    the URL is another address of it (an old or short link), not a second article with its text."""
    if not also_at or also_at == url:
        return None
    row = db.execute(
        "select id from articles where url = ? and source_id = ? union all "
        "select u.article_id from article_urls u join articles a on a.id = u.article_id "
        "where u.url = ? and a.source_id = ?", [also_at, source_id, also_at, source_id],
    ).fetchone()
    return row[0] if row and _still_the_article(db, row[0], record) else None


# The number a portal's CMS names an article by at the end of its URL (``…-1022040801.htm``),
# which a move to another slug or section keeps. Not a shorter number, which may be a decree's
# ("…-nghi-dinh-168.htm", shared by every write-up of it), a page's or a month's, nor a day's.
_ARTICLE_ID = re.compile(r"(?<!\d)(\d{5,})(?:\.\w+)?$")
_DAY = re.compile(r"(19|20)\d\d(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])")


def _moved(db: Database, candidates, source_id: str, record: dict) -> int | None:
    """The archived article of the source that this page is when the portal moved it to a new
    URL that keeps its number and, between the same two crawls, corrected its date or a few words:
    the page has the article's headline and most of its text (as a redirect's target must).

    syndication.same_article asks more of a page with no such number (the article's day, nearly
    all its text): that is all that keeps apart the notices a portal posts again and again under
    one headline (``/2024/03/lich-tiep-cong-dan.htm``, then ``/2024/04/…``)."""
    url = record["url"]
    number = _article_number(url)
    if number is None:
        return None
    ids = [article_id for article_id, other_source, score in candidates
           if other_source == source_id and score >= syndication.SYNDICATED]
    # Only URLs holding the number's digits can end with it.
    for article_id, (title, other_url) in syndication.candidate_rows(
            db, ids, "title, url", "instr(url, ?) > 0", [str(number)]):
        if (number == _article_number(other_url) and syndication.same_page(url, other_url)
                and syndication.same_headline(title, record.get("title"))):
            return article_id
    return None


def _article_number(url: str) -> int | None:
    """The article's number that ends the last segment of a URL's path, if it has one."""
    last = urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]
    found = _ARTICLE_ID.search(last)
    return int(found[1]) if found and found[1].isascii() and not _DAY.fullmatch(found[1]) else None


def _numbered_apart(db: Database, article_id: int, url: str, also_at: str, record: dict) -> bool:
    """Whether a redirect from the article's ``url`` leads to a page that is another article: both
    URLs carry an article number (see _moved), not one in common, and the page gives another day.
    A portal sends the readers of a removed notice to another of its template, which reads as the
    article (the same headline, nearly the same text) and is not it; a portal moved to a new CMS
    renumbers every article and sends each old URL to the same article, on its day. A URL already
    the article's is the article."""
    here, there = _article_number(url), _article_number(also_at)
    if here is None or there is None or here == there:
        return False
    (published,) = db.execute("select published from articles where id = ?", [article_id]).fetchone()
    if not (published and record.get("published")) or published[:10] == record["published"][:10]:
        return False
    return db.execute("select 1 from articles where id = ? and url = ? union all "
                      "select 1 from article_urls where article_id = ? and url = ?",
                      [article_id, also_at, article_id, also_at]).fetchone() is None


def _still_the_article(db: Database, article_id: int, record: dict) -> bool:
    """Whether a page a redirect led to still reads as the article (edited, perhaps): its
    headline, or most of its text."""
    title, sig = db.execute(
        "select a.title, m.signature from articles a left join article_minhash m on m.article_id = a.id "
        "where a.id = ?", [article_id],
    ).fetchone()
    if syndication.same_headline(title, record.get("title")):
        return True
    return bool(sig and record.get("minhash")) and syndication.resemblance(sig, record["minhash"]) >= syndication.SYNDICATED


def read_again(db: Database, db_path, fetch_id: int | None, url: str, rules: dict | None) -> dict | None:
    """The record the capture behind ``fetch_id`` gives by ``rules`` now; None when there is no
    capture to read (no fetch, no WARC record, or one that cannot be decoded)."""
    from archive.extract import extract  # see extract_for_storage

    try:
        fetch = db["fetches"].get(fetch_id)
        capture = read_capture(db_path, fetch)
        body = capture.body
    except (NotFoundError, CaptureMissing, TypeError, RecordUnreadable):
        return None
    # At the fetch's time, as the crawl read it: a page without a Date header is dated by it.
    return extract(body, url, capture.headers, rules, captured_at=fetch["fetched_at"])


def _reads_alike(db, read_from, url, record, rules) -> bool:
    """Whether the capture a URL was last read from reads as ``record`` by the rules that read
    ``record``. Asked only when the URL was read by other rules (an upgrade, new selectors):
    once a URL, after a change of rules."""
    again = read_again(db, db_file(db), read_from, url, rules)
    # Nothing to compare with: a version, rather than an edit let through.
    return again is not None and _same_date(again.get("published"), record.get("published")) and all(
        again.get(field) == record.get(field) for field in ("text_hash", "title", "author", "description"))


def _add_url(db: Database, article_id: int, url: str, record: dict, fetch_id: int, seen_at: str) -> None:
    """Another URL of the article. Its own URL gets a row too, the first time: from then on the
    article's ``last_seen`` moves with any of its URLs, and a URL's own reading and when it was
    last confirmed are in its row (sitemap <lastmod> is compared with the latter)."""
    db.execute(
        """insert or ignore into article_urls
             (url, article_id, text_hash, title, extractor_version, first_seen, last_seen, fetch_id,
              published, author, description)
           select a.url, a.id, a.text_hash, a.title, a.extractor_version, a.first_seen, a.last_seen, a.fetch_id,
                  a.published, a.author, a.description
           from articles a where a.id = ?""",
        [article_id],
    )
    _insert(db, "article_urls", {
        "url": url, "article_id": article_id, "text_hash": record.get("text_hash"), "title": record.get("title"),
        "extractor_version": record.get("extractor_version"), "first_seen": seen_at, "last_seen": seen_at,
        "fetch_id": fetch_id, **{field: record.get(field) for field in SAID},
    })


def _take_in_twin(db: Database, article_id: int, source_id: str, also_at: str, fetch_id: int) -> None:
    """Make the article of ``also_at``, where a redirect from the article leads, one of its URLs,
    when this crawl archived that page moments before as an article of its own: a portal that
    moves an article to a new slug lists the new URL, which a crawl reaches before it asks the
    old one again, and nothing but the redirect says the two are one. Only such a twin goes: of
    the source, archived by this crawl, with no version but that one; its reading (the capture,
    the times) stays as that URL's."""
    twin = db.execute(
        """select a.id from articles a join fetches f on f.id = a.fetch_id
           where a.url = ? and a.id != ? and a.source_id = ?
             and f.crawl_id = (select crawl_id from fetches where id = ?)
             and (select count(*) from article_versions v where v.article_id = a.id) = 1""",
        [also_at, article_id, source_id, fetch_id],
    ).fetchone()
    if twin is None:
        return
    twin_id = twin[0]
    # Its id stays the article's: a link or a mirror that has it is led there (reading_room),
    # and no other article or version is given its id or its version's (_NEW_ID).
    db.execute(
        """insert into merged_articles (id, into_id, merged_at, fetch_id, version_id, text_hash)
           select ?, ?, ?, ?, id, text_hash from article_versions where article_id = ?""",
        [twin_id, article_id, now_iso(), fetch_id, twin_id],
    )
    db.execute("update merged_articles set into_id = ? where into_id = ?", [article_id, twin_id])
    db.execute(
        """insert or ignore into article_urls
             (url, article_id, text_hash, title, extractor_version, first_seen, last_seen, fetch_id,
              published, author, description)
           select url, ?, text_hash, title, extractor_version, first_seen, last_seen, fetch_id,
                  published, author, description
           from articles where id = ?""",
        [article_id, twin_id],
    )
    db.execute("update article_urls set article_id = ? where article_id = ?", [article_id, twin_id])
    _unindex_folded(db, twin_id)
    syndication.index_article(db, twin_id, source_id, None)
    # Another source's copies joined to the twin's cluster join the article's.
    db.execute("update articles set cluster_id = (select coalesce(cluster_id, id) from articles where id = ?) "
               "where cluster_id = ? or (id = ? and exists (select 1 from articles where cluster_id = ?))",
               [article_id, twin_id, article_id, twin_id])
    _unindex_versions(db, twin_id)
    for table in ("article_versions", "doc_refs", "mentions"):
        db.execute(f"delete from {table} where article_id = ?", [twin_id])
    db.execute("delete from articles where id = ?", [twin_id])
    db.execute("update crawls set articles_new = articles_new - 1 "
               "where id = (select crawl_id from fetches where id = ?)", [fetch_id])


def _also_at(db, article_id, url, also_at, record, fetch_id, seen_at) -> None:
    """Record where a redirect led, unless that URL is already one of an article's."""
    if not also_at or also_at == url:
        return
    if db.execute("select 1 from articles where url = ? union all select 1 from article_urls where url = ?",
                  [also_at, also_at]).fetchone():
        return
    _add_url(db, article_id, also_at, record, fetch_id, seen_at)


def _seen(db: Database, article_id: int, url: str, own, seen_at: str) -> None:
    if own is not None:
        db.execute("update article_urls set last_seen = ? where url = ?", [seen_at, url])
    db.execute("update articles set last_seen = ? where id = ?", [seen_at, article_id])


def store_knowledge(db: Database, article_id: int, source_id: str, record: dict, candidates=None) -> None:
    """Replace the article's document references (each with the issuing body its citation
    names, ``issuing_body``), mentions and similarity signature."""
    db.execute("delete from doc_refs where article_id = ?", [article_id])
    db.execute("delete from mentions where article_id = ?", [article_id])
    refs = [{"article_id": article_id, **ref} for ref in record.get("doc_refs") or []]
    mentions = [{"article_id": article_id, **m} for m in record.get("mentions") or []]
    for ref in refs:
        _insert(db, "doc_refs", ref)
    for mention in mentions:
        _insert(db, "mentions", mention)
    syndication.index_article(db, article_id, source_id, record.get("minhash"), candidates)


def mark_not_modified(db: Database, url: str, seen_at: str) -> str:
    """A 304 for an archived article (at any of its URLs): it is still there, nothing else is written."""
    own = db.execute("select article_id from article_urls where url = ?", [url]).fetchone()
    if own is not None:
        _seen(db, own[0], url, own, seen_at)
    else:
        db.execute("update articles set last_seen = ? where url = ?", [seen_at, url])
    return "not_modified"


def _add_version(db: Database, article_id: int, row: dict, fetch_id: int, seen_at: str) -> None:
    """Record the article's new reading as its latest version; the texts stay in the articles
    row only (``in_articles``), until keep_version_texts() copies them before the next change."""
    version = db.execute(
        "select coalesce(max(version), 0) + 1 from article_versions where article_id = ?", [article_id]
    ).fetchone()[0]
    _insert(
        db,
        "article_versions",
        {
            "article_id": article_id, "version": version, "in_articles": 1,
            "text_hash": row.get("text_hash"), "word_count": row.get("word_count"),
            "fetch_id": fetch_id, "captured_at": seen_at, "extractor_version": row.get("extractor_version"),
        },
    )


def keep_version_texts(db: Database, article_id: int) -> None:
    """Before the article row changes: give the version that shares its texts (and its date and
    author) a copy of them, and add it to the earlier versions' search index with the filter
    words the article has until it changes (archive.db.m030)."""
    kept = [row[0] for row in db.execute(
        "select id from article_versions where article_id = ? and in_articles = 1", [article_id])]
    if not kept:
        return
    fields = _fold_fields(db, article_id)
    words = row_filter_words(fields)
    db.execute(
        """update article_versions
           set (title, description, text, published, author) =
               (select title, description, text, published, author from articles where id = :id),
               in_articles = null, fold_filters = :words
           where article_id = :id and in_articles = 1""",
        {"id": article_id, "words": words},
    )
    index_versions(db, [(version_id, *(fields[c] for c in FOLD_COLUMNS), words) for version_id in kept])


def _unindex_versions(db: Database, article_id: int) -> None:
    """Take the article's versions out of the earlier versions' search index, before they go."""
    index_versions(db, db.execute("select id, title, description, text, fold_filters from article_versions "
                                  "where article_id = ? and in_articles is not 1", [article_id]).fetchall(),
                   forget=True)


def update_article(db: Database, article_id: int, fields: dict) -> None:
    """Update an article row and keep the folded search index in step with it."""
    folded = any(c in fields for c in (*FOLD_COLUMNS, *FILTER_FIELDS))
    if folded:
        _unindex_folded(db, article_id)
    db["articles"].update(article_id, fields)
    if folded:
        new = _fold_fields(db, article_id)
        _index_folded(db, article_id, _folded(new), row_filter_words(new))


FILTER_FIELDS = ("source_id", "published_month", *(column for _prefix, column in LIST_FILTERS))


def _unindex_folded(db: Database, article_id: int) -> None:
    """Take the article's row out of the folded search index, as the articles row now reads: a
    contentless FTS5 table forgets a row only when told its old values."""
    old = _fold_fields(db, article_id)
    db.execute(
        "insert into articles_fold (articles_fold, rowid, title, description, text, filters) "
        "values ('delete', ?, ?, ?, ?, ?)",
        [article_id, *_folded(old), row_filter_words(old)],
    )


def _fold_fields(db: Database, article_id: int) -> dict:
    columns = (*FOLD_COLUMNS, *FILTER_FIELDS)
    row = db.execute(f"select {', '.join(columns)} from articles where id = ?", [article_id]).fetchone()
    return dict(zip(columns, row))


def _index_folded(db: Database, article_id: int, folded: list[str], filters: str) -> None:
    db.execute(
        "insert into articles_fold (rowid, title, description, text, filters) values (?, ?, ?, ?, ?)",
        [article_id, *folded, filters],
    )


def count_article_outcome(db: Database, crawl_id: int, outcome: str) -> None:
    column = {
        "new": "articles_new", "changed": "articles_changed", "unchanged": "articles_unchanged",
        "not_modified": "articles_not_modified",
    }[outcome]
    db.execute(f"update crawls set {column} = {column} + 1 where id = ?", [crawl_id])
