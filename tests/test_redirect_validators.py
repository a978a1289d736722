"""A redirect does not carry the validators of the page asked for to another page: a server
answering 304 to them there would pass the page asked for as unchanged, and its move or removal
would never be seen."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.conftest import crawl_into, query
from tests.test_variants import PARAGRAPHS, article_page

# A portal that sends no ETag, only Last-Modified, and honours If-Modified-Since.
LAST_MODIFIED = "Tue, 05 Mar 2024 01:00:00 GMT"
PAGES = {"/a/one.htm": "da-nang-tin-gia", "/a/two.htm": "nghe-an-nguoi-phat-ngon"}


@pytest.fixture
def portal(tmp_path):
    state = {"redirect": None, "asked": []}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            state["asked"].append((self.path, self.headers.get("If-Modified-Since")))
            if self.path == state["redirect"]:
                self._answer(301, {"Location": state["to"]}, b"")
            elif self.path == "/list":
                links = "".join(f'<a href="{path}">{path}</a>' for path in PAGES)
                self._answer(200, {"Content-Type": "text/html; charset=utf-8"}, f"<html><body>{links}</body></html>".encode())
            elif self.path in PAGES and self.headers.get("If-Modified-Since") == LAST_MODIFIED:
                self._answer(304, {}, b"")
            elif self.path in PAGES:
                key = PAGES[self.path]
                self._answer(200, {"Content-Type": "text/html; charset=utf-8", "Last-Modified": LAST_MODIFIED},
                             article_page(key, PARAGRAPHS[key]))
            else:
                self._answer(404, {"Content-Type": "text/plain"}, b"")

        def _answer(self, status, headers, body):
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    (tmp_path / "sources.toml").write_text(f"""
[[source]]
id = "mau"
name = "Cổng mẫu"
kind = "province-portal"
home = "{base}/"
allowed_domains = ["127.0.0.1"]
article_pattern = '^http://127\\.0\\.0\\.1:{server.server_address[1]}/a/[a-z0-9-]+\\.htm$'
schedule = "0 * * * *"
[source.discovery]
[[source.discovery.listings]]
url = "{base}/list"
[source.politeness]
delay = 0.0
concurrency = 1
""", encoding="utf-8")
    try:
        yield tmp_path, base, state
    finally:
        server.shutdown()
        server.server_close()


def test_an_article_redirected_to_another_page_is_not_passed_as_unchanged_by_its_304(portal):
    folder, base, state = portal
    assert crawl_into(folder, "--quiet").returncode == 0
    # The first article is removed, its readers sent to an older article that has not changed.
    state.update(redirect="/a/one.htm", to="/a/two.htm", asked=[])
    assert crawl_into(folder, "--quiet").returncode == 0
    # Asked for conditionally, then its new address without the first page's validators.
    assert ("/a/one.htm", LAST_MODIFIED) in state["asked"]
    assert ("/a/two.htm", None) in state["asked"]
    fetch = query(folder, "select status, error from fetches where url = ? order by id desc limit 1",
                  [f"{base}/a/one.htm"])[0]
    assert fetch["status"] == 200 and "does not read as the article" in fetch["error"], fetch
    assert query(folder, "select title from articles where url = ?", [f"{base}/a/one.htm"]) == [
        {"title": "Đà Nẵng xử lý 42 phản ánh tin sai sự thật trong quý I"}]
