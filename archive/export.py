"""Exporting a selection of the archive: JSONL, CSV, WARC or a zip of all three.

Everything streams: rows come from a cursor and captures are copied record by record, so
memory stays flat whatever the size of the selection.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import fcntl
import hashlib
import io
import json
import os
import re
import secrets
import shutil
import signal
import sqlite3
import stat
import tempfile
import textwrap
import threading
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import BinaryIO, Callable, Iterator

from sqlite_utils import Database
from sqlite_utils.db import NotFoundError

from archive.captures import (
    ARTICLE_JSON_FIELDS, ARTICLE_LIST_FIELDS, CAPTURED_AT_SQL, OTHER_URLS_SQL, CaptureMissing, WarcFileMissing,
    documents_sql, read_capture, read_hop,
)
from archive.docrefs import READ_BEFORE_ISSUERS_SQL
from archive.filters import (
    FILTERS, REF_SPELLINGS, REF_VALUES, archived_value, issuers_recorded, ref_key, split_ref_value,
)
from archive.history import History
from archive.search import parse_query
from archive.vietnamese import VN_TZ
from archive.warc import RecordUnreadable, WarcFileUnreadable, default_warc_dir, warcinfo_member

FORMATS = ("jsonl", "csv", "warc", "zip")

MISSING_CAPTURES = "missing-captures.tsv"
MERGED = "merged.tsv"
CHECKSUMS = "SHA256SUMS"

# Fields added later go last, so that a CSV read by column position still reads.
_CSV_LATER = ("versions", "live", "captured_at", "changed", "documents")
CSV_FIELDS = (*(f for f in ARTICLE_JSON_FIELDS if f not in _CSV_LATER), *_CSV_LATER)

README_HEAD = """govarchive export
=================

selection            {selection}
{notes}articles             {count}
exported             {exported} (UTC)
{changes}
articles.jsonl       one JSON object per archived article (fields below)
articles.csv         the same records as CSV, UTF-8 with a byte-order mark (for Excel, which
                     cuts a cell at 32,767 characters; Python's csv module needs
                     csv.field_size_limit(sys.maxsize) for a text past 131,072)
captures.warc.gz     the WARC response and request records of each article's captures, as
                     archived: one for each version of the article, oldest first
{checksums}           the SHA-256 of every other file, as sha256sum writes them: in the
                     folder the zip was unpacked into, 'sha256sum -c {checksums}' checks
                     that each file is the one exported (keep the sums apart to prove it)
""".replace("{checksums}", CHECKSUMS)

README_CHANGES = """last_change          {through}: the archive's last change number when the export was made
                     (changes through {through}); the next export of what changed since
                     is --changed-after {through}
"""

README_MERGED = f"""{MERGED}           the articles merged into another since change {{after}} ({{count}}): their ids
                     are gone from the archive; one a line: id, into_id (the article it
                     is now part of, in articles.jsonl or an earlier export), merged_at
                     and changed, separated by tabs
"""

README_MISSING = f"""{MISSING_CAPTURES} the captures that could not go into captures.warc.gz ({{count}}),
                     one a line: article_id, url and reason, separated by tabs
"""

FIELDS_README = """
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
other_urls         the article's other URLs on its site (a print or AMP page, where it moved), oldest first
captured_at        when the capture its text was read from was made (UTC): the current version's
                   capture, where first_seen is the first version's
documents          the documents the article cites, in the order it cites them, each as
                   {"ref": its number as refs has it, "issuing_body": the body the text names
                   as issuing it (canonical name; null when the text names none, or the article
                   was read before the archive read issuers: 'govarchive reextract' reads them),
                   "issued": its issue date (YYYY-MM-DD) or null}: one number is many bodies'
                   documents (every provincial committee numbers its plans from 1)
versions           how many versions of the article the archive holds (1: its text never changed)
live               null while the article's own URL last answered with the article; else what it
                   answered when last asked: {"state": "gone" (404, 410), "not_there" (a "page
                   not found" page), "moved" (a redirect), "retired" (a redirect to the home or a
                   section page) or "elsewhere" (to another page), "status": the HTTP status of
                   its last answer (for a move, of the page it led to; the redirects are in the WARC),
                   "checked_at": when (UTC), "url": where it now leads; "temporary": a 302, 303
                   or 307 redirect; "archived_as", for "elsewhere": the id of the page it leads to,
                   if archived}
changed            the article's change number: it takes the archive's next one whenever one of
                   the fields above but last_seen changes (text, title, dates, source_id,
                   its other URLs ...), in the order the changes were committed; null for an
                   article not changed since before the archive kept them. last_seen and live
                   are as of the export: they move on every crawl without a new number
earlier_versions   what the article said before, oldest first: each version's version number,
                   captured_at, fetch_id, title, published, author, description, text, text_hash,
                   word_count and extractor_version (published and author are null for a
                   version replaced before the archive kept them)
gone_periods       when the article's own URL answered that the page was gone, oldest first:
                   each {"from": the first answer saying so (UTC), "to": the next answer
                   saying otherwise (null while it lasts), "state": "gone" or "not_there", as
                   in live, "status": its HTTP status}; the same answer again extends a period,
                   another (404, then 410) begins the next; a period begun or ended changes
                   live, and so the change number

In a CSV export the same fields but earlier_versions and gone_periods come in this order,
a list as its JSON text (["a", "b"]), and so is live; but those added later come last, so that
a CSV read by column position still reads: versions, live, captured_at, changed, documents.
"""


# What export() tells of a capture it leaves out: the article's row, why, and (file, why) when
# the whole WARC file is at fault.
LeftOut = Callable[[dict, str, tuple[str, str] | None], None]


@dataclass
class Selection:
    source: str | None = None
    since: date | None = None
    until: date | None = None
    search: str | None = None
    # The reading room's filters (archive.filters), each value as the archive writes it.
    month: str | None = None
    ref: str | None = None
    platform: str | None = None
    agency: str | None = None
    # Only the articles whose change number is above it, in change order (a copy kept in sync).
    changed_after: int | None = None

    def __str__(self) -> str:
        parts = [f"source={'all' if self.source is None else self.source}"]
        parts += [f"{name}={day.isoformat()}" for name, day in (("since", self.since), ("until", self.until)) if day]
        parts += [f"{f.param}={json.dumps(value, ensure_ascii=False) if ' ' in value else value}"
                  for f, value in self._filters()]
        if self.search is not None:
            parts.append(f"search={json.dumps(self.search, ensure_ascii=False)}")
        if self.changed_after is not None:
            parts.append(f"changed_after={self.changed_after}")
        return " ".join(parts)

    def _filters(self):
        return [(f, getattr(self, f.param)) for f in FILTERS if getattr(self, f.param) is not None]

    def where(self) -> tuple[str, dict]:
        clauses, params = [], {}
        # An empty source id is one no article has, not every source.
        if self.source is not None:
            clauses.append("a.source_id = :source")
            params["source"] = self.source
        if self.since:
            clauses.append("a.published >= :since")
            params["since"] = self.since.isoformat()
        if self.until and self.until < date.max:
            clauses.append("a.published < :until")
            params["until"] = (self.until + timedelta(days=1)).isoformat()
        elif self.until:
            # The last day there is has no day after it to stop before: no bound but a date.
            clauses.append("a.published is not null")
        for f, value in self._filters():
            clauses.append(f.where.format(p=f.param))
            params[f.param] = value
        if self.search:
            clauses.append("a.rowid in (select rowid from articles_fold where articles_fold match :search)")
            params["search"] = parse_query(self.search).folded
        if self.changed_after is not None:
            clauses.append("a.changed > :changed_after")
            params["changed_after"] = self.changed_after
        return (" where " + " and ".join(clauses)) if clauses else "", params


def _select(db: Database, selection: Selection, sql: str) -> sqlite3.Cursor:
    where, params = selection.where()
    try:
        return db.conn.execute(sql.format(where=where), params)
    except sqlite3.OperationalError as exc:
        raise ValueError(f"bad search query {selection.search!r}: {exc}") from None


def selects_any(db: Database, selection: Selection) -> bool:
    """Whether any article is selected, known before an output is opened."""
    return _select(db, selection, "select 1 from articles a{where} limit 1").fetchone() is not None


def count_selected(db: Database, selection: Selection) -> int:
    """How many articles are selected: every one, as export writes them all."""
    return _select(db, selection, "select count(*) from articles a{where}").fetchone()[0]


def read_before_issuers(db: Database, ref: str) -> int:
    """How many articles a document filter value naming an issuer (``ref``, "174/KH-UBND (Ủy ban
    nhân dân tỉnh Đắk Lắk)") cannot select because they cite the number with no issuer, read by
    extraction rules from before those that read issuers (archive.docrefs.READ_BEFORE_ISSUERS_SQL):
    an archive upgraded through m025 but not re-extracted. The reading room's document card
    counts them alike. 0 for a value naming no issuer (it selects them all), and for an archive
    read as it is before m025, whose filter lumps every issuer together."""
    number, body = split_ref_value(ref)
    if body is None or not issuers_recorded(db.conn):
        return 0
    archived = archived_value(db.conn, REF_VALUES, ref_key, number)
    if archived is None:
        return 0
    return db.execute(
        f"""select count(distinct d.article_id) from doc_refs d join articles a on a.id = d.article_id
            where d.ref in ({REF_SPELLINGS.format(p='ref')}) and d.issuing_body is null
            and {READ_BEFORE_ISSUERS_SQL}""",
        {"ref": archived},
    ).fetchone()[0]


def iter_articles(db: Database, selection: Selection) -> Iterator[dict]:
    order = "a.id" if selection.changed_after is None else "a.changed"
    cursor = _select(db, selection, f"select a.*, {OTHER_URLS_SQL}, {CAPTURED_AT_SQL}, {documents_sql(db.conn)} "
                                    f"from articles a{{where}} order by {order}")
    columns = [c[0] for c in cursor.description]
    while batch := cursor.fetchmany(500):
        for row in batch:
            yield dict(zip(columns, row))


class NoChangeNumbers(ValueError):
    """The archive has no change numbers yet (not upgraded through m027_change_numbers)."""


@dataclass
class Changes:
    """Where an export stands in the archive's changes: the last change number (``through``)
    when it was made, from which the next export of what changed continues, and the articles
    merged into another (id, into_id, merged_at, changed) since ``after``, whose ids are gone."""

    through: int
    after: int | None = None
    merged: tuple[tuple, ...] = ()


def changes(db: Database, after: int | None) -> Changes:
    """Where the archive's changes stand, read in the caller's transaction: read in the one an
    export is written in, ``through`` is exactly what it holds. NoChangeNumbers on an archive
    not upgraded (read as it is from read-only storage)."""
    try:
        through = db.execute("select value from change_counter").fetchone()[0]
    except sqlite3.OperationalError as exc:
        if "no such table" not in str(exc):  # a busy or damaged archive is not one from before m027
            raise
        raise NoChangeNumbers("the archive has no change numbers yet: it was read as it is, not upgraded; "
                              "upgrade it once where it can be written to ('govarchive stats')") from None
    merged = ()
    if after is not None:
        merged = tuple(db.execute("select id, into_id, merged_at, changed from merged_articles where changed > ? "
                                  "order by changed", [after]).fetchall())
    return Changes(through, after, merged)


@contextlib.contextmanager
def snapshot(db: Database):
    """One read transaction: what is read inside sees the archive as it was when it began (WAL),
    whatever a crawl commits meanwhile. An export is written in one; a caller that reads
    before it (whether anything is selected, the change number) holds one around both."""
    if db.conn.in_transaction:  # the caller's transaction is the snapshot
        yield
        return
    db.conn.execute("begin")
    try:
        # A deferred BEGIN takes its snapshot at the first read, not at once.
        db.execute("select 1 from articles limit 1").fetchall()
        yield
    finally:
        db.conn.execute("rollback")


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
    try:
        return os.path.samefile(a, b)
    except OSError:
        # Not there, or a name the system will not look up (too long): the names tell, and
        # opening the output says what is wrong with one.
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


_NAME_MAX = 255


class OutputFile:
    """An export's ``-o FILE``, written to a temporary file beside it that takes its place only
    when commit() is called, once the export is complete: an export that fails or is stopped
    (discard(), or a SIGKILL that leaves the temporary file) never leaves a partial export
    under the name, nor destroys the export that was there. A device or a named pipe (/dev/null,
    a fifo) is written as it is: there is no file to keep. So is a descriptor the process was
    given (/dev/stdout, /dev/fd/N as a shell's >(gzip) names it), whatever it is: the shell
    that opened it decided how (``>`` emptied the file, ``>>`` appends to it).

    An export that is done but incomplete (captures left out) is set_aside() instead: kept as
    FILE.incomplete, so that FILE only ever holds a complete export.

    OSError when the file cannot be made; WriteFailed when commit() cannot put it in place.
    """

    INCOMPLETE = ".incomplete"

    def __init__(self, path: str | Path):
        if str(path).endswith(os.sep):
            # realpath() would drop the slash, and "newdir/" would become a file named newdir.
            raise IsADirectoryError(errno.EISDIR, "names a folder, not a file", str(path))
        self._temp = None
        self.existed = False
        given = _given_descriptor(path)
        if given is not None:
            # Opening the path again would not do: it would start at the beginning of the file
            # ``>>`` appends to, and a pipe or a socket has no name that opens it.
            if fcntl.fcntl(given, fcntl.F_GETFL) & os.O_ACCMODE == os.O_RDONLY:
                raise OSError(errno.EBADF, "open for reading only", str(path))
            self.file = os.fdopen(os.dup(given), "wb")
            return
        try:
            mode = os.stat(path).st_mode
        except FileNotFoundError:
            mode = None
        if mode is not None and not stat.S_ISREG(mode):
            self.file = open(path, "wb")
            return
        # A symbolic link stays one: the file it points to is what is replaced.
        self._target = Path(os.path.realpath(path))
        # A name near the file system's limit (255 bytes) has no room for the suffix.
        stem = self._target.name if len(os.fsencode(self._target.name)) <= _NAME_MAX - 14 else ".govarchive-export"
        while self._temp is None:
            candidate = self._target.with_name(f"{stem}.{secrets.token_hex(4)}.part")
            try:
                # 0o666 less the umask, as open() gives a new file.
                fd = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            except FileExistsError:
                continue
            self._temp = candidate
        if mode is not None:
            os.fchmod(fd, stat.S_IMODE(mode))
            self.existed = True
        self.file = os.fdopen(fd, "wb")

    def commit(self) -> Path | None:
        """Put the export in FILE's place; returns an earlier FILE.incomplete it removed, which
        the complete export makes obsolete (and would be taken for this one's trouble)."""
        self._close()
        if not self._temp:
            return None
        try:
            os.replace(self._temp, self._target)
        except OSError as exc:
            raise WriteFailed(exc.strerror or str(exc)) from exc
        self._temp = None
        stale = self._incomplete
        try:
            if stale.is_file():
                stale.unlink()
                return stale
        except OSError:
            pass  # left beside FILE, as before: the export itself is complete and in place
        return None

    def set_aside(self) -> Path | None:
        """Keep the export beside FILE, not in its place; returns where it is: FILE.incomplete,
        or its temporary name when that cannot be had (a name too long, a folder of that name).
        None for one written in place, which is all there is to keep."""
        self._close()
        kept, self._temp = self._temp, None
        if kept is None:
            return None
        aside = self._incomplete
        if len(os.fsencode(aside.name)) > _NAME_MAX:
            return kept
        try:
            os.replace(kept, aside)
        except OSError:
            return kept
        return aside

    @property
    def _incomplete(self) -> Path:
        """FILE.incomplete: where an incomplete export is kept, beside FILE."""
        return self._target.with_name(self._target.name + self.INCOMPLETE)

    def _close(self) -> None:
        try:
            self.file.flush()
            if self._temp:
                # On disk before it has the name: a crash just after must not leave an empty file.
                os.fsync(self.file.fileno())
            self.file.close()
        except OSError as exc:
            raise WriteFailed(exc.strerror or str(exc)) from exc

    def discard(self) -> None:
        """Remove what was written, if the export was not committed; nothing after commit()."""
        try:
            self.file.close()
        except OSError:
            pass  # the rest of the buffer cannot be written either; the file goes anyway
        if self._temp:
            self._temp.unlink(missing_ok=True)
            self._temp = None


def _given_descriptor(path: str | Path) -> int | None:
    """The descriptor of this process that ``path`` names, through whatever links lead there
    (/dev/stdout, /dev/fd/3, /proc/self/fd/1); None for any other path."""
    own = re.compile(rf"/proc/{os.getpid()}(/task/\d+)?/fd")
    path = os.path.abspath(path)
    for _ in range(40):  # as many links as the kernel follows
        folder, name = os.path.split(path)
        folder = os.path.realpath(folder)
        if own.fullmatch(folder) and name.isdigit():
            return int(name)
        path = os.path.join(folder, name)
        if not os.path.islink(path):
            return None
        path = os.path.normpath(os.path.join(folder, os.readlink(path)))
    return None


class WriteFailed(Exception):
    """Writing the output failed (a full disk, a closed pipe); ``strerror`` says why."""

    def __init__(self, strerror: str):
        super().__init__(strerror)
        self.strerror = strerror


class _Checked:
    """``out`` with its errors raised as WriteFailed: the output's fault, told apart from an
    OSError of the archive's own files (a WARC file that cannot be read). Seeking is checked
    too, as it writes out what is buffered (a zip seeks back to each member's header)."""

    def __init__(self, out: BinaryIO):
        self._out = out

    def __getattr__(self, name):
        attribute = getattr(self._out, name)
        if name not in ("write", "flush", "seek", "tell"):
            return attribute

        def checked(*args):
            try:
                return attribute(*args)
            except OSError as exc:
                raise WriteFailed(exc.strerror or str(exc)) from exc

        return checked


def export(db: Database, db_path: str | Path, fmt: str, out: BinaryIO, selection: Selection,
           left_out: LeftOut | None = None, filename: str | None = None,
           changed: Callable[[Changes | None], None] | None = None) -> int:
    """Write the selected articles to ``out`` in ``fmt`` and flush it; returns how many were
    written. ``filename`` is the output's name, for the WARC's warcinfo record (None: stdout).

    An article whose capture cannot go into a WARC (none was kept, its file is gone, its record
    is damaged) does not stop the export: ``left_out(row, reason, file)`` hears of it and the
    export goes on with the next. ``file`` is (WARC file, why) when the whole file cannot be read
    (gone, no permission), so that it can be named once for all its captures; else None.
    WriteFailed when ``out`` cannot be written.

    ``changed(changes)`` hears where the export stands in the archive's changes (Changes), read
    in the snapshot the export is written from: what it holds is what changed up to ``through``
    (None for an archive read as it is, without change numbers). The zip's README says it, and
    lists the articles merged since ``selection.changed_after`` in merged.tsv.
    """
    left_out = left_out or (lambda row, reason, file: None)
    if fmt == "zip" and not _rewritable(out):
        raise ValueError("--format zip needs -o FILE: a zip cannot be written to a pipe, a device or a file "
                         "opened to append to")
    out = _Checked(out)
    with snapshot(db):
        try:
            where = changes(db, selection.changed_after)
        except NoChangeNumbers:
            if selection.changed_after is not None:
                raise
            where = None  # read as it is: the export is all there is, with no number to continue from
        if fmt == "jsonl":
            count = _jsonl(db, db_path, out, selection)
        elif fmt == "csv":
            count = _csv(db, db_path, out, selection)
        elif fmt == "warc":
            count = _warc(db, db_path, out, selection, left_out, filename)
        elif fmt == "zip":
            count = _zip(db, db_path, out, selection, left_out, where)
        else:
            raise ValueError(f"unknown format {fmt!r} (one of {', '.join(FORMATS)})")
    out.flush()
    if changed:
        changed(where)
    return count


def _rewritable(out: BinaryIO) -> bool:
    """Whether a zip can be written to ``out``: it goes back to write each member's header once
    the member is written. A pipe cannot; /dev/null and /dev/full let it seek and keep nothing,
    and the writes to a file opened to append to all go to its end."""
    try:
        fd = out.fileno()
    except io.UnsupportedOperation:
        return out.seekable()
    return stat.S_ISREG(os.fstat(fd).st_mode) and not fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_APPEND


def _jsonl(db, db_path, out, selection) -> int:
    count = 0
    history = History(db.conn, db_path)
    for row in iter_articles(db, selection):
        out.write(json.dumps(history.record(row), ensure_ascii=False).encode("utf-8") + b"\n")
        count += 1
    return count


def _csv(db, db_path, out, selection) -> int:
    # With a byte-order mark, as the reading room's CSV: Excel reads the file as UTF-8 only then.
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="", write_through=True)
    # The earlier versions' texts are left to the JSON: a spreadsheet cell is no place for them.
    writer = csv.DictWriter(text, fieldnames=CSV_FIELDS, extrasaction="ignore")
    writer.writeheader()
    count = 0
    history = History(db.conn, db_path)
    for row in iter_articles(db, selection):
        record = history.record(row)
        if record["live"] is not None:
            record["live"] = json.dumps(record["live"], ensure_ascii=False)
        for key in ARTICLE_LIST_FIELDS:
            if record[key] is not None:
                record[key] = json.dumps(record[key], ensure_ascii=False)
        writer.writerow(record)
        count += 1
    text.detach()
    return count


def _warc(db, db_path, out, selection, left_out, filename) -> int:
    """Every version's capture of each selected article, oldest first: what the article said
    before it changed is part of the record. Returns how many articles have their current
    capture in the file."""
    info = {"description": f"govarchive export of {selection}"}
    # WARC 1.1's operator: whoever made the export, as a crawl names whoever ran it (left out unset).
    if contact := os.environ.get("GOVARCHIVE_CONTACT"):
        info["operator"] = contact
    out.write(warcinfo_member(filename, info))
    count = 0
    for row in iter_articles(db, selection):
        earlier = [r[0] for r in db.execute(
            "select distinct fetch_id from article_versions where article_id = ? and fetch_id <> ? "
            "order by version", [row["id"], row["fetch_id"]],
        )]
        for fetch_id in [*earlier, row["fetch_id"]]:
            which = "capture" if fetch_id == row["fetch_id"] else f"earlier version's capture (fetch {fetch_id})"
            try:
                fetch = db["fetches"].get(fetch_id)
                capture = read_capture(db_path, fetch)
            except NotFoundError:
                left_out(row, f"its {which}: fetch {fetch_id} is not in the archive", None)
                continue
            except (CaptureMissing, RecordUnreadable) as exc:
                left_out(row, f"its {which}: {exc}" if fetch_id != row["fetch_id"] else str(exc), _whole_file(exc))
                continue
            # The redirects that led to the capture come first: a replay of the URL that was
            # asked for starts with them. The answers a retry replaced (a 503, a 429) stay in
            # the crawl's WARC files only: a replay tool could serve one of them for the page.
            for hop in json.loads(fetch.get("warc_hops") or "[]"):
                try:
                    answer = read_hop(db_path, hop)
                except (CaptureMissing, RecordUnreadable) as exc:
                    left_out(row, f"a redirect before its {which}: {exc}", _whole_file(exc))
                    continue
                if 300 <= answer.status < 400:
                    out.write(answer.raw_record)
            out.write(capture.raw_record)
            count += fetch_id == row["fetch_id"]
    return count


def _whole_file(exc: Exception) -> tuple[str, str] | None:
    """(file, why) when ``exc`` is of a WARC file none of whose captures can be read."""
    if isinstance(exc, (WarcFileMissing, WarcFileUnreadable)):
        return str(exc.file), exc.reason
    return None


# A stop (Ctrl-C, SIGTERM) is an exception raised wherever the export stands. Raised while zipfile
# opens or closes a member, it left the member open, and closing the zip then raised zipfile's
# ValueError ("Can't close the ZIP file while there is an open writing handle") in its place: the
# command said "Error: …" and exited 1 rather than 130 or 143. Those moments hold a stop back.
_STOPS = (signal.SIGINT, signal.SIGTERM)


@contextlib.contextmanager
def _stops_held():
    """A stop that comes meanwhile is noted, and raised (its handler run) as this ends. Handlers
    are swapped rather than the signals blocked: Python runs a handler in the main thread however
    that thread masks the signal, as soon as another thread of the process takes it."""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread hears signals
        return
    came: list[int] = []
    previous = {signum: signal.signal(signum, lambda signum, frame: came.append(signum)) for signum in _STOPS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if came:
            handler = previous[came[0]]
            if callable(handler):
                handler(came[0], None)
            elif handler == signal.SIG_DFL:
                os.kill(os.getpid(), came[0])


class _ZipArchive(zipfile.ZipFile):
    """An export's zip, which closes a member left open when it is closed itself. A stop can come
    between a member's opening and the with-statement that closes it (as contextlib hands it
    over); zipfile then refused to close the zip, and "Can't close the ZIP file while there is an
    open writing handle" took the stop's place."""

    writing = None

    def open(self, name, mode="r", pwd=None, *, force_zip64=False):
        member = super().open(name, mode, pwd, force_zip64=force_zip64)
        if mode == "w":
            self.writing = member
        return member

    def close(self):
        if self.writing is not None and not self.writing.closed:
            self.writing.close()
        super().close()


@contextlib.contextmanager
def _zip_file(out):
    archive = _ZipArchive(out, "w", compression=zipfile.ZIP_DEFLATED)
    try:
        yield archive
    finally:
        with _stops_held():
            archive.close()


class _Summed(io.BufferedIOBase):
    """A zip member being written, and the SHA-256 of what was written to it."""

    def __init__(self, member):
        self.member, self.sha256 = member, hashlib.sha256()

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.sha256.update(data)
        return self.member.write(data)


@contextlib.contextmanager
def _zip_member(archive, info: zipfile.ZipInfo, sums: dict[str, str]):
    """The member ``info`` opened for writing; its SHA-256 is put in ``sums`` by its name once it
    is written whole."""
    member = None
    try:
        with _stops_held():
            member = archive.open(info, "w", force_zip64=True)
        summed = _Summed(member)
        yield summed
        sums[info.filename] = summed.sha256.hexdigest()
    finally:
        # Set even when a stop held back during the opening is raised as it ends.
        if member is not None:
            with _stops_held():
                member.close()


def _zip(db, db_path, out, selection, left_out, where: Changes | None) -> int:
    exported = datetime.now(timezone.utc)
    # The list of captures left out goes to a file of its own until the WARC member is closed (a
    # zip takes one member at a time), so memory stays flat however many there are.
    with tempfile.TemporaryFile() as missing, _zip_file(out) as archive:
        missed = 0

        def note(row, reason, file):
            nonlocal missed
            missed += 1
            missing.write("\t".join([str(row["id"]), row["url"], " ".join(reason.split())]).encode("utf-8") + b"\n")
            left_out(row, reason, file)

        sums: dict[str, str] = {}
        with _zip_member(archive, _member("articles.jsonl", exported), sums) as member:
            count = _jsonl(db, db_path, member, selection)
        with _zip_member(archive, _member("articles.csv", exported), sums) as member:
            _csv(db, db_path, member, selection)
        with _zip_member(archive, _member("captures.warc.gz", exported), sums) as member:
            _warc(db, db_path, member, selection, note, "captures.warc.gz")
        readme = README_HEAD.format(selection=selection, notes=_readme_notes(selection), count=count,
                                    exported=exported.isoformat(timespec="seconds"),
                                    changes=README_CHANGES.format(through=where.through) if where else "")
        if where and where.after is not None:
            readme += README_MERGED.format(after=where.after, count=len(where.merged))
            with _zip_member(archive, _member(MERGED, exported), sums) as member:
                member.write(b"id\tinto_id\tmerged_at\tchanged\n")
                member.write("".join("\t".join(map(str, row)) + "\n" for row in where.merged).encode("utf-8"))
        if missed:
            readme += README_MISSING.format(count=missed)
            missing.seek(0)
            with _zip_member(archive, _member(MISSING_CAPTURES, exported), sums) as member:
                member.write(b"article_id\turl\treason\n")
                shutil.copyfileobj(missing, member)
        readme = (readme + FIELDS_README).encode("utf-8")
        sums["README.txt"] = hashlib.sha256(readme).hexdigest()
        with _stops_held():
            archive.writestr(_member(CHECKSUMS, exported), "".join(f"{h}  {name}\n" for name, h in sums.items()))
            archive.writestr(_member("README.txt", exported), readme)
    return count


def _readme_notes(selection: Selection) -> str:
    """What the search query could not honour, as the command said it: the zip is read later,
    away from what was printed when it was made."""
    notes = parse_query(selection.search).notes if selection.search is not None else []
    return "".join(textwrap.fill(note.en, 100, initial_indent="note".ljust(21), subsequent_indent=" " * 21) + "\n"
                   for note in notes)


def _member(name: str, exported: datetime) -> zipfile.ZipInfo:
    # Opened by name, a member written as a stream is dated 1980-01-01. A zip's times name no zone:
    # Vietnam time, as the reading room shows times, not the zone of the machine that exported it.
    info = zipfile.ZipInfo(name, date_time=exported.astimezone(VN_TZ).timetuple()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16  # without it, unzip makes files no one may read
    return info
