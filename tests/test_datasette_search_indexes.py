"""datasette's search of the indexes themselves: the folded one searched folded, the exact-accent
one refused with a pointer to the articles table's search; and a column search that names
another column refused, since it finds nothing."""

import asyncio
from urllib.parse import urlencode

import pytest

from archive import ingest
from archive.db import open_db
from archive.serve import make_datasette
from archive.sources import parse_sources
from conftest import store_page

SOURCE = parse_sources(
    '[[source]]\nid = "t"\nname = "T"\nkind = "press"\nhome = "https://t.vn/"\nallowed_domains = ["t.vn"]\n'
    'article_pattern = "x"\nschedule = "0 * * * *"\n[source.discovery]\nfeeds = ["https://t.vn/rss"]\n'
)[0]

ARTICLES = {
    "thuy-loi": ("Hòa Bình họp bàn về thủy lợi", "Tỉnh Hòa Bình bàn công tác thủy lợi."),
    "thuy-san": ("Hoà Bình phát triển thuỷ sản", "Tỉnh Hoà Bình phát triển thuỷ sản bền vững."),
    "hoa-dao": ("Lễ hội hoa đào", "Hoa đào nở sớm ở Hà Nội."),
}


@pytest.fixture(scope="module")
def ds(tmp_path_factory):
    path = tmp_path_factory.mktemp("search-indexes") / "archive.db"
    db = open_db(path)
    crawl = ingest.start_crawl(db, SOURCE, max_pages=None)
    with db.atomic():
        for key, (title, text) in ARTICLES.items():
            record = ingest.prepare({"url": f"https://t.vn/{key}", "title": title, "text": text,
                                     "published": "2024-12-02", "text_hash": key})
            store_page(db, record, source_id="t", seen_at="2024-12-02", crawl_id=crawl)
    db.close()
    return make_datasette(path)


def get(ds, path, params):
    return asyncio.run(ds.client.get(f"{path}?{urlencode(params)}"))


REFUSED = ("articles_fts is the exact-accent index the reading room ranks its matches with: it keeps no word "
           "positions, so it cannot be searched here. Search the articles table, which finds words with or "
           "without their accents: /archive/articles?")


@pytest.mark.parametrize("params", [
    {"_search": "thủy"}, {"_search": "hoà"}, {"_search": '"hoà bình"'}, {"_search": ""},
    {"_search_title": "hoà"}, {"_search": "hoà", "_searchmode": "raw"},
])
def test_a_search_of_the_exact_index_points_to_the_articles_search(ds, params):
    typed = {k: v for k, v in params.items() if k.startswith("_search_") or k == "_search"}
    for path in ("/archive/articles_fts.json", "/archive/articles_fts", "/archive/articles_fts.csv"):
        response = get(ds, path, params)
        assert response.status_code == 400, path
        assert "Invalid SQL" not in response.text
    body = get(ds, "/archive/articles_fts.json", params).json()
    assert body["error"] == REFUSED + urlencode(typed)


def test_a_search_through_the_exact_index_named_in_the_url_is_refused_too(ds):
    response = get(ds, "/archive/sources.json", {"_fts_table": "articles_fts", "_search": "hoà"})
    assert response.status_code == 400 and response.json()["error"] == REFUSED + urlencode({"_search": "hoà"})


def test_the_articles_search_the_refusal_points_to_finds_every_spelling(ds):
    body = get(ds, "/archive/articles.json", {"_search": "thủy", "_shape": "objects", "_col": "url"}).json()
    assert {row["url"] for row in body["rows"]} == {"https://t.vn/thuy-loi", "https://t.vn/thuy-san"}


def test_the_exact_index_is_still_browsed(ds):
    body = get(ds, "/archive/articles_fts.json", {"_shape": "objects"}).json()
    assert len(body["rows"]) == len(ARTICLES)


def test_the_folded_index_is_searched_folded(ds):
    body = get(ds, "/archive/articles_fold.json", {"_search": "thủy", "_shape": "objects"}).json()
    assert len(body["rows"]) == 2


@pytest.mark.parametrize("column, typed, named", [
    ("title", "text:hoa", "text"),
    ("title", "nội dung: hoa", "text"),
    ("text", "hoa title:dao", "title"),
])
def test_a_column_search_that_names_another_column_is_refused(ds, column, typed, named):
    response = get(ds, "/archive/articles.json", {f"_search_{column}": typed})
    assert response.status_code == 400
    assert response.json()["error"] == (f"_search_{column}={typed} names the column {named}, where a search of "
                                        f"{column} finds nothing: search with _search={typed} instead")


def test_a_column_search_naming_another_column_beside_or_or_not_is_searched(ds):
    # The other column's part finds nothing there, but the rest of the search still matches.
    alone = get(ds, "/archive/articles.json", {"_search_title": "hoa", "_shape": "objects"}).json()["rows"]
    for typed in ("hoa OR text:dao", "hoa NOT text:dao"):
        body = get(ds, "/archive/articles.json", {"_search_title": typed, "_shape": "objects"}).json()
        assert body.get("ok", True) and body["rows"] == alone, (typed, body)


@pytest.mark.parametrize("typed, count", [("title:hoa", 3), ("hoa*", 3), ('"text: hoa"', 0)])
def test_a_column_search_may_name_its_own_column_or_quote_a_name(ds, typed, count):
    body = get(ds, "/archive/articles.json", {"_search_title": typed, "_shape": "objects"}).json()
    assert body.get("ok", True) and len(body["rows"]) == count, body
