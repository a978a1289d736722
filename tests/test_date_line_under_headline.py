"""A date line set in a plain paragraph under the headline, with no class or id to mark it: the
text filter takes it out as the article's date stamp, and it dates the article when nothing
better does."""

import pytest

from archive.extract import extract

PARAGRAPHS = (
    "Ban Chỉ đạo chuyển đổi số của thành phố họp phiên thường kỳ, nghe báo cáo tiến độ xây dựng kho "
    "dữ liệu dùng chung và việc kết nối hệ thống một cửa điện tử của 14 phường với phần mềm của tỉnh.",
    "Theo báo cáo, kho dữ liệu đã có hơn 310.000 bản ghi về hộ tịch và đất đai được số hóa; các phường "
    "còn chậm được yêu cầu hoàn thành việc làm sạch dữ liệu trước ngày 15 tháng sau.",
    "Kết luận phiên họp, Trưởng Ban Chỉ đạo đề nghị các đơn vị báo cáo kết quả hằng tuần qua hệ thống "
    "quản lý văn bản, không gửi bản giấy.",
)
BODY = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)


def run(body: str, head: str = "") -> dict:
    html = (
        '<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"><title>Họp Ban Chỉ đạo chuyển đổi '
        f'số thành phố</title>{head}</head><body>{body}</body></html>'
    )
    return extract(html.encode(), "https://thanhpho.example.gov.vn/tin-tuc/hop-ban-chi-dao-12.htm")


@pytest.mark.parametrize("line", ["Thứ Ba, 16/07/2024 09:20", "16/07/2024 09:20"])
def test_a_plain_date_line_under_the_headline_dates_the_article(line):
    record = run(f'<div class="main"><h1>Họp Ban Chỉ đạo chuyển đổi số thành phố</h1><p>{line}</p>{BODY}</div>')
    assert record["published"] == "2024-07-16T09:20:00+07:00"
    assert record["text"].startswith(PARAGRAPHS[0])


def test_a_print_view_dated_in_a_plain_paragraph():
    record = run(
        '<div class="print-logo">CỔNG THÔNG TIN ĐIỆN TỬ THÀNH PHỐ</div>'
        f"<h1>Họp Ban Chỉ đạo chuyển đổi số thành phố</h1><p>Thứ Ba, 16/07/2024 09:20</p>{BODY}"
        '<p class="print-url">Địa chỉ bài viết: https://thanhpho.example.gov.vn/tin-tuc/hop-ban-chi-dao-12.htm</p>'
    )
    assert record["published"] == "2024-07-16T09:20:00+07:00"


def test_a_marked_date_line_beats_a_plain_one():
    record = run(
        '<div class="main"><h1>Họp Ban Chỉ đạo chuyển đổi số thành phố</h1>'
        f'<div class="post-date">17/07/2024 10:00</div><p>16/07/2024 09:20</p>{BODY}</div>'
    )
    assert record["published"] == "2024-07-17T10:00:00+07:00"


def test_a_timed_meta_date_beats_a_plain_date_line():
    record = run(
        f'<div class="main"><h1>Họp Ban Chỉ đạo chuyển đổi số thành phố</h1><p>16/07/2024 09:20</p>{BODY}</div>',
        head='<meta property="article:published_time" content="2024-07-16T08:05:00+07:00">',
    )
    assert record["published"] == "2024-07-16T08:05:00+07:00"


def test_a_dated_line_closing_a_letter_does_not_date_the_article():
    record = run(
        f'<div class="main"><h1>Họp Ban Chỉ đạo chuyển đổi số thành phố</h1>{BODY}'
        "<p>Hà Nội, ngày 2 tháng 7 năm 2024</p></div>"
    )
    assert record["published"] is None
