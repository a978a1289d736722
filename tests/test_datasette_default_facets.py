"""The articles table's default facets are those that stay fast at a million articles."""

import asyncio

from archive.serve import make_datasette
from test_search_scale import db_path  # noqa: F401 (fixture)


def test_the_articles_table_facets_on_source_and_month_only_by_default(db_path):  # noqa: F811
    data = asyncio.run(make_datasette(db_path).client.get("/archive/articles.json")).json()
    # The array facets (refs, channels, agencies) timed out on every page at 1M articles.
    assert set(data["facet_results"]) == {"source_id", "published_month"}


def test_an_array_facet_can_still_be_asked_for(db_path):  # noqa: F811
    data = asyncio.run(make_datasette(db_path).client.get("/archive/articles.json?_facet_array=refs")).json()
    assert "refs" in data["facet_results"]
