"""A scheduler that finds the archive's write lock held as it is about to start crawls fails its
check, in one line, once, and starts none: each crawl would have waited for it, said so, and
failed after the busy timeout with nothing in the archive to show for it."""

import sqlite3
import subprocess
import sys
from pathlib import Path

from archive.db import open_db
from tests.test_schedule import _crawled, _sources

GOVARCHIVE = str(Path(sys.executable).with_name("govarchive"))


def test_a_busy_archive_fails_the_check_in_one_line_and_starts_no_crawl(sample_site, tmp_path):
    (tmp_path / "s.toml").write_text(_sources(sample_site, ["portal", "news", "magazine"]), encoding="utf-8")
    db = tmp_path / "archive.db"
    open_db(db).close()
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("begin exclusive")
    try:
        once = subprocess.run([GOVARCHIVE, "schedule", "--once", "--sources", "s.toml", "--db", "archive.db"],
                              cwd=tmp_path, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300)
    finally:
        holder.execute("rollback")
        holder.close()
    assert once.returncode == 1, once.stderr
    (line,) = once.stderr.splitlines()
    assert line.endswith(" ERROR checking for due sources failed: archive.db: another process holds the archive's "
                         "write lock; no crawl starts until it lets go of it ('fuser archive.db' lists the "
                         "processes that have the archive open)"), once.stderr
    assert _crawled(tmp_path) == []
