"""A malformed link in a listing (an IPv6 host never closed) is skipped, not the listing's end."""

from scrapy.http import HtmlResponse

from crawler.spiders.source import _pager_link
from tests.conftest import crawl_into, serve_routes
from tests.test_discovery_warnings import _article, _listing, _write

BAD = "<a href='http://[::1'>bad</a>"


def test_a_malformed_link_is_no_pager_and_no_error():
    body = f"<html><body>{BAD}<a class='next' href='/tin?p=2'>Trang sau</a></body></html>".encode()
    response = HtmlResponse("http://cong.vn/tin", body=body, encoding="utf-8")
    assert _pager_link(response, lambda url: False, lambda url: True) == '<a class="next" href="/tin?p=2">Trang sau</a>'


def _site(path, base):
    if path.startswith("/bai-"):
        return _article(int(path[5:].split(".")[0])), "text/html; charset=utf-8"
    if path == "/tin":
        pager = f"{BAD}<a class='next' href='/tin?p=2'>Trang sau</a>"
        return _listing(["/bai-1.html", "/bai-2.html"], pager), "text/html"
    if path == "/tin?p=2":
        return _listing(["/bai-3.html"], BAD), "text/html"
    return None


def test_a_listing_with_a_malformed_link_is_read_and_paged(tmp_path):
    for nxt in ("a.nxt", "a.next"):  # missing the pager, so that it is looked for; then matching it
        folder = tmp_path / nxt
        folder.mkdir()
        with serve_routes(_site) as (base, hits):
            _write(folder, base, discovery=f'[[source.discovery.listings]]\nurl = "{base}/tin"\nnext = "{nxt}"')
            result = crawl_into(folder)
        paths = {path for _, path in hits}
        assert result.returncode == 0, result.stderr[-3000:]
        assert "Spider error" not in result.stderr and "ValueError" not in result.stderr, result.stderr[-3000:]
        assert {"/bai-1.html", "/bai-2.html"} <= paths, result.stderr[-3000:]
    assert {"/tin?p=2", "/bai-3.html"} <= paths  # the last crawl's selector matched: it paged on


def test_a_malformed_next_link_ends_the_paging_with_a_warning(tmp_path):
    with serve_routes(_site) as (base, hits):
        _write(tmp_path, base, discovery=f'[[source.discovery.listings]]\nurl = "{base}/tin"\nnext = "a[href^=http]"')
        result = crawl_into(tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert (f"WARNING: cong: {base}/tin page 1: next link 'http://[::1' is no URL, cannot be followed"
            in result.stderr), result.stderr[-3000:]
    assert {"/bai-1.html", "/bai-2.html"} <= {path for _, path in hits}


def _feeds(path, base):
    if path.startswith("/bai-"):
        return _article(int(path[5:].split(".")[0])), "text/html; charset=utf-8"
    if path == "/rss":
        items = "".join(f"<item><title>x</title><link>{link}</link></item>"
                        for link in ("http://[::1", f"{base}/bai-1.html"))
        return f"<?xml version='1.0'?><rss version='2.0'><channel>{items}</channel></rss>".encode(), "application/rss+xml"
    if path == "/sitemap.xml":
        urls = "".join(f"<url><loc>{loc}</loc></url>" for loc in ("http://[::1", f"{base}/bai-2.html"))
        return (f"<?xml version='1.0'?><urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>{urls}"
                "</urlset>").encode(), "application/xml"
    return None


def test_a_malformed_link_in_a_feed_or_sitemap_costs_only_itself(tmp_path):
    with serve_routes(_feeds) as (base, hits):
        _write(tmp_path, base, discovery=f'feeds = ["{base}/rss"]\nsitemaps = ["{base}/sitemap.xml"]')
        result = crawl_into(tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Spider error" not in result.stderr and "ValueError" not in result.stderr, result.stderr[-3000:]
    assert {"/bai-1.html", "/bai-2.html"} <= {path for _, path in hits}


def _elsewhere(path, base):
    other = base.replace("127.0.0.1", "localhost")
    if path == "/sitemap.xml":
        return (f"<?xml version='1.0'?><sitemapindex xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
                f"<sitemap><loc>{other}/sm2.xml</loc></sitemap></sitemapindex>").encode(), "application/xml"
    if path == "/tin":
        return _listing(["/bai-1.html"], f"<a class='next' href='{other}/tin?p=2'>Trang sau</a>"), "text/html"
    if path.startswith("/bai-"):
        return _article(1), "text/html; charset=utf-8"
    return None


def test_a_sitemap_or_next_page_outside_allowed_domains_is_said_not_read(tmp_path):
    with serve_routes(_elsewhere) as (base, hits):
        _write(tmp_path, base, discovery=f'sitemaps = ["{base}/sitemap.xml"]\n'
                                         f'[[source.discovery.listings]]\nurl = "{base}/tin"\nnext = "a.next"')
        result = crawl_into(tmp_path)
    other = base.replace("127.0.0.1", "localhost")
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"WARNING: cong: sitemap {other}/sm2.xml is outside allowed_domains, so it is not read" in result.stderr
    assert f"WARNING: cong: listing {other}/tin?p=2 is outside allowed_domains, so it is not read" in result.stderr
    assert not any(path in ("/sm2.xml", "/tin?p=2") for _, path in hits)
