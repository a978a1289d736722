"""An article_pattern that also matches some of a listing's pages ('/tin-tuc/trang-10.htm' under
'…-\\d{2,}\\.htm$'): those pages are read as the listing's pages, never archived as articles, the
paging goes on past them, and the log names one."""

from tests.conftest import crawl_into, query, serve_routes

PAGES = 12
PATTERN = r"/tin-tuc/[a-z0-9-]+-\d{2,}\.htm$"


def _article(n) -> bytes:
    paragraphs = "".join(
        f"<p>Sở Nội vụ thông báo nội dung thứ {n}.{i} của Kế hoạch 174/KH-UBND về việc đưa kênh Zalo OA "
        f"vào phục vụ người dân trên địa bàn tỉnh.</p>" for i in range(6))
    return (f"<html lang='vi'><head><meta charset='utf-8'><title>Thông báo {n}</title></head><body><article>"
            f"<h1>Thông báo số {n}</h1>{paragraphs}</article></body></html>").encode()


def _page_path(page):
    return "/tin-tuc.htm" if page == 1 else f"/tin-tuc/trang-{page}.htm"


def _listing(page) -> bytes:
    items = "".join(f"<li><a href='/tin-tuc/thong-bao-so-{page}{k}.htm'>Thông báo {page}{k}</a></li>"
                    for k in range(3)) if page <= PAGES else ""
    return (f"<html><head><meta charset='utf-8'><title>Tin tức - trang {page}</title></head><body>"
            f"<ul class='list'>{items}</ul><a class='next' href='{_page_path(page + 1)}'>Trang sau</a>"
            "</body></html>").encode()


def _answer(path, _base):
    if path.startswith("/tin-tuc/thong-bao-so-"):
        return _article(int(path.rsplit("-", 1)[1].split(".")[0])), "text/html; charset=utf-8"
    if path == "/tin-tuc.htm":
        return _listing(1), "text/html; charset=utf-8"
    if path.startswith("/tin-tuc/trang-"):
        return _listing(int(path.rsplit("-", 1)[1].split(".")[0])), "text/html; charset=utf-8"
    return None


def _crawl(folder, base, paging):
    (folder / "sources.toml").write_text(f"""
[[source]]
id = "paging"
name = "Sở Nội vụ"
kind = "province-portal"
home = "{base}/"
allowed_domains = ["127.0.0.1"]
article_pattern = '{PATTERN}'
schedule = "0 * * * *"
[source.discovery]
recheck = 0
[[source.discovery.listings]]
url = "{base}/tin-tuc.htm"
{paging}
[source.politeness]
delay = 0.0
concurrency = 4
""", encoding="utf-8")
    return crawl_into(folder)


def test_listing_pages_the_pattern_matches_are_read_as_listing_pages(tmp_path):
    # (A page_url whose pages the pattern matches is refused when the sources file is read.)
    with serve_routes(_answer) as (base, hits):
        result = _crawl(tmp_path, base, 'next = "a.next"')
    assert result.returncode == 0, result.stderr[-3000:]
    archived = {r["url"] for r in query(tmp_path, "select url from articles")}
    assert archived == {f"{base}/tin-tuc/thong-bao-so-{p}{k}.htm" for p in range(1, PAGES + 1) for k in range(3)}
    listings = {r["url"] for r in query(tmp_path, "select url from fetches where kind = 'listing'")}
    assert listings == {f"{base}{_page_path(p)}" for p in range(1, PAGES + 2)}
    assert not query(tmp_path, "select url from fetches where kind = 'article' and url like '%/trang-%'")
    assert (f"WARNING: paging: listing {base}/tin-tuc.htm: its page {base}/tin-tuc/trang-10.htm matches "
            f"article_pattern {PATTERN!r}, so the pattern catches listing pages: it is read as a listing page, "
            "not archived as an article; narrow the pattern") in result.stderr, result.stderr[-3000:]


def test_a_listing_page_fetched_as_an_article_first_is_read_as_a_listing_page_too(tmp_path):
    # A pager of numbers on page 8 links page 10, requested as an article before paging reaches it.
    def answer(path, base):
        found = _answer(path, base)
        if path == "/tin-tuc/trang-8.htm":
            body, kind = found
            return body.replace(b"</body>", b"<div class='pager'><a href='/tin-tuc/trang-10.htm'>10</a></div></body>"), kind
        return found

    with serve_routes(answer) as (base, hits):
        result = _crawl(tmp_path, base, 'next = "a.next"')
    assert result.returncode == 0, result.stderr[-3000:]
    listings = {r["url"] for r in query(tmp_path, "select url from fetches where kind = 'listing'")}
    assert listings == {f"{base}{_page_path(p)}" for p in range(1, PAGES + 2)}
    assert f"{base}/tin-tuc/thong-bao-so-120.htm" in {r["url"] for r in query(tmp_path, "select url from articles")}
    assert (f"WARNING: paging: listing {base}/tin-tuc.htm: its page {base}/tin-tuc/trang-10.htm matches "
            f"article_pattern {PATTERN!r}, so the pattern catches listing pages: it was fetched as an article "
            "before the paging reached it, and is read again as a listing page; narrow the pattern"
            ) in result.stderr, result.stderr[-3000:]
