"""The reading room's downloads of a result set too big to sort within the pages' SQL time limit.

The pages' limit is made tiny (25 ms) over 60,000 articles: sorting them all in one query takes
longer than that, so a download must read them in an order an index serves and under its own,
longer limit (DOWNLOAD_TIME_FACTOR times the pages')."""

import asyncio
import csv
import io
import json

import pytest

from archive import ingest
from archive.datasette.plugins import reading_room
from archive.db import open_db
from archive.serve import make_datasette
from conftest import store_page
from test_search_scale import SOURCE

ARTICLES = 60_000
UNDATED_EVERY = 7  # every 7th article has no published date
TIME_LIMIT_MS = 25


@pytest.fixture(scope="module")
def db_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("download_scale") / "archive.db"
    db = open_db(path)
    crawl = ingest.start_crawl(db, SOURCE, max_pages=None)
    with db.atomic():
        store_page(db, {"url": "https://t.vn/0", "title": "Kế hoạch", "text": "Sở triển khai thông tin.",
                        "published": "2024-01-01", "text_hash": "0"}, source_id="t", seen_at="2024-12-01",
                   crawl_id=crawl)
        # The rest written directly: storing 60,000 pages one by one would take minutes.
        db.execute(
            f"""with recursive n(i) as (select 1 union all select i + 1 from n where i < {ARTICLES - 1})
                insert into articles (url, source_id, title, published, published_month, text_hash)
                select 'https://t.vn/' || i, 't', 'Bài ' || i,
                       case when i % {UNDATED_EVERY} = 0 then null
                            else date('2000-01-01', '+' || (i * 7919 % 9000) || ' days') end,
                       case when i % {UNDATED_EVERY} = 0 then null
                            else strftime('%Y-%m', date('2000-01-01', '+' || (i * 7919 % 9000) || ' days')) end,
                       'h' || i
                from n"""
        )
    db.close()
    return path


@pytest.fixture(scope="module")
def ds(db_path):
    return make_datasette(db_path, sql_time_limit_ms=TIME_LIMIT_MS)


@pytest.fixture(scope="module")
def orders(db_path):
    """Every article id newest first and oldest first, articles without a date last."""
    db = open_db(db_path, create=False)
    rows = list(db.query("select id, published from articles"))
    dated = sorted((r["published"], r["id"]) for r in rows if r["published"] is not None)
    undated = sorted(r["id"] for r in rows if r["published"] is None)
    return {"newest": [i for _, i in reversed(dated)] + undated[::-1], "oldest": [i for _, i in dated] + undated}


def get(ds, path):
    response = asyncio.run(ds.client.get(path))
    assert response.status_code == 200, (path, response.status_code, response.text[-500:])
    return response


@pytest.mark.parametrize("sort", ["newest", "oldest"])
def test_a_csv_download_of_the_whole_archive_has_every_article_in_order(ds, orders, sort):
    text = get(ds, f"/-/search.csv?sort={sort}").content.decode("utf-8-sig")
    assert [int(r["id"]) for r in csv.DictReader(io.StringIO(text))] == orders[sort]


def test_a_json_download_of_the_whole_archive_has_every_article(ds, orders):
    assert [r["id"] for r in json.loads(get(ds, "/-/search.json").text)] == orders["newest"]


def test_a_ranked_download_is_read_under_the_downloads_limit(ds):
    rows = list(csv.DictReader(io.StringIO(get(ds, "/-/search.csv?q=thong+tin").content.decode("utf-8-sig"))))
    assert [r["title"] for r in rows] == ["Kế hoạch"]


def test_each_batch_of_a_download_is_read_under_the_downloads_time_limit(ds, orders, monkeypatch):
    """A batch is read after the response has begun, so one the pages' limit cut off would end
    the file short. Batches big enough to take longer than the pages' limit make that certain
    instead of a matter of a slow machine's moment."""
    monkeypatch.setattr(reading_room, "EXPORT_BATCH", 30_000)
    monkeypatch.setattr(reading_room, "DOWNLOAD_TIME_FACTOR", 2_000)
    assert [r["id"] for r in json.loads(get(ds, "/-/search.json").text)] == orders["newest"]
