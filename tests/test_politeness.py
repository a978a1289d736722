"""Politeness a site asks for in its robots.txt: Crawl-delay."""

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.conftest import crawl_into, query

ARTICLES = 5
PARAGRAPH = (
    "<p>Sở Thông tin và Truyền thông thông báo lịch cập nhật Cổng thông tin điện tử của tỉnh trong tuần, "
    "theo Kế hoạch 174/KH-UBND, bài số {n}; bạn đọc theo dõi thêm trên kênh Zalo OA của Sở.</p>"
)


@pytest.fixture
def slow_site():
    hits: list[tuple[float, str]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append((time.monotonic(), self.path))
            port = self.server.server_address[1]
            if self.path == "/robots.txt":
                body, kind = b"User-agent: *\nCrawl-delay: 1\nDisallow: /private/\n", "text/plain"
            elif self.path == "/rss":
                items = "".join(f"<item><link>http://127.0.0.1:{port}/bai-{n}.html</link></item>" for n in range(ARTICLES))
                body, kind = f"<rss version='2.0'><channel>{items}</channel></rss>".encode(), "application/rss+xml"
            elif self.path.startswith("/bai-"):
                n = self.path.removeprefix("/bai-").removesuffix(".html")
                body = (f"<html lang='vi'><head><meta charset='utf-8'><title>Thông báo số {n}</title></head>"
                        f"<body><article><h1>Thông báo số {n}</h1>{PARAGRAPH.format(n=n) * 4}</article></body></html>").encode()
                kind = "text/html; charset=utf-8"
            else:
                body, kind = "<html><body>Trang chủ</body></html>".encode(), "text/html; charset=utf-8"
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1], hits
    server.shutdown()


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
    assert len(gaps) >= ARTICLES and min(gaps) >= 0.95, gaps
