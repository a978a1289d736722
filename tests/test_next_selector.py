"""A listing's next selector that matches no link on its first page: a warning, showing the link
it missed, when the page has a pager all the same; a note for a listing of one page."""

from urllib.parse import urlsplit

import pytest
from scrapy.http import HtmlResponse

from crawler.spiders.source import _pager_link
from tests.conftest import crawl_into, serve_routes
from tests.test_discovery_warnings import _article, _listing, _write

LISTING = "http://cong.vn/tin-tuc"


def _missed(body: str):
    response = HtmlResponse(LISTING, body=f"<html><body>{body}</body></html>".encode(), encoding="utf-8")
    return _pager_link(response, lambda url: url.endswith(".html"), lambda url: urlsplit(url).hostname == "cong.vn")


@pytest.mark.parametrize("pager, shown", [
    # The sample site's magazine: page numbers, then a rel=next link; the rel=next link is shown.
    ("<nav class='pagination'><span class='is-active'>1</span><a href='/tin-tuc?page=2'>2</a>"
     "<a rel='next' class='next' href='/tin-tuc?page=2'>Trang tiếp ›</a></nav>",
     '<a rel="next" class="next" href="/tin-tuc?page=2">Trang tiếp ›</a>'),
    # The sample site's portal.
    ("<div class='pagination'><span class='current'>1</span><a class='next' href='/tin-tuc/trang-2'>Trang sau »</a>"
     "</div>", '<a class="next" href="/tin-tuc/trang-2">Trang sau »</a>'),
    ("<div class='paging'><a href='/tin-tuc?p=2'>Sau</a></div>", '<a href="/tin-tuc?p=2">Sau</a>'),
    ("<ul class='pager'><li><a href='/tin-tuc/2.htm'>»</a></li></ul>", '<a href="/tin-tuc/2.htm">»</a>'),
    ("<a href='/tin-tuc?page=1' title='Tiếp'><i class='fa fa-angle-right'></i></a>",
     "<a href=\"/tin-tuc?page=1\" title=\"Tiếp\"><i class=\"fa fa-angle-right\"></i></a>"),
    ("<a href='/tin-tuc-page2'>2</a><a href='/tin-tuc-page3'>3</a>", '<a href="/tin-tuc-page2">2</a>'),
    # A 0-based pager (Drupal's, which first_page serves) and an offset one (Joomla's): "2" is
    # page 2 whatever its URL says.
    ("<a href='/tin-tuc?page=1'>2</a><a href='/tin-tuc?page=2'>3</a>", '<a href="/tin-tuc?page=1">2</a>'),
    ("<a href='/tin-tuc?start=10'>2</a>", '<a href="/tin-tuc?start=10">2</a>'),
    ("<a href='/tin-tuc?trang=2'><i class='fa fa-angle-right'></i></a>",
     '<a href="/tin-tuc?trang=2"><i class="fa fa-angle-right"></i></a>'),
    ("<a href='/tin-tuc?trang=2' class='page-next'></a>", '<a href="/tin-tuc?trang=2" class="page-next"></a>'),
    ("<a href='/tin-tuc?trang=2'><img src='/next.png' alt='Trang sau'></a>",
     '<a href="/tin-tuc?trang=2"><img src="/next.png" alt="Trang sau"></a>'),
    ("<a href='/tin-tuc?trang=2' aria-label='Next page'><svg></svg></a>",
     '<a href="/tin-tuc?trang=2" aria-label="Next page"><svg></svg></a>'),
    ("<a href='/tin-tuc?trang=2'>Trang 2</a>", '<a href="/tin-tuc?trang=2">Trang 2</a>'),
    ("<a href='/tin-tuc?trang=2'>Xem tiếp</a>", '<a href="/tin-tuc?trang=2">Xem tiếp</a>'),
    ("<a href='/tin-tuc?trang=2'>Tin cũ hơn »</a>", '<a href="/tin-tuc?trang=2">Tin cũ hơn »</a>'),
    ("<a href='/tin-tuc?trang=9'>Trang cuối</a>", '<a href="/tin-tuc?trang=9">Trang cuối</a>'),
    # A calendar's day 2 looks like page 2: a warning, as every first page gave before pagers were told apart.
    ("<table class='calendar'><td><a href='/lich/2024-11-02'>2</a></td></table>", '<a href="/lich/2024-11-02">2</a>'),
    # The surest of a page's links like a pager's, wherever it stands: a header's arrow to another
    # page comes first in the page, the pager's own link after it.
    ("<header><a href='/gioi-thieu'>»</a></header><div class='paging'><a href='/tin-tuc?trang=2'>2</a>"
     "<a class='next' href='/tin-tuc?trang=2'>Trang sau</a></div>",
     '<a class="next" href="/tin-tuc?trang=2">Trang sau</a>'),
    ("<a class='next' href='/tin-tuc?trang=2'>Trang sau</a><link rel='next' href='/tin-tuc?trang=2'>",
     '<link rel="next" href="/tin-tuc?trang=2">'),
    ("<a href='/tin-tuc?trang=2'>2</a><a href='/tin-tuc?trang=2'>›</a>", '<a href="/tin-tuc?trang=2">›</a>'),
    ("<a href='/tin-tuc?trang=9'>Trang cuối</a><a href='/tin-tuc?trang=2'><i class='bi bi-chevron-right'></i></a>",
     '<a href="/tin-tuc?trang=2"><i class="bi bi-chevron-right"></i></a>'),
    ("<a href='/tin-tuc?trang=2' class='page-link'>Tiếp</a><a class='pager-next' href='/tin-tuc?trang=3'>Trang 3</a>",
     '<a href="/tin-tuc?trang=2" class="page-link">Tiếp</a>'),
])
def test_a_pager_the_selector_missed_is_found(pager, shown):
    assert _missed(pager) == shown


@pytest.mark.parametrize("page", [
    "<p>Chưa có bài viết.</p>",
    "<a id='back-to-top' href='#' title='Lên đầu trang'>&#8593;</a>",
    "<a href='/tin-tuc#top'>»</a>",  # the page itself
    "<a href='/tin-tuc'>Xem tất cả tin tức »</a><a href='/tin-tuc/bai-1.html'>Xem tiếp »</a>",
    "<a href='/tin-tuc/bai-2.html'>Tiếp</a>",  # an article
    "<a href='/tin-tuc?trang=2'><i class='fa fa-home'></i></a>",
    # A slider's arrows, an ASP.NET pager's post back (page_url is its way), a link off the source.
    "<a href='javascript:void(0)' class='slick-next'>›</a>",
    "<a href=\"javascript:__doPostBack('pager','')\">Next</a>",
    "<a href='https://zalo.me/2'>2</a>",
    "<a href='/lien-ket'><img src='/logo.png'></a>",
])
def test_a_page_without_a_pager_has_none(page):
    assert _missed(page) is None


def _site(pager: str):
    def answer(path, base):
        if path.startswith("/bai-"):
            return _article(int(path[5:].split(".")[0])), "text/html; charset=utf-8"
        if path == "/tin":
            return _listing(["/bai-1.html", "/bai-2.html"], pager), "text/html"
        if path == "/tin?p=2":
            return _listing(["/bai-3.html"]), "text/html"
        return None

    return answer


def test_a_listing_of_one_page_is_no_warning(tmp_path):
    with serve_routes(_site("")) as (base, _hits):
        _write(tmp_path, base, discovery=f'[[source.discovery.listings]]\nurl = "{base}/tin"\nnext = "a.next"')
        result = crawl_into(tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "WARNING" not in result.stderr, result.stderr[-3000:]
    assert (f"INFO: cong: listing {base}/tin: its next selector 'a.next' matches no link on its first page, "
            "which shows no pager: a listing of one page") in result.stderr


def test_a_mistyped_next_selector_is_a_warning_showing_the_link_it_missed(tmp_path):
    with serve_routes(_site("<div class='paging'><a class='next' href='/tin?p=2'>Trang sau ›</a></div>")) as (base, _):
        _write(tmp_path, base, discovery=f'[[source.discovery.listings]]\nurl = "{base}/tin"\nnext = "a.nxt"')
        result = crawl_into(tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert (f"WARNING: cong: listing {base}/tin: its next selector 'a.nxt' matches no link with an href on its "
            "first page, so only that page is read, though the page has a link that looks like its pager's: "
            "<a class=\"next\" href=\"/tin?p=2\">Trang sau ›</a>; check the selector against that link"
            ) in result.stderr


def test_the_demo_warns_of_no_next_selector(run_cli):
    """The sample site's magazine has sections of one page: no pager, and nothing wrong."""
    result = run_cli("demo", "--no-serve", "--db", "demo.db", check=True)
    assert "next selector" not in result.stderr, result.stderr
