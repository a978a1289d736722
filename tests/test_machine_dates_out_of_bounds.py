"""A date a page gives only in a machine form (a <meta>, JSON-LD) that no article can have: the
empty date some CMSs write (.NET's "0001-01-01T00:00:00", the Unix epoch), a year past the
capture. It is not the article's date: the date the page shows stands, or none."""

import json

import pytest

from archive.extract import extract

CAPTURED = "2024-05-17T10:00:00+07:00"
BODY = ("<p>Ủy ban nhân dân tỉnh Bắc Giang triển khai Kế hoạch 174/KH-UBND về chuyển đổi số; Sở Thông tin "
        "và Truyền thông hướng dẫn các huyện mở tài khoản Zalo OA và trang Facebook chính thức trong quý III, "
        "cập nhật thông tin chính sách cho người dân mỗi tuần.</p>") * 5
SHOWN = '<div class="date">Thứ Năm, 16/05/2024 08:30</div>'

OUT_OF_BOUNDS = [
    "0001-01-01T00:00:00",
    "0001-01-01T00:00:00+14:00",
    "0001-01-01",
    "1970-01-01T00:00:00Z",
    "1900-01-01",
    "2035-05-01T08:00:00+07:00",
    "9999-12-31T00:00:00+07:00",
    "9999-12-31T23:00:00-05:00",
    "9999-12-31",
]


def page(head: str, shown: str = SHOWN) -> bytes:
    return (f'<html lang="vi"><head><meta charset="utf-8"><title>Bắc Giang triển khai kế hoạch</title>{head}</head>'
            f"<body><article><h1>Bắc Giang triển khai kế hoạch chuyển đổi số</h1>{shown}{BODY}</article>"
            "</body></html>").encode()


def dates(body: bytes) -> tuple:
    record = extract(body, "https://bacgiang.gov.vn/tin/ke-hoach-174.html",
                     {"Content-Type": "text/html; charset=utf-8"}, captured_at=CAPTURED)
    return record["published"], record["updated"]


@pytest.mark.parametrize("value", OUT_OF_BOUNDS)
def test_a_meta_date_no_article_can_have_leaves_the_shown_date(value):
    assert dates(page(f'<meta property="article:published_time" content="{value}">')) == (
        "2024-05-16T08:30:00+07:00", None)


@pytest.mark.parametrize("value", OUT_OF_BOUNDS)
def test_a_json_ld_date_no_article_can_have_leaves_the_shown_date(value):
    ld = json.dumps({"@context": "https://schema.org", "@type": "NewsArticle", "datePublished": value,
                     "dateModified": value})
    assert dates(page(f'<script type="application/ld+json">{ld}</script>')) == ("2024-05-16T08:30:00+07:00", None)


@pytest.mark.parametrize("value", OUT_OF_BOUNDS)
def test_with_no_date_shown_such_a_date_is_no_date(value):
    assert dates(page(f'<meta property="article:published_time" content="{value}">'
                      f'<meta property="article:modified_time" content="{value}">', shown="")) == (None, None)


def test_a_meta_date_within_the_bounds_still_counts():
    assert dates(page('<meta property="article:published_time" content="2024-05-16T01:30:00Z">', shown="")) == (
        "2024-05-16T08:30:00+07:00", None)


@pytest.mark.parametrize("value, published", [
    ("1989-12-31T20:00:00Z", "1990-01-01T03:00:00+07:00"),
    ("1990-01-01T00:30:00+09:00", None),
    ("2024-05-18T02:00:00+00:00", "2024-05-18T09:00:00+07:00"),
    ("2024-05-19T20:00:00-05:00", None),
])
def test_the_bounds_are_those_of_the_day_in_vietnam(value, published):
    # As a written date's: the earliest year and a day after the capture, on Vietnam's clock.
    assert dates(page(f'<meta property="article:published_time" content="{value}">', shown="")) == (published, None)
