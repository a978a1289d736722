"""A crawl started afresh takes over what the source's last crawl left undone.

Paging a listing stops at the first page holding only archived articles, so work a crawl left
undone (killed, or cut by --max-pages) is reached by no later crawl unless it is carried on:
the older articles of a listing would be missing from the archive for good.
"""

import os
import signal
import sqlite3
import subprocess
import sys

import pytest

from archive.samplesite import SampleSite
from conftest import wait_for_fetches


@pytest.fixture(scope="module")
def site():
    with SampleSite(extra_articles=200) as running:
        yield running


def _news_articles(site) -> set[str]:
    return site.sites["news"].expected_urls()


def _archived(db) -> set[str]:
    conn = sqlite3.connect(db)
    try:
        return {url for (url,) in conn.execute("select url from articles where source_id = 'sample-news'")}
    finally:
        conn.close()


def _frontier(db) -> int:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("select count(*) from frontier").fetchone()[0]
    finally:
        conn.close()


def test_a_fresh_crawl_after_a_killed_one_archives_what_the_killed_one_left(site, tmp_path, run_cli):
    # Spaced requests keep the crawl from archiving every article before the kill comes, however
    # loaded the machine: its fetch rows are written in batches, so the count seen lags behind.
    (tmp_path / "sources.toml").write_text(site.sources_toml().replace("delay = 0.0", "delay = 0.1"),
                                           encoding="utf-8")
    db = tmp_path / "archive.db"
    crawler = subprocess.Popen(
        [sys.executable, "-m", "crawler", "--db", "archive.db", "--sources", "sources.toml", "--log-level",
         "WARNING", "sample-news"],
        cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    wait_for_fetches(db, 40, crawler)
    os.kill(crawler.pid, signal.SIGKILL)
    crawler.wait(timeout=60)
    assert 0 < len(_archived(db)) < len(_news_articles(site))
    (tmp_path / "sources.toml").write_text(site.sources_toml(), encoding="utf-8")
    result = run_cli("crawl", "sample-news", "--sources", "sources.toml", "--db", "archive.db")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "requests an earlier crawl left undone" in result.stderr
    assert _archived(db) == _news_articles(site)
    assert _frontier(db) == 0


def test_what_a_page_budget_left_is_crawled_by_the_next_crawl(site, tmp_path, run_cli):
    (tmp_path / "sources.toml").write_text(site.sources_toml(), encoding="utf-8")
    db = tmp_path / "archive.db"
    result = run_cli("crawl", "sample-news", "--sources", "sources.toml", "--db", "archive.db", "--max-pages", "30")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "requests wait in the frontier for the source's next crawl" in result.stderr
    budgeted = _archived(db)
    assert 0 < len(budgeted) < len(_news_articles(site))
    conn = sqlite3.connect(db)
    # The budget holds, and the URLs robots.txt skipped (fetch rows, but no pages) took none of it.
    pages = "select count(*) from fetches where coalesce(error not like 'skipped:%', 1)"
    assert conn.execute(pages).fetchone()[0] == 30
    conn.close()
    result = run_cli("crawl", "sample-news", "--sources", "sources.toml", "--db", "archive.db")
    assert result.returncode == 0, result.stdout + result.stderr
    assert _archived(db) == _news_articles(site)
    assert _frontier(db) == 0
    # nothing fetched twice: the second crawl fetched the articles the first did not, and the
    # pages every crawl reads again (feed, listing pages, articles asked for conditionally)
    conn = sqlite3.connect(db)
    refetched_new = conn.execute(
        "select count(*) from fetches f where crawl_id = 2 and kind = 'article' and status = 200 "
        "and url in (select url from fetches where crawl_id = 1 and status = 200)").fetchone()[0]
    conn.close()
    assert refetched_new == 0
