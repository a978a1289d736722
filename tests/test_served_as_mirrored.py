"""What a client mirroring the archive over HTTP relies on: a record or page that agrees with
itself while crawls commit, downloads named as the server named them, a status that tells lost
data from a wrong id, and routes that only read."""

import asyncio
import re

import pytest
from datasette import hookimpl
from datasette.plugins import pm

from archive import ingest
from archive.db import open_db
from archive.serve import make_datasette
from archive.sources import parse_sources
from tests.conftest import store_page

SOURCE = parse_sources(
    '[[source]]\nid = "t"\nname = "T"\nkind = "press"\nhome = "https://t.vn/"\nallowed_domains = ["t.vn"]\n'
    'article_pattern = "x"\nschedule = "0 * * * *"\n[source.discovery]\nfeeds = ["https://t.vn/rss"]\n'
)[0]
ARTICLE = {"url": "https://t.vn/tin/1", "title": "Hà Nội ra mắt kênh Zalo OA", "published": "2024-04-08T14:30:00+07:00",
           "text": "Lần sửa 0: UBND thành phố Hà Nội ra mắt kênh Zalo OA.", "text_hash": "v0"}


def get(ds, path, method="get"):
    return asyncio.run(getattr(ds.client, method)(path))


def crawl_once(path, record, seen_at):
    """A crawl of the article, committed as the crawler commits it."""
    db = open_db(path)
    try:
        crawl = ingest.start_crawl(db, SOURCE, max_pages=None)
        with db.atomic():
            store_page(db, record, source_id="t", seen_at=seen_at, crawl_id=crawl)
    finally:
        db.close()


@pytest.fixture
def archive(tmp_path):
    path = tmp_path / "archive.db"
    crawl_once(path, ARTICLE, "2024-04-08T08:00:00+00:00")
    return path


class CommitAfterArticleRead:
    """A crawl committing a new version of the article while a request is being answered: after
    the request's query of the article row, before its next statement."""

    ARTICLE_ROW = re.compile(r"from articles a\b[^;]*where a\.id = ", re.S)
    __name__ = "commit_after_article_read"  # datasette lists a plugin by its name

    def __init__(self, commit):
        self.commit, self.armed, self.committed = commit, False, False

    @hookimpl
    def prepare_connection(self, conn):
        conn.set_trace_callback(self.traced)

    def traced(self, sql):
        if self.committed:
            return
        if self.armed and not sql.lstrip().lower().startswith(("begin", "commit", "rollback")):
            self.committed = True
            self.commit()
        elif self.ARTICLE_ROW.search(sql):
            self.armed = True


@pytest.mark.parametrize("path", ["/-/article/1.json", "/-/a/1", "/-/diff/1"])
def test_a_record_or_page_is_of_one_moment_though_a_crawl_commits_while_it_is_read(archive, path):
    before = get(make_datasette(archive), path)
    assert before.status_code == 200
    edited = {**ARTICLE, "text": "Lần sửa 1: UBND thành phố Hà Nội ra mắt kênh Zalo OA và Fanpage.", "text_hash": "v1"}
    hook = CommitAfterArticleRead(lambda: crawl_once(archive, edited, "2024-04-09T08:00:00+00:00"))
    pm.register(hook, name="commit-after-article-read")
    try:
        during = get(make_datasette(archive), path)
    finally:
        pm.unregister(name="commit-after-article-read")
    assert hook.committed
    # The new version came too late for this answer: it is the whole answer as before it.
    assert during.status_code == 200 and during.text == before.text
    after = get(make_datasette(archive), path)
    assert after.text != before.text
    if path.endswith(".json"):
        record = after.json()
        assert record["versions"] == 2 and [v["text_hash"] for v in record["earlier_versions"]] == ["v0"]
