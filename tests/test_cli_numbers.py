"""A whole number too large for what it counts is a usage error naming the option: past SQLite's
2**63 - 1 it was a traceback (OverflowError) where it met the database, or, from a crawl, an
error that named no option."""

import pytest

from archive.db import open_db

HUGE = "99999999999999999999"


@pytest.mark.parametrize("args, option", [
    (["search", "zalo", "--limit", HUGE], "--limit"),
    (["search", "zalo", "--limit", "10000000000", "--page", "1000000000"], "--limit"),
    (["stats", "--limit", HUGE], "--limit"),
    (["reextract", "--from-id", HUGE], "--from-id"),
    (["crawl", "--all", "--max-pages", HUGE], "--max-pages"),
    (["schedule", "--once", "--max-pages", HUGE], "--max-pages"),
    (["schedule", "--interval", HUGE], "--interval"),
    (["crawl", "--all", "--warc-max-mb", HUGE], "--warc-max-mb"),
])
def test_a_number_too_large_is_a_usage_error_naming_its_option(run_cli, tmp_path, args, option):
    open_db(tmp_path / "a.db").close()
    (tmp_path / "sources.toml").write_text("", encoding="utf-8")
    result = run_cli(*args, "--db", "a.db")
    assert result.returncode == 2, result.stderr
    assert f"Invalid value for '{option}'" in result.stderr and "Traceback" not in result.stderr
