"""What a crawl makes of an archived article's live page changing under it: a "page not found"
page answered 200 is the article gone from the live site, not its new text; a corrected date
or author is a version of the article, as a corrected text is."""

import asyncio
import sqlite3

import lxml.html
import pytest
from sqlite_utils import Database

from archive import ingest, syndication
from archive.db import migrations, open_db
from archive.extract import extract
from archive.ingest import NOT_THERE
from archive.notfound import says_not_found
from archive.samplesite import SampleSite
from archive.serve import make_datasette
from tests.conftest import query, store_page
from tests.test_storage import _archive
from tests.test_variants import PARAGRAPHS as VARIANT_PARAGRAPHS
# The site is this module's own: test_variants' folder serves whatever `site` the test has.
from tests.test_variants import TITLES, crawl, folder  # noqa: F401

PARAGRAPHS = VARIANT_PARAGRAPHS["ha-tinh-cong-van"]
TITLE = TITLES["ha-tinh-cong-van"]
PATH = "/a/ha-tinh-zalo-oa-1022040801.htm"
NOT_FOUND = """<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"><title>Trang không tồn tại</title></head>
<body><header><a href="/">Cổng thông tin điện tử tỉnh</a></header><h1>Trang không tồn tại</h1>
<p>Nội dung bạn tìm không tồn tại hoặc đã bị gỡ bỏ. Vui lòng quay lại trang chủ.</p></body></html>""".encode()


class Site:
    """One article, a listing of it and a "page not found" page, changed by the test between crawls."""

    def __init__(self):
        self.article = {"title": TITLE, "date": "Thứ Năm, 08/04/2021 16:20 (GMT+7)", "author": "Minh An",
                        "paragraphs": list(PARAGRAPHS)}
        self.path = PATH
        self.listed = [PATH]
        self.redirects: dict[str, str] = {}
        self.not_found: set[str] = {"/loi-404.htm"}  # paths answered 200 with the "not found" page
        self.gone: set[str] = set()  # paths answered 410

    def page(self):
        a = self.article
        body = "".join(f"<p>{p}</p>" for p in a["paragraphs"])
        return f"""<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"><title>{a['title']} - Cổng tỉnh</title>
</head><body><header><a href="/">Cổng thông tin điện tử tỉnh</a></header><article><h1>{a['title']}</h1>
<div class="date">{a['date']}</div><div class="content">{body}</div><div class="author">{a['author']}</div>
</article><footer>Cổng thông tin điện tử tỉnh</footer></body></html>""".encode()

    def answer(self, path):
        html = {"Content-Type": "text/html; charset=utf-8"}
        if path == "/robots.txt":
            return 200, {"Content-Type": "text/plain"}, b"User-agent: *\nAllow: /\n"
        if path in self.redirects:
            return 301, {"Location": self.redirects[path]}, b""
        if path in self.not_found:
            return 200, html, NOT_FOUND
        if path in self.gone:
            return 410, html, b"<html><body>Gone</body></html>"
        if path == "/list":
            links = "".join(f'<li><a href="{p}">{p}</a></li>' for p in self.listed)
            return 200, html, f"<html><body><ul>{links}</ul></body></html>".encode()
        if path == self.path:
            return 200, html, self.page()
        return 404, html, b"<html><body>Not found</body></html>"


@pytest.fixture
def site():
    return Site()


def last_crawl(folder):
    return query(folder, "select articles_new, articles_changed, articles_unchanged from crawls order by id desc")[0]


def last_error(folder, url):
    return query(folder, "select error from fetches where url = ? order by id desc limit 1", [url])[0]["error"]


@pytest.mark.parametrize("how", ["at its URL", "by a redirect"])
def test_a_not_found_page_answered_200_leaves_the_article_as_archived(site, folder, how):
    crawl(folder)
    (before,) = query(folder, "select id, url, title, published, text from articles")
    if how == "at its URL":
        site.not_found.add(PATH)
    else:
        site.redirects[PATH] = "/loi-404.htm"
    crawl(folder)
    assert query(folder, "select id, url, title, published, text from articles") == [before]
    assert query(folder, "select count(*) as n from article_versions")[0]["n"] == 1
    assert last_crawl(folder) == {"articles_new": 0, "articles_changed": 0, "articles_unchanged": 0}
    said = NOT_THERE if how == "at its URL" else f"redirected to {site.base}/loi-404.htm, {NOT_THERE}"
    assert last_error(folder, before["url"]) == said
    # Still found by its words; the fetch is the record of its removal, as a 404 is, not an error.
    assert query(folder, "select rowid from articles_fold where articles_fold match 'zalo'") == [{"rowid": before["id"]}]
    assert query(folder, "select errors from crawls order by id desc limit 1")[0]["errors"] == 0
    # The article page says what the live page now answers.
    page = asyncio.run(make_datasette(folder / "archive.db").client.get(f"/-/a/{before['id']}"))
    assert ("The live page now answers that the article is not there (a &#34;page not found&#34; page, HTTP 200)"
            in page.text), page.text
    # Its one version is followed, in the list of versions, by the time it has been gone since.
    listed = [" ".join(li.text_content().split())
              for li in lxml.html.fromstring(page.text).xpath('//section[@class="versions"]/ol/li')]
    assert len(listed) == 2 and listed[0].startswith("v1"), listed
    assert 'gone from the site: trang báo lỗi / a "page not found" page, HTTP 200' in listed[1], listed
    assert "…" not in listed[1], listed


def test_a_not_found_page_at_a_new_url_is_no_article(site, folder):
    site.listed = [PATH, "/a/tin-da-go-1022040809.htm"]
    site.not_found.add("/a/tin-da-go-1022040809.htm")
    crawl(folder)
    assert [a["title"] for a in query(folder, "select title from articles")] == [TITLE]
    assert last_error(folder, f"{site.base}/a/tin-da-go-1022040809.htm") == NOT_THERE


@pytest.mark.parametrize("title, text", [
    ("Trang không tồn tại", "Nội dung bạn tìm không tồn tại hoặc đã bị gỡ bỏ. Vui lòng quay lại trang chủ."),
    ("Lỗi 404", "Trang chủ\nLỗi 404\nKhông tìm thấy trang bạn yêu cầu.\nVề trang chủ"),
    ("Cổng thông tin điện tử tỉnh", "Xin lỗi, trang bạn tìm không tồn tại!\nVề trang chủ"),
    ("Bài viết không tồn tại hoặc đã bị xóa - Báo điện tử", "Bài viết không tồn tại hoặc đã bị xóa."),
    ("Nội dung không tồn tại", ""),
    ("404 Not Found", "nginx"),
    ("Page not found | Cổng thông tin", "Quay lại trang chủ"),
    ("Lỗi 404: Trang không tồn tại", "Quay lại trang chủ"),
    ("Khong tim thay trang", "Ve trang chu"),
    # Only the text says it, in a whole line, beside the portal's headings and links home.
    ("Cổng TTĐT tỉnh A", "Trang chủ\nTrang này không tồn tại!\nVề trang chủ"),
    ("Cổng thông tin điện tử tỉnh",
     "Oops!\nNội dung bạn tìm không tồn tại hoặc đã bị gỡ bỏ. Vui lòng quay lại trang chủ."),
    # The portals' other wordings.
    ("Cổng TTĐT tỉnh A", "Trang chủ\nKhông tìm thấy trang yêu cầu.\nVề trang chủ"),
    ("Oops!", "Trang chủ\nOops!\nTrang bạn truy cập hiện không tồn tại hoặc đã bị xóa.\nVề trang chủ"),
    ("Thông báo", "Trang chủ\nThông báo\nXin lỗi, chúng tôi không tìm thấy trang bạn yêu cầu.\nQuay lại trang chủ"),
    ("Thông báo", "Trang chủ\nThông báo\nĐường dẫn không hợp lệ hoặc bài viết không còn tồn tại."),
    ("Lỗi", "Trang chủ\nLỗi\nBài viết bạn tìm không có trên hệ thống."),
    ("Thông báo", "Trang chủ\nThông báo\nTin tức không tồn tại hoặc đã hết hạn hiển thị."),
    ("Tin tức không tồn tại hoặc đã hết hạn hiển thị - Cổng TTĐT tỉnh A", "Về trang chủ"),
    ("Error", "The page you requested could not be found.\nGo back"),
    # Moved elsewhere, the search box as the other way back, the portal's welcome line.
    ("Không tìm thấy trang", "Không tìm thấy trang yêu cầu\nĐường dẫn bạn truy cập không tồn tại hoặc đã được "
     "chuyển sang địa chỉ khác.\nVui lòng quay lại trang chủ hoặc dùng chức năng tìm kiếm.\nChào mừng bạn đến "
     "với Cổng Thông tin điện tử tỉnh Hòa Bình\nGiới thiệuTin tứcLiên hệ"),
    ("Thông báo", "Bài viết đã được chuyển sang địa chỉ khác.\nSử dụng ô tìm kiếm"),
])
def test_pages_saying_they_are_not_there(title, text):
    assert says_not_found({"title": title, "text": text, "word_count": len(text.split())})


def test_the_sample_sites_own_not_found_pages_are_not_there():
    # What a crawl of the sample site meets when an article's URL answers 200 with its 404 page.
    with SampleSite() as running:
        for name, sample in running.sites.items():
            page = sample.not_found()
            record = extract(page.body, f"{sample.base}/bai-da-go.htm", {"Content-Type": "text/html; charset=utf-8"})
            assert says_not_found(record), (name, record["title"], record["text"])


@pytest.mark.parametrize("title, text", [
    # An article about such words: they are part of a longer headline or sentence.
    ("Cảnh báo trang không tồn tại giấy phép vẫn thu phí", "Trang không tồn tại giấy phép vẫn thu phí của người dân."),
    ("Hà Nội khắc phục lỗi 404 trên cổng dịch vụ công", "Nhiều trang báo lỗi 404 khi người dân truy cập."),
    ("Thông tin về hồ sơ dự án", "Thông tin không tồn tại trong hồ sơ là lý do hồ sơ bị trả lại."),
    # The words alone, in a page with an article's worth of text.
    ("Trang không tồn tại", " ".join(PARAGRAPHS * 2)),
    ("Báo cáo", "Trang không tồn tại.\n" + " ".join(PARAGRAPHS * 2)),
    ("Error", ""),
    # Short news with a sentence saying such words beside sentences of news, in one line or not.
    ("Thông báo gỡ bài", "Ngày 9/7, Báo A đăng bài viết về dự án khu đô thị mới "
     "tại huyện B có nội dung chưa chính xác.\nBài viết đã bị gỡ bỏ. Báo A xin lỗi bạn đọc và các cơ quan liên quan."),
    ("Tấn công mạng vào cổng thông tin xã C", "Tối 8/7, cổng thông tin điện tử xã C bị tấn công.\n"
     "Dữ liệu đã bị xóa. Công an tỉnh đang điều tra vụ việc."),
    ("Tấn công mạng vào cổng thông tin xã C", "Dữ liệu đã bị xóa.\nCông an tỉnh đang điều tra vụ việc."),
    ("Thu hồi văn bản", "Trang chủ\nThu hồi văn bản\nTài liệu đã bị thu hồi. Sở Tư pháp thông báo văn bản "
     "số 12/TB-STP ngày 1/7/2024 hết hiệu lực."),
    ("Lost and found", "Trang chủ\nLost and found\nNot found. A wallet found at the provincial office awaits "
     "its owner at the reception desk."),
    ("Đính chính", "Bài viết đã bị gỡ bỏ.\nTòa soạn đính chính số liệu trong bài đăng ngày 3/7."),
    # An article quoting the error message a portal showed.
    ("Cổng dịch vụ công gián đoạn", "Sáng 8/7, người dân truy cập cổng dịch vụ công nhận thông báo:\n"
     "Không tìm thấy trang.\nSở Thông tin và Truyền thông cho biết đã khắc phục sự cố."),
    ("Tra cứu văn bản trên cổng tỉnh", "Dòng chữ Tin tức không tồn tại hoặc đã hết hạn hiển thị khiến người dân "
     "không tra cứu được văn bản.\nBài viết bạn tìm không có trên hệ thống: Sở giải thích lỗi này."),
    # A short article whose headline says such words: its text is news.
    ("Dữ liệu đã bị xóa", "Tối 8/7, cổng thông tin điện tử xã C bị tấn công và dữ liệu của người dân bị xóa. "
     "Công an tỉnh đã lập hồ sơ điều tra."),
    ("Tài liệu đã bị thu hồi", "Sở Tư pháp thông báo văn bản số 12/TB-STP ngày 1/7/2024 hết hiệu lực.\n"
     "Các đơn vị dừng áp dụng văn bản này."),
    # A short article whose headline has such words in one of its parts: that part is no page's title.
    ("Dữ liệu đã bị xóa - Công an tỉnh vào cuộc", "Tối 8/7, cổng thông tin điện tử xã C bị tấn công và dữ liệu "
     "của người dân bị xóa. Công an tỉnh đã lập hồ sơ, phối hợp với Sở Thông tin và Truyền thông khôi phục dữ liệu "
     "từ bản sao lưu. Dịch vụ công trực tuyến của xã tạm dừng đến hết tuần."),
])
def test_articles_that_mention_such_words_are_articles(title, text):
    assert not says_not_found({"title": title, "text": text, "word_count": len(text.split())})


def history(folder):
    return query(folder, "select version, published, author from article_history order by version")


@pytest.mark.parametrize("field, value, stored", [
    ("date", "Thứ Sáu, 09/04/2021 08:05 (GMT+7)", {"published": "2021-04-09T08:05:00+07:00"}),
    ("author", "Thu Hà", {"author": "Thu Hà"}),
], ids=["date", "author"])
def test_a_corrected_date_or_author_is_a_version(site, folder, field, value, stored):
    crawl(folder)
    first = {"version": 1, "published": "2021-04-08T16:20:00+07:00", "author": "Minh An"}
    assert history(folder) == [first]
    site.article[field] = value
    crawl(folder)
    assert last_crawl(folder) == {"articles_new": 0, "articles_changed": 1, "articles_unchanged": 0}
    assert history(folder) == [first, {**first, "version": 2, **stored}]
    (article,) = query(folder, "select id, published, author from articles")
    assert {k: article[k] for k in stored} == stored
    # The reading room shows the correction: the text is the same, so the words' diff is empty.
    ds = make_datasette(folder / "archive.db")
    shown = {"date": ("08/04/2021", "09/04/2021"), "author": ("Minh An", "Thu Hà")}[field]
    page = asyncio.run(ds.client.get(f"/-/a/{article['id']}")).text
    second = page.split('class="versions"')[1].split("<li>v2")[1].split("</li>")[0]
    label = {"date": "published", "author": "author"}[field]
    assert f"/ {label}</span>" in second and shown[1] in second, second
    diff = asyncio.run(ds.client.get(f"/-/diff/{article['id']}")).text.split('class="diff-fields"')[1]
    assert diff.index(shown[0]) < diff.index(shown[1]) < diff.index("</dl>"), diff
    crawl(folder)
    assert last_crawl(folder) == {"articles_new": 0, "articles_changed": 0, "articles_unchanged": 1}
    assert len(history(folder)) == 2


def test_a_redated_article_that_moves_stays_one_article(site, folder):
    crawl(folder)
    site.article["date"] = "Thứ Sáu, 09/04/2021 08:05 (GMT+7)"
    crawl(folder)
    # The portal moves it; only its new address is linked.
    moved = "/m/ha-tinh-zalo-oa-1022040801.htm"
    site.redirects[PATH], site.path, site.listed = moved, moved, [moved]
    crawl(folder)
    assert query(folder, "select url, published from articles") == [
        {"url": f"{site.base}{PATH}", "published": "2021-04-09T08:05:00+07:00"}]
    assert query(folder, "select url from article_urls where url like '%/m/%'") == [{"url": f"{site.base}{moved}"}]


def test_a_year_less_date_read_a_year_later_is_no_correction(tmp_path):
    db = _archive(tmp_path / "archive.db")
    text = " ".join(PARAGRAPHS)
    record = {"url": "http://s.example/1.html", "title": TITLE, "text": text, "text_hash": "1",
              "published": "2024-04-08T16:20:00+07:00", "minhash": syndication.signature(text)}
    with db.atomic():
        assert store_page(db, ingest.prepare(dict(record)), source_id="s", seen_at="t1") == "new"
    # "Chiều 8/4" read by a crawl of the next year.
    later = {**record, "published": "2025-04-08T16:20:00+07:00"}
    with db.atomic():
        assert store_page(db, ingest.prepare(later), source_id="s", seen_at="t2") == "unchanged"
    assert db.execute("select published from articles").fetchone()[0] == record["published"]


def test_a_url_read_before_m031_dates_the_article_from_its_next_reading(tmp_path):
    # Until m031 an article's other URLs kept their text and headline only: what such a URL gives
    # beside them is learnt from its next reading, not taken for a correction.
    db = _archive(tmp_path / "archive.db")
    text = " ".join(PARAGRAPHS)
    record = {"url": "http://s.example/1.html", "title": TITLE, "text": text, "text_hash": "1",
              "published": "2024-04-08T16:20:00+07:00", "author": "Minh An", "minhash": syndication.signature(text)}
    moved = {**record, "url": "http://s.example/m/1.html"}
    with db.atomic():
        assert store_page(db, ingest.prepare(dict(record)), source_id="s", seen_at="t1") == "new"
        assert store_page(db, ingest.prepare(dict(moved)), source_id="s", seen_at="t2") == "unchanged"
        db.execute("update article_urls set published = null, author = null, description = null")
    stored = [store_page(db, ingest.prepare(page), source_id="s", seen_at=seen) for page, seen in (
        (record, "t3"),  # the URL the article's reading came from is compared with the article, as before
        ({**moved, "published": "2024-04-09T08:00:00+07:00"}, "t4"),
        ({**moved, "published": "2024-04-09T08:00:00+07:00"}, "t5"),
        ({**moved, "published": "2024-04-10T08:00:00+07:00"}, "t6"),
    )]
    assert stored == ["unchanged", "unchanged", "unchanged", "changed"]
    assert db.execute("select published from articles").fetchone()[0] == "2024-04-10T08:00:00+07:00"


def test_an_archive_from_before_m020_shows_its_current_date_in_its_history(tmp_path):
    path = tmp_path / "old.db"
    db = Database(sqlite3.connect(path))
    migrations.apply(db, stop_before="m020_version_dates")
    db["sources"].insert({"id": "s"})
    db["articles"].insert({"id": 1, "url": "http://s.example/1.html", "source_id": "s", "title": TITLE,
                           "text": "bây giờ", "text_hash": "2", "published": "2021-04-09", "author": "Minh An"})
    db["article_versions"].insert_all([
        {"article_id": 1, "version": 1, "title": TITLE, "text": "trước đây", "text_hash": "1"},
        {"article_id": 1, "version": 2, "text_hash": "2", "in_articles": 1},
    ])
    db.conn.commit()
    db.close()
    rows = open_db(path).execute("select version, text, published, author from article_history order by version")
    assert rows.fetchall() == [(1, "trước đây", None, None), (2, "bây giờ", "2021-04-09", "Minh An")]


def test_an_author_added_where_there_was_none_shows_in_the_diff(site, folder):
    site.article["author"] = ""
    crawl(folder)
    site.article["author"] = "Thu Hà"
    crawl(folder)
    assert [v["author"] for v in history(folder)] == [None, "Thu Hà"]
    (article,) = query(folder, "select id from articles")
    page = lxml.html.fromstring(asyncio.run(make_datasette(folder / "archive.db").client.get(
        f"/-/diff/{article['id']}")).text)
    fields = [" ".join(dd.text_content().split()) for dd in page.xpath('//dl[@class="diff-fields"]/dd')]
    assert fields == ["không có / none → Thu Hà"]
    # The article's list of versions says it too.
    page = lxml.html.fromstring(asyncio.run(make_datasette(folder / "archive.db").client.get(
        f"/-/a/{article['id']}")).text)
    listed = [" ".join(li.text_content().split()) for li in page.xpath('//section[@class="versions"]//li')]
    assert "tác giả / author Thu Hà" in listed[1] and "author" not in listed[0], listed


def test_a_version_replaced_before_m020_shows_no_change_of_date_or_author(tmp_path):
    # Its date and author were not kept: null says nothing about what it said.
    path = tmp_path / "old.db"
    db = Database(sqlite3.connect(path))
    migrations.apply(db, stop_before="m020_version_dates")
    db["sources"].insert({"id": "s", "name": "S"})
    db["articles"].insert({"id": 1, "url": "http://s.example/1.html", "source_id": "s", "title": TITLE,
                           "text": "bây giờ", "text_hash": "2", "published": "2021-04-09", "author": "Minh An"})
    db["article_versions"].insert_all([
        {"article_id": 1, "version": 1, "title": TITLE, "text": "trước đây", "text_hash": "1",
         "captured_at": "2021-04-09T01:00:00+00:00"},
        {"article_id": 1, "version": 2, "text_hash": "2", "in_articles": 1, "captured_at": "2021-04-10T01:00:00+00:00"},
    ])
    db.conn.commit()
    db.close()
    open_db(path).close()
    page = asyncio.run(make_datasette(path).client.get("/-/diff/1")).text
    assert "trước đây" in page and 'class="diff-fields"' not in page


def test_a_redesign_that_drops_the_time_from_the_date_line_is_no_correction(site, folder):
    crawl(folder)
    first = history(folder)
    site.article["date"] = "Ngày đăng: 08/04/2021"
    crawl(folder)
    assert last_crawl(folder) == {"articles_new": 0, "articles_changed": 0, "articles_unchanged": 1}
    assert history(folder) == first == [{"version": 1, "published": "2021-04-08T16:20:00+07:00", "author": "Minh An"}]
    # The time shown again is the date the article has.
    site.article["date"] = "Thứ Năm, 08/04/2021 16:20 (GMT+7)"
    crawl(folder)
    assert last_crawl(folder) == {"articles_new": 0, "articles_changed": 0, "articles_unchanged": 1}
    # Another day is a correction, with or without a time.
    site.article["date"] = "Ngày đăng: 09/04/2021"
    crawl(folder)
    assert last_crawl(folder)["articles_changed"] == 1
    assert [v["published"] for v in history(folder)] == ["2021-04-08T16:20:00+07:00", "2021-04-09"]
