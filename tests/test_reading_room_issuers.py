"""One document number from different issuers: every provincial committee numbers its plans from
1, so "174/KH-UBND" of Đắk Lắk and of Hà Nội are two documents. The archive is made by extracting
and ingesting a few pages directly (no crawl)."""

import asyncio
import sqlite3
from urllib.parse import quote, unquote

import lxml.html
import pytest

from archive import ingest
from archive.db import migrations, open_db
from archive.export import Selection, count_selected
from archive.extract import extract
from archive.filters import REF_VALUES, archived_value, ref_filter_key
from archive.serve import make_datasette
from archive.sources import parse_sources
from conftest import store_page

SOURCE = parse_sources(
    '[[source]]\nid = "t"\nname = "Cổng T"\nkind = "press"\nhome = "https://t.vn/"\nallowed_domains = ["t.vn"]\n'
    'article_pattern = "x"\nschedule = "0 * * * *"\n[source.discovery]\nfeeds = ["https://t.vn/rss"]\n'
)[0]
DAK_LAK = "Ủy ban nhân dân tỉnh Đắk Lắk"
HA_NOI = "Ủy ban nhân dân thành phố Hà Nội"
FILLER = ("Cán bộ các phòng, ban chuyên môn được giao theo dõi tiến độ từng tháng và báo cáo kết quả "
          "về văn phòng trước ngày cuối mỗi quý để tổng hợp, đánh giá và điều chỉnh khi cần thiết.")
# (key, title, the paragraph citing the plan): two of Đắk Lắk's, one of Hà Nội's, one naming no issuer.
PAGES = (
    ("dl1", "Đắk Lắk đẩy mạnh chuyển đổi số ở cấp xã",
     "UBND tỉnh Đắk Lắk vừa ban hành Kế hoạch 174/KH-UBND ngày 20/6/2025 về chuyển đổi số cho các xã vùng sâu."),
    ("dl2", "Buôn làng Đắk Lắk có sóng di động",
     "Theo Kế hoạch số 174/KH-UBND của Ủy ban nhân dân tỉnh Đắk Lắk, mọi thôn buôn sẽ có sóng di động."),
    ("hn", "Hà Nội trồng thêm cây xanh đô thị",
     "Kế hoạch 174/KH-UBND ngày 3/7/2025 của UBND TP Hà Nội đặt mục tiêu trồng thêm cây xanh ở các quận."),
    ("bare", "Nhiều địa phương triển khai kế hoạch năm",
     "Nhiều địa phương đã triển khai Kế hoạch 174/KH-UBND với các chỉ tiêu cụ thể cho từng quý."),
)


def _page(title, paragraph):
    return (f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>"
            f"<p>{paragraph} {FILLER}</p><p>{FILLER}</p></article></body></html>").encode()


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    path = tmp_path_factory.mktemp("issuers") / "archive.db"
    db = open_db(path)
    crawl = ingest.start_crawl(db, SOURCE, max_pages=None)
    with db.atomic():
        for i, (key, title, paragraph) in enumerate(PAGES):
            record = extract(_page(title, paragraph), f"https://t.vn/{key}", {"Content-Type": "text/html"})
            record["published"] = f"2025-07-{10 + i:02d}T08:00:00+07:00"
            store_page(db, record, source_id="t", seen_at="2025-07-20", crawl_id=crawl)
    db.close()
    return path


@pytest.fixture(scope="module")
def ds(archive):
    return make_datasette(archive)


@pytest.fixture(scope="module")
def ids(archive):
    conn = sqlite3.connect(archive)
    yield {url.rsplit("/", 1)[1]: i for i, url in conn.execute("select id, url from articles")}
    conn.close()


def get(ds, path):
    response = asyncio.run(ds.client.get(path))
    assert response.status_code == 200, (path, response.text[:500])
    return lxml.html.fromstring(response.text)


def results(page):
    return {int(h.rsplit("/", 1)[1]) for h in page.xpath('//ol[@class="results"]//h3/a/@href')}


def search(value, q=""):
    return f"/-/search?{'q=' + quote(q) + '&' if q else ''}ref={quote(value)}"


def test_each_citation_stores_the_issuer_it_names(archive, ids):
    conn = sqlite3.connect(archive)
    rows = dict(conn.execute("select a.url, d.issuing_body || ' ' || coalesce(d.issued, '-') from doc_refs d "
                             "join articles a on a.id = d.article_id"))
    assert rows == {"https://t.vn/dl1": f"{DAK_LAK} 2025-06-20", "https://t.vn/dl2": f"{DAK_LAK} -",
                    "https://t.vn/hn": f"{HA_NOI} 2025-07-03", "https://t.vn/bare": None}


def test_the_card_lists_each_issuer_with_its_own_date_and_articles(ds, ids):
    page = get(ds, search("174/KH-UBND"))
    # The number alone finds every citation, whoever issued it.
    assert results(page) == set(ids.values())
    issuers = page.xpath('//section[@class="document"]/ul[@class="issuers"]/li')
    assert len(issuers) == 3
    text = [" ".join(li.text_content().split()) for li in issuers]
    assert text[0].startswith(f"{DAK_LAK} · ngày ban hành / issued 20/06/2025 · 2 bài viết")
    assert text[1].startswith(f"{HA_NOI} · ngày ban hành / issued 03/07/2025 · 1 bài viết")
    assert text[2].startswith("Bài viết trích dẫn không nêu cơ quan ban hành")
    assert "không rõ ngày ban hành" in text[2]
    articles = [{int(h.rsplit("/", 1)[1]) for h in li.xpath("./ul/li/a/@href")} for li in issuers]
    assert articles == [{ids["dl1"], ids["dl2"]}, {ids["hn"]}, {ids["bare"]}]
    assert "2 cơ quan khác nhau ban hành văn bản mang số hiệu này" in page.text_content()


@pytest.mark.parametrize("q", ["", "kế hoạch"])
def test_a_document_filter_naming_its_issuer_finds_that_issuer_s_citations(ds, ids, q):
    # With words, the search indexes' filter word is the number: the issuer is checked in SQL.
    page = get(ds, search(f"174/KH-UBND ({DAK_LAK})", q))
    assert results(page) == {ids["dl1"], ids["dl2"]}
    (current,) = page.xpath('//section[@class="document"]//li[@class="selected"]/strong')
    assert current.text == DAK_LAK
    # Typed by hand in another spelling: the archive's own.
    page = get(ds, search("174/kh-ubnd (UBND tinh Dak Lak)", q))
    assert results(page) == {ids["dl1"], ids["dl2"]}
    assert page.xpath('//a[@class="chip"]') and "không có" not in page.text_content()


def test_the_facet_shows_a_number_s_issuers_each_leading_to_its_own_document(ds, ids):
    page = get(ds, "/-/search")
    (facet,) = page.xpath('//section[@data-facet="ref"]')
    (number,) = facet.xpath('./ul/li[not(@class)]/a')
    assert number.text_content().split() == ["174/KH-UBND", "4"]
    issuers = facet.xpath('.//li[@class="issuer" or @class="issuer muted"]')
    assert [" ".join(li.text_content().split()) for li in issuers] == [
        f"{DAK_LAK} 2", f"{HA_NOI} 1", "không nêu cơ quan ban hành / issuer not named 1"]
    href = issuers[1].xpath("./a/@href")[0]
    assert unquote(href.split("ref=")[1].replace("+", " ")) == f"174/KH-UBND ({HA_NOI})"
    assert results(get(ds, href)) == {ids["hn"]}


def test_the_article_page_links_to_the_document_of_the_issuer_it_names(ds, ids):
    page = get(ds, f"/-/a/{ids['hn']}")
    (link,) = page.xpath('//section[@class="refs"]//a')
    assert unquote(link.get("href").split("ref=")[1]) == f"174/KH-UBND ({HA_NOI})"
    assert HA_NOI in link.getparent().text_content()
    (bare,) = get(ds, f"/-/a/{ids['bare']}").xpath('//section[@class="refs"]//a')
    assert unquote(bare.get("href").split("ref=")[1]) == "174/KH-UBND"


def test_an_export_selects_as_the_reading_room_filters(archive, ids):
    db = open_db(archive, create=False)
    assert count_selected(db, Selection(ref=f"174/KH-UBND ({HA_NOI})")) == 1
    assert count_selected(db, Selection(ref="174/KH-UBND")) == 4
    db.close()


def test_an_upgrade_leaves_earlier_references_without_an_issuer(tmp_path):
    db = open_db(tmp_path / "old.db")
    db.execute("delete from _sqlite_migrations where name = 'm025_doc_refs_issuing_body'")
    db.execute("alter table doc_refs drop column issuing_body")
    db["doc_refs"].insert({"article_id": None, "ref": "174/KH-UBND"})
    db.conn.commit()
    db.close()
    db = open_db(tmp_path / "old.db")
    assert [dict(r) for r in db.query("select ref, issuing_body from doc_refs")] == [
        {"ref": "174/KH-UBND", "issuing_body": None}]
    assert not migrations.pending(db)
    db.close()


def test_an_archive_read_before_the_upgrade_still_filters_and_says_why_issuers_are_lumped(archive, ids, tmp_path):
    copy = tmp_path / "archive.db"
    source = sqlite3.connect(archive)
    source.backup(target := sqlite3.connect(copy))
    source.close()
    target.execute("delete from _sqlite_migrations where name = 'm025_doc_refs_issuing_body'")
    target.execute("alter table doc_refs drop column issuing_body")
    target.commit()
    target.close()
    old = make_datasette(copy)
    for q in ("", "kế hoạch"):
        page = get(old, search("174/KH-UBND", q))
        assert results(page) == set(ids.values())
    assert "chưa phân biệt cơ quan ban hành" in page.text_content()
    # A value naming an issuer, any issuer, selects the number's every citation, as the card says,
    # with no note that the archive has no such document; an export selects the same.
    for named in (f"174/KH-UBND ({HA_NOI})", "174/KH-UBND (Nonexistent body)", "174/kh-ubnd (UBND tỉnh Đắk Lắk)"):
        page = get(old, search(named, ""))
        assert results(page) == set(ids.values()), named
        assert "has no document" not in page.text_content()
    db = sqlite3.connect(copy)
    assert archived_value(db, REF_VALUES, ref_filter_key, "174/kh-ubnd (Bộ Công an)") == "174/KH-UBND"
    db.close()
    assert get(old, "/-/search").xpath('//section[@data-facet="ref"]')
    assert get(old, f"/-/a/{ids['hn']}").xpath('//section[@class="refs"]//a')


def test_the_card_says_which_citations_were_read_before_issuers_were(archive, ids, tmp_path):
    copy = tmp_path / "archive.db"
    source = sqlite3.connect(archive)
    source.backup(target := sqlite3.connect(copy))
    source.close()
    # As an upgraded archive has it until reextract: read by the rules before, no issuer.
    target.execute("update doc_refs set issuing_body = null where article_id = ?", [ids["dl2"]])
    target.execute("update articles set extractor_version = 'govarchive-23/trafilatura-2.0.0' where id = ?",
                   [ids["dl2"]])
    target.commit()
    target.close()
    page = get(make_datasette(copy), search("174/KH-UBND"))
    unnamed = page.xpath('//section[@class="document"]/ul[@class="issuers"]/li')[-1]
    assert "1 bài được đọc trước khi kho lưu trữ đọc cơ quan ban hành" in unnamed.text_content()
    assert " ".join(unnamed.text_content().split()).count("bài viết") == 1
