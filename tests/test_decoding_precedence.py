"""Which charset a page is read in, as a browser reads it: a byte order mark before any
declaration, the header's charset, then the page's own <meta charset> wherever in its <head> it
stands, then detection, which takes windows-1258 for Vietnamese written in it."""

import asyncio
import unicodedata

import pytest

from archive.db import open_db
from archive.extract import extract
from archive.samplesite.faults import encode_cp1258
from archive.search import search
from archive.serve import make_datasette
from archive.sniff import is_page
from tests.conftest import crawl_into, query, serve_routes
from tests.test_variants import write_sources

TITLE = "UBND tỉnh Bắc Giang ban hành Kế hoạch 707/KH-UBND về xóa nhà tạm"
PARAGRAPHS = [
    "Ngày 08/4/2025, UBND tỉnh Bắc Giang ban hành Kế hoạch 707/KH-UBND về hỗ trợ xóa nhà tạm, nhà dột nát "
    "cho hộ nghèo trên địa bàn tỉnh.",
    "Theo kế hoạch, các huyện rà soát danh sách hộ cần hỗ trợ và hoàn thành việc xây mới, sửa chữa nhà ở "
    "trước ngày 30/9/2025.",
    "Sở Xây dựng hướng dẫn thiết kế mẫu nhà ở bảo đảm an toàn trước mưa bão, phù hợp với phong tục tập quán "
    "của từng địa phương.",
    "Kinh phí thực hiện được huy động từ ngân sách nhà nước, Quỹ Vì người nghèo và sự đóng góp của doanh nghiệp.",
]
# A theme's inline stylesheet: 10 KB of rules ahead of the page's <meta charset>, and so much
# markup beside the prose that detection reads the windows-1258 bytes as Central European.
STYLE = "<style>" + "".join(f".m{i}{{color:#333;padding:{i % 9}px}}\n" for i in range(300)) + "</style>"
LATE_META = '<meta http-equiv="Content-Type" content="text/html; charset=windows-1258">'
URL = "http://127.0.0.1/a/ke-hoach-707.htm"


def page(head: str = "") -> str:
    body = "\n".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    return (f'<!DOCTYPE html><html lang="vi"><head><title>{TITLE}</title>{head}</head><body>\n'
            f'<div class="detail"><h1>{TITLE}</h1><div class="date">Cập nhật: 08/4/2025 09:30</div>\n'
            f'<div class="content">{body}</div></div></body></html>')


def read(body: bytes, content_type: str) -> dict:
    return extract(body, URL, {"Content-Type": content_type})


def assert_read_right(record: dict, charset: str) -> None:
    assert record["charset"] == charset
    assert record["title"] == TITLE
    assert record["text"] == "\n".join(PARAGRAPHS)


@pytest.mark.parametrize("meta", [LATE_META, '<meta charset="windows-1258">'])
def test_a_meta_charset_after_a_long_inline_style_is_read(meta):
    assert_read_right(read(encode_cp1258(page(STYLE + meta)), "text/html"), "cp1258")


def test_a_meta_charset_in_the_body_past_the_first_kilobytes_is_not_the_pages():
    # Past the <body> the page is being shown: a <meta> there (a quoted page, a widget's markup)
    # declares nothing.
    html = page(STYLE).replace("</p>\n", '</p>\n<meta charset="iso-8859-2">\n', 1)
    assert_read_right(read(encode_cp1258(html), "text/html"), "cp1258")


def test_windows_1258_is_taken_over_a_code_page_that_reads_no_vietnamese():
    # Nothing declared: the combining tone marks windows-1258 spells Vietnamese with sit on
    # vowels, where detection's Central European reading gives "Băěc Giang".
    assert_read_right(read(encode_cp1258(page(STYLE)), "text/html"), "cp1258")


def test_other_languages_are_left_to_detection():
    czech = ("Krajský úřad vydal nové nařízení o veřejné dopravě. Změny platí od příštího měsíce "
             "a týkají se všech linek v regionu. Cestující najdou jízdní řády na webu dopravce. ") * 3
    html = f"<html><head><title>Doprava</title>{STYLE}</head><body><p>{czech}</p></body></html>"
    record = read(html.encode("cp1250"), "text/html")
    assert record["charset"] != "cp1258"


@pytest.mark.parametrize("codec, charset", [("utf-16-le", "utf-16-le"), ("utf-16-be", "utf-16-be"),
                                             ("utf-8", "utf-8")])
@pytest.mark.parametrize("content_type", ["text/html; charset=windows-1258", "text/html; charset=iso-8859-1",
                                          "text/html"])
def test_a_byte_order_mark_beats_the_declared_charset(codec, charset, content_type):
    body = "\ufeff" + page('<meta charset="windows-1258">')
    record = read(body.encode(codec), content_type)
    assert_read_right(record, charset)


@pytest.mark.parametrize("codec", ["utf-8", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"])
def test_a_page_behind_a_byte_order_mark_is_a_page_whatever_its_type(codec):
    # Misconfigured portals serve pages as application/octet-stream: the first bytes decide.
    assert is_page(("\ufeff" + page()).encode(codec), "application/octet-stream")


def _crawl(folder, answer, crawls=1):
    """Crawls of the site ``answer(path, crawl)`` serves, its articles under /a/ linked from /list,
    ``crawl`` counting them from 1."""
    done = []
    with serve_routes(lambda path, _base: answer(path, len(done) + 1)) as (base, _hits):
        write_sources(folder, base)
        for _ in range(crawls):
            result = crawl_into(folder, "--quiet")
            done.append(result)
            assert result.returncode == 0, result.stdout + result.stderr
    return query(folder, "select a.id, a.url, a.charset, v.version, v.title, v.text from article_history v "
                         "join articles a on a.id = v.article_id order by a.url, v.version")


def _listing(*slugs):
    links = "".join(f'<a href="/a/{slug}.htm">{slug}</a>' for slug in slugs)
    return f"<html><body>{links}</body></html>".encode(), "text/html; charset=utf-8"


def _searched(folder, words):
    db = open_db(folder / "archive.db", create=False)
    return [r["url"].rsplit("/", 1)[1] for r in search(db, words, limit=10)]


def test_an_article_served_again_in_windows_1258_is_the_same_article(tmp_path):
    def answer(path, crawl):
        if path == "/list":
            return _listing("ke-hoach-707")
        if path != "/a/ke-hoach-707.htm":
            return None
        if crawl == 1:
            return page('<meta charset="utf-8">').encode(), "text/html; charset=utf-8"
        # The server now sends the site's windows-1258 template, its charset declared late.
        return encode_cp1258(page(STYLE + LATE_META)), "text/html"

    versions = _crawl(tmp_path, answer, crawls=2)
    assert [(v["version"], v["title"], v["text"]) for v in versions] == [(1, TITLE, "\n".join(PARAGRAPHS))]
    assert _searched(tmp_path, '"xóa nhà tạm"') == ["ke-hoach-707.htm"]


def test_a_utf16_page_under_a_legacy_charset_is_read_and_shown_as_utf16(tmp_path):
    def answer(path, _crawl):
        if path == "/list":
            return _listing("utf16")
        if path == "/a/utf16.htm":
            return ("\ufeff" + page()).encode("utf-16-le"), "text/html; charset=windows-1258"
        return None

    versions = _crawl(tmp_path, answer)
    assert [(v["charset"], v["title"], v["text"]) for v in versions] == [("utf-16-le", TITLE, "\n".join(PARAGRAPHS))]
    assert _searched(tmp_path, '"xóa nhà tạm"') == ["utf16.htm"]
    # The capture view shows the page, not its markup spelt out in windows-1258.
    (fetch,) = query(tmp_path, "select id from fetches where url like '%/utf16.htm'")
    shown = asyncio.run(make_datasette(tmp_path / "archive.db").client.get(f"/-/capture/{fetch['id']}/page.html"))
    assert shown.status_code == 200
    html = unicodedata.normalize("NFC", shown.content.decode("utf-8"))
    assert f"<h1>{TITLE}</h1>" in html
    assert "\x00" not in html


@pytest.mark.parametrize("hidden", [
    '<!-- <meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1" /> -->',
    "<script>var old = '<meta charset=\"iso-8859-1\">';</script>",
], ids=["comment", "script"])
@pytest.mark.parametrize("ahead", ["", STYLE], ids=["early", "late"])
def test_a_meta_charset_in_a_comment_or_a_script_declares_nothing(hidden, ahead):
    # Only what a browser would read as a tag counts.
    assert_read_right(read(encode_cp1258(page(ahead + hidden)), "text/html"), "cp1258")


def test_a_utf8_byte_order_mark_ahead_of_other_bytes_is_set_aside():
    # An include saved with a byte order mark, ahead of a windows-1258 page: the mark cannot be the
    # page's, and read as UTF-8 every accented letter was lost.
    assert_read_right(read(b"\xef\xbb\xbf" + encode_cp1258(page()), "text/html; charset=windows-1258"), "cp1258")


@pytest.mark.parametrize("damage", [lambda b: b[:-1], lambda b: b[:-8] + "\ud800".encode("utf-16-le", "surrogatepass") + b[-6:]],
                         ids=["cut-short", "stray-surrogate"])
def test_a_damaged_utf16_page_is_still_utf16(damage):
    # As browsers read it: the damage replaced, the rest of the page as it is.
    record = read(damage(("\ufeff" + page()).encode("utf-16-le")), "text/html")
    assert record["charset"] == "utf-16-le" and record["title"] == TITLE


def test_a_utf32_byte_order_mark_is_not_taken_for_utf16s():
    record = read(("\ufeff" + page()).encode("utf-32-le"), "text/html")
    assert_read_right(record, "utf-32-le")


def test_central_european_whose_marks_follow_vowels_is_left_to_detection():
    # Romanian's Ţ is windows-1258's tone mark byte DE, after a vowel in "INFORMAŢII": Vietnamese
    # has more than tone marks (its đ), which Romanian has not.
    romanian = ("Primăria anunţă noi măsuri pentru transportul public. Consiliul local a aprobat "
                "bugetul şi planul de investiţii pentru anul viitor. ") * 3
    menu = "INFORMAŢII PUBLICE · EDUCAŢIE · ADMINISTRAŢIE · NOTIFICAŢII · DECLARAŢII · AUTORIZAŢII"
    html = f"<html><head><title>Primăria</title>{STYLE}</head><body><p>{menu}</p><p>{romanian}</p></body></html>"
    assert read(html.encode("cp1250"), "text/html")["charset"] != "cp1258"
