"""What a new source's discovery meets, crawled for real: a Vietnamese host, listings paged as
the portal counts its pages, and the mistakes that used to end a crawl silently (a selector
matching nothing, article links on another host, a pattern no link fits) named in its log."""

import json

import pytest

from tests.conftest import crawl_into, query, serve_routes


def _article(n) -> bytes:
    paragraphs = "".join(
        f"<p>Sở Thông tin và Truyền thông thông báo nội dung thứ {n}.{i} của Kế hoạch 174/KH-UBND về "
        f"việc đưa kênh Zalo OA vào phục vụ người dân trên địa bàn tỉnh.</p>" for i in range(6))
    return (f"<html lang='vi'><head><meta charset='utf-8'><title>Bài {n}</title></head><body><article>"
            f"<h1>Bài số {n} về Zalo OA</h1>{paragraphs}</article></body></html>").encode()


def _listing(hrefs, extra="") -> bytes:
    items = "".join(f"<li><a href='{h}'>{h}</a></li>" for h in hrefs)
    return (f"<html><head><meta charset='utf-8'></head><body><nav><a href='/'>Trang chủ</a><a href='/gioi-thieu'>"
            f"Giới thiệu</a></nav><ul class='list-news'>{items}</ul>{extra}</body></html>").encode()


def _write(folder, base, *, home=None, domains='["127.0.0.1"]', pattern=r"'/bai-\d+\.html$'", discovery):
    (folder / "sources.toml").write_text(f"""
[[source]]
id = "cong"
name = "Cổng"
kind = "province-portal"
home = "{home or base + '/'}"
allowed_domains = {domains}
article_pattern = {pattern}
schedule = "0 * * * *"
[source.discovery]
recheck = 0
{discovery}
[source.politeness]
delay = 0.0
concurrency = 4
""", encoding="utf-8")


def _crawl(folder):
    result = crawl_into(folder)
    (crawl,) = query(folder, "select status, stats from crawls")
    return result, crawl["status"], json.loads(crawl["stats"])


def _archived(folder):
    return {r["url"] for r in query(folder, "select url from articles")}


def test_a_vietnamese_host_is_crawled_whichever_way_it_is_written(tmp_path, monkeypatch):
    # No name resolves offline: the crawler goes through a proxy that answers for the host.
    host = "http://xn--cng-qmz.vn"

    def answer(path, _base):
        if path == f"{host}/":
            links = ["/tin-tức/bài-1", "/tin-t%E1%BB%A9c/b%C3%A0i-2", "http://cổng.vn/tin-tức/bài-3"]
            return _listing(links), "text/html"
        if path.startswith(f"{host}/tin-t%E1%BB%A9c/b%C3%A0i-"):
            return _article(int(path.rsplit("-", 1)[1])), "text/html; charset=utf-8"
        return None

    with serve_routes(answer) as (proxy, hits):
        for name in ("no_proxy", "NO_PROXY", "https_proxy", "HTTPS_PROXY"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("http_proxy", proxy)
        _write(tmp_path, host, home="http://cổng.vn/", domains='["CỔNG.vn."]',
               pattern=r"'^http://xn--cng-qmz\.vn/tin-t%E1%BB%A9c/b%C3%A0i-\d+$'",
               discovery='[[source.discovery.listings]]\nurl = "http://cổng.vn/"')
        result, status, _stats = _crawl(tmp_path)
    assert status == "ok", result.stderr[-3000:]
    assert _archived(tmp_path) == {f"{host}/tin-t%E1%BB%A9c/b%C3%A0i-{n}" for n in (1, 2, 3)}
    assert f"{host}/" in {path for _, path in hits}


def _paged_site(first, step, per_page=3, pages=3):
    """A listing whose first page has no number and whose later ones are ?n=first, first+step, …"""
    def answer(path, _base):
        if path.startswith("/bai-"):
            return _article(int(path[5:].split(".")[0])), "text/html; charset=utf-8"
        if path == "/tin" or path.startswith("/tin?n="):
            index = 0 if path == "/tin" else (int(path.split("=")[1]) - first) // step + 1
            numbers = range(index * per_page + 1, (index + 1) * per_page + 1) if index < pages else ()
            return _listing([f"/bai-{n}.html" for n in numbers]), "text/html; charset=utf-8"
        return None
    return answer


@pytest.mark.parametrize("first, step, numbering", [
    (1, 1, "first_page = 1"),  # Drupal: ?page=1 is the second page
    (3, 3, "first_page = 3\npage_step = 3"),  # by offset: ?start=3, 6, …
])
def test_a_listing_is_paged_as_the_portal_numbers_its_pages(tmp_path, first, step, numbering):
    with serve_routes(_paged_site(first, step)) as (base, hits):
        _write(tmp_path, base, discovery=f'[[source.discovery.listings]]\nurl = "{base}/tin"\n'
                                         f'page_url = "{base}/tin?n={{page}}"\n{numbering}')
        result, status, _stats = _crawl(tmp_path)
    assert status == "ok", result.stderr[-3000:]
    assert _archived(tmp_path) == {f"{base}/bai-{n}.html" for n in range(1, 10)}
    listing_pages = [path for _, path in hits if path.startswith("/tin")]
    assert sorted(listing_pages) == sorted(["/tin", *(f"/tin?n={first + k * step}" for k in range(3))])


def test_a_links_selector_that_holds_no_article_link_is_named(tmp_path):
    with serve_routes(_paged_site(2, 1)) as (base, hits):
        _write(tmp_path, base, discovery=f'[[source.discovery.listings]]\nurl = "{base}/tin"\n'
                                         f'page_url = "{base}/tin?n={{page}}"\nlinks = "ul.list-new"')
        result, status, _stats = _crawl(tmp_path)
    assert status == "ok", result.stderr[-3000:]
    assert (f"WARNING: cong: listing {base}/tin: its links selector 'ul.list-new' holds none of the 3 article links "
            "on its first page, so the listing was not paged") in result.stderr


def test_a_next_selector_that_matches_nothing_is_named(tmp_path):
    def answer(path, base):
        if path.startswith("/bai-"):
            return _article(int(path[5:].split(".")[0])), "text/html; charset=utf-8"
        if path == "/tin":
            pager = "<div class='paging'><a class='next' href='/tin?p=2'>Sau</a></div>"
            return _listing(["/bai-1.html"], pager), "text/html"
        return None

    with serve_routes(answer) as (base, hits):
        _write(tmp_path, base, discovery=f'[[source.discovery.listings]]\nurl = "{base}/tin"\nnext = "a.nxt"')
        result, _status, _stats = _crawl(tmp_path)
    assert (f"WARNING: cong: listing {base}/tin: its next selector 'a.nxt' matches no link with an href on its "
            "first page, so only that page is read") in result.stderr


def test_article_links_outside_allowed_domains_are_counted_apart_and_named(tmp_path):
    sitemap = ("<?xml version='1.0' encoding='UTF-8'?><urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
               "<url><loc>http://other-host.vn/bai-5.html</loc></url><url><loc>http://other-host.vn/bai-6.html</loc>"
               "</url></urlset>").encode()

    def answer(path, base):
        return (sitemap, "application/xml") if path == "/sitemap.xml" else None

    with serve_routes(answer) as (base, hits):
        _write(tmp_path, base, discovery=f'sitemaps = ["{base}/sitemap.xml"]')
        result, status, stats = _crawl(tmp_path)
    # no link it could follow matched: the crawl met no article, and says why
    assert status == "empty" and result.returncode == 1
    assert stats.get("archive/article_links", 0) == 0 and stats["archive/article_links_outside_domains"] == 2
    assert ("WARNING: cong: 2 links matching article_pattern are outside allowed_domains ['127.0.0.1'], so were not "
            "followed, e.g. http://other-host.vn/bai-5.html") in result.stderr
    assert "the links on its 1 pages that match article_pattern are all outside allowed_domains (2" in result.stderr
    assert "no link on its" not in result.stderr, result.stderr


def test_a_pattern_that_matches_no_link_is_shown_the_links_as_it_sees_them(tmp_path):
    def answer(path, base):
        if path == "/tin":
            return _listing(["/tin-tức/bài-1", "/tin-tức/bài-22"]), "text/html; charset=utf-8"
        return None

    with serve_routes(answer) as (base, hits):
        _write(tmp_path, base, pattern="'/tin-tuc/'", discovery=f'[[source.discovery.listings]]\nurl = "{base}/tin"')
        result, status, _stats = _crawl(tmp_path)
    assert status == "empty"
    assert (f"WARNING: cong: no link matched article_pattern '/tin-tuc/'; the URLs it was tested against are "
            f"canonical (IDNA host, percent-encoded path, home's scheme), such as {base}/tin-t%E1%BB%A9c/b%C3%A0i-22 "
            f"and {base}/tin-t%E1%BB%A9c/b%C3%A0i-1") in result.stderr
