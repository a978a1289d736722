"""Reading captures back: the stored bytes behind a fetch or an article row."""

from __future__ import annotations

import json
from pathlib import Path

from archive.warc import RecordPointer, StoredResponse, default_warc_dir, read_record

ARTICLE_JSON_FIELDS = (
    "id", "url", "source_id", "title", "author", "published", "updated", "description", "text",
    "language", "sitename", "categories", "tags", "image", "word_count", "text_hash",
    "extractor_version", "charset", "first_seen", "last_seen", "fetch_id",
)


class CaptureMissing(LookupError):
    """The row has no WARC capture, or its file is gone."""


def pointer_of(fetch: dict) -> RecordPointer:
    if not fetch.get("warc_file"):
        raise CaptureMissing(f"fetch {fetch.get('id')} has no WARC capture")
    return RecordPointer(fetch["warc_file"], fetch["warc_offset"], fetch["warc_length"])


def read_capture(db_path: str | Path, fetch: dict) -> StoredResponse:
    directory = default_warc_dir(db_path)
    pointer = pointer_of(fetch)
    if not (directory / pointer.file).exists():
        raise CaptureMissing(f"WARC file {pointer.file} is not in {directory}")
    return read_record(directory, pointer)


def article_json(row: dict) -> dict:
    data = {k: row.get(k) for k in ARTICLE_JSON_FIELDS}
    for key in ("categories", "tags"):
        if isinstance(data.get(key), str):
            data[key] = json.loads(data[key])
    return data
