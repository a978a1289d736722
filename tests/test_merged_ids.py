"""An article folded into another (a twin, ingest._take_in_twin: a portal moved it to a new URL,
which a crawl archived as an article of its own moments before the old URL's redirect said the
two are one) leaves its id, and its version's, to no other row: a mirror syncing on ids, and a
citation of ``/-/a/<id>`` taken during the crawl, go on naming the article they named."""

import asyncio
import hashlib

import pytest

from archive import ingest, syndication
from archive.serve import make_datasette
from archive.sources import Source

SOURCE = Source(id="s", name="S", kind="press", home="http://s.example/", allowed_domains=("s.example",),
                article_pattern=r".*", schedule="0 * * * *")
OLD = "http://s.example/tin/zalo-oa-1022040801.htm"
NEW = "http://s.example/tin-tuc/huong-dan-zalo-oa-5512.htm"
FIRST = {"title": "Hà Tĩnh hướng dẫn Zalo OA cấp xã", "published": "2024-04-08T09:30:00+07:00",
        "text": "Sở Thông tin và Truyền thông hướng dẫn các xã mở Zalo OA.\nNgười dân gửi phản ánh qua Zalo OA."}
ZALO = {**FIRST, "text": FIRST["text"] + "\nKênh hoạt động trong giờ hành chính."}
OTHER = {"title": "Nghệ An có người phát ngôn mới", "published": "2024-04-07T08:00:00+07:00",
         "text": "Ủy ban nhân dân tỉnh Nghệ An công bố người phát ngôn.\nNgười phát ngôn trả lời báo chí hằng tuần."}
LATER = {"title": "Quảng Bình mở chuyên mục hỏi đáp", "published": "2024-04-10T08:00:00+07:00",
         "text": "Cổng thông tin tỉnh mở chuyên mục hỏi đáp.\nNgười dân gửi câu hỏi qua cổng thông tin."}


def store(db, crawl, url, fields, *, also_at=None):
    record = {"url": url, **fields, "text_hash": hashlib.sha1(fields["text"].encode()).hexdigest(),
              "minhash": syndication.signature(fields["text"])}
    # A WARC record named, not written: nothing here reads a capture.
    fetch = ingest.record_fetch(db, crawl_id=crawl, source_id="s", url=also_at or url, requested_url=url,
                                kind="article", status=200, warc={"file": "c.warc.gz", "offset": 0, "length": 1})
    with db.atomic():
        return ingest.store_article(db, ingest.prepare(record), source_id="s", fetch_id=fetch,
                                    seen_at=ingest.now_iso(), also_at=also_at)


def crawl(db, *pages):
    crawl_id = ingest.start_crawl(db, SOURCE, max_pages=None)
    return [store(db, crawl_id, url, fields, **kwargs) for url, fields, kwargs in pages]


def one(db, sql, params=()):
    return db.execute(sql, params).fetchone()


def merge(path, at_merge=ZALO):
    """An archive at ``path`` whose newest article (the twin) was folded into an older one, read
    as ``at_merge`` at its old URL when the redirect led there: the survivor's id, and the ids the
    twin and its version had."""
    from archive.db import open_db

    db = open_db(path)
    assert crawl(db, (OLD, FIRST, {}), ("http://s.example/tin/nghe-an-1022040900.htm", OTHER, {})) == ["new", "new"]
    (article,) = one(db, "select id from articles where url = ?", [OLD])
    # The portal edits the article and moves it: its new URL, listed, is archived first; then the
    # old one redirects to it.
    moving = ingest.start_crawl(db, SOURCE, max_pages=None)
    assert store(db, moving, NEW, ZALO) == "new"
    twin, twin_version = one(db, "select a.id, v.id from articles a join article_versions v on v.article_id = a.id "
                                 "where a.url = ?", [NEW])
    assert twin == one(db, "select max(id) from articles")[0]
    assert store(db, moving, OLD, at_merge, also_at=NEW) == "changed"
    assert one(db, "select count(*) from articles where id = ?", [twin]) == (0,)
    db.close()
    return article, twin, twin_version


@pytest.fixture
def merged(tmp_path):
    path = tmp_path / "archive.db"
    return (path, *merge(path))


def test_the_id_of_an_article_folded_into_another_is_never_given_again(merged):
    from archive.db import open_db

    path, article, twin, twin_version = merged
    db = open_db(path)
    assert crawl(db, ("http://s.example/tin/quang-binh-1022041000.htm", LATER, {})) == ["new"]
    later, later_version = one(db, "select a.id, v.id from articles a join article_versions v on v.article_id = a.id "
                                   "where a.title = ?", [LATER["title"]])
    assert later > twin and later_version > twin_version
    # The article the twin was folded into is what its id names.
    assert one(db, "select into_id from merged_articles where id = ?", [twin]) == (article,)


def get(ds, path):
    return asyncio.run(ds.client.get(path))


def test_a_merged_article_s_address_leads_to_the_article_it_was_folded_into(merged):
    path, article, twin, _ = merged
    ds = make_datasette(path)
    for asked, answer in ((f"/-/a/{twin}", f"/-/a/{article}"), (f"/-/diff/{twin}", f"/-/diff/{article}"),
                          (f"/-/article/{twin}.json", f"/-/article/{article}.json")):
        response = get(ds, asked)
        assert (response.status_code, response.headers.get("location")) == (301, answer), asked
        assert get(ds, answer).status_code == 200


def test_a_merged_article_s_version_leads_to_the_version_of_the_same_text(merged):
    # The twin's one version is the text the article had at the merge: there, the article's
    # second version (its first is the text before the portal's edit).
    path, article, twin, _ = merged
    ds = make_datasette(path)
    response = get(ds, f"/-/a/{twin}?version=1")
    assert (response.status_code, response.headers.get("location")) == (301, f"/-/a/{article}?version=2")
    page = get(ds, f"/-/a/{article}?version=2").text
    assert "Kênh hoạt động trong giờ hành chính." in page
    # A version it never had is none, as before the merge.
    assert get(ds, f"/-/a/{twin}?version=2").status_code == 404


def test_a_merged_article_s_version_the_article_has_no_version_of_says_so(tmp_path):
    # The page was edited between the two fetches: what the twin read is no version of the
    # article's, and its number there is another text. The page says where its capture is.
    path = tmp_path / "archive.db"
    edited = {**ZALO, "text": ZALO["text"] + "\nĐã có 120 phản ánh."}
    article, twin, _ = merge(path, at_merge=edited)
    response = get(make_datasette(path), f"/-/a/{twin}?version=1")
    assert response.status_code == 200
    assert "merged into" in response.text and f'href="/-/a/{article}"' in response.text


def test_an_article_merged_into_one_merged_in_turn_leads_to_where_both_are(tmp_path):
    # The portal moved the article twice before a crawl came: the crawl archives both new URLs,
    # then learns from each older URL's redirect that the next one is the same article.
    from archive.db import open_db

    path = tmp_path / "archive.db"
    db = open_db(path)
    assert crawl(db, (OLD, FIRST, {})) == ["new"]
    (article,) = one(db, "select id from articles where url = ?", [OLD])
    first_move, second_move = "http://s.example/tin-tuc/zalo-oa-cap-xa.htm", NEW
    assert crawl(db, (first_move, ZALO, {}), (second_move, ZALO, {}), (first_move, ZALO, {"also_at": second_move}),
                 (OLD, ZALO, {"also_at": first_move})) == ["new", "new", "unchanged", "changed"]
    assert db.execute("select id, into_id from merged_articles order by id").fetchall() == [
        (article + 1, article), (article + 2, article)]
    db.close()
    ds = make_datasette(path)
    for merged_id in (article + 1, article + 2):
        response = get(ds, f"/-/a/{merged_id}")
        assert (response.status_code, response.headers.get("location")) == (301, f"/-/a/{article}")
