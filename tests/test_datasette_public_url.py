"""The full URLs datasette's own pages give out are under GOVARCHIVE_PUBLIC_URL, as the reading
room's are, not under the Host a proxy in front of the archive asked with."""

import asyncio

import pytest

from archive.serve import make_datasette

INTERNAL = {"Host": "10.0.0.5:8001"}


@pytest.fixture(scope="module")
def ds(crawled_archive):
    return make_datasette(crawled_archive / "archive.db")


def get(ds, path, **kwargs):
    response = asyncio.run(ds.client.get(path, headers=INTERNAL, **kwargs))
    assert response.status_code == 200, (path, response.text[:500])
    return response


def full_urls(ds):
    """The full URLs of the articles table's first page as JSON, and in its HTML page."""
    response = get(ds, "/archive/articles.json?_size=2&_facet=source_id")
    data = response.json()
    urls = [data["next_url"], response.headers["link"].split(";")[0].strip("<>")]
    urls += [facet["toggle_url"] for facet in data["facet_results"]["source_id"]["results"]]
    urls.append(get(ds, "/archive/articles").headers["link"].split(";")[0].strip("<>"))
    return urls


def test_without_a_public_url_they_are_under_the_host_asked_for(ds, monkeypatch):
    monkeypatch.delenv("GOVARCHIVE_PUBLIC_URL", raising=False)
    assert all(url.startswith("http://10.0.0.5:8001/archive/articles") for url in full_urls(ds)), full_urls(ds)


@pytest.mark.parametrize("public, origin", [
    ("https://archive.example.org", "https://archive.example.org"),
    ("https://archive.example.org/", "https://archive.example.org"),
    ("http://archive.example.org:8443", "http://archive.example.org:8443"),
    ("https://lưutrữ.vn", "https://xn--lutr-qib9306b.vn"),
])
def test_with_one_they_are_under_it(ds, monkeypatch, public, origin):
    monkeypatch.setenv("GOVARCHIVE_PUBLIC_URL", public)
    urls = full_urls(ds)
    assert all(url.startswith(f"{origin}/archive/articles") for url in urls), urls
    assert "_next=" in urls[0] and "_facet=source_id" in urls[0]


def test_the_next_url_through_the_proxy_leads_to_the_next_page(ds, monkeypatch):
    monkeypatch.setenv("GOVARCHIVE_PUBLIC_URL", "https://archive.example.org")
    first = get(ds, "/archive/articles.json?_size=2&_shape=objects").json()
    following = get(ds, first["next_url"].removeprefix("https://archive.example.org")).json()
    seen = [row["id"] for row in first["rows"]]
    assert following["rows"] and not {row["id"] for row in following["rows"]} & set(seen)
