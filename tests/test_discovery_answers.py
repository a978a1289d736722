"""Discovery pages that answer something the spider cannot read as a page (JSON, a binary
file): each is a fetch that failed, named in its error and the log, and the crawl's errors
count it; none is a spider exception."""

import json

import pytest

from tests.conftest import crawl_into, query, serve_routes


def _article(n) -> bytes:
    paragraphs = "".join(
        f"<p>Sở Thông tin và Truyền thông thông báo nội dung thứ {n}.{i} của Kế hoạch 174/KH-UBND về "
        f"việc đưa kênh Zalo OA vào phục vụ người dân trên địa bàn tỉnh.</p>" for i in range(6))
    return (f"<html lang='vi'><head><meta charset='utf-8'><title>Bài {n}</title></head><body><article>"
            f"<h1>Bài số {n} về Zalo OA</h1>{paragraphs}</article></body></html>").encode()


def _listing(numbers) -> bytes:
    items = "".join(f"<li><a href='/bai-{n}.html'>Bài {n}</a></li>" for n in numbers)
    return f"<html><head><meta charset='utf-8'></head><body><ul>{items}</ul></body></html>".encode()


# "Xem thêm" pages of a portal: the page's next entries as JSON for its script to insert.
_XEM_THEM = json.dumps({"html": "<li><a href='/bai-4.html'>Bài 4</a></li>", "page": 2}).encode()
_PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256))


def _routes(answers):
    def answer(path, _base):
        if path.startswith("/bai-"):
            return _article(int(path[5:].split(".")[0])), "text/html; charset=utf-8"
        if path == "/":
            return _listing([1, 2, 3]), "text/html; charset=utf-8"
        return answers.get(path)
    return answer


def _crawl(folder, base, discovery):
    (folder / "sources.toml").write_text(f"""
[[source]]
id = "cong"
name = "Cổng"
kind = "press"
home = "{base}/"
allowed_domains = ["127.0.0.1"]
article_pattern = '/bai-\\d+\\.html$'
schedule = "0 * * * *"
[source.discovery]
recheck = 0
{discovery}
[source.politeness]
delay = 0.0
concurrency = 4
""", encoding="utf-8")
    result = crawl_into(folder)
    (crawl,) = query(folder, "select status, errors from crawls")
    return result, crawl


def _error(folder, url):
    (fetch,) = query(folder, "select error from fetches where url = ?", [url])
    return fetch["error"]


@pytest.mark.parametrize("body, kind, said", [
    (_XEM_THEM, "application/json", "application/json"),
    (_XEM_THEM, "text/plain; charset=utf-8", "text/plain"),
    (_XEM_THEM, "text/html; charset=utf-8", "JSON (as text/html)"),
    (_PNG, "image/png", "image/png"),
], ids=["json", "json-as-text", "json-as-html", "png"])
def test_a_listing_page_that_is_no_html_page_is_a_failed_fetch_that_names_it(tmp_path, body, kind, said):
    with serve_routes(_routes({"/ajax/xem-them?page=2": (body, kind)})) as (base, hits):
        result, crawl = _crawl(tmp_path, base, f'[[source.discovery.listings]]\nurl = "{base}/"\n'
                                               f'page_url = "{base}/ajax/xem-them?page={{page}}"')
    assert "Spider error" not in result.stderr and "Traceback" not in result.stderr, result.stderr[-3000:]
    error = f"listing answered {said}, not an HTML page"
    assert _error(tmp_path, f"{base}/ajax/xem-them?page=2") == error
    assert crawl["errors"] == 1
    assert f"WARNING: cong: {base}/ajax/xem-them?page=2: {error}" in result.stderr
    assert {r["url"] for r in query(tmp_path, "select url from articles")} == {
        f"{base}/bai-{n}.html" for n in (1, 2, 3)}


@pytest.mark.parametrize("body, kind, said", [
    (_XEM_THEM, "application/json", "application/json"),
    (_PNG, "image/png", "image/png"),
], ids=["json", "png"])
@pytest.mark.parametrize("discovery, what", [("sitemaps", "sitemap"), ("feeds", "feed")])
def test_a_sitemap_or_feed_that_is_no_xml_names_what_it_answered(tmp_path, body, kind, said, discovery, what):
    with serve_routes(_routes({"/tin.xml": (body, kind)})) as (base, hits):
        result, crawl = _crawl(tmp_path, base, f'{discovery} = ["{base}/tin.xml"]\n'
                                               f'[[source.discovery.listings]]\nurl = "{base}/"')
    assert "Spider error" not in result.stderr and "Traceback" not in result.stderr, result.stderr[-3000:]
    error = _error(tmp_path, f"{base}/tin.xml")
    assert error.startswith(f"unreadable {what}: ") and f"answered {said}, not XML" in error, error
    assert crawl["errors"] == 1
    assert f"WARNING: cong: unreadable {what} {base}/tin.xml: " in result.stderr
