"""End to end: a real Scrapy crawl of the sample site over HTTP into a real SQLite file."""

import io
import json
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from archive.warc import RecordPointer, default_warc_dir, read_record
from tests.conftest import crawl_into, query

WARCIO = str(Path(sys.executable).with_name("warcio"))


@pytest.fixture(scope="module")
def first_crawl(crawled_archive):
    return (crawled_archive / "first-crawl.out").read_text(encoding="utf-8")



def test_archives_exactly_the_sample_articles(sample_site, crawled_archive, first_crawl):
    urls = {r["url"] for r in query(crawled_archive, "select url from articles")}
    assert urls == sample_site.expected_article_urls()
    assert len(urls) >= 40
    crawls = query(crawled_archive, "select * from crawls order by id")
    assert {c["source_id"] for c in crawls} == {"sample-portal", "sample-magazine", "sample-news"}
    assert all(c["status"] == "ok" for c in crawls)
    assert sum(c["articles_new"] for c in crawls) == len(urls)
    assert "sample-portal" in first_crawl
    # the pages the crawl freed (merged index segments, the drained frontier) went back
    assert query(crawled_archive, "pragma auto_vacuum")[0]["auto_vacuum"] == 2
    assert query(crawled_archive, "pragma freelist_count")[0]["freelist_count"] == 0


def test_nothing_disallowed_or_offsite_is_fetched(sample_site, crawled_archive, first_crawl):
    rows = query(crawled_archive, "select url, status, error from fetches")
    disallowed = [r for r in rows if "/noi-bo/" in r["url"]]
    assert disallowed, "the robots-disallowed section is linked from listings"
    assert all(r["status"] is None and r["error"].startswith("skipped: ") for r in disallowed)
    assert all("robots.txt" in r["error"] for r in disallowed)
    fetched = {r["url"] for r in rows if r["status"] is not None}
    assert not [u for u in fetched if "/noi-bo/" in u]
    assert not [u for u in fetched if "/tag/" in u or "tim-kiem" in u]
    assert not [u for u in fetched if "utm_" in u or "#" in u]
    hosts = {u.split("/")[2] for u in fetched}
    assert hosts <= {b.split("/")[2] for b in sample_site.base_urls.values()}


def test_articles_have_extracted_fields(sample_site, crawled_archive, first_crawl):
    rows = query(crawled_archive, "select * from articles")
    for row in rows:
        assert row["title"], row["url"]
        # a full timestamp in +07:00, or the bare day where the page gives no time
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}\+07:00)?", row["published"] or ""), row
        assert row["word_count"] > 50, row["url"]
        assert row["extractor_version"]
        assert row["first_seen"] == row["last_seen"]


def test_each_keyword_of_an_article_is_a_tag_of_its_own(sample_site, crawled_archive, first_crawl):
    # The sample pages list their tags in one keywords meta tag, comma-separated.
    for article in sample_site.articles:
        (row,) = query(crawled_archive, "select tags from articles where url = ?", [sample_site.article_url(article["key"])])
        assert json.loads(row["tags"]) == article["tags"], article["key"]


def test_captures_are_byte_identical_and_valid_warc(sample_site, crawled_archive, first_crawl):
    warc_dir = default_warc_dir(crawled_archive / "archive.db")
    files = sorted(warc_dir.glob("*.warc.gz"))
    assert files
    for path in files:
        check = subprocess.run([WARCIO, "check", str(path)], capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr
        subprocess.run([WARCIO, "index", str(path)], capture_output=True, check=True)
    rows = query(
        crawled_archive,
        "select a.url, f.warc_file, f.warc_offset, f.warc_length from articles a join fetches f on f.id = a.fetch_id",
    )
    assert len(rows) == len(sample_site.expected_article_urls())
    for row in rows:
        assert row["warc_file"].startswith("archive-warc/")
        stored = read_record(crawled_archive, RecordPointer(row["warc_file"], row["warc_offset"], row["warc_length"]))
        assert stored.url == row["url"]
        assert stored.body == sample_site.page_bytes(row["url"])
        # As it came off the wire: gzipped by the server, kept so (not deflated again); the
        # chunked framing, which the HTTP client undid, is not claimed.
        assert stored.headers["Content-Encoding"] == "gzip"
        assert "Transfer-Encoding" not in stored.headers
        request = urllib.request.Request(row["url"], headers={"Accept-Encoding": "gzip"})
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.read() in stored.raw_record
        # The request record says what was asked for: the Vietnamese variant of the page, in
        # codings that WARC replay tools can undo.
        (sent,) = [r for r in ArchiveIterator(io.BytesIO(stored.raw_record)) if r.rec_type == "request"]
        assert sent.http_headers.get_header("Accept-Language").startswith("vi")
        assert sent.http_headers.get_header("Accept-Encoding") == "gzip, deflate"
    # robots.txt, sitemaps, feeds and listings are captured too
    index = "".join(
        subprocess.run([WARCIO, "index", str(p)], capture_output=True, text=True).stdout for p in files
    )
    assert "/robots.txt" in index
    assert "sitemap" in index


def test_second_crawl_adds_no_duplicates(sample_site, crawled_archive, first_crawl):
    before = query(crawled_archive, "select count(*) as n from articles")[0]["n"]
    result = crawl_into(crawled_archive)
    assert result.returncode == 0, result.stderr
    assert query(crawled_archive, "select count(*) as n from articles")[0]["n"] == before
    latest = query(crawled_archive, "select * from crawls order by id desc limit 3")
    assert sum(c["articles_new"] for c in latest) == 0
    # Conditional re-fetches of what discovery still reaches; older listing pages are spared.
    assert 0 < sum(c["articles_not_modified"] for c in latest) <= before
    rows = query(crawled_archive, "select first_seen, last_seen from articles")
    assert all(r["last_seen"] >= r["first_seen"] for r in rows)


def test_max_pages_bounds_each_source(sample_site, tmp_path):
    (tmp_path / "sources.toml").write_text(sample_site.sources_toml(), encoding="utf-8")
    result = crawl_into(tmp_path, "--max-pages", "5")
    assert result.returncode == 0, result.stderr
    # A URL robots.txt skipped has a fetch row but is no page.
    per_source = query(tmp_path, "select source_id, count(*) as n from fetches "
                                 "where coalesce(error not like 'skipped:%', 1) group by source_id")
    assert len(per_source) == 3
    assert all(r["n"] <= 5 for r in per_source)


def test_search_cli_finds_zalo_articles(sample_site, crawled_archive, first_crawl):
    result = subprocess.run(
        [str(Path(sys.executable).with_name("govarchive")), "search", "Zalo", "--db", "archive.db",
         "--json", "--limit", "100"],
        cwd=crawled_archive, capture_output=True, text=True, check=True,
    )
    found = {json.loads(line)["url"] for line in result.stdout.splitlines()}
    zalo = {
        sample_site.article_url(a["key"])
        for a in sample_site.articles
        if "zalo" in (a["title"] + " ".join(a["paragraphs"]) + a["sapo"]).lower()
    }
    assert zalo and zalo <= found
    for key in ("seed-000", "seed-001", "seed-004"):
        assert any(sample_site.article_url(a["key"]) in found for a in sample_site.articles if a["key"].startswith(key))


def test_unreachable_source_is_reported(tmp_path):
    (tmp_path / "sources.toml").write_text(
        '[[source]]\nid = "gone"\nname = "Gone"\nkind = "press"\nhome = "http://127.0.0.1:9/"\n'
        'allowed_domains = ["127.0.0.1"]\narticle_pattern = "/a-\\\\d+$"\nschedule = "0 * * * *"\n'
        '[source.discovery]\nfeeds = ["http://127.0.0.1:9/rss"]\n',
        encoding="utf-8",
    )
    result = crawl_into(tmp_path, "--quiet")
    assert result.returncode == 1
    assert "Could not crawl: gone (unreachable). See the fetches table for each error." in result.stderr
    assert "gone: unreachable: " in result.stderr and "Connection" in result.stderr
    assert "Traceback" not in result.stderr
    (fetch,) = query(tmp_path, "select * from fetches where url like '%/rss'")
    assert fetch["status"] is None and "Connection" in fetch["error"]


def test_a_pattern_that_matches_no_link_makes_the_crawl_empty_and_says_why(sample_site, tmp_path):
    pattern = sample_site.sites["news"].article_pattern()
    (tmp_path / "sources.toml").write_text(
        sample_site.sources_toml().replace(pattern, r"^http://127\.0\.0\.1:1/bai-viet/\d+$"), encoding="utf-8")
    result = crawl_into(tmp_path)
    assert result.returncode == 1
    crawls = {r["source_id"]: r for r in query(tmp_path, "select source_id, status, pages from crawls")}
    assert crawls["sample-news"]["status"] == "empty" and crawls["sample-news"]["pages"] > 0
    assert crawls["sample-portal"]["status"] == crawls["sample-magazine"]["status"] == "ok"
    assert re.search(r"sample-news: crawl \d+: no link on its \d+ pages matches article_pattern", result.stderr)
    assert "Could not crawl: sample-news (empty)" in result.stderr
    # A crawl that meets only archived articles is still ok: a 304 or a spared sitemap entry
    # is an article met.
    (tmp_path / "sources.toml").write_text(sample_site.sources_toml(), encoding="utf-8")
    assert crawl_into(tmp_path).returncode == 0
    assert crawl_into(tmp_path).returncode == 0


def test_warc_folder_and_rotation_are_configurable(sample_site, tmp_path):
    from archive.captures import read_capture
    from archive.crawl import run_crawl

    (tmp_path / "db").mkdir()
    sources = tmp_path / "sources.toml"
    sources.write_text(sample_site.sources_toml(), encoding="utf-8")
    elsewhere = tmp_path / "warc-store"
    rows = run_crawl(
        tmp_path / "db" / "archive.db", sources_file=sources, log_level="WARNING",
        warc_dir=elsewhere, warc_max_size=200_000,
    )
    assert all(r["status"] == "ok" for r in rows)
    files = sorted(elsewhere.glob("*.warc.gz"))
    assert len(files) > 3
    for path in files:
        assert subprocess.run([WARCIO, "check", str(path)], capture_output=True).returncode == 0
    fetches = query(tmp_path / "db", "select f.* from articles a join fetches f on f.id = a.fetch_id")
    assert len(fetches) == len(sample_site.expected_article_urls())
    for fetch in fetches:
        assert fetch["warc_file"].startswith(str(elsewhere))
        assert read_capture(tmp_path / "db" / "archive.db", fetch).body == sample_site.page_bytes(fetch["url"])


def test_no_spider_callback_is_a_generator_returning_a_value():
    """The check crawler/settings.py turns off (WARN_ON_GENERATOR_RETURN_VALUE), made once here:
    a generator callback's returned value would be lost without a word."""
    import inspect

    from scrapy.utils.misc import is_generator_with_return_value

    from crawler.spiders.source import SourceSpider

    generators = {name: f for name, f in vars(SourceSpider).items() if inspect.isgeneratorfunction(f)}
    assert {"parse_article", "parse_listing", "parse_sitemap", "parse_feed"} <= set(generators)
    assert [name for name, f in generators.items() if is_generator_with_return_value(f)] == []
