"""Pages whose markup is broken as browsers forgive it: the article after a premature </html>."""

import pytest

from archive.extract import extract

URL = "http://127.0.0.1/a/trung-tam-dieu-hanh.htm"
HEADERS = {"Content-Type": "text/html; charset=utf-8"}

CENTRE = "Bắc Giang ra mắt Trung tâm giám sát, điều hành đô thị thông minh theo Quyết định 512/QĐ-UBND"
CENTRE_TEXT = [
    "Ngày 05/5/2025, UBND tỉnh Bắc Giang tổ chức lễ ra mắt Trung tâm giám sát, điều hành đô thị thông minh "
    "theo Quyết định 512/QĐ-UBND.",
    "Trung tâm kết nối dữ liệu từ các hệ thống thông tin của sở, ngành và camera giám sát giao thông trên địa "
    "bàn thành phố.",
    "Người dân có thể gửi phản ánh hiện trường qua ứng dụng Bắc Giang-S và kênh Zalo OA của tỉnh.",
    "Trong năm 2025, tỉnh tiếp tục mở rộng kết nối tới các huyện và hoàn thiện kho dữ liệu dùng chung.",
]
ARTICLE = (f'<div class="detail"><h1>{CENTRE}</h1><div class="date">Thứ Hai, 05/5/2025 09:00</div>\n'
           f'<div class="content">{"".join(f"<p>{p}</p>" for p in CENTRE_TEXT)}</div></div>')
HEAD = f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{CENTRE}</title></head>'


def read(html: str) -> dict:
    return extract(html.encode(), URL, HEADERS)


@pytest.mark.parametrize("html", [
    # The template closes the page after its head, and the CMS writes the article after it.
    f"{HEAD}</html>\n{ARTICLE}",
    f"{HEAD}<body></body></html>\n{ARTICLE}",
    # Two pages run together: the article, then the footer's own whole document.
    f"{HEAD}</html>\n{ARTICLE}\n</html><html><body><p>Liên kết website</p></body></html>",
], ids=["after-html", "after-body-and-html", "second-document"])
def test_the_article_after_a_premature_end_of_the_page_is_read(html):
    record = read(html)
    assert record["title"] == CENTRE
    assert record["text"] == "\n".join(CENTRE_TEXT)
    assert record["published"] == "2025-05-05T09:00:00+07:00"


def test_a_page_that_ends_where_it_should_is_read_as_before():
    assert read(f"{HEAD}<body>{ARTICLE}</body></html>\n<!-- trang chủ -->\n")["text"] == "\n".join(CENTRE_TEXT)
