"""How long a crawl took, when the wall clock moved while it ran (NTP, a clock set by hand): the
scheduler times it with a clock that only goes forward, and stats, which has only the recorded
times, says nothing rather than a duration below zero."""

import logging
import re
from datetime import datetime, timedelta, timezone

from archive import ingest
from archive.db import open_db
from archive.schedule import Scheduler
from archive.sources import parse_sources
from archive.stats import last_runs
from tests.test_schedule import _sources


def test_a_crawl_is_timed_whatever_the_wall_clock_does(sample_site, tmp_path, caplog):
    (tmp_path / "s.toml").write_text(_sources(sample_site, ["portal"]), encoding="utf-8")
    back = timedelta(0)
    scheduler = Scheduler(tmp_path / "archive.db", tmp_path / "s.toml", extra_args=["--max-pages", "3"],
                          clock=lambda: datetime.now(timezone.utc) - back)
    with caplog.at_level(logging.INFO, logger="govarchive.schedule"):
        assert scheduler.tick() == ["sample-portal"]
        back = timedelta(hours=1)  # NTP sets the clock back while the crawl runs
        scheduler.wait()
    seconds = float(re.search(r"sample-portal: crawl finished in (-?\d+) s", caplog.text).group(1))
    assert 0 <= seconds < 600, caplog.text


def test_stats_gives_no_duration_for_a_crawl_that_ended_before_it_began(tmp_path):
    source = parse_sources(
        '[[source]]\nid = "s"\nname = "S"\nkind = "press"\nhome = "https://s.vn/"\nallowed_domains = ["s.vn"]\n'
        'article_pattern = "x"\nschedule = "0 6 * * *"\n[source.discovery]\nfeeds = ["https://s.vn/rss"]\n'
    )[0]
    path = tmp_path / "archive.db"
    db = open_db(path)
    for started, finished in (("2024-07-05T10:00:00.000+00:00", "2024-07-05T09:00:02.500+00:00"),
                              ("2024-07-05T11:00:00.000+00:00", "2024-07-05T11:00:02.500+00:00")):
        crawl_id = ingest.start_crawl(db, source, max_pages=None)
        db.execute("update crawls set started_at = ?, finished_at = ?, status = 'ok' where id = ?",
                   [started, finished, crawl_id])
    db.conn.commit()
    assert [run["seconds"] for run in last_runs(db, path)] == [2.5, None]
    db.close()
