"""--max-pages counts the requests a crawl sent to the site: a URL robots.txt skipped is no page,
and takes no page's place in the budget."""

import json
import sqlite3

import pytest

from archive import ingest
from archive.db import open_db
from archive.sources import parse_sources
from tests.conftest import crawl_into, govarchive, serve_routes

PARAGRAPH = (
    "<p>Sở Thông tin và Truyền thông thông báo lịch cập nhật Cổng thông tin điện tử của tỉnh trong tuần, "
    "theo Kế hoạch 174/KH-UBND, bài số {n}; bạn đọc theo dõi thêm trên kênh Zalo OA của Sở.</p>"
)
# The feed lists the articles robots.txt forbids first: made first, they would use up the budget.
PRIVATE = [f"/noi-bo/bai-{n}.html" for n in range(3)]
PUBLIC = [f"/tin/bai-{n}.html" for n in range(3, 6)]


def _routes(robots_status):
    def routes(path, base):
        if path == "/robots.txt":
            if robots_status != 200:
                return robots_status, {"Content-Type": "text/plain"}, b"down"
            return b"User-agent: *\nDisallow: /noi-bo/\n", "text/plain"
        if path.startswith("/rss"):
            items = "".join(f"<item><link>{base}{p}</link></item>" for p in PRIVATE + PUBLIC)
            return f"<rss version='2.0'><channel>{items}</channel></rss>".encode(), "application/rss+xml"
        if path in PRIVATE + PUBLIC:
            return (f"<html lang='vi'><head><meta charset='utf-8'><title>Thông báo {path}</title></head>"
                    f"<body><article><h1>Thông báo {path}</h1>{PARAGRAPH.format(n=path) * 4}</article></body></html>"
                    ).encode(), "text/html; charset=utf-8"
        return None

    return routes


def _sources(base, feeds=("/rss",)) -> str:
    return f"""[[source]]
id = "cong"
name = "Cổng mẫu"
kind = "province-portal"
home = "{base}/"
allowed_domains = ["127.0.0.1"]
article_pattern = '/bai-\\d+\\.html$'
schedule = "0 * * * *"
[source.discovery]
feeds = {json.dumps([base + feed for feed in feeds])}
[source.politeness]
delay = 0
concurrency = 4
"""


@pytest.fixture
def site(request):
    with serve_routes(_routes(getattr(request, "param", 200))) as (base, hits):
        yield base, hits


def _pages(folder) -> int:
    conn = sqlite3.connect(folder / "archive.db")
    try:
        return conn.execute("select count(*) from fetches where coalesce(error not like 'skipped:%', 1)").fetchone()[0]
    finally:
        conn.close()


def _articles(folder) -> set[str]:
    conn = sqlite3.connect(folder / "archive.db")
    try:
        return {url for (url,) in conn.execute("select url from articles")}
    finally:
        conn.close()


def _last_run(folder) -> dict:
    return json.loads(govarchive("stats", "--json", "--db", "archive.db", cwd=folder).stdout.splitlines()[0])


def test_urls_robots_txt_skips_leave_the_budget_to_pages(site, tmp_path):
    base, hits = site
    (tmp_path / "sources.toml").write_text(_sources(base), encoding="utf-8")
    result = crawl_into(tmp_path, "--max-pages", "3")
    assert result.returncode == 0, result.stdout + result.stderr
    # The feed and two articles; the third waits in the frontier.
    assert _pages(tmp_path) == 3
    assert sum(path in PUBLIC for _, path in hits) == 2
    (line,) = [line for line in result.stdout.splitlines() if line.startswith("cong ")]
    assert line.split()[1:5] == ["ok", "(max", "pages)", "3"], result.stdout
    assert "reached --max-pages 3: 1 requests wait in the frontier" in result.stderr
    run = _last_run(tmp_path)
    assert (run["pages"], run["reached_max_pages"]) == (3, True), run
    # The next crawl makes what waited.
    result = crawl_into(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert _articles(tmp_path) == {base + path for path in PUBLIC}


@pytest.mark.parametrize("site", [500], indirect=True)
def test_a_crawl_that_robots_txt_let_fetch_nothing_did_not_reach_its_budget(site, tmp_path):
    base, hits = site
    (tmp_path / "sources.toml").write_text(_sources(base, feeds=("/rss", "/rss-2", "/rss-3")), encoding="utf-8")
    result = crawl_into(tmp_path, "--max-pages", "2")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "--max-pages" not in result.stderr
    assert {path for _, path in hits} == {"/robots.txt"}  # asked again, as Scrapy retries a 500
    run = _last_run(tmp_path)
    assert (run["status"], run["pages"], run["reached_max_pages"]) == ("unreachable", 0, False), run


def test_a_resumed_crawl_counts_the_pages_of_the_crawl_it_resumes_not_its_skips(site, tmp_path):
    base, hits = site
    (tmp_path / "sources.toml").write_text(_sources(base), encoding="utf-8")
    (source,) = parse_sources(_sources(base))
    db = open_db(tmp_path / "archive.db")
    killed = ingest.start_crawl(db, source, max_pages=3)
    ingest.record_fetch(db, crawl_id=killed, source_id="cong", url=f"{base}/rss", kind="feed", status=200)
    for path in PRIVATE[:2]:
        ingest.record_fetch(db, crawl_id=killed, source_id="cong", url=base + path, kind="article", status=None,
                            error="skipped: Forbidden by robots.txt")
    ingest.add_to_frontier(db, killed, [{"url": base + path, "kind": "article", "callback": "parse_article",
                                         "cb_kwargs": "{}"} for path in PUBLIC[:2]])
    db.close()
    result = crawl_into(tmp_path, "--resume", "--max-pages", "3")
    assert result.returncode == 0, result.stdout + result.stderr
    # One page spent before the kill, so two are left for the two requests it left.
    assert sorted(path for _, path in hits if path in PUBLIC) == PUBLIC[:2]
    run = _last_run(tmp_path)
    assert (run["resumed_from"], run["pages"], run["reached_max_pages"]) == (killed, 2, False), run
