"""A date the calendar does not have ("29/02/2023": 2023 is no leap year; "31/04/2024") dates
nothing. htmldate, inside trafilatura, read such a date line as its month ("02/2023") and gave the
1st: the archive filed the article on a day the page never shows. The page's other dates stand;
with none, the article has no publication date rather than a made-up one."""

import pytest

from archive.extract import extract

HEADLINE = "Tỉnh triển khai Kế hoạch 174/KH-UBND về chuyển đổi số trong cơ quan nhà nước"
PARAGRAPHS = (
    "Ủy ban nhân dân tỉnh vừa ban hành Kế hoạch 174/KH-UBND về chuyển đổi số trong các cơ quan hành "
    "chính nhà nước, đặt mục tiêu đến cuối năm có 80% hồ sơ thủ tục hành chính được xử lý trực tuyến.",
    "Theo kế hoạch, các sở, ban, ngành và Ủy ban nhân dân cấp huyện hoàn thành việc số hóa kết quả giải "
    "quyết thủ tục hành chính còn hiệu lực và kết nối hệ thống một cửa điện tử với cơ sở dữ liệu dân cư.",
    "Sở Thông tin và Truyền thông được giao chủ trì theo dõi, đôn đốc các đơn vị thực hiện, tổng hợp "
    "khó khăn, vướng mắc và báo cáo Ủy ban nhân dân tỉnh kết quả triển khai định kỳ hằng quý.",
)
URL = "https://tinh.example.gov.vn/tin-tuc/trien-khai-ke-hoach-174-kh-ubnd-2401.htm"
CAPTURED = "2024-06-01T03:00:00+00:00"


def run(date_line: str, head: str = "", after: str = "", url: str = URL) -> dict:
    body = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    html = (
        f'<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"><title>{HEADLINE}</title>{head}</head>'
        f'<body><div class="detail"><h1 class="detail-title">{HEADLINE}</h1>'
        f'<div class="post-date">{date_line}</div><div class="detail-content">{body}</div>{after}</div>'
        "</body></html>"
    )
    return extract(html.encode(), url, captured_at=CAPTURED)


def meta(value: str) -> str:
    return f'<meta property="article:published_time" content="{value}">'


def jsonld(value: str) -> str:
    return (
        '<script type="application/ld+json">{"@context": "https://schema.org", "@type": "NewsArticle", '
        f'"headline": "{HEADLINE}", "datePublished": "{value}"}}</script>'
    )


IMPOSSIBLE = [
    "Thứ Tư, 29/02/2023 10:00",
    "31/04/2024",
    "Thứ Sáu, 30/02/2024 08:00",
    "31/06/2023 15:45",
    "32/01/2024",
    "15/13/2023 09:00",
    "29.02.2023",
    "2023-02-29 10:00",
]


@pytest.mark.parametrize("line", IMPOSSIBLE)
def test_an_impossible_date_line_leaves_the_article_undated(line):
    record = run(line)
    assert (record["published"], record["updated"]) == (None, None)
    assert record["text"].startswith(PARAGRAPHS[0])


@pytest.mark.parametrize("line", IMPOSSIBLE)
def test_a_meta_date_dates_a_page_whose_date_line_is_impossible(line):
    record = run(line, head=meta("2024-02-28T09:15:00+07:00"))
    assert record["published"] == "2024-02-28T09:15:00+07:00"


def test_a_json_ld_date_dates_a_page_whose_date_line_is_impossible():
    record = run("Thứ Tư, 29/02/2023 10:00", head=jsonld("2023-02-28T10:00:00+07:00"))
    assert record["published"] == "2023-02-28T10:00:00+07:00"


def test_another_visible_date_dates_a_page_whose_date_line_is_impossible():
    record = run("Thứ Tư, 29/02/2023 10:00", after='<div class="publish-date">Ngày đăng: 28/02/2023 10:00</div>')
    assert record["published"] == "2023-02-28T10:00:00+07:00"


def test_an_update_is_the_publication_at_the_latest_beside_an_impossible_date():
    record = run("Thứ Tư, 29/02/2023 10:00", after='<div class="date-update">Cập nhật: 01/03/2023 08:30</div>')
    assert (record["published"], record["updated"]) == ("2023-03-01T08:30:00+07:00", None)


@pytest.mark.parametrize("value", ["2023-02-29T10:00:00+07:00", "2023-02-29", "29/02/2023 10:00", "2023-13-05"])
@pytest.mark.parametrize("markup", [meta, jsonld], ids=["meta", "json-ld"])
def test_an_impossible_structured_date_dates_nothing(markup, value):
    record = run("", head=markup(value))
    assert (record["published"], record["updated"]) == (None, None)


@pytest.mark.parametrize("line, published", [
    ("Thứ Ba, 28/02/2023 10:00", "2023-02-28T10:00:00+07:00"),
    ("28/02/2023", "2023-02-28"),
])
@pytest.mark.parametrize("markup", [meta, jsonld], ids=["meta", "json-ld"])
def test_an_impossible_structured_date_does_not_beat_a_visible_one(markup, line, published):
    record = run(line, head=markup("2023-02-29T10:00:00+07:00"))
    assert record["published"] == published


def test_a_date_only_the_url_gives_still_dates_the_article():
    # htmldate's reading stands where nothing on the page contradicts it: the 1st is a real day.
    record = run("", url="https://tinh.example.gov.vn/2024/02/01/trien-khai-ke-hoach-174.htm")
    assert record["published"] == "2024-02-01"
