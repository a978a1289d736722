"""Sitemap and feed entries article_pattern does not match are not followed: counted, kept as a
stat of the crawl and named in a warning at its end, even when other entries matched."""

import json

from tests.conftest import crawl_into, query, serve_routes
from tests.test_discovery_warnings import _article


def _sitemap(base) -> bytes:
    # The mobile host's copies of articles the pattern writes on another host.
    locs = [f"{base}/tin-tuc/5001/zalo-1", *(f"http://m.localhost:{base.rsplit(':', 1)[1]}/tin-tuc/500{n}/zalo-{n}"
                                             for n in (6, 7, 8))]
    return ("<?xml version='1.0' encoding='UTF-8'?><urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
            + "".join(f"<url><loc>{loc}</loc></url>" for loc in locs) + "</urlset>").encode()


def _feed(base) -> bytes:
    # A relative link, resolved against the feed's own URL (/rss/tin-tuc/5004/…), and one on www.
    links = [f"{base}/tin-tuc/5002/zalo-2", "tin-tuc/5004/zalo-4",
             f"http://www.localhost:{base.rsplit(':', 1)[1]}/tin-tuc/5005/zalo-5"]
    return ("<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>Tin tức</title>"
            + "".join(f"<item><title>Tin</title><link>{link}</link></item>" for link in links)
            + "</channel></rss>").encode()


def _write(folder, base, discovery):
    (folder / "sources.toml").write_text(f"""
[[source]]
id = "mttq"
name = "MTTQ"
kind = "province-portal"
home = "{base}/"
allowed_domains = ["127.0.0.1", "localhost"]
article_pattern = '^{base}/tin-tuc/\\d+/[a-z0-9-]+$'
schedule = "0 * * * *"
[source.discovery]
recheck = 0
{discovery}
[source.politeness]
delay = 0.0
""", encoding="utf-8")


def _answer(path, base):
    """The site: its sitemap and feed (a source lists those it reads), and its articles."""
    if path == "/sitemap.xml":
        return _sitemap(base), "application/xml"
    if path == "/rss/tin-tuc.rss":
        return _feed(base), "application/rss+xml"
    if path.startswith("/tin-tuc/"):
        return _article(int(path.split("/")[2])), "text/html; charset=utf-8"
    return None


def test_entries_the_pattern_does_not_match_are_counted_and_named(tmp_path):
    with serve_routes(_answer) as (base, hits):
        _write(tmp_path, base, f'sitemaps = ["{base}/sitemap.xml"]\nfeeds = ["{base}/rss/tin-tuc.rss"]')
        result = crawl_into(tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert {r["url"] for r in query(tmp_path, "select url from articles")} == {
        f"{base}/tin-tuc/5001/zalo-1", f"{base}/tin-tuc/5002/zalo-2"}
    (crawl,) = query(tmp_path, "select stats from crawls")
    assert json.loads(crawl["stats"])["archive/entries_unmatched"] == 5
    port = base.rsplit(":", 1)[1]
    said = ("WARNING: mttq: 5 sitemap and feed entries did not match article_pattern, so were not followed, e.g. ")
    assert said in result.stderr, result.stderr[-3000:]
    # One from each: the fixes differ.
    examples = result.stderr.split(said, 1)[1].splitlines()[0].split(" and ")
    assert sorted(examples) == sorted([f"http://m.localhost:{port}/tin-tuc/5006/zalo-6 (in {base}/sitemap.xml)",
                                       f"{base}/rss/tin-tuc/5004/zalo-4 (in {base}/rss/tin-tuc.rss)"])


def test_one_feed_s_entries_are_shown_two(tmp_path):
    with serve_routes(_answer) as (base, hits):
        _write(tmp_path, base, f'feeds = ["{base}/rss/tin-tuc.rss"]')
        result = crawl_into(tmp_path)
    port = base.rsplit(":", 1)[1]
    assert (f"WARNING: mttq: 2 sitemap and feed entries did not match article_pattern, so were not followed, "
            f"e.g. {base}/rss/tin-tuc/5004/zalo-4 (in {base}/rss/tin-tuc.rss) and "
            f"http://www.localhost:{port}/tin-tuc/5005/zalo-5 (in {base}/rss/tin-tuc.rss)") in result.stderr
