"""Re-checks of a portal that moved to another host, and of a source whose sources.toml entry
changed under its archive: an article is asked for again where the source allows, once a crawl."""

import sqlite3

from archive.db import open_db
from archive.history import History
from archive.rechecks import due_for_recheck
from archive.sources import parse_sources
from tests.conftest import crawl_into, query, serve_routes
from tests.test_rechecks import site  # noqa: F401 (the fixture)
from tests.test_sources import GOOD
from tests.test_variants import write_sources

OLD, NEW = "127.0.0.1", "localhost"


def test_a_portal_moved_to_another_host_is_rechecked_there(site, tmp_path):  # noqa: F811
    hosts = {"moved": False}
    moved_away = {}  # paths the old host answers itself, after the move

    def answer(path, _base, headers):
        host = headers["Host"].split(":")[0]
        if host == OLD and hosts["moved"]:
            if path in moved_away:
                return moved_away[path]
            return 301, {"Location": f"http://{NEW}:{port}{path}"}, b""
        return site.answer(path)

    with serve_routes(answer, with_headers=True) as (base, hits):
        port = base.rsplit(":", 1)[1]
        new_base = f"http://{NEW}:{port}"
        write_sources(tmp_path, base)
        crawl(tmp_path)
        ids = {row["url"].rsplit("/", 1)[1]: row["id"] for row in query(tmp_path, "select id, url from articles")}
        assert len(ids) == 4

        # The portal moves; the sources file follows it and still allows the old host. Its listing
        # no longer shows one article, which the old host now answers as removed.
        hosts["moved"] = True
        moved_away["/a/quang-tri.htm"] = 404, {"Content-Type": "text/html"}, b"<html><body>Not found</body></html>"
        site.listed = ["/a/da-nang-tin-gia.htm", "/a/nghe-an.htm", "/a/ha-tinh.htm"]
        write_sources(tmp_path, new_base, hosts=(NEW, OLD))
        mark = len(hits)
        crawl(tmp_path)
        new_urls = {row["url"] for row in query(tmp_path, "select url from article_urls")}
        assert {f"{new_base}{path}" for path in site.listed} <= new_urls
        # Those the listing led to are asked for once more at their old URLs, whose redirects
        # the archive then holds (the reading room's "moved"), and the old host's 404 is recorded.
        asked = [path for _, path in hits[mark:] if path.startswith("/a/")]
        assert sorted(asked) == sorted([*site.listed * 3, "/a/quang-tri.htm"]), asked
        # Not again: a crawl reading them at their new URLs does not ask their old ones.
        mark = len(hits)
        crawl(tmp_path)
        asked = [path for _, path in hits[mark:] if path.startswith("/a/")]
        assert sorted(asked) == sorted([*site.listed, "/a/quang-tri.htm"]), asked

        # The old host is dropped. The portal removes one article, edits another, lists neither.
        write_sources(tmp_path, new_base, hosts=(NEW,))
        site.paths["da-nang-tin-gia"] = "/a/removed.htm"
        site.texts["nghe-an-nguoi-phat-ngon"][1] = "Người phát ngôn trả lời báo chí mỗi chiều thứ Sáu tại trụ sở."
        site.listed = ["/a/ha-tinh.htm"]
        mark = len(hits)
        result = crawl(tmp_path)
        asked = [path for _, path in hits[mark:] if path.startswith("/a/")]
        assert sorted(asked) == ["/a/da-nang-tin-gia.htm", "/a/ha-tinh.htm", "/a/nghe-an.htm"], asked
        last = query(tmp_path, "select status from fetches where url = ? order by id desc limit 1",
                     [f"{new_base}/a/da-nang-tin-gia.htm"])
        assert last == [{"status": 404}]
        # The reading room and exports say so, though the article's own URL, on the old host,
        # last answered with the page.
        history = History(sqlite3.connect(tmp_path / "archive.db"), tmp_path / "archive.db")
        gone = history.live_state(f"{base}/a/da-nang-tin-gia.htm")
        assert (gone["kind"], gone["status"]) == ("gone", 404), gone
        # Edited at its new address, and there still: moved.
        assert history.live_state(f"{base}/a/nghe-an.htm")["kind"] == "moved"
        versions = query(tmp_path, "select count(*) as n from article_versions where article_id = ?",
                         [ids["nghe-an.htm"]])
        assert versions == [{"n": 2}]
        # The article archived only at the old host is named, not dropped without a word.
        assert (f"mau: 1 archived articles have no URL inside allowed_domains ['{NEW}'] and can no longer be "
                f"re-checked, e.g. {base}/a/quang-tri.htm") in result.stderr, result.stderr


def crawl(folder):
    result = crawl_into(folder)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def _archive(path):
    """An archive of GOOD's source, empty."""
    db = open_db(path)
    db["sources"].insert({"id": "demo-portal"})
    return db


def _article(db, url, *others):
    """An article archived at ``url``, with ``others`` URLs of its own, each fetched once, in
    the order given."""
    article_id = db["articles"].insert({"url": url, "source_id": "demo-portal"}).last_pk
    for other in others:
        db["article_urls"].insert({"url": other, "article_id": article_id})
    for each in (url, *others):
        db["fetches"].insert({"url": each, "source_id": "demo-portal", "kind": "article", "status": 200})
    return article_id


def test_a_fetch_at_any_of_its_urls_counts_as_an_articles_check(tmp_path):
    db = _archive(tmp_path / "archive.db")
    old = "https://hanoi.gov.vn/tin-tuc/cu-1.htm"
    _article(db, old)
    _article(db, "https://hanoi.gov.vn/tin-tuc/b-2.htm")
    _article(db, "https://hanoi.gov.vn/tin-tuc/c-3.htm")
    # The first article is fetched again at another of its URLs, last.
    db["article_urls"].insert({"url": "https://hanoi.gov.vn/tin-tuc/moi-1.htm", "article_id": 1})
    db["fetches"].insert({"url": "https://hanoi.gov.vn/tin-tuc/moi-1.htm", "source_id": "demo-portal",
                          "kind": "article", "status": 200})
    # Its own URL, not asked since the other appeared, comes by its own last fetch: a print copy
    # that every crawl reaches would otherwise keep it last for good. It may now answer 404, or
    # lead to the other URL.
    assert due_for_recheck(db, "demo-portal", 3).urls == [
        old, "https://hanoi.gov.vn/tin-tuc/b-2.htm", "https://hanoi.gov.vn/tin-tuc/c-3.htm"]
    # So also when this crawl read it at the other URL.
    new = {"https://hanoi.gov.vn/tin-tuc/moi-1.htm"}
    assert due_for_recheck(db, "demo-portal", 3, skip=new).urls == [
        old, "https://hanoi.gov.vn/tin-tuc/b-2.htm", "https://hanoi.gov.vn/tin-tuc/c-3.htm"]
    # Once asked, its last fetch at any of its URLs places it, and a crawl that reads it at the
    # other URL does not ask it again.
    db["fetches"].insert({"url": old, "source_id": "demo-portal", "kind": "article", "status": 301})
    assert due_for_recheck(db, "demo-portal", 3).urls == [
        "https://hanoi.gov.vn/tin-tuc/b-2.htm", "https://hanoi.gov.vn/tin-tuc/c-3.htm", old]
    assert due_for_recheck(db, "demo-portal", 3, skip=new).urls == [
        "https://hanoi.gov.vn/tin-tuc/b-2.htm", "https://hanoi.gov.vn/tin-tuc/c-3.htm"]


def test_an_article_is_rechecked_where_the_source_allows(tmp_path):
    (source,) = parse_sources(GOOD.replace('allowed_domains = ["hanoi.gov.vn"]',
                                           'allowed_domains = ["hanoi.gov.vn", "old.hanoi.vn"]'))
    db = _archive(tmp_path / "archive.db")
    # Moved from another host, which still answers: asked for at its own URL while the archive
    # has not asked it since the new URL appeared (to learn where it leads), then at the URL the
    # pattern matches.
    _article(db, "https://old.hanoi.vn/tin/1.htm", "https://hanoi.gov.vn/tin-tuc/a-1.htm")
    # Moved from a host no longer allowed, and read since at two URLs: the one read last.
    _article(db, "https://gone.example/tin/2.htm", "https://hanoi.gov.vn/tin-tuc/b-cu-2.htm",
             "https://hanoi.gov.vn/tin-tuc/b-2.htm")
    # Archived on a host no longer allowed, and nowhere else.
    _article(db, "https://gone.example/tin/3.htm")
    # article_pattern, since changed, matches none of its URLs: asked where it is, since a portal
    # that reorganised its paths redirects the old ones.
    _article(db, "https://hanoi.gov.vn/video/4.htm")
    # At its own URL, which is as the source still has it.
    _article(db, "http://hanoi.gov.vn/tin-tuc/e-5.htm")
    due = due_for_recheck(db, source.id, 10, source=source)
    assert due.urls == ["https://old.hanoi.vn/tin/1.htm", "https://hanoi.gov.vn/tin-tuc/b-2.htm",
                        "https://hanoi.gov.vn/video/4.htm", "https://hanoi.gov.vn/tin-tuc/e-5.htm"]
    assert (due.outside, due.outside_shown) == (1, ["https://gone.example/tin/3.htm"])
    db["fetches"].insert({"url": "https://old.hanoi.vn/tin/1.htm", "source_id": "demo-portal", "kind": "article",
                          "status": 301})
    assert due_for_recheck(db, source.id, 10, source=source).urls == [
        "https://hanoi.gov.vn/tin-tuc/b-2.htm", "https://hanoi.gov.vn/video/4.htm",
        "https://hanoi.gov.vn/tin-tuc/e-5.htm", "https://hanoi.gov.vn/tin-tuc/a-1.htm"]


def test_an_article_gone_from_the_host_it_moved_to_is_gone(tmp_path):
    # The old host was dropped from allowed_domains with the move: its URL never answered again,
    # and the article was re-checked at its new URL, which now answers 404.
    db = _archive(tmp_path / "archive.db")
    old, new, printed = ("https://sotttt.bacgiang.gov.vn/tin/1.htm", "https://bacninh.gov.vn/tin/1.htm",
                         "https://sotttt.bacgiang.gov.vn/tin/1.htm?print=1")
    _article(db, old, new)
    db["fetches"].insert({"url": new, "source_id": "demo-portal", "kind": "article", "status": 404})
    # Another article's print copy, on its own host, answers 404: that says nothing of the page.
    _article(db, "https://sotttt.bacgiang.gov.vn/tin/2.htm", printed.replace("1.htm", "2.htm"))
    db["fetches"].insert({"url": printed.replace("1.htm", "2.htm"), "source_id": "demo-portal",
                          "kind": "article", "status": 404})
    db.execute("update fetches set fetched_at = '2026-11-0' || id || 'T00:00:00+00:00'")
    history = History(db.conn, tmp_path / "archive.db")
    state = history.live_state(old)
    assert (state["kind"], state["status"]) == ("gone", 404), state
    assert history.live_state("https://sotttt.bacgiang.gov.vn/tin/2.htm") is None
