"""datasette's "stream all rows" CSV of a search past the search limit has every match.

Pages and JSON of such a search list the newest ``search_limit`` matches (test_search_scale); a
streamed download is the whole result, as the reading room's downloads are. datasette streams
in pages of ``max_returned_rows``, set to 4 here so that a stream of 25 rows takes seven pages.
"""

import asyncio
import csv
import io

import pytest

from archive.datasette.plugins.search_folding import INCOMPLETE, _ending_with
from archive.db import open_db
from archive.serve import make_datasette
from test_search_scale import COMMON, LIMIT, db_path, ids, newest_matches  # noqa: F401 (fixtures)

PAGE = 4


@pytest.fixture(scope="module")
def ds(db_path):
    return make_datasette(db_path, search_limit=LIMIT, max_returned_rows=PAGE)


@pytest.fixture(scope="module")
def table_order(db_path):
    """Every article id in the articles table's own order (most recently archived first)."""
    db = open_db(db_path, create=False)
    return [r["id"] for r in db.query("select id from articles order by id desc")]


def get(ds, path):
    response = asyncio.run(ds.client.get(path))
    assert response.status_code == 200, (path, response.text[:500])
    return response


def csv_rows(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def matching(ids, table_order, numbers):
    wanted = {ids[i] for i in numbers}
    return [i for i in table_order if i in wanted]


@pytest.mark.parametrize("search", ["_search=th%C3%B4ng+tin", "_search=thong+tin", "_search_text=th%C3%B4ng+tin"])
def test_a_streamed_csv_of_a_search_past_the_limit_has_every_match_in_the_table_s_order(ds, ids, table_order, search):
    rows = csv_rows(get(ds, f"/archive/articles.csv?{search}&_stream=on&_size=max"))
    assert [int(r["id"]) for r in rows] == matching(ids, table_order, range(1, COMMON + 1))


def test_the_table_page_s_stream_all_rows_form_streams_every_match(ds, ids, table_order):
    """The form sends the page's own arguments: the search as the filter reads it and the floor
    of the newest matches that bounded the page."""
    page = get(ds, "/archive/articles.json?_search=thong+tin&_size=2").json()
    carried = page["next_url"].split("?", 1)[1].split("&_next=")[0]
    assert "_fts_floor=" in carried and "_search=" not in carried.replace("_fts_search=", "")
    rows = csv_rows(get(ds, f"/archive/articles.csv?{carried}&_size=max&_stream=on"))
    assert [int(r["id"]) for r in rows] == matching(ids, table_order, range(1, COMMON + 1))


def test_a_streamed_csv_keeps_the_filters_and_sort_asked_for(ds, ids):
    path = "/archive/articles.csv?_search=thong+tin&source_id=t&_sort=id&_col=title&_stream=on&_size=max"
    rows = csv_rows(get(ds, path))
    assert [int(r["id"]) for r in rows] == sorted(ids[i] for i in range(1, COMMON + 1))
    assert list(rows[0]) == ["id", "title"]


def test_a_streamed_csv_under_the_limit_is_unchanged(ds, ids, table_order):
    rows = csv_rows(get(ds, "/archive/articles.csv?_search=dak+lak&_stream=on"))
    assert [int(r["id"]) for r in rows] == matching(ids, table_order, (5, 28))


def test_a_streamed_csv_of_a_search_that_matches_nothing_is_its_header(ds):
    rows = csv_rows(get(ds, "/archive/articles.csv?_search=%22%22&_stream=on"))
    assert rows == []


def test_pages_json_and_an_unstreamed_csv_stay_bounded(ds, ids):
    newest = newest_matches(ids)
    data = get(ds, "/archive/articles.json?_search=thong+tin&_shape=objects").json()
    assert "more than 10 rows match" in data["human_description_en"]
    assert data["filtered_table_rows_count"] is None
    assert {r["id"] for r in data["rows"]} <= newest
    # datasette streams CSV only: a JSON asked to stream is its one bounded page.
    streamed_json = get(ds, "/archive/articles.json?_search=thong+tin&_stream=on&_shape=objects").json()
    assert streamed_json["rows"] == data["rows"]
    # An unstreamed CSV is the page it was linked from.
    page = csv_rows(get(ds, "/archive/articles.csv?_search=thong+tin"))
    assert [int(r["id"]) for r in page] == [r["id"] for r in data["rows"]]
    assert "more than 10 rows match" in get(ds, "/archive/articles?_search=thong+tin").text



@pytest.fixture(scope="module")
def ds_low(db_path):
    """search_limit 1: a stream lists up to 20 matches (STREAMED times that), of the 25."""
    return make_datasette(db_path, search_limit=1, max_returned_rows=PAGE)


def test_a_stream_past_its_bound_keeps_the_newest_and_says_where_every_match_is(ds_low, ids, table_order):
    response = get(ds_low, "/archive/articles.csv?_search=th%C3%B4ng+tin&source_id=t&_sort=id&_col=title&_stream=on"
                           "&_size=max")
    *rows, last = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))[1:]
    assert [int(r[0]) for r in rows] == sorted(ids[i] for i in range(COMMON - 19, COMMON + 1))
    note, = last
    assert note.startswith("More than 20 rows match: this download has at most the 20 most recently archived. ")
    link = note.rsplit(": ", 1)[1]
    assert link == "http://localhost/-/search.csv?q=th%C3%B4ng+tin&source=t"
    assert len(csv_rows(get(ds_low, link.removeprefix("http://localhost")))) == COMMON


def test_a_stream_within_its_bound_has_no_note(ds_low, ids, table_order):
    rows = csv_rows(get(ds_low, "/archive/articles.csv?_search=dak+lak&_stream=on&_size=max"))
    assert [int(r["id"]) for r in rows] == matching(ids, table_order, (5, 28))


def test_a_stream_datasette_cut_with_a_message_ends_saying_it_is_incomplete_not_what_the_bound_left_out():
    sent = []

    async def send(message):
        sent.append(message)

    async def stream():
        noted = _ending_with(send, "More than 20 rows match")
        await noted({"type": "http.response.start", "status": 200, "headers": []})
        await noted({"type": "http.response.body", "body": b"id\r\n1\r\n", "more_body": True})
        cut = b"CSV contains more than 104857600 bytes"
        await noted({"type": "http.response.body", "body": cut, "more_body": True})
        await noted({"type": "http.response.body", "body": b""})

    asyncio.run(stream())
    body = b"".join(m.get("body", b"") for m in sent)
    assert body == (b"id\r\n1\r\nCSV contains more than 104857600 bytes\r\n"
                    + f'"{INCOMPLETE}"\r\n'.encode())
