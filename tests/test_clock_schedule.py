"""The scheduler and a wall clock that is wrong or moves: a crawl recorded while the clock was
ahead, or a clock set back since, does not stop the schedule until the clock comes round to it."""

import logging
import re
import sqlite3
from datetime import datetime, timedelta

from archive import ingest
from archive.db import open_db
from archive.schedule import VN, due_sources
from archive.sources import parse_sources
from tests.test_schedule import _crawled, _sources

SIX_AM = "0 6 * * *"
FAR_AHEAD = "2027-11-27T17:00:00.000+00:00"


def _source(schedule=SIX_AM):
    return parse_sources(
        f'[[source]]\nid = "s"\nname = "S"\nkind = "press"\nhome = "https://s.vn/"\nallowed_domains = ["s.vn"]\n'
        f'article_pattern = "x"\nschedule = "{schedule}"\n[source.discovery]\nfeeds = ["https://s.vn/rss"]\n'
    )[0]


def _crawls_began(path, source, *times):
    """Record crawls of ``source`` in a real archive, begun at ``times`` in this order."""
    db = open_db(path)
    for when in times:
        crawl_id = ingest.start_crawl(db, source, max_pages=None)
        db.execute("update crawls set started_at = ? where id = ?", [when, crawl_id])
    db.conn.commit()
    db.close()


def test_a_last_crawl_recorded_in_the_future_counts_as_the_slot_after_the_one_before(tmp_path, caplog):
    source, path = _source(), tmp_path / "archive.db"
    # 05:00 in Hà Nội, then the 06:00 slot's crawl while the clock was a year ahead.
    _crawls_began(path, source, "2024-07-04T22:00:00.000+00:00", FAR_AHEAD)
    seven = datetime(2024, 7, 5, 7, 0, tzinfo=VN)
    assert due_sources(path, [source], seven) == []
    assert due_sources(path, [source], seven + timedelta(hours=12)) == []
    # The next day's 06:00 has come round: due, a year before the recorded time.
    assert due_sources(path, [source], datetime(2024, 7, 6, 6, 0, 30, tzinfo=VN)) == [source]
    caplog.clear()
    told = set()
    with caplog.at_level(logging.WARNING, logger="govarchive.schedule"):
        for _ in range(3):
            assert due_sources(path, [source], seven, told) == []
    (warning,) = [r.getMessage() for r in caplog.records]  # once, not at every check
    assert warning.startswith("s: the clock is behind the archive's last crawl of it: ")
    assert "recorded as begun at 2027-11-27T17:00:00+00:00" in warning
    assert f"the clock says {seven.isoformat()}" in warning
    assert "slot at 2024-07-05 06:00 Hà Nội time" in warning


def test_a_crawl_after_one_recorded_in_the_future_is_the_last_one(tmp_path, caplog):
    source, path = _source(), tmp_path / "archive.db"
    # The clock, set back, records the next crawl before the one it got wrong.
    _crawls_began(path, source, FAR_AHEAD, "2024-07-04T23:00:05.000+00:00")
    with caplog.at_level(logging.WARNING, logger="govarchive.schedule"):
        assert due_sources(path, [source], datetime(2024, 7, 5, 7, 0, tzinfo=VN)) == []
        assert due_sources(path, [source], datetime(2024, 7, 6, 6, 0, 30, tzinfo=VN)) == [source]
    assert caplog.records == []


def test_with_every_crawl_recorded_in_the_future_the_source_is_due(sample_site, tmp_path, run_cli):
    (tmp_path / "s.toml").write_text(_sources(sample_site, ["portal"], schedule="* * * * *"), encoding="utf-8")
    run_cli("schedule", "--once", "--sources", "s.toml", "--db", "archive.db", "--max-pages", "3", check=True)
    conn = sqlite3.connect(tmp_path / "archive.db")
    with conn:
        conn.execute("update crawls set started_at = ?", [FAR_AHEAD])
    conn.close()
    result = run_cli("schedule", "--once", "--sources", "s.toml", "--db", "archive.db", "--max-pages", "3",
                     check=True)
    assert "Nothing is due." not in result.stderr
    assert re.search(r"WARNING sample-portal: the clock is behind the archive's last crawl of it: that crawl is "
                     r"recorded as begun at 2027-11-27T17:00:00\+00:00, and the clock says 20", result.stderr)
    assert "no crawl of it is recorded as begun before then, so it is due now" in result.stderr
    assert _crawled(tmp_path) == ["sample-portal", "sample-portal"]
