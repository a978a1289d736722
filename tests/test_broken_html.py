"""Pages whose markup is broken as browsers forgive it: the article after a premature </html>, a
headline whose </h1> is missing."""

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
    # The template's menu, then its premature end: a reading of a few words is no article.
    f'{HEAD}<body><div class="menu"><a href="/">Trang chủ</a> | <a href="/gt">Giới thiệu</a></div></body></html>\n'
    f"{ARTICLE}",
], ids=["after-html", "after-body-and-html", "second-document", "after-a-menu"])
def test_the_article_after_a_premature_end_of_the_page_is_read(html):
    record = read(html)
    assert record["title"] == CENTRE
    assert record["text"] == "\n".join(CENTRE_TEXT)
    assert record["published"] == "2025-05-05T09:00:00+07:00"


def test_a_page_that_ends_where_it_should_is_read_as_before():
    assert read(f"{HEAD}<body>{ARTICLE}</body></html>\n<!-- trang chủ -->\n")["text"] == "\n".join(CENTRE_TEXT)


LYCHEE = "Bắc Giang đẩy mạnh tiêu thụ vải thiều năm 2025 theo Kế hoạch 215/KH-UBND"
LYCHEE_TEXT = [
    "UBND tỉnh Bắc Giang ban hành Kế hoạch 215/KH-UBND ngày 14/4/2025 về tiêu thụ vải thiều và nông sản "
    "chủ lực của tỉnh.",
    "Sản lượng vải thiều toàn tỉnh năm nay ước đạt khoảng 175 nghìn tấn, tăng so với năm trước.",
    "Sở Công Thương cập nhật giá vải tại các điểm thu mua hằng ngày trên cổng thông tin và kênh Zalo OA của Sở.",
    "Tỉnh phối hợp với các sàn thương mại điện tử tổ chức tuần lễ bán vải thiều trực tuyến vào đầu tháng 6.",
]


def lychee_page(paragraphs: str) -> str:
    # No </h1>: the parser puts the date line, the article and the footer inside the headline.
    return (f'<html><head><meta charset="utf-8"><title>{LYCHEE} - Cổng TTĐT tỉnh Bắc Giang</title></head><body>\n'
            f'<div id="main"><h1>{LYCHEE}<div class=date>Ngày đăng: 02/5/2025 11:11\n'
            f'<div class=noidung>{paragraphs}\n'
            '<div class=footer>Bản quyền thuộc UBND tỉnh Bắc Giang</div></div></div></div></body></html>')


@pytest.mark.parametrize("paragraphs", [
    "".join(f"<p>{p}</p>\n" for p in LYCHEE_TEXT),
    "".join(f"<p><b>{p}\n" for p in LYCHEE_TEXT),
], ids=["closed-paragraphs", "unclosed-paragraphs"])
def test_a_headline_left_open_is_the_headline_and_its_date_line_is_read(paragraphs):
    record = read(lychee_page(paragraphs))
    assert record["title"] == LYCHEE
    assert record["published"] == "2025-05-02T11:11:00+07:00"
    assert record["text"] == "\n".join(LYCHEE_TEXT)


def test_a_closed_headline_that_holds_a_block_is_still_the_headline():
    headline = f'<h1 class="title"><div>{LYCHEE}</div></h1>'
    body = "".join(f"<p>{p}</p>" for p in LYCHEE_TEXT)
    html = (f'<html><head><meta charset="utf-8"><title>Tin tức - Cổng TTĐT tỉnh Bắc Giang</title></head><body>'
            f'<div id="main">{headline}<div class="date">Ngày đăng: 02/5/2025 11:11</div>'
            f'<div class="noidung">{body}</div></div></body></html>')
    record = read(html)
    assert record["title"] == LYCHEE
    assert record["published"] == "2025-05-02T11:11:00+07:00"
    assert record["text"] == "\n".join(LYCHEE_TEXT)


# A hacked portal's hidden gambling spam, injected after the page's end.
SPAM = "".join(f"<p>Nhà cái uy tín số {i}: cá cược thể thao, hoàn tiền mỗi ngày, đăng ký nhận thưởng.</p>"
               for i in range(25))


@pytest.mark.parametrize("after", [
    f'<div style="display:none">{SPAM}</div>',
    # A whole second document, a CMS's 404 page with its own headline.
    '<!DOCTYPE html><html><head><title>Lỗi</title></head><body><div class="error"><h1>Rất tiếc, trang bạn tìm kiếm không tồn tại, đã bị xóa hoặc đã được chuyển sang '
    'một địa chỉ khác trên cổng thông tin điện tử của tỉnh</h1><p>Vui lòng quay lại trang chủ.</p></div></body></html>',
], ids=["hidden-spam", "second-404-document"])
def test_what_follows_a_page_that_has_its_article_is_not_read_into_it(after):
    # Read past </html> only when the page gave no article: what a CMS or an intruder appends
    # after a whole page took the article's place.
    head = HEAD.replace(CENTRE, "Cổng thông tin điện tử tỉnh Bắc Giang")  # a portal's usual <title>
    record = read(f"{head}<body>{ARTICLE}</body></html>\n{after}")
    assert record["title"] == CENTRE
    assert record["text"] == "\n".join(CENTRE_TEXT)


# A decision's headline can run past 300 characters.
DECISION = ("Quyết định 1024/QĐ-UBND ngày 12/5/2025 của Chủ tịch UBND tỉnh Bắc Giang về việc phê duyệt "
            "Kế hoạch triển khai nền tảng số dùng chung, kết nối Trung tâm giám sát, điều hành đô thị thông minh "
            "với các sở, ban, ngành, UBND các huyện, thị xã, thành phố và tăng cường tuyên truyền trên kênh "
            "Zalo OA, fanpage Facebook của tỉnh giai đoạn 2025 - 2030")


@pytest.mark.parametrize("headline", [
    f"<h1><div>{DECISION}</div></h1>",
    f'<h1 class="detail"><div class="title">{DECISION}</div><div class="sapo">{LYCHEE_TEXT[0]}</div></h1>',
], ids=["long-headline-in-a-div", "headline-and-sapo"])
def test_a_long_headline_that_is_closed_is_left_whole(headline):
    assert len(DECISION) > 300
    body = "".join(f"<p>{p}</p>" for p in LYCHEE_TEXT[1:])
    html = (f'<html><head><meta charset="utf-8"><title>Cổng TTĐT tỉnh Bắc Giang</title></head><body>'
            f'<div id="main">{headline}<div class="date">Ngày đăng: 12/5/2025 16:00</div>'
            f'<div class="noidung">{body}</div></div></body></html>')
    assert read(html)["title"].startswith(DECISION)


def test_a_long_closed_headline_with_its_lead_inside_is_the_headline_alone():
    # The lead set in the <h1> after the headline's words: the headline is those words.
    body = "".join(f"<p>{p}</p>" for p in LYCHEE_TEXT[1:])
    html = (f'<html><head><meta charset="utf-8"><title>Cổng TTĐT tỉnh Bắc Giang</title></head><body>'
            f'<div id="main"><h1>{DECISION}<div class="sapo">{LYCHEE_TEXT[0]}</div></h1>'
            f'<div class="date">Ngày đăng: 12/5/2025 16:00</div><div class="noidung">{body}</div></div></body></html>')
    record = read(html)
    assert record["title"] == DECISION
    assert record["published"] == "2025-05-12T16:00:00+07:00"
