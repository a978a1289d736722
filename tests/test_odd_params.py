"""Query parameters no form sends, typed or fuzzed into datasette's pages and the reading room's:
each is the asker's mistake (a 400) or read as no value at all, never a 500."""

import asyncio

import pytest

from archive.serve import make_datasette


@pytest.fixture(scope="module")
def ds(crawled_archive):
    return make_datasette(crawled_archive / "archive.db")


def get(ds, path):
    return asyncio.run(ds.client.get(path))


def count(ds, path):
    response = get(ds, path)
    assert response.status_code == 200, (path, response.text[:500])
    return response.json()["filtered_table_rows_count"]


@pytest.mark.parametrize("floor", ["%C2%B2", "%D9%A3", "9" * 20, "9" * 5000, "-1", "1.5"])
def test_a_search_floor_that_is_no_row_id_is_no_floor(ds, floor):
    # "²" and "٣" are digits to str.isdigit(); int() refuses the first and reads the second as 3.
    unbounded = count(ds, "/archive/articles.json?_fts_search=zalo")
    assert unbounded > 0
    assert count(ds, f"/archive/articles.json?_fts_search=zalo&_fts_floor={floor}") == unbounded
    assert get(ds, f"/archive/articles?_fts_search=zalo&_fts_floor={floor}").status_code == 200
