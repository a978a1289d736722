"""Running crawls: the library behind ``govarchive crawl`` and ``govarchive demo``.

The crawl itself runs in a child process (``python -m crawler``): Twisted's reactor cannot be
restarted within one process, and the archive package does not import the crawler. The two
meet in the database: the child writes ``crawls`` rows, this side reads them back.
"""

from __future__ import annotations

import contextlib
import errno
import math
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from archive.db import (
    BUSY_TIMEOUT_MS, ArchiveError, BadEnvironment, check_archive, check_current_folder, current_folder, open_db,
    sqlite_uri,
)
from archive.ingest import FETCH_FAILED_SQL, SKIPPED_SQL, STORAGE_FAILURE_STAT, close_interrupted, fetch_counts
from archive.locks import LocksUnusable, SourceLock, SourceLocked, holder, locked_message
from archive.sources import load_sources, overlaps, paused_note, select

# The status of a source the crawler did not start, a row of its own in the summary.
NOT_STARTED = "not started"
# What stops a crawl as Ctrl-C does, however it is sent.
# SIGHUP: the terminal of a crawl run by hand closed (an ssh session lost). It reaches the
# crawler too, which died of it and left its crawl for the next one to close.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
# How a fetch error that is this machine's storage failing, not the site, reads: what the
# pipeline records when it cannot store a page, an OSError's text for a full, read-only or
# broken disk, SQLite's own words.
STORAGE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EIO})
STORAGE_ERROR_MARKS = (
    "storage failed:", *sorted(os.strerror(code) for code in STORAGE_ERRNOS),
    "database or disk is full", "disk I/O error",
)

# Extraction is all CPU: past a few workers a core they only share it, and a mistyped 99999 forked
# workers for as long as the machine's memory lasted.
MOST_EXTRACT_WORKERS = 4 * (os.cpu_count() or 1)

# The environment variables the crawler reads (crawler/settings.py), with what each must be
# when set and not empty. Checked here, where a bad one is the user's to fix: in the crawler it
# is a traceback, or every fetch's error, blamed on the sites.
ENVIRONMENT = {
    "GOVARCHIVE_CONTACT": ("printable ASCII, as the User-Agent header carries it",
                           lambda value: value.isascii() and value.isprintable()),
    "GOVARCHIVE_DOWNLOAD_TIMEOUT": ("a number of seconds greater than 0",
                                    lambda value: 0 < float(value) < math.inf),
    "GOVARCHIVE_EXTRACT_WORKERS": (f"a whole number of processes from 0 to {MOST_EXTRACT_WORKERS}, four per core "
                                   "(0: none, extract in the crawler)",
                                   lambda value: 0 <= int(value) <= MOST_EXTRACT_WORKERS),
}


# The crawler's exit status when the archive's write lock was not to be had (EX_TEMPFAIL).
ARCHIVE_LOCKED = 75
# The crawler's exit status when it crawled all it could, other crawls holding the other sources.
SOURCES_LOCKED = 3
# How long a crawl waits for another process's write before it says it waits.
QUIET_WAIT_MS = 2_000


class ArchiveLocked(ArchiveError):
    """Another process holds the archive's write lock, and has held it past the busy timeout."""


def archive_locked_message(db_path: str | Path) -> str:
    return (f"{db_path}: another process holds the archive's write lock and has not let go of it in "
            f"{BUSY_TIMEOUT_MS // 1000} s, so nothing was crawled; crawl again once that process has "
            f"finished or been stopped ('fuser {db_path}' lists the processes that have the archive open)")


def is_archive_locked(exc: BaseException) -> bool:
    """Whether ``exc`` is SQLite's "database is locked": a write lock held past the busy timeout."""
    return isinstance(exc, sqlite3.OperationalError) and (
        getattr(exc, "sqlite_errorcode", 0) & 0xFF) in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


def wait_for_write_lock(db, db_path: str | Path) -> None:
    """Take the archive's write lock and let it go at once, as the crawl's first write would take
    it: waiting for another process's write, and saying so when the wait is long. Raises
    ArchiveLocked when the busy timeout passes: SQLite would say no more than "database is locked",
    after half a minute of silence."""
    try:
        for wait_ms in (QUIET_WAIT_MS, BUSY_TIMEOUT_MS - QUIET_WAIT_MS):
            db.execute(f"PRAGMA busy_timeout = {wait_ms}")
            try:
                db.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                if not is_archive_locked(exc):
                    raise
                if wait_ms == QUIET_WAIT_MS:
                    print(f"note: {db_path}: another process is writing to the archive; waiting up to "
                          f"{BUSY_TIMEOUT_MS // 1000} s for it", file=sys.stderr)
                continue
            db.execute("ROLLBACK")
            return
    finally:
        db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    raise ArchiveLocked(archive_locked_message(db_path))


class QueueUnusable(ArchiveError):
    """A source's request queue folder cannot be emptied or written: its crawl cannot start."""

    def __init__(self, path: Path, exc: OSError):
        if any(p.exists() and not p.is_dir() for p in (path.parent, path)):
            why = "it is not a folder"  # the errno's own words: "File exists", "Not a directory"
        else:
            why = exc.strerror or str(exc)
        super().__init__(f"{path}: cannot prepare this crawl's request queue folder: {why}")


def queue_dir(db_path: str | Path, source_id: str) -> Path:
    """The folder of the source's crawl's request queue (Scrapy's JOBDIR). Beside the database
    itself, not a symlink to it, as its locks and WARC files are."""
    db_path = Path(db_path).resolve()
    return db_path.with_name(f"{db_path.stem}-queues") / source_id


def check_crawl_folders(db_path: str | Path, source_id: str) -> None:
    """Raise LocksUnusable or QueueUnusable, in one line naming the file or folder, when the
    crawler could not lock the source or keep its request queue. Nothing is taken or emptied: a
    crawl of the source may be running."""
    SourceLock(db_path, source_id).check()
    path = queue_dir(db_path, source_id)
    try:
        path.mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryFile(dir=path).close()
    except OSError as exc:
        raise QueueUnusable(path, exc) from None


def check_environment(environ) -> None:
    """Raise BadEnvironment, in one line naming it, its value and what it must be, for the first
    crawler environment variable that cannot be used."""
    for name, (must_be, usable) in ENVIRONMENT.items():
        value = environ.get(name)
        if not value:
            continue
        try:
            ok = usable(value)
        except ValueError:
            ok = False
        if not ok:
            raise BadEnvironment(f"environment variable {name} is {value!r}: it must be {must_be}")


def run_crawl(
    db_path: str | Path,
    *,
    sources_file: str | Path = "sources.toml",
    source_ids: list[str] | tuple[str, ...] = (),
    max_pages: int | None = None,
    log_level: str = "INFO",
    warc_dir: str | Path | None = None,
    warc_max_size: int | None = None,
    backfill: bool = False,
    resume: bool = False,
    on_progress: Callable[[dict], None] | None = None,
    on_overlap: Callable[[str], None] | None = None,
    on_note: Callable[[str], None] | None = None,
) -> list[dict]:
    """Crawl the chosen sources (all when none are named) into ``db_path``.

    Returns the ``crawls`` rows this run wrote, one per source; a source the crawler could not
    start (another crawl of it is running, its lock or request queue folder cannot be used) gets a
    row of status ``not started``. Raises SourcesError for a bad
    sources file or unknown id and BadEnvironment for a crawler environment variable that cannot
    be used (check_environment) before anything is fetched, ArchiveError when the crawler
    process fails without recording its crawls for another reason than their locks, and
    LocksUnusable or QueueUnusable when no chosen source's lock or request queue folder can be used.

    A SIGINT or SIGTERM to this process stops the crawls as Ctrl-C does (resumable); each row's
    ``signal`` is then that signal's number (None otherwise), for exit_status().

    ``on_overlap`` is given each warning of archive.sources.overlaps() about a chosen source,
    before anything is fetched: a crawl run from cron is all that sees the sources file.

    A source paused in the file (``enabled = false``) is crawled only when named; ``on_note`` is
    given one line saying which were left out, or that those named are paused. With none named
    and every source paused, nothing is crawled and no row returned.
    """
    check_current_folder(db_path, sources_file, warc_dir)
    check_environment(os.environ)
    sources = load_sources(sources_file)
    chosen = select(sources, list(source_ids)) if source_ids else [s for s in sources if s.enabled]
    if not chosen:
        # Pausing them all was deliberate: a cron job's crawl has nothing to do, and fails at nothing.
        if on_note:
            on_note(f"every source in {sources_file} is paused (enabled = false): nothing to crawl; "
                    "name one to crawl it all the same")
        return []
    note = paused_note(chosen if source_ids else sources, sources_file, named=bool(source_ids))
    if note and on_note:
        on_note(note)
    if on_overlap:
        for line in overlaps(sources, among={s.id for s in chosen}):
            on_overlap(line)
    check_archive(db_path, may_be_new=True)
    db = open_db(db_path)
    try:
        last_id = db.execute("select coalesce(max(id), 0) from crawls").fetchone()[0]
        wait_for_write_lock(db, db_path)
    finally:
        db.close()

    # -P: a crawler.py (or asyncio.py …) in the folder the command runs in is not imported instead.
    command = [sys.executable, "-P", "-m", "crawler", "--db", str(db_path), "--sources", str(sources_file)]
    command += ["--log-level", log_level]
    if max_pages is not None:
        command += ["--max-pages", str(max_pages)]
    if backfill:
        command.append("--backfill")
    if resume:
        command.append("--resume")
    if warc_dir is not None:
        command += ["--warc-dir", str(warc_dir)]
    if warc_max_size is not None:
        command += ["--warc-max-size", str(warc_max_size)]
    # Here, as one line: in the crawler a source it cannot start is a line of its own beside
    # "exited without recording any crawl". As in the scheduler, one source's unusable lock or
    # queue folder does not keep the others from their crawls; it is not started.
    unusable = {}
    for source in chosen:
        try:
            check_crawl_folders(db_path, source.id)
        except (LocksUnusable, QueueUnusable) as exc:
            unusable[source.id] = exc
    if unusable and len(unusable) == len(chosen):
        reasons = {str(exc): exc for exc in unusable.values()}  # the locks folder is every source's
        if len(reasons) == 1:
            raise next(iter(reasons.values()))
        raise ArchiveError("no source can be crawled:\n" + "\n".join(f"  {reason}" for reason in reasons))
    ids = [s.id for s in chosen if s.id not in unusable]
    command += ids
    # The crawler refuses a source whose lock another crawl holds; who held it is asked before
    # and after, as that crawl may end while this one goes on with the other sources.
    holders = {source_id: holder(db_path, source_id) for source_id in ids}
    env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "crawler.settings"}
    # Scrapy looks for a scrapy.cfg from the current folder up, and fails (FileNotFoundError)
    # when that folder no longer exists: the crawler then starts in the archive's folder, every
    # path it is given being absolute (check_current_folder).
    folder = None if current_folder() is not None else os.path.dirname(db_path)
    # The crawler stops as on Ctrl-C when its stdin closes: at a signal to this process, and
    # at its death, which closes the pipe however it comes. Signals are passed on from before
    # it starts: one between its start and this process's handlers would interrupt this
    # process (a KeyboardInterrupt) and leave the crawler running.
    with _passing_stop_signals() as stopped_by:
        stopped_by.attach(subprocess.Popen([*command, "--stop-when-stdin-closes"], cwd=folder, env=env,
                                           stdin=subprocess.PIPE, preexec_fn=_ignore_stop_signals))
        child = stopped_by.child
        while True:
            try:
                returncode = child.wait(timeout=0.5)
                break
            except subprocess.TimeoutExpired:
                if on_progress:
                    on_progress(progress(db_path, last_id, ids))
                if stopped_by and time.monotonic() - stopped_by.asked_at > STOP_GRACE:
                    # Seen under load: a stop asked while Scrapy's engine is still starting can
                    # leave requests in its downloader queue that are never sent, and the close
                    # then waits for them forever. Killed, the crawl is resumable all the same
                    # (the frontier holds what was left), and is reported interrupted below.
                    print(f"warning: the crawler did not stop within {STOP_GRACE} s of being asked; "
                          "killing it (--resume continues the crawl)", file=sys.stderr)
                    child.kill()
        if on_progress:
            on_progress(progress(db_path, last_id, ids))

    # Other crawls (the scheduler's, a person's) may write to the same archive meanwhile:
    # only this run's sources are this run's crawls.
    db = open_db(db_path)
    try:
        rows = crawls_since(db, last_id, ids)
        _close_dead_crawls(db, db_path, rows)
    finally:
        db.close()
    # A source the crawler could not start has no crawls row; it still failed, and the summary
    # and exit status must say so.
    crawled = {r["source_id"] for r in rows}
    missing = [source_id for source_id in ids if source_id not in crawled]
    locked = {}
    for source_id in missing:
        pid = holder(db_path, source_id) or holders[source_id]
        if pid is not None:
            locked[source_id] = locked_message(source_id, pid)
        elif returncode == SOURCES_LOCKED:
            # The crawl that held it ended before it could be asked.
            locked[source_id] = f"{source_id} was being crawled by another process as this crawl began"
    if not rows and not locked and not stopped_by:
        if returncode == ARCHIVE_LOCKED:
            raise ArchiveLocked(archive_locked_message(db_path))
        raise ArchiveError(f"the crawler {_ended(returncode)} without recording any crawl")
    if stopped_by:
        why = f"stopped by {signal.Signals(stopped_by[0]).name} before its crawl began"
    else:
        why = archive_locked_message(db_path) if returncode == ARCHIVE_LOCKED else None
    rows += [_not_started(source_id, returncode, locked.get(source_id) or why) for source_id in missing]
    rows += [_not_started(source_id, returncode, str(exc)) for source_id, exc in unusable.items()]
    for row in rows:
        row["signal"] = stopped_by[0] if stopped_by else None
    return rows


def crawls_since(db, last_id: int, source_ids: list[str]) -> list[dict]:
    """The crawls of ``source_ids`` after ``last_id``, each with its ``first_error``: what best
    says what went wrong. The storage failure that stopped the crawl, if one did; else among its
    fetches' errors a local storage failure before any other failure, a failure before a
    deliberate skip, the earliest of a kind."""
    storage = " or ".join(["f.error like ?"] * len(STORAGE_ERROR_MARKS))
    return list(
        db.query(
            f"""select c.*, coalesce(
                    json_extract(c.stats, ?),
                    (select coalesce(f.error, 'HTTP ' || f.status) from fetches f
                     where f.crawl_id = c.id and (f.error is not null or f.status >= 400)
                     order by case when {storage} then 0 when {FETCH_FAILED_SQL} then 1 else 2 end, f.id
                     limit 1)) as first_error
                from crawls c where c.id > ? and c.source_id in ({", ".join("?" * len(source_ids))})
                order by c.id""",
            [f'$."{STORAGE_FAILURE_STAT}"', *(f"%{mark}%" for mark in STORAGE_ERROR_MARKS), last_id, *source_ids],
        )
    )


def _close_dead_crawls(db, db_path: str | Path, rows: list[dict]) -> None:
    """Close the crawls among ``rows`` still marked running once the crawler has exited: it died
    with them (killed, or unable to record their end, as on a full disk). They become
    interrupted, with what they fetched, and --resume continues them."""
    for row in rows:
        if row["status"] != "running":
            continue
        try:
            lock = SourceLock(db_path, row["source_id"]).acquire()
        except SourceLocked:
            continue  # another crawl of the source has begun since; it closes this one itself
        try:
            close_interrupted(db, row["source_id"])
            row.update(db["crawls"].get(row["id"]))
        except sqlite3.Error:
            # The archive cannot take the update (a full disk): the summary still says what it was.
            pages, _ok, errors = fetch_counts(db, row["id"])
            row.update(status="interrupted", pages=pages, errors=errors)
        finally:
            lock.release()


class _StopSignals(list):
    """The stop signals received, when the first came (time.monotonic()), and the crawler they
    stop."""

    asked_at: float | None = None
    child: subprocess.Popen | None = None

    def attach(self, child: subprocess.Popen) -> None:
        self.child = child
        if self:  # a signal came while it started
            self.stop()

    def stop(self) -> None:
        if self.child is not None:
            self.child.stdin.close()


# Seconds a crawler asked to stop may take before it is killed: a clean stop waits for the
# downloads in flight, which DOWNLOAD_TIMEOUT (30 s) bounds, and then stores their pages.
STOP_GRACE = 90


def _ignore_stop_signals() -> None:
    """Run in the crawler's process before it starts: the stop is this process's to pass on,
    through the crawler's stdin. A Ctrl-C at the terminal reaches the whole process group, and
    one that came while the crawler's Python was still starting, before it could ignore it
    itself, killed it ("Fatal Python error: init_import_site") or broke its first imports. An
    ignored signal stays ignored across exec, and Python then installs no handler for it."""
    for signum in STOP_SIGNALS:
        signal.signal(signum, signal.SIG_IGN)


@contextlib.contextmanager
def _passing_stop_signals():
    """While the crawler runs, SIGINT and SIGTERM to this process close the crawler's stdin,
    which stops it cleanly; this process waits for it and reports. Yields the list of the
    signals received.

    A repeated signal asks for nothing more: the scheduler passes on the Ctrl-C that reached
    this process from the terminal already. The crawler ignores the signals themselves."""
    received = _StopSignals()

    def stop(signum, frame):
        received.append(signum)
        if received.asked_at is None:
            received.asked_at = time.monotonic()
        received.stop()

    # Signal handlers belong to the main thread; a run from another one leaves them alone.
    main = threading.current_thread() is threading.main_thread()
    # A signal ignored from the start (SIGHUP under nohup) stays ignored.
    previous = {signum: signal.signal(signum, stop) for signum in STOP_SIGNALS
                if signal.getsignal(signum) != signal.SIG_IGN} if main else {}
    try:
        yield received
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        received.stop()


def _ended(returncode: int) -> str:
    """How the crawler process ended: a negative status is the signal that killed it, which
    left no error of its own to read."""
    if returncode < 0:
        try:
            return f"was killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"was killed by signal {-returncode}"
    return f"exited with status {returncode}"


def _not_started(source_id: str, returncode: int, reason: str | None) -> dict:
    said = f"the crawler {_ended(returncode)} before starting it" + ("" if returncode < 0 else " (its error is above)")
    return {
        "source_id": source_id, "status": NOT_STARTED, "pages": None, "articles_new": None,
        "articles_changed": None, "articles_unchanged": None, "articles_not_modified": None, "errors": None,
        "first_error": reason or said,
    }


def progress(db_path: str | Path, after_crawl: int, source_ids: list[str]) -> dict:
    """Counts so far for this run's crawls (those of ``source_ids`` after ``after_crawl``)."""
    conn = sqlite3.connect(sqlite_uri(db_path, "mode=ro"), uri=True, timeout=5)
    crawls = f"select id from crawls where id > ? and source_id in ({', '.join('?' * len(source_ids))})"
    params = [after_crawl, *source_ids]
    try:
        pages = conn.execute(f"select count(*) from fetches where crawl_id in ({crawls}) and not {SKIPPED_SQL}",
                             params).fetchone()[0]
        errors = conn.execute(
            f"select count(*) from fetches where crawl_id in ({crawls}) and {FETCH_FAILED_SQL}",
            params,
        ).fetchone()[0]
        sums = conn.execute(
            "select coalesce(sum(articles_new), 0), coalesce(sum(articles_changed), 0), "
            "coalesce(sum(articles_unchanged), 0) + coalesce(sum(articles_not_modified), 0) "
            f"from crawls where id in ({crawls})",
            params,
        ).fetchone()
    except sqlite3.Error:
        return {}
    finally:
        conn.close()
    return {"pages": pages, "new": sums[0], "changed": sums[1], "unchanged": sums[2], "errors": errors}


def crawl_failed(row: dict) -> bool:
    return row["status"] != "ok"


def exit_status(rows: list[dict]) -> int:
    """``govarchive crawl``'s exit status: 0 when every crawl succeeded; when one did not, 128 + N
    if signal N stopped the run (the shell's convention: 130 for SIGINT, 143 for SIGTERM), else 1."""
    if not any(crawl_failed(row) for row in rows):
        return 0
    signum = next((row["signal"] for row in rows if row.get("signal")), None)
    return 128 + signum if signum else 1
