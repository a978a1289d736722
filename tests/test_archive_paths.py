"""An archive reached through another path (a symlink to it or to its folder) is the same archive."""

import os

from archive.locks import SourceLock


def test_a_crawl_through_a_symlink_to_the_archive_waits_for_the_crawl_holding_it(sample_site, tmp_path, run_cli):
    (tmp_path / "sources.toml").write_text(sample_site.sources_toml(), encoding="utf-8")
    (tmp_path / "real").mkdir()
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "a.db").symlink_to(tmp_path / "real" / "a.db")
    with SourceLock(tmp_path / "real" / "a.db", "sample-news"):
        result = run_cli("crawl", "sample-news", "--max-pages", "3", "--sources", "sources.toml",
                         "--db", "other/a.db", "--quiet")
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert f"sample-news is already being crawled (pid {os.getpid()})" in result.stderr
    with SourceLock(tmp_path / "other" / "a.db", "sample-news"):
        result = run_cli("crawl", "sample-news", "--max-pages", "3", "--sources", "sources.toml",
                         "--db", "real/a.db", "--quiet")
    assert f"sample-news is already being crawled (pid {os.getpid()})" in result.stderr
