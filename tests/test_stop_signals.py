"""A crawl stopped through govarchive crawl, however it is stopped, stops its crawler too and
says what it did: nothing crawls on alone, holding its sources' locks."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from archive.crawl import exit_status
from archive.locks import holder
from tests.conftest import unlocked, wait_for_fetches


def _slow_sources(sample_site, folder):
    """The news source at two requests a second: a crawl that is still going when signalled."""
    blocks = sample_site.sources_toml().split("[[source]]")[1:]
    (news,) = [b for b in blocks if 'id = "sample-news"' in b]
    (folder / "s.toml").write_text("[[source]]" + news.replace("delay = 0.0", "delay = 0.5"), encoding="utf-8")


def _slow_sources_all(sample_site, folder):
    """Every source of the sample site at two requests a second."""
    (folder / "s.toml").write_text(sample_site.sources_toml().replace("delay = 0.0", "delay = 0.5"), encoding="utf-8")


def _start_crawl(folder, *extra, sources=("sample-news",), fetches=3):
    """govarchive crawl of the slow sources, once it has fetched a few pages."""
    out, err = (folder / "c.out").open("w"), (folder / "c.err").open("w")
    crawl = subprocess.Popen(
        [str(Path(sys.executable).with_name("govarchive")), "crawl", *sources, "--sources", "s.toml",
         "--db", "archive.db", *extra],
        cwd=folder, stdin=subprocess.DEVNULL, stdout=out, stderr=err, start_new_session=True,
    )
    wait_for_fetches(folder / "archive.db", fetches, crawl, log=lambda: (folder / "c.err").read_text()[-6000:])
    return crawl


def _crawler_pid(folder) -> int:
    pid = holder(folder / "archive.db", "sample-news")
    assert pid and pid.isdigit(), pid
    return int(pid)


def _end(process_or_pid) -> None:
    """Clean up after a failing test: nothing of it goes on crawling."""
    pid = process_or_pid if isinstance(process_or_pid, int) else process_or_pid.pid
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_to_the_crawl_command_stops_its_crawler_and_reports(sample_site, tmp_path, signum):
    _slow_sources(sample_site, tmp_path)
    crawl = _start_crawl(tmp_path)
    crawler = _crawler_pid(tmp_path)
    try:
        crawl.send_signal(signum)  # to that process alone, as kill(1) or a service manager does
        crawl.wait(timeout=60)
        # it waited for its crawler, which let go of the source
        assert holder(tmp_path / "archive.db", "sample-news") is None
    finally:
        _end(crawl)
        _end(crawler)
    out, err = (tmp_path / "c.out").read_text(), (tmp_path / "c.err").read_text()
    assert crawl.returncode == 128 + signum  # as a shell reports a program a signal stopped
    assert "sample-news            interrupted" in out, out + err[-6000:]
    assert "sample-news: interrupted; 'govarchive crawl sample-news --resume --db archive.db --sources s.toml'" in err
    resumed = subprocess.run(
        [str(Path(sys.executable).with_name("govarchive")), "crawl", "sample-news", "--sources", "s.toml",
         "--db", "archive.db", "--resume", "--max-pages", "5"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )
    assert "not started" not in resumed.stdout + resumed.stderr
    conn = sqlite3.connect(tmp_path / "archive.db")
    first, second = conn.execute("select status, finish_reason from crawls order by id").fetchall()
    assert first == ("interrupted", "shutdown")  # a clean stop, not Scrapy's forced one
    assert conn.execute("select resumed_from from crawls where id = 2").fetchone()[0] == 1


def test_a_terminal_that_closes_stops_the_crawl_cleanly(sample_site, tmp_path):
    # A hangup reaches the whole foreground process group: govarchive crawl and its crawler.
    _slow_sources(sample_site, tmp_path)
    crawl = _start_crawl(tmp_path)
    crawler = _crawler_pid(tmp_path)
    try:
        os.killpg(crawl.pid, signal.SIGHUP)
        crawl.wait(timeout=120)
    finally:
        _end(crawl)
        _end(crawler)
    out, err = (tmp_path / "c.out").read_text(), (tmp_path / "c.err").read_text()
    assert crawl.returncode == 128 + signal.SIGHUP, out + err[-6000:]
    assert "sample-news: interrupted; 'govarchive crawl sample-news --resume" in err, err[-6000:]
    conn = sqlite3.connect(tmp_path / "archive.db")
    assert conn.execute("select status, finish_reason from crawls").fetchall() == [("interrupted", "shutdown")]


def test_a_hangup_leaves_a_crawl_under_nohup_alone(sample_site, tmp_path):
    _slow_sources(sample_site, tmp_path)
    previous = signal.signal(signal.SIGHUP, signal.SIG_IGN)  # as nohup starts it
    try:
        crawl = _start_crawl(tmp_path, "--max-pages", "8")
    finally:
        signal.signal(signal.SIGHUP, previous)
    try:
        os.killpg(crawl.pid, signal.SIGHUP)
        crawl.wait(timeout=120)
    finally:
        _end(crawl)
    out, err = (tmp_path / "c.out").read_text(), (tmp_path / "c.err").read_text()
    assert crawl.returncode == 0, out + err[-6000:]
    conn = sqlite3.connect(tmp_path / "archive.db")
    assert conn.execute("select status from crawls").fetchall() == [("ok",)]


def test_ctrl_c_at_the_terminal_stops_several_crawls_cleanly(sample_site, tmp_path):
    # The terminal's SIGINT reaches govarchive crawl and its crawler both: the crawler is asked
    # twice, by Scrapy's own handler and through its stdin.
    _slow_sources_all(sample_site, tmp_path)
    crawl = _start_crawl(tmp_path, "--all", sources=(), fetches=12)
    crawler = _crawler_pid(tmp_path)
    try:
        # A busy crawler (a large sitemap to parse) sees both at once: held still meanwhile.
        os.kill(crawler, signal.SIGSTOP)
        os.killpg(crawl.pid, signal.SIGINT)
        time.sleep(1)
        os.kill(crawler, signal.SIGCONT)
        crawl.wait(timeout=120)
    finally:
        _end(crawl)
        _end(crawler)
    out, err = (tmp_path / "c.out").read_text(), (tmp_path / "c.err").read_text()
    assert "Traceback" not in err and "CRITICAL" not in err, err[-6000:]
    assert crawl.returncode == 130, out + err[-6000:]
    conn = sqlite3.connect(tmp_path / "archive.db")
    assert conn.execute("select status, finish_reason from crawls").fetchall() == [("interrupted", "shutdown")] * 3


def _crawler_started(pid: int) -> bool:
    """Whether the crawler process of govarchive crawl ``pid`` runs its own program (is past exec)."""
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        try:
            if b"--stop-when-stdin-closes" in Path(f"/proc/{child}/cmdline").read_bytes():
                return True
        except (FileNotFoundError, ProcessLookupError):
            pass  # it has ended (`file`)
    return False


@pytest.mark.parametrize("after", [0.2, 0], ids=["importing scrapy", "python starting"])
def test_ctrl_c_as_the_crawler_starts_stops_it_cleanly(sample_site, tmp_path, after):
    _slow_sources_all(sample_site, tmp_path)
    out, err = (tmp_path / "c.out").open("w"), (tmp_path / "c.err").open("w")
    crawl = subprocess.Popen(
        [str(Path(sys.executable).with_name("govarchive")), "crawl", "--all", "--sources", "s.toml",
         "--db", "archive.db"],
        cwd=tmp_path, stdin=subprocess.DEVNULL, stdout=out, stderr=err, start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        # The crawler, not another child (importing croniter runs `file` on Python's executable).
        while not _crawler_started(crawl.pid):
            assert time.monotonic() < deadline
        # At 0.2 s the crawler is importing Scrapy; at once, its Python is starting, before it
        # can ignore the signal itself (it died of it: "Fatal Python error: init_import_site").
        time.sleep(after)
        os.killpg(crawl.pid, signal.SIGINT)
        crawl.wait(timeout=120)
    finally:
        _end(crawl)
    out, err = (tmp_path / "c.out").read_text(), (tmp_path / "c.err").read_text()
    assert "Traceback" not in err and "ERROR" not in err and "failed" not in err, err[-6000:]
    assert crawl.returncode == 130, out + err[-6000:]
    # the crawls interrupted are named on one line, with the command that resumes them
    interrupted = [line.split(": interrupted;")[0].split(", ") for line in err.splitlines() if ": interrupted;" in line]
    assert len(interrupted) <= 1, err[-6000:]
    for source in ("sample-portal", "sample-magazine", "sample-news"):
        assert source in sum(interrupted, []) or f"{source}: not started" in err, err[-6000:]


def test_the_crawler_stops_when_the_crawl_command_is_killed(sample_site, tmp_path):
    _slow_sources(sample_site, tmp_path)
    crawl = _start_crawl(tmp_path)
    crawler = _crawler_pid(tmp_path)
    try:
        crawl.kill()
        crawl.wait()
        assert unlocked(tmp_path), "the crawler went on alone"
    finally:
        _end(crawler)
    conn = sqlite3.connect(tmp_path / "archive.db")
    assert conn.execute("select status, finish_reason from crawls").fetchall() == [("interrupted", "shutdown")]


def test_exit_status_is_the_shells_for_a_signal_that_stopped_the_crawls():
    ok = {"status": "ok", "signal": None}
    assert exit_status([ok]) == 0
    assert exit_status([ok, {"status": "unreachable", "signal": None}]) == 1
    assert exit_status([ok, {"status": "interrupted", "signal": signal.SIGINT}]) == 130
    assert exit_status([{"status": "interrupted", "signal": signal.SIGTERM}]) == 143
