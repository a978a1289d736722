"""A source's extract rule whose selector matches nothing is named: by `govarchive extract
--source` for the page tried, at a crawl's end and after a reextract with how many pages it
matched nothing on. Otherwise a mistyped selector shows only in the articles, titled with the
portal's name."""

import pytest

from archive.extract import extract
from archive.sources import UNMATCHED_RULES
from tests.conftest import crawl_into, query, serve_routes

PORTAL = "Cổng thông tin điện tử Sở Nội vụ"
TOPICS = [
    ("Sở Nội vụ triển khai kênh Zalo OA phục vụ người dân",
     "Sở Nội vụ đã triển khai kênh Zalo OA để tiếp nhận phản ánh, kiến nghị của người dân về thủ tục hành chính; "
     "sau hai tháng vận hành, kênh đã tiếp nhận 320 câu hỏi và trả lời đúng hạn toàn bộ."),
    ("Hội nghị tổng kết công tác thi đua khen thưởng năm 2023",
     "Hội nghị đánh giá kết quả phong trào thi đua của ngành Nội vụ toàn tỉnh, biểu dương 45 tập thể và 120 cá "
     "nhân có thành tích xuất sắc, đề ra nhiệm vụ trọng tâm cho năm tới."),
    ("Thông báo tuyển dụng công chức năm 2024",
     "Các cơ quan hành chính tỉnh tuyển 86 chỉ tiêu công chức qua thi tuyển; hồ sơ nhận đến hết tháng Tám tại "
     "bộ phận một cửa của Sở, thí sinh xem danh mục vị trí việc làm trên cổng thông tin."),
]


def page(n: int = 0, author: str = "Nguyễn Thị Hoa") -> bytes:
    """A portal laid out in tables, as many legacy provincial CMSs are: no <h1>, the headline in a
    cell, the portal's name in <title>."""
    headline, text = TOPICS[n]
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>{PORTAL} - Trang chủ</title></head><body>
<table width="100%"><tr><td class="menu"><a href="/">Trang chủ</a><br><a href="/tin-tuc">Tin tức - Sự kiện</a></td>
<td><table><tr><td class="tieude">{headline}</td></tr>
<tr><td class="ngay">Đăng lúc 08:32 ngày 05/07/2024 - Tác giả: Phòng CCHC</td></tr>
<tr><td class="noidung"><p>{text}</p>
<p>Trong thời gian tới, Sở tiếp tục phối hợp với các địa phương mở rộng tính năng tra cứu hồ sơ trực tuyến và
công khai kết quả giải quyết trên cổng thông tin của tỉnh.</p></td></tr>
<tr><td class="tacgia">{author}</td></tr></table></td></tr></table>
<div class="footer">Cơ quan chủ quản: Sở Nội vụ tỉnh. Địa chỉ: số 1 đường Trần Phú.</div>
</body></html>""".encode()


URL = "http://snv.test/tin-tuc/bai-1.htm"
RULES = {"body": "td.noidung", "title": "td.tieude", "date": "td.ngay", "author": "td.tacgia"}


@pytest.mark.parametrize("rules, unmatched", [
    (RULES, {}),
    ({**RULES, "title": "td.tieu-de"}, {"title": "nothing"}),
    ({**RULES, "body": "td.footer"}, {"body": "nothing"}),
    # The date rule picks the author's cell: text, but no date in it.
    ({**RULES, "date": "td.tacgia"}, {"date": "no date"}),
])
def test_extraction_says_which_rules_gave_nothing(rules, unmatched):
    record = extract(page(), URL, {}, rules, captured_at="2024-08-01T00:00:00+07:00")
    assert record[UNMATCHED_RULES] == unmatched


def test_a_rule_that_matches_only_an_empty_element_is_told_from_one_that_matches_none():
    record = extract(page(author=""), URL, {}, {"author": "td.tacgia", "title": "h1"})
    assert record[UNMATCHED_RULES] == {"author": "no text", "title": "nothing"}


def test_a_body_rule_that_picks_only_an_empty_cell_is_named():
    # The worst of a rule's mistakes, an article with no text, said only as "no article text".
    record = extract(page(author=""), URL, {}, {**RULES, "body": "td.tacgia"})
    assert record[UNMATCHED_RULES] == {"body": "no text", "author": "no text"}


def test_what_is_stored_is_read_as_before_and_without_rules_nothing_is_added():
    ruled = extract(page(), URL, {}, {"title": "td.tieu-de"})
    generic = extract(page(), URL, {})
    assert UNMATCHED_RULES not in generic
    assert ruled["title"] == generic["title"] == PORTAL
    del ruled[UNMATCHED_RULES], ruled["extractor_version"], generic["extractor_version"]
    assert ruled == generic


SOURCES = """[[source]]
id = "snv"
name = "Sở Nội vụ"
kind = "province-portal"
home = "{home}/"
allowed_domains = ["{host}"]
article_pattern = '/tin-tuc/bai-\\d+\\.htm$'
schedule = "0 * * * *"
[source.discovery]
feeds = ["{home}/rss"]
[source.politeness]
delay = 0
[source.extract]
{rules}"""


def _sources(rules: dict, home: str = "http://snv.test") -> str:
    return SOURCES.format(home=home, host=home.split("://")[1].split(":")[0],
                          rules="".join(f'{key} = "{selector}"\n' for key, selector in rules.items()))


def _warning(key: str, selector: str, where: str) -> str:
    part = {"body": "text"}.get(key, key)
    return f"extract.{key} {selector!r} matched nothing on {where}: the generic extractor read the {part} there"


def test_extract_names_a_selector_that_matches_nothing_on_the_page(run_cli, tmp_path):
    (tmp_path / "page.html").write_bytes(page())
    (tmp_path / "sources.toml").write_text(_sources({**RULES, "title": "td.tieu-de"}), encoding="utf-8")
    result = run_cli("extract", "page.html", "--source", "snv", "--captured-at", "2024-08-01", check=True)
    assert result.stderr.splitlines() == [f"warning: {_warning('title', 'td.tieu-de', 'this page')}"]
    assert f"title:      {PORTAL}" in result.stdout.splitlines()


def test_extract_says_when_selectors_that_match_change_nothing(run_cli, tmp_path):
    (tmp_path / "page.html").write_bytes(page())
    # The author's cell is where the generic extractor finds the author too.
    (tmp_path / "sources.toml").write_text(_sources({"author": "td.tacgia"}), encoding="utf-8")
    result = run_cli("extract", "page.html", "--source", "snv", check=True)
    assert result.stderr.splitlines() == [
        "note: snv's extract rules change nothing on page.html: its selectors pick what the generic extractor "
        "reads there anyway"
    ]
    (tmp_path / "sources.toml").write_text(_sources({"author": "td.tacgia", "title": "td.tieu-de"}), encoding="utf-8")
    result = run_cli("extract", "page.html", "--source", "snv", "--json", check=True)
    assert result.stderr.splitlines() == [
        f"warning: {_warning('title', 'td.tieu-de', 'this page')}",
        "note: snv's extract rules change nothing on page.html: those of its selectors that match there pick what "
        "the generic extractor reads there anyway",
    ]
    # Not a field of the record.
    assert UNMATCHED_RULES not in result.stdout


def _routes(path, base):
    if path == "/robots.txt":
        return b"User-agent: *\n", "text/plain"
    if path == "/rss":
        items = "".join(f"<item><link>{base}/tin-tuc/bai-{n}.htm</link></item>" for n in range(len(TOPICS)))
        return f"<rss><channel>{items}</channel></rss>".encode(), "application/rss+xml"
    if path.startswith("/tin-tuc/bai-"):
        return page(int(path[len("/tin-tuc/bai-"):-len(".htm")])), "text/html; charset=utf-8"
    return None


@pytest.fixture
def site():
    with serve_routes(_routes) as (base, _hits):
        yield base


def test_a_crawl_ends_naming_a_selector_that_matched_nothing(site, tmp_path):
    (tmp_path / "sources.toml").write_text(_sources({**RULES, "title": "td.tieu-de"}, site), encoding="utf-8")
    result = crawl_into(tmp_path, "--quiet")
    assert result.returncode == 0, result.stderr
    assert f"WARNING: snv: crawl 1: {_warning('title', 'td.tieu-de', '3 of 3 article pages')}" in result.stderr
    assert [row["title"] for row in query(tmp_path, "select title from articles")] == [PORTAL] * 3


def test_reextract_names_a_selector_that_matched_nothing(site, tmp_path, run_cli):
    (tmp_path / "sources.toml").write_text(_sources(RULES, site), encoding="utf-8")
    assert crawl_into(tmp_path, "--quiet").returncode == 0
    (tmp_path / "typo.toml").write_text(_sources({**RULES, "title": "td.tieu-de"}, site), encoding="utf-8")
    result = run_cli("reextract", "--sources", "typo.toml", "--db", "archive.db", check=True)
    assert f"warning: snv: {_warning('title', 'td.tieu-de', '3 of the 3 articles re-read')}" in result.stderr.splitlines()
    assert [row["title"] for row in query(tmp_path, "select title from articles")] == [PORTAL] * 3
