"""Feeds: which URL an RSS item stands for."""

from tests.conftest import crawl_into, query, serve_routes


def _article(n):
    return (f"<html lang='vi'><head><title>Tin {n}</title></head><body><article><h1>Tin số {n} về Zalo OA</h1>"
            + "".join(f"<p>Sở Thông tin và Truyền thông thông báo nội dung thứ {n}.{i} của Kế hoạch 174/KH-UBND "
                      f"về việc đưa kênh Zalo OA vào phục vụ người dân trên địa bàn thành phố.</p>" for i in range(6))
            + "</article></body></html>").encode()


def _feed(base):
    items = [
        f"<link>{base}/tin-1.html</link><guid isPermaLink='true'>{base}/tin-7.html</guid>",
        f"<guid isPermaLink=\"true\">{base}/tin-2.html</guid>",
        f"<guid>\n  {base}/tin-3.html\n</guid>",  # isPermaLink is true unless it says otherwise
        f"<link></link><guid>{base}/tin-4.html</guid>",
        f"<guid isPermaLink='false'>{base}/tin-5.html</guid>",
        "<guid>/tin-6.html</guid>",
        "<guid>tin-8</guid>",
    ]
    return ("<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>Tin tức</title>"
            + "".join(f"<item><title>Tin</title>{item}</item>" for item in items) + "</channel></rss>").encode()


def _routes(path, base):
    if path == "/rss":
        return _feed(base), "application/rss+xml"
    if path.startswith("/tin-"):
        return _article(int(path[5:].split(".")[0])), "text/html; charset=utf-8"
    return None


def test_an_item_without_a_link_stands_for_its_permalink_guid(tmp_path):
    with serve_routes(_routes) as (base, hits):
        (tmp_path / "sources.toml").write_text(f"""
[[source]]
id = "feeds"
name = "Feeds"
kind = "press"
home = "{base}/"
allowed_domains = ["127.0.0.1"]
article_pattern = '/tin-\\d+\\.html$'
schedule = "0 * * * *"
[source.discovery]
feeds = ["{base}/rss"]
[source.politeness]
delay = 0.0
""", encoding="utf-8")
        result = crawl_into(tmp_path)
    assert result.returncode == 0, result.stderr
    archived = {r["url"] for r in query(tmp_path, "select url from articles")}
    # An item's <link> comes first; a guid that is not a permalink, or not a whole URL, is only an id.
    assert archived == {f"{base}/tin-{n}.html" for n in (1, 2, 3, 4)}
    assert {path for _, path in hits if path.startswith("/tin-")} == {f"/tin-{n}.html" for n in (1, 2, 3, 4)}
