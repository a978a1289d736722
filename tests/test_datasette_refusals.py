"""Requests of datasette's table and row pages that datasette 0.65 fails on with a 500 are
answered as the asker's mistake: a 4xx saying what was wrong."""

import asyncio

import pytest

from archive.serve import make_datasette


@pytest.fixture(scope="module")
def ds(crawled_archive):
    return make_datasette(crawled_archive / "archive.db")


def request(ds, method, path):
    return asyncio.run(ds.client.request(method, path))


@pytest.mark.parametrize("value", ["abc", "%20", "%C2%B2", "9" * 20, "9" * 5000])
def test_a_view_s_next_that_is_no_number_of_rows_is_a_400(ds, value):
    response = request(ds, "GET", f"/archive/article_history.json?_next={value}")
    assert response.status_code == 400, response.text[:300]
    assert response.json()["error"] == "A number of rows to skip, as a view's next_url gives it: argument _next"
    assert request(ds, "GET", f"/archive/article_history?_next={value}").status_code == 400


def test_a_view_s_next_url_still_leads_to_its_next_page(ds):
    first = request(ds, "GET", "/archive/article_history.json?_size=2&_shape=objects").json()
    assert first["next"] == "2"
    following = request(ds, "GET", first["next_url"].removeprefix("http://localhost")).json()
    assert following["rows"] and following["rows"][0] not in first["rows"]
    # A table's _next is a key, not a number: anything reads as one.
    assert request(ds, "GET", "/archive/articles.json?_next=abc").status_code == 200


@pytest.mark.parametrize("pks", ["1", "1,2", "~2C", ","])
def test_a_row_url_naming_fewer_values_than_the_table_has_keys_is_a_404(ds, pks):
    response = request(ds, "GET", f"/archive/lsh_bands/{pks}.json")
    assert response.status_code == 404, response.text[:300]
    assert response.json()["error"] == ("Record not found: a row of lsh_bands is named by its band, bucket and "
                                        "article_id, in that order, separated by commas")
    # The page is the site's own 404, as for any page that is not there.
    page = request(ds, "GET", f"/archive/lsh_bands/{pks}")
    assert page.status_code == 404 and "No such page" in page.text


def test_a_row_url_naming_every_key_shows_the_row(ds):
    band = request(ds, "GET", "/archive/lsh_bands.json?_size=1&_shape=objects").json()["rows"][0]
    response = request(ds, "GET", f"/archive/lsh_bands/{band['band']},{band['bucket']},{band['article_id']}.json")
    assert response.status_code == 200 and len(response.json()["rows"]) == 1


@pytest.mark.parametrize("path", ["/archive/articles.json", "/archive/articles", "/archive/no_such_table.json",
                                  "/archive/article_history.json"])
def test_a_post_to_a_table_s_page_is_a_405(ds, path):
    response = request(ds, "POST", path)
    assert response.status_code == 405, response.text[:300]
    assert response.headers["allow"] == "GET, HEAD"
    if path.endswith(".json"):
        assert response.json()["error"] == "Method not allowed: a table's page takes GET, not POST"
    # As datasette answers a POST to a database's or a row's page.
    assert request(ds, "POST", "/archive").status_code == request(ds, "POST", "/archive/articles/1").status_code == 405
