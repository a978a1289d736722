"""The home page's last crawl of each source says what ``govarchive stats`` says of it: a crawl
killed before it could close its row (still 'running', 0 pages) is interrupted, and the pages
of one still running are counted from its fetches, not read from a row written at its end."""

import asyncio

import lxml.html
import pytest

from archive import ingest
from archive.db import open_db
from archive.locks import SourceLock
from archive.serve import make_datasette
from archive.sources import parse_sources
from archive.stats import last_runs
from tests.conftest import store_page

SOURCE = parse_sources(
    '[[source]]\nid = "t"\nname = "T"\nkind = "press"\nhome = "https://t.vn/"\nallowed_domains = ["t.vn"]\n'
    'article_pattern = "x"\nschedule = "0 * * * *"\n[source.discovery]\nfeeds = ["https://t.vn/rss"]\n'
)[0]


@pytest.fixture
def archive(tmp_path):
    """An archive whose crawl of t has fetched four pages (one failed) and not closed its row."""
    path = tmp_path / "archive.db"
    db = open_db(path)
    try:
        crawl = ingest.start_crawl(db, SOURCE, max_pages=None)
        with db.atomic():
            ingest.record_fetch(db, crawl_id=crawl, source_id="t", url="https://t.vn/rss", kind="feed", status=200)
            for n in (1, 2):
                record = {"url": f"https://t.vn/tin/{n}", "title": f"Tin {n}", "text": f"Nội dung tin {n}.",
                          "published": "2024-04-08T14:30:00+07:00", "text_hash": f"h{n}"}
                store_page(db, record, source_id="t", seen_at="2024-04-08T08:00:00+00:00", crawl_id=crawl)
            ingest.record_fetch(db, crawl_id=crawl, source_id="t", url="https://t.vn/tin/3", kind="article", status=500)
        assert db["crawls"].get(crawl)["status"] == "running" and db["crawls"].get(crawl)["pages"] == 0
    finally:
        db.close()
    return path


def last_crawl(path):
    html = asyncio.run(make_datasette(path).client.get("/")).text
    (row,) = lxml.html.fromstring(html).xpath('//table[@class="sources"]/tbody/tr')
    cell = row.xpath("td")[-1]
    return cell.xpath('string(span[starts-with(@class, "status")])'), " ".join(cell.text_content().split())


def test_a_killed_crawl_is_interrupted_with_the_pages_it_fetched(archive):
    status, text = last_crawl(archive)
    assert status == "bị ngắt / interrupted"
    assert "· 4 trang / pages · 1 lỗi / errors" in text, text
    db = open_db(archive)
    try:
        (run,) = last_runs(db, archive)
    finally:
        db.close()
    # As govarchive stats says it.
    assert (run["status"], run["pages"], run["errors"]) == ("interrupted", 4, 1)


def test_a_crawl_still_running_shows_the_pages_it_has_fetched_so_far(archive):
    with SourceLock(archive, "t"):
        status, text = last_crawl(archive)
    assert status == "đang chạy / running"
    assert "· 4 trang / pages · 1 lỗi / errors" in text, text


def test_a_lock_folder_the_server_cannot_read_leaves_the_crawl_as_its_row_says(archive):
    (archive.parent / "archive-locks").write_text("not a folder")
    status, text = last_crawl(archive)
    assert status == "đang chạy / running" and "· 0 trang / pages" in text, text
