"""Per-source extraction overrides: CSS selectors in sources.toml beat the generic extractor."""

import re

import pytest

from archive.db import open_db
from archive.extract import extract
from archive.reextract import reextract
from archive.sources import UNMATCHED_RULES, SourcesError, parse_sources
from tests.conftest import crawl_into, query, serve_routes

SIDEBAR = "<div class='box'>" + "".join(
    f"<p>Tin khác số {i}: thông báo lịch tiếp công dân định kỳ của phường trong tháng này, mời bà con theo dõi.</p>"
    for i in range(6)
) + "</div>"
PAGE = f"""<html lang="vi"><head><meta charset="utf-8"><title>Trang tin phường</title>
<meta property="article:published_time" content="2020-01-01T00:00:00+07:00"></head><body>
<div class="top"><span class="x1">Thứ Hai, 08/04/2021 14:30</span> <em class="x2">Lê Văn Nam</em></div>
{SIDEBAR}
<div class="x3"><p>Chiều 8/4, UBND phường tổ chức hội nghị triển khai kênh Zalo OA của phường để người dân gửi phản ánh
về trật tự đô thị, vệ sinh môi trường và thủ tục hành chính, thay cho hộp thư góp ý trước đây.</p>
<p>Theo lãnh đạo phường, trong tháng đầu vận hành, kênh đã tiếp nhận hơn 300 phản ánh, phần lớn được trả lời
trong vòng 48 giờ; các phản ánh phức tạp được chuyển đến phòng chuyên môn của quận.</p></div>
{SIDEBAR}</body></html>""".encode()
RULES = {"body": "div.x3", "author": "em.x2", "date": "span.x1"}


def test_selectors_override_the_generic_extractor():
    generic = extract(PAGE, "http://127.0.0.1/bai-1.html", {})
    assert generic["published"] == "2020-01-01T00:00:00+07:00"
    ruled = extract(PAGE, "http://127.0.0.1/bai-1.html", {}, RULES)
    assert ruled["published"] == "2021-04-08T14:30:00+07:00"
    assert ruled["author"] == "Lê Văn Nam"
    assert ruled["text"].startswith("Chiều 8/4, UBND phường")
    assert "Tin khác" not in ruled["text"]


def test_a_selector_that_matches_nothing_falls_back():
    rules = {"body": "div.nothing", "title": "div.nothing", "author": "em.nothing", "date": "span.nothing"}
    ruled = extract(PAGE, "http://127.0.0.1/bai-1.html", {}, rules)
    generic = extract(PAGE, "http://127.0.0.1/bai-1.html", {})
    # The reading is the generic one; its version still says which selectors were asked for, and
    # the record (outside its fields, which the archive stores) which of them matched nothing.
    assert ruled.pop(UNMATCHED_RULES) == dict.fromkeys(rules, "nothing")
    assert ruled.pop("extractor_version").startswith(generic.pop("extractor_version") + "+rules-")
    assert ruled == generic


def test_a_date_selector_that_picks_no_date_keeps_the_structured_date():
    page = PAGE.replace(
        b'<meta property="article:published_time" content="2020-01-01T00:00:00+07:00">',
        b'<script type="application/ld+json">{"@type": "NewsArticle", "datePublished": "2024-11-14T09:30:00+07:00"}'
        b"</script>",
    )
    generic = extract(page, "http://127.0.0.1/bai-1.html", {})
    assert generic["published"] == "2024-11-14T09:30:00+07:00"
    # The selector meant for the date line picks the byline: it found no date.
    ruled = extract(page, "http://127.0.0.1/bai-1.html", {}, {"date": "em.x2"})
    assert ruled["published"] == generic["published"] and ruled["updated"] == generic["updated"]


# A legacy CMS: no <h1>, the headline in a styled div, the portal's name in <title> and the
# description, and today's date in the page header above the article's own date line.
LEGACY = """<html><head><meta charset="utf-8"><title>Cổng thông tin điện tử Sở TT&amp;TT Mimic</title>
<meta name="description" content="Cổng thông tin điện tử Sở TT&amp;TT Mimic"></head><body>
<div class="header-date">Thứ Ba, 16/07/2024</div><div class="menu"><a href="/">TRANG CHỦ</a></div>
<table><tr><td><div class="tieude-tin">Hà Nội đẩy mạnh tuyên truyền trên Fanpage của phường</div>
<div class="news-date">05/07/2024 08:32</div>
<div id="noidung"><p>Chiều 8/4, UBND phường tổ chức hội nghị triển khai kênh Zalo OA của phường để người dân gửi phản ánh
về trật tự đô thị, vệ sinh môi trường và thủ tục hành chính, thay cho hộp thư góp ý trước đây.</p>
<p>Theo lãnh đạo phường, trong tháng đầu vận hành, kênh đã tiếp nhận hơn 300 phản ánh, phần lớn được trả lời
trong vòng 48 giờ; các phản ánh phức tạp được chuyển đến phòng chuyên môn của quận.</p></div></td></tr></table>
</body></html>""".encode()


def test_a_title_selector_names_the_headline_of_a_page_without_h1():
    url = "http://127.0.0.1/chi-tiet/7001.html"
    generic = extract(LEGACY, url, {}, {"body": "#noidung"})
    assert generic["title"] == "Cổng thông tin điện tử Sở TT&TT Mimic"
    ruled = extract(LEGACY, url, {}, {"body": "#noidung", "title": ".tieude-tin"})
    assert ruled["title"] == "Hà Nội đẩy mạnh tuyên truyền trên Fanpage của phường"
    # The description held the portal's name, as the title did.
    assert generic["description"] == generic["title"] and ruled["description"] is None
    # The date line is the one beside the headline, as beside an <h1>.
    assert generic["published"] == "2024-07-16"
    assert ruled["published"] == "2024-07-05T08:32:00+07:00"
    assert ruled["extractor_version"] != generic["extractor_version"]


BASE = """[[source]]
id = "phuong"
name = "Phường"
kind = "province-portal"
home = "http://127.0.0.1:{port}/"
allowed_domains = ["127.0.0.1"]
article_pattern = '/bai-\\d+\\.html$'
schedule = "0 * * * *"
[source.discovery]
feeds = ["http://127.0.0.1:{port}/rss"]
[source.politeness]
delay = 0
{extract}"""


@pytest.mark.parametrize("extract_table, message", [
    ('[source.extract]\nbody = "div..x3"\n', "field 'extract.body': bad CSS selector"),
    ('[source.extract]\nheadline = "h1"\n', "field 'extract.headline': unknown key (body, title, author or date)"),
    ('[source.extract]\nauthor = ""\n', "field 'extract.author': must be a CSS selector string"),
])
def test_bad_selectors_are_named(extract_table, message):
    with pytest.raises(SourcesError, match=re.escape(message)):
        parse_sources(BASE.format(port=1, extract=extract_table))


def test_a_title_selector_is_accepted():
    (source,) = parse_sources(BASE.format(port=1, extract='[source.extract]\ntitle = ".tieude-tin"\n'))
    assert source.extract == {"title": ".tieude-tin"}


def _routes(path, base):
    return {
        "/robots.txt": (b"User-agent: *\n", "text/plain"),
        "/rss": (f"<rss><channel><item><link>{base}/bai-1.html</link></item></channel></rss>".encode(),
                 "application/rss+xml"),
        "/bai-1.html": (PAGE, "text/html; charset=utf-8"),
    }.get(path)


@pytest.fixture
def server():
    with serve_routes(_routes) as (base, _hits):
        yield int(base.rsplit(":", 1)[1])


def test_crawl_and_reextract_apply_the_sources_selectors(server, tmp_path):
    rules = "[source.extract]\n" + "".join(f'{k} = "{v}"\n' for k, v in RULES.items())
    (tmp_path / "sources.toml").write_text(BASE.format(port=server, extract=rules), encoding="utf-8")
    result = crawl_into(tmp_path, "--quiet")
    assert result.returncode == 0, result.stderr
    (row,) = query(tmp_path, "select published, author, text from articles")
    assert row["published"] == "2021-04-08T14:30:00+07:00" and row["author"] == "Lê Văn Nam"
    db = open_db(tmp_path / "archive.db")
    with db.atomic():
        db.execute("update articles set published = null, author = null")
    reextract(db, tmp_path / "archive.db")
    (again,) = query(tmp_path, "select published, author, text from articles")
    assert again == row
