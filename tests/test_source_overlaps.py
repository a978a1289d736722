"""Two sources sharing a sitemap, a feed or a listing (a merger whose old source was left in the
file) split the site's articles between their ids as surely as a copy does: they are warned
about, and not only by `govarchive sources`: a crawl and the scheduler, which cron runs with
no one reading `sources`, say it too, on stderr, once."""

import logging
import os

from archive.schedule import Scheduler
from archive.sources import overlaps, parse_sources


def _source(source_id, home, pattern, discovery):
    return (f'[[source]]\nid = "{source_id}"\nname = "Sở {source_id}"\nkind = "province-portal"\n'
            f'home = "{home}"\nallowed_domains = ["haiphong.gov.vn"]\narticle_pattern = \'{pattern}\'\n'
            f'schedule = "0 */6 * * *"\n[source.discovery]\n{discovery}\n')


# Hải Dương's portal moved under haiphong.gov.vn after the merger; the new source reads the old
# one's feed among its own, and the old source was left in the file.
OLD = _source("haiduong", "https://haiphong.gov.vn/haiduong/", "/haiduong/tin/[0-9]+$",
              'feeds = ["https://haiphong.gov.vn/rss/haiduong.rss"]')
NEW = _source("haiphong", "https://haiphong.gov.vn/", "/tin/[0-9]+$",
              'sitemaps = ["https://haiphong.gov.vn/sitemap.xml"]\n'
              'feeds = ["https://haiphong.gov.vn/rss/tin.rss", "http://haiphong.gov.vn/rss/haiduong.rss"]')
OTHER = _source("other", "https://haiphong.gov.vn/khac/", "/khac/[0-9]+$",
                'sitemaps = ["https://haiphong.gov.vn/khac.xml"]')
WARNING = ("sources 'haiduong' and 'haiphong' have the same feed 'https://haiphong.gov.vn/rss/haiduong.rss', and "
           "their allowed_domains overlap: each article both reach is stored under whichever crawls it first")


def test_a_shared_feed_is_warned_about():
    assert overlaps(parse_sources(OLD + NEW + OTHER)) == [WARNING]


def test_a_url_one_lists_as_a_listing_and_the_other_as_a_feed_is_named_with_both():
    moved = OLD.replace('feeds = ["https://haiphong.gov.vn/rss/haiduong.rss"]',
                        'sitemaps = ["https://haiphong.gov.vn/sitemap.xml", "https://haiphong.gov.vn/rss/tin.rss"]')
    (line,) = overlaps(parse_sources(moved + NEW))
    assert line.startswith("sources 'haiduong' and 'haiphong' have the same sitemap 'https://haiphong.gov.vn/sitemap.xml' "
                           "(and 1 more discovery URL), ")
    listing = OLD.replace('feeds = ["https://haiphong.gov.vn/rss/haiduong.rss"]',
                          '[[source.discovery.listings]]\nurl = "https://haiphong.gov.vn/rss/tin.rss"\nnext = "a.next"')
    (line,) = overlaps(parse_sources(listing + NEW))
    assert line.startswith("sources 'haiduong' and 'haiphong' have the same URL 'https://haiphong.gov.vn/rss/tin.rss' "
                           "(a listing of 'haiduong', a feed of 'haiphong'), ")


def test_only_the_pairs_with_a_chosen_source_are_warned_about():
    sources = parse_sources(OLD + NEW + OTHER)
    assert overlaps(sources, among={"other"}) == []
    assert overlaps(sources, among={"haiphong"}) == [WARNING]


def test_a_crawl_warns_on_stderr_before_anything_else(tmp_path, run_cli):
    (tmp_path / "s.toml").write_text(OLD + NEW + OTHER, encoding="utf-8")
    # An archive path that is no archive: the crawl stops before the crawler starts, after the warning.
    (tmp_path / "not.db").write_text("not an archive", encoding="utf-8")
    for ids in (["--all"], ["haiduong"], ["haiphong", "-q"]):
        result = run_cli("crawl", *ids, "--sources", "s.toml", "--db", "not.db")
        assert result.returncode == 1 and result.stdout == "", (ids, result.stdout)
        first, *rest = result.stderr.splitlines()
        assert first == f"warning: {WARNING}", (ids, result.stderr)
        assert rest and rest[0].startswith("Error: "), (ids, result.stderr)
    result = run_cli("crawl", "other", "--sources", "s.toml", "--db", "not.db")
    assert "warning" not in result.stderr, result.stderr
    # A crawl the scheduler starts reads its copy of the file: the scheduler has warned already.
    copy = tmp_path / f"govarchive-schedule-{os.getpid()}-haiduong-x.toml"
    copy.write_text(OLD + NEW + OTHER, encoding="utf-8")
    result = run_cli("crawl", "haiduong", "--sources", copy, "--db", "not.db")
    assert result.returncode == 1 and "warning" not in result.stderr, result.stderr


def test_the_scheduler_warns_once_not_at_every_reload_nor_by_its_crawls(tmp_path, caplog):
    path = tmp_path / "s.toml"
    path.write_text(OLD + NEW + OTHER, encoding="utf-8")
    scheduler = Scheduler(tmp_path / "archive.db", path)
    with caplog.at_level(logging.WARNING, logger="govarchive.schedule"):
        scheduler._reload()
        scheduler._reload()
        path.write_text(OLD + NEW + OTHER + "# edited\n", encoding="utf-8")
        scheduler._reload()
    assert [r.getMessage() for r in caplog.records] == [f"{path}: {WARNING}"]
