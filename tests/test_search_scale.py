"""Searches past the search limit: "more than N", bounded ranking, facets and counts.

The archive is small and the limit is set low (10), so the paths a million-article archive
takes for a very common word run here on thirty articles.
"""

import asyncio
import csv
import io
import re

import pytest

from archive import ingest
from archive.db import open_db
from archive.search import search
from archive.serve import make_datasette
from archive.sources import parse_sources
from conftest import store_page

LIMIT = 10
SOURCE = parse_sources(
    '[[source]]\nid = "t"\nname = "Cổng T"\nkind = "press"\nhome = "https://t.vn/"\nallowed_domains = ["t.vn"]\n'
    'article_pattern = "x"\nschedule = "0 * * * *"\n[source.discovery]\nfeeds = ["https://t.vn/rss"]\n'
)[0]
COMMON = 25  # articles 1..25 say "thông tin"; 26..30 do not
TITLED = (3, 22)  # these say it in the title too: 22 is among the newest ten matches, 3 is not
CITING = (3, 7, 28)  # these cite Kế hoạch 174/KH-UBND; 28 does not say "thông tin"
ON_ZALO = (4, 9, 29)  # these name the Sở's Zalo OA; 29 does not say "thông tin"
AGENCY = "Sở Thông tin và Truyền thông"


def _article(i: int) -> dict:
    title = f"Thông tin về kế hoạch số {i}" if i in TITLED else f"Kế hoạch số {i}"
    body = "Sở triển khai thông tin tới người dân." if i <= COMMON else "Sở triển khai kế hoạch tới người dân."
    if i in (5, 28):
        body += " Tỉnh Đắk Lắk phối hợp."
    mentions = []
    if i in ON_ZALO:
        mentions = [{"kind": "channel", "platform": "Zalo", "name": "Zalo OA Sở TTTT", "text": "Zalo OA"},
                    {"kind": "agency", "platform": None, "name": AGENCY, "text": "Sở TT&TT"}]
    return {"url": f"https://t.vn/{i}", "title": title, "text": body, "published": f"2024-{1 + i % 12:02d}-01",
            "text_hash": str(i), "doc_refs": [{"ref": "174/KH-UBND"}] if i in CITING else [],
            "mentions": mentions}


@pytest.fixture(scope="module")
def db_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("scale") / "archive.db"
    db = open_db(path)
    crawl = ingest.start_crawl(db, SOURCE, max_pages=None)
    with db.atomic():
        for i in range(1, 31):
            store_page(db, _article(i), source_id="t", seen_at="2024-12-01", crawl_id=crawl)
    db.close()
    return path


@pytest.fixture(scope="module")
def ids(db_path):
    """Article id by the number in its URL."""
    db = open_db(db_path, create=False)
    return {int(r["url"].rsplit("/", 1)[1]): r["id"] for r in db.query("select id, url from articles")}


@pytest.fixture(scope="module")
def ds(db_path):
    return make_datasette(db_path, search_limit=LIMIT)


def get(ds, path):
    response = asyncio.run(ds.client.get(path))
    assert response.status_code == 200, (path, response.text[:500])
    return response


def newest_matches(ids):
    return {ids[i] for i in range(COMMON - LIMIT + 1, COMMON + 1)}


def page_ids(html):
    return [int(i) for i in re.findall(r'<h3><a href="/-/a/(\d+)">', html)]


def test_library_ranks_only_the_newest_matches_past_the_limit(db_path, ids):
    db = open_db(db_path, create=False)
    results = search(db, "thong tin", limit=50, search_limit=LIMIT)
    assert {r["id"] for r in results} == newest_matches(ids)
    assert results[0]["id"] == ids[22]  # the title match ranks first
    assert len(search(db, "thong tin", limit=50)) == COMMON  # under the default limit: every match


@pytest.mark.parametrize("q", ["thong+tin", "th%C3%B4ng+tin"])
def test_search_page_says_more_than_the_limit(ds, ids, q):
    html = get(ds, f"/-/search?q={q}").text
    assert re.search(r'data-more="true" id="result-count">10<', html)
    assert 'id="more-note"' in html
    assert 'class="chart"' not in html  # a chart of the newest matches only would mislead
    assert page_ids(html)[0] == ids[22]
    assert set(page_ids(html)) == newest_matches(ids)
    source_counts = re.findall(r'data-facet="source".*?<span class="count">(\d+)</span>', html, re.S)
    assert source_counts == [str(LIMIT)]


def test_search_page_under_the_limit_is_exact(ds, ids):
    html = get(ds, "/-/search?q=dak+lak").text
    assert re.search(r'data-more="false" id="result-count">2<', html)
    assert 'id="more-note"' not in html
    assert 'class="chart"' in html
    assert set(page_ids(html)) == {ids[5], ids[28]}


@pytest.mark.parametrize("q", ["thong+tin", "th%C3%B4ng+tin"])
def test_results_json_is_the_ranked_page_past_the_limit(ds, ids, q):
    data = get(ds, f"/-/results.json?q={q}").json()
    assert data["more"] is True and data["count"] == LIMIT and data["ranked"] is True
    # The note the page shows past the limit, which a script reads too.
    assert [n["en"] for n in data["notes"]] == [
        f"Too many matches: ranking, sorting, filters and pages cover the {LIMIT:,} most recently archived; the "
        "chart is left out. Add words or a filter to narrow the search, or download all results."]
    got = [r["id"] for r in data["results"]]
    assert got[0] == ids[22]  # relevance: the title match first
    assert set(got) == newest_matches(ids)
    first = data["results"][0]
    assert "[thông] [tin]" in first["snippet"]  # matches marked, accents kept
    assert first["archive_url"].endswith(f"/-/a/{ids[22]}")


def test_results_json_under_the_limit_is_exact(ds, ids):
    data = get(ds, "/-/results.json?q=dak+lak").json()
    assert data["more"] is False and data["count"] == 2 and data["notes"] == []
    assert {r["id"] for r in data["results"]} == {ids[5], ids[28]}


def test_browsing_without_a_query_is_bounded_too(ds):
    html = get(ds, "/-/search").text
    assert re.search(r'data-more="true" id="result-count">10<', html)


def test_exports_keep_every_match(ds):
    rows = list(csv.DictReader(io.StringIO(get(ds, "/-/search.csv?q=thong+tin").text)))
    assert len(rows) == COMMON
    attention = list(csv.DictReader(io.StringIO(get(ds, "/-/attention.csv?q=thong+tin").text)))
    assert sum(int(r["articles"]) for r in attention) == COMMON


def test_table_api_past_the_limit_lists_the_newest_without_count_or_facets(ds, ids):
    data = get(ds, "/archive/articles.json?_search=th%C3%B4ng+tin&_size=4&_shape=objects").json()
    assert data["filtered_table_rows_count"] is None
    assert "more than 10 rows match" in data["human_description_en"]
    assert data["facet_results"] == {}
    seen = [r["id"] for r in data["rows"]]
    while data["next_url"]:
        data = get(ds, data["next_url"].split("localhost", 1)[-1]).json()
        seen += [r["id"] for r in data["rows"]]
    assert len(seen) == LIMIT and set(seen) == newest_matches(ids)


def test_table_api_under_the_limit_counts_and_facets(ds, ids):
    data = get(ds, "/archive/articles.json?_search=%C4%90%E1%BA%AFk+L%E1%BA%AFk&_shape=objects").json()
    assert data["filtered_table_rows_count"] == 2
    assert {r["id"] for r in data["rows"]} == {ids[5], ids[28]}
    assert data["facet_results"]["source_id"]["results"][0]["count"] == 2
    assert "more than" not in data["human_description_en"]


def test_a_new_search_from_the_form_drops_what_the_last_one_carried(ds):
    first = get(ds, "/archive/articles.json?_search=thong+tin&_size=4").json()
    carried = first["next_url"].split("?", 1)[1].split("&_next=")[0]
    data = get(ds, f"/archive/articles.json?{carried}&_search=dak+lak&_shape=objects").json()
    assert data["filtered_table_rows_count"] == 2
    assert "source_id" in data["facet_results"]


def test_table_page_keeps_the_search_box_filled(ds):
    html = get(ds, "/archive/articles?_search=thong+tin").text
    assert re.search(r'name="_search" value="[^"]*thong[^"]*tin', html)
    assert "more than 10 rows match" in html


def test_a_hand_written_filter_value_cannot_break_the_sql(ds):
    data = get(ds, '/archive/articles.json?_fts_search=%22unbalanced+(&_shape=objects').json()
    assert isinstance(data["rows"], list)


def _all_pages(ds, data):
    seen = [r["id"] for r in data["rows"]]
    while data["next_url"]:
        data = get(ds, data["next_url"].split("localhost", 1)[-1]).json()
        seen += [r["id"] for r in data["rows"]]
    return seen


def test_column_search_past_the_limit_is_bounded_too(ds, ids):
    data = get(ds, "/archive/articles.json?_search_text=th%C3%B4ng+tin&_size=4&_shape=objects").json()
    assert data["filtered_table_rows_count"] is None
    assert "more than 10 rows match" in data["human_description_en"]
    assert data["facet_results"] == {}
    seen = _all_pages(ds, data)
    assert len(seen) == LIMIT and set(seen) == newest_matches(ids)


def test_column_search_under_the_limit_counts_and_searches_that_column_only(ds, ids):
    data = get(ds, "/archive/articles.json?_search_title=th%C3%B4ng+tin&_shape=objects").json()
    assert data["filtered_table_rows_count"] == len(TITLED)
    assert {r["id"] for r in data["rows"]} == {ids[i] for i in TITLED}
    assert "in title" in data["human_description_en"] and "more than" not in data["human_description_en"]


def test_column_search_and_search_must_both_match(ds, ids):
    data = get(ds, "/archive/articles.json?_search=dak+lak&_search_text=thong+tin&_shape=objects").json()
    assert {r["id"] for r in data["rows"]} == {ids[5]}
    # a new search typed into the box keeps the column search the page carried
    carried = get(ds, "/archive/articles.json?_search_title=thong+tin&_size=1").json()["next_url"]
    carried = carried.split("?", 1)[1].split("&_next=")[0]
    data = get(ds, f"/archive/articles.json?{carried}&_search=ke+hoach+so+22&_shape=objects").json()
    assert [r["id"] for r in data["rows"]] == [ids[22]]


@pytest.mark.parametrize("query", ["_search_url=x", "_fts_search_title=x&_fts_search_url=x", "_search=x&_search_url=x",
                                   "_search_rank=x", "_search_filters=x"])
def test_searching_a_column_that_is_not_indexed_is_refused(ds, query):
    response = asyncio.run(ds.client.get(f"/archive/articles.json?{query}"))
    assert response.status_code == 400 and "Cannot search by that column" in response.text
    assert "_search_title" not in response.text and "searchable: title, description, text)" in response.text


def test_chart_sums_the_smaller_sources_past_eight():
    from archive.datasette.plugins.reading_room import CHART_COLOURS, chart

    sources = [f"s{i:02d}" for i in range(12)]
    counts = {("2024-01", s): i + 1 for i, s in enumerate(sources)}
    drawn = chart({"months": ["2024-01"], "sources": sources, "counts": counts, "undated": 0}, {})
    legend = drawn["legend"]
    assert len(legend) == CHART_COLOURS
    assert [item["label"] for item in legend[:-1]] == sources[-7:]  # the largest keep their own series
    assert legend[-1]["label"].startswith("Nguồn khác") and legend[-1]["n"] == sum(range(1, 6))
    assert drawn["table"][0]["total"] == sum(range(1, 13))


@pytest.mark.parametrize("path", ["/-/search?q=thong+tin&month=2024-03", "/-/results.json?q=thong+tin&month=2024-03"])
def test_a_month_filter_finds_its_matches_however_old(ds, ids, path):
    # Articles 2 and 14 are the March matches, both older than the newest ten: the filter is
    # part of the FTS5 query (the folded index's filters column), not applied to those ten.
    response = get(ds, path)
    if path.startswith("/-/results.json"):
        data = response.json()
        assert data["more"] is False and {r["id"] for r in data["results"]} == {ids[2], ids[14]}
    else:
        assert re.search(r'data-more="false" id="result-count">2<', response.text)
        assert set(page_ids(response.text)) == {ids[2], ids[14]}


def test_a_source_filter_past_the_limit(ds, ids, db_path):
    html = get(ds, "/-/search?q=thong+tin&source=t").text
    assert re.search(r'data-more="true" id="result-count">10<', html)
    assert set(page_ids(html)) == newest_matches(ids)
    ranked = get(ds, "/-/results.json?q=th%C3%B4ng+tin&source=t").json()["results"]
    assert ranked[0]["id"] == ids[22]  # filtered, the title match still ranks first
    assert get(ds, "/-/results.json?q=thong+tin&source=other").json()["count"] == 0
    db = open_db(db_path, create=False)
    assert {r["id"] for r in search(db, "thong tin", limit=50, source="t", search_limit=LIMIT)} == newest_matches(ids)
    assert search(db, "thong tin", source="other") == []


@pytest.mark.parametrize("month", ["2024-03", "2019-05"])
def test_table_api_narrowed_to_a_month_lists_that_months_matches(ds, ids, month):
    # Past the limit the table lists the newest matches of the month, not the month's share of
    # the archive's newest matches (none, for an old month).
    data = get(ds, f"/archive/articles.json?_search=thong+tin&published_month={month}&_shape=objects").json()
    expected = {ids[2], ids[14]} if month == "2024-03" else set()
    assert {r["id"] for r in data["rows"]} == expected
    assert data["filtered_table_rows_count"] == len(expected)


def test_table_api_narrowed_to_a_source_past_the_limit(ds, ids):
    data = get(ds, "/archive/articles.json?_search=thong+tin&source_id=t&_size=50&_shape=objects").json()
    assert {r["id"] for r in data["rows"]} == newest_matches(ids)
    assert "more than 10 rows match" in data["human_description_en"]


def test_a_quote_in_a_filter_value_matches_nothing_and_breaks_nothing(ds):
    assert re.search(r'id="result-count">0<', get(ds, "/-/search?q=thong+tin&month=2024%2203").text)
    assert get(ds, "/-/results.json?q=thong+tin&source=t%22%29").json()["count"] == 0
    data = get(ds, "/archive/articles.json?_search=thong+tin&published_month=%22%29&_shape=objects").json()
    assert data["rows"] == []


def test_a_document_filter_finds_its_matches_however_old_ranked(ds, ids):
    # Articles 3 and 7 cite the plan and say "thông tin", both older than the newest ten
    # matches; 3 says it in its title too, so it ranks first.
    html = get(ds, "/-/search?q=thong+tin&ref=174%2FKH-UBND").text
    assert re.search(r'data-more="false" id="result-count">2<', html)
    assert page_ids(html) == [ids[3], ids[7]]
    data = get(ds, "/-/results.json?q=th%C3%B4ng+tin&ref=174%2FKH-UBND").json()
    assert data["count"] == 2 and [r["id"] for r in data["results"]] == [ids[3], ids[7]]
    rows = list(csv.DictReader(io.StringIO(get(ds, "/-/search.csv?q=thong+tin&ref=174%2FKH-UBND").text)))
    assert len(rows) == 2
    table = get(ds, "/archive/articles.json?_search=thong+tin&refs__arraycontains=174%2FKH-UBND&_shape=objects")
    assert {r["id"] for r in table.json()["rows"]} == {ids[3], ids[7]}


@pytest.mark.parametrize("facet", ["platform=Zalo", "agency=S%E1%BB%9F+Th%C3%B4ng+tin+v%C3%A0+Truy%E1%BB%81n+th%C3%B4ng"])
def test_a_channel_or_agency_filter_finds_its_matches_however_old(ds, ids, facet):
    # Articles 4 and 9 name the Zalo OA and say "thông tin", both older than the newest ten
    # matches: the channel's or agency's words in the search indexes find them.
    html = get(ds, f"/-/search?q=thong+tin&{facet}").text
    assert re.search(r'data-more="false" id="result-count">2<', html)
    assert set(page_ids(html)) == {ids[4], ids[9]}
    data = get(ds, f"/-/results.json?q=th%C3%B4ng+tin&{facet}").json()
    assert data["count"] == 2 and {r["id"] for r in data["results"]} == {ids[4], ids[9]}
    rows = list(csv.DictReader(io.StringIO(get(ds, f"/-/search.csv?q=thong+tin&{facet}").text)))
    assert len(rows) == 2
    assert re.search(r'id="result-count">0<', get(ds, f"/-/search?q=thong+tin&{facet}&source=other").text)


@pytest.mark.parametrize("facet", ["channels__arraycontains=Zalo",
                                   "agencies__arraycontains=S%E1%BB%9F+Th%C3%B4ng+tin+v%C3%A0+Truy%E1%BB%81n+th%C3%B4ng"])
def test_table_api_narrowed_to_a_channel_or_agency_lists_its_matches(ds, ids, facet):
    # Past the limit the table lists the newest matches naming the channel or agency, not their
    # share of the archive's newest matches (none: 4 and 9 are older than the newest ten).
    data = get(ds, f"/archive/articles.json?_search=thong+tin&{facet}&_shape=objects").json()
    assert {r["id"] for r in data["rows"]} == {ids[4], ids[9]}
    assert data["filtered_table_rows_count"] == 2


def test_an_archive_not_yet_upgraded_is_read_as_it_is_and_upgraded_by_serve(tmp_path):
    # Read as it is (on read-only storage, say), an archive from before m012 has no channel or
    # document words in its indexes, so those filters are applied as SQL; `govarchive serve`
    # upgrades it first, as every command that opens an archive does.
    import subprocess
    import sys
    from pathlib import Path

    from sqlite_utils import Database

    from archive.db import (
        ArchiveDatabase, m013_article_urls, m014_fetch_redirect_hops, m024_crawls_source_name, m026_merged_articles,
        m031_article_urls_date_author_description, migrations,
    )
    from archive.serve import filter_word_kinds

    path = tmp_path / "old.db"
    db = ArchiveDatabase(path)
    migrations.apply(db, stop_before="m012_channel_agency_and_document_filter_words")
    # What today's ingest writes to besides: the upgrade builds it again alike.
    m013_article_urls(db)
    m014_fetch_redirect_hops(db)
    m024_crawls_source_name(db)
    m026_merged_articles(db)
    m031_article_urls_date_author_description(db)
    crawl = ingest.start_crawl(db, SOURCE, max_pages=None)
    with db.atomic():
        for i in range(1, 31):
            store_page(db, _article(i), source_id="t", seen_at="2024-12-01", crawl_id=crawl)
    db.close()
    old = make_datasette(path, search_limit=LIMIT)
    assert asyncio.run(filter_word_kinds(old.get_database())) == ("source", "month")
    ids = {int(r["url"].rsplit("/", 1)[1]): r["id"] for r in Database(path).query("select id, url from articles")}
    for facet, cited in (("ref=174%2FKH-UBND", (3, 7)), ("platform=Zalo", (4, 9))):
        data = get(old, f"/-/results.json?q=th%C3%B4ng+tin&{facet}").json()
        assert {r["id"] for r in data["results"]} == {ids[i] for i in cited}

    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("govarchive")), "serve", "--db", str(path), "--port", "0"],
        stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        note = server.stderr.readline()
        serving = server.stdout.readline()
    finally:
        server.terminate()
        server.wait(timeout=30)
    # Every migration from m012 on, m013 and m014 included (the archive has their tables, not their records).
    names = [m.name for m in migrations.pending(Database(memory=True))]
    pending = names[names.index("m012_channel_agency_and_document_filter_words"):]
    assert f"upgrading the archive ({', '.join(pending)})" in note
    assert serving.startswith(f"Serving {path} at http://127.0.0.1:")
    upgraded = make_datasette(path, search_limit=LIMIT)
    assert asyncio.run(filter_word_kinds(upgraded.get_database())) == ("source", "month", "platform", "agency", "ref")


def test_the_charts_numbers_count_articles_without_a_date(tmp_path):
    path = tmp_path / "archive.db"
    db = open_db(path)
    crawl = ingest.start_crawl(db, SOURCE, max_pages=None)
    with db.atomic():
        for i in (1, 2, 3):
            store_page(db, {**_article(i), "published": None if i == 3 else _article(i)["published"]},
                       source_id="t", seen_at="2024-12-01", crawl_id=crawl)
    db.close()
    text = get(make_datasette(path), "/-/attention.csv?q=thong+tin").text.lstrip("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text)))
    # The file sums to the search's count: the undated article has a row with an empty month.
    assert sum(int(r["articles"]) for r in rows) == 3
    assert {"month": "", "source_id": "t", "articles": "1"} in rows
