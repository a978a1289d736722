"""Exporting a selection of the archive: JSONL, CSV, WARC or a zip of all three.

Everything streams: rows come from a cursor and captures are copied record by record, so
memory stays flat whatever the size of the selection.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
import time
import zipfile
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import BinaryIO, Callable, Iterator

from sqlite_utils import Database
from sqlite_utils.db import NotFoundError

from archive.captures import ARTICLE_JSON_FIELDS, ARTICLE_LIST_FIELDS, CaptureMissing, article_json, read_capture
from archive.search import parse_query
from archive.warc import RecordUnreadable, default_warc_dir, warcinfo_member

FORMATS = ("jsonl", "csv", "warc", "zip")

FIELDS_README = """govarchive export
=================

articles.jsonl   one JSON object per archived article (fields below)
captures.warc.gz the WARC response and request records of each article's captures, as archived:
                 one for each version of the article, oldest first

Fields
------
id                 row id in the archive
url                canonical URL of the article (tracking parameters and fragment removed)
source_id          id of the source in sources.toml
title, author      as extracted
published, updated ISO 8601, +07:00 (Asia/Ho_Chi_Minh); a bare date when the page gave no time
description        the page's description or sapo
text               the article text, NFC, paragraphs separated by newlines
language, sitename as declared by the page
categories, tags   lists of strings
image              main image URL
word_count         words in text
text_hash          SHA-256 of the whitespace-normalised text
extractor_version  the extraction rules and trafilatura version that produced the record
charset            the character set the page was decoded with
first_seen         when the archive first captured the article (UTC)
last_seen          when the archive last saw it (UTC)
fetch_id           the fetch whose capture produced the record
authors            list of the bylines' names, organisation removed
published_month    YYYY-MM of published
refs               list of the documents the article cites ("174/KH-UBND", "13/2023/NĐ-CP" ...)
agencies           list of the government agencies it names
channels           list of the communication channels it names (Zalo OA, Facebook, ...)
cluster_id         copies of one story on several portals share it; null for a story found once

In a CSV export the same fields come in this order, a list as its JSON text (["a", "b"]).
"""


@dataclass
class Selection:
    source: str | None = None
    since: date | None = None
    until: date | None = None
    search: str | None = None

    def where(self) -> tuple[str, list]:
        clauses, params = [], []
        if self.source:
            clauses.append("a.source_id = ?")
            params.append(self.source)
        if self.since:
            clauses.append("a.published >= ?")
            params.append(self.since.isoformat())
        if self.until:
            clauses.append("a.published < ?")
            params.append((self.until + timedelta(days=1)).isoformat())
        if self.search:
            clauses.append("a.rowid in (select rowid from articles_fold where articles_fold match ?)")
            params.append(parse_query(self.search).folded)
        return (" where " + " and ".join(clauses)) if clauses else "", params


def iter_articles(db: Database, selection: Selection) -> Iterator[dict]:
    where, params = selection.where()
    sql = f"select a.* from articles a{where} order by a.id"
    try:
        cursor = db.conn.execute(sql, params)
    except sqlite3.OperationalError as exc:
        raise ValueError(f"bad search query {selection.search!r}: {exc}") from None
    columns = [c[0] for c in cursor.description]
    while batch := cursor.fetchmany(500):
        for row in batch:
            yield dict(zip(columns, row))


def check_output(db: Database, db_path: str | Path, output: str | Path) -> None:
    """Raise ValueError when writing ``output`` would overwrite the archive itself.

    Opening the output truncates it, so the check comes first: the database with its journal
    files, and any file in a folder the archive keeps WARC files in, whatever the path says.
    """
    target = Path(output).resolve()
    db_file = Path(db_path).resolve()
    archive_files = [db_file, *(db_file.with_name(db_file.name + end) for end in ("-wal", "-shm", "-journal"))]
    for own in archive_files:
        if _same(target, own):
            raise ValueError(f"{output} is the archive's own file {own}: choose another file")
    for folder in _warc_dirs(db, db_path):
        if _same(target.parent, folder):
            raise ValueError(f"{output} is in the archive's WARC folder {folder}: choose another file")


def _same(a: Path, b: Path) -> bool:
    if a.exists() and b.exists():
        return os.path.samefile(a, b)
    return a == b.resolve()


def _warc_dirs(db: Database, db_path: str | Path) -> set[Path]:
    """The default WARC folder and every folder a crawl wrote its WARC files to (--warc-dir)."""
    base = Path(db_path).resolve().parent
    # One fetch per crawl is enough: a crawl writes all its WARC files to one folder.
    rows = db.execute(
        """select (select f.warc_file from fetches f where f.crawl_id = c.id and f.warc_file is not null limit 1)
           from crawls c"""
    ).fetchall()
    folders = {(base / r[0]).parent.resolve() for r in rows if r[0]}
    folders.add(default_warc_dir(Path(db_path).resolve()))
    return folders


def export(db: Database, db_path: str | Path, fmt: str, out: BinaryIO, selection: Selection,
           left_out: Callable[[dict, str], None] | None = None) -> int:
    """Write the selected articles to ``out`` in ``fmt``; returns how many were written.

    An article whose capture cannot go into a WARC (none was kept, its file is gone, its record
    is damaged) does not stop the export: ``left_out(row, reason)`` hears of it and the export
    goes on with the next.
    """
    left_out = left_out or (lambda row, reason: None)
    if fmt == "jsonl":
        return _jsonl(db, out, selection)
    if fmt == "csv":
        return _csv(db, out, selection)
    if fmt == "warc":
        return _warc(db, db_path, out, selection, left_out)
    if fmt == "zip":
        return _zip(db, db_path, out, selection, left_out)
    raise ValueError(f"unknown format {fmt!r} (one of {', '.join(FORMATS)})")


def _jsonl(db, out, selection) -> int:
    count = 0
    for row in iter_articles(db, selection):
        out.write(json.dumps(article_json(row), ensure_ascii=False).encode("utf-8") + b"\n")
        count += 1
    return count


def _csv(db, out, selection) -> int:
    text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
    writer = csv.DictWriter(text, fieldnames=ARTICLE_JSON_FIELDS)
    writer.writeheader()
    count = 0
    for row in iter_articles(db, selection):
        record = article_json(row)
        for key in ARTICLE_LIST_FIELDS:
            if record[key] is not None:
                record[key] = json.dumps(record[key], ensure_ascii=False)
        writer.writerow(record)
        count += 1
    text.detach()
    return count


def _warc(db, db_path, out, selection, left_out) -> int:
    """Every version's capture of each selected article, oldest first: what the article said
    before it changed is part of the record. Returns how many articles have their current
    capture in the file."""
    out.write(_warcinfo(selection))
    count = 0
    for row in iter_articles(db, selection):
        earlier = [r[0] for r in db.execute(
            "select distinct fetch_id from article_versions where article_id = ? and fetch_id <> ? "
            "order by version", [row["id"], row["fetch_id"]],
        )]
        for fetch_id in [*earlier, row["fetch_id"]]:
            which = "capture" if fetch_id == row["fetch_id"] else f"earlier version's capture (fetch {fetch_id})"
            try:
                capture = read_capture(db_path, db["fetches"].get(fetch_id))
            except NotFoundError:
                left_out(row, f"its {which}: fetch {fetch_id} is not in the archive")
                continue
            except (CaptureMissing, RecordUnreadable) as exc:
                left_out(row, f"its {which}: {exc}" if fetch_id != row["fetch_id"] else str(exc))
                continue
            out.write(capture.raw_record)
            count += fetch_id == row["fetch_id"]
    return count


def _warcinfo(selection: Selection) -> bytes:
    info = {"software": "govarchive export", "description": f"govarchive export: {selection}"}
    return warcinfo_member("export.warc.gz", info)


def _zip(db, db_path, out, selection, left_out) -> int:
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open(_member("articles.jsonl"), "w", force_zip64=True) as member:
            count = _jsonl(db, member, selection)
        with archive.open(_member("captures.warc.gz"), "w", force_zip64=True) as member:
            _warc(db, db_path, member, selection, left_out)
        archive.writestr(_member("README.txt"), FIELDS_README)
    return count


def _member(name: str) -> zipfile.ZipInfo:
    # Opened by name, a member written as a stream is dated 1980-01-01.
    info = zipfile.ZipInfo(name, date_time=time.localtime()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16  # without it, unzip makes files no one may read
    return info
