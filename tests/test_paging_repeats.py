"""A listing whose paging goes nowhere on its first crawl: a next selector whose first match is
the pager's link to the page itself, a page_url whose page 2 the site answers with page 1 (it
ignores the parameter). Both read one page; both are warnings naming the selector or URL. On a
later crawl a page repeating earlier ones is the documented end of the paging, an INFO line."""

from tests.conftest import crawl_into, query, serve_routes


def _article(n) -> bytes:
    paragraphs = "".join(
        f"<p>Bộ Nội vụ thông báo nội dung thứ {n}.{i} của Kế hoạch 174/KH-BNV về việc đưa kênh Zalo OA "
        f"vào phục vụ người dân trên cả nước.</p>" for i in range(6))
    return (f"<html lang='vi'><head><meta charset='utf-8'><title>Bài {n}</title></head><body><article>"
            f"<h1>Bài số {n}</h1>{paragraphs}</article></body></html>").encode()


def _listing(numbers, pager="") -> bytes:
    items = "".join(f"<li><a href='/tin-tuc/bai-{n}.html'>Bài {n}</a></li>" for n in numbers)
    return f"<html><head><meta charset='utf-8'></head><body><ul>{items}</ul>{pager}</body></html>".encode()


def _write(folder, base, paging):
    (folder / "sources.toml").write_text(f"""
[[source]]
id = "moha"
name = "Bộ Nội vụ"
kind = "ministry-portal"
home = "{base}/"
allowed_domains = ["127.0.0.1"]
article_pattern = '/tin-tuc/bai-\\d+\\.html$'
schedule = "0 * * * *"
[source.discovery]
recheck = 0
[[source.discovery.listings]]
url = "{base}/truyen-thong.htm"
{paging}
[source.politeness]
delay = 0.0
""", encoding="utf-8")


def _article_or(path, listing):
    if path.startswith("/tin-tuc/bai-"):
        return _article(int(path[13:].split(".")[0])), "text/html; charset=utf-8"
    return listing(path)


def test_a_next_selector_matching_the_link_to_the_page_itself_is_named(tmp_path):
    pager = ("<div class='pagination'><a href='/truyen-thong.htm'>1</a> <a href='/truyen-thong/trang-2.htm'>2</a> "
             "<a class='next' href='/truyen-thong/trang-2.htm'>Trang sau »</a></div>")

    def listing(path):
        if path == "/truyen-thong.htm":
            return _listing([1, 2, 3], pager), "text/html; charset=utf-8"
        if path == "/truyen-thong/trang-2.htm":
            return _listing([4, 5, 6]), "text/html; charset=utf-8"
        return None

    with serve_routes(lambda path, base: _article_or(path, listing)) as (base, hits):
        _write(tmp_path, base, 'next = ".pagination a"')
        result = crawl_into(tmp_path)
    assert (f"WARNING: moha: listing {base}/truyen-thong.htm: its next selector '.pagination a' matches a link to "
            "its first page itself (<a href=\"/truyen-thong.htm\">1</a>), so only that page is read; check the "
            "selector against the pager's link to the next page, such as "
            "<a class=\"next\" href=\"/truyen-thong/trang-2.htm\">Trang sau »</a>") in result.stderr, result.stderr[-3000:]


def test_a_page_url_the_site_ignores_is_named_on_a_first_crawl_only(tmp_path):
    first_page = [1, 2, 3]

    def listing(path):
        if path == "/truyen-thong.htm" or path.startswith("/truyen-thong.htm?trang="):
            return _listing(first_page), "text/html; charset=utf-8"  # the site knows ?page=, not ?trang=
        return None

    with serve_routes(lambda path, base: _article_or(path, listing)) as (base, hits):
        _write(tmp_path, base, f'page_url = "{base}/truyen-thong.htm?trang={{page}}"')
        first = crawl_into(tmp_path)
        first_page.insert(0, 4)  # a new article: the later crawl reads page 2 again
        later = crawl_into(tmp_path)
    said = (f"WARNING: moha: listing {base}/truyen-thong.htm: its page 2, {base}/truyen-thong.htm?trang=2, lists only "
            "articles its first page does, so the listing was read no further: check page_url "
            f"'{base}/truyen-thong.htm?trang={{page}}' against the site's own link to the listing's second page "
            "(a listing of one page answering every page number with it says the same)")
    assert said in first.stderr, first.stderr[-3000:]
    assert "WARNING: moha: listing" not in later.stderr, later.stderr[-3000:]
    assert f"INFO: moha: {base}/truyen-thong.htm page 2 repeats the listing's earlier pages" in later.stderr
    assert len(query(tmp_path, "select id from crawls")) == 2
