"""Scrapy settings the crawl relies on (crawler/settings.py)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest


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


@pytest.mark.parametrize(("name", "value"), [
    ("GOVARCHIVE_DOWNLOAD_TIMEOUT", "abc"), ("GOVARCHIVE_DOWNLOAD_TIMEOUT", "-5"),
    ("GOVARCHIVE_DOWNLOAD_TIMEOUT", "nan"), ("GOVARCHIVE_EXTRACT_WORKERS", "abc"),
    ("GOVARCHIVE_EXTRACT_WORKERS", "-3"), ("GOVARCHIVE_EXTRACT_WORKERS", "99999"), ("GOVARCHIVE_CONTACT", "https://example.org/\r\nX-Injected: 1"),
])
def test_a_bad_environment_variable_is_named_before_anything_is_fetched(sample_site, tmp_path, name, value):
    (tmp_path / "sources.toml").write_text(sample_site.sources_toml(), encoding="utf-8")
    requests = len(sample_site.requests)
    crawl = subprocess.run(
        [str(Path(sys.executable).with_name("govarchive")), "crawl", "--all", "--db", "archive.db"],
        cwd=tmp_path, env=_environment(**{name: value}), capture_output=True, text=True, timeout=300,
    )
    assert crawl.returncode == 2, crawl.stderr  # a usage error
    message = f"Error: environment variable {name} is {value!r}: it must be "
    assert crawl.stderr.startswith(message) and crawl.stderr.count("\n") == 1, crawl.stderr[-3000:]
    assert len(sample_site.requests) == requests and not (tmp_path / "archive.db").exists()


def test_the_crawler_run_alone_names_a_bad_environment_variable(sample_site, tmp_path):
    # In a folder of its own, with the sample site's sources: were the check gone, the crawl would
    # read the sources file of whatever folder the tests run in.
    (tmp_path / "sources.toml").write_text(sample_site.sources_toml(), encoding="utf-8")
    requests = len(sample_site.requests)
    crawl = subprocess.run(
        [sys.executable, "-m", "crawler", "--all", "--db", str(tmp_path / "a.db")],
        cwd=tmp_path, env=_environment(GOVARCHIVE_EXTRACT_WORKERS="-3"), capture_output=True, text=True,
        timeout=300,
    )
    assert crawl.returncode == 2
    assert crawl.stderr.startswith("error: environment variable GOVARCHIVE_EXTRACT_WORKERS is '-3'"), crawl.stderr
    assert len(sample_site.requests) == requests


def _environment(**names):
    """This environment with ``names`` set, and none of the variables that would point a crawl
    at another archive or sources file."""
    env = {**os.environ, **names}
    env.pop("GOVARCHIVE_DB", None)
    env.pop("GOVARCHIVE_SOURCES", None)
    return env


@pytest.mark.parametrize("contact, expected", [("", "https://github.com/govarchive/govarchive"),
                                               ("https://example.org/lien-he", "https://example.org/lien-he")])
def test_an_empty_contact_is_the_default_contact_page(contact, expected):
    result = subprocess.run([sys.executable, "-c", "import crawler.settings as s; print(s.USER_AGENT)"],
                            capture_output=True, text=True, check=True,
                            env={**os.environ, "GOVARCHIVE_CONTACT": contact})
    assert result.stdout.strip() == f"govarchive/0.1 (+{expected}; archive of Vietnamese government communications)"


@pytest.mark.parametrize("contact, expected", [("", "None"), ("mailto:luutru@example.vn", "mailto:luutru@example.vn")])
def test_the_warc_operator_is_the_contact_only_when_one_is_set(contact, expected):
    result = subprocess.run([sys.executable, "-c", "import crawler.settings as s; print(s.ARCHIVE_WARC_OPERATOR)"],
                            capture_output=True, text=True, check=True,
                            env={**os.environ, "GOVARCHIVE_CONTACT": contact})
    assert result.stdout.strip() == expected
