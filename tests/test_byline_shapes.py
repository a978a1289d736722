"""Bylines that hold more than names: the weekday of the date beside them, the title above an
official's signature, two writers joined by a dash."""

import pytest

from archive.bylines import clean_authors
from archive.extract import extract

NOT_NAMES = [
    ("Lê Thị Thanh - Phạm Quốc Bảo | Thứ Năm, 10/10/2024 07:30 (GMT+7)", ["Lê Thị Thanh", "Phạm Quốc Bảo"]),
    ("Lê Thị Thanh; Thứ Năm", ["Lê Thị Thanh"]),
    ("Thứ Sáu, 08/11/2024 | Đoàn Văn Hậu", ["Đoàn Văn Hậu"]),
    ("Chủ Nhật, 13/10/2024 - Vũ Mai", ["Vũ Mai"]),
    ("THỨ HAI | Vũ Mai", ["Vũ Mai"]),
    ("CN, 13/10/2024 | Vũ Mai", ["Vũ Mai"]),
    ("Thứ Năm", []),
    ("PHÓ CHỦ TỊCH", []),
    ("KT. CHỦ TỊCH", []),
    ("TM. ỦY BAN NHÂN DÂN", []),
    ("Giám đốc", []),
    ("Phó Giám Đốc", []),
    # "Phó" alone is a family name, and "Năm" and "Thứ" are given names inside a name.
    ("Phó Đức Phương", ["Phó Đức Phương"]),
    ("Nguyễn Văn Năm", ["Nguyễn Văn Năm"]),
]


@pytest.mark.parametrize("raw, expected", NOT_NAMES)
def test_weekdays_and_titles_are_no_names(raw, expected):
    assert clean_authors(raw) == expected


def _page(article: str) -> bytes:
    paragraphs = "".join(
        f"<p>{p}</p>"
        for p in (
            "Sáng nay, Sở Thông tin và Truyền thông tổ chức buổi làm việc với các cơ quan báo chí trên "
            "địa bàn về kế hoạch tuyên truyền chuyển đổi số trong quý IV, với sự tham gia của 40 đại biểu.",
            "Các tòa soạn thống nhất mở chuyên mục riêng về dịch vụ công trực tuyến, đăng ít nhất hai bài "
            "mỗi tuần và phối hợp với Đài Phát thanh và Truyền hình tỉnh sản xuất các phóng sự ngắn.",
            "Sở sẽ cung cấp số liệu định kỳ hằng tháng để các cơ quan báo chí phản ánh kết quả, khó khăn "
            "và những cách làm hay của các xã trong việc hướng dẫn người dân sử dụng dịch vụ số.",
        )
    )
    return (
        '<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"><title>Báo chí đồng hành cùng '
        f'chuyển đổi số</title></head><body><main>{article.format(body=paragraphs)}</main></body></html>'
    ).encode()


def test_two_writers_and_a_weekday_in_a_byline_box():
    record = extract(_page(
        '<article class="detail"><div class="byline-top">Lê Thị Thanh - Phạm Quốc Bảo | Thứ Năm, '
        '10/10/2024 07:30 (GMT+7)</div><h1>Báo chí đồng hành cùng chuyển đổi số</h1>'
        '<div class="content">{body}</div></article>'
    ), "https://so.example.gov.vn/tin-tuc/bao-chi-1.htm")
    assert record["authors"] == ["Lê Thị Thanh", "Phạm Quốc Bảo"]
    assert record["author"] == "Lê Thị Thanh, Phạm Quốc Bảo"
    assert record["published"] == "2024-10-10T07:30:00+07:00"


def test_a_weekday_before_the_name_in_a_byline_box():
    record = extract(_page(
        '<article class="detail"><h1>Báo chí đồng hành cùng chuyển đổi số</h1>'
        '<div class="byline">Thứ Sáu, 08/11/2024 | Đoàn Văn Hậu</div>'
        '<div class="content">{body}</div></article>'
    ), "https://so.example.gov.vn/tin-tuc/bao-chi-2.htm")
    assert record["authors"] == ["Đoàn Văn Hậu"]
