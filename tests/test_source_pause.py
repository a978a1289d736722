"""A source paused in sources.toml (``enabled = false``): left out of crawls of every source and of
the schedule, crawled when named, listed as paused; its archived articles stay searchable."""

import re
import subprocess
import sys

import pytest

from archive.db import open_db
from archive.search import search
from archive.sources import SourcesError, overlaps, parse_sources
from tests.conftest import query
from tests.test_schedule import YEARLY, _sources
from tests.test_sources import GOOD

PAUSED = 'schedule = "0 */6 * * *"\nenabled = false\n'


def _paused(text: str) -> str:
    return text.replace('schedule = "0 */6 * * *"\n', PAUSED)


def test_enabled_is_true_unless_written_false():
    (source,) = parse_sources(GOOD)
    assert source.enabled is True
    (source,) = parse_sources(_paused(GOOD))
    assert source.enabled is False
    (source,) = parse_sources(GOOD.replace('schedule = "0 */6 * * *"\n', 'schedule = "0 */6 * * *"\nenabled = true\n'))
    assert source.enabled is True


@pytest.mark.parametrize("value, shown", [('"false"', "'false'"), ("0", "0"), ("[]", "[]")])
def test_enabled_must_be_true_or_false(value, shown):
    text = GOOD.replace('schedule = "0 */6 * * *"\n', f'schedule = "0 */6 * * *"\nenabled = {value}\n')
    with pytest.raises(SourcesError) as caught:
        parse_sources(text)
    assert str(caught.value) == (f"sources.toml: source 'demo-portal': field 'enabled': must be true or false "
                                 f"(false: paused, crawled only when named), not {shown} (line 10; the source "
                                 "starts at line 2)")


def test_a_paused_source_is_no_overlap_unless_it_is_crawled():
    copy = GOOD.replace('id = "demo-portal"', 'id = "demo-copy"')
    sources = parse_sources(GOOD + _paused(copy))
    assert overlaps(sources) == []
    assert overlaps(sources, among={"demo-portal"}) == []
    (line,) = overlaps(sources, among={"demo-copy"})
    assert line.startswith("sources 'demo-portal' and 'demo-copy' have the same home")


def test_the_sources_command_lists_a_paused_source_as_paused(tmp_path, run_cli):
    other = GOOD.replace("demo-portal", "other-portal").replace("hanoi", "hue")
    (tmp_path / "s.toml").write_text(GOOD + _paused(other), encoding="utf-8")
    result = run_cli("sources", "--sources", "s.toml", check=True)
    lines = result.stdout.splitlines()
    assert re.match(r"demo-portal +province-portal +0 \*/6 \* \* \* ", lines[0]), lines
    assert re.match(r"other-portal +province-portal +paused \(0 \*/6 \* \* \*\) ", lines[1]), lines
    assert lines[2] == "2 sources (1 paused), file is valid."
    # The columns stay in line past the schedule, however long a paused one's is.
    assert lines[0].index("1 sitemaps") == lines[1].index("1 sitemaps"), lines


def test_crawl_all_skips_a_paused_source_and_a_named_one_is_crawled(sample_site, tmp_path, run_cli):
    text = _sources(sample_site, ["portal", "magazine"], schedule="0 */6 * * *")
    magazine = text.index('[[source]]', 1)
    text = _paused(text[:magazine]) + text[magazine:]
    (tmp_path / "sources.toml").write_text(text, encoding="utf-8")
    every = run_cli("crawl", "--all", "--db", "archive.db", "--max-pages", "2", check=True)
    assert "note: paused in sources.toml (enabled = false), so skipped: sample-portal\n" in every.stderr
    assert [r["source_id"] for r in query(tmp_path, "select source_id from crawls")] == ["sample-magazine"]
    named = run_cli("crawl", "sample-portal", "--db", "archive.db", "--max-pages", "4", check=True)
    assert "note: sample-portal is paused in sources.toml (enabled = false); crawling as named\n" in named.stderr
    assert [r["source_id"] for r in query(tmp_path, "select source_id from crawls order by id")] == [
        "sample-magazine", "sample-portal"]
    # Paused, its articles are searched as any others.
    (title,) = [r["title"] for r in query(tmp_path, "select title from articles where source_id = "
                                                    "'sample-portal' order by id limit 1")]
    db = open_db(tmp_path / "archive.db")
    try:
        found = search(db, f'title:"{title}"', source="sample-portal")
    finally:
        db.close()
    assert [r["title"] for r in found][:1] == [title]


def test_nothing_is_crawled_or_scheduled_when_every_source_is_paused(sample_site, tmp_path, run_cli):
    (tmp_path / "sources.toml").write_text(_paused(_sources(sample_site, ["portal"], schedule="0 */6 * * *")),
                                           encoding="utf-8")
    crawl = run_cli("crawl", "--all", "--db", "archive.db")
    assert crawl.returncode == 0, crawl.stderr
    assert (crawl.stdout, crawl.stderr) == ("", "note: every source in sources.toml is paused (enabled = false): "
                                                "nothing to crawl; name one to crawl it all the same\n")
    crawler = subprocess.run([sys.executable, "-m", "crawler", "--db", "archive.db", "--sources", "sources.toml"],
                             cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert (crawler.returncode, crawler.stderr) == (
        0, "note: every source in sources.toml is paused (enabled = false): nothing to crawl\n")
    scheduled = run_cli("schedule", "--once", "--db", "archive.db", check=True)
    assert scheduled.stderr.count("paused in sources.toml (enabled = false), so skipped: sample-portal") == 1
    assert "Nothing is due." in scheduled.stderr
    assert query(tmp_path, "select id from crawls") == []


def test_the_scheduler_says_once_which_sources_are_paused(sample_site, tmp_path, caplog):
    from archive.schedule import Scheduler

    (tmp_path / "s.toml").write_text(_paused(_sources(sample_site, ["portal"], schedule=YEARLY).replace(
        f'schedule = "{YEARLY}"', 'schedule = "0 */6 * * *"')), encoding="utf-8")
    scheduler = Scheduler(tmp_path / "archive.db", tmp_path / "s.toml")
    with caplog.at_level("INFO", logger="govarchive.schedule"):
        for _ in range(3):
            assert scheduler.tick() == []
    said = [r.getMessage() for r in caplog.records if "paused" in r.getMessage()]
    assert said == [f"paused in {tmp_path / 's.toml'} (enabled = false), so skipped: sample-portal"]
