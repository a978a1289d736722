"""Scrapy settings the crawl relies on (crawler/settings.py)."""

import subprocess
import sys


def test_no_crawl_starts_scrapys_remote_code_server(sample_site, tmp_path):
    # Scrapy 2.19's RemoteControl serves an HTTP endpoint that runs Python code sent to it.
    sources = tmp_path / "sources.toml"
    sources.write_text(sample_site.sources_toml(), encoding="utf-8")
    crawl = subprocess.run(
        [sys.executable, "-m", "crawler", "--all", "--sources", str(sources), "--db", str(tmp_path / "a.db"),
         "--max-pages", "2", "--log-level", "INFO"],
        capture_output=True, text=True, timeout=300,
    )
    assert crawl.returncode == 0, crawl.stderr
    assert "Crawled" in crawl.stderr or "Spider opened" in crawl.stderr, crawl.stderr[-2000:]
    assert "Remote control" not in crawl.stderr
