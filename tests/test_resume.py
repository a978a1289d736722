"""Crash safety: a crawl killed with SIGKILL at random points resumes to the same archive."""

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from archive.captures import read_capture
from archive.samplesite import SampleSite
from tests.conftest import crawl_into

KILLS = int(os.environ.get("GOVARCHIVE_RESUME_KILLS", "3"))


@pytest.fixture(scope="module")
def big_site():
    with SampleSite(extra_articles=400) as site:
        yield site


def _count(db, sql, params=()):
    conn = sqlite3.connect(db, timeout=30)
    try:
        return conn.execute(sql, params).fetchone()[0]
    finally:
        conn.close()


def _start(folder, *extra, **popen):
    return subprocess.Popen(
        [sys.executable, "-m", "crawler", "--db", "archive.db", "--sources", "sources.toml",
         "--log-level", "WARNING", "--all", *extra],
        cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **popen,
    )


def _fetched(db):
    try:
        return _count(db, "select count(*) from fetches")
    except sqlite3.OperationalError:  # the crawler has not created its tables yet
        return 0


def _kill_after(process, db, fetches, kill=lambda pid: os.kill(pid, signal.SIGKILL)):
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        if db.exists() and _fetched(db) >= fetches:
            break
        time.sleep(0.05)
    if process.poll() is None:
        kill(process.pid)
    process.wait(timeout=120)


def test_killed_crawl_resumes_to_the_same_archive(big_site, tmp_path):
    (tmp_path / "sources.toml").write_text(big_site.sources_toml(), encoding="utf-8")
    db = tmp_path / "archive.db"
    rng = random.Random(7)
    expected = big_site.expected_article_urls()
    target = 0
    for kill in range(KILLS):
        target += rng.randint(40, max(41, len(expected) // (KILLS + 1)))
        _kill_after(_start(tmp_path, *(["--resume"] if kill else [])), db, target)
    result = crawl_into(tmp_path, "--resume", "--quiet")
    assert result.returncode == 0, result.stdout + result.stderr

    assert _count(db, "pragma integrity_check") == "ok"
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    articles = [r["url"] for r in conn.execute("select url from articles")]
    assert sorted(articles) == sorted(expected)
    assert _count(db, "select count(*) from article_versions") == len(expected)
    # nothing fetched twice: every URL has at most one fetch across the killed and resumed crawls
    twice = conn.execute(
        "select url, count(*) n from fetches where status is not null group by url having n > 1"
    ).fetchall()
    assert [tuple(r) for r in twice] == []
    statuses = [r[0] for r in conn.execute("select status from crawls order by id")]
    # a source can finish before a kill lands; every other crawl was interrupted
    assert statuses[-3:] == ["ok"] * 3 and set(statuses) <= {"interrupted", "ok"}
    assert "interrupted" in statuses
    assert _count(db, "select count(*) from frontier") == 0
    # every capture a row points at reads back, truncated files notwithstanding
    for fetch in conn.execute("select * from fetches where warc_file is not null"):
        stored = read_capture(db, dict(fetch))
        if fetch["kind"] == "article" and fetch["status"] == 200:
            assert stored.body == big_site.page_bytes(fetch["url"])
    conn.close()


def test_sigterm_to_the_process_group_loses_no_page(big_site, tmp_path):
    """timeout, systemctl stop and docker stop send SIGTERM to every process of the crawl, its
    extraction workers too: the crawler stops gracefully, extracting the pages in flight."""
    (tmp_path / "sources.toml").write_text(big_site.sources_toml(), encoding="utf-8")
    db = tmp_path / "archive.db"
    crawler = _start(tmp_path, start_new_session=True)
    _kill_after(crawler, db, 150, kill=lambda pid: os.killpg(pid, signal.SIGTERM))
    assert _count(db, "select count(*) from fetches where error like 'extraction failed%'") == 0
    assert _count(db, "select count(*) from crawls where status = 'interrupted'") > 0
    result = crawl_into(tmp_path, "--resume", "--quiet")
    assert result.returncode == 0, result.stdout + result.stderr
    assert _count(db, "select count(*) from articles") == len(big_site.expected_article_urls())


def test_a_fresh_crawl_after_a_killed_one_drops_the_frontier_it_can_no_longer_resume(big_site, tmp_path):
    (tmp_path / "sources.toml").write_text(big_site.sources_toml(), encoding="utf-8")
    db = tmp_path / "archive.db"
    _kill_after(_start(tmp_path), db, 60)
    assert _count(db, "select count(*) from frontier") > 0
    result = crawl_into(tmp_path, "--quiet")
    assert result.returncode == 0, result.stdout + result.stderr
    # Only the last crawl of a source can be resumed: the killed crawl's pending requests
    # would otherwise stay in the archive for good.
    assert _count(db, "select count(*) from frontier") == 0
    # The next crawl of a source closes the one killed before it, with what that one fetched.
    conn = sqlite3.connect(db)
    killed = conn.execute("select crawl_id, status, pages from crawl_health where status != 'ok'").fetchall()
    conn.close()
    assert killed and {status for _, status, _ in killed} == {"interrupted"}
    for crawl_id, _, pages in killed:
        assert pages == _count(db, "select count(*) from fetches where crawl_id = ? and coalesce(error not like 'skipped:%', 1)", [crawl_id])
    assert sum(pages for *_, pages in killed) > 0


def test_stats_shows_a_killed_crawl_as_interrupted_with_what_it_fetched(big_site, tmp_path, run_cli):
    (tmp_path / "sources.toml").write_text(big_site.sources_toml(), encoding="utf-8")
    db = tmp_path / "archive.db"
    _kill_after(_start(tmp_path), db, 60)
    runs = [json.loads(line) for line in run_cli("stats", "--json", "--db", db, check=True).stdout.splitlines()]
    killed = [run for run in runs if run["status"] != "ok"]
    assert killed
    for run in killed:
        # Its row still says "running": nothing was left alive to close it.
        assert run["status"] == "interrupted"
        assert run["pages"] == _count(db, "select count(*) from fetches where crawl_id = ? and coalesce(error not like 'skipped:%', 1)", [run["id"]])
    assert sum(run["pages"] for run in runs) == _count(db, "select count(*) from fetches where coalesce(error not like 'skipped:%', 1)")


def test_a_resume_with_nothing_left_to_do_is_ok(sample_site, tmp_path):
    """A crawl killed as it closed ("Closing spider"), every page stored but its end not yet
    recorded, leaves nothing for --resume to fetch: that is the crawl done, not an empty one."""
    (tmp_path / "sources.toml").write_text(sample_site.sources_toml(), encoding="utf-8")
    db = tmp_path / "archive.db"
    result = crawl_into(tmp_path, "--quiet")
    assert result.returncode == 0, result.stdout + result.stderr
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("update crawls set status = 'running', finished_at = null, finish_reason = null, stats = null")
    conn.close()
    result = crawl_into(tmp_path, "--resume", "--quiet")
    assert result.returncode == 0, result.stdout + result.stderr
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    killed, resumed = [[dict(r) for r in conn.execute(f"select * from crawls where resumed_from is {test}")]
                       for test in ("null", "not null")]
    conn.close()
    assert [r["status"] for r in resumed] == ["ok"] * 3 and sum(r["pages"] for r in resumed) == 0
    assert [r["status"] for r in killed] == ["interrupted"] * 3
    for run in killed:
        assert run["pages"] == _count(db, "select count(*) from fetches where crawl_id = ? and coalesce(error not like 'skipped:%', 1)", [run["id"]])
    assert sum(run["articles_new"] for run in killed) == len(sample_site.expected_article_urls())


def test_a_resume_whose_page_budget_the_killed_part_spent_says_it_reached_it(big_site, tmp_path, run_cli):
    (tmp_path / "sources.toml").write_text(big_site.sources_toml(), encoding="utf-8")
    db = tmp_path / "archive.db"
    _kill_after(_start(tmp_path), db, 60)
    # The budget of a resumed crawl counts what the crawl it resumes did: 3 are spent already.
    resumed = _start(tmp_path, "--resume", "--max-pages", "3")
    assert resumed.wait(timeout=300) == 0
    runs = [json.loads(line) for line in run_cli("stats", "--json", "--db", db, check=True).stdout.splitlines()]
    resumes = [run for run in runs if run["resumed_from"] is not None]
    assert resumes
    for run in resumes:
        assert run["status"] == "ok" and run["finish_reason"] == "max_pages" and run["reached_max_pages"], run
    table = run_cli("stats", "--db", db, check=True).stdout
    assert table.count("ok (max pages, resumes #") == len(resumes), table
