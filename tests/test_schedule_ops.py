"""govarchive schedule run as a service is: a log or stdout that cannot be written, a check that
fails, SIGHUP, an archive that goes away."""

import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.test_schedule import _sources

GOVARCHIVE = str(Path(sys.executable).with_name("govarchive"))


def _statuses(folder):
    conn = sqlite3.connect(folder / "archive.db")
    try:
        return sorted(conn.execute("select source_id, status from crawls"))
    finally:
        conn.close()


def test_a_stdout_that_cannot_be_written_does_not_take_the_crawls_down(sample_site, tmp_path):
    (tmp_path / "s.toml").write_text(_sources(sample_site, ["portal", "news"]), encoding="utf-8")
    with open("/dev/full", "w") as full:
        result = subprocess.run([GOVARCHIVE, "schedule", "--once", "--sources", "s.toml", "--db", "archive.db",
                                 "--max-pages", "3"], cwd=tmp_path, stdin=subprocess.DEVNULL, stdout=full,
                                stderr=subprocess.PIPE, text=True, timeout=300)
    assert result.returncode == 1, result.stderr[-6000:]
    assert "Traceback" not in result.stderr
    assert result.stderr.count("ERROR cannot write a crawl's summary to stdout: No space left on device; "
                               "the crawls go on") == 1, result.stderr[-6000:]
    assert _statuses(tmp_path) == [("sample-news", "ok"), ("sample-portal", "ok")]
