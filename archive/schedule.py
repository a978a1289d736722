"""Scheduled crawls: the library behind ``govarchive schedule``.

Each source's cron expression (Asia/Ho_Chi_Minh time) says when it is due: a source is due when
its schedule has fired since its last crawl started (or it was never crawled). Due crawls run as
``govarchive crawl SOURCE`` child processes, so one that fails or crashes takes nothing else
down; the per-source lock (archive.locks) keeps two crawls of a source from overlapping, even
across schedulers, cron and people running crawls by hand.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import shlex
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import IO
from zoneinfo import ZoneInfo

from croniter import CroniterError, croniter

from archive.crawl import NOT_STARTED, QUIET_WAIT_MS, STOP_SIGNALS, ArchiveLocked, is_archive_locked
from archive.db import ArchiveError, open_db
from archive.locks import LocksUnusable, SourceLock, is_locked
from archive.sources import Source, SourcesError, overlaps, paused_note, read_sources

VN = ZoneInfo("Asia/Ho_Chi_Minh")
logger = logging.getLogger("govarchive.schedule")
ELSEWHERE = "%s is due but already being crawled elsewhere; not starting another"
# What a source's lock file that cannot be used is, among the scheduler's problems, before the source's id.
LOCK_PROBLEM = "lock of "
# The status a crawl's summary gives one that stopped because the archive could not be written.
STORAGE_FAILED = "failed (storage)"


@dataclass
class Run:
    source_id: str
    process: subprocess.Popen
    started: datetime
    sources_copy: Path
    summary: IO[bytes]
    schedule: str
    last_crawl: int  # the id of the source's last crawl as this one started, 0 for none
    # time.monotonic() as it started: what it took, whatever the wall clock did meanwhile (NTP, by hand).
    began: float
    told_to_stop: bool = False


def last_starts(db_path: str | Path, source: Source, now: datetime) -> tuple[datetime | None, datetime | None]:
    """When the source's last crawl began, as recorded, and, when that is later than ``now``,
    when the last crawl that began before ``now`` did (None for none). The last crawl is the last
    recorded (a source's crawls never overlap, so they are recorded in the order they began), not
    the one with the latest time: a time the clock got wrong would stand for it whatever came after.

    A source with no crawl of its own yet, renamed in the sources file (``formerly``), goes on
    with its former ids' crawls, which its first crawl carries over: the rename alone does not
    make it due. A successor with crawls of its own (a merger) keeps its own schedule."""
    db = open_db(db_path)
    try:
        query = "select started_at from crawls where source_id in ({}) order by id desc"
        rows = db.execute(query.format("?"), [source.id]).fetchall()
        if not rows and source.formerly:
            rows = db.execute(query.format(", ".join("?" * len(source.formerly))), list(source.formerly))
        starts = (datetime.fromisoformat(row[0]) for row in rows if row[0])
        last = next(starts, None)
        before = next((start for start in starts if start <= now), None) if last and last > now else None
    finally:
        db.close()
    return last, before


def last_crawl_id(db_path: str | Path, source_id: str) -> int:
    db = open_db(db_path)
    try:
        return db.execute("select coalesce(max(id), 0) from crawls where source_id = ?", [source_id]).fetchone()[0]
    finally:
        db.close()


def check_write_lock(db_path: str | Path) -> None:
    """Raise ArchiveLocked when another process has held the archive's write lock for
    QUIET_WAIT_MS: each crawl started now would wait for it, say so, and fail after the busy
    timeout, with nothing to show for it in the archive."""
    db = open_db(db_path)
    try:
        db.execute(f"PRAGMA busy_timeout = {QUIET_WAIT_MS}")
        db.execute("BEGIN IMMEDIATE")
        db.execute("ROLLBACK")
    except sqlite3.OperationalError as exc:
        if not is_archive_locked(exc):
            raise
        raise ArchiveLocked(
            f"{db_path}: another process holds the archive's write lock; no crawl starts until it lets go of it "
            f"('fuser {db_path}' lists the processes that have the archive open)") from None
    finally:
        db.close()


def is_due(source: Source, last: datetime | None, now: datetime) -> bool:
    if last is None:
        return True
    fired = croniter(source.schedule, now.astimezone(VN)).get_prev(datetime)
    return last < fired


def counted_start(source: Source, last: datetime | None, before: datetime | None, now: datetime) -> datetime | None:
    """When the scheduler counts the source's last crawl as begun (last_starts gives ``last`` and
    ``before``). A start later than ``now`` is not: the clock was ahead when it was recorded, or
    has been set back since (NTP), and taken at its word the source would not be due until the
    clock came round to it. That crawl began after the last one that began before ``now``: it is
    counted as the run of the schedule's first slot after that one, so the next slot is due. With
    no such crawl nothing tells when it began: None, due as if never crawled."""
    if last is None or last <= now:
        return last
    if before is None:
        return None
    return croniter(source.schedule, before.astimezone(VN)).get_next(datetime)


def due_sources(db_path, sources: list[Source], now: datetime, told: set | None = None) -> list[Source]:
    """The due sources. A schedule that cannot be followed (sources.py refuses those it can
    tell) leaves only its own source out, with an error. A last crawl recorded as begun after
    ``now`` is a warning, once for each source and recorded time in ``told``, the set the caller
    keeps of those it was told of (every call without one)."""
    told = set() if told is None else told
    due = []
    for source in sources:
        last, before = last_starts(db_path, source, now)
        try:
            counted = counted_start(source, last, before, now)
            if last is not None and last > now and (source.id, last) not in told:
                told.add((source.id, last))
                _warn_clock_behind(source, last, counted, now)
            if is_due(source, counted, now):
                due.append(source)
        except CroniterError as exc:
            logger.error("%s: skipped: its field 'schedule' %r cannot be followed: %s", source.id, source.schedule, exc)
    return due


def _warn_clock_behind(source: Source, last: datetime, counted: datetime | None, now: datetime) -> None:
    if counted is None:
        taken = "no crawl of it is recorded as begun before then, so it is due now"
    else:
        taken = (f"it is counted as the run of its schedule's slot at {counted.astimezone(VN):%Y-%m-%d %H:%M} "
                 "Hà Nội time, the first after the crawl before it")
    logger.warning(
        "%s: the clock is behind the archive's last crawl of it: that crawl is recorded as begun at %s, and the "
        "clock says %s (it was ahead then, or has been set back since); %s", source.id,
        last.isoformat(timespec="seconds"), now.isoformat(timespec="seconds"), taken,
    )


def start_crawl(db_path, sources_file, source: Source, extra_args=(), stdout=None) -> subprocess.Popen:
    # -P: an archive.py (or archive/ package) in the folder the scheduler runs in is not run instead.
    command = [
        sys.executable, "-P", "-m", "archive", "crawl", source.id, "--sources", str(sources_file),
        "--db", str(db_path), "--quiet", *extra_args,
    ]
    return subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=stdout, preexec_fn=_stop_with(os.getpid()))


def _stop_with(scheduler_pid: int):
    """A preexec_fn that has the kernel send the crawl SIGTERM when the scheduler dies, even by
    SIGKILL: the crawl then stops as on Ctrl-C instead of going on with no one to report it.
    None where there is no prctl (not Linux)."""
    if not sys.platform.startswith("linux"):
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up before the fork, not in the child

    def set_death_signal():
        prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != scheduler_pid:  # the scheduler died before prctl took effect
            raise OSError("the scheduler ended before its crawl could start")

    return set_death_signal


PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def summary_status(summary: str, source_id: str) -> str | None:
    """The status ``govarchive crawl`` printed for ``source_id`` in its summary, if it did."""
    for line in summary.splitlines():
        fields = line.split()
        # source, status (one or two words), then pages, new, changed, same, errors
        if len(fields) > 6 and fields[0] == source_id:
            return " ".join(fields[1:-5])
    return None


# The copies of the sources file that a scheduler's crawls read, in the temporary folder:
# COPY_PREFIX, the scheduler's pid, the source's id.
COPY_PREFIX = "govarchive-schedule-"


def scheduler_of(sources_file: str | Path) -> int | None:
    """The pid of the scheduler whose crawl reads ``sources_file``, a copy it made; None for
    any other file."""
    name = Path(sources_file).name
    pid = name[len(COPY_PREFIX):].split("-", 1)[0]
    return int(pid) if name.startswith(COPY_PREFIX) and pid.isdigit() else None


def log_to_stderr() -> None:
    """Log as the scheduler does, one line for each event, and the crawls it starts with it.
    The times carry their offset: the messages name due times in Hà Nội time, and the machine's
    clock may keep another zone."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s",
                        datefmt="%Y-%m-%d %H:%M:%S%z", stream=sys.stderr)


def remove_stale_copies() -> list[Path]:
    """Remove the sources copies of schedulers that died without removing them (killed by
    SIGKILL, a crash); returns them. Their crawls stop when their scheduler dies, and read the
    copy only as they start."""
    removed = []
    for path in Path(tempfile.gettempdir()).glob(f"{COPY_PREFIX}*.toml"):
        pid = scheduler_of(path)
        if pid is not None and not _alive(pid):
            try:
                path.unlink(missing_ok=True)
            except OSError:  # another user's, in a shared /tmp
                continue
            removed.append(path)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


class ArchiveGone(ArchiveError):
    pass


def _how_it_ended(code: int, told_to_stop: bool = False) -> str:
    """How a crawl process that failed ended, by its exit status: a negative one is the signal
    that killed it."""
    if code >= 0:
        return f"failed (exit status {code})"
    try:
        name = signal.Signals(-code).name
    except ValueError:
        name = f"signal {-code}"
    return f"{'stopped' if told_to_stop else 'killed'} by {name}"


class Scheduler:
    def __init__(self, db_path, sources_file, *, extra_args=(), warc_args=(),
                 clock=lambda: datetime.now(timezone.utc)):
        removed = remove_stale_copies()
        if removed:
            logger.info("removed %d %s left by schedulers that were killed: %s", len(removed),
                        "copy of a sources file" if len(removed) == 1 else "copies of sources files",
                        ", ".join(path.name for path in removed))
        self.db_path = db_path
        self.sources_file = sources_file
        self.extra_args = tuple(extra_args)
        self.warc_args = tuple(warc_args)  # of extra_args, those a resume needs too
        self.clock = clock
        self.running: dict[str, Run] = {}
        self.finished: list[tuple[str, int]] = []
        # The last failure to write a summary to stdout, if any: --once exits 1 for it.
        self.output_failed: OSError | None = None
        # Whether the last check for due sources failed: what it said of them is no answer.
        self.check_failed = False
        # Whether the archive was there once (no other is to be made in its place), and is gone now.
        self._archive_seen = os.path.isfile(db_path)
        self._archive_gone = False
        # A stop signal received: passed on to the crawls, and no crawl starts after it.
        self.stop_signal: int | None = None
        self._said_stopping = False
        self._previous_handlers: dict[int, object] = {}
        self._running_on = False  # in run_forever or run_once, which hold the signal handlers throughout
        # The last valid version of the sources file: an edit that breaks the file must not stop
        # the crawls it schedules.
        self.sources: list[Source] = []
        self.sources_text = ""
        # What is wrong now, by what it concerns: a problem that lasts is logged once, not every tick.
        self.problems: dict[str, tuple] = {}
        # The last crawls recorded as begun after the clock's time that were warned of: (source id, time).
        self.clock_behind: set[tuple[str, datetime]] = set()
        # The sources file's overlap warnings logged: each once, not at every reload, nor by each crawl.
        self.overlaps_said: set[str] = set()
        # The last line logged of the sources paused in the file (enabled = false): said again only when it changes.
        self.paused_said: str | None = None

    def tick(self) -> list[str]:
        """Start every due source that is not running; returns the ids of the due sources it
        started or found being crawled elsewhere, so that an empty list means nothing was due.

        Nothing that goes wrong in one check ends the scheduler: it is logged, ``check_failed``
        is set, and the next check tries again. A failure of the storage or of the archive is
        one line; anything else, a bug, comes with its traceback. A due source whose lock file
        alone cannot be used is logged (once while it lasts), not started, and fails the check
        too."""
        try:
            return self._tick()
        except ArchiveGone as exc:
            # Every check, not once: crawls wait on it, and whoever looks at the log must see it.
            self.check_failed = True
            logger.error("%s", exc)
            return []
        except (OSError, sqlite3.Error, ArchiveError) as exc:
            self._check_failed(f"checking for due sources failed: {exc}")
            return []
        except Exception as exc:
            self._check_failed(f"checking for due sources failed: {type(exc).__name__}: {exc}", exc)
            return []

    def _check_failed(self, message: str, exc: BaseException | None = None) -> None:
        self.check_failed = True
        self._problem("check", message, exc=exc)

    def _tick(self) -> list[str]:
        self.reap()
        self._reload()
        self._check_archive_is_there()
        due, unusable, write_lock_checked = [], set(), False
        scheduled = [source for source in self.sources if source.enabled]
        for source in due_sources(self.db_path, scheduled, self.clock(), self.clock_behind):
            if self.stop_signal is not None:
                break
            if source.id in self.running:
                continue
            if is_locked(self.db_path, source.id):
                logger.warning(ELSEWHERE, source.id)
                due.append(source.id)
                continue
            try:
                SourceLock(self.db_path, source.id).check()
            except LocksUnusable as exc:
                if exc.whole_folder:
                    raise  # no crawl can start: the check fails
                # Only this source's lock file: the other sources are crawled.
                unusable.add(source.id)
                self._problem(f"{LOCK_PROBLEM}{source.id}", f"{source.id} is due but its crawl cannot start: {exc}")
                continue
            if not write_lock_checked:
                # Before the first crawl it starts: a busy archive fails the check, in one line.
                check_write_lock(self.db_path)
                write_lock_checked = True
            logger.info("%s is due (schedule %r): starting its crawl", source.id, source.schedule)
            # Whether the crawl recorded one, should it end without a summary.
            last_crawl = last_crawl_id(self.db_path, source.id)
            # The crawl reads the version it was scheduled from, even if the file breaks meanwhile.
            copy = self._copy_sources(source.id)
            # A file, not a pipe: nothing reads it until the crawl ends, and it must never block.
            summary = tempfile.TemporaryFile()
            # Before the crawl starts: a signal that comes as it starts reaches it too (wait()).
            self._catch_stop_signals()
            try:
                process = start_crawl(self.db_path, copy, source, self.extra_args, stdout=summary)
            except BaseException:
                copy.unlink()
                summary.close()
                self._release_stop_signals()
                raise
            self.running[source.id] = Run(source.id, process, self.clock(), copy, summary, source.schedule,
                                          last_crawl, time.monotonic())
            due.append(source.id)
        for key in [key for key in self.problems if key.startswith(LOCK_PROBLEM)]:
            if key[len(LOCK_PROBLEM):] not in unusable:
                self._solved(key)
        self.check_failed = bool(unusable)
        self._solved("check")
        return due

    def _check_archive_is_there(self) -> None:
        """Raise ArchiveGone when the archive this scheduler has worked on is no longer there
        (moved, deleted, its volume unmounted): opened, a new empty one would take its place,
        and every source would be crawled again into it. The first check makes the archive
        when there is none yet (govarchive schedule has made it as it started)."""
        there = os.path.isfile(self.db_path)
        if not there and self._archive_seen:
            self._archive_gone = True
            raise ArchiveGone(f"{self.db_path}: the archive is gone (moved, deleted, or its volume unmounted); "
                              "nothing is crawled until it is back")
        if self._archive_gone:
            logger.info("%s is back: scheduling crawls into it again", self.db_path)
        self._archive_gone = False
        self._archive_seen = self._archive_seen or there

    def _catch_stop_signals(self) -> None:
        """Until its crawls end (for the whole run, in run_forever and run_once), a stop signal
        to the scheduler goes on to each of them (``govarchive crawl`` stops its crawler as on
        Ctrl-C, and reports); the scheduler waits for them, so their summaries and temporary
        files are dealt with. A signal ignored when the scheduler began (SIGHUP under nohup)
        stays ignored. Only from the main thread, the one that can handle signals."""
        if self._previous_handlers or threading.current_thread() is not threading.main_thread():
            return
        self._previous_handlers = {signum: signal.signal(signum, self._stop) for signum in STOP_SIGNALS
                                   if signal.getsignal(signum) != signal.SIG_IGN}

    def _stop(self, signum, frame) -> None:
        # No logging here: a handler that writes to the stream the interrupted code was writing
        # to raises. The crawls' ends are logged as they are reaped.
        self.stop_signal = signum
        self._tell_running()

    def _tell_running(self) -> None:
        for run in list(self.running.values()):
            if not run.told_to_stop:
                run.told_to_stop = True
                run.process.send_signal(self.stop_signal)

    def _release_stop_signals(self) -> None:
        if self.running or self._running_on:
            return
        for signum, handler in self._previous_handlers.items():
            signal.signal(signum, handler)
        self._previous_handlers = {}

    def _reload(self) -> None:
        try:
            stat = os.stat(self.sources_file)
            version = (stat.st_ino, stat.st_size, stat.st_mtime_ns)
        except OSError:
            version = None
        try:
            text, sources = read_sources(self.sources_file)
        except SourcesError as exc:
            if self.sources:
                consequence = "still scheduling the crawls of its last valid version"
            else:
                consequence = "nothing is scheduled until it is valid"
            self._problem("sources", f"{exc}; {consequence}", version)
            return
        if "sources" in self.problems:
            logger.info("%s is valid again: scheduling from it", self.sources_file)
            self._solved("sources")
        if text != self.sources_text:
            for line in overlaps(sources):
                if line not in self.overlaps_said:
                    self.overlaps_said.add(line)
                    logger.warning("%s: %s", self.sources_file, line)
            paused = paused_note(sources, self.sources_file, named=False)
            if paused != self.paused_said and paused is not None:
                logger.info("%s", paused)
            self.paused_said = paused
        self.sources, self.sources_text = sources, text

    def _copy_sources(self, source_id: str) -> Path:
        fd, name = tempfile.mkstemp(prefix=f"{COPY_PREFIX}{os.getpid()}-{source_id}-", suffix=".toml")
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(self.sources_text)
        return Path(name)

    def _problem(self, key: str, message: str, version=None, exc: BaseException | None = None) -> None:
        """Log ``message`` unless the same problem, with the same ``version`` of what it is
        about, was logged last."""
        if self.problems.get(key) == (message, version):
            return
        self.problems[key] = (message, version)
        logger.error("%s", message, exc_info=exc)

    def _solved(self, key: str) -> None:
        self.problems.pop(key, None)

    def reap(self) -> None:
        for source_id, run in list(self.running.items()):
            code = run.process.poll()
            if code is None:
                continue
            del self.running[source_id]
            self._release_stop_signals()
            run.sources_copy.unlink(missing_ok=True)
            run.summary.seek(0)
            summary = run.summary.read().decode("utf-8", "replace")
            run.summary.close()
            # Another crawl can take the source's lock between the look in tick() and this
            # crawl's start; the crawl then reports the source as not started, which it can only
            # do for a lock another crawl holds (a crawl of one source that fails to start
            # otherwise is an error without a summary). That is said once, here, with no table.
            status = summary_status(summary, source_id)
            if status == NOT_STARTED:
                logger.warning(ELSEWHERE, source_id)
                continue
            self._show(summary)
            self.finished.append((source_id, code))
            seconds = time.monotonic() - run.began
            if code == 0:
                logger.info("%s: crawl finished in %.0f s", source_id, seconds)
            elif status == "interrupted":
                # Stopped (Ctrl-C, a signal to the scheduler's group), not failed. The scheduler
                # never passes --resume: the source is due again when its schedule next fires
                # after this crawl began, and that crawl takes over what this one left pending.
                logger.warning(
                    "%s: crawl interrupted after %.0f s; it is not resumed: its next scheduled crawl, at %s "
                    "Hà Nội time, starts afresh and carries on what it left (%r finishes it before then)",
                    source_id, seconds, self._next_crawl(run), self.resume_command(source_id),
                )
            elif status == STORAGE_FAILED:
                # The crawler's own line says what could not be written; what is left waits in
                # the frontier, as after an interruption.
                logger.error(
                    "%s: crawl failed after %.0f s: the archive or its WARC files could not be written; once "
                    "there is room, its next scheduled crawl, at %s Hà Nội time, carries on what it left (%r "
                    "finishes it before then)", source_id, seconds, self._next_crawl(run), self.resume_command(source_id),
                )
            elif summary or self._recorded_a_crawl(run):
                logger.error("%s: crawl %s after %.0f s; see 'govarchive stats'",
                             source_id, _how_it_ended(code, run.told_to_stop), seconds)
            elif code < 0:
                # Stopped or killed before it could record anything (a stop passed on as it
                # started, before it could take it as Ctrl-C): nothing to see in the archive.
                logger.log(logging.WARNING if run.told_to_stop else logging.ERROR,
                           "%s: crawl %s after %.0f s, before it recorded a crawl; the source is still due",
                           source_id, _how_it_ended(code, run.told_to_stop), seconds)
            else:
                # govarchive crawl said why, in its one line above (an archive busy past its wait).
                logger.error("%s: crawl %s after %.0f s, before it recorded a crawl (its error is above)",
                             source_id, _how_it_ended(code), seconds)

    def _recorded_a_crawl(self, run: Run) -> bool:
        try:
            return last_crawl_id(self.db_path, run.source_id) > run.last_crawl
        except (OSError, sqlite3.Error, ArchiveError):
            return False  # an archive that cannot be read has nothing to show either

    @staticmethod
    def _next_crawl(run: Run) -> str:
        """When the schedule of ``run``'s source next fires after it began, in Hà Nội time."""
        return croniter(run.schedule, run.started.astimezone(VN)).get_next(datetime).strftime("%Y-%m-%d %H:%M")

    def _show(self, summary: str) -> None:
        """Write a crawl's summary to stdout. A stdout that cannot take it (a full disk, a closed
        descriptor or pipe) is logged, once while it lasts: the crawls are in the archive all the
        same ('govarchive stats'), and neither they nor the scheduling stop for it."""
        try:
            sys.stdout.write(summary)
            sys.stdout.flush()
        except OSError as exc:
            self.output_failed = exc
            self._problem("stdout", f"cannot write a crawl's summary to stdout: {exc.strerror or exc}; the crawls "
                                    "go on ('govarchive stats' shows what they did)")
        else:
            self._solved("stdout")

    def resume_command(self, source_id: str) -> str:
        """The command that finishes an interrupted crawl of ``source_id``, on this archive and
        sources file."""
        return shlex.join(["govarchive", "crawl", source_id, "--resume", "--db", str(self.db_path),
                           "--sources", str(self.sources_file), *self.warc_args])

    def wait(self) -> None:
        while True:
            if self.stop_signal is not None:
                self._stopping()
            if not self.running:
                return
            time.sleep(0.5)
            self.reap()

    def _stopping(self) -> None:
        """Say, once, that a stop signal came (not in the handler: see _stop), and pass it on
        to the crawls, also to one started as it came, before it was in self.running."""
        if not self._said_stopping:
            self._said_stopping = True
            waiting = f"; waiting for the crawls of {', '.join(self.running)} to stop" if self.running else ""
            logger.info("%s received: stopping%s", signal.Signals(self.stop_signal).name, waiting)
        self._tell_running()

    def run_forever(self, interval: float = 30.0) -> None:
        """Check every ``interval`` seconds until a stop signal; then wait for the crawls."""
        with self._stoppable():
            logger.info("Scheduling crawls from %s into %s; Ctrl-C to stop.", self.sources_file, self.db_path)
            while self.stop_signal is None:
                self.tick()
                next_check = time.monotonic() + interval
                while self.stop_signal is None and time.monotonic() < next_check:
                    time.sleep(0.5)
            self.wait()

    def run_once(self) -> list[str]:
        """Start what is due and wait for it; returns what tick() returned."""
        with self._stoppable():
            due = self.tick()
            if not due and not self.check_failed and self.stop_signal is None:
                logger.info("Nothing is due.")
            self.wait()
        return due

    @contextlib.contextmanager
    def _stoppable(self):
        """Stop signals stop the scheduler cleanly for the whole run, not only while crawls run:
        one that comes between crawls is logged, and SIGHUP, which would end it at once, is one."""
        self._catch_stop_signals()
        self._running_on = True
        try:
            yield
        finally:
            self._running_on = False
            self._release_stop_signals()
