"""Reading captures back: the stored bytes behind a fetch or an article row."""

from __future__ import annotations

import functools
import json
import os
import sqlite3
from datetime import datetime
from pathlib import Path

from archive.db import applied_at, m010_fetch_urls_only_when_they_differ, read_connection, recorded_since
from archive.urls import canonical_url
from archive.warc import (
    RecordPointer, RecordUnreadable, StoredResponse, WarcFileUnreadable, read_record, read_stored,
)

ARTICLE_JSON_FIELDS = (
    "id", "url", "source_id", "title", "author", "published", "updated", "description", "text",
    "language", "sitename", "categories", "tags", "image", "word_count", "text_hash",
    "extractor_version", "charset", "first_seen", "last_seen", "fetch_id",
    # After the first fields rather than among them, so a CSV read by column position still reads.
    "authors", "published_month", "refs", "agencies", "channels", "cluster_id", "other_urls",
    "captured_at", "documents",
)

# The fields whose value is a list, stored or read (documents_sql) as JSON text.
ARTICLE_LIST_FIELDS = ("categories", "tags", "authors", "refs", "agencies", "channels", "other_urls", "documents")

# An article row's other URLs (print, AMP, moved: article_urls), oldest first, as a column of a
# query over ``articles a``: someone holding one of them finds the article in what they download.
OTHER_URLS_SQL = """(select json_group_array(url) from (select url from article_urls
                     where article_id = a.id and url != a.url order by first_seen)) as other_urls"""


# When the capture the article's text was read from was made, as a column of a query over
# ``articles a``: first_seen is its first version's, and a text is cited by when it was captured.
CAPTURED_AT_SQL = "(select fetched_at from fetches where id = a.fetch_id) as captured_at"

# The documents an article cites, each with who issued it and when, as a column of a query over
# ``articles a``: ``refs`` holds the numbers alone, and one number is many provinces' documents.
# In the order the article cites them (doc_refs' ids), read in the query's own statement, so an
# export's pages of rows cost no query more.
DOCUMENTS_SQL = """(select json_group_array(json_object('ref', ref, 'issuing_body', issuing_body, 'issued', issued))
                    from (select ref, {issuing_body} as issuing_body, issued from doc_refs where article_id = a.id
                          order by id)) as documents"""


def documents_sql(conn: sqlite3.Connection) -> str:
    """DOCUMENTS_SQL for the archive on ``conn``: its references carry no issuer before m025
    (an archive read as it is), and there are none before m005."""
    columns = {row[1] for row in conn.execute("pragma table_info(doc_refs)")}
    if not columns:
        return "null as documents"
    return DOCUMENTS_SQL.format(issuing_body="issuing_body" if "issuing_body" in columns else "null")


class CaptureMissing(LookupError):
    """The row has no WARC capture, or its file is gone."""


class WarcFileMissing(CaptureMissing):
    """The WARC file a capture is in is gone: ``file``, for naming it once for all its captures."""

    reason = "missing"

    def __init__(self, file: Path):
        self.file = file
        super().__init__(f"WARC file {file} is missing")


class CaptureOfAnotherURL(RecordUnreadable):
    """The record a fetch row points at is a capture of another URL than the one the row says
    was fetched (pointers swapped, records shuffled in a restored copy). Read as the fetch's, it
    would show a redirect that never happened, or give an article another page's text; it is
    refused as a damaged record is, by every reader of captures."""


def pointer_of(fetch: dict) -> RecordPointer:
    if not fetch.get("warc_file"):
        raise CaptureMissing(f"fetch {fetch.get('id')} has no WARC capture")
    return RecordPointer(fetch["warc_file"], fetch["warc_offset"], fetch["warc_length"])


def warc_folder(db_path: str | Path) -> Path:
    """The folder a capture's relative reference is to: the database file's own, as a crawl
    writes them, not that of a symlink the archive is reached through. Named as given when it is
    the same folder, so that what is said of a file keeps the path its owner typed."""
    path = Path(db_path)
    if not path.is_symlink():  # the common case, on every capture read: one lstat, no resolving
        return path.parent
    given, real = path.parent, path.resolve().parent
    return given if given.resolve() == real else real


def _read(read, db_path: str | Path, pointer: RecordPointer):
    """``read`` of the record at ``pointer``, a file that is not there being WarcFileMissing."""
    try:
        return read(warc_folder(db_path), pointer)
    except WarcFileUnreadable as exc:
        if isinstance(exc.error, FileNotFoundError):
            raise WarcFileMissing(exc.file) from None
        raise


def read_capture(db_path: str | Path, fetch: dict) -> StoredResponse:
    """The capture behind a fetch row; RecordUnreadable when its record is damaged, its file
    cannot be read, or it is a capture of another URL than the row's (CaptureOfAnotherURL),
    CaptureMissing when there is none or its file is gone."""
    pointer = pointer_of(fetch)
    capture = _read(read_record, db_path, pointer)
    # The URL that answered: a record is written for each request, a redirect's too, and the
    # row's record is that of the last one.
    expected = fetch.get("response_url") or fetch["url"]
    if same_resource(capture.url, expected) or _kept_no_final_url(db_path, fetch):
        return capture
    raise CaptureOfAnotherURL(
        f"fetch {fetch.get('id')}: its WARC record ({warc_folder(db_path) / pointer.file}: record at "
        f"{pointer.offset}) is a capture of {capture.url or 'no URL'}, not of {expected}, the URL the "
        "fetch row says answered (the row points at another page's record)")


def same_resource(held: str | None, expected: str) -> bool:
    """Whether a record's WARC-Target-URI and a fetch row's URL name one resource, however
    each is spelled (escapes' case, a default port, an empty fragment, an IDNA host)."""
    return bool(held) and (held == expected or canonical_url(held) == canonical_url(expected))


def _kept_no_final_url(db_path: str | Path, fetch: dict) -> bool:
    """Whether the fetch was recorded by a release that kept no ``response_url`` (before
    migration m010): its record may be that of where a redirect led, which nothing in its row
    names, so there is no URL to check it against."""
    if fetch.get("response_url"):
        return False
    stat = os.stat(db_path)
    since = _final_urls_recorded_since(os.fspath(db_path), stat.st_dev, stat.st_ino)
    try:
        return not recorded_since(fetch.get("fetched_at"), since)
    except (TypeError, ValueError):
        return True


@functools.lru_cache(maxsize=32)
def _final_urls_recorded_since(db_path: str, device: int, inode: int) -> datetime | None:
    """When the archive at ``db_path`` (the file ``device``, ``inode``: another archive put in
    its place is asked anew) began recording the URL that finally answered each fetch, the
    time m010 was applied to it: the fetches of a crawl before then are of an older release."""
    conn = read_connection(Path(db_path))
    try:
        return applied_at(conn, m010_fetch_urls_only_when_they_differ.__name__)
    finally:
        conn.close()


def read_hop(db_path: str | Path, hop: dict) -> StoredResponse:
    """One of the redirects or retries before a fetch's response (an item of its ``warc_hops``)."""
    return _read(read_record, db_path, RecordPointer(hop["file"], hop["offset"], hop["length"]))


def stored_capture(db_path: str | Path, fetch: dict) -> bytes:
    """The capture's WARC record exactly as stored, damaged or not: what there is to recover."""
    return _read(read_stored, db_path, pointer_of(fetch))


def article_json(row: dict) -> dict:
    data = {k: row.get(k) for k in ARTICLE_JSON_FIELDS}
    for key in ARTICLE_LIST_FIELDS:
        if isinstance(data.get(key), str):
            data[key] = json.loads(data[key])
    return data
