"""govarchive schedule: cron schedules honoured, no overlapping crawls, failures survived."""

import contextlib
import dataclasses
import logging
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from archive.locks import SourceLock, holder
from archive import ingest
from archive.db import open_db
from archive.schedule import VN, Scheduler, due_sources, is_due
from archive.sources import parse_sources
from tests.conftest import unlocked, wait_for_fetches

YEARLY = "0 0 1 1 *"


def _source(schedule):
    return parse_sources(
        f'[[source]]\nid = "s"\nname = "S"\nkind = "press"\nhome = "https://s.vn/"\nallowed_domains = ["s.vn"]\n'
        f'article_pattern = "x"\nschedule = "{schedule}"\n[source.discovery]\nfeeds = ["https://s.vn/rss"]\n'
    )[0]


def test_is_due_follows_the_cron_expression_in_vietnam_time():
    source = _source("0 6 * * *")
    now = datetime(2024, 7, 5, 7, 0, tzinfo=VN)
    assert is_due(source, None, now)
    assert is_due(source, datetime(2024, 7, 5, 5, 0, tzinfo=VN), now)
    assert not is_due(source, datetime(2024, 7, 5, 6, 0, 30, tzinfo=VN), now)
    # 06:00 in Hà Nội is 23:00 UTC the day before
    assert not is_due(source, datetime(2024, 7, 4, 23, 0, 30, tzinfo=timezone.utc), now.astimezone(timezone.utc))
    assert is_due(source, datetime(2024, 7, 4, 22, 59, tzinfo=timezone.utc), now)


def _sources(sample_site, keep, schedule=YEARLY, extra=""):
    blocks = sample_site.sources_toml().split("[[source]]")[1:]
    chosen = [b for b in blocks if any(f'id = "sample-{k}"' in b for k in keep)]
    text = "".join("[[source]]" + re.sub(r'schedule = "[^"]*"', f'schedule = "{schedule}"', b) for b in chosen)
    return text + extra


def _crawled(folder):
    conn = sqlite3.connect(folder / "archive.db")
    try:
        return [r[0] for r in conn.execute("select source_id from crawls order by id")]
    finally:
        conn.close()


def test_once_runs_only_due_sources(sample_site, tmp_path, run_cli):
    (tmp_path / "a.toml").write_text(_sources(sample_site, ["portal"]), encoding="utf-8")
    first = run_cli("schedule", "--once", "--sources", "a.toml", "--db", "archive.db", check=True)
    assert "sample-portal is due" in first.stderr
    # each line's time says its zone: the due times it names are Hà Nội time
    assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d[+-]\d{4} INFO ", first.stderr), first.stderr
    assert _crawled(tmp_path) == ["sample-portal"]
    (tmp_path / "b.toml").write_text(_sources(sample_site, ["portal", "magazine"]), encoding="utf-8")
    second = run_cli("schedule", "--once", "--sources", "b.toml", "--db", "archive.db", check=True)
    assert "sample-magazine is due" in second.stderr and "sample-portal is due" not in second.stderr
    assert _crawled(tmp_path) == ["sample-portal", "sample-magazine"]
    third = run_cli("schedule", "--once", "--sources", "b.toml", "--db", "archive.db", check=True)
    assert "Nothing is due." in third.stderr
    assert _crawled(tmp_path) == ["sample-portal", "sample-magazine"]


def test_scheduled_crawls_write_their_warc_files_where_told(sample_site, tmp_path, run_cli):
    (tmp_path / "a.toml").write_text(_sources(sample_site, ["portal"]), encoding="utf-8")
    run_cli("schedule", "--once", "--sources", "a.toml", "--db", "archive.db", "--warc-dir", "warcs",
            "--warc-max-mb", "1", check=True)
    assert not (tmp_path / "archive-warc").exists()
    assert sorted((tmp_path / "warcs").rglob("*.warc.gz"))
    conn = sqlite3.connect(tmp_path / "archive.db")
    assert {r[0].split("/")[0] for r in conn.execute("select warc_file from fetches where warc_file is not null")} == {
        "warcs"}
    conn.close()
    scheduler = Scheduler(tmp_path / "archive.db", tmp_path / "a.toml", warc_args=["--warc-dir", "warcs"])
    assert scheduler.resume_command("s").endswith("--warc-dir warcs")


def test_refuses_overlap_and_survives_a_failing_crawl(sample_site, tmp_path, run_cli):
    gone = (
        '\n[[source]]\nid = "gone"\nname = "Gone"\nkind = "press"\nhome = "http://127.0.0.1:9/"\n'
        'allowed_domains = ["127.0.0.1"]\narticle_pattern = "/a-\\\\d+$"\nschedule = "* * * * *"\n'
        '[source.discovery]\nfeeds = ["http://127.0.0.1:9/rss"]\n'
    )
    (tmp_path / "s.toml").write_text(_sources(sample_site, ["news", "portal"], extra=gone), encoding="utf-8")
    with SourceLock(tmp_path / "archive.db", "sample-news"):
        result = run_cli("schedule", "--once", "--sources", "s.toml", "--db", "archive.db")
        manual = run_cli("crawl", "sample-news", "--sources", "s.toml", "--db", "archive.db")
    assert result.returncode == 1
    assert "sample-news is due but already being crawled" in result.stderr
    assert "gone: crawl failed (exit status 1)" in result.stderr
    assert "sample-portal: crawl finished" in result.stderr, result.stderr[-6000:]
    assert sorted(_crawled(tmp_path)) == ["gone", "sample-portal"], result.stderr[-6000:]
    assert manual.returncode == 1 and "sample-news is already being crawled" in manual.stderr
    # the lock died with its holder: the source can be crawled now
    again = run_cli("schedule", "--once", "--sources", "s.toml", "--db", "archive.db")
    assert "sample-news is due" in again.stderr
    assert "sample-news" in _crawled(tmp_path)


def test_lock_of_a_killed_holder_is_free(tmp_path):
    import subprocess
    import sys

    holder = subprocess.Popen(
        [sys.executable, "-c",
         f"from archive.locks import SourceLock; SourceLock({str(tmp_path / 'a.db')!r}, 'x').acquire(); "
         "import time; print('locked', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True,
    )
    assert holder.stdout.readline().strip() == "locked"
    from archive.locks import SourceLocked

    with pytest.raises(SourceLocked, match="pid"):
        SourceLock(tmp_path / "a.db", "x").acquire()
    holder.kill()
    holder.wait()
    SourceLock(tmp_path / "a.db", "x").acquire().release()


def _wait_for(path, text, process, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        log = path.read_text(encoding="utf-8")
        if text in log:
            return log
        assert process.poll() is None, log[-6000:]
        time.sleep(0.2)
    raise AssertionError(f"no {text!r} in:\n{path.read_text(encoding='utf-8')[-6000:]}")


def test_the_scheduler_survives_a_broken_sources_file_and_picks_up_the_mended_one(sample_site, tmp_path):
    sources = tmp_path / "s.toml"
    sources.write_text(_sources(sample_site, ["portal"]), encoding="utf-8")
    log = tmp_path / "schedule.log"
    with log.open("w", encoding="utf-8") as stderr:
        daemon = subprocess.Popen(
            [str(Path(sys.executable).with_name("govarchive")), "schedule", "--sources", "s.toml", "--db", "archive.db",
             "--interval", "1", "--max-pages", "3"],
            cwd=tmp_path, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr,
        )
    try:
        _wait_for(log, "sample-portal: crawl finished", daemon)
        with sources.open("a", encoding="utf-8") as file:
            file.write("garbage = [\n")
        _wait_for(log, "not valid TOML", daemon)
        time.sleep(3.5)
        assert daemon.poll() is None, log.read_text(encoding="utf-8")[-6000:]
        assert log.read_text(encoding="utf-8").count("not valid TOML") == 1
        sources.write_text(_sources(sample_site, ["portal", "magazine"]), encoding="utf-8")
        text = _wait_for(log, "sample-magazine: crawl finished", daemon)
        assert "s.toml is valid again" in text
    finally:
        daemon.send_signal(signal.SIGINT)
        daemon.wait(timeout=60)
    assert "Traceback" not in log.read_text(encoding="utf-8")
    assert _crawled(tmp_path) == ["sample-portal", "sample-magazine"]


def test_while_the_sources_file_is_broken_its_last_valid_version_is_crawled(sample_site, tmp_path, caplog):
    sources = tmp_path / "s.toml"
    sources.write_text(_sources(sample_site, ["portal"], schedule="0 6 * * *"), encoding="utf-8")
    later = timedelta(0)
    scheduler = Scheduler(tmp_path / "archive.db", sources, extra_args=["--max-pages", "3"],
                          clock=lambda: datetime.now(timezone.utc) + later)
    with caplog.at_level(logging.INFO, logger="govarchive.schedule"):
        assert scheduler.tick() == ["sample-portal"]
        scheduler.wait()
        sources.write_text(sources.read_text(encoding="utf-8") + "garbage = [\n", encoding="utf-8")
        later = timedelta(days=1)  # 06:00 has come round again
        assert scheduler.tick() == ["sample-portal"]
        assert scheduler.tick() == []
        scheduler.wait()
    assert scheduler.finished == [("sample-portal", 0), ("sample-portal", 0)], caplog.text
    assert caplog.text.count("not valid TOML") == 1
    assert "still scheduling the crawls of its last valid version" in caplog.text
    assert _crawled(tmp_path) == ["sample-portal", "sample-portal"]


def test_a_check_that_fails_is_logged_once_and_tried_again(sample_site, tmp_path, caplog):
    (tmp_path / "s.toml").write_text(_sources(sample_site, ["portal"]), encoding="utf-8")
    db = tmp_path / "archive.db"
    db.write_bytes(b"no database here\n" * 512)
    scheduler = Scheduler(db, tmp_path / "s.toml", extra_args=["--max-pages", "3"])
    with caplog.at_level(logging.INFO, logger="govarchive.schedule"):
        assert scheduler.tick() == []
        assert scheduler.tick() == []
        assert caplog.text.count("checking for due sources failed") == 1, caplog.text
        db.write_bytes(b"")  # an empty file: the archive is made in it
        assert scheduler.tick() == ["sample-portal"]
        scheduler.wait()
    assert scheduler.finished == [("sample-portal", 0)]


def test_a_schedule_that_never_fires_is_refused(sample_site, tmp_path, run_cli):
    (tmp_path / "s.toml").write_text(_sources(sample_site, ["portal"], schedule="0 0 31 2 *"), encoding="utf-8")
    for args in (["sources"], ["schedule", "--once", "--db", "archive.db"]):
        result = run_cli(*args, "--sources", "s.toml")
        assert result.returncode == 2, (result.stdout, result.stderr)
        assert "Traceback" not in result.stderr
        (line,) = [l for l in result.stderr.splitlines() if l.strip()]
        assert "source 'sample-portal': field 'schedule': cron expression '0 0 31 2 *' never fires" in line
    assert not (tmp_path / "archive.db").exists()


def test_a_schedule_that_cannot_be_followed_leaves_out_only_its_source(sample_site, tmp_path, caplog):
    portal, news = parse_sources(_sources(sample_site, ["portal", "news"]))
    never = dataclasses.replace(news, schedule="0 0 30 2 *")
    db = open_db(tmp_path / "archive.db")
    ingest.start_crawl(db, never, max_pages=None)  # crawled before, so its schedule is asked
    db.close()
    with caplog.at_level(logging.ERROR, logger="govarchive.schedule"):
        due = due_sources(tmp_path / "archive.db", [never, portal], datetime.now(timezone.utc))
    assert due == [portal]
    assert "sample-news: skipped: its field 'schedule' '0 0 30 2 *' cannot be followed" in caplog.text


def test_a_crawl_that_loses_the_race_for_its_lock_is_not_a_failure(sample_site, tmp_path, caplog):
    (tmp_path / "s.toml").write_text(_sources(sample_site, ["portal"]), encoding="utf-8")
    scheduler = Scheduler(tmp_path / "archive.db", tmp_path / "s.toml", extra_args=["--max-pages", "3"])
    with caplog.at_level(logging.INFO, logger="govarchive.schedule"):
        assert scheduler.tick() == ["sample-portal"]
        # Another scheduler takes the lock after this one looked, before its crawl could.
        with SourceLock(tmp_path / "archive.db", "sample-portal"):
            scheduler.wait()
    assert "sample-portal is due but already being crawled elsewhere; not starting another" in caplog.text
    assert "crawl failed" not in caplog.text
    assert scheduler.finished == []  # so --once exits 0


def test_once_does_not_say_nothing_is_due_when_a_due_source_is_being_crawled(sample_site, tmp_path, run_cli):
    (tmp_path / "s.toml").write_text(_sources(sample_site, ["portal"]), encoding="utf-8")
    with SourceLock(tmp_path / "archive.db", "sample-portal"):
        result = run_cli("schedule", "--once", "--sources", "s.toml", "--db", "archive.db")
    assert result.returncode == 0, result.stderr
    assert "sample-portal is due but already being crawled elsewhere" in result.stderr
    assert "Nothing is due." not in result.stderr


def test_a_crawl_stopped_with_the_scheduler_is_interrupted_not_failed(sample_site, tmp_path):
    # Slow enough that Ctrl-C lands mid-crawl.
    (tmp_path / "s.toml").write_text(_sources(sample_site, ["news"]).replace("delay = 0.0", "delay = 0.5"),
                                     encoding="utf-8")
    log = tmp_path / "schedule.log"
    with log.open("w", encoding="utf-8") as stderr:
        daemon = subprocess.Popen(
            [str(Path(sys.executable).with_name("govarchive")), "schedule", "--sources", "s.toml",
             "--db", "archive.db"],
            cwd=tmp_path, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr, start_new_session=True,
        )
    try:
        _wait_for(log, "sample-news is due", daemon)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                fetches = sqlite3.connect(tmp_path / "archive.db").execute("select count(*) from fetches").fetchone()[0]
                if fetches >= 3:
                    break
            except sqlite3.OperationalError:
                pass
            time.sleep(0.1)
    finally:
        os.killpg(daemon.pid, signal.SIGINT)  # what Ctrl-C at its terminal does
        daemon.wait(timeout=120)
    text = log.read_text(encoding="utf-8")
    assert "crawl failed" not in text, text[-6000:]
    next_due = datetime.now(VN).year + 1
    assert re.search(rf"sample-news: crawl interrupted after \d+ s; it is not resumed: its next scheduled crawl, "
                     rf"at {next_due}-01-01 00:00 Hà Nội time, starts afresh and carries on what it left \("
                     rf"'govarchive crawl sample-news --resume --db archive.db --sources s.toml' finishes it before "
                     rf"then\)", text), text[-6000:]


def _start_scheduler(sample_site, tmp_path):
    """A scheduler crawling the news source slowly, its temporary files in tmp_path/tmp; returned
    once its crawl has fetched a few pages."""
    (tmp_path / "s.toml").write_text(_sources(sample_site, ["news"]).replace("delay = 0.0", "delay = 0.5"),
                                     encoding="utf-8")
    (tmp_path / "tmp").mkdir()
    log = tmp_path / "schedule.log"
    with log.open("w", encoding="utf-8") as stderr:
        daemon = subprocess.Popen(
            [str(Path(sys.executable).with_name("govarchive")), "schedule", "--sources", "s.toml",
             "--db", "archive.db"],
            cwd=tmp_path, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr,
            start_new_session=True, env={**os.environ, "TMPDIR": str(tmp_path / "tmp")},
        )
    try:
        _wait_for(log, "sample-news is due", daemon)
        wait_for_fetches(tmp_path / "archive.db", 3, daemon, timeout=60,
                         log=lambda: log.read_text(encoding="utf-8")[-6000:])
        assert list((tmp_path / "tmp").glob("govarchive-schedule-*")), "the crawl reads a copy of the sources file"
    except BaseException:
        # A scheduler left running outlives the test run, crawling every minute.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(daemon.pid, signal.SIGKILL)
        daemon.wait()
        raise
    return daemon, log


def _kill_crawls(tmp_path) -> None:
    """Clean up after a failing test: the crawl of a dead scheduler goes on no longer."""
    pid = holder(tmp_path / "archive.db", "sample-news")
    if pid and pid.isdigit():
        os.kill(int(pid), signal.SIGKILL)


def test_sigterm_to_the_scheduler_stops_its_crawls_waits_for_them_and_cleans_up(sample_site, tmp_path):
    daemon, log = _start_scheduler(sample_site, tmp_path)
    try:
        daemon.send_signal(signal.SIGTERM)  # to the scheduler alone, as kill(1) does
        daemon.wait(timeout=120)
        assert holder(tmp_path / "archive.db", "sample-news") is None, "its crawl went on alone"
        assert daemon.returncode == 143
    finally:
        if daemon.poll() is None:
            daemon.kill()
        _kill_crawls(tmp_path)
    text = log.read_text(encoding="utf-8")
    assert re.search(r"sample-news: crawl interrupted after \d+ s; it is not resumed", text), text[-6000:]
    assert "Traceback" not in text
    assert not list((tmp_path / "tmp").iterdir())
    status = sqlite3.connect(tmp_path / "archive.db").execute("select status, finish_reason from crawls").fetchall()
    assert status == [("interrupted", "shutdown")]


def _killed_scheduler(sample_site, tmp_path) -> None:
    """A scheduler SIGKILLed while its crawl runs, once that crawl has stopped with it."""
    daemon, _ = _start_scheduler(sample_site, tmp_path)
    try:
        daemon.kill()
        daemon.wait()
        assert unlocked(tmp_path), "the crawl went on with no scheduler to report it"
    finally:
        _kill_crawls(tmp_path)


def test_the_crawls_of_a_killed_scheduler_stop(sample_site, tmp_path):
    _killed_scheduler(sample_site, tmp_path)
    status = sqlite3.connect(tmp_path / "archive.db").execute("select status, finish_reason from crawls").fetchall()
    assert status == [("interrupted", "shutdown")]


def test_the_sources_copy_of_a_killed_scheduler_is_removed_by_the_next_one(sample_site, tmp_path):
    _killed_scheduler(sample_site, tmp_path)
    left = list((tmp_path / "tmp").glob("govarchive-schedule-*"))
    assert left, "a SIGKILL gives the scheduler no chance to remove its copy"
    # A copy of another running scheduler, and a file that only looks like one, are kept.
    mine = tmp_path / "tmp" / f"govarchive-schedule-{os.getpid()}-sample-news-x.toml"
    mine.write_text("", encoding="utf-8")
    other = tmp_path / "tmp" / "govarchive-schedule-sample-news-x.toml"
    other.write_text("", encoding="utf-8")
    result = subprocess.run(
        [str(Path(sys.executable).with_name("govarchive")), "schedule", "--once", "--sources", "s.toml",
         "--db", "archive.db", "--max-pages", "1"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300, env={**os.environ, "TMPDIR": str(tmp_path / "tmp")},
    )
    assert f"removed 1 copy of a sources file left by schedulers that were killed: {left[0].name}" in result.stderr, result.stderr
    assert sorted((tmp_path / "tmp").iterdir()) == sorted([mine, other])
