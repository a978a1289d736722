"""The reading room (archive/datasette/plugins/reading_room.py) through datasette's test client.

The archive under test is the crawled sample site plus a hostile page crawled from a local
server, with the knowledge tables (doc_refs, mentions, article_versions) and a cluster_id
column filled in when the archive does not have them yet. ``build_reading_archive`` is shared
with the browser tests.
"""

import asyncio
import base64
import csv
import io
import json
import re
import shutil
import sqlite3
import threading
import unicodedata
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

import lxml.html
import pytest

from archive.crawl import run_crawl
from archive.datasette.plugins.archive_downloads import CAPTURE_POLICY
from archive.datasette.plugins.reading_room import word_diff
from archive.db import open_db
from archive.docrefs import find_doc_refs, unique_refs
from archive.ingest import now_iso
from archive.mentions import find_mentions
from archive.serve import make_datasette
from archive.vietnamese import VN_TZ

HOSTILE_TITLE = "<script>alert(1)</script> Cảnh báo trang giả mạo Cổng thông tin điện tử tỉnh"
HOSTILE_IMG = "<img src=x onerror=alert(1)>"
HOSTILE_SOURCE_NAME = "Trang thử <b>độc hại</b>"
CHANGED_TITLE_START = "Trang Zalo của Bộ Nội vụ"
SYNDICATED_TITLES = ("Bình Định ra mắt Zalo Mini App", 'Ra mắt ứng dụng "Bình Định số"')

HOSTILE_PAGE = f"""<!DOCTYPE html>
<html lang="vi"><head><meta charset="utf-8">
<title>&lt;script&gt;alert(1)&lt;/script&gt; Cảnh báo trang giả mạo Cổng thông tin điện tử tỉnh</title>
<meta property="og:title" content="&lt;script&gt;alert(1)&lt;/script&gt; Cảnh báo trang giả mạo Cổng thông tin điện tử tỉnh">
<meta name="description" content="Sở Thông tin và Truyền thông cảnh báo trang giả mạo chèn mã {HOSTILE_IMG.replace('<', '&lt;').replace('>', '&gt;')} vào tin bài.">
<script>alert(1)</script>
</head><body onload="alert(1)">
<img src=x onerror=alert(1)>
<article>
<h1>&lt;script&gt;alert(1)&lt;/script&gt; Cảnh báo trang giả mạo Cổng thông tin điện tử tỉnh</h1>
<p class="date">Thứ Hai, 08/04/2024 10:00 (GMT+7)</p>
<p>Sở Thông tin và Truyền thông cảnh báo người dân về một trang giả mạo Cổng thông tin điện tử
tỉnh, chèn đoạn mã {HOSTILE_IMG.replace('<', '&lt;').replace('>', '&gt;')} vào tin bài để lừa người đọc.</p>
<script>alert(1)</script>
<p>Trang giả mạo sao chép giao diện, tiêu đề và các chuyên mục của cổng chính thức, đồng thời mời
người dân quét mã QR để nhận thông báo qua Zalo. Cơ quan chức năng khuyến cáo người dân chỉ truy cập
địa chỉ chính thức và kiểm tra kỹ tên miền trước khi cung cấp thông tin cá nhân.</p>
<img src=x onerror=alert(1)>
<p>Theo Sở, các trang giả mạo thường xuất hiện vào dịp cao điểm giải quyết thủ tục hành chính, khi
nhu cầu tra cứu thông tin của người dân tăng cao. Mọi phản ánh về trang giả mạo xin gửi về đường dây
nóng của Sở hoặc qua tài khoản Zalo chính thức của cơ quan.</p>
<p>Người dân cũng được đề nghị không bấm vào các đường dẫn lạ gửi qua tin nhắn, không cung cấp mã OTP
và báo ngay cho cơ quan công an khi phát hiện dấu hiệu lừa đảo trên không gian mạng.</p>
<p><a href="javascript:alert(1)">Xem thêm</a></p>
</article>
</body></html>
"""


class HostileSite:
    """A local site with one article whose title and body carry script payloads."""

    ARTICLE = "/tin-tuc/canh-bao-trang-gia-mao.html"

    def __init__(self):
        pages = {}

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                found = pages.get(self.path)
                self.send_response(200 if found else 404)
                body = found[1] if found else b"not found"
                self.send_header("Content-Type", found[0] if found else "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        article = self.base + self.ARTICLE
        pages.update({
            "/": ("text/html; charset=utf-8", f'<html><body><a href="{article}">tin</a></body></html>'.encode()),
            "/robots.txt": ("text/plain", b"User-agent: *\nAllow: /\n"),
            "/sitemap.xml": ("application/xml", (
                '<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                f"<url><loc>{article}</loc></url></urlset>"
            ).encode()),
            self.ARTICLE: ("text/html; charset=utf-8", HOSTILE_PAGE.encode("utf-8")),
        })

    def sources_toml(self) -> str:
        port = self.server.server_address[1]
        return f"""[[source]]
id = "hostile"
name = "{HOSTILE_SOURCE_NAME}"
kind = "press"
home = "{self.base}/"
allowed_domains = ["127.0.0.1"]
article_pattern = '^http://127\\.0\\.0\\.1:{port}/tin-tuc/[a-z0-9-]+\\.html$'
schedule = "0 * * * *"

[source.discovery]
sitemaps = ["{self.base}/sitemap.xml"]

[source.politeness]
delay = 0.0
"""

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def build_reading_archive(crawled_archive, directory):
    """A copy of the crawled sample archive with the hostile page crawled in and knowledge added."""
    shutil.copytree(crawled_archive, directory, dirs_exist_ok=True)
    with HostileSite() as site:
        (directory / "hostile.toml").write_text(site.sources_toml(), encoding="utf-8")
        rows = run_crawl(directory / "archive.db", sources_file=directory / "hostile.toml", log_level="ERROR")
    assert [r["status"] for r in rows] == ["ok"], rows
    add_knowledge(directory / "archive.db")
    return directory


def add_knowledge(db_path):
    """Fill the tables the lead's extraction will fill, where the archive lacks them, and give
    one article a second version and two articles a shared cluster."""
    db = open_db(db_path)
    articles = list(db.query("select * from articles order by id"))
    if not db["doc_refs"].exists():
        db["doc_refs"].insert_all(
            (
                {"article_id": a["id"], "ref": r.ref, "type_name": r.type_name, "issuer": r.issuer,
                 "number": r.number, "year": r.year, "issued": r.issued, "text": r.text}
                for a in articles
                for r in unique_refs(find_doc_refs(_full_text(a), reference=_published(a)))
            ),
            columns={"article_id": int, "year": int},
        )
    if not db["mentions"].exists():
        db["mentions"].insert_all(
            {"article_id": a["id"], "kind": m.kind, "platform": m.platform, "name": m.name, "text": m.text}
            for a in articles
            for m in find_mentions(_full_text(a))
        )
    versions = db["article_versions"]
    if not versions.exists():
        versions.create({
            "article_id": int, "version": int, "title": str, "text": str, "text_hash": str,
            "fetch_id": int, "captured_at": str,
        }, pk=("article_id", "version"))
    have = {r[0] for r in db.execute("select distinct article_id from article_versions")}
    versions.insert_all(
        {"article_id": a["id"], "version": 1, "title": a["title"], "text": a["text"], "text_hash": a["text_hash"],
         "fetch_id": a["fetch_id"], "captured_at": a["first_seen"]}
        for a in articles if a["id"] not in have
    )
    changed = changed_article(db)
    last = db.execute("select max(version) from article_versions where article_id = ?", [changed["id"]]).fetchone()[0]
    versions.insert({
        "article_id": changed["id"], "version": last + 1, "title": changed["title"] + " (cập nhật)",
        "text": revised(changed["text"]), "text_hash": "revised", "fetch_id": changed["fetch_id"],
        "captured_at": now_iso(),
        # As a crawl records a version whose text alone changed: with the sapo, date and author it kept.
        **{name: changed[name] for name in ("description", "published", "author") if name in versions.columns_dict},
    })
    if "cluster_id" not in db["articles"].columns_dict:
        db["articles"].add_column("cluster_id", str)
    for title in SYNDICATED_TITLES:
        db.execute("update articles set cluster_id = 'binh-dinh-so' where title like ?", [title + "%"])
    db.conn.commit()
    db.close()


def changed_article(db):
    return next(db.query("select * from articles where title like ?", [CHANGED_TITLE_START + "%"]))


def revised(text):
    """A later version of ``text``: one word replaced, a sentence added, and the first paragraph
    re-encoded as NFD, which a reader cannot see and the diff must not show."""
    first, *rest = text.split("\n")
    rest[0] = rest[0].replace("Zalo", "Zalo OA", 1)
    return "\n".join([unicodedata.normalize("NFD", first), *rest, "Bộ Nội vụ sẽ đánh giá kết quả sau sáu tháng."])


def _full_text(article):
    return "\n".join(article[k] or "" for k in ("title", "description", "text"))


def _published(article):
    return datetime.fromisoformat(article["published"]) if article["published"] else None


# Fixtures and helpers ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def reading_archive(crawled_archive, tmp_path_factory):
    return build_reading_archive(crawled_archive, tmp_path_factory.mktemp("reading"))


@pytest.fixture(scope="module")
def ds(reading_archive):
    return make_datasette(reading_archive / "archive.db")


@pytest.fixture(scope="module")
def bare_ds(crawled_archive, tmp_path_factory):
    """The crawled archive without any knowledge table, as it is before they land."""
    directory = tmp_path_factory.mktemp("bare")
    shutil.copytree(crawled_archive, directory, dirs_exist_ok=True)
    conn = sqlite3.connect(directory / "archive.db")
    for table in ("doc_refs", "mentions", "article_versions"):
        conn.execute(f"drop table if exists {table}")
    conn.commit()
    conn.close()
    return make_datasette(directory / "archive.db")


@pytest.fixture(scope="module")
def sql(reading_archive):
    conn = sqlite3.connect(reading_archive / "archive.db")
    conn.row_factory = sqlite3.Row
    yield lambda query, params=(): [dict(r) for r in conn.execute(query, params)]
    conn.close()


def get(ds, path, **kwargs):
    return asyncio.run(ds.client.get(path, **kwargs))


def ok(ds, path):
    response = get(ds, path)
    assert response.status_code == 200, (path, response.text[:1000])
    return response


def article_id(sql, title_start):
    return sql("select id from articles where title like ?", [title_start + "%"])[0]["id"]


def matching_ids(sql, folded_query):
    return {r["rowid"] for r in sql("select rowid from articles_fold where articles_fold match ?", [folded_query])}


def result_titles(html):
    titles = re.findall(r'<h3><a href="/-/a/\d+"><span lang="[^"]+">(.*?)</span></a></h3>', html, re.S)
    return [re.sub(r"</?mark>", "", t) for t in titles]


def csv_rows(response):
    # A byte-order mark first, so that Excel reads the Vietnamese as UTF-8.
    assert response.content.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


# Pages ----------------------------------------------------------------------------------------------


def test_every_page_renders_with_a_strict_policy(ds, sql):
    changed = article_id(sql, CHANGED_TITLE_START)
    for path in ("/", "/-/search", "/-/search?q=zalo", "/-/search?q=zalo&sort=newest&page=2",
                 f"/-/a/{changed}", f"/-/diff/{changed}", f"/-/diff/{changed}?from=1&to=2"):
        response = ok(ds, path)
        assert response.headers["content-type"].startswith("text/html")
        assert "script-src" not in response.headers["content-security-policy"]
        assert "default-src 'none'" in response.headers["content-security-policy"]
        assert "<script" not in response.text


def test_home_page_shows_what_the_archive_holds(ds, sql):
    html = ok(ds, "/").text
    assert "Government communications archive" in html
    assert 'action="/-/search"' in html and 'name="q"' in html
    for source in sql("select s.id, s.name, count(a.id) as n from sources s join articles a on a.source_id = s.id group by s.id"):
        assert f'href="/-/search?source={source["id"]}"' in html
        assert f'<td class="num">{source["n"]}</td>' in html
    assert html.count('class="status status-ok"') == len(sql("select id from sources"))
    newest = sql("select id, title from articles order by published desc limit 1")[0]
    assert f'href="/-/a/{newest["id"]}"' in html


def test_the_home_page_counts_captures_not_fetches(ds, sql):
    fetches = sql("select count(*) as n, count(warc_file) as captures from fetches")[0]
    # Fetches robots.txt forbade, or that failed, kept no capture.
    assert fetches["captures"] < fetches["n"]
    stats = re.search(r'<p class="stats">(.*?)</p>', ok(ds, "/").text, re.S)[1]
    assert re.search(rf'<strong>{fetches["captures"]:,}</strong> <span lang="vi">bản lưu</span>'
                     r'<span class="en" lang="en"> / captures</span>', stats), stats


def test_an_archive_without_articles_says_so_on_the_home_page(tmp_path):
    open_db(tmp_path / "archive.db").close()
    html = ok(make_datasette(tmp_path / "archive.db"), "/").text
    latest = re.search(r'<section class="latest">(.*?)</section>', html, re.S)[1]
    assert "No articles yet" in latest and "<code>govarchive crawl --all</code>" in latest
    assert "<ol" not in latest and "See all" not in latest


def test_search_ignores_accents_and_d(ds, sql):
    titles = result_titles(ok(ds, "/-/search?q=bo+noi+vu").text)
    assert any("Bộ Nội vụ" in t for t in titles)
    da_nang = ok(ds, "/-/search?q=da+nang")
    assert any("Đà Nẵng" in t for t in result_titles(da_nang.text))
    count = re.search(r'id="result-count">(\d+)<', da_nang.text).group(1)
    assert re.search(r'id="result-count">(\d+)<', ok(ds, "/-/search?q=%C4%90%C3%80+N%E1%BA%B4NG").text).group(1) == count
    assert "<mark>Đà Nẵng</mark>" in da_nang.text or "<mark>Đà</mark> <mark>Nẵng</mark>" in da_nang.text


def test_words_typed_together_say_how_many_results_have_them_together(ds, sql):
    # "đà nẵng" finds "đa năng" as well, and each word anywhere: the count is of all of those.
    page = ok(ds, "/-/search?q=%C4%90%C3%A0+N%E1%BA%B5ng")
    apart, together = matching_ids(sql, "da nang"), matching_ids(sql, '"da nang"')
    assert 0 < len(together) < len(apart) == int(result_count(page.text))
    note = lxml.html.fromstring(page.text).get_element_by_id("together-note")
    assert f"{len(together)} of these have the words «Đà Nẵng» together" in note.text_content()
    only = note.xpath("a/@href")[0]
    assert parse_qs(urlsplit(only).query)["q"] == ['"Đà Nẵng"']
    assert int(result_count(ok(ds, only).text)) == len(together)
    body = json.loads(ok(ds, "/-/results.json?q=%C4%90%C3%A0+N%E1%BA%B5ng").text)
    assert body["count"] == len(apart) and body["together"] == {"q": '"Đà Nẵng"', "count": len(together)}


def test_words_no_result_has_together_say_so(ds, sql):
    assert matching_ids(sql, "oa zalo") and not matching_ids(sql, '"oa zalo"')
    note = lxml.html.fromstring(ok(ds, "/-/search?q=OA+Zalo").text).get_element_by_id("together-note")
    assert "None of these has the words «OA Zalo» together" in note.text_content() and not note.xpath("a")


@pytest.mark.parametrize("q", ['"Đà Nẵng"', "Đà OR Nẵng", "Đà -Nẵng", "zalo", "title:Đà Nẵng", "Đà Nẵ*"])
def test_a_query_that_is_not_words_typed_together_has_no_together_note(ds, q):
    assert 'id="together-note"' not in ok(ds, "/-/search?" + urlencode({"q": q})).text
    assert json.loads(ok(ds, "/-/results.json?" + urlencode({"q": q})).text)["together"] is None


def test_relevance_puts_title_matches_first_and_newest_sorts_by_date(ds):
    titles = result_titles(ok(ds, "/-/search?q=bo+noi+vu").text)
    assert "Bộ Nội vụ" in titles[0]
    rows = json.loads(ok(ds, "/-/search.json?q=zalo&sort=newest").text)
    dates = [r["published"] for r in rows]
    assert dates == sorted(dates, reverse=True)


def test_facets_count_and_filter(ds, sql):
    html = ok(ds, "/-/search?q=zalo").text
    for facet in ("source", "month", "ref", "platform", "agency"):
        assert f'data-facet="{facet}"' in html, facet
    zalo = matching_ids(sql, '"zalo"')
    portal = {r["id"] for r in sql("select id from articles where source_id = 'sample-portal'")}
    assert '<a href="/-/search?q=zalo&amp;sort=relevance&amp;source=sample-portal">' in html
    assert f'<span class="count">{len(zalo & portal)}</span>' in html
    filtered = ok(ds, "/-/search?q=zalo&source=sample-portal").text
    assert re.search(r'id="result-count">(\d+)<', filtered).group(1) == str(len(zalo & portal))
    assert 'class="selected"' in filtered


def result_count(html):
    return re.search(r'id="result-count">(\d+)<', html)[1]


def facet_links(html, param):
    """(href, count, selected) for each value the facet ``param`` lists."""
    page = lxml.html.fromstring(html)
    return [(a.get("href"), int(a.xpath('string(span[@class="count"])')), a.getparent().get("class") == "selected")
            for a in page.xpath(f'//section[@data-facet="{param}"]//li/a')]


# A value of each many-valued facet that shares articles with others of the same facet.
MULTI_VALUED = (("platform", "Facebook"), ("agency", "Chính phủ"), ("ref", "174/KH-UBND"))


@pytest.mark.parametrize("param, value", MULTI_VALUED)
@pytest.mark.parametrize("q", ["", "q=zalo&", "q=th%C3%B4ng+tin&"])
def test_a_many_valued_facet_s_counts_are_what_its_links_lead_to(ds, param, value, q):
    html = ok(ds, f"/-/search?{q}{urlencode({param: value})}").text
    links = facet_links(html, param)
    # The selected value counts the results on the page; each other one, the results its link,
    # which puts it in place of the selected one, leads to.
    assert [n for _, n, selected in links if selected] == [int(result_count(html))], links
    others = [(href, n) for href, n, selected in links if not selected]
    assert others, links
    for href, n in others:
        assert int(result_count(ok(ds, href).text)) == n, (href, n)


def test_a_many_valued_facet_counts_values_an_article_has_beside_the_selected_one(ds, sql):
    # The case the counts above are about: Zalo articles that do not name Facebook.
    facebook = {r["article_id"] for r in sql("select article_id from mentions where platform = 'Facebook'")}
    zalo = {r["article_id"] for r in sql("select article_id from mentions where platform = 'Zalo'")}
    assert zalo - facebook and zalo & facebook
    counts = {href: n for href, n, _ in facet_links(ok(ds, "/-/search?platform=Facebook").text, "platform")}
    assert counts["/-/search?platform=Zalo"] == len(zalo)


def test_a_many_valued_facet_s_counts_stay_within_the_search_limit(reading_archive):
    limited = make_datasette(reading_archive / "archive.db", search_limit=5)
    html = ok(limited, "/-/search?platform=Facebook").text
    links = facet_links(html, "platform")
    assert links and all(n <= 5 for _, n, _ in links), links
    assert [n for _, n, selected in links if selected] == [int(result_count(html))]


def test_a_hand_typed_filter_value_need_not_match_its_case(ds, sql):
    agency = next(r["name"] for r in sql("select distinct name from mentions where kind = 'agency'")
                  if not r["name"].upper().isascii())
    platform = sql("select platform from mentions where platform is not null group by platform "
                   "order by count(*) desc limit 1")[0]["platform"]
    for param, archived, typed in (
        ("ref", "174/KH-UBND", "174/kh-ubnd"),
        ("platform", platform, platform.swapcase()),
        # SQLite's lower() leaves Ộ, Đ … alone: the comparison is Python's, in NFC.
        ("agency", agency, unicodedata.normalize("NFD", agency.upper())),
        ("source", "sample-portal", "Sample-Portal"),
    ):
        for q in ("", "q=zalo&"):
            expected = result_count(ok(ds, f"/-/search?{q}{urlencode({param: archived})}").text)
            html = ok(ds, f"/-/search?{q}{urlencode({param: typed})}").text
            assert result_count(html) == expected != "0", (param, q)
            assert '<a class="chip"' in html and 'class="selected"' in html, (param, q)


@pytest.mark.parametrize("param, archived, typed", [
    # As a search finds them: without the Đ's stroke, and without the number's leading zero.
    ("ref", "06/QĐ-TTg", "06/QD-TTg"),
    ("ref", "06/QĐ-TTg", "6/QĐ-TTg"),
    ("ref", "06/QĐ-TTg", "6/qd-ttg"),
    ("month", "2024-07", "2024-7"),
    ("month", "2024-07", "07/2024"),
    ("month", "2024-07", "7/2024"),
])
def test_a_hand_typed_document_or_month_is_read_as_the_archive_writes_it(ds, param, archived, typed):
    for q in ("", "q=zalo&"):
        expected = ok(ds, f"/-/results.json?{q}{urlencode({param: archived})}").json()
        body = ok(ds, f"/-/results.json?{q}{urlencode({param: typed})}").json()
        assert (body["count"], body["filters"], body["notes"]) == (expected["count"], {param: archived}, []), q
    assert expected["count"] or not q
    html = ok(ds, f"/-/search?{urlencode({param: typed})}").text
    assert result_count(html) != "0" and f"{archived} <span" in html and "query-note" not in html


@pytest.mark.parametrize("param, typed, named", [
    ("ref", "93/QĐ-XYZ", "document «93/QĐ-XYZ»"),
    ("month", "2024-13", "month «2024-13»"),
    ("month", "1999-01", "month «1999-01»"),
    ("platform", "Zalo Pay", "channel «Zalo Pay»"),
    ("agency", "Bộ Không Có", "agency «Bộ Không Có»"),
    ("source", "no-such-source", "source «no-such-source»"),
])
def test_a_filter_value_the_archive_does_not_hold_is_said_so(ds, param, typed, named):
    for q in ("", "q=zalo&"):
        body = ok(ds, f"/-/results.json?{q}{urlencode({param: typed})}").json()
        assert body["count"] == 0 and [n["en"] for n in body["notes"]] == [f"The archive has no {named}"], q
    html = ok(ds, f"/-/search?{urlencode({param: typed})}").text
    assert result_count(html) == "0" and f"The archive has no {named}" in html
    assert '<a class="chip"' in html  # the filter is still there, to be taken off


def test_a_repeated_filter_says_which_value_it_applies(ds, sql):
    html = ok(ds, "/-/search?source=sample-portal&source=sample-news&source=SAMPLE-PORTAL").text
    assert result_count(html) == str(sql("select count(*) as n from articles where source_id = 'sample-portal'")[0]["n"])
    assert "One value per filter: source «sample-portal» is applied, «sample-news» left out" in html
    notes = ok(ds, "/-/results.json?q=zalo&platform=Zalo&platform=Facebook").json()["notes"]
    assert [n["en"] for n in notes] == ["One value per filter: channel «Zalo» is applied, «Facebook» left out"]
    # Two spellings of one document or month are that one value, applied.
    (ref,) = sql("select ref from doc_refs where ref like '%-%' limit 1")
    dashed = ref["ref"].replace("-", "\u2011", 1)
    month = sql("select published_month as m from articles where published_month like '%-0%' limit 1")[0]["m"]
    short = f"{int(month[5:])}/{month[:4]}"
    for param, value, other in (("ref", ref["ref"], dashed), ("month", month, short)):
        notes = ok(ds, f"/-/results.json?{urlencode([(param, value), (param, other)])}").json()["notes"]
        assert notes == [], (param, notes)


def test_a_filter_repeated_many_times_looks_up_only_the_value_it_applies(ds, monkeypatch):
    from datasette.plugins import pm

    # The module datasette loaded from the plugins folder, not a second import of it.
    (reading_room,) = [p for p in pm.get_plugins() if hasattr(p, "_as_archived")]
    looked_up = []
    as_archived = reading_room._as_archived

    async def counted(db, facet, value):
        looked_up.append(value)
        return await as_archived(db, facet, value)

    monkeypatch.setattr(reading_room, "_as_archived", counted)
    repeated = "&".join(f"platform=kenh-{i}" for i in range(200))
    notes = ok(ds, f"/-/results.json?q=zalo&platform=zalo&{repeated}").json()["notes"]
    assert looked_up == ["zalo"]
    assert [n["en"] for n in notes] == [
        "One value per filter: channel «Zalo» is applied, «kenh-0», «kenh-1», «kenh-2», «kenh-3», «kenh-4» "
        "(+195) left out"]


@pytest.mark.parametrize("name", ["sources", "totals", "latest"])
def test_the_home_page_reads_indexes_not_every_row(sql, name):
    from archive.datasette.plugins import reading_room

    # The latest articles as an archive that records its sources' names asks for them.
    query = {"sources": reading_room.HOME_SOURCES_SQL, "totals": reading_room.HOME_TOTALS_SQL,
             "latest": reading_room._home_latest_sql(True)}[name]
    # A step on articles or fetches that is not answered from an index alone (or by id) reads
    # their rows, 2-3 KB each: seconds on a large archive.
    plan = [r["detail"] for r in sql("explain query plan " + query)]
    reads = [step for step in plan if re.match(r"(SCAN|SEARCH) (a|articles|fetches)\b", step)]
    # The partial index of captured fetches is not called covering, but SQLite never seeks the
    # row it defers: the index's condition is the query's.
    answered = ("COVERING INDEX", "INTEGER PRIMARY KEY", "USING INDEX idx_fetches_captured")
    assert reads and not [s for s in reads if not any(a in s for a in answered)], plan


@pytest.mark.parametrize("param", ["platform", "agency"])
def test_a_channel_or_agency_filter_reads_an_index_not_every_mention(sql, param):
    from archive.datasette.plugins.reading_room import FACETS

    (facet,) = [f for f in FACETS if f.param == param]
    # _as_archived's look-up of a value typed in a URL, and its walk through every value when
    # the case differs; then the filter itself. A mention row is read only for the facet's counts,
    # by the ids of the articles they count.
    for query in (f"select 1 from ({facet.values}) where value = :v limit 1", facet.values,
                  "select a.id from articles a where " + facet.where.format(p="v")):
        plan = [r["detail"] for r in sql("explain query plan " + query, {"v": "Zalo"})]
        steps = [step for step in plan if re.match(r"(SCAN|SEARCH) mentions\b", step)]
        assert steps and all("COVERING INDEX" in step for step in steps), (query, plan)
    counts = f"with matches as (select id from articles where id < 10) {facet.counts}"
    plan = [r["detail"] for r in sql("explain query plan " + counts)]
    assert [s for s in plan if "mentions" in s] == ["SEARCH mentions USING INDEX idx_mentions_article_id (article_id=?)"], plan


# A list without words by each many-valued filter, alone, with another and with a source: the
# articles it matches, as SQL over the archive says them.
# (Articles name Zalo OA more than once: each is one match.)
LISTS_WITHOUT_WORDS = (
    ({"platform": "Zalo OA"}, "select article_id from mentions where platform = 'Zalo OA'"),
    ({"agency": "Chính phủ"}, "select article_id from mentions where kind = 'agency' and name = 'Chính phủ'"),
    ({"ref": "06/QĐ-TTg"}, "select article_id from doc_refs where ref = '06/QĐ-TTg'"),
    ({"platform": "Zalo OA", "agency": "Chính phủ"},
     "select article_id from mentions where platform = 'Zalo OA' intersect "
     "select article_id from mentions where kind = 'agency' and name = 'Chính phủ'"),
    ({"platform": "Zalo OA", "ref": "13/2023/NĐ-CP"},
     "select article_id from mentions where platform = 'Zalo OA' intersect "
     "select article_id from doc_refs where ref = '13/2023/NĐ-CP'"),
    ({"platform": "Zalo OA", "source": "sample-portal"},
     "select article_id from mentions where platform = 'Zalo OA' intersect "
     "select id from articles where source_id = 'sample-portal'"),
)


def recorded_statements(monkeypatch):
    """Every (sql, params) datasette runs from now on."""
    from datasette.database import Database

    statements, execute = [], Database.execute

    async def recording(self, sql, params=None, **kwargs):
        statements.append((sql, params or {}))
        return await execute(self, sql, params, **kwargs)

    monkeypatch.setattr(Database, "execute", recording)
    return statements


@pytest.mark.parametrize("filters", [f for f, _ in LISTS_WITHOUT_WORDS])
def test_a_list_without_words_never_lists_every_article_a_filter_value_has(reading_archive, sql, monkeypatch, filters):
    # ``a.id in (select article_id from mentions where platform = …)`` first lists every article
    # with the channel (300,000 of a million for Zalo): 0.6 s for each of the page, the chart and
    # the facets. The filter's index is read from the newest article down, to the search limit.
    limited = make_datasette(reading_archive / "archive.db", search_limit=2)
    statements = recorded_statements(monkeypatch)
    ok(limited, "/-/search?" + urlencode(filters))
    assert statements
    for query, params in statements:
        plan = sql("explain query plan " + query, params)
        lists = {step["id"] for step in plan if step["detail"].startswith("LIST SUBQUERY")}
        listed = [step["detail"] for step in plan if step["parent"] in lists
                  and re.match(r"(SCAN|SEARCH) (mentions|doc_refs)\b", step["detail"])]
        assert not listed, (query, plan)


@pytest.mark.parametrize("filters", [{"month": "2024-07"}, {"month": "2024-03", "platform": "Zalo OA"}])
def test_a_month_s_list_without_words_reads_the_month_from_an_index(reading_archive, sql, monkeypatch, filters):
    # Read from the newest article down to the month, a month ten years back took 1.7 s on a
    # million articles (0.4 s once the newest matches were listed by id alone).
    limited = make_datasette(reading_archive / "archive.db", search_limit=2)
    statements = recorded_statements(monkeypatch)
    ok(limited, "/-/search?" + urlencode(filters))
    plans = [sql("explain query plan " + query, params) for query, params in statements]
    scans = [step["detail"] for plan in plans for step in plan if re.match(r"SCAN (a|articles)\b", step["detail"])]
    assert plans and not scans, scans


@pytest.mark.parametrize("limit", [2, 10_000])
@pytest.mark.parametrize("filters, articles", LISTS_WITHOUT_WORDS)
def test_a_list_without_words_counts_its_newest_matches_up_to_the_search_limit(reading_archive, sql, filters,
                                                                                  articles, limit):
    limited = make_datasette(reading_archive / "archive.db", search_limit=limit)
    matching = sorted({r["article_id"] for r in sql(articles)}, reverse=True)
    assert len(matching) > 2, filters
    body = ok(limited, "/-/results.json?" + urlencode(filters)).json()
    assert (body["count"], body["more"]) == (min(limit, len(matching)), len(matching) > limit)
    # The newest by when they were archived; the page is in order of publication.
    ids = [r["id"] for r in body["results"]]
    assert set(ids) <= set(matching[:limit]) and len(ids) == min(body["count"], body["page_size"])
    html = ok(limited, "/-/search?" + urlencode(filters)).text
    assert result_count(html) == str(body["count"])
    assert ('data-more="true"' in html) == body["more"]


def facet_values(html, param):
    section = re.search(rf'<section class="facet" data-facet="{param}"[^>]*>(.*?)</section>', html, re.S)[1]
    return re.findall(r'<li><a href="[^"]*">(.*?) <span class="count">', section), section


@pytest.mark.parametrize("param, values", [
    ("month", "select distinct published_month from articles where published_month is not null"),
    ("ref", "select distinct ref from doc_refs"),
])
def test_a_facet_with_more_values_than_it_shows_can_be_shown_whole(ds, sql, param, values):
    from archive.datasette.plugins.reading_room import FACET_SIZE

    every = {r[next(iter(r))] for r in sql(values)}
    assert len(every) > FACET_SIZE
    shown, section = facet_values(ok(ds, "/-/search").text, param)
    assert len(shown) == FACET_SIZE
    link = re.search(r'<p class="facet-more"><a href="([^"]*)">(.*?)</a>', section)
    assert link, section
    assert link[1] == f"/-/search?all={param}#facet-{param}" and "Show all" in link[2]
    shown, section = facet_values(ok(ds, link[1].split("#")[0]).text, param)
    assert set(shown) == every and len(shown) == len(every)
    assert re.search(rf'<a href="/-/search#facet-{param}">.*Show fewer', section)


def test_a_facet_shown_whole_stays_so_as_the_reader_pages_sorts_and_filters(ds, sql):
    every = {r["ref"] for r in sql("select distinct ref from doc_refs")}
    page = lxml.html.fromstring(ok(ds, "/-/search?all=ref").text)

    def args(link):
        return parse_qs(urlsplit(link.get("href")).query)

    links = page.xpath('//nav[@class="pages"]//a | //p[@class="sort"]//a | //aside[@id="filters"]//li/a')
    assert page.xpath('//nav[@class="pages"]//a') and page.xpath('//p[@class="sort"]//a')
    assert [a.get("href") for a in links if args(a).get("all") != ["ref"]] == []
    assert page.xpath('//form[@role="search"]//input[@name="all"]/@value') == ["ref"]
    (fewer,) = page.xpath('//section[@id="facet-ref"]//p[@class="facet-more"]/a')
    assert "all" not in args(fewer)
    downloads = page.xpath('//a[starts-with(@class, "download-")]')
    assert downloads and [a.get("href") for a in downloads if "all" in args(a)] == []
    # A value picked from the whole list, then taken off again: the whole list is back.
    picked = page.xpath('//section[@id="facet-ref"]//li/a')[-1]
    (chip,) = lxml.html.fromstring(ok(ds, picked.get("href")).text).xpath('//a[@class="chip"]')
    shown, _ = facet_values(ok(ds, chip.get("href")).text, "ref")
    assert set(shown) == every and len(shown) == len(every)


def test_document_page_lists_every_article_citing_it(ds, sql):
    expected = {r["article_id"] for r in sql("select article_id from doc_refs where ref = '174/KH-UBND'")}
    assert len(expected) >= 2
    response = ok(ds, "/-/search?ref=174%2FKH-UBND")
    assert re.search(r'id="result-count">(\d+)<', response.text).group(1) == str(len(expected))
    assert "Văn bản" in response.text and "174/KH-UBND" in response.text
    found = {int(i) for i in re.findall(r'<h3><a href="/-/a/(\d+)">', response.text)}
    assert found == expected


def test_exports_stream_the_whole_result_set(reading_archive, sql):
    # A tiny row limit: the downloads must not be capped by it or by the page size.
    small = make_datasette(reading_archive / "archive.db", max_returned_rows=5)
    everything = csv_rows(ok(small, "/-/search.csv"))
    assert len(everything) == sql("select count(*) as n from articles")[0]["n"] > 20
    zalo = matching_ids(sql, '"zalo"')
    response = ok(small, "/-/search.csv?q=zalo")
    assert 'filename="govarchive-search-zalo.csv"' in response.headers["content-disposition"]
    typed = ok(small, "/-/search.csv?q=%EF%BC%BA%EF%BD%81%EF%BD%8C%EF%BD%8F+OA+Hà+Nội")  # full-width Ｚａｌｏ
    assert 'filename="govarchive-search-zalo-oa-ha-noi.csv"' in typed.headers["content-disposition"]
    # Filtered several ways, each download has a name of its own.
    filtered = get(small, "/-/search.json?q=zalo&source=sample-portal&ref=174/KH-UBND&month=2024-6")
    assert ('filename="govarchive-search-zalo-sample-portal-2024-06-174-kh-ubnd.json"'
            in filtered.headers["content-disposition"])
    chart = get(small, "/-/attention.csv?q=zalo&platform=Zalo")
    assert 'filename="govarchive-attention-zalo-zalo.csv"' in chart.headers["content-disposition"]
    rows = csv_rows(response)
    assert {int(r["id"]) for r in rows} == zalo and len(rows) == len(zalo)
    one = sql("select * from articles where id = ?", [int(rows[0]["id"])])[0]
    assert rows[0]["text"] == one["text"] and rows[0]["title"] == one["title"]
    assert rows[0]["archive_url"].endswith(f"/-/a/{one['id']}")
    response = ok(small, "/-/search.json?q=zalo")
    assert response.headers["content-type"].startswith("application/json")
    assert "attachment" in response.headers["content-disposition"]
    assert {r["id"] for r in json.loads(response.text)} == zalo


def test_downloads_have_what_the_page_filters_on_as_the_article_json_gives_it(ds):
    lists = ("refs", "agencies", "channels", "categories", "tags")
    as_json = json.loads(ok(ds, "/-/search.json").text)
    as_csv = {int(r["id"]): r for r in csv_rows(ok(ds, "/-/search.csv"))}
    for name in lists:
        assert any(row[name] for row in as_json), name
    for row in as_json:
        article = ok(ds, f"/-/article/{row['id']}.json").json()
        for name in (*lists, "published_month"):
            assert row[name] == article[name], (row["id"], name)
        for name in lists:
            assert as_csv[row["id"]][name] == "; ".join(article[name]), (row["id"], name)
        assert as_csv[row["id"]]["published_month"] == (article["published_month"] or "")


def test_attention_csv_has_the_numbers_behind_the_chart(ds, sql):
    rows = csv_rows(ok(ds, "/-/attention.csv?q=zalo"))
    zalo = matching_ids(sql, '"zalo"')
    expected = {}
    for r in sql("select id, published_month, source_id from articles where published_month is not null"):
        if r["id"] in zalo:
            key = (r["published_month"], r["source_id"])
            expected[key] = expected.get(key, 0) + 1
    got = {(r["month"], r["source_id"]): int(r["articles"]) for r in rows}
    assert {k: v for k, v in got.items() if v} == expected
    months = sorted({r["month"] for r in rows})
    assert months[0] == min(m for m, _ in expected) and months[-1] == max(m for m, _ in expected)
    assert len(months) == (int(months[-1][:4]) - int(months[0][:4])) * 12 + int(months[-1][5:]) - int(months[0][5:]) + 1
    html = ok(ds, "/-/search?q=zalo").text
    assert html.count('<rect class="bar ') == len(expected)


def test_article_page_reads_cleanly_and_shows_the_knowledge(ds, sql):
    article = sql("select * from articles where title like ?", ["Sở Thông tin và Truyền thông Hà Nội khen thưởng Zalo%"])[0]
    html = ok(ds, f"/-/a/{article['id']}").text
    assert f"<h1>{article['title']}</h1>" in html
    unescaped = html.replace("&#34;", '"').replace("&#39;", "'")
    for paragraph in article["text"].split("\n"):
        assert f">{paragraph.strip()}</p>" in unescaped
    assert unescaped.count(article["description"]) == 1
    assert f'href="/-/capture/{article["fetch_id"]}.html"' in html
    assert f'href="/-/capture/{article["fetch_id"]}.warc.gz"' in html
    assert f'href="/-/article/{article["id"]}.json"' in html
    assert f'href="{article["url"]}" rel="noopener noreferrer nofollow"' in html
    stable = f"http://localhost/-/a/{article['id']}"
    assert (f"<span lang=\"vi\">{article['title']}. Báo điện tử mẫu (news) ({article['published'][:10]}).</span> "
            "<span lang=\"en\">Archived by govarchive on "
            f"{datetime.fromisoformat(article['first_seen']).astimezone(VN_TZ).date()} (UTC+7): {stable}. "
            f"Original: {article['url']}</span>") in html
    # The plan of the body the article names as its issuer: another committee's plan 174 is not it.
    refs = {unquote(h.split("=", 1)[1]) for h in re.findall(r'href="(/-/search\?ref=[^"]*)"', html)}
    assert "174/KH-UBND (Ủy ban nhân dân thành phố Hà Nội)" in refs
    # A channel named in the article ("Zalo OA: Sở …") is listed once, not again bare.
    assert html.count('href="/-/search?platform=Zalo%20OA"') == 1
    assert "Phiên bản" in html and "Chỉ có một phiên bản" in html


def test_a_sapo_repeated_as_the_first_paragraph_is_shown_once(ds, sql):
    repeats = sql("select * from articles where text like description || '%' and description != ''")
    assert repeats
    html = ok(ds, f"/-/a/{repeats[0]['id']}").text.replace("&#34;", '"').replace("&#39;", "'")
    assert html.count(repeats[0]["description"]) == 1


TABLE_TEXT = "\n".join([
    "Các văn bản liên quan:",
    "| Số, ký hiệu | Ngày ban hành | Trích yếu |",
    "|---|---|---|",
    "| 174/KH-UBND | 09/08/2019 | Đưa thông tin lên trang \\| mạng xã hội |",
    "| <b>93/QĐ-STTTT</b> |  | Tặng giấy khen |",
    "Theo Kế hoạch số 174/KH-UBND, các quận tiếp tục lan tỏa thông tin.",
    "| Cấp | Số Zalo OA |",
    "| Tỉnh | 1 |",
    "|---|---|",
])


def test_table_rows_in_the_text_are_one_table_whose_cells_are_escaped(reading_archive, tmp_path):
    shutil.copy(reading_archive / "archive.db", tmp_path / "archive.db")
    conn = sqlite3.connect(tmp_path / "archive.db")
    number = conn.execute("select min(id) from articles").fetchone()[0]
    conn.execute("update articles set text = ?, description = '' where id = ?", [TABLE_TEXT, number])
    conn.commit()
    conn.close()
    html = ok(make_datasette(tmp_path / "archive.db"), f"/-/a/{number}").text
    body = lxml.html.fromstring(html).cssselect("article .body")[0]
    assert [p.text_content() for p in body.cssselect("p")] == [
        "Các văn bản liên quan:", "Theo Kế hoạch số 174/KH-UBND, các quận tiếp tục lan tỏa thông tin."]
    first, second = body.cssselect("table")
    assert [th.text_content() for th in first.cssselect("thead th")] == ["Số, ký hiệu", "Ngày ban hành", "Trích yếu"]
    assert [[td.text_content() for td in tr.cssselect("td")] for tr in first.cssselect("tbody tr")] == [
        ["174/KH-UBND", "09/08/2019", "Đưa thông tin lên trang | mạng xã hội"],
        ["<b>93/QĐ-STTTT</b>", "", "Tặng giấy khen"],
    ]
    # A rule that follows no header row is not a row.
    assert not second.cssselect("thead")
    assert [[td.text_content() for td in tr.cssselect("td")] for tr in second.cssselect("tr")] == [
        ["Cấp", "Số Zalo OA"], ["Tỉnh", "1"]]
    assert "|---|" not in html and "&lt;b&gt;93/QĐ-STTTT&lt;/b&gt;" in html


def test_versions_and_syndication_on_the_article_page(ds, sql):
    changed = article_id(sql, CHANGED_TITLE_START)
    html = ok(ds, f"/-/a/{changed}").text
    assert f'href="/-/diff/{changed}?from=1&amp;to=2"' in html
    first, second = (article_id(sql, t) for t in SYNDICATED_TITLES)
    html = ok(ds, f"/-/a/{first}").text
    assert "Cũng được đăng bởi" in html and f'href="/-/a/{second}"' in html


HIDDEN = re.compile(r'<span class="visually-hidden"><span lang="vi">([^<]*)</span><span class="en" lang="en"> / ([^<]*)</span></span>')


def test_diff_shows_words_changed_and_ignores_normalisation(ds, sql):
    changed = article_id(sql, CHANGED_TITLE_START)
    page = ok(ds, f"/-/diff/{changed}?from=1&to=2").text
    html = HIDDEN.sub("", page)
    assert "<ins> OA</ins>" in html
    assert "<ins> (cập nhật)</ins>" in html
    assert '<ins><span aria-hidden="true">¶</span></ins> </p>\n  <p><ins> Bộ Nội vụ sẽ đánh giá kết quả sau sáu tháng.</ins>' in html
    assert "<del>" not in html.split('class="diff-summary"')[1]
    assert ok(ds, f"/-/diff/{changed}").text.count("<ins>") == html.count("<ins>")


def test_word_diff_compares_nfc_words():
    nfd = unicodedata.normalize("NFD", "Hà Nội mở trang Zalo")
    diff = word_diff(nfd + "\nđoạn hai", "Hà Nội mở kênh Zalo\nđoạn hai")
    assert diff["paragraphs"] == [[("=", "Hà Nội mở"), ("-", "trang"), ("+", "kênh"), ("=", "Zalo")], [("=", "đoạn hai")]]
    assert (diff["added"], diff["removed"]) == (1, 1)
    assert word_diff("một\nhai", "một hai")["paragraphs"] == [[("=", "một"), ("-", "\n")], [("=", "hai")]]


def test_a_diff_says_in_words_what_was_added_and_removed(ds, sql):
    changed = article_id(sql, CHANGED_TITLE_START)
    html = ok(ds, f"/-/diff/{changed}?from=1&to=2").text
    spoken = HIDDEN.sub(lambda m: f"[{m[1]} / {m[2]}]", html)
    assert "<ins>[thêm: / added:] OA[hết / end]</ins>" in spoken
    # A paragraph break is named, and its sign is not read out.
    assert '<ins><span aria-hidden="true">¶</span>[thêm ngắt đoạn / added paragraph break]</ins>' in spoken
    assert 'action=""' not in html


def test_archived_markup_is_escaped_everywhere(ds, sql):
    hostile = sql("select * from articles where source_id = 'hostile'")[0]
    assert hostile["title"].startswith("<script>alert(1)</script>")
    assert HOSTILE_IMG in hostile["text"]
    pages = [f"/-/a/{hostile['id']}", "/-/search?q=gia+mao", "/-/search?q=script", "/",
             "/-/search?source=hostile", f"/-/diff/{hostile['id']}"]
    for path in pages:
        html = ok(ds, path).text
        assert "<script>alert" not in html and "<img src=x" not in html, path
        assert "<b>độc hại</b>" not in html, path
    html = ok(ds, f"/-/a/{hostile['id']}").text
    assert "<h1>&lt;script&gt;alert(1)&lt;/script&gt; Cảnh báo" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "javascript:" not in html
    capture = get(ds, f"/-/capture/{hostile['fetch_id']}/page.html")  # the page the capture view frames
    assert capture.headers["content-security-policy"] == CAPTURE_POLICY
    assert b"<script>alert(1)</script>" in capture.content


def test_pages_work_before_the_knowledge_tables_exist(bare_ds):
    ids = json.loads(ok(bare_ds, "/archive.json?sql=select+id+from+articles+order+by+id&_shape=array").text)
    first = ids[0]["id"]
    html = ok(bare_ds, f"/-/a/{first}").text
    for heading in ("Văn bản được nhắc đến", "Được nhắc đến", "Phiên bản"):
        assert heading not in html
    assert "chỉ có một phiên bản" in ok(bare_ds, f"/-/diff/{first}").text
    search = ok(bare_ds, "/-/search?q=zalo&ref=174%2FKH-UBND&agency=x&platform=y").text
    assert 'data-facet="source"' in search and 'data-facet="ref"' not in search
    assert 'data-facet="platform"' not in search and 'data-facet="agency"' not in search
    assert re.search(r'id="result-count">(\d+)<', search).group(1) != "0"


def test_unknown_things_are_404(ds, sql):
    changed = article_id(sql, CHANGED_TITLE_START)
    for path in ("/-/a/999999", "/-/diff/999999", f"/-/diff/{changed}?from=1&to=99"):
        response = get(ds, path)
        assert response.status_code == 404, path
        assert "Không có" in response.text


def test_password_protects_every_page(reading_archive, monkeypatch):
    monkeypatch.setenv("GOVARCHIVE_PASSWORD", "mật khẩu")
    guarded = make_datasette(reading_archive / "archive.db")
    # Nor does any other plugin answer first: not the check for NUL characters, nor the search
    # box's count of its matches.
    for path in ("/", "/-/search?q=zalo", "/-/a/1", "/-/search.csv", "/-/capture/1.html", "/archive/articles",
                 "/archive/articles?_facet=%00", "/archive/articles?_search=zalo"):
        response = get(guarded, path)
        assert response.status_code == 401, path
        assert response.headers["www-authenticate"].startswith("Basic ")

    def basic(user, password):
        return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}

    assert get(guarded, "/", headers=basic("reader", "wrong")).status_code == 401
    assert get(guarded, "/", headers={"Authorization": "Bearer secret"}).status_code == 401
    assert get(guarded, "/", headers=basic("reader", "mật khẩu")).status_code == 200
    assert get(guarded, "/-/search?q=zalo", headers=basic("", "mật khẩu")).status_code == 200
    monkeypatch.delenv("GOVARCHIVE_PASSWORD")
    assert get(make_datasette(reading_archive / "archive.db"), "/").status_code == 200


def test_a_new_query_keeps_the_filters_and_sort_of_the_page_it_is_typed_on(ds, sql):
    source = sql("select source_id from articles limit 1")[0]["source_id"]
    html = ok(ds, f"/-/search?q=zalo&source={source}&sort=newest").text
    form = html[html.index('<form class="search-box"'):]
    form = form[: form.index("</form>")]
    assert f'<input type="hidden" name="source" value="{source}">' in form
    assert '<input type="hidden" name="sort" value="newest">' in form
    assert 'type="hidden"' not in ok(ds, "/-/search?q=zalo").text


def test_a_page_that_does_not_exist_is_the_reading_room_s_404(ds):
    for path in ("/no/such/page", "/archive/no_such_table", "/-/no-such-view"):
        response = get(ds, path)
        assert response.status_code == 404, path
        assert '<html lang="vi">' in response.text and "Không có trang này" in response.text, path
        assert 'href="/-/search"' in response.text, path
    # A JSON client still gets datasette's JSON error.
    response = get(ds, "/archive/no_such_table.json")
    assert response.status_code == 404 and response.json()["ok"] is False


def test_ids_that_name_no_row_are_404_in_each_route_s_own_form(ds, sql):
    # Past 4,300 digits Python's int() refuses a string, with an error of its own.
    for value in ("0", "abc", "99999999999999999999", "1.5", "9" * 4301, "0" * 4301):
        for path in (f"/-/a/{value}", f"/-/diff/{value}", f"/-/capture/{value}.html", f"/-/capture/{value}.warc.gz"):
            response = get(ds, path)
            assert response.status_code == 404, path
            assert "Không có" in response.text and "No such" in response.text, path
        response = get(ds, f"/-/article/{value}.json")
        assert response.status_code == 404 and response.json()["error"] == "No such article", value
    single = sql("select article_id from article_versions group by article_id having count(*) = 1")[0]["article_id"]
    # Leading zeros, however many, still name the row.
    assert get(ds, f"/-/a/{'0' * 4301}{single}").status_code == 200
    assert get(ds, f"/-/diff/{single}?from=7").status_code == 404
    assert "No such version" in get(ds, f"/-/diff/{single}?to=2").text
    assert get(ds, f"/-/diff/{single}?from=1").status_code == 200


@pytest.mark.parametrize("path", ["/-/search?q=zalo&page=", "/-/results.json?q=zalo&page="])
def test_a_page_past_the_end_says_so(ds, sql, path):
    pages = -(-len(matching_ids(sql, '"zalo"')) // 20)
    for page in (pages + 3, 10**30):
        response = get(ds, f"{path}{page}")
        assert response.status_code == 200, response.text[:500]
        if path.startswith("/-/results.json"):
            assert response.json()["results"] == [] and response.json()["pages"] == pages
        else:
            assert f"the results have {pages} pages" in response.text and 'class="pages"' not in response.text
            assert f'href="/-/search?q=zalo&amp;sort=relevance&amp;page={pages}">' in response.text


def test_a_page_past_the_end_names_the_page_asked_for(ds, sql):
    pages = -(-len(matching_ids(sql, '"zalo"')) // 20)
    for page in (10**9 + 1, 10**30):
        html = ok(ds, f"/-/search?q=zalo&page={page}").text
        assert f"There is no page {page}: the results have {pages} pages" in html
        assert ok(ds, f"/-/results.json?q=zalo&page={page}").json()["page"] == page


def test_a_page_past_the_end_of_no_results_only_says_there_are_none(ds):
    html = ok(ds, "/-/search?q=nosuchwordxyz&page=3").text
    assert re.search(r'id="result-count">0<', html)
    assert 'id="past-the-end"' not in html and "go to the last page" not in html
    assert "No articles found" in html


def test_control_characters_in_the_query_are_read_as_spaces(ds):
    html = ok(ds, "/-/search?q=zalo%00oa%1F&source=sample-portal%00").text
    assert "\x00" not in html and "\x1f" not in html
    assert "<title>«zalo oa» · " in html and 'value="zalo oa"' in html
    clean = ok(ds, "/-/search?q=zalo+oa&source=sample-portal").text
    count = re.search(r'id="result-count">(\d+)<', clean)[1]
    assert re.search(r'id="result-count">(\d+)<', html)[1] == count != "0"
    assert 'href="/-/search.csv?q=zalo+oa&amp;sort=relevance&amp;source=sample-portal"' in html
    assert ok(ds, "/-/results.json?q=zalo%00oa").json()["q"] == "zalo oa"
    only_nul = ok(ds, "/-/search?q=%00").text
    assert "\x00" not in only_nul and re.search(r"<title>\d+ kết quả / \d+ results · Tìm kiếm / Search", only_nul)


def test_the_citation_dates_the_capture_in_vietnam_s_time():
    from archive.datasette.plugins.reading_room import citation

    article = {"title": "T", "source_name": "S", "published": "2024-04-08T10:00:00+07:00",
               "first_seen": "2024-04-08T18:30:00+00:00", "url": "https://t.vn/x"}
    assert citation(article, "https://a/1")[1].startswith("Archived by govarchive on 2024-04-09 (UTC+7): https://a/1.")


def test_the_citation_cites_the_capture_its_text_comes_from():
    from archive.datasette.plugins.reading_room import citation

    # Edited, then moved: the text read from a later capture, at the address it moved to.
    article = {"title": "Tỉnh có nên mở kênh TikTok?", "source_name": "S", "published": "2024-04-08T10:00:00+07:00",
               "first_seen": "2024-04-08T18:30:00+00:00", "url": "https://t.vn/x"}
    read_from = {"fetched_at": "2024-06-01T02:00:00+00:00", "url": "https://t.vn/x", "response_url": "https://t.vn/y"}
    work, archived = citation(article, "https://a/1", read_from)
    assert work == "Tỉnh có nên mở kênh TikTok? S (2024-04-08)."
    assert archived == "Archived by govarchive on 2024-06-01 (UTC+7): https://a/1. Original: https://t.vn/y"


def test_the_urls_the_archive_gives_out_are_under_its_public_url_not_the_host_asked_for(ds, sql, monkeypatch):
    number = article_id(sql, CHANGED_TITLE_START)
    evil = {"Host": "evil.example"}
    # Without a public URL, the request's own host: the only one there is to go by.
    assert f'href="http://evil.example/-/a/{number}"' in get(ds, f"/-/a/{number}", headers=evil).text
    monkeypatch.setenv("GOVARCHIVE_PUBLIC_URL", "https://archive.example.org/")
    html = get(ds, f"/-/a/{number}", headers=evil).text
    assert f'class="stable-url" href="https://archive.example.org/-/a/{number}"' in html
    assert f"https://archive.example.org/-/a/{number}. Original:" in html and "evil.example" not in html
    results = get(ds, "/-/results.json?q=zalo", headers=evil).json()["results"]
    assert results and all(r["archive_url"] == f"https://archive.example.org/-/a/{r['id']}" for r in results)
    rows = csv_rows(get(ds, "/-/search.csv?q=zalo", headers=evil))
    assert rows and all(r["archive_url"] == f"https://archive.example.org/-/a/{r['id']}" for r in rows)


def test_oldest_first_is_a_sort_like_the_others(ds):
    data = ok(ds, "/-/results.json?q=zalo&sort=oldest").json()
    dates = [r["published"] for r in data["results"]]
    assert data["sort"] == "oldest" and dates == sorted(dates)
    assert [r["published"] for r in json.loads(ok(ds, "/-/search.json?q=zalo&sort=oldest").text)][:20] == dates
    html = ok(ds, "/-/search?q=zalo&sort=oldest").text
    assert "<strong aria-current=\"true\"><span lang=\"vi\">cũ nhất</span>" in html
    assert 'href="/-/search?q=zalo&amp;sort=oldest&amp;page=2"' in html
    unsearched = ok(ds, "/-/results.json?sort=oldest").json()
    assert unsearched["sort"] == "oldest"
    assert [r["published"] for r in unsearched["results"]] == sorted(r["published"] for r in unsearched["results"])


def sort_line(html):
    found = re.search(r'<p class="sort">(.*?)</p>', html, re.S)
    return found and HIDDEN.sub("", found[1])


def test_a_list_without_words_can_be_sorted_and_shows_its_order(ds):
    oldest = sort_line(ok(ds, "/-/search?source=sample-news&sort=oldest").text)
    assert oldest is not None
    assert '<strong aria-current="true"><span lang="vi">cũ nhất</span>' in oldest
    assert '<a href="/-/search?sort=newest&amp;source=sample-news"><span lang="vi">mới nhất</span>' in oldest
    assert "relevance" not in oldest
    for path in ("/-/search", "/-/search?sort=relevance"):
        line = sort_line(ok(ds, path).text)
        assert '<strong aria-current="true"><span lang="vi">mới nhất</span>' in line, path
        assert "relevance" not in line, path
    assert "relevance" in sort_line(ok(ds, "/-/search?q=zalo&sort=oldest").text)
    assert sort_line(ok(ds, "/-/search?q=nosuchwordxyz").text) is None


@pytest.mark.parametrize("args", ["source=sample-news", "", "sort=relevance", "source=sample-news&sort=newest"])
def test_a_list_without_words_says_it_is_newest_first_on_the_page_and_in_its_json(ds, args):
    line = sort_line(ok(ds, f"/-/search?{args}").text)
    assert '<strong aria-current="true"><span lang="vi">mới nhất</span>' in line, line
    assert line.count('aria-current="true"') == 1 and line.count("<a href") == 1, line
    data = ok(ds, f"/-/results.json?{args}").json()
    assert data["sort"] == "newest" and not data["ranked"]
    dates = [r["published"] for r in data["results"]]
    assert dates == sorted(dates, reverse=True)


def headings(html):
    """The page's headings as (level, text), in document order."""
    return [(int(level), re.sub(r"<[^>]+>", "", text).strip())
            for level, text in re.findall(r"<h([1-6])\b[^>]*>(.*?)</h\1>", html, re.S)]


@pytest.mark.parametrize("path", ["/-/search", "/-/search?q=zalo", "/-/search?q=zalo&page=999",
                                  "/-/search?q=NOT+zalo", "/-/search?q=zalo&ref=174%2FKH-UBND"])
def test_the_search_page_has_one_h1_and_its_results_sit_under_their_own_h2(ds, path):
    outline = headings(ok(ds, path).text)
    assert [level for level, _ in outline].count(1) == 1 and outline[0][0] == 1, outline
    # No level skipped on the way down: a screen reader's outline has no holes.
    assert all(b <= a + 1 for (a, _), (b, _) in zip(outline, outline[1:])), outline
    html = ok(ds, path).text
    titles = [m.start() for m in re.finditer(r'<h3><a href="/-/a/', html)]
    assert titles or "page=999" in path or "NOT" in path
    for at in titles:
        section = re.findall(r"<h2\b[^>]*>(.*?)</h2>", html[:at], re.S)[-1]
        assert re.fullmatch(r"[\d\u202f]+ kết quả / [\d\u202f]+ results?", re.sub(r"<[^>]+>", "", section)), section


def test_no_page_takes_the_focus_on_its_own(ds, sql):
    # autofocus skips a screen reader past the page's heading and the keyboard past the skip link.
    changed = article_id(sql, CHANGED_TITLE_START)
    for path in ("/", "/-/search", "/-/search?q=zalo", f"/-/a/{changed}", f"/-/diff/{changed}"):
        assert "autofocus" not in ok(ds, path).text, path


def test_a_filter_s_remove_link_says_so_and_the_selected_facet_and_sort_are_current(ds):
    html = ok(ds, "/-/search?q=zalo&source=sample-portal").text
    chips = re.findall(r'<a class="chip".*?</a>', html, re.S)
    selected = re.findall(r'<li class="selected">(.*?)</li>', html, re.S)
    assert len(chips) == 1 and len(selected) == 1
    for link in (chips[0], selected[0]):
        spoken = HIDDEN.sub(lambda m: f"{m[1]} / {m[2]}", link)
        assert "Bỏ lọc / Remove filter:" in spoken and "title=" not in link
        # The ✕ is the sighted reader's sign for the same thing: not read out as "multiplication x".
        assert '<span aria-hidden="true">✕</span>' in link and link.count("✕") == 1
    assert '<span class="en" lang="en"> / Source</span>: ' in chips[0]
    assert 'aria-current="true"' in selected[0]
    assert '<strong aria-current="true"><span lang="vi">liên quan nhất</span>' in html


def test_english_words_are_marked_as_english(ds, sql):
    changed = article_id(sql, CHANGED_TITLE_START)
    pages = {path: ok(ds, path).text for path in ("/", "/-/search?q=zalo", f"/-/a/{changed}", f"/-/diff/{changed}")}
    for path, html in pages.items():
        # Labels are text in both languages, each marked: an attribute cannot say which half is English.
        assert "aria-label=" not in html, path
        label = re.search(r'<label for="q"[^>]*>(.*?)</label>', html, re.S)
        assert label is None or '<span class="en" lang="en"> / Search</span>' in label[1], path
    search = pages["/-/search?q=zalo"]
    assert '<title id=' not in search
    assert re.search(r'id="chart-title" class="visually-hidden"><span lang="vi">Số bài viết mỗi tháng[^<]*</span>'
                     r'<span class="en" lang="en"> / Articles per month[^<]*</span>', search)
    assert '<span class="en" lang="en"> / Result pages</span>' in search
    assert '<span lang="en">Archived by govarchive on ' in pages[f"/-/a/{changed}"]


def test_an_untitled_article_says_so_in_both_languages_marked(ds):
    rr = ds.jinja_env.from_string('{% import "_reading.html" as rr %}{{ rr.untitled() }}')
    assert rr.render() == '(<span lang="vi">không tiêu đề</span><span class="en" lang="en"> / untitled</span>)'


@pytest.mark.parametrize("months", [5, 13, 24, 30, 120, 480])
def test_the_chart_labels_few_enough_months_to_read_them_on_a_phone(months):
    from archive.datasette.plugins.reading_room import CHART_LABELS, chart

    names = [f"{2000 + i // 12:04d}-{i % 12 + 1:02d}" for i in range(months)]
    drawn = chart({"months": names, "sources": ["s"], "counts": {(m, "s"): 1 for m in names}, "undated": 0}, {})
    labels = [label["text"] for label in drawn["labels"]]
    assert 2 <= len(labels) <= CHART_LABELS, labels
    if months > 24:
        assert all(label.endswith("-01") for label in labels)


def test_the_chart_s_table_is_one_step_away_and_its_download_is_not_inside_the_summary(ds):
    html = ok(ds, "/-/search?q=zalo").text
    summary = re.search(r"<summary>(.*?)</summary>", html, re.S)[1]
    assert "<a" not in summary
    assert re.search(r'<a class="download-attention" href="/-/attention.csv', html)
    assert 'aria-labelledby="chart-title"' in html and "the numbers are in the table below" in html


@pytest.mark.parametrize("q", ['""', "...", '"" ()'])
def test_a_query_with_no_word_says_so_and_offers_nothing_to_download(ds, q):
    html = ok(ds, "/-/search?q=" + q).text
    assert re.search(r'id="result-count">0<', html)
    assert "Nothing to search for in «" in html and "Không có gì để tìm" in html
    assert 'class="downloads"' not in html and "download-csv" not in html
    notes = ok(ds, "/-/results.json?q=" + q).json()["notes"]
    assert [n["en"] for n in notes] == [f"Nothing to search for in «{q}»: it has no word"]


def test_a_query_the_parser_notes_keeps_its_own_note_only(ds):
    notes = ok(ds, "/-/results.json?q=NOT+zalo").json()["notes"]
    assert len(notes) == 1 and notes[0]["en"].startswith("Left out «NOT zalo»")


def test_the_page_number_reads_as_page_n_of_m(ds, sql):
    pages = -(-len(matching_ids(sql, '"zalo"')) // 20)
    html = HIDDEN.sub(lambda m: f"[{m[1]} / {m[2]}]", ok(ds, "/-/search?q=zalo&page=2").text)
    nav = re.search(r'<nav class="pages".*?</nav>', html, re.S)[0]
    assert f'<span aria-hidden="true">2 / {pages}</span>[trang 2 trên {pages} / page 2 of {pages}]' in nav
    assert "Page" not in nav.replace(f"page 2 of {pages}", "")


def lang_of(element):
    """The language an element is in: its own lang, or its nearest ancestor's."""
    return next((e.get("lang") for e in element.iterancestors() if e.get("lang")), None) \
        if element.get("lang") is None else element.get("lang")


@pytest.fixture
def languages(reading_archive, sql, tmp_path):
    """A copy of the archive whose article with two versions is in English and another has a
    language that is no tag; both newest, so the home page and a list without words show them
    first. (the datasette, the English one's id, the other's id)"""
    english = article_id(sql, CHANGED_TITLE_START)
    other = next(r["id"] for r in sql("select id from articles where id != ? and title not like '%alert(1)%' "
                                      "and description != '' order by id", [english]))
    shutil.copy(reading_archive / "archive.db", tmp_path / "archive.db")
    conn = sqlite3.connect(tmp_path / "archive.db")
    with conn:
        conn.execute("update articles set language = 'en', published = '2031-01-02T08:00:00+07:00' where id = ?", [english])
        conn.execute("update articles set language = 'vi\"><b>', published = '2031-01-01T08:00:00+07:00' where id = ?",
                     [other])
    conn.close()
    return make_datasette(tmp_path / "archive.db"), english, other


def test_an_article_s_title_and_words_are_marked_in_its_own_language_wherever_they_are_shown(languages):
    ds, english, other = languages
    for path, shown in (("/", (english, other)), ("/-/search", (english, other)),
                        ("/-/search?q=" + CHANGED_TITLE_START, (english,))):
        page = lxml.html.fromstring(ok(ds, path).text)
        for number, language in zip(shown, ("en", "vi")):
            (item,) = [li for li in page.cssselect("ol.results > li") if li.cssselect(f'h3 a[href="/-/a/{number}"]')]
            assert lang_of(item.cssselect("h3 a span")[0]) == language, (path, number)
            assert lang_of(item.cssselect(".snippet")[0]) == language, (path, number)
            # The source's name is the portal's, in the page's language, whatever the article's.
            assert lang_of(item.cssselect(".meta")[0]) == "vi", (path, number)
    article = lxml.html.fromstring(ok(ds, f"/-/a/{english}").text)
    assert lang_of(article.cssselect("article h1")[0]) == "en"
    (cited,) = [e for e in article.cssselect(".citation *") if CHANGED_TITLE_START in (e.text or "")]
    assert lang_of(cited) == "en"
    assert lang_of(lxml.html.fromstring(ok(ds, f"/-/a/{other}").text).cssselect("article h1")[0]) == "vi"
    diff = lxml.html.fromstring(ok(ds, f"/-/diff/{english}?from=1&to=2").text)
    assert lang_of(diff.cssselect(".diff-text p")[0]) == "en"
    assert lang_of(diff.cssselect(".kicker a")[0]) == "en"


@pytest.mark.parametrize("args, named", [
    ("ref=174%2FKH-UBND", ["Văn bản / Document: 174/KH-UBND"]),
    ("agency=Bộ Chính trị", ["Cơ quan / Agency: Bộ Chính trị"]),
    ("source=sample-news", ["Nguồn / Source: Báo điện tử mẫu (news)"]),
    ("platform=TikTok", ["Kênh / Channel: TikTok"]),
    ("q=zalo&page=2", ["«zalo»", "trang 2 / page 2"]),
    ("q=zalo&source=sample-news&month=2024-06&page=2",
     ["«zalo»", "Nguồn / Source: Báo điện tử mẫu (news)", "Tháng / Month: 2024-06", "trang 2 / page 2"]),
])
def test_a_search_s_title_and_heading_name_its_words_its_filters_and_its_page(ds, args, named):
    page = lxml.html.fromstring(ok(ds, "/-/search?" + args).text)
    title = page.findtext(".//title")
    heading = " ".join(page.cssselect("h1")[0].text_content().split())
    for part in named:
        assert part in title and part in heading, (part, title, heading)
    assert title.endswith("Tìm kiếm / Search — govarchive")
    first = lxml.html.fromstring(ok(ds, "/-/search?" + args.replace("page=2", "page=1")).text)
    assert ("page=2" in args) == (first.findtext(".//title") != title)
    assert "trang 1" not in first.findtext(".//title")


def test_search_results_say_their_times_are_vietnam_s(ds):
    page = lxml.html.fromstring(ok(ds, "/-/search?q=Zalo").text)
    assert page.cssselect("#results .meta time")
    (note,) = page.cssselect("#results-zone")
    assert "Times are Vietnam time, UTC+7" in note.text_content()
    # Under the results it is of.
    assert note.getprevious() is page.cssselect("#results")[0]


def test_an_article_page_says_its_times_are_vietnam_s(ds, sql):
    page = lxml.html.fromstring(ok(ds, f"/-/a/{article_id(sql, CHANGED_TITLE_START)}").text)
    (meta,) = page.cssselect("article .meta")
    assert "Vietnam time, UTC+7" in meta.text_content() and meta.cssselect("time")
    assert any("First archived" in p.text_content() and "Vietnam time, UTC+7" in p.text_content()
               for p in page.cssselect("p.muted"))
