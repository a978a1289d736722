"""An archived article whose address the portal now sends to another article of its template
(the same headline, nearly the same text, its own number and day) keeps its text: the page the
redirect leads to is that other article, not a version of this one."""

import asyncio

import pytest

from archive.serve import make_datasette
from tests.conftest import query
from tests.test_moved_redated import NEW_DATE, OLD, folder, site, two_of_one_template  # noqa: F401 (fixtures)
from tests.test_variants import PARAGRAPHS, TITLES, crawl

SIBLING = "/a/ha-tinh-zalo-oa-1022040802.htm"


@pytest.mark.parametrize("when", ["archived before", "listed in the same crawl", "met only by the redirect"])
def test_an_article_redirected_to_another_of_its_template_keeps_its_text(site, folder, when):
    # An unrelated article the listing keeps showing: a crawl that finds no article link is empty.
    site.articles["/a/nghe-an-1022040900.htm"] = {
        "title": TITLES["nghe-an-nguoi-phat-ngon"], "date": NEW_DATE, "paragraphs": PARAGRAPHS["nghe-an-nguoi-phat-ngon"]}
    site.listed.append("/a/nghe-an-1022040900.htm")
    if when == "archived before":
        two_of_one_template(site, 1022040802, NEW_DATE, "Kỳ Anh")
    crawl(folder)
    (article,) = query(folder, "select id, url, text, published from articles where url like '%0801.htm'")
    if when != "archived before":
        two_of_one_template(site, 1022040802, NEW_DATE, "Kỳ Anh")
        if when == "met only by the redirect":
            site.listed.remove(SIBLING)
    # The portal removes the article and sends its readers to the other notice.
    site.redirects[OLD] = SIBLING
    site.listed.remove(OLD)
    crawl(folder)
    assert query(folder, "select id, url, text, published from articles where id = ?", [article["id"]]) == [article]
    assert query(folder, "select count(*) as n from article_versions where article_id = ?", [article["id"]]) == [
        {"n": 1}]
    assert query(folder, "select url from article_urls where article_id = ?", [article["id"]]) == []
    (fetch,) = query(folder, "select error from fetches where url = ? order by id desc limit 1", [article["url"]])
    assert fetch["error"] == f"redirected to {site.base}{SIBLING}, a page that does not read as the article"
    page = asyncio.run(make_datasette(folder / "archive.db").client.get(f"/-/a/{article['id']}")).text
    assert "The live page now leads to another page, not this article:" in page


@pytest.mark.parametrize("renumbered", ["/tin-tuc/ha-tinh-huong-dan-zalo-oa-cap-xa-5512.htm",
                                        "/tin-tuc/ha-tinh-huong-dan-zalo-oa-cap-xa.htm"], ids=["renumbered", "no number"])
@pytest.mark.parametrize("listed", [False, True], ids=["met by the redirect", "listed too"])
def test_a_portal_that_renumbers_its_articles_keeps_them(site, folder, listed, renumbered):
    # A portal moved to a new CMS gives each article a new number and sends the old URL to it:
    # the page there is the article (its day, its text), however its number differs.
    other = "/a/nghe-an-1022040900.htm"
    site.articles[other] = {"title": TITLES["nghe-an-nguoi-phat-ngon"], "date": NEW_DATE,
                            "paragraphs": PARAGRAPHS["nghe-an-nguoi-phat-ngon"]}
    site.listed.append(other)
    crawl(folder)
    (article,) = query(folder, "select id, url, text, published from articles where url like '%0801.htm'")
    site.move(OLD, renumbered)
    # A portal that moves an article to a new slug or CMS lists the new URL, found before the old
    # one is asked again: the article archived there moments before is the article's URL.
    site.redirects[OLD] = renumbered
    if not listed:
        site.listed.remove(renumbered)
    crawl(folder)
    assert query(folder, "select id, url, text, published from articles where url not like '%0900.htm'") == [article]
    assert {"url": f"{site.base}{renumbered}"} in query(folder, "select url from article_urls where article_id = ?",
                                                         [article["id"]])
    assert query(folder, "select count(*) as n from article_versions") == [{"n": 2}]
    assert query(folder, "select articles_new from crawls order by id desc limit 1") == [{"articles_new": 0}]
    ds = make_datasette(folder / "archive.db")
    page = asyncio.run(ds.client.get(f"/-/a/{article['id']}")).text
    assert "not this article" not in page
    # Both search indexes hold the article once, and nothing of the article folded into it.
    found = asyncio.run(ds.client.get("/-/results.json?q=Zalo+OA+cấp+xã")).json()
    assert [r["id"] for r in found["results"]] == [article["id"]]
    for index in ("articles_fts", "articles_fold"):
        query(folder, f"insert into {index}({index}) values ('integrity-check')")
    for index in ("articles_fts", "articles_fold"):
        assert query(folder, f"select rowid from {index} where {index} match 'zalo'") == [{"rowid": article["id"]}]
