"""Sources crawled by one command share the crawler's process, and so its log: each crawl's
log_count stats count its own lines only, not the other crawls'."""

import json

from tests.conftest import crawl_into, query, serve_routes
from tests.test_discovery_warnings import _article


def _source(source_id, base, listing):
    return f"""
[[source]]
id = "{source_id}"
name = "{source_id}"
kind = "press"
home = "{base}/"
allowed_domains = ["127.0.0.1"]
article_pattern = '/{source_id}/bai-\\d+\\.html$'
schedule = "0 * * * *"
[source.discovery]
recheck = 0
[[source.discovery.listings]]
url = "{base}{listing}"
[source.politeness]
delay = 0.0
"""


def test_each_crawl_counts_its_own_log_lines(tmp_path):
    def answer(path, _base):
        if path == "/tot/":
            return b"<html><body><a href='/tot/bai-1.html'>1</a></body></html>", "text/html"
        if path == "/hong/":
            return b'{"html": "<a href=\'/hong/bai-2.html\'>2</a>"}', "application/json"
        if "/bai-" in path:
            return _article(int(path.rsplit("-", 1)[1].split(".")[0])), "text/html; charset=utf-8"
        return None

    with serve_routes(answer) as (base, hits):
        (tmp_path / "sources.toml").write_text(_source("tot", base, "/tot/") + _source("hong", base, "/hong/"),
                                               encoding="utf-8")
        result = crawl_into(tmp_path)
    assert "WARNING: hong: " in result.stderr, result.stderr[-3000:]
    stats = {r["source_id"]: json.loads(r["stats"]) for r in query(tmp_path, "select source_id, stats from crawls")}
    assert stats["hong"]["log_count/WARNING"] >= 1
    assert "log_count/WARNING" not in stats["tot"], stats["tot"]
