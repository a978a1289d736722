"""govarchive schedule run as a service is: a log or stdout that cannot be written, a check that
fails, SIGHUP, an archive that goes away."""

import logging
import re
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest

from archive import ingest
from archive.db import open_db
from archive.locks import holder
from archive.schedule import VN, Scheduler
from archive.sources import parse_sources
from tests.test_schedule import _kill_crawls, _sources, _start_scheduler, _wait_for

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


def _run(args, cwd):
    return subprocess.run([GOVARCHIVE, *args], cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=300)


def test_a_lock_folder_that_is_a_file_fails_the_check_and_the_crawl_in_one_line(sample_site, tmp_path):
    (tmp_path / "s.toml").write_text(_sources(sample_site, ["portal"]), encoding="utf-8")
    (tmp_path / "archive-locks").write_text("x\n", encoding="utf-8")
    message = f"{tmp_path / 'archive-locks'}: cannot write the archive's crawl locks there: it is not a folder"
    once = _run(["schedule", "--once", "--sources", "s.toml", "--db", "archive.db"], tmp_path)
    assert once.returncode == 1, once.stderr
    assert "Nothing is due." not in once.stderr and "Traceback" not in once.stderr
    (line,) = once.stderr.splitlines()
    assert line.endswith(f" ERROR checking for due sources failed: {message}"), line
    crawl = _run(["crawl", "sample-portal", "--sources", "s.toml", "--db", "archive.db"], tmp_path)
    assert (crawl.returncode, crawl.stderr) == (1, f"Error: {message}\n")


def test_a_check_that_fails_on_storage_is_one_line_and_is_made_again(sample_site, tmp_path, caplog):
    (tmp_path / "s.toml").write_text(_sources(sample_site, ["portal"]), encoding="utf-8")
    locks = tmp_path / "archive-locks"
    locks.write_text("x\n", encoding="utf-8")
    scheduler = Scheduler(tmp_path / "archive.db", tmp_path / "s.toml", extra_args=["--max-pages", "3"])
    with caplog.at_level(logging.INFO, logger="govarchive.schedule"):
        assert scheduler.tick() == [] and scheduler.check_failed
        assert scheduler.tick() == [] and scheduler.check_failed
        (failed,) = [r for r in caplog.records if "checking for due sources failed" in r.getMessage()]
        assert failed.exc_info is None, "no traceback for a folder that is a file"
        locks.unlink()
        assert scheduler.tick() == ["sample-portal"] and not scheduler.check_failed
        scheduler.wait()
    assert scheduler.finished == [("sample-portal", 0)]


def test_sighup_stops_the_scheduler_as_sigterm_does(sample_site, tmp_path):
    daemon, log = _start_scheduler(sample_site, tmp_path)
    try:
        daemon.send_signal(signal.SIGHUP)  # its terminal closed, or kill -HUP
        daemon.wait(timeout=120)
        assert holder(tmp_path / "archive.db", "sample-news") is None, "its crawl went on alone"
        assert daemon.returncode == 129
    finally:
        if daemon.poll() is None:
            daemon.kill()
        _kill_crawls(tmp_path)
    text = log.read_text(encoding="utf-8")
    assert " INFO SIGHUP received: stopping; waiting for the crawls of sample-news to stop\n" in text, text[-6000:]
    # the scheduler's line says the crawl was interrupted, and how to finish it: not one of the crawl's own
    assert "continues it where it stopped" not in text
    assert re.search(r"sample-news: crawl interrupted after \d+ s; it is not resumed", text), text[-6000:]
    assert not list((tmp_path / "tmp").iterdir()), "its copy of the sources file is removed"
    assert _statuses(tmp_path) == [("sample-news", "interrupted")]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_a_stop_between_crawls_is_logged(sample_site, tmp_path, signum):
    (tmp_path / "s.toml").write_text(_sources(sample_site, ["portal"]), encoding="utf-8")
    db = open_db(tmp_path / "archive.db")
    ingest.start_crawl(db, parse_sources(_sources(sample_site, ["portal"]))[0], max_pages=None)  # not due till next year
    db.close()
    log = tmp_path / "schedule.log"
    with log.open("w", encoding="utf-8") as stderr:
        daemon = subprocess.Popen([GOVARCHIVE, "schedule", "--sources", "s.toml", "--db", "archive.db"], cwd=tmp_path,
                                  stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr)
    try:
        _wait_for(log, "Ctrl-C to stop", daemon)
        time.sleep(1)  # into its first check
        daemon.send_signal(signum)
        daemon.wait(timeout=60)
    finally:
        daemon.kill()
    assert daemon.returncode == 128 + signum
    assert f" INFO {signal.Signals(signum).name} received: stopping\n" in log.read_text(encoding="utf-8")


def test_an_archive_that_goes_away_is_not_made_again(sample_site, tmp_path, caplog):
    (tmp_path / "s.toml").write_text(_sources(sample_site, ["portal"]), encoding="utf-8")
    db = tmp_path / "archive.db"
    open_db(db).close()  # as govarchive schedule makes it as it starts
    scheduler = Scheduler(db, tmp_path / "s.toml", extra_args=["--max-pages", "3"])
    (tmp_path / "moved").mkdir()
    db.rename(tmp_path / "moved" / "archive.db")  # moved, or its volume unmounted
    try:
        with caplog.at_level(logging.INFO, logger="govarchive.schedule"):
            assert scheduler.tick() == [] and scheduler.check_failed
            assert scheduler.tick() == [] and scheduler.check_failed
            assert not db.exists(), "a new empty archive was made in its place"
            gone = f"{db}: the archive is gone (moved, deleted, or its volume unmounted); nothing is crawled until it is back"
            assert [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR] == [gone, gone]
            (tmp_path / "moved" / "archive.db").rename(db)
            assert scheduler.tick() == ["sample-portal"] and not scheduler.check_failed
            assert f"{db} is back: scheduling crawls into it again" in caplog.text
    finally:
        scheduler.wait()
    assert scheduler.finished == [("sample-portal", 0)]


STAMP = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d[+-]\d{4}"  # the machine's time, with its offset


def test_nothing_due_is_a_line_of_the_log(sample_site, tmp_path):
    (tmp_path / "s.toml").write_text(_sources(sample_site, ["portal"]), encoding="utf-8")
    db = open_db(tmp_path / "archive.db")
    ingest.start_crawl(db, parse_sources(_sources(sample_site, ["portal"]))[0], max_pages=None)  # not due till next year
    db.close()
    once = _run(["schedule", "--once", "--sources", "s.toml", "--db", "archive.db"], tmp_path)
    assert once.returncode == 0
    assert re.fullmatch(rf"{STAMP} INFO Nothing is due\.\n", once.stderr), once.stderr


GONE = ('[[source]]\nid = "gone"\nname = "Gone"\nkind = "press"\nhome = "http://127.0.0.1:9/"\n'
        'allowed_domains = ["127.0.0.1"]\narticle_pattern = "/a-\\\\d+$"\nschedule = "* * * * *"\n'
        '[source.discovery]\nfeeds = ["http://127.0.0.1:9/rss"]\n')


def test_a_scheduled_crawl_says_why_it_failed_in_a_line_of_the_log(tmp_path):
    (tmp_path / "s.toml").write_text(GONE, encoding="utf-8")
    once = _run(["schedule", "--once", "--sources", "s.toml", "--db", "archive.db"], tmp_path)
    assert once.returncode == 1
    assert re.search(rf"^{STAMP} ERROR gone: unreachable: .*refused", once.stderr, re.M), once.stderr[-6000:]
    assert re.search(rf"^{STAMP} ERROR gone: crawl failed \(exit status 1\)", once.stderr, re.M), once.stderr[-6000:]
    # The scheduler's line says that it failed: not a second line of the crawl's own.
    assert "Could not crawl" not in once.stderr
    # The crawler's own lines carry the offset too.
    assert re.search(rf"^{STAMP} \[crawler\.", once.stderr, re.M), once.stderr[-6000:]


def test_a_crawl_stopped_for_storage_says_how_the_scheduler_carries_it_on(sample_site, tmp_path):
    from tests.test_storage_failures import FULL_DISK, _shimmed

    (tmp_path / "s.toml").write_text(_sources(sample_site, ["portal"]), encoding="utf-8")
    once = subprocess.run([GOVARCHIVE, "schedule", "--once", "--sources", "s.toml", "--db", "archive.db"],
                          cwd=tmp_path, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300,
                          env=_shimmed(tmp_path / "full-disk", FULL_DISK, TEST_WARC_ROOM="100000"))
    assert once.returncode == 1
    assert _statuses(tmp_path) == [("sample-portal", "failed")], once.stderr[-6000:]
    next_due = datetime.now(VN).year + 1
    assert re.search(
        rf"^{STAMP} ERROR sample-portal: crawl failed after \d+ s: the archive or its WARC files could not be "
        rf"written; once there is room, its next scheduled crawl, at {next_due}-01-01 00:00 Hà Nội time, carries "
        r"on what it left \('govarchive crawl sample-portal --resume --db archive.db --sources s.toml' finishes it "
        r"before then\)$", once.stderr, re.M), once.stderr[-6000:]
    # The crawler's own line gives no command of its own: the scheduler's has no --resume.
    assert "make room or mend the disk\n" in once.stderr and "the same command" not in once.stderr, once.stderr[-6000:]
