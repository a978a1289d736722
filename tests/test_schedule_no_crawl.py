"""What the scheduler says of a crawl that ended before it recorded anything: the signal that
stopped it (not a negative exit status), and no pointer to 'govarchive stats', which has nothing
to show."""

import logging
import os
import re
import signal
import time

from archive.schedule import Scheduler
from tests.test_schedule import _crawled, _sources


def test_a_crawl_stopped_as_it_started_is_said_stopped_by_its_signal(sample_site, tmp_path, caplog):
    (tmp_path / "s.toml").write_text(_sources(sample_site, ["portal"]), encoding="utf-8")
    scheduler = Scheduler(tmp_path / "archive.db", tmp_path / "s.toml", extra_args=["--max-pages", "3"])
    with caplog.at_level(logging.INFO, logger="govarchive.schedule"):
        assert scheduler.tick() == ["sample-portal"]
        # As systemctl stop does, while the crawl's Python is still starting: the scheduler
        # passes it on, and the crawl dies of it before it can take it as Ctrl-C. Sent only to a
        # scheduler that handles it, or it would end the tests' own process.
        assert signal.getsignal(signal.SIGTERM) == scheduler._stop
        os.kill(os.getpid(), signal.SIGTERM)
        scheduler.wait()
    assert scheduler.finished == [("sample-portal", -signal.SIGTERM)]
    (record,) = [r for r in caplog.records if r.getMessage().startswith("sample-portal: crawl")]
    assert record.levelno == logging.WARNING
    assert re.fullmatch(r"sample-portal: crawl stopped by SIGTERM after \d+ s, before it recorded a crawl; "
                        "the source is still due", record.getMessage()), record.getMessage()
    assert _crawled(tmp_path) == []


def test_a_crawl_killed_after_it_recorded_one_points_at_stats(sample_site, tmp_path, caplog):
    (tmp_path / "s.toml").write_text(_sources(sample_site, ["portal"]), encoding="utf-8")
    scheduler = Scheduler(tmp_path / "archive.db", tmp_path / "s.toml", extra_args=["--max-pages", "3"])
    with caplog.at_level(logging.INFO, logger="govarchive.schedule"):
        assert scheduler.tick() == ["sample-portal"]
        run = scheduler.running["sample-portal"]
        deadline = time.monotonic() + 60
        while not _crawled(tmp_path):
            assert run.process.poll() is None, "the crawl ended before it recorded one"
            assert time.monotonic() < deadline, "the crawl recorded nothing in 60 s"
            time.sleep(0.05)
        run.process.kill()
        scheduler.wait()
    (record,) = [r for r in caplog.records if r.getMessage().startswith("sample-portal: crawl")]
    assert record.levelno == logging.ERROR
    assert record.getMessage().startswith("sample-portal: crawl killed by SIGKILL after ")
    assert record.getMessage().endswith(" s; see 'govarchive stats'")


def test_a_crawl_that_failed_before_it_recorded_one_does_not_point_at_stats(sample_site, tmp_path, caplog):
    (tmp_path / "s.toml").write_text(_sources(sample_site, ["portal"]), encoding="utf-8")
    db = tmp_path / "archive.db"
    scheduler = Scheduler(db, tmp_path / "s.toml", extra_args=["--max-pages", "3"])
    with caplog.at_level(logging.INFO, logger="govarchive.schedule"):
        assert scheduler.tick() == ["sample-portal"]
        # The archive is taken from under the crawl as it starts: it fails in its one line.
        db.unlink()
        db.mkdir()
        scheduler.wait()
    (record,) = [r for r in caplog.records if r.getMessage().startswith("sample-portal: crawl")]
    assert record.levelno == logging.ERROR
    assert "govarchive stats" not in record.getMessage()
    assert record.getMessage().startswith("sample-portal: crawl failed (exit status ")
    assert record.getMessage().endswith(", before it recorded a crawl (its error is above)")


def test_a_crawl_the_scheduler_stopped_after_it_recorded_one_is_said_stopped(sample_site, tmp_path, caplog):
    # The scheduler's own stop, passed on as a signal the crawl died of: not "killed".
    (tmp_path / "s.toml").write_text(_sources(sample_site, ["portal"]), encoding="utf-8")
    scheduler = Scheduler(tmp_path / "archive.db", tmp_path / "s.toml", extra_args=["--max-pages", "3"])
    with caplog.at_level(logging.INFO, logger="govarchive.schedule"):
        assert scheduler.tick() == ["sample-portal"]
        deadline = time.monotonic() + 60
        while not _crawled(tmp_path):
            assert time.monotonic() < deadline, "the crawl recorded nothing in 60 s"
            time.sleep(0.05)
        scheduler.stop_signal = signal.SIGKILL  # one no process can take as Ctrl-C
        scheduler.wait()
    (record,) = [r for r in caplog.records if r.getMessage().startswith("sample-portal: crawl")]
    assert record.getMessage().startswith("sample-portal: crawl stopped by SIGKILL after ")
