"""Query parameters no form sends, typed or fuzzed into datasette's pages and the reading room's:
each is the asker's mistake (a 400) or read as no value at all, never a 500."""

import json
import sqlite3
from urllib.parse import quote

import pytest

from tests.test_datasette import ds, get  # noqa: F401  (ds: the crawled archive's, a fixture)


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


@pytest.mark.parametrize("argument, said", [
    ("_facet={}", 'A facet written as JSON names its column, as {"column": "source_id"}: argument _facet'),
    ('_facet={"column":""}', "A facet written as JSON names its column"),
    ('_facet={"column":5}', "A facet written as JSON names its column"),
    ("_facet={bad", "A facet written as JSON names its column"),
    ("_facet_array={}", "argument _facet_array"),
    ("_facet_date={}", "argument _facet_date"),
    ("_through=x", "It is JSON naming a table, its column and a value"),
    ("_through={}", "argument _through"),
    ("_through=[]", "argument _through"),
    ('_through={"table":"article_urls","column":"url","value":{}}', "argument _through"),
    ('_through={"table":"article_urls","column":"url","value":99999999999999999999}', "argument _through"),
    ('_through={"table":"fetches","column":"url","value":1}', "Invalid _through"),
    ('_through={"table":"nosuch","column":"url","value":1}', "Invalid _through"),
    ("_timelimit=x", "A number of milliseconds: argument _timelimit"),
    ("_timelimit=%C2%B2", "argument _timelimit"),
    ("source_id__in=[", 'A list written as JSON is one of values, as ["a", "b"]: argument source_id__in'),
    ("source_id__in=[{}]", "argument source_id__in"),
    ("id__in=[99999999999999999999]", "argument id__in"),
    ("source_id__notin=[[1]]", "argument source_id__notin"),
    ("id__gt=99999999999999999999", "A number SQLite's integers hold: argument id__gt"),
    ("id__lte=" + "9" * 4301, "argument id__lte"),
    ("id__gte=%C2%B2", "argument id__gte"),
    ("_json_infinity=x", "One of on, off, true, false, 1, 0: argument _json_infinity"),
])
def test_a_datasette_argument_written_wrongly_is_the_asker_s_mistake(ds, argument, said):
    for page in ("/archive/articles", "/archive/articles.json"):
        response = get(ds, f"{page}?{argument}")
        assert response.status_code == 400, (page, response.text[:500])
        assert said in (response.json()["error"] if page.endswith(".json") else response.text.replace("&#34;", '"').replace("&#39;", "'"))


def test_the_same_arguments_written_rightly_are_read(ds, crawled_archive):
    conn = sqlite3.connect(crawled_archive / "archive.db")
    (article,) = conn.execute("select min(id) from articles").fetchone()
    conn.close()
    # The fetches of the articles with that id: the one it was stored from.
    through = quote(json.dumps({"table": "articles", "column": "id", "value": article}))
    assert count(ds, f"/archive/fetches.json?_through={through}") == 1
    for argument in ('_facet={"column":"source_id"}', "_facet_array=tags", "_timelimit=1000",
                     'source_id__in=["sample-portal",1,null]', "id__gt=0", "id__lte=99", "_json_infinity=on"):
        assert count(ds, f"/archive/articles.json?{quote(argument, safe='=')}") > 0, argument
