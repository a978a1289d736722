"""Politeness a site asks for in its robots.txt: Crawl-delay."""

import pytest

from tests.conftest import crawl_into, query, serve_routes

ARTICLES = 5
PARAGRAPH = (
    "<p>Sở Thông tin và Truyền thông thông báo lịch cập nhật Cổng thông tin điện tử của tỉnh trong tuần, "
    "theo Kế hoạch 174/KH-UBND, bài số {n}; bạn đọc theo dõi thêm trên kênh Zalo OA của Sở.</p>"
)


def _routes(path, base):
    if path == "/robots.txt":
        return b"User-agent: *\nCrawl-delay: 1\nDisallow: /private/\n", "text/plain"
    if path == "/rss":
        items = "".join(f"<item><link>{base}/bai-{n}.html</link></item>" for n in range(ARTICLES))
        return f"<rss version='2.0'><channel>{items}</channel></rss>".encode(), "application/rss+xml"
    if path.startswith("/bai-"):
        n = path.removeprefix("/bai-").removesuffix(".html")
        return (f"<html lang='vi'><head><meta charset='utf-8'><title>Thông báo số {n}</title></head>"
                f"<body><article><h1>Thông báo số {n}</h1>{PARAGRAPH.format(n=n) * 4}</article></body></html>"
                ).encode(), "text/html; charset=utf-8"
    return "<html><body>Trang chủ</body></html>".encode(), "text/html; charset=utf-8"


@pytest.fixture
def slow_site():
    with serve_routes(_routes) as (base, hits):
        yield int(base.rsplit(":", 1)[1]), hits


def test_a_crawl_delay_spaces_the_requests_to_its_host(slow_site, tmp_path):
    port, hits = slow_site
    (tmp_path / "sources.toml").write_text(
        f"""[[source]]
id = "cham"
name = "Cổng chậm"
kind = "province-portal"
home = "http://127.0.0.1:{port}/"
allowed_domains = ["127.0.0.1"]
article_pattern = '/bai-\\d+\\.html$'
schedule = "0 * * * *"
[source.discovery]
feeds = ["http://127.0.0.1:{port}/rss"]
[source.politeness]
delay = 0
concurrency = 4
""",
        encoding="utf-8",
    )
    result = crawl_into(tmp_path, "--quiet")
    assert result.returncode == 0, result.stdout + result.stderr
    assert query(tmp_path, "select count(*) as n from articles")[0]["n"] == ARTICLES
    # The source asks for no delay and four requests at a time; its robots.txt asks for one a second.
    times = [t for t, path in hits if path != "/robots.txt"]
    gaps = [b - a for a, b in zip(times, times[1:])]
    # Timed where the site receives them: one received late, with two test processes on two
    # cores, shortens the gap after it (1.17 s, then 0.80). So the spacing is checked over the
    # whole crawl, and no two requests may come together, as four at a time would.
    assert len(gaps) >= ARTICLES, gaps
    assert all(t - times[0] >= k * 0.95 for k, t in enumerate(times)) and min(gaps) >= 0.5, gaps
