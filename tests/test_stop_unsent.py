"""A clean stop stops the fetching: the requests Scrapy's downloader holds back for the source's
delay are not sent after the stop, only the download in progress finishes, and the requests
left unsent stay in the frontier for --resume."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import serve_routes

ARTICLES = [f"/bai/thong-bao-{n}.html" for n in range(6)]
PARAGRAPH = ("Sở Thông tin và Truyền thông thông báo lịch cập nhật Cổng thông tin điện tử của tỉnh trong "
             "tuần, theo Kế hoạch 174/KH-UBND; bạn đọc theo dõi thêm trên kênh Zalo OA của Sở.")
# Long enough for the stop to come while the page is being downloaded.
ANSWER_TIME = 1.0


class Site:
    """A listing of ARTICLES; the first article request blocks the test until its answer is
    under way, so the stop lands on a download in progress."""

    def __init__(self):
        self.article_requested = threading.Event()
        self.first_article = None
        self.stopped = threading.Event()  # the test sent its stop: the answer may go

    def answer(self, path, _base):
        if path == "/robots.txt":
            return b"User-agent: *\nAllow: /\n", "text/plain"
        if path == "/tin-tuc":
            links = "".join(f'<li><a href="{p}">{p}</a></li>' for p in ARTICLES)
            return f"<html><body><ul>{links}</ul></body></html>".encode(), "text/html; charset=utf-8"
        if path in ARTICLES:
            if not self.article_requested.is_set():
                self.first_article = path
                self.article_requested.set()
                self.stopped.wait(30)
                time.sleep(ANSWER_TIME)
            title = f"Thông báo {path}"
            return (f"<html lang='vi'><head><meta charset='utf-8'><title>{title}</title></head><body><article>"
                    f"<h1>{title}</h1>{f'<p>{PARAGRAPH}</p>' * 4}</article></body></html>").encode(), \
                "text/html; charset=utf-8"
        return "<html><body>Trang chủ</body></html>".encode(), "text/html; charset=utf-8"


def _write_sources(folder, base, delay):
    port = base.rsplit(":", 1)[1]
    (folder / "sources.toml").write_text(f"""[[source]]
id = "cham"
name = "Cổng chậm"
kind = "province-portal"
home = "{base}/"
allowed_domains = ["127.0.0.1"]
article_pattern = '^http://127\\.0\\.0\\.1:{port}/bai/[a-z0-9-]+\\.html$'
schedule = "0 * * * *"
[source.discovery]
[[source.discovery.listings]]
url = "{base}/tin-tuc"
[source.politeness]
delay = {delay}
concurrency = 1
""", encoding="utf-8")


def _govarchive(*args):
    return [str(Path(sys.executable).with_name("govarchive")), *args]


def _crawler():
    """``python -m crawler`` run alone, with Scrapy's own signal handling."""
    return [sys.executable, "-m", "crawler"]


STOPS = {  # the command, and its exit status when stopped
    # govarchive crawl passes the signal on by closing its crawler's stdin
    "crawl-sigterm": (_govarchive("crawl"), signal.SIGTERM, 128 + signal.SIGTERM),
    "crawler-sigint": (_crawler(), signal.SIGINT, 0),
}


@pytest.mark.parametrize("how", STOPS)
def test_a_stop_sends_nothing_more_and_resume_fetches_the_rest(tmp_path, how):
    command, signum, status = STOPS[how]
    site = Site()
    with serve_routes(site.answer) as (base, hits):
        # Many requests waiting in the downloader's slot, one every 2 s.
        _write_sources(tmp_path, base, delay=2.0)
        crawl = subprocess.Popen(
            [*command, "cham", "--sources", "sources.toml", "--db", "archive.db"],
            cwd=tmp_path, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            start_new_session=True,
        )
        try:
            assert site.article_requested.wait(120), "the crawl reached no article"
            crawl.send_signal(signum)
            stopped_at = time.monotonic()
            site.stopped.set()
            out, err = crawl.communicate(timeout=60)
        finally:
            if crawl.poll() is None:
                os.killpg(crawl.pid, signal.SIGKILL)
        after_stop = [path for at, path in hits if at > stopped_at]
        assert after_stop == [], (after_stop, err[-6000:])
        assert "Traceback" not in err and "ERROR" not in err, err[-6000:]
        assert crawl.returncode == status, out + err[-6000:]

        conn = sqlite3.connect(tmp_path / "archive.db")
        assert conn.execute("select status, finish_reason from crawls").fetchall() == [("interrupted", "shutdown")]
        # The download in progress at the stop finished and was stored; the unsent requests
        # are no fetch, failed or skipped.
        fetched = [path for (path,) in conn.execute("select url from fetches where kind = 'article'")]
        assert fetched == [f"{base}{site.first_article}"]
        assert conn.execute("select count(*) from fetches where error is not null").fetchone()[0] == 0
        assert conn.execute("select count(*) from frontier").fetchone()[0] == len(ARTICLES) - 1
        stats = json.loads(conn.execute("select stats from crawls").fetchone()[0])
        assert stats["govarchive/not_sent_at_stop"] == len(ARTICLES) - 1

        _write_sources(tmp_path, base, delay=0)
        resumed = subprocess.run(
            _govarchive("crawl", "cham", "--sources", "sources.toml", "--db", "archive.db", "--resume"),
            cwd=tmp_path, capture_output=True, text=True, timeout=300,
        )
        assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert conn.execute("select count(*) from articles").fetchone()[0] == len(ARTICLES)
    # each article asked for once: what the stop left was fetched by the resume, and only that
    article_hits = sorted(path for _, path in hits if path in ARTICLES)
    assert article_hits == sorted(ARTICLES)

