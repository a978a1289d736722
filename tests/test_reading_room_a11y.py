"""What the reading room's markup says to a reader of either language and to a screen reader:
counts written alike in Vietnamese and English, results counted where they are heard, each
time marked as a time, each count named.

Through datasette's test client; what needs a browser is in tests/browser/test_a11y.py.
"""

import asyncio
import re
import shutil
from datetime import datetime

import lxml.html
import pytest

from archive import ingest
from archive.db import open_db
from archive.serve import make_datasette
from archive.sources import parse_sources
from conftest import store_page
from test_datasette import add_capture

SOURCE = parse_sources(
    '[[source]]\nid = "t"\nname = "Cổng T"\nkind = "press"\nhome = "https://t.vn/"\nallowed_domains = ["t.vn"]\n'
    'article_pattern = "x"\nschedule = "0 * * * *"\n[source.discovery]\nfeeds = ["https://t.vn/rss"]\n'
)[0]
TOGETHER = 1_100  # articles saying "dịch vụ" together
APART = 134  # articles with "dịch" and "vụ" apart
NNBSP = "\u202f"  # the narrow no-break space ISO 80000 groups digits with
AUTHOR = "Minh Anh"
CITED = "174/KH-UBND"  # cited by articles 1 to 3


def _article(i: int) -> dict:
    body = ("Người dân dùng dịch vụ công trực tuyến." if i <= TOGETHER
            else "Tỉnh phòng dịch và giao nhiệm vụ cho các xã.")
    return {"url": f"https://t.vn/{i}", "title": f"Bản tin số {i}", "text": body,
            "published": f"2024-{1 + i % 12:02d}-01T08:00:00+07:00", "text_hash": str(i),
            "author": AUTHOR if i == 1 else None, "doc_refs": [{"ref": CITED}] if i <= 3 else []}


@pytest.fixture(scope="module")
def crowded(tmp_path_factory):
    """An archive of more than a thousand articles: counts of four digits."""
    path = tmp_path_factory.mktemp("crowded") / "archive.db"
    db = open_db(path)
    crawl = ingest.start_crawl(db, SOURCE, max_pages=None)
    with db.atomic():
        for i in range(1, TOGETHER + APART + 1):
            store_page(db, _article(i), source_id="t", seen_at="2024-12-01T00:00:00+00:00", crawl_id=crawl)
        # The first article again, changed: its second version.
        revised = {**_article(1), "text": _article(1)["text"] + " Đã cập nhật.", "text_hash": "1b"}
        store_page(db, revised, source_id="t", seen_at="2024-12-02T00:00:00+00:00", crawl_id=crawl)
    db.close()
    return path


def get(ds, path):
    response = asyncio.run(ds.client.get(path))
    assert response.status_code == 200, (path, response.text[:500])
    return response


def text_of(html, xpath):
    """The text of the elements at ``xpath``, its HTML white space collapsed (not U+202F)."""
    texts = (e if isinstance(e, str) else e.text_content() for e in lxml.html.fromstring(html).xpath(xpath))
    return re.sub(r"[ \t\n\r\f]+", " ", " ".join(texts)).strip()


def test_counts_group_their_digits_with_a_space_either_language_reads_alike(crowded):
    # "1,234" is one and a bit in Vietnamese, whose comma is the decimal mark ("420.000 người").
    ds = make_datasette(crowded)
    total = f"1{NNBSP}234"
    home = get(ds, "/").text
    assert text_of(home, "//p[@class='stats']/strong[1]") == total
    assert text_of(home, "//table[@class='sources']//td[@class='num']") == total

    search = get(ds, "/-/search?q=dich+vu").text
    assert text_of(search, "//*[@id='result-count']") == total
    together = f"1{NNBSP}100"
    assert f"{together} bài trong số này" in text_of(search, "//*[@id='together-note']")
    assert f"Show only those {together}" in text_of(search, "//*[@id='together-note']//a")
    assert text_of(search, "//*[@data-facet='source']//span[@class='count']") == total
    for page in (home, search):
        assert not re.search(r"\d,\d{3}", page)

    limited = make_datasette(crowded, search_limit=1_000)
    past = get(limited, "/-/search?q=dich+vu").text
    assert text_of(past, "//*[@id='result-count']") == f"1{NNBSP}000"
    assert f"chỉ tính 1{NNBSP}000 bài" in text_of(past, "//*[@id='more-note']")
    # What a program reads keeps its numbers as they were.
    data = get(limited, "/-/results.json?q=dich+vu").json()
    assert data["count"] == 1_000 and "1,000 most recently archived" in data["notes"][-1]["en"]


@pytest.fixture(scope="module")
def captures(crawled_archive, tmp_path_factory):
    """A copy of the crawled archive with a page and a file that is no page added: (directory,
    the page's fetch id, the file's)."""
    directory = tmp_path_factory.mktemp("captures")
    shutil.copytree(crawled_archive, directory, dirs_exist_ok=True)
    page = add_capture(directory, "https://t.vn/tin.htm", "<!DOCTYPE html><title>Tin  mới</title><p>Nội dung".encode(),
                       "text/html; charset=utf-8")
    pdf = add_capture(directory, "https://t.vn/van-ban.pdf", b"%PDF-1.4 ...", "application/pdf")
    return directory, page, pdf


def test_the_capture_view_has_a_heading_naming_the_page_and_a_main_landmark_around_it(captures):
    # Heading and landmark navigation reach the archived page: before, the banner was all there was.
    directory, page, pdf = captures
    ds = make_datasette(directory / "archive.db")
    for fetch_id, name in ((page, "Tin mới"), (pdf, "https://t.vn/van-ban.pdf")):
        tree = lxml.html.fromstring(get(ds, f"/-/capture/{fetch_id}.html").text)
        (h1,) = tree.xpath("//h1")
        assert re.sub(r"\s+", " ", h1.text_content()) == f"Bản lưu / Archived: {name}"
        (main,) = tree.xpath("//main")
        assert main.xpath(".//h1") == [h1] and not tree.xpath("//*[@id='govarchive-banner']//h1")
        assert main.xpath(".//iframe") if fetch_id == page else main.xpath(".//a[contains(@href, 'download=1')]")


@pytest.mark.parametrize("q,vi,en", [
    ("dich+vu", f"1{NNBSP}234 kết quả", f"1{NNBSP}234 results"),
    ("7", "1 kết quả", "1 result"),
    ("khongcotu", "0 kết quả", "0 results"),
])
def test_the_search_page_says_how_many_results_in_its_title_and_its_results_heading(crowded, q, vi, en):
    # What a screen reader says first, and where heading navigation lands: the count was only in
    # a paragraph of the summary.
    html = get(make_datasette(crowded), f"/-/search?q={q}").text
    typed = q.replace("+", " ")
    assert text_of(html, "/html/head/title") == f"«{typed}» · {vi} / {en} · Tìm kiếm / Search — govarchive"
    assert text_of(html, "//h2[@id='results-title']") == f"{vi} / {en}"


def test_past_the_search_limit_the_title_and_heading_say_more_than(crowded):
    html = get(make_datasette(crowded, search_limit=1_000), "/-/search?q=dich+vu").text
    said = f"hơn 1{NNBSP}000 kết quả / more than 1{NNBSP}000 results"
    assert text_of(html, "/html/head/title").startswith(f"«dich vu» · {said} · ")
    assert text_of(html, "//h2[@id='results-title']") == said


def first_article(crowded):
    db = open_db(crowded, create=False)
    (article,) = db.execute("select id from articles where url = 'https://t.vn/1'").fetchall()
    db.close()
    return article[0]


def article_page(crowded):
    return get(make_datasette(crowded), f"/-/a/{first_article(crowded)}").text


def test_the_article_s_time_zone_is_said_with_its_times_not_after_its_author(crowded):
    # Said after the author, "(giờ Việt Nam, UTC+7)" was heard as part of the author's name.
    meta = lxml.html.fromstring(article_page(crowded)).xpath("//p[@class='meta']")[0]
    said = re.sub(r"[ \t\n\r\f]+", " ", meta.text_content()).strip()
    assert said == (f"Đăng / Published 08:00 01/02/2024 (giờ Việt Nam, UTC+7 / Vietnam time, UTC+7) · "
                    f"Tác giả / Author: {AUTHOR}")
    (zone,) = meta.xpath("span[@class='muted']")
    assert zone.getprevious().tag == "time"


def test_a_cited_document_s_count_says_what_it_counts_in_words(crowded):
    # A bare "3" after the reference meant something only in a tooltip; a screen reader heard
    # "174/KH-UBND số bài viết nhắc đến: / articles citing it: 3".
    (item,) = lxml.html.fromstring(article_page(crowded)).xpath("//section[@class='refs']//li")
    said = re.sub(r"[ \t\n\r\f]+", " ", item.text_content()).strip()
    assert said == f"{CITED} · 3 bài viết nhắc đến / cited by 3 articles"
    assert not item.xpath(".//*[@title] | .//*[contains(@class, 'visually-hidden')]")


def test_a_diff_s_title_names_the_versions_it_compares(crowded):
    # A tab, a bookmark or a screen reader's first words told v1 → v2 from v2 → v1 apart by nothing.
    ds, article = make_datasette(crowded), first_article(crowded)
    titles = {(a, b): text_of(get(ds, f"/-/diff/{article}?from={a}&to={b}").text, "/html/head/title")
              for a, b in ((1, 2), (2, 1))}
    assert titles[1, 2] == "So sánh phiên bản 1 với 2 / Compare version 1 with 2 — Bản tin số 1 — govarchive"
    assert titles[2, 1] == "So sánh phiên bản 2 với 1 / Compare version 2 with 1 — Bản tin số 1 — govarchive"
    assert text_of(get(ds, f"/-/diff/{article}").text, "/html/head/title") == titles[1, 2]


def test_an_untitled_article_s_diff_is_titled_by_its_address(tmp_path):
    # The tab read "… — None — govarchive".
    path = tmp_path / "archive.db"
    db = open_db(path)
    crawl = ingest.start_crawl(db, SOURCE, max_pages=None)
    untitled = {**_article(1), "title": None}
    with db.atomic():
        store_page(db, untitled, source_id="t", seen_at="2024-12-01T00:00:00+00:00", crawl_id=crawl)
        store_page(db, {**untitled, "text": "Đã sửa.", "text_hash": "1b"}, source_id="t",
                   seen_at="2024-12-02T00:00:00+00:00", crawl_id=crawl)
    db.close()
    title = text_of(get(make_datasette(path), f"/-/diff/{first_article(path)}").text, "/html/head/title")
    assert title == "So sánh phiên bản 1 với 2 / Compare version 1 with 2 — https://t.vn/1 — govarchive"


def times(element):
    """The machine-readable moments of the <time> elements in ``element``, each checked to parse."""
    moments = [t.get("datetime") for t in element.xpath(".//time")]
    for moment in moments:
        datetime.fromisoformat(moment)
    return moments


def test_capture_and_version_times_are_marked_as_times_like_the_published_dates(crowded, captures):
    ds = make_datasette(crowded)
    home = lxml.html.fromstring(get(ds, "/").text)
    (row,) = home.xpath("//table[@class='sources']/tbody/tr")
    cells = row.xpath("td")
    assert [len(times(cell)) for cell in cells] == [0, 0, 1, 1, 1], lxml.html.tostring(row)

    article = lxml.html.fromstring(article_page(crowded))
    (seen,) = [p for p in article.xpath("//section[@class='sources-of-record']/p") if "First archived" in p.text_content()]
    assert times(seen) == ["2024-12-01T00:00:00+00:00", "2024-12-02T00:00:00+00:00"]
    versions = article.xpath("//section[@class='versions']//li")
    assert len(versions) == 2 and all(len(times(v)) == 1 for v in versions)

    diff = lxml.html.fromstring(get(ds, f"/-/diff/{first_article(crowded)}").text)
    assert len(times(diff.xpath("//p[@class='diff-summary']")[0])) == 2

    directory, page, _ = captures
    view = lxml.html.fromstring(get(make_datasette(directory / "archive.db"), f"/-/capture/{page}.html").text)
    assert times(view.get_element_by_id("govarchive-banner")) == ["2024-05-17T01:30:00+00:00"]


@pytest.mark.parametrize("path", ["/-/search?q=khongcotu", "/-/search?q=dich+vu&page=99"])
def test_a_page_without_results_says_so_outside_the_list_of_results(crowded, path):
    # A list of one item that is no result: "list, 1 item" before "no articles found".
    tree = lxml.html.fromstring(get(make_datasette(crowded), path).text)
    assert not tree.xpath("//ol[@id='results']")
    (said,) = tree.xpath("//p[contains(@class, 'empty')]")
    assert "No articles found" in said.text_content() or "There is no page 99" in said.text_content()
    assert said.getprevious().tag == "h2"
