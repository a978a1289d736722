"""Archived articles a site no longer lists are asked for again, a few each crawl, so that their
removal, their move or a later edit is recorded."""

import asyncio
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from archive.serve import make_datasette
from archive.sources import SourcesError, parse_sources
from tests.conftest import crawl_into, query, serve_routes
from tests.test_sources import GOOD
from tests.test_variants import TITLES, Site, write_sources

ARTICLES = ("da-nang-tin-gia", "nghe-an-nguoi-phat-ngon", "ha-tinh-cong-van", "quang-tri")


@pytest.fixture
def site(monkeypatch):
    site = Site()
    # A fourth article, so that one can leave the listing and be edited.
    monkeypatch.setitem(TITLES, "quang-tri", "Quảng Trị ra mắt trang tin điện tử của các xã")
    site.texts["quang-tri"] = [
        "Sở Thông tin và Truyền thông Quảng Trị đưa vào vận hành trang tin điện tử của 101 xã, phường.",
        "Mỗi trang đăng lịch làm việc, thủ tục hành chính và thông báo của ủy ban nhân dân cấp xã.",
        "Cán bộ văn hóa xã được tập huấn biên tập tin bài và chụp ảnh trong hai ngày tại thành phố Đông Hà.",
        "Các trang dùng chung một nền tảng do Trung tâm Công nghệ thông tin tỉnh quản lý và sao lưu.",
        "Người dân có thể gửi câu hỏi qua mục hỏi đáp và nhận trả lời trong vòng năm ngày làm việc.",
        "Sở sẽ chấm điểm chất lượng các trang tin vào cuối năm và khen thưởng những xã làm tốt.",
    ]
    site.paths["quang-tri"] = "/a/quang-tri.htm"
    site.listed = [site.paths[key] for key in ARTICLES]
    return site


@pytest.fixture
def served(site, tmp_path):
    """The site's folder and the paths asked of it, in order. A path in ``site.slow`` is answered
    after a second."""
    site.slow = set()

    def answer(path, _base):
        if path in site.slow:
            time.sleep(1)
        return site.answer(path)

    with serve_routes(answer) as (base, hits):
        write_sources(tmp_path, base)
        site.base = base
        yield tmp_path, hits


def set_recheck(folder, count):
    sources = folder / "sources.toml"
    text = sources.read_text(encoding="utf-8")
    sources.write_text(text.replace("[source.discovery]\n", f"[source.discovery]\nrecheck = {count}\n", 1),
                       encoding="utf-8")


def crawl(folder, *args):
    result = crawl_into(folder, "--quiet", *args)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def asked(hits, since, paths):
    return [path for _, path in hits[since:] if path in paths]


def article_ids(folder):
    return {row["url"].rsplit("/", 1)[1]: row["id"] for row in query(folder, "select id, url from articles")}


def test_articles_gone_from_the_listing_are_checked_again(site, served):
    folder, hits = served
    crawl(folder)
    ids = article_ids(folder)
    assert set(ids) == {"da-nang-tin-gia.htm", "nghe-an.htm", "ha-tinh.htm", "quang-tri.htm"}
    # The portal removes one article, moves another, edits a third, and lists none of them.
    site.paths["da-nang-tin-gia"] = "/a/removed.htm"
    site.paths["nghe-an-nguoi-phat-ngon"] = "/m/nghe-an-2023.htm"
    site.redirects["/a/nghe-an.htm"] = "/m/nghe-an-2023.htm"
    site.texts["quang-tri"][1] = "Các xã được hướng dẫn đăng tin hằng tuần và trả lời người dân trong ba ngày."
    site.listed = ["/a/ha-tinh.htm"]
    mark = len(hits)
    result = crawl_into(folder)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "mau: re-checking 3 archived articles the crawl did not otherwise ask for" in result.stderr
    old_paths = {"/a/da-nang-tin-gia.htm", "/a/nghe-an.htm", "/a/quang-tri.htm", "/a/ha-tinh.htm"}
    # Each asked for once: the listed one by the listing, the others by the re-check.
    assert sorted(asked(hits, mark, old_paths)) == sorted(old_paths)

    def last_fetch(name):
        return query(folder, "select status, response_url, error from fetches where url = ? order by id desc limit 1",
                     [f"{site.base}/a/{name}"])[0]

    assert last_fetch("da-nang-tin-gia.htm")["status"] == 404
    assert last_fetch("nghe-an.htm")["response_url"] == f"{site.base}/m/nghe-an-2023.htm"
    assert query(folder, "select article_id from article_urls where url = ?", [f"{site.base}/m/nghe-an-2023.htm"]) == [
        {"article_id": ids["nghe-an.htm"]}]
    edited = query(folder, "select count(*) as n from article_versions where article_id = ?", [ids["quang-tri.htm"]])
    assert edited[0]["n"] == 2
    # The reading room tells the reader what the live pages became.
    ds = make_datasette(folder / "archive.db")

    def page(name):
        response = asyncio.run(ds.client.get(f"/-/a/{ids[name]}"))
        assert response.status_code == 200
        return response.text

    assert "The live page is gone: it answered HTTP 404" in page("da-nang-tin-gia.htm")
    moved = page("nghe-an.htm")
    assert "The live page has moved to" in moved and f'href="{site.base}/m/nghe-an-2023.htm"' in moved
    assert query(folder, "select count(*) as n from frontier")[0]["n"] == 0


def test_a_few_each_crawl_longest_unchecked_first(site, served):
    folder, hits = served
    set_recheck(folder, 1)
    crawl(folder)
    site.listed = ["/a/ha-tinh.htm"]
    unlisted = ["/a/da-nang-tin-gia.htm", "/a/nghe-an.htm", "/a/quang-tri.htm"]
    order = []
    for _ in range(4):
        mark = len(hits)
        result = crawl_into(folder)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "mau: re-checking 1 archived articles" in result.stderr
        (path,) = asked(hits, mark, unlisted)
        order.append(path)
    # Round the archive, then round again, from the one checked longest ago.
    assert sorted(order[:3]) == sorted(unlisted) and order[3] == order[0]


def test_rechecks_stay_within_max_pages_and_can_be_turned_off(site, served):
    folder, hits = served
    crawl(folder)
    site.listed = ["/a/ha-tinh.htm"]
    unlisted = ["/a/da-nang-tin-gia.htm", "/a/nghe-an.htm", "/a/quang-tri.htm"]
    # The listing and its one article leave room for one re-check.
    mark = len(hits)
    result = crawl(folder, "--max-pages", "3")
    assert len(asked(hits, mark, unlisted)) == 1
    last = query(folder, "select status, pages from crawls order by id desc limit 1")[0]
    assert last["status"] == "ok"
    # Its discovery was done: it was not cut short, whatever the re-check took of the budget.
    assert "max pages" not in result.stdout, result.stdout
    stats = subprocess.run([str(Path(sys.executable).with_name("govarchive")), "stats", "--db", "archive.db", "--json"],
                           cwd=folder, capture_output=True, text=True, check=True)
    assert json.loads(stats.stdout.splitlines()[0])["reached_max_pages"] is False, stats.stdout
    # Nothing waits for the next crawl: that one chooses its own re-checks.
    assert query(folder, "select count(*) as n from frontier")[0]["n"] == 0
    set_recheck(folder, 0)
    mark = len(hits)
    result = crawl_into(folder)
    assert result.returncode == 0, result.stdout + result.stderr
    assert asked(hits, mark, unlisted) == [] and "re-checking" not in result.stderr


def test_a_crawl_killed_during_its_rechecks_resumes_them(site, served):
    folder, hits = served
    set_recheck(folder, 3)
    crawl(folder)
    unlisted = ["/a/da-nang-tin-gia.htm", "/a/nghe-an.htm", "/a/quang-tri.htm"]
    site.listed = ["/a/ha-tinh.htm"]
    site.slow = set(unlisted)
    crawler = subprocess.Popen([sys.executable, "-m", "crawler", "--db", "archive.db", "--sources", "sources.toml",
                                "--all"], cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    urls = [f"{site.base}{path}" for path in unlisted]
    marks = ", ".join("?" * len(urls))

    def rechecked(crawl_ids):
        return [row["url"] for row in query(
            folder, f"select url from fetches where crawl_id in ({', '.join(map(str, crawl_ids))}) "
                    f"and url in ({marks})", urls)]

    deadline = time.monotonic() + 120
    while not rechecked([2]):
        assert crawler.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    crawler.send_signal(signal.SIGKILL)
    crawler.wait(timeout=60)
    (done,) = rechecked([2])
    result = crawl_into(folder, "--resume")
    assert result.returncode == 0, result.stdout + result.stderr
    assert query(folder, "select resumed_from from crawls order by id desc limit 1") == [{"resumed_from": 2}]
    # The resumed crawl asks for those the killed one had not stored, and not the one it had.
    assert sorted(rechecked([2, 3])) == sorted(urls)
    assert done not in rechecked([3])
    assert query(folder, "select count(*) as n from frontier")[0]["n"] == 0


def test_a_resumed_crawl_rechecks_no_more_than_one_crawl_does(site, served):
    folder, hits = served
    set_recheck(folder, 2)
    crawl(folder)
    unlisted = ["/a/da-nang-tin-gia.htm", "/a/nghe-an.htm", "/a/quang-tri.htm"]
    urls = [f"{site.base}{path}" for path in unlisted]
    marks = ", ".join("?" * len(urls))
    # The two the crawl re-checks: those fetched longest ago.
    due = [row["url"] for row in query(folder, f"select url from fetches where url in ({marks}) order by id", urls)][:2]
    site.listed = ["/a/ha-tinh.htm"]
    site.slow = set(unlisted)
    crawler = subprocess.Popen([sys.executable, "-m", "crawler", "--db", "archive.db", "--sources", "sources.toml",
                                "--all"], cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def rechecked(crawl_id):
        return [row["url"] for row in query(
            folder, f"select url from fetches where crawl_id = ? and url in ({marks})", [crawl_id, *urls])]

    deadline = time.monotonic() + 120
    while not rechecked(2):
        assert crawler.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    crawler.send_signal(signal.SIGKILL)
    crawler.wait(timeout=60)
    mark = len(hits)
    result = crawl_into(folder, "--resume")
    assert result.returncode == 0, result.stdout + result.stderr
    # The resumed part asks for what its first part chose and had not stored, and chooses no more.
    assert sorted(rechecked(2) + rechecked(3)) == sorted(due)
    assert len(asked(hits, mark, unlisted)) == 2 - len(rechecked(2))
    stats = json.loads(query(folder, "select stats from crawls where id = 3")[0]["stats"])
    assert stats.get("archive/rechecked", 0) == 2 - len(rechecked(2))

def test_due_for_recheck_orders_by_last_fetch(tmp_path):
    from archive.db import open_db
    from archive.rechecks import due_for_recheck

    db = open_db(tmp_path / "archive.db")
    db["sources"].insert({"id": "s"})
    for n, url in enumerate(["https://x/a", "https://x/b", "https://x/c", "https://x/d"], start=1):
        db["articles"].insert({"id": n, "url": url, "source_id": "s"})
    for url in ["https://x/c", "https://x/a", "https://x/b", "https://x/c"]:
        db["fetches"].insert({"url": url, "source_id": "s", "kind": "article", "status": 200})
    # d was never fetched; then a (fetched before b), b; c was fetched last.
    assert due_for_recheck(db, "s", 10).urls == ["https://x/d", "https://x/a", "https://x/b", "https://x/c"]
    assert due_for_recheck(db, "s", 2, skip={"https://x/d", "https://x/zzz"}).urls == ["https://x/a", "https://x/b"]
    assert due_for_recheck(db, "s", 0).urls == []
    assert due_for_recheck(db, "other", 5).urls == []


def test_a_source_sets_its_own_rechecks():
    (source,) = parse_sources(GOOD.replace("[source.discovery]\n", "[source.discovery]\nrecheck = 200\n"))
    assert source.recheck == 200
    assert parse_sources(GOOD)[0].recheck is None


@pytest.mark.parametrize("value", ["-1", "true", '"50"', "2.5"])
def test_a_bad_recheck_is_named(value):
    text = GOOD.replace("[source.discovery]\n", f"[source.discovery]\nrecheck = {value}\n")
    with pytest.raises(SourcesError) as info:
        parse_sources(text, "x.toml")
    assert str(info.value).startswith(
        f"x.toml: source 'demo-portal': field 'discovery.recheck': must be a whole number of articles, 0 or more "
        f"(0: none), not {value.replace(chr(34), chr(39)).replace('true', 'True')} (line 12;")


def _archive_of(path, articles, *, source="s"):
    """An archive whose source ``source`` has ``articles`` articles, each fetched once, in the
    order of their ids, with raw SQL: quick enough for tens of thousands."""
    from archive.db import open_db

    db = open_db(path)
    db["sources"].insert({"id": source})
    urls = [f"https://x/{n}" for n in range(articles)]
    db.conn.executemany("insert into articles (url, source_id) values (?, ?)", [(url, source) for url in urls])
    db.conn.executemany("insert into fetches (url, source_id, kind, status) values (?, ?, 'article', 200)",
                        [(url, source) for url in urls])
    db.conn.commit()
    return db, urls


def _steps(db, call):
    """The SQLite VM instructions (in thousands) ``call`` runs on ``db``, and its result."""
    steps = []
    db.conn.set_progress_handler(lambda: steps.append(1), 1000)
    try:
        result = call()
    finally:
        db.conn.set_progress_handler(None, 0)
    return len(steps), result


def test_due_for_recheck_costs_the_same_on_a_large_archive(tmp_path):
    from archive.rechecks import due_for_recheck

    costs = []
    for articles in (500, 20_000):
        db, urls = _archive_of(tmp_path / f"{articles}.db", articles)
        # The crawl asked for the last fifth itself: those are the latest fetched.
        asked = set(urls[-articles // 5:])
        steps, due = _steps(db, lambda: due_for_recheck(db, "s", 20, skip=asked).urls)
        assert due == urls[:20]
        costs.append(steps)
    # Read from an index, a few rows: not every article of the source, nor as many as the crawl asked for.
    assert costs[1] <= costs[0] + 2, costs


def test_every_fetch_of_an_article_url_counts_as_its_check(tmp_path):
    from archive import ingest
    from archive.rechecks import due_for_recheck

    db, urls = _archive_of(tmp_path / "archive.db", 4)
    # A 404 and a redirect at the re-check are its last fetch as much as a 200 or a 304.
    ingest.record_fetch(db, crawl_id=None, source_id="s", url=urls[0], kind="article", status=404, error="HTTP 404")
    ingest.record_fetch(db, crawl_id=None, source_id="s", url=urls[1], kind="article", status=200,
                        response_url="https://x/moved")
    assert due_for_recheck(db, "s", 4).urls == [urls[2], urls[3], urls[0], urls[1]]
    # A first capture: its fetch row is written before the article's.
    ingest.record_fetch(db, crawl_id=None, source_id="s", url="https://x/new", kind="article", status=200)
    db["articles"].insert({"url": "https://x/new", "source_id": "s"})
    assert due_for_recheck(db, "s", 5).urls[-1] == "https://x/new"
    db["articles"].insert({"url": "https://x/never", "source_id": "s"})
    assert due_for_recheck(db, "s", 1).urls == ["https://x/never"]


def test_an_archive_upgraded_keeps_the_order_of_its_fetches(tmp_path):
    from archive import db as archive_db
    from archive.db import ArchiveDatabase, open_db
    from archive.rechecks import due_for_recheck

    old = ArchiveDatabase(tmp_path / "archive.db")
    archive_db.migrations.apply(old, stop_before="m021_articles_last_fetch")
    old["sources"].insert({"id": "s"})
    for n, url in enumerate(["https://x/a", "https://x/b", "https://x/c"], start=1):
        old["articles"].insert({"id": n, "url": url, "source_id": "s"})
    for url in ["https://x/b", "https://x/a", "https://x/b"]:
        old["fetches"].insert({"url": url, "source_id": "s", "kind": "article", "status": 200})
    old.close()
    assert due_for_recheck(open_db(tmp_path / "archive.db"), "s", 3).urls == ["https://x/c", "https://x/a", "https://x/b"]


def test_the_rechecks_a_crawl_stored_count_across_its_resumed_parts(tmp_path):
    from archive.db import open_db
    from archive.rechecks import begin_rechecks, rechecks_stored

    db = open_db(tmp_path / "archive.db")
    db["sources"].insert({"id": "s"})

    def fetch(crawl_id, url):
        db["fetches"].insert({"crawl_id": crawl_id, "url": url, "source_id": "s", "kind": "article", "status": 200})

    # Crawl 1 is killed after one re-check, its resumed part 2 after another; part 3 resumes 2.
    for crawl_id, resumed_from in ((1, None), (2, 1), (3, 2)):
        db["crawls"].insert({"id": crawl_id, "source_id": "s", "status": "running", "resumed_from": resumed_from})
    fetch(1, "https://x/listing")
    begin_rechecks(db, 1)
    fetch(1, "https://x/a")
    fetch(2, "https://x/listing-2")
    begin_rechecks(db, 2)
    fetch(2, "https://x/b")
    assert rechecks_stored(db, 2) == 2
    assert rechecks_stored(db, 1) == 1
    assert rechecks_stored(db, None) == 0



NOT_FOUND_PAGE = """<html lang="vi"><head><title>Trang không tồn tại</title></head><body>
<h1>Trang không tồn tại</h1><p>Xin lỗi, trang bạn tìm không tồn tại hoặc đã bị xóa.</p>
<p><a href="/">Quay về trang chủ</a></p></body></html>""".encode()


def _removed_from_the_site(folder, site, hits):
    """Crawl the site, then remove three of its archived articles (410 Gone, a 404 where the page
    moved without a redirect, a "page not found" page answered 200) while its listing still
    links to one of them and to a new article that was never there, and crawl it again.
    Returns the second crawl's result and its run as ``govarchive stats --json`` gives it."""
    crawl(folder)
    answer = site.answer
    removed = {"/a/da-nang-tin-gia.htm": (410, {"Content-Type": "text/html"}, b"<html><body>Gone</body></html>"),
               "/a/quang-tri.htm": (200, {"Content-Type": "text/html; charset=utf-8"}, NOT_FOUND_PAGE)}
    site.answer = lambda path: removed.get(path) or answer(path)
    site.paths["nghe-an-nguoi-phat-ngon"] = "/m/nghe-an-2023.htm"
    site.listed = ["/a/ha-tinh.htm", "/a/da-nang-tin-gia.htm", "/a/never-there.htm"]
    mark = len(hits)
    result = crawl_into(folder)
    # One removal met by the listing, the others by the re-check.
    asked_for = {*removed, "/a/nghe-an.htm", "/a/never-there.htm"}
    assert sorted(asked(hits, mark, asked_for)) == sorted(asked_for)
    stats = subprocess.run([str(Path(sys.executable).with_name("govarchive")), "stats", "--db", "archive.db", "--json"],
                           cwd=folder, capture_output=True, text=True, check=True)
    return result, json.loads(stats.stdout.splitlines()[0])

def test_archived_articles_gone_from_the_site_are_counted_as_removals(site, served):
    folder, hits = served
    _result, run = _removed_from_the_site(folder, site, hits)
    assert run["status"] == "ok"
    # The page never archived is an error of the crawl; the archived ones are records of their removal.
    assert run["gone"] == 3, run


def test_archived_articles_gone_from_the_site_are_not_errors(site, served):
    folder, hits = served
    result, run = _removed_from_the_site(folder, site, hits)
    assert result.returncode == 0, result.stdout + result.stderr
    assert run["errors"] == 1, run
    summary = result.stdout.splitlines()
    assert summary[-1].split()[-1] == "1", result.stdout
    # The crawl's log says where the removals went.
    assert "found 3 archived articles gone from the live site" in result.stderr, result.stderr


def test_an_archived_article_that_got_no_answer_is_an_error_not_a_removal(tmp_path):
    from archive import ingest
    from archive.db import open_db
    from tests.conftest import store_page

    source = parse_sources(GOOD)[0]
    db = open_db(tmp_path / "archive.db")
    first = ingest.start_crawl(db, source, max_pages=None)
    for n in (1, 2):
        store_page(db, {"url": f"https://x.vn/a/{n}", "title": f"Tin {n}", "text": "Nội dung.", "text_hash": str(n)},
                   source_id=source.id, seen_at="2024-12-01", crawl_id=first)
    second = ingest.start_crawl(db, source, max_pages=None)
    ingest.record_fetch(db, crawl_id=second, source_id=source.id, url="https://x.vn/a/1", kind="article",
                        status=None, error="DownloadFailedError: Connection was closed cleanly.")
    ingest.record_fetch(db, crawl_id=second, source_id=source.id, url="https://x.vn/a/2", kind="article",
                        status=410)
    # The connection that failed says nothing of the page: an error. The 410 is the page's removal.
    assert ingest.fetch_counts(db, second) == (2, 0, 1)
    assert [url for url, _ in ingest.failed_fetches(db, second, 10)] == ["https://x.vn/a/1"]
