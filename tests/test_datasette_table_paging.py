"""Paging through datasette's articles table: every article once, each page within the limit.

The pages' limit is made tiny (25 ms) over 60,000 articles, thousands of them sharing a date,
so that a page no index serves is interrupted."""

import asyncio

from archive.serve import make_datasette
from test_download_scale import ARTICLES, db_path  # noqa: F401 (fixture)


def pages(ds, path):
    while path:
        response = asyncio.run(ds.client.get(path))
        assert response.status_code == 200, (path, response.text[:300])
        data = response.json()
        yield [row["id"] for row in data["rows"]]
        path = data["next_url"] and data["next_url"].removeprefix("http://localhost")


def test_paging_the_articles_table_lists_every_article_once_most_recently_archived_first(db_path):  # noqa: F811
    listed = [i for page in pages(make_datasette(db_path), "/archive/articles.json?_size=1000&_col=title&_shape=objects")
              for i in page]
    assert listed == list(range(ARTICLES, 0, -1))


def test_the_next_page_of_the_articles_table_is_served_by_an_index(db_path):  # noqa: F811
    quick = make_datasette(db_path, sql_time_limit_ms=25)
    first, second = [page for page, _ in zip(pages(quick, "/archive/articles.json?_col=title&_nofacet=1&_nocount=1&_shape=objects"),
                                             range(2))]
    assert first + second == list(range(ARTICLES, ARTICLES - 100, -1))
