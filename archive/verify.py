"""A fixity check: whether the archive still holds what it recorded, changing nothing.

Every capture a fetch row points at must read back as written (its gzip CRC, its WARC digests,
the URL its row names), with the redirects before it; every article's text must have a capture
behind it and give the ``text_hash`` stored with it, and so must every earlier version's. What
does not is a Problem, handed on as it is found, so that a long run shows it at once.

The archive is read in one read transaction (archive.export.snapshot): it is checked as it stood
when the check began, whatever a crawl writes meanwhile, and nothing of it is locked or written.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urljoin

from sqlite_utils import Database

from archive.captures import CaptureOfAnotherURL, WarcFileMissing, read_capture, read_hop, same_resource, warc_folder
from archive.export import snapshot
from archive.fixity import text_hash
from archive.warc import RecordUnreadable, WarcFileUnreadable

# The kinds of problem, each with the words the summary counts them in.
KINDS = {
    "damaged record": "damaged records",
    "record of another URL": "records of another URL than their fetch's",
    "WARC file missing": "WARC files missing",
    "WARC file unreadable": "WARC files unreadable",
    "WARC file cut short": "WARC files cut short",
    "WARC file damaged": "WARC files none of whose records read back",
    "no capture": "texts with no capture behind them",
    "text altered": "article texts that do not give their text_hash",
    "version text altered": "version texts that do not give their text_hash",
}


@dataclass
class Problem:
    """One thing found wrong: ``kind`` (a key of KINDS) and ``reason`` in plain words, with what
    it is of. A WARC file that is missing, unreadable, cut short or damaged throughout is one
    Problem for all its records: ``captures`` and ``redirects`` of them (those past its end, when
    cut short), the current texts of ``texts`` articles among them."""

    kind: str
    reason: str
    article_ids: list[int] = field(default_factory=list)
    version: int | None = None
    fetch_id: int | None = None
    hop: int | None = None  # which of the fetch's redirects (warc_hops), from 1
    url: str | None = None
    warc_file: str | None = None
    offset: int | None = None
    captures: int | None = None
    redirects: int | None = None
    texts: int | None = None

    def line(self) -> str:
        who = [f"article{'s' if len(self.article_ids) > 1 else ''} {', '.join(map(str, self.article_ids))}"
               if self.article_ids else "", f"version {self.version}" if self.version else "",
               f"fetch {self.fetch_id}" if self.fetch_id else ""]
        named = ", ".join(w for w in who if w)
        return f"{named} ({self.url}): {self.reason}" if named else self.reason

    def as_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)


class Tally(Counter):
    """What was looked for ("captures", "hops": the redirects before them, "articles",
    "versions"), what of it could not be read ("captures unread", "hops unread": in a WARC file
    missing, unreadable or past its end) and, under each kind of KINDS, the problems found;
    ``files``: the WARC files the captures are in, ``files_read``: those any was read from."""

    def __init__(self):
        super().__init__()
        self.files: set[str] = set()
        self.files_read: set[str] = set()

    @property
    def problems(self) -> int:
        return sum(self[kind] for kind in KINDS)


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during a check: ``tally`` of what was checked before it."""

    def __init__(self, tally: Tally):
        super().__init__()
        self.tally = tally


def verify(
    db: Database,
    db_path: str | Path,
    *,
    source: str | None = None,
    found: Callable[[Problem], None],
    progress: Callable[[int, int], None] | None = None,
) -> Tally:
    """Check every capture, article text and version text (of ``source``), handing each
    problem to ``found`` as it is met; returns the Tally. Interrupted on Ctrl-C."""
    tally = Tally()
    step = _Steps(progress)

    def seen(problem: Problem) -> None:
        tally[problem.kind] += 1
        found(problem)

    with snapshot(db):
        step.total = _total(db, source)
        try:
            _captures(db, db_path, source, seen, tally, step)
            _articles(db, source, seen, tally, step)
            _versions(db, source, seen, tally, step)
        except KeyboardInterrupt:
            raise Interrupted(tally) from None
    return tally


class _Steps:
    """The progress callback, called once for every capture, article and version checked."""

    def __init__(self, progress):
        self.progress, self.done, self.total = progress, 0, 0

    def __call__(self) -> None:
        self.done += 1
        if self.progress:
            self.progress(self.done, self.total)


def _source_filter(source: str | None, column: str) -> tuple[str, list]:
    return (f"{column} = ?", [source]) if source else ("1", [])


# Each capture a fetch row points at, and each redirect before it (warc_hops): read ordered by
# file and offset, so that every file is read from start to end once.
_RECORDS = """
    select id, url, requested_url, response_url, fetched_at, warc_file as file, warc_offset as offset,
           warc_length as length, null as hop
    from fetches where warc_file is not null and warc_file != '' and {where}
    union all
    select f.id, f.url, f.requested_url, f.response_url, f.fetched_at, json_extract(h.value, '$.file'),
           json_extract(h.value, '$.offset'), json_extract(h.value, '$.length'), h.key + 1
    from fetches f, json_each(f.warc_hops) h where f.warc_hops is not null and {where}"""


def _total(db: Database, source: str | None) -> int:
    where, params = _source_filter(source, "source_id")
    records = db.execute(f"select count(*) from ({_RECORDS.format(where=where)})", params * 2).fetchone()[0]
    where, params = _source_filter(source, "a.source_id")
    articles = db.execute(f"select count(*) from articles a where {where}", params).fetchone()[0]
    versions = db.execute(f"select count(*) from article_versions v join articles a on a.id = v.article_id "
                          f"where {where}", params).fetchone()[0]
    return records + articles + versions


class _File:
    """A WARC file met in the checks: its path as the captures name it, its size, and what is
    said once of the file instead of each record in it (``kind``, ``reason``, ``records``)."""

    def __init__(self, folder: Path, name: str):
        self.name, self.path = name, folder / name
        self.kind = self.reason = None
        self.records: Counter = Counter()  # "captures", "hops": those the file's Problem is of
        self.past_end: int | None = None  # offset of the first capture past its end
        # The damaged records' problems, held back while none of the file's records has read
        # back: a file that none does (zeroed, overwritten) is one Problem, not one per record.
        self.held: list[Problem] = []
        self.first_damage: str | None = None
        self.read_back = False
        try:
            self.size = os.stat(self.path).st_size
        except OSError:
            self.size = None  # read_capture says why

    def fails(self, exc: WarcFileUnreadable | WarcFileMissing) -> None:
        self.kind = "WARC file missing" if isinstance(exc, WarcFileMissing) else "WARC file unreadable"
        self.reason = exc.reason

    def damaged(self, problem: Problem, exc: RecordUnreadable, seen) -> None:
        if self.read_back:
            seen(problem)
            return
        if not self.held:
            self.first_damage = str(exc).removeprefix(f"{self.path}: ")
        self.held.append(problem)

    def reads_back(self, seen) -> None:
        if not self.read_back:
            self.read_back = True
            self.said_one_by_one(seen)

    def said_one_by_one(self, seen) -> None:
        for problem in self.held:
            seen(problem)
        self.held = []


def _captures(db, db_path, source, seen, tally, step) -> None:
    # As read_capture names a file in its errors: a file said to be missing or cut short is the one
    # the damaged records' lines name.
    folder = warc_folder(db_path)
    where, params = _source_filter(source, "source_id")
    current: _File | None = None
    whole = False
    chains: dict[int, _Chain] = {}
    try:
        for fetch_id, url, requested_url, response_url, fetched_at, file, offset, length, hop in db.execute(
                f"{_RECORDS.format(where=where)} order by file, offset", params * 2):
            step()
            key = "hops" if hop else "captures"
            tally[key] += 1
            if current is None or current.name != file:
                _said_of_file(db, current, source, seen)
                current = _File(folder, file)
                tally.files.add(file)
            if not current.kind and current.size is not None and offset + length > current.size:
                # Every record from here to the end of the file is as cut short as this one.
                current.kind, current.past_end = "WARC file cut short", offset
            fetch = {"id": fetch_id, "url": url, "requested_url": requested_url, "response_url": response_url,
                     "fetched_at": fetched_at, "warc_file": file, "warc_offset": offset, "warc_length": length}
            chain = chains.setdefault(fetch_id, _Chain(fetch)) if hop else None
            if current.kind or not _read(db, db_path, current, fetch, hop, seen, chain):
                current.records[key] += 1
                tally[f"{key} unread"] += 1
            else:
                tally.files_read.add(file)
        whole = True
    finally:
        # Also when interrupted: what was found of the file so far is said.
        _said_of_file(db, current, source, seen, whole=whole)
    for chain in chains.values():
        if (broken := chain.broken()) is not None:
            seen(_record_problem(db, chain.hops[broken].pointer, broken, CaptureOfAnotherURL(chain.said(broken))))


class _Hop(NamedTuple):
    pointer: dict  # the fetch, with this record's place as its warc_file, warc_offset, warc_length
    url: str | None  # the record's WARC-Target-URI
    status: int
    location: str | None


class _Chain:
    """The redirects and retries before a fetch's capture, as their records read back: each must
    be of the URL the one before led to (the fetch's first URL, for the first), or a record of
    another request's redirect stands in the chain."""

    def __init__(self, fetch: dict):
        self.fetch, self.hops = fetch, {}

    def add(self, hop: int, pointer: dict, stored) -> None:
        location = next((v for k, v in stored.headers.items() if k.lower() == "location"), None)
        self.hops[hop] = _Hop(pointer, stored.url, stored.status, location)

    def expected(self, hop: int) -> set[str] | None:
        """The URLs hop ``hop`` may be of; None when the chain cannot tell (a record before it
        did not read back, or led on by what its headers do not say, such as a meta refresh)."""
        if hop == 1:
            return {u for u in (self.fetch["requested_url"], self.fetch["url"]) if u}
        before = self.hops.get(hop - 1)
        if before is None or not before.url:
            return None
        if 300 <= before.status < 400 and before.location:
            return {urljoin(before.url, before.location)}
        # An error answered, then asked again: a retry is of the same URL.
        return {before.url} if before.status >= 400 else None

    def broken(self) -> int | None:
        """The first hop whose record is not of a URL the chain leads to, if any."""
        for hop in sorted(self.hops):
            expected = self.expected(hop)
            url = self.hops[hop].url
            if expected and not any(same_resource(url, e) for e in expected):
                return hop
        return None

    def said(self, hop: int) -> str:
        where = "the fetch's first URL" if hop == 1 else f"where redirect {hop - 1} led"
        return (f"its record is a capture of {self.hops[hop].url or 'no URL'}, not of "
                f"{' or '.join(sorted(self.expected(hop)))}, {where} (the fetch row points at another "
                "request's record)")


def _read(db, db_path, file: _File, fetch: dict, hop: int | None, seen, chain: _Chain | None) -> bool:
    """Read one record of ``file`` back, saying what is wrong with it (a hop read back goes into
    its fetch's ``chain``); False when it could not be read at all, its file being missing or
    unreadable."""
    try:
        if hop:
            stored = read_hop(db_path, {"file": fetch["warc_file"], "offset": fetch["warc_offset"],
                                        "length": fetch["warc_length"]})
            chain.add(hop, fetch, stored)
        else:
            read_capture(db_path, fetch)
    except (WarcFileMissing, WarcFileUnreadable) as exc:
        file.fails(exc)
        return False
    except CaptureOfAnotherURL as exc:
        file.reads_back(seen)
        seen(_record_problem(db, fetch, hop, exc))
    except RecordUnreadable as exc:
        file.damaged(_record_problem(db, fetch, hop, exc), exc, seen)
    else:
        file.reads_back(seen)
    return True


def _record_problem(db, fetch: dict, hop: int | None, exc: RecordUnreadable) -> Problem:
    kind = "record of another URL" if isinstance(exc, CaptureOfAnotherURL) else "damaged record"
    # The error names the fetch too, which the line names already.
    reason = str(exc).removeprefix(f"fetch {fetch['id']}: ")
    if hop:
        hops = json.loads(db.execute("select warc_hops from fetches where id = ?", [fetch["id"]]).fetchone()[0])
        reason = f"redirect {hop} of {len(hops)} before its capture: {reason}"
    articles = [r[0] for r in db.execute("select id from articles where fetch_id = ? order by id", [fetch["id"]])]
    return Problem(kind, reason, article_ids=articles, fetch_id=fetch["id"], hop=hop,
                   url=fetch["response_url"] or fetch["url"], warc_file=fetch["warc_file"],
                   offset=fetch["warc_offset"])


def _said_of_file(db, file: _File | None, source, seen, *, whole: bool = True) -> None:
    """The Problem of a WARC file whose records were not read one by one, once for them all; or
    of one none of whose records read back (``whole``: every record of it was checked), when
    there were more than one."""
    if file is None:
        return
    if whole and not file.kind and len(file.held) > 1:
        file.kind = "WARC file damaged"
        file.records.update("hops" if problem.hop else "captures" for problem in file.held)
    else:
        file.said_one_by_one(seen)
    if not file.kind:
        return
    where, params = _source_filter(source, "a.source_id")
    past = "and f.warc_offset + f.warc_length > ?" if file.past_end is not None else ""
    texts = db.execute(
        f"select count(*) from articles a join fetches f on f.id = a.fetch_id where f.warc_file = ? {past} "
        f"and {where}", [file.name, *([file.size] if past else []), *params]).fetchone()[0]
    of_texts = f", the current text{'s' if texts != 1 else ''} of {texts:,} article{'s' if texts != 1 else ''}"
    records, one = _records(file.records["captures"], file.records["hops"])
    if file.kind == "WARC file cut short":
        reason = (f"WARC file {file.path} is cut short: it ends at byte {file.size:,}, and {records} "
                  f"{'lies' if one else 'lie'} past its end (from offset {file.past_end:,} on){of_texts}")
    elif file.kind == "WARC file missing":
        reason = f"WARC file {file.path} is missing: {records} {'was' if one else 'were'} in it{of_texts}"
    elif file.kind == "WARC file damaged":
        reason = (f"WARC file {file.path} is damaged: none of the {records} in it reads back{of_texts}; "
                  f"the first: {file.first_damage}")
    else:
        reason = (f"WARC file {file.path} cannot be read ({file.reason}): {records} {'is' if one else 'are'} "
                  f"in it{of_texts}")
    seen(Problem(file.kind, reason, warc_file=file.name, offset=file.past_end, captures=file.records["captures"],
                 redirects=file.records["hops"], texts=texts))


def _records(captures: int, hops: int) -> tuple[str, bool]:
    """A file's captures and redirects in words, counted apart as the summary counts them, and
    whether they are one record."""
    said = [f"{captures:,} capture{'s' if captures != 1 else ''}"] if captures or not hops else []
    if hops:
        said.append(f"{hops:,} redirect{'s' if hops != 1 else ''}")
    return " and ".join(said), captures + hops == 1


def _articles(db, source, seen, tally, step) -> None:
    where, params = _source_filter(source, "a.source_id")
    rows = db.execute(
        f"""select a.id, a.url, a.text, a.text_hash, a.fetch_id, f.id, f.warc_file
            from articles a left join fetches f on f.id = a.fetch_id where {where} order by a.id""", params)
    for article_id, url, text, stored_hash, fetch_id, fetch_found, warc_file in rows:
        step()
        tally["articles"] += 1
        if missing := _no_capture(fetch_id, fetch_found, warc_file):
            seen(Problem("no capture", missing, article_ids=[article_id], fetch_id=fetch_id, url=url))
        if wrong := _altered(text, stored_hash):
            seen(Problem("text altered", wrong, article_ids=[article_id], url=url))


def _versions(db, source, seen, tally, step) -> None:
    where, params = _source_filter(source, "a.source_id")
    rows = db.execute(
        f"""select v.article_id, v.version, v.fetch_id, a.url, v.text, v.text_hash, v.in_articles, a.text_hash,
                   v.fetch_id is a.fetch_id, f.id, f.warc_file
            from article_versions v join articles a on a.id = v.article_id left join fetches f on f.id = v.fetch_id
            where {where} order by v.article_id, v.version""", params)
    for (article_id, version, fetch_id, url, text, stored_hash, in_articles, article_hash, articles_fetch,
         fetch_found, warc_file) in rows:
        step()
        tally["versions"] += 1
        # A version read from the article's own fetch has the capture checked for the article.
        if not articles_fetch and (missing := _no_capture(fetch_id, fetch_found, warc_file)):
            seen(Problem("no capture", missing, article_ids=[article_id], version=version, fetch_id=fetch_id,
                         url=url))
        if in_articles:
            # Its text is the article's (checked above), which it says it shares.
            if stored_hash != article_hash:
                seen(Problem("version text altered", f"its text_hash ({_short(stored_hash)}) is not that of the "
                             f"article's text, which it is recorded as sharing ({_short(article_hash)})",
                             article_ids=[article_id], version=version, fetch_id=fetch_id, url=url))
        elif wrong := _altered(text, stored_hash):
            seen(Problem("version text altered", wrong, article_ids=[article_id], version=version,
                         fetch_id=fetch_id, url=url))


def _no_capture(fetch_id: int | None, fetch_found: int | None, warc_file: str | None) -> str | None:
    """Why no capture is behind a text read from fetch ``fetch_id`` (``fetch_found``: its row's
    id, None when the row is gone; ``warc_file``: its row's), or None when one is. A capture
    whose file is gone is said of the file, with the count of such texts."""
    if fetch_id is None:
        return "no fetch is recorded for its text: no capture shows where it came from"
    if fetch_found is None:
        return f"its text's fetch {fetch_id} is not in the archive: no capture shows where it came from"
    if not warc_file:
        return "its text's fetch never had a capture kept: none shows where it came from"
    return None


def _altered(text: str | None, stored_hash: str | None) -> str | None:
    """Why ``text`` is not the one ``stored_hash`` (archive.fixity.text_hash) was taken of, or
    None when it is: a text changed since, or taken away."""
    if text is None:
        return None if stored_hash is None else (
            f"it has no text, though its text_hash ({_short(stored_hash)}) says it had one: its text was "
            "removed after it was stored")
    if text_hash(text) == stored_hash:
        return None
    return f"its text does not give its text_hash ({_short(stored_hash)}): it was changed after it was stored"


def _short(digest: str | None) -> str:
    return f"{digest[:12]}…" if digest else "none"


def summary(tally: Tally, *, interrupted: bool = False) -> str:
    """What was checked and what was found, in a line; ``interrupted``: before the check was done."""
    hops = f" (and {_read_of(tally, 'hops', 'redirect')} before them)" if tally["hops"] else ""
    files = _of(len(tally.files_read), len(tally.files), "WARC file")
    checked = (f"{_read_of(tally, 'captures', 'capture')}{hops} in {files}, {tally['articles']:,} article texts "
               f"and {tally['versions']:,} version texts")
    found = "no problems found"
    if tally.problems:
        kinds = ", ".join(f"{words}: {tally[kind]:,}" for kind, words in KINDS.items() if tally[kind])
        found = f"{tally.problems:,} problem{'s' if tally.problems != 1 else ''}: {kinds}"
    if interrupted:
        return f"interrupted after checking {checked}: {found}; the rest was not checked"
    return f"Checked {checked}: {found}."


def _read_of(tally: Tally, key: str, noun: str) -> str:
    return _of(tally[key] - tally[f"{key} unread"], tally[key], noun)


def _of(read: int, looked_for: int, noun: str) -> str:
    """"5 captures", or "3 of 5 captures" when only 3 could be read: none is said to be checked
    that was not."""
    counted = f"{looked_for:,} {noun}{'s' if looked_for != 1 else ''}"
    return counted if read == looked_for else f"{read:,} of {counted}"
