"""Incremental crawls: conditional re-fetches, versions, stop-when-seen, backfill, health."""

import os
import re

import pytest
from warcio.archiveiterator import ArchiveIterator

from archive.captures import read_capture
from archive.samplesite import SampleSite
from crawler.spiders.source import _surely_before
from tests.conftest import crawl_into, query, serve_routes
from tests.test_variants import write_sources


@pytest.fixture
def site():
    with SampleSite() as running:
        yield running


@pytest.fixture
def folder(site, tmp_path):
    (tmp_path / "sources.toml").write_text(site.sources_toml(), encoding="utf-8")
    return tmp_path


def crawl(folder, *args):
    result = crawl_into(folder, "--quiet", *args)
    assert result.returncode == 0, result.stdout + result.stderr
    return result



def article_requests(site, since):
    urls = site.expected_article_urls()
    paths = {u.split("/", 3)[3] for u in urls}
    return [r for r in site.requests[since:] if r[0].lstrip("/").split("?")[0] in paths]


def test_unchanged_site_is_refetched_only_conditionally(site, folder):
    crawl(folder)
    versions = query(folder, "select count(*) as n from article_versions")[0]["n"]
    mark = len(site.requests)
    # Not --quiet: the crawler's own closing lines are checked too.
    result = crawl_into(folder)
    assert result.returncode == 0, result.stdout + result.stderr
    summary = result.stdout
    seen = article_requests(site, mark)
    # Stop-when-seen spares older listing pages, so only what discovery still reaches is asked.
    assert 0 < len(seen) <= len(site.expected_article_urls())
    assert all(etag and since for _, etag, since, _ in seen)
    assert {status for *_, status in seen} == {304}
    assert query(folder, "select count(*) as n from article_versions")[0]["n"] == versions
    last = query(folder, "select * from crawls order by id desc limit 3")
    assert sum(c["articles_not_modified"] for c in last) == len(seen)
    assert sum(c["articles_new"] + c["articles_changed"] for c in last) == 0
    # The summary's "same" column counts the articles answered 304 as unchanged.
    header, *lines = summary.splitlines()
    assert header.split()[3:6] == ["new", "changed", "same"]
    assert sum(int(line.split()[5]) for line in lines) == len(seen)
    # Without Scrapy's ~100 lines a source of settings, components and stats dumps.
    assert "Overridden settings" not in result.stderr and "Dumping Scrapy stats" not in result.stderr
    assert len(result.stderr.splitlines()) < 60, result.stderr
    closing = re.findall(r": crawl \d+ ok: .*, (\d+) unchanged", result.stderr)
    assert len(closing) == 3 and sum(map(int, closing)) == len(seen), result.stderr[-2000:]
    rows = query(folder, "select url, first_seen, last_seen from articles")
    refetched = {r[0] for r in seen}
    assert all(r["last_seen"] >= r["first_seen"] for r in rows)
    assert sum(r["last_seen"] > r["first_seen"] for r in rows) == len(refetched)


def test_edit_makes_exactly_one_version_and_noise_none(site, folder, run_cli):
    crawl(folder)
    edited = next(a for a in site.articles if a.get("seed") == "001")
    noisy = next(a for a in site.articles if a.get("seed") == "003")
    paragraphs = list(edited["paragraphs"])
    paragraphs[1] = paragraphs[1] + " Bộ Nội vụ cho biết sẽ bổ sung chuyên mục hỏi đáp chính sách."
    site.edit_article(edited["key"], paragraphs=paragraphs)
    site.edit_article(noisy["key"], views=999_999)
    crawl(folder)
    versions = query(
        folder,
        "select a.url, v.version, v.text from article_history v join articles a on a.id = v.article_id "
        "order by a.url, v.version",
    )
    by_url = {}
    for v in versions:
        by_url.setdefault(v["url"], []).append(v)
    edited_url, noisy_url = site.article_url(edited["key"]), site.article_url(noisy["key"])
    assert [v["version"] for v in by_url[edited_url]] == [1, 2]
    assert "chuyên mục hỏi đáp" in by_url[edited_url][1]["text"]
    assert "chuyên mục hỏi đáp" not in by_url[edited_url][0]["text"]
    assert len(by_url[noisy_url]) == 1
    assert all(len(v) == 1 for url, v in by_url.items() if url != edited_url)
    # Each text is stored once: the current reading lives in the articles row only, the one
    # it replaced was copied into its version row when it was replaced.
    stored = query(folder, "select v.version, v.in_articles, v.text from article_versions v "
                           "join articles a on a.id = v.article_id where a.url = ? order by v.version", [edited_url])
    assert [(v["in_articles"], v["text"] is None) for v in stored] == [(None, False), (1, True)]
    assert query(folder, "select count(*) as n from article_versions where text is not null")[0]["n"] == 1
    last = query(folder, "select sum(articles_changed) as c, sum(articles_unchanged) as u from "
                     "(select * from crawls order by id desc limit 3)")[0]
    # Sidebars ("most viewed") change with the counter, so more pages than the noisy one come
    # back 200; none of them may count as changed.
    assert last["c"] == 1 and last["u"] >= 1
    first_capture = query(folder, "select v.fetch_id from article_versions v join articles a on a.id = v.article_id "
                              "where a.url = ? and v.version = 1", [edited_url])[0]["fetch_id"]
    assert first_capture is not None
    # A WARC export holds what the article said before it changed, as well as what it says now.
    source = query(folder, "select source_id from articles where url = ?", [edited_url])[0]["source_id"]
    run_cli("export", "--format", "warc", "--source", source, "--db", folder / "archive.db", "-o", folder / "out.warc.gz",
            check=True)
    with open(folder / "out.warc.gz", "rb") as f:
        captured = [r.rec_headers.get_header("WARC-Target-URI") for r in ArchiveIterator(f) if r.rec_type == "response"]
    assert captured.count(edited_url) == 2


def test_stop_when_seen_and_backfill(site, folder):
    crawl(folder)
    older_page = re.compile(r"[?&](page|trang)=\d+|/trang-\d+")

    def listing_pages(since):
        return [r for r in site.requests[since:] if older_page.search(r[0])]

    mark = len(site.requests)
    crawl(folder)
    assert listing_pages(mark) == []
    mark = len(site.requests)
    crawl(folder, "--backfill")
    assert listing_pages(mark)
    assert query(folder, "select backfill from crawls order by id desc limit 1")[0]["backfill"] == 1


def test_sitemap_lastmod_spares_unchanged_articles(site, folder):
    # Without re-checks, which would ask for the spared articles of so small a site all the same.
    sources = folder / "sources.toml"
    sources.write_text(sources.read_text(encoding="utf-8").replace("[source.discovery]\n", "[source.discovery]\nrecheck = 0\n"),
                       encoding="utf-8")
    crawl(folder)
    portal = {site.article_url(a["key"]).split("/", 3)[3]: a for a in site.articles if a["site"] == "portal"}
    edited = next(a for a in site.articles if a["key"] == "portal-da-nang-xu-ly-tin-gia-covid-2020")
    site.edit_article(edited["key"], paragraphs=[*edited["paragraphs"], "Sở bổ sung số liệu tin giả đã xử lý trong quý."])
    edited_path = site.article_url(edited["key"]).split("/", 3)[3]

    def portal_requests(since):
        return {r[0].lstrip("/"): r for r in article_requests(site, since) if r[0].lstrip("/") in portal}

    def sitemap_unchanged():
        return query(folder, """select json_extract(stats, '$."archive/sitemap_unchanged"') as n from crawls
                                where source_id = 'sample-portal' order by id desc limit 1""")[0]["n"] or 0

    mark = len(site.requests)
    crawl(folder)
    asked = portal_requests(mark)
    # The article the sitemap dates after its capture is asked for (and changed); those it
    # dates before are not asked for at all, unless the listing's first page shows them.
    assert asked[edited_path][3] == 200
    assert query(folder, "select count(*) as n from article_versions v join articles a on a.id = v.article_id "
                         "where a.url = ?", [site.article_url(edited["key"])])[0]["n"] == 2
    spared = set(portal) - set(asked)
    assert spared and sitemap_unchanged() == len(spared)
    assert all(r[3] == 304 for path, r in asked.items() if path != edited_path)
    # --backfill is the full sweep: every archived article is asked for again, conditionally.
    mark = len(site.requests)
    crawl(folder, "--backfill")
    assert set(portal_requests(mark)) == set(portal)
    assert sitemap_unchanged() == 0


@pytest.mark.parametrize("loss", ["removed", "emptied", "zero-filled", "zero-filled from within a capture"])
def test_an_article_whose_warc_file_is_lost_is_captured_again(site, folder, loss):
    crawl(folder)
    versions = query(folder, "select count(*) as n from article_versions")[0]["n"]
    lost = [r["warc_file"] for r in query(folder, "select distinct warc_file from fetches "
                                                  "where source_id = 'sample-portal' and warc_file is not null")]
    for name in lost:
        if loss == "removed":
            (folder / name).unlink()
        elif loss == "emptied":  # as a file written and never synced is found after a power cut
            os.truncate(folder / name, 0)
        else:
            # As a file whose length reached the disk and whose data did not is found (ext4's
            # data=writeback): from the file's start, or from within its first article capture on.
            start = 0
            if loss == "zero-filled from within a capture":
                start = query(folder, "select min(f.warc_offset + f.warc_length / 2) as middle from articles a "
                                      "join fetches f on f.id = a.fetch_id where f.warc_file = ?", [name])[0]["middle"]
            size = (folder / name).stat().st_size
            with open(folder / name, "r+b") as f:
                f.seek(start)
                f.write(bytes(size - start))
    portal = {site.article_url(a["key"]).split("/", 3)[3] for a in site.articles if a["site"] == "portal"}
    mark = len(site.requests)
    crawl(folder)
    asked = {r[0].lstrip("/"): r for r in article_requests(site, mark)}
    # Asked for without validators, so answered with the page rather than a 304; and not spared
    # by the sitemap's <lastmod>, which dates the archived reading, not its lost capture.
    assert portal <= set(asked)
    assert all(r[1] is None and r[2] is None and r[3] == 200 for path, r in asked.items() if path in portal)
    # Captures on disk are still relied on.
    assert all(r[3] == 304 for path, r in asked.items() if path not in portal)
    captures = query(folder, "select a.url, f.* from articles a join fetches f on f.id = a.fetch_id")
    assert all(read_capture(folder / "archive.db", f).body for f in captures)
    marks = ", ".join("?" * len(lost))
    for table in ("articles", "article_versions", "article_urls"):
        assert query(folder, f"select count(*) as n from {table} t join fetches f on f.id = t.fetch_id "
                             f"where f.warc_file in ({marks})", lost)[0]["n"] == 0, table
    assert query(folder, "select count(*) as n from article_versions")[0]["n"] == versions
    assert query(folder, "select articles_unchanged from crawls where source_id = 'sample-portal' "
                         "order by id desc limit 1")[0]["articles_unchanged"] == len(portal)


@pytest.mark.parametrize(("lastmod", "confirmed", "before"), [
    ("2026-11-20", "2026-11-22T00:00:00.000+00:00", True),
    # A day alone may end as late as UTC-12 puts it: not surely before the next morning in UTC.
    ("2026-11-20", "2026-11-21T11:00:00.000+00:00", False),
    ("2026-11-20T10:00:00+07:00", "2026-11-20T03:00:01.000+00:00", True),
    ("2026-11-20T10:00:00+07:00", "2026-11-20T03:00:00.000+00:00", False),
    ("2026-11-20T10:00:00Z", "2026-11-20T10:30:00.000+00:00", True),
    # No zone: read as the westernmost.
    ("2026-11-20T10:00:00", "2026-11-20T21:00:00.000+00:00", False),
    ("2026-11-20T10:00:00", "2026-11-20T22:30:00.000+00:00", True),
    ("2026-11", "2030-01-01T00:00:00.000+00:00", False),
    ("hôm qua", "2030-01-01T00:00:00.000+00:00", False),
    ("  2026-11-20T10:00:00+07:00\n", "2026-11-21T00:00:00.000+00:00", True),
])
def test_lastmod_is_before_only_however_it_is_read(lastmod, confirmed, before):
    assert _surely_before(lastmod, confirmed) is before


def test_broken_template_shows_in_health(site, folder):
    first = crawl(folder)
    site.break_articles("magazine")
    second = crawl(folder)
    # The crawl says so: its articles were archived as served, and nothing else would tell.
    assert "read much worse" not in first.stderr
    (said,) = [line for line in second.stderr.splitlines() if "read much worse" in line]
    assert re.search(r"sample-magazine: crawl \d+: its 15 articles read much worse than crawl \d+'s: 0% have a title "
                     r"\(100% then\), 0% a date \(100% then\), 0% 50 words or more \(100% then\): "
                     r"has the site changed its page template\? .*"
                     r"'govarchive reextract --source sample-magazine'", said), said
    health = {r["source_id"]: r for r in query(folder, "select * from crawl_health order by crawl_id desc limit 3")}
    assert health["sample-portal"]["pct_title"] == 100.0
    assert health["sample-news"]["pct_date"] == 100.0
    broken = health["sample-magazine"]
    assert broken["articles_checked"] == 15
    assert broken["pct_50_words"] == 0.0 and broken["pct_date"] < 100


def test_stats_command_prints_last_runs(site, folder, run_cli):
    crawl(folder)
    result = run_cli("stats", "--db", folder / "archive.db", check=True)
    for source in ("sample-portal", "sample-magazine", "sample-news"):
        assert source in result.stdout
    assert "title" in result.stdout and "100%" in result.stdout


def test_an_article_is_asked_again_with_the_validators_of_its_latest_answer(tmp_path):
    # The page reads the same on each crawl, but its server gives an ETag only from the second:
    # the third crawl asks with it and is answered 304.
    page = ("<html lang='vi'><head><meta charset='utf-8'><title>Hà Tĩnh mở kênh Zalo OA</title></head><body>"
            "<article><h1>Hà Tĩnh mở kênh Zalo OA</h1><div class='date'>08/04/2021 16:20</div>"
            + "<p>Sở Thông tin và Truyền thông hướng dẫn các xã lập tài khoản Zalo OA để trả lời người dân.</p>" * 6
            + "</article></body></html>").encode()
    state = {"etag": None}
    asked = []

    def routes(path, base, headers):
        if path == "/robots.txt":
            return b"User-agent: *\nAllow: /\n", "text/plain"
        if path == "/list":
            return b"<html><body><a href='/a/ha-tinh-zalo-oa-1022040801.htm'>x</a></body></html>", "text/html"
        if path == "/a/ha-tinh-zalo-oa-1022040801.htm":
            asked.append(headers.get("If-None-Match"))
            if state["etag"] and headers.get("If-None-Match") == state["etag"]:
                return 304, {"ETag": state["etag"]}, b""
            extra = {"ETag": state["etag"]} if state["etag"] else {}
            return 200, {"Content-Type": "text/html; charset=utf-8", **extra}, page
        return None

    with serve_routes(routes, with_headers=True) as (base, _hits):
        write_sources(tmp_path, base)
        crawl(tmp_path)
        state["etag"] = '"v1"'
        crawl(tmp_path)
        crawl(tmp_path)
    assert asked == [None, None, '"v1"']
    assert query(tmp_path, "select status from fetches where url like '%0801.htm' order by id") == [
        {"status": 200}, {"status": 200}, {"status": 304}]
