"""A crawl that reached its site, met article URLs and got none of their articles (every article
fetch failed: HTTP 500, a PDF where the page should be) archived nothing: it is a failure,
`articles failed`, exit status 1, for govarchive crawl and the scheduler alike. A crawl that got
some of them is ok, its failures counted."""

import subprocess
import sys
from pathlib import Path

from tests.conftest import crawl_into, query, serve_routes
from tests.test_variants import write_sources

ARTICLE = """<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>Bài {n}: Sở Thông tin và Truyền
thông triển khai Zalo OA</title></head><body><article><h1>Bài {n}: Sở Thông tin và Truyền thông triển khai Zalo
OA</h1><p>Ngày 0{n}/5/2024, Sở Thông tin và Truyền thông tỉnh đã tổ chức hội nghị triển khai kênh Zalo OA phục vụ
người dân, theo Kế hoạch 174/KH-UBND của UBND tỉnh.</p><p>Theo đó, các cơ quan, đơn vị cần phối hợp chặt chẽ để
thông tin chính thống đến với người dân kịp thời, chính xác và đầy đủ hơn trong năm 2024.</p><p>Hội nghị cũng thống
nhất lộ trình chuyển đổi số trong công tác thông tin cơ sở, đặc biệt ở các xã vùng sâu, vùng xa.</p></article>
</body></html>"""


def _site(article):
    """Routes of a listing linking three articles, each answered by ``article(n)``."""

    def answer(path, _base):
        if path == "/list":
            links = "".join(f'<a href="/a/bai-{n}.htm">Bài {n}</a>' for n in (1, 2, 3))
            return f"<html><body>{links}</body></html>".encode(), "text/html; charset=utf-8"
        if path.startswith("/a/bai-"):
            return article(int(path.removeprefix("/a/bai-").removesuffix(".htm")))
        return None

    return answer


def _page(n):
    return ARTICLE.format(n=n).encode(), "text/html; charset=utf-8"


def _server_error(n):
    return 500, {"Content-Type": "text/plain"}, b"error"


def _summary_row(result):
    (row,) = [line for line in result.stdout.splitlines() if line.startswith("mau ")]
    return row.split()


def _crawl(tmp_path, article):
    with serve_routes(_site(article)) as (base, _hits):
        write_sources(tmp_path, base, home="/list")
        return crawl_into(tmp_path, "--quiet")


def test_a_crawl_whose_every_article_page_fails_is_a_failure(tmp_path):
    result = _crawl(tmp_path, _server_error)
    assert result.returncode == 1, result.stdout + result.stderr[-6000:]
    (crawl,) = query(tmp_path, "select status, pages, articles_new, errors from crawls")
    assert crawl == {"status": "articles failed", "pages": 4, "articles_new": 0, "errors": 3}
    assert _summary_row(result) == ["mau", "articles", "failed", "4", "0", "0", "0", "3"]
    assert "mau: articles failed: HTTP 500\n" in result.stderr
    assert "Could not crawl: mau (articles failed). See the fetches table for each error.\n" in result.stderr


def test_a_crawl_whose_article_urls_all_answer_pdfs_is_a_failure(tmp_path):
    result = _crawl(tmp_path, lambda n: (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "application/pdf"))
    assert result.returncode == 1, result.stdout + result.stderr[-6000:]
    assert _summary_row(result)[1:3] == ["articles", "failed"]
    assert "mau: articles failed: not an HTML page (application/pdf)" in result.stderr


def test_a_crawl_that_got_some_of_its_articles_is_ok_with_its_errors_counted(tmp_path):
    result = _crawl(tmp_path, lambda n: _server_error(n) if n == 2 else _page(n))
    assert result.returncode == 0, result.stdout + result.stderr[-6000:]
    assert _summary_row(result) == ["mau", "ok", "4", "2", "0", "0", "1"]


def test_a_crawl_whose_articles_are_all_unchanged_is_ok(tmp_path):
    assert _crawl(tmp_path, _page).returncode == 0
    again = _crawl(tmp_path, _page)
    assert again.returncode == 0, again.stdout + again.stderr[-6000:]
    assert _summary_row(again)[1] == "ok"


def test_the_scheduler_logs_a_crawl_that_got_no_article_as_failed(tmp_path):
    with serve_routes(_site(_server_error)) as (base, _hits):
        write_sources(tmp_path, base, home="/list")
        once = subprocess.run([str(Path(sys.executable).with_name("govarchive")), "schedule", "--once", "--sources",
                               "sources.toml", "--db", "archive.db"], cwd=tmp_path, stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=300)
    assert once.returncode == 1, once.stderr[-6000:]
    assert "crawl finished" not in once.stderr
    assert " ERROR mau: articles failed: HTTP 500\n" in once.stderr
    assert " ERROR mau: crawl failed (exit status 1) after " in once.stderr
