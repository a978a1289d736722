"""govarchive schedule: cron schedules honoured, no overlapping crawls, failures survived."""

import re
import sqlite3
from datetime import datetime, timezone

import pytest

from archive.locks import SourceLock
from archive.schedule import VN, is_due
from archive.sources import parse_sources

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
    assert _crawled(tmp_path) == ["sample-portal"]
    (tmp_path / "b.toml").write_text(_sources(sample_site, ["portal", "magazine"]), encoding="utf-8")
    second = run_cli("schedule", "--once", "--sources", "b.toml", "--db", "archive.db", check=True)
    assert "sample-magazine is due" in second.stderr and "sample-portal is due" not in second.stderr
    assert _crawled(tmp_path) == ["sample-portal", "sample-magazine"]
    third = run_cli("schedule", "--once", "--sources", "b.toml", "--db", "archive.db", check=True)
    assert "Nothing is due." in third.stderr
    assert _crawled(tmp_path) == ["sample-portal", "sample-magazine"]


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
