"""datasette over the crawled sample archive, through datasette's own test client."""

import asyncio
import csv
import gzip
import io
import json
import shutil
import sqlite3
import subprocess
import sys
import threading
import unicodedata
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import quote, urlsplit

import lxml.html
import pytest
from warcio.archiveiterator import ArchiveIterator

from archive.datasette.plugins import archive_downloads
from archive.datasette.plugins.archive_downloads import CAPTURE_POLICY, MAX_REWRITTEN_PAGE, VIEW_POLICY
from archive.datasette.plugins.datasette_tables import asgi_wrapper
from archive.samplesite.faults import encode_cp1258
from archive.serve import make_datasette
from archive.warc import WarcFileWriter

WARCIO = str(Path(sys.executable).with_name("warcio"))


@pytest.fixture(scope="module")
def ds(crawled_archive):
    return make_datasette(crawled_archive / "archive.db")


def get(ds, path):
    return asyncio.run(ds.client.get(path))


def get_json(ds, path):
    response = get(ds, path)
    assert response.status_code == 200, (path, response.text[:500])
    return response.json()


def test_search_returns_seed_modelled_articles(ds, sample_site):
    data = get_json(ds, "/archive/articles.json?_search=Zalo&_shape=objects&_size=max")
    urls = {row["url"] for row in data["rows"]}
    for seed in ("000", "001", "004"):
        (article,) = [a for a in sample_site.articles if a.get("seed") == seed]
        assert sample_site.article_url(article["key"]) in urls, seed
    data = get_json(ds, "/archive/articles.json?_search=174%2FKH-UBND&_shape=objects")
    seeds = {a["seed"]: sample_site.article_url(a["key"]) for a in sample_site.articles if a.get("seed")}
    found = {row["url"] for row in data["rows"]}
    assert {seeds["000"], seeds["002"]} <= found


def test_articles_most_recently_archived_first_with_facets(ds):
    data = get_json(ds, "/archive/articles.json?_shape=objects&_size=20")
    ids = [row["id"] for row in data["rows"]]
    assert ids == sorted(ids, reverse=True)
    assert set(data["facet_results"]) >= {"source_id", "published_month"}
    sources = {f["value"] for f in data["facet_results"]["source_id"]["results"]}
    assert sources == {"sample-portal", "sample-magazine", "sample-news"}


def test_home_page_has_archive_metadata(ds):
    response = get(ds, "/")
    assert response.status_code == 200
    assert "govarchive" in response.text
    assert "Government communications archive" in response.text
    table = get(ds, "/archive/articles")
    assert "Bài viết / Articles" in table.text
    assert 'name="_search"' in table.text


def test_datasette_s_csv_starts_with_a_byte_order_mark_as_the_reading_room_s_does(ds):
    for path in ("/archive/articles.csv?_search=zalo&_col=title", "/archive/articles.csv?_col=title&_dl=1",
                 "/archive/articles.csv?_col=title&_stream=on", "/archive.csv?sql=select+title+from+articles",
                 "/-/search.csv?q=zalo"):
        response = get(ds, path)
        assert response.status_code == 200, path
        # One mark, not two: the reading room's own CSV has it already.
        assert response.content.startswith(b"\xef\xbb\xbf") and not response.content[3:].startswith(b"\xef\xbb\xbf"), path
        rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert rows and all(row["title"] for row in rows), path
    attention = get(ds, "/-/attention.csv?q=zalo").content
    assert attention.startswith(b"\xef\xbb\xbfmonth,") and not attention[3:].startswith(b"\xef\xbb\xbf")
    assert not get(ds, "/archive/articles.json?_col=title").content.startswith(b"\xef\xbb\xbf")


def test_a_csv_of_known_length_is_said_to_be_three_bytes_longer_with_its_mark():
    async def app(scope, receive, send):
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"text/csv; charset=utf-8"), (b"content-length", b"4")]})
        await send({"type": "http.response.body", "body": b"a,b\n"})

    sent = []

    async def send(message):
        sent.append(message)

    asyncio.run(asgi_wrapper(None)(app)({"type": "http", "path": "/x.csv"}, None, send))
    assert dict(sent[0]["headers"])[b"content-length"] == b"7"
    assert sent[1]["body"] == b"\xef\xbb\xbfa,b\n"


def test_a_sort_asked_for_wrongly_is_the_asker_s_mistake(ds):
    for path in ("/archive/articles?_sort=nosuch", "/archive/articles?_search=zalo&_sort_desc=rank",
                 "/archive/articles.json?_sort=nosuch", "/archive/articles.csv?_sort_desc=nosuch"):
        response = get(ds, path)
        assert response.status_code == 400, path
        assert "Cannot sort table by" in response.text, path
    assert get(ds, "/archive/articles.json?_sort=nosuch").json()["error"] == "Cannot sort table by nosuch"
    for path in ("/archive/articles?_sort=title&_sort_desc=id", "/archive/articles.json?_sort=id&_sort_desc=id"):
        response = get(ds, path)
        assert response.status_code == 400, path
        assert "Cannot use _sort and _sort_desc at the same time" in response.text, path


def test_served_read_only(ds):
    response = get(ds, "/archive.json?sql=delete+from+articles")
    assert response.status_code == 400
    assert get_json(ds, "/archive.json?sql=select+count(*)+as+n+from+articles&_shape=objects")["rows"][0]["n"] > 0


def _article_with_fetch(ds, sample_site, seed="000"):
    (article,) = [a for a in sample_site.articles if a.get("seed") == seed]
    url = sample_site.article_url(article["key"])
    data = get_json(ds, f"/archive/articles.json?url={url}&_shape=objects")
    (row,) = data["rows"]
    return url, row


def test_raw_capture_is_sandboxed_and_its_download_exact(ds, sample_site):
    url, row = _article_with_fetch(ds, sample_site)
    response = get(ds, f"/-/capture/{row['fetch_id']}.html")
    assert response.status_code == 200
    assert response.headers["content-security-policy"] == VIEW_POLICY
    assert 'id="govarchive-banner"' in response.text
    (frame,) = lxml.html.fromstring(response.text).xpath("//iframe")
    assert frame.get("src") == f"/-/capture/{row['fetch_id']}/page.html"
    assert frame.get("sandbox") == "allow-top-navigation-by-user-activation"
    page = get(ds, frame.get("src"))
    assert page.status_code == 200
    assert page.headers["content-security-policy"] == CAPTURE_POLICY
    assert page.headers["x-content-type-options"] == "nosniff"
    assert "govarchive-banner" not in page.text
    download = get(ds, f"/-/capture/{row['fetch_id']}.html?download=1")
    assert "attachment" in download.headers["content-disposition"]
    assert download.headers["content-security-policy"] == CAPTURE_POLICY
    assert download.content == sample_site.page_bytes(url)


# An archived page in the Vietnamese legacy codepage, whose links are relative to a <base>, and
# whose every kind of link the capture view must rewrite or leave alone.
LEGACY_PAGE = """<!DOCTYPE html><html><head><meta charset="windows-1258">
<base href="{base}"><title>Thông báo của Bộ Nội vụ</title></head>
<body><h1>Việt Nam đẩy mạnh chuyển đổi số</h1>
<p><a id="held" href="../{article}" target="_blank">bài đã lưu</a>
<a id="held-fragment" href="../{article}#binh-luan">bình luận</a>
<a id="other-scheme" href="{other_scheme}">cùng bài, giao thức kia</a>
<a id="not-held" href="/chuyen-doi-so.htm">Chuyển đổi số</a>
<a id="root" href="/">Trang chủ</a>
<a id="script" href="javascript:void(0)">x</a> <a id="mail" href="mailto:toasoan@example.vn">thư</a>
<a id="phone" href="tel:+842438222222">gọi</a> <a id="top" href="#top">lên đầu</a></p>
<map name="m"><area id="area" shape="rect" coords="0,0,9,9" href="lien-he.htm"></map>
</body></html>"""


def add_capture(directory, url, body, content_type, *, fetched_at="2024-05-17T01:30:00+00:00", headers=()):
    """A 200 capture of ``url`` added to the archive in ``directory`` (WARC record and fetch row):
    its fetch id."""
    writer = WarcFileWriter(Path(directory) / "added-warc", prefix="added")
    pointer = writer.write_exchange(
        url=url, method="GET", request_headers=[("User-Agent", "test")], request_body=b"", status=200,
        reason="OK", response_headers=[("Content-Type", content_type)] * bool(content_type) + list(headers), body=body,
        fetched_at=datetime.fromisoformat(fetched_at),
    )
    writer.close()
    conn = sqlite3.connect(Path(directory) / "archive.db")
    with conn:
        fetch_id = conn.execute(
            "insert into fetches (url, requested_url, kind, status, fetched_at, content_type, length, warc_file, "
            "warc_offset, warc_length) values (?, ?, 'listing', 200, ?, ?, ?, ?, ?, ?)",
            [url, url, fetched_at, content_type, len(body), f"added-warc/{pointer.file}", pointer.offset,
             pointer.length],
        ).lastrowid
    conn.close()
    return fetch_id


def add_legacy_page(directory, sample_site):
    """The windows-1258 page, on the sample site beside one of its archived articles:
    (its fetch id, the article's URL, that article's latest capture)."""
    (seed,) = [a for a in sample_site.articles if a.get("seed") == "001"]
    article = sample_site.article_url(seed["key"])
    folder, _, name = article.rpartition("/")
    other_scheme = {"http": "https", "https": "http"}[urlsplit(article).scheme]
    page = LEGACY_PAGE.format(base=f"{folder}/chuyen-muc/", article=name,
                              other_scheme=urlsplit(article)._replace(scheme=other_scheme).geturl())
    fetch_id = add_capture(directory, f"{folder}/thong-bao.htm", encode_cp1258(page),
                           "text/html; charset=windows-1258")
    conn = sqlite3.connect(Path(directory) / "archive.db")
    (latest,) = conn.execute("select max(id) from fetches where url = ? and status = 200", [article]).fetchone()
    conn.close()
    return fetch_id, article, latest


@pytest.fixture(scope="module")
def legacy(crawled_archive, sample_site, tmp_path_factory):
    copy = tmp_path_factory.mktemp("legacy") / "archive"
    shutil.copytree(crawled_archive, copy)
    fetch_id, article, latest = add_legacy_page(copy, sample_site)
    return make_datasette(copy / "archive.db"), fetch_id, article, latest


def _hrefs(html):
    return {a.get("id"): a for a in lxml.html.fromstring(html).xpath("//a[@id] | //area[@id]")}


def test_capture_view_says_what_it_is_and_keeps_its_links_in_the_archive(legacy):
    ds, fetch_id, article, latest = legacy
    response = get(ds, f"/-/capture/{fetch_id}.html")
    assert response.status_code == 200
    assert response.headers["content-security-policy"] == VIEW_POLICY
    html = response.text
    origin = article.rsplit("/", 1)[0]
    # The banner ends after its links: what it says of the capture is a <div> of its own, before them.
    banner = html[html.index('id="govarchive-banner"'):html.index("</div>", html.index('class="links"'))]
    assert "Bản lưu trữ" in banner and "archived copy" in banner
    assert "08:30 17/05/2024" in banner  # 01:30 UTC, in Vietnam's time
    assert f'href="{origin}/thong-bao.htm"' in banner
    assert f'href="/-/capture/{fetch_id}.html?download=1"' in banner
    assert f'href="/-/capture/{fetch_id}.warc.gz"' in banner
    assert unicodedata.normalize("NFC", html).count("<title>Bản lưu / Archived · Thông báo của Bộ Nội vụ</title>") == 1

    page = get(ds, f"/-/capture/{fetch_id}/page.html")
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert page.headers["content-security-policy"] == CAPTURE_POLICY
    html = page.content.decode("utf-8")
    assert "Việt Nam đẩy mạnh chuyển đổi số" in unicodedata.normalize("NFC", html)
    links = _hrefs(html)
    root = urlsplit(article)._replace(path="").geturl()
    assert links["held"].get("href") == f"/-/capture/{latest}.html"
    # Out of the frame, to a capture view of its own (the sandbox would open no new window).
    assert links["held"].get("target") == "_top"
    assert links["held-fragment"].get("href") == f"/-/capture/{latest}.html?fragment=binh-luan"
    # The crawler keeps a source's URLs in one scheme; its pages link to either.
    assert links["other-scheme"].get("href") == f"/-/capture/{latest}.html"
    assert links["not-held"].get("href") == "/-/go?url=" + quote(f"{root}/chuyen-doi-so.htm", safe="")
    assert links["root"].get("href") == "/-/go?url=" + quote(f"{root}/", safe="")
    assert links["area"].get("href") == "/-/go?url=" + quote(f"{origin}/chuyen-muc/lien-he.htm", safe="")
    for name, href in (("script", "javascript:void(0)"), ("mail", "mailto:toasoan@example.vn"),
                       ("phone", "tel:+842438222222"), ("top", "#top")):
        assert links[name].get("href") == href, name
        assert links[name].get("target") is None, name
    # The fragment goes to the frame, where the page is.
    view = lxml.html.fromstring(get(ds, f"/-/capture/{latest}.html?fragment=binh-luan").text)
    assert view.xpath("//iframe/@src") == [f"/-/capture/{latest}/page.html#binh-luan"]

    download = get(ds, f"/-/capture/{fetch_id}.html?download=1")
    assert download.content.startswith(b"<!DOCTYPE html><html><head><meta charset=\"windows-1258\">")
    assert b"govarchive-banner" not in download.content and b"/-/go" not in download.content


def test_the_framed_page_opened_in_a_tab_of_its_own_is_the_capture_view(legacy):
    # There it would have no banner: a link to it would show an archived page as the archive's own.
    ds, fetch_id, _, _ = legacy
    tab = asyncio.run(ds.client.get(f"/-/capture/{fetch_id}/page.html", headers={"Sec-Fetch-Dest": "document"}))
    assert tab.status_code == 302 and tab.headers["location"] == f"/-/capture/{fetch_id}.html"
    framed = asyncio.run(ds.client.get(f"/-/capture/{fetch_id}/page.html", headers={"Sec-Fetch-Dest": "iframe"}))
    assert framed.status_code == 200 and "govarchive-banner" not in framed.text
    assert get(ds, "/-/capture/999999/page.html").status_code == 404


def test_a_link_out_of_an_archived_page_leads_to_the_archive_s_copy_or_says_there_is_none(legacy):
    ds, _, article, latest = legacy
    held = get(ds, "/-/go?url=" + quote(article, safe=""))
    assert held.status_code == 302 and held.headers["location"] == f"/-/capture/{latest}.html"
    scheme = urlsplit(article).scheme
    other_scheme = article.replace(scheme, {"http": "https", "https": "http"}[scheme], 1)
    held = get(ds, "/-/go?url=" + quote(other_scheme, safe=""))
    assert held.status_code == 302 and held.headers["location"] == f"/-/capture/{latest}.html"
    live = "https://chinhphu.vn/chuyen-doi-so.htm?a=1&b=2"
    missing = get(ds, "/-/go?url=" + quote(live, safe=""))
    assert missing.status_code == 404
    assert "không có trang này" in missing.text and "not in the archive" in missing.text
    assert 'href="https://chinhphu.vn/chuyen-doi-so.htm?a=1&amp;b=2"' in missing.text
    script = get(ds, "/-/go?url=javascript:alert(1)")
    assert script.status_code == 404 and 'href="javascript:' not in script.text
    broken = get(ds, "/-/go?url=" + quote("http://[invalid/x", safe=""))
    assert broken.status_code == 404 and "not in the archive" in broken.text
    assert "http://[invalid/x" in broken.text and 'href="http://[invalid' not in broken.text


@pytest.mark.parametrize("error", [
    "a page saying the article is not there (a soft 404)",
    "redirected to http://127.0.0.1/, the source's home or listing page, not an article",
    "redirected to http://127.0.0.1/x.htm, a page that does not read as the article",
])
def test_a_link_leads_to_the_article_s_capture_not_to_a_later_page_that_is_not_it(
        crawled_archive, sample_site, tmp_path, error):
    shutil.copytree(crawled_archive, tmp_path / "archive")
    _, article, latest = add_legacy_page(tmp_path / "archive", sample_site)
    # Later, the article's URL answered 200 with another page: captured, but not the article.
    later = add_capture(tmp_path / "archive", article, b"<html><body><h1>Trang kh\xc3\xb4ng t\xe1\xbb\x93n t\xe1\xba\xa1i</h1>",
                        "text/html; charset=utf-8", fetched_at="2025-01-01T00:00:00+00:00")
    conn = sqlite3.connect(tmp_path / "archive" / "archive.db")
    with conn:
        conn.execute("update fetches set kind = 'article', error = ? where id = ?", [error, later])
    conn.close()
    held = get(make_datasette(tmp_path / "archive" / "archive.db"), "/-/go?url=" + quote(article, safe=""))
    assert held.status_code == 302 and held.headers["location"] == f"/-/capture/{latest}.html"


NOT_REWRITTEN = "the page's links lead to the live site"




@pytest.fixture(scope="module")
def hostile_archive(crawled_archive, tmp_path_factory):
    """A copy of the archive, to add hostile pages to."""
    copy = tmp_path_factory.mktemp("hostile") / "archive"
    shutil.copytree(crawled_archive, copy)
    return copy


def capture_view(directory, html, *, content_type="text/html; charset=utf-8"):
    """(fetch id, the archived page as the capture view frames it) for ``html`` archived as a
    page of its own."""
    fetch_id = add_capture(directory, "https://hostile.example/trang.html", html.encode("utf-8"), content_type)
    return fetch_id, get(make_datasette(directory / "archive.db"), f"/-/capture/{fetch_id}/page.html")


def view(directory, fetch_id):
    """The capture view around the archived page: its banner and its title."""
    return get(make_datasette(directory / "archive.db"), f"/-/capture/{fetch_id}.html")


def assert_served_as_archived(directory, fetch_id, response, html, doctype="<!DOCTYPE html>"):
    assert response.status_code == 200
    assert response.headers["content-security-policy"] == CAPTURE_POLICY
    # After the doctype, which keeps the page out of quirks mode: its links lead the whole tab
    # out of the frame, to the live site, as the banner says.
    assert response.text == doctype + '<base target="_top">' + html[len(doctype):]
    assert NOT_REWRITTEN in view(directory, fetch_id).text


def test_the_links_of_an_inline_svg_lead_into_the_archive_as_the_page_s_others_do(hostile_archive, sample_site):
    (seed,) = [a for a in sample_site.articles if a.get("seed") == "001"]
    article = sample_site.article_url(seed["key"])
    conn = sqlite3.connect(hostile_archive / "archive.db")
    (latest,) = conn.execute("select max(id) from fetches where url = ? and status = 200", [article]).fetchone()
    conn.close()
    # A map or an icon row drawn in SVG: its links are in xlink:href, or in href as SVG 2 has it.
    _, response = capture_view(hostile_archive, f"""<!DOCTYPE html><body>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 90 90">
<a id="xlink" xlink:href="{article}" target="_blank"><text y="10">bài đã lưu</text></a>
<a id="href" href="/chuyen-doi-so.htm"><text y="20">Chuyển đổi số</text></a>
<a id="both" href="{article}#binh-luan" xlink:href="/cu.htm"/>
<a id="script" xlink:href="javascript:alert(1)"><text y="30">x</text></a>
<use id="use" xlink:href="#bieu-tuong"/><image id="image" xlink:href="/logo.png"/>
</svg><a id="html" href="{article}">bài</a></body>""")
    assert response.status_code == 200
    tags = {e.get("id"): e for e in lxml.html.fromstring(response.text).xpath("//*[@id]")}
    out = "/-/go?url=" + quote("https://hostile.example/", safe="")
    assert tags["html"].get("href") == f"/-/capture/{latest}.html"
    assert tags["xlink"].get("xlink:href") == f"/-/capture/{latest}.html"
    assert tags["xlink"].get("target") == "_top"
    assert tags["href"].get("href") == out + quote("chuyen-doi-so.htm", safe="")
    # Each address leads into the archive, whichever of the two a browser follows.
    assert tags["both"].get("href") == f"/-/capture/{latest}.html?fragment=binh-luan"
    assert tags["both"].get("xlink:href") == out + quote("cu.htm", safe="")
    assert tags["script"].get("xlink:href") == "javascript:alert(1)"
    # Parts of the drawing, not links: the browser loads neither in the capture view (tests/browser).
    assert tags["use"].get("xlink:href") == "#bieu-tuong" and tags["image"].get("xlink:href") == "/logo.png"


def test_a_page_too_long_to_rewrite_is_served_as_archived_after_the_banner(hostile_archive):
    link = '<a href="https://hostile.example/">x</a>'
    html = ("<!DOCTYPE html><html><head><title>Dài</title></head><body>"
            + link * (MAX_REWRITTEN_PAGE // len(link) + 1))
    fetch_id, response = capture_view(hostile_archive, html)
    assert_served_as_archived(hostile_archive, fetch_id, response, html)


def test_the_page_is_parsed_off_the_event_loop(hostile_archive, monkeypatch):
    threads = []
    parse = archive_downloads._PageMap

    def recorded(text):
        threads.append(threading.current_thread())
        return parse(text)

    monkeypatch.setattr(archive_downloads, "_PageMap", recorded)
    _, response = capture_view(hostile_archive, "<p>Nội dung</p>")
    assert response.status_code == 200
    # The test client's event loop runs in the main thread.
    assert threads and threading.main_thread() not in threads


def test_a_page_the_parser_fails_on_is_served_as_archived_after_the_banner(
    hostile_archive, monkeypatch, caplog
):
    # Nothing is known to make the parser fail since "<![" no longer does; whatever does next
    # must not be a 500, and must be said in the log.
    def failing(text):
        raise AssertionError("expected name token")

    monkeypatch.setattr(archive_downloads, "_PageMap", failing)
    html = '<!DOCTYPE html><p>Nơi nhận</p><a href="https://hostile.example/">x</a>'
    fetch_id, response = capture_view(hostile_archive, html)
    assert_served_as_archived(hostile_archive, fetch_id, response, html)
    failures = [r for r in caplog.records if "left unrewritten" in r.getMessage()]
    assert failures and "expected name token" in caplog.text


def test_links_are_rewritten_by_a_parser_that_says_a_title_is_escapable(hostile_archive, monkeypatch):
    # Newer Pythons' HTMLParser calls set_cdata_mode(tag, escapable=True) for <title> and
    # <textarea>; emulated here on the one the project runs on.
    from html import parser

    plain_mode, plain_start = parser.HTMLParser.set_cdata_mode, parser.HTMLParser.parse_starttag

    def set_cdata_mode(self, elem, *, escapable=False):
        plain_mode(self, elem)

    def parse_starttag(self, i):
        end = plain_start(self, i)
        if end > 0 and self.lasttag in ("title", "textarea"):
            self.set_cdata_mode(self.lasttag, escapable=True)
        return end

    monkeypatch.setattr(parser.HTMLParser, "set_cdata_mode", set_cdata_mode)
    monkeypatch.setattr(parser.HTMLParser, "parse_starttag", parse_starttag)
    _, response = capture_view(
        hostile_archive, '<html><head><title>Tin</title></head><a id=out href="https://evil.example/">x</a>'
    )
    assert _hrefs(response.text)["out"].get("href") == "/-/go?url=" + quote("https://evil.example/", safe="")


def test_markup_browsers_read_as_text_or_a_comment_is_not_rewritten(hostile_archive):
    out = "/-/go?url=" + quote("https://evil.example/", safe="")
    # (page, the title the tab shows)
    for html, title in (
        ('<html><head><title>Tin <b>mới</b>\n <a href="https://evil.example/">x</a></title></head><p>Nội dung',
         'Tin &lt;b&gt;mới&lt;/b&gt; &lt;a href=&#34;https://evil.example/&#34;&gt;x&lt;/a&gt;'),
        ("<html><head><template><title>ẩn</title></template><title>Tin &amp; bài</title></head><p>Nội dung",
         "Tin &amp; bài"),
        ("<html><head><title/><div>ẩn</title></head><p>Nội dung", "&lt;div&gt;ẩn"),
        ("<html><head><template/><div>ẩn</template></head><p>Nội dung", "https://hostile.example/trang.html"),
        ('<body><textarea><a href="https://evil.example/">x</a></textarea>', "https://hostile.example/trang.html"),
        # Not a section's name: HTMLParser failed on it.
        ("<body><p>Nơi nhận<![ x ]></p><![1]>", "https://hostile.example/trang.html"),
    ):
        fetch_id, response = capture_view(hostile_archive, html)
        assert response.status_code == 200, html
        assert response.text == html
        page = view(hostile_archive, fetch_id).text
        assert f"<title>Bản lưu / Archived · {title}</title>" in page and NOT_REWRITTEN not in page, html
    # What browsers end sooner than HTMLParser would: a comment at "--!>", "<![CDATA[" at the
    # first ">" in HTML, a script at "</script" whatever follows. The links after are live.
    _, response = capture_view(hostile_archive, (
        "<body><!-- c --!><a id=comment href='https://evil.example/'>x</a><!-- end -->"
        '<![CDATA[ x > <a id=cdata href="https://evil.example/">x</a> ]]>'
        '<script>x</script x><a id=script href="https://evil.example/">x</a>'
        '<style>p{}</style/><a id=style href="https://evil.example/">x</a>'
        "<!--><a id=empty href='https://evil.example/'>x</a>"
    ))
    links = _hrefs(response.text)
    for name in ("comment", "cdata", "script", "style", "empty"):
        assert links[name].get("href") == out, name


def test_the_links_of_a_template_are_rewritten_as_a_shadow_root_s_are_shown(hostile_archive):
    # Browsers show a <template shadowrootmode> as the element's shadow tree (declarative shadow
    # DOM): a link left in it would take the reader out of the archive in one click.
    out = "/-/go?url=" + quote("http://other.example/tin", safe="")
    _, response = capture_view(hostile_archive, (
        '<!DOCTYPE html><html><head><template><a id="head" href="http://other.example/tin">x</a></template>'
        '<title>Tin</title></head><body><div><template shadowrootmode="open">'
        '<a id="shadow" href="http://other.example/tin">Tin</a>'
        '<template shadowrootmode="closed"><area id="nested" href="http://other.example/tin"></template>'
        "</template></div><p>Nội dung</p></body></html>"
    ))
    links = _hrefs(response.text)
    for name in ("head", "shadow", "nested"):
        assert links[name].get("href") == out, name


def test_a_backslash_is_read_as_a_slash_as_browsers_read_it_in_http_urls(hostile_archive):
    def out(url):
        return "/-/go?url=" + quote(url, safe="")

    _, response = capture_view(hostile_archive, (
        '<body><a id="absolute" href="http:\\\\127.0.0.2:18472\\backslash">x</a>'
        '<a id="scheme-relative" href="\\\\evil.example\\tin">x</a>'
        '<a id="mixed" href="/\\evil.example/tin">x</a>'
        '<a id="path" href="..\\tin\\a.htm?q=\\x#\\y">x</a>'
        '<a id="mail" href="mailto:a\\b@example.vn">x</a>'
    ))
    links = _hrefs(response.text)
    assert links["absolute"].get("href") == out("http://127.0.0.2:18472/backslash")
    assert links["scheme-relative"].get("href") == out("https://evil.example/tin")
    assert links["mixed"].get("href") == out("https://evil.example/tin")
    # The query and the fragment keep theirs.
    assert links["path"].get("href") == out("https://hostile.example/tin/a.htm?q=\\x#\\y")
    assert links["mail"].get("href") == "mailto:a\\b@example.vn"


def test_what_the_crawler_reads_as_a_page_is_shown_as_one_whatever_its_type(hostile_archive):
    out = "/-/go?url=" + quote("http://other.example/tin", safe="")
    link = '<a id="out" href="http://other.example/tin">Tin</a>'
    for content_type, body in (
        ("application/xhtml+xml", '<?xml version="1.0" encoding="utf-8"?><html xmlns="http://www.w3.org/1999/xhtml">'
                                  f"<head><title>Tin</title></head><body>{link}</body></html>"),
        ("text/plain; charset=utf-8", f"<!DOCTYPE html><html><head><title>Tin</title></head><body>{link}</body>"),
        ("multipart/x-mixed-replace; boundary=x", f"<!doctype html><title>Tin</title><p>{link}"),
        (None, f"<html><head><title>Tin</title></head><body>{link}</body></html>"),
    ):
        fetch_id = add_capture(hostile_archive, "https://hostile.example/trang.html", body.encode("utf-8"),
                               content_type)
        ds = make_datasette(hostile_archive / "archive.db")
        view = get(ds, f"/-/capture/{fetch_id}.html")
        assert view.headers["content-security-policy"] == VIEW_POLICY, content_type
        assert "<title>Bản lưu / Archived · Tin</title>" in view.text and 'id="govarchive-banner"' in view.text
        assert lxml.html.fromstring(view.text).xpath("//iframe/@src") == [f"/-/capture/{fetch_id}/page.html"]
        page = get(ds, f"/-/capture/{fetch_id}/page.html")
        assert page.headers["content-type"] == "text/html; charset=utf-8", content_type
        assert page.headers["content-security-policy"] == CAPTURE_POLICY
        assert _hrefs(page.content)["out"].get("href") == out, content_type


def test_a_capture_that_is_no_page_is_never_shown_under_its_own_type(hostile_archive):
    svg = ('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script>'
           '<a href="http://other.example/tin"><text y="20">Tin</text></a></svg>')
    for content_type, body in (("image/svg+xml", svg.encode("utf-8")),
                               ("text/xml", b"<?xml-stylesheet href='x.xsl'?><rss><channel/></rss>"),
                               ("application/pdf", b"%PDF-1.4 ..."), ("text/plain", "Nội dung".encode())):
        fetch_id = add_capture(hostile_archive, "https://hostile.example/tep", body, content_type)
        ds = make_datasette(hostile_archive / "archive.db")
        view = get(ds, f"/-/capture/{fetch_id}.html")
        assert view.status_code == 200 and view.headers["content-type"] == "text/html; charset=utf-8", content_type
        assert view.headers["content-security-policy"] == VIEW_POLICY
        text = view.text
        assert 'id="govarchive-banner"' in text and "<iframe" not in text and "<svg" not in text
        assert "not a web page" in text and f"<code>{content_type}</code>" in text
        assert f'href="/-/capture/{fetch_id}.html?download=1"' in text
        page = get(ds, f"/-/capture/{fetch_id}/page.html")
        assert page.status_code == 302 and page.headers["location"] == f"/-/capture/{fetch_id}.html"
        download = get(ds, f"/-/capture/{fetch_id}.html?download=1")
        assert download.content == body and download.headers["content-security-policy"] == CAPTURE_POLICY
        assert download.headers["content-disposition"].startswith("attachment")


def test_a_download_is_named_for_its_content_type_and_is_the_page_as_a_browser_received_it(hostile_archive):
    ds = make_datasette(hostile_archive / "archive.db")
    for content_type, extension in (("application/rss+xml; charset=utf-8", "xml"), ("text/xml", "xml"),
                                    ("application/pdf", "pdf"), ("application/json", "json"),
                                    ("text/plain; charset=utf-8", "txt"), ("text/html", "html"),
                                    ("application/x-unheard-of", "bin")):
        fetch_id = add_capture(hostile_archive, "https://hostile.example/tep", b"<rss/>", content_type)
        download = get(ds, f"/-/capture/{fetch_id}.html?download=1")
        assert download.headers["content-disposition"] == f'attachment; filename="capture-{fetch_id}.{extension}"'
        assert download.content == b"<rss/>"
    # The content coding undone, as a browser undoes it: the .warc.gz has the bytes as sent.
    page = "<p>Nội dung</p>".encode("utf-8")
    fetch_id = add_capture(hostile_archive, "https://hostile.example/nen", gzip.compress(page),
                           "text/html; charset=utf-8", headers=[("Content-Encoding", "gzip")])
    download = get(ds, f"/-/capture/{fetch_id}.html?download=1")
    assert download.content == page and "content-encoding" not in download.headers


def test_warc_download_is_a_valid_warc_of_that_capture(ds, sample_site, tmp_path):
    url, row = _article_with_fetch(ds, sample_site, "002")
    response = get(ds, f"/-/capture/{row['fetch_id']}.warc.gz")
    assert response.status_code == 200
    path = tmp_path / "capture.warc.gz"
    path.write_bytes(response.content)
    assert subprocess.run([WARCIO, "check", str(path)], capture_output=True).returncode == 0
    records = list(ArchiveIterator(io.BytesIO(response.content)))
    assert [r.rec_type for r in records] == ["response", "request"]
    assert records[0].rec_headers.get_header("WARC-Target-URI") == url


def add_exchange(writer, url, status, reason, headers, body=b""):
    return writer.write_exchange(
        url=url, method="GET", request_headers=[("User-Agent", "test")], request_body=b"", status=status,
        reason=reason, response_headers=headers, body=body,
        fetched_at=datetime(2024, 5, 17, 1, 30, tzinfo=timezone.utc),
    )


def add_fetch(directory, **row):
    conn = sqlite3.connect(Path(directory) / "archive.db")
    with conn:
        fetch_id = conn.execute(f"insert into fetches ({', '.join(row)}) values ({', '.join('?' * len(row))})",
                                list(row.values())).lastrowid
    conn.close()
    return fetch_id


@pytest.fixture(scope="module")
def redirected(crawled_archive, tmp_path_factory):
    """A copy of the archive with a capture reached through two redirects, after a retried 503,
    and a capture of a page that is gone (410): (its directory, their fetch ids)."""
    copy = tmp_path_factory.mktemp("redirected") / "archive"
    shutil.copytree(crawled_archive, copy)
    writer = WarcFileWriter(copy / "added-warc", prefix="redirected")
    html = [("Content-Type", "text/html; charset=utf-8")]
    hops = [add_exchange(writer, "https://hostile.example/cu", 503, "Service Unavailable", html),
            add_exchange(writer, "https://hostile.example/cu", 301, "Moved Permanently",
                         [("Location", "https://hostile.example/giua")]),
            add_exchange(writer, "https://hostile.example/giua", 302, "Found",
                         [("Location", "https://hostile.example/moi")])]
    final = add_exchange(writer, "https://hostile.example/moi", 200, "OK", html, "<p>Bài mới</p>".encode())
    gone = add_exchange(writer, "https://hostile.example/mat", 410, "Gone", html, "<p>Không còn</p>".encode())
    writer.close()
    common = {"kind": "article", "fetched_at": "2024-05-17T01:30:00+00:00", "content_type": html[0][1]}
    moved = add_fetch(copy, url="https://hostile.example/cu", response_url="https://hostile.example/moi", status=200,
                      warc_file=f"added-warc/{final.file}", warc_offset=final.offset, warc_length=final.length,
                      warc_hops=json.dumps([{"file": f"added-warc/{h.file}", "offset": h.offset, "length": h.length}
                                            for h in hops]), **common)
    gone_id = add_fetch(copy, url="https://hostile.example/mat", status=410, warc_file=f"added-warc/{gone.file}",
                        warc_offset=gone.offset, warc_length=gone.length, **common)
    return copy, moved, gone_id


def test_a_capture_s_warc_holds_the_redirects_that_led_to_it(redirected, tmp_path):
    directory, moved, _ = redirected
    response = get(make_datasette(directory / "archive.db"), f"/-/capture/{moved}.warc.gz")
    assert response.status_code == 200
    records = [(r.rec_type, r.rec_headers.get_header("WARC-Target-URI"),
                r.http_headers.get_statuscode() if r.rec_type == "response" else None)
               for r in ArchiveIterator(io.BytesIO(response.content))]
    # As an export holds it: the 503 a retry replaced is not part of the exchange.
    assert records == [
        ("response", "https://hostile.example/cu", "301"), ("request", "https://hostile.example/cu", None),
        ("response", "https://hostile.example/giua", "302"), ("request", "https://hostile.example/giua", None),
        ("response", "https://hostile.example/moi", "200"), ("request", "https://hostile.example/moi", None),
    ]
    path = tmp_path / "capture.warc.gz"
    path.write_bytes(response.content)
    check = subprocess.run([WARCIO, "check", str(path)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr


def test_the_banner_says_where_a_redirect_led_and_what_a_page_that_is_not_a_200_answered(redirected):
    directory, moved, gone = redirected
    ds = make_datasette(directory / "archive.db")
    text = banner(ds, moved)
    assert "URL asked for</span>: <a href=\"https://hostile.example/cu\">" in text
    assert "Redirected to</span>: <a href=\"https://hostile.example/moi\">" in text
    assert "Original URL" not in text and "HTTP" not in text
    text = banner(ds, gone)
    assert "Original URL</span>: <a href=\"https://hostile.example/mat\">" in text and "asked for" not in text
    assert "The server answered</span>: HTTP 410 Gone" in text


@pytest.mark.parametrize("path", ["/archive", "/archive/articles", "/archive/articles.csv", "/archive/articles/1",
                                  "/-/article/1.json", "/-/search.json?q=zalo", "/", "/-/search?q=zalo"])
def test_every_response_is_nosniff_and_no_page_may_be_framed_by_another_site(ds, path):
    response = get(ds, path)
    assert response.status_code == 200
    assert response.headers["x-content-type-options"] == "nosniff"
    if response.headers["content-type"].startswith("text/html"):
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


def test_article_json_and_links_in_table(ds, sample_site):
    url, row = _article_with_fetch(ds, sample_site, "003")
    record = get_json(ds, f"/-/article/{row['id']}.json")
    assert record["url"] == url
    assert record["title"] == row["title"]
    assert isinstance(record["tags"], list)
    page = get(ds, f"/archive/articles?url={url}")
    assert f"/-/capture/{row['fetch_id']}.html" in page.text
    assert f"/-/article/{row['id']}.json" in page.text


def test_a_fetch_and_an_article_version_link_to_their_capture(ds, sample_site):
    _, row = _article_with_fetch(ds, sample_site, "003")
    fetch_id = row["fetch_id"]
    page = get(ds, f"/archive/fetches/{fetch_id}")
    assert f'href="/-/capture/{fetch_id}.html"' in page.text and f'href="/-/capture/{fetch_id}.warc.gz"' in page.text
    versions = get_json(ds, f"/archive/article_versions.json?article_id={row['id']}&_shape=objects")["rows"]
    assert versions
    page = get(ds, f"/archive/article_versions?article_id={row['id']}")
    for version in versions:
        version_fetch = version["fetch_id"]
        assert f'href="/-/capture/{version_fetch}.html"' in page.text
        assert f'href="/archive/fetches/{version_fetch}"' in page.text  # the foreign key's own link kept
    # A fetch that kept no capture (a robots.txt refusal, a network error) has none to link to.
    (uncaptured,) = get_json(ds, "/archive.json?sql=select+id+from+fetches+where+warc_file+is+null+limit+1"
                                 "&_shape=objects")["rows"]
    assert "/-/capture/" not in get(ds, f"/archive/fetches/{uncaptured['id']}").text


def test_missing_things_are_404(ds):
    assert get(ds, "/-/capture/999999.html").status_code == 404
    assert get(ds, "/-/article/999999.json").status_code == 404


def test_a_damaged_or_missing_capture_is_explained_and_what_is_stored_still_served(crawled_archive, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(crawled_archive, copy)
    conn = sqlite3.connect(copy / "archive.db")
    damaged, missing = conn.execute(
        "select id, warc_file, warc_offset, warc_length from fetches where kind = 'article' and status = 200 "
        "order by id limit 2"
    ).fetchall()
    conn.execute("update fetches set warc_file = 'gone.warc.gz' where id = ?", [missing[0]])
    conn.commit()
    conn.close()
    warc = copy / damaged[1]
    data = bytearray(warc.read_bytes())
    data[damaged[2] + damaged[3] // 2] ^= 0xFF
    warc.write_bytes(bytes(data))
    ds = make_datasette(copy / "archive.db")

    page = get(ds, f"/-/capture/{damaged[0]}.html")
    assert page.status_code == 500 and page.headers["content-type"].startswith("text/html")
    assert "bị hỏng" in page.text and "damaged" in page.text
    assert f'href="/-/capture/{damaged[0]}.warc.gz"' in page.text
    assert str(copy) not in page.text
    # The record as it is on disk, damage and all: what there is to recover.
    stored = get(ds, f"/-/capture/{damaged[0]}.warc.gz")
    assert stored.status_code == 200
    assert stored.content == bytes(data[damaged[2]:damaged[2] + damaged[3]])

    for path in (f"/-/capture/{missing[0]}.html", f"/-/capture/{missing[0]}.warc.gz"):
        page = get(ds, path)
        assert page.status_code == 500 and "không còn" in page.text and "missing" in page.text, path
        assert "gone.warc.gz" in page.text and str(copy) not in page.text


def test_a_warc_file_that_cannot_be_opened_is_said_to_be_unreadable_not_damaged(crawled_archive, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(crawled_archive, copy)
    conn = sqlite3.connect(copy / "archive.db")
    fetch_id, warc_file = conn.execute(
        "select id, warc_file from fetches where kind = 'article' and status = 200 order by id limit 1").fetchone()
    conn.close()
    # A directory in the file's place: as unreadable as a file without permission (tests run as root).
    (copy / warc_file).unlink()
    (copy / warc_file).mkdir()
    ds = make_datasette(copy / "archive.db")
    for path in (f"/-/capture/{fetch_id}.html", f"/-/capture/{fetch_id}.warc.gz"):
        page = get(ds, path)
        assert page.status_code == 500, path
        assert "cannot be read" in page.text and "damaged" not in page.text and "cut short" not in page.text, path
        assert Path(warc_file).name in page.text and str(copy) not in page.text


# Two later readings of an article, captured within a minute of each other.
LATER_CAPTURES = ("2024-05-17T01:30:05+00:00", "2024-05-17T01:30:41+00:00")


@pytest.fixture(scope="module")
def versioned(crawled_archive, sample_site, tmp_path_factory):
    """A copy of the archive in which one article has three versions, each its own capture:
    (datasette, the article's id, the versions' fetch ids)."""
    copy = tmp_path_factory.mktemp("versioned") / "archive"
    shutil.copytree(crawled_archive, copy)
    (seed,) = [a for a in sample_site.articles if a.get("seed") == "003"]
    url = sample_site.article_url(seed["key"])
    later = [add_capture(copy, url, f"<html><body><h1>Bản {n}</h1></body></html>".encode(), "text/html; charset=utf-8",
                         fetched_at=at) for n, at in enumerate(LATER_CAPTURES, start=2)]
    conn = sqlite3.connect(copy / "archive.db")
    with conn:
        article, first = conn.execute("select id, fetch_id from articles where url = ?", [url]).fetchone()
        conn.execute("update article_versions set title = (select title from articles where id = :id), "
                     "text = (select text from articles where id = :id), in_articles = null where article_id = :id",
                     {"id": article})
        for version, (fetch_id, at) in enumerate(zip(later, LATER_CAPTURES), start=2):
            conn.execute("insert into article_versions (article_id, version, title, text, text_hash, fetch_id, "
                         "captured_at) values (?, ?, ?, ?, ?, ?, ?)",
                         [article, version, f"Bản {version}", f"Bản {version}", f"hash-{version}", fetch_id, at])
        conn.execute("update articles set fetch_id = ? where id = ?", [later[-1], article])
    conn.close()
    return make_datasette(copy / "archive.db"), article, [first, *later]


def banner(ds, fetch_id):
    html = get(ds, f"/-/capture/{fetch_id}.html").text
    # To the end of its links, which follow the <div> of what it says of the capture.
    return html[html.index('id="govarchive-banner"'):html.index("</div>", html.index('class="links"'))]


def test_an_older_version_s_capture_says_which_it_is_and_links_to_the_latest(versioned):
    ds, _, fetches = versioned
    for number, fetch_id in enumerate(fetches[:-1], start=1):
        text = banner(ds, fetch_id)
        assert f"Phiên bản {number}/3" in text and f"Version {number} of 3" in text, text
        assert f'href="/-/capture/{fetches[-1]}.html"' in text and "The latest capture" in text, text
    latest = banner(ds, fetches[-1])
    assert "Phiên bản" not in latest and "Version" not in latest and "latest capture" not in latest


def test_the_capture_s_version_is_read_along_an_index():
    from archive.datasette.plugins.archive_downloads import VERSION_SQL
    from archive.db import open_db

    db = open_db(":memory:")
    plan = [r[3] for r in db.execute("explain query plan " + VERSION_SQL, {"article": 1, "fetch": 1}).fetchall()]
    steps = [step for step in plan if "article_versions" in step or step.startswith(("SCAN", "SEARCH"))]
    assert steps and all(step.startswith("SEARCH") and "USING INDEX" in step for step in steps), plan


def test_the_article_of_a_capture_is_found_through_indexes():
    from archive.datasette.plugins.archive_downloads import ARTICLE_OF_CAPTURE_SQL
    from archive.db import open_db

    db = open_db(":memory:")
    plan = [r[3] for r in db.execute("explain query plan " + ARTICLE_OF_CAPTURE_SQL, {"fetch": 1, "url": "x"})]
    steps = [step for step in plan if step.startswith(("SCAN", "SEARCH"))]
    assert len(steps) == 2 and all(step.startswith("SEARCH articles USING INDEX") for step in steps), plan


def test_versions_captured_in_the_same_minute_read_apart(versioned):
    ds, article, _ = versioned
    page = lxml.html.fromstring(get(ds, f"/-/a/{article}").text).text_content()
    # 01:30:05 and 01:30:41 UTC, in Vietnam's time (each in a <time>).
    assert "v2 · 08:30:05 17/05/2024" in page and "v3 · 08:30:41 17/05/2024" in page
    diff = lxml.html.fromstring(get(ds, f"/-/diff/{article}?from=2&to=3").text)
    options = [o.text_content() for o in diff.xpath('//select[@name="from"]/option')]
    assert "v2 · 08:30:05 17/05/2024" in options and "v3 · 08:30:41 17/05/2024" in options
    assert len({option.split(" · ", 1)[1] for option in options}) == len(options)
