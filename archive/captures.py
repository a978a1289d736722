"""Reading captures back: the stored bytes behind a fetch or an article row."""

from __future__ import annotations

import json
from pathlib import Path

from archive.warc import RecordPointer, StoredResponse, WarcFileUnreadable, read_record, read_stored

ARTICLE_JSON_FIELDS = (
    "id", "url", "source_id", "title", "author", "published", "updated", "description", "text",
    "language", "sitename", "categories", "tags", "image", "word_count", "text_hash",
    "extractor_version", "charset", "first_seen", "last_seen", "fetch_id",
    # After the first fields rather than among them, so a CSV read by column position still reads.
    "authors", "published_month", "refs", "agencies", "channels", "cluster_id", "other_urls",
    "captured_at",
)

# The fields whose value is a list, stored as JSON text.
ARTICLE_LIST_FIELDS = ("categories", "tags", "authors", "refs", "agencies", "channels", "other_urls")

# An article row's other URLs (print, AMP, moved: article_urls), oldest first, as a column of a
# query over ``articles a``: someone holding one of them finds the article in what they download.
OTHER_URLS_SQL = """(select json_group_array(url) from (select url from article_urls
                     where article_id = a.id and url != a.url order by first_seen)) as other_urls"""


# When the capture the article's text was read from was made, as a column of a query over
# ``articles a``: first_seen is its first version's, and a text is cited by when it was captured.
CAPTURED_AT_SQL = "(select fetched_at from fetches where id = a.fetch_id) as captured_at"


class CaptureMissing(LookupError):
    """The row has no WARC capture, or its file is gone."""


class WarcFileMissing(CaptureMissing):
    """The WARC file a capture is in is gone: ``file``, for naming it once for all its captures."""

    reason = "missing"

    def __init__(self, file: Path):
        self.file = file
        super().__init__(f"WARC file {file} is missing")


def pointer_of(fetch: dict) -> RecordPointer:
    if not fetch.get("warc_file"):
        raise CaptureMissing(f"fetch {fetch.get('id')} has no WARC capture")
    return RecordPointer(fetch["warc_file"], fetch["warc_offset"], fetch["warc_length"])


def _warc_folder(db_path: str | Path) -> Path:
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
        return read(_warc_folder(db_path), pointer)
    except WarcFileUnreadable as exc:
        if isinstance(exc.error, FileNotFoundError):
            raise WarcFileMissing(exc.file) from None
        raise


def read_capture(db_path: str | Path, fetch: dict) -> StoredResponse:
    """The capture behind a fetch row; RecordUnreadable when its record is damaged or its file
    cannot be read, CaptureMissing when there is none or its file is gone."""
    return _read(read_record, db_path, pointer_of(fetch))


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
