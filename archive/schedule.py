"""Scheduled crawls: the library behind ``govarchive schedule``.

Each source's cron expression (Asia/Ho_Chi_Minh time) says when it is due: a source is due when
its schedule has fired since its last crawl started (or it was never crawled). Due crawls run as
``govarchive crawl SOURCE`` child processes, so one that fails or crashes takes nothing else
down; the per-source lock (archive.locks) keeps two crawls of a source from overlapping, even
across schedulers, cron and people running crawls by hand.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from croniter import croniter

from archive.db import open_db
from archive.locks import is_locked
from archive.sources import Source, load_sources

VN = ZoneInfo("Asia/Ho_Chi_Minh")
logger = logging.getLogger("govarchive.schedule")


@dataclass
class Run:
    source_id: str
    process: subprocess.Popen
    started: datetime


def last_started(db_path: str | Path, source_id: str) -> datetime | None:
    db = open_db(db_path)
    try:
        row = db.execute("select max(started_at) from crawls where source_id = ?", [source_id]).fetchone()
    finally:
        db.close()
    return datetime.fromisoformat(row[0]) if row and row[0] else None


def is_due(source: Source, last: datetime | None, now: datetime) -> bool:
    if last is None:
        return True
    fired = croniter(source.schedule, now.astimezone(VN)).get_prev(datetime)
    return last < fired


def due_sources(db_path, sources: list[Source], now: datetime) -> list[Source]:
    return [s for s in sources if is_due(s, last_started(db_path, s.id), now)]


def start_crawl(db_path, sources_file, source: Source, extra_args=()) -> subprocess.Popen:
    command = [
        sys.executable, "-m", "archive", "crawl", source.id, "--sources", str(sources_file),
        "--db", str(db_path), "--quiet", *extra_args,
    ]
    return subprocess.Popen(command, stdin=subprocess.DEVNULL)


class Scheduler:
    def __init__(self, db_path, sources_file, *, extra_args=(), clock=lambda: datetime.now(timezone.utc)):
        self.db_path = db_path
        self.sources_file = sources_file
        self.extra_args = tuple(extra_args)
        self.clock = clock
        self.running: dict[str, Run] = {}
        self.finished: list[tuple[str, int]] = []

    def tick(self) -> list[str]:
        """Start every due source that is not running; returns the ids started."""
        self.reap()
        sources = load_sources(self.sources_file)
        started = []
        for source in due_sources(self.db_path, sources, self.clock()):
            if source.id in self.running:
                continue
            if is_locked(self.db_path, source.id):
                logger.warning("%s is due but already being crawled elsewhere; not starting another", source.id)
                continue
            logger.info("%s is due (schedule %r): starting its crawl", source.id, source.schedule)
            process = start_crawl(self.db_path, self.sources_file, source, self.extra_args)
            self.running[source.id] = Run(source.id, process, self.clock())
            started.append(source.id)
        return started

    def reap(self) -> None:
        for source_id, run in list(self.running.items()):
            code = run.process.poll()
            if code is None:
                continue
            del self.running[source_id]
            self.finished.append((source_id, code))
            seconds = (self.clock() - run.started).total_seconds()
            if code == 0:
                logger.info("%s: crawl finished in %.0f s", source_id, seconds)
            else:
                logger.error("%s: crawl failed (exit status %d) after %.0f s; see 'govarchive stats'",
                             source_id, code, seconds)

    def wait(self) -> None:
        while self.running:
            time.sleep(0.5)
            self.reap()

    def run_forever(self, interval: float = 30.0) -> None:
        while True:
            self.tick()
            time.sleep(interval)
