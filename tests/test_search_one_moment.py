"""The search page and its JSON read the archive as one moment left it: a crawl committing
between their queries does not make the title's count, the rows, the source facet and the
chart count different articles."""

import asyncio
import re

import lxml.html
import pytest
from datasette import hookimpl
from datasette.plugins import pm

from archive import ingest
from archive.db import open_db
from archive.serve import make_datasette
from archive.sources import parse_sources
from tests.conftest import store_page


def source(id):
    return parse_sources(
        f'[[source]]\nid = "{id}"\nname = "{id.upper()}"\nkind = "press"\nhome = "https://{id}.vn/"\n'
        f'allowed_domains = ["{id}.vn"]\narticle_pattern = "x"\nschedule = "0 * * * *"\n'
        f'[source.discovery]\nfeeds = ["https://{id}.vn/rss"]\n'
    )[0]


def article(site, n, month):
    return {"url": f"https://{site}.vn/tin/{n}", "title": f"Ra mắt kênh Zalo OA số {n}",
            "published": f"2024-{month:02d}-08T14:30:00+07:00", "text_hash": f"{site}{n}",
            "text": f"UBND ra mắt kênh Zalo OA số {n} để người dân phản ánh."}


def crawl(path, site, articles):
    """A crawl of ``site`` storing ``articles``, committed as the crawler commits it."""
    db = open_db(path)
    try:
        crawl_id = ingest.start_crawl(db, source(site), max_pages=None)
        with db.atomic():
            for record in articles:
                store_page(db, record, source_id=site, seen_at="2024-05-01T08:00:00+00:00", crawl_id=crawl_id)
    finally:
        db.close()


@pytest.fixture
def archive(tmp_path):
    path = tmp_path / "archive.db"
    crawl(path, "t", [article("t", n, n) for n in range(1, 4)])
    return path


class CommitAfterCount:
    """A crawl committing more matching articles while a search is answered: after the search's
    count of its matches (bound(): the query naming the floor), before its next statement; and
    again so each time the search begins to read the archive anew (a read transaction begins)."""

    COUNT = re.compile(r"\bas floor\b")
    __name__ = "commit_after_count"  # datasette lists a plugin by its name

    def __init__(self, archive):
        self.archive, self.armed, self.ready, self.commits, self.transactions = archive, False, True, 0, 0

    @hookimpl
    def prepare_connection(self, conn):
        conn.set_trace_callback(self.traced)

    def traced(self, sql):
        if sql.lstrip().lower().startswith(("begin", "commit", "rollback")):
            if sql.lstrip().lower().startswith("begin"):
                self.transactions += 1
                self.ready = True
        elif self.armed:
            self.armed = self.ready = False
            self.commits += 1
            crawl(self.archive, "u", [article("u", 10 * self.commits + n, n) for n in (4, 5)])
        elif self.ready and self.COUNT.search(sql):
            self.armed = True


def get_while_a_crawl_commits(archive, path):
    hook = CommitAfterCount(archive)
    pm.register(hook, name="commit-after-count")
    try:
        response = asyncio.run(make_datasette(archive).client.get(path))
    finally:
        pm.unregister(name="commit-after-count")
    assert response.status_code == 200
    return response, hook


def page_numbers(html):
    page = lxml.html.fromstring(html)
    source_facet = [int(n) for n in page.xpath('//section[@data-facet="source"]//span[@class="count"]/text()')]
    legend = [int(re.search(r"\((\d+)\)", li.text_content())[1]) for li in page.xpath('//ul[@class="legend"]/li')]
    return {
        "title": int(re.search(r"<title>.*?(\d+) kết quả", html, re.S)[1]),
        "count": int(page.xpath('string(//*[@id="result-count"])')),
        "rows": len(page.xpath('//ol[@id="results"]/li')),
        "source facet": sum(source_facet),
        "month facet": sum(int(n) for n in page.xpath('//section[@data-facet="month"]//span[@class="count"]/text()')),
        "chart": sum(legend),
    }


def test_the_search_pages_numbers_are_of_one_moment_though_a_crawl_commits_while_it_is_read(archive):
    response, hook = get_while_a_crawl_commits(archive, "/-/search?q=zalo")
    # Read on datasette's connections, then, a commit having come between two queries, again in a
    # transaction, which the second commit came too late for: the page counts the three articles
    # and the first two added, every number on it.
    numbers = page_numbers(response.text)
    assert len(set(numbers.values())) == 1, numbers
    assert numbers["title"] == 5 and hook.commits == 2 and hook.transactions == 1
    after = page_numbers(asyncio.run(make_datasette(archive).client.get("/-/search?q=zalo")).text)
    assert after == dict.fromkeys(after, 7)


def test_the_ranked_json_is_of_one_moment_though_a_crawl_commits_while_it_is_read(archive):
    response, hook = get_while_a_crawl_commits(archive, "/-/results.json?q=zalo")
    body = response.json()
    assert body["count"] == len(body["results"]), body
    assert body["count"] == 5 and body["pages"] == 1 and hook.commits == 2


@pytest.mark.parametrize("path", ["/-/search?q=zalo", "/-/results.json?q=zalo"])
def test_a_search_nothing_commits_during_is_read_once_its_queries_side_by_side(archive, path):
    # One transaction would put the page's queries one after another: a quarter slower.
    hook = CommitAfterCount(archive)
    hook.ready = False
    pm.register(hook, name="commit-after-count")
    try:
        assert asyncio.run(make_datasette(archive).client.get(path)).status_code == 200
    finally:
        pm.unregister(name="commit-after-count")
    assert hook.transactions == 0
