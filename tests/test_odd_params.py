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


NUL_ARGUMENTS = [
    "_facet=%00", "_facet=a%00b", "_facet_array=%00", "_facet_date=%00", "_where=1%00", "title%00=x", "%00=x",
    "_through=%00", "_timelimit=%00", "_sort=%00", "_sort_desc=title%00", "_search=a%00b", "_search_title=%00",
    "_next=%00", "title__contains=a%00", "source_id__in=%00", "_col=%00", "_nocol=%00", "_size=%00",
    "_fts_search=%00", "_fts_floor=%00", "_label=%00",
]


@pytest.mark.parametrize("argument", NUL_ARGUMENTS)
@pytest.mark.parametrize("page", ["/archive/articles", "/archive/articles.json", "/archive/articles.csv",
                                  "/archive/fetches", "/archive/articles/1", "/archive"])
def test_a_nul_character_in_an_argument_of_datasette_s_pages_is_the_asker_s_mistake(ds, page, argument):
    response = get(ds, f"{page}?{argument}")
    assert response.status_code == 400, response.text[:500]
    name = argument.split("=")[0]
    assert f"A NUL character (%00) cannot be part of a query: argument {name}" in response.text
    if page.endswith(".json"):
        assert response.json()["ok"] is False and response.json()["status"] == 400


def test_a_nul_character_in_the_reading_room_s_arguments_is_still_read_as_a_space(ds):
    for path in ("/?q=%00", "/-/search?q=zalo%00", "/-/results.json?q=zalo%00", "/-/search.csv?q=zalo%00"):
        assert get(ds, path).status_code == 200, path
