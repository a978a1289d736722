"""Earlier versions searchable: a search finds what a page said before it was corrected, which
the article no longer says (archive.search.earlier_versions over the ``versions_fold`` index of
migration m030), and the reading room lists those versions after the results."""

import asyncio
import hashlib
import logging
import sqlite3

import lxml.html
import pytest
from datasette.plugins import pm
from sqlite_utils import Database

from archive import carryover, ingest, syndication
from archive import search as search_module
from archive.db import migrations, open_db
from archive.reextract import reextract
from archive.search import bounded_search, earlier_versions, row_filter_words
from archive.serve import make_datasette
from archive.sources import Source
from tests.test_live_changes import PARAGRAPHS, PATH, site  # noqa: F401
from tests.test_search_one_moment import CommitAfterCount
from tests.test_variants import crawl, folder  # noqa: F401


def _source(source_id, formerly=()):
    return Source(id=source_id, name=f"Cổng {source_id}", kind="press", home=f"http://{source_id}.example/",
                  allowed_domains=(f"{source_id}.example",), article_pattern=r".*", schedule="0 * * * *",
                  formerly=tuple(formerly))


def store(db, source_id, url, title, text, seen_at, published="2024-05-03T09:00:00+07:00"):
    record = {"url": url, "title": title, "text": text, "published": published,
              "text_hash": hashlib.sha1(text.encode()).hexdigest(), "minhash": syndication.signature(text)}
    # A WARC record named, not written: nothing here reads a capture.
    fetch = ingest.record_fetch(db, crawl_id=None, source_id=source_id, url=url, kind="article", status=200,
                                fetched_at=seen_at, warc={"file": "c.warc.gz", "offset": 0, "length": 1})
    with db.atomic():
        return ingest.store_article(db, ingest.prepare(record), source_id=source_id, fetch_id=fetch, seen_at=seen_at)


CORRECTED = "http://s.example/tin/quyet-dinh-so-hoa.html"  # said 93/QĐ-STTTT, now 95/QĐ-STTTT
STILL = "http://s.example/tin/ke-hoach-zalo.html"  # says 93/QĐ-STTTT in both versions
ROAD = "http://t.example/tin/duong-le-loi.html"  # another source; its date moved from March to April
BRIDGES = [f"http://s.example/tin/cau-{n}.html" for n in range(3)]  # each once named cầu Rồng
REDATED = "http://s.example/tin/hoa-ban.html"  # the same words, its date corrected from March to April


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    path = tmp_path_factory.mktemp("earlier") / "archive.db"
    db = open_db(path)
    for source_id in ("s", "t"):
        ingest.register_source(db, _source(source_id))
    day = iter(f"2024-05-{n:02d}T01:00:00+00:00" for n in range(1, 32))
    steps = [
        ("s", CORRECTED, "Sở công bố quyết định chuyển đổi số", "Theo Quyết định số 93/QĐ-STTTT, các xã mở Zalo OA."),
        ("s", STILL, "Kế hoạch Zalo OA", "Kế hoạch thực hiện Quyết định số 93/QĐ-STTTT của Sở."),
        ("t", ROAD, "Đường Lê Lợi", "Đường Lê Lợi được sửa chữa trong tháng Ba.", "2024-03-20T08:00:00+07:00"),
        *[("s", url, f"Cầu số {n}", f"Xe qua cầu Rồng đi đường số {n}.") for n, url in enumerate(BRIDGES)],
        ("s", REDATED, "Lễ hội hoa ban", "Lễ hội hoa ban mở cửa.", "2024-03-15T08:00:00+07:00"),
        ("s", CORRECTED, "Sở công bố quyết định chuyển đổi số", "Theo Quyết định số 95/QĐ-STTTT, các xã mở Zalo OA."),
        ("s", STILL, "Kế hoạch Zalo OA", "Kế hoạch thực hiện Quyết định số 93/QĐ-STTTT của Sở, có bổ sung."),
        ("t", ROAD, "Đường Lê Lợi", "Đường Lê Lợi đã thông xe.", "2024-04-02T08:00:00+07:00"),
        *[("s", url, f"Cầu số {n}", f"Xe đi đường số {n}.") for n, url in enumerate(BRIDGES)],
        ("s", REDATED, "Lễ hội hoa ban", "Lễ hội hoa ban mở cửa.", "2024-04-15T08:00:00+07:00"),
    ]
    outcomes = [store(db, source_id, url, title, text, next(day), *published)
                for source_id, url, title, text, *published in steps]
    assert outcomes == ["new"] * 7 + ["changed"] * 7
    ids = {url: db.execute("select id from articles where url = ?", [url]).fetchone()[0]
           for url in (CORRECTED, STILL, ROAD, REDATED, *BRIDGES)}
    db.close()
    return path, ids


@pytest.fixture(scope="module")
def db(archive):
    db = open_db(archive[0])
    yield db
    db.close()


def found(db, q, **kwargs):
    return [(r["article_id"], r["version"]) for r in earlier_versions(db, q, **kwargs).results]


def test_a_corrected_number_is_found_in_the_version_that_said_it_not_in_the_article(db, archive):
    _path, ids = archive
    earlier = earlier_versions(db, "93/QĐ-STTTT")
    # The article that still says 93 is a result, and none of its versions is listed.
    assert [r["id"] for r in bounded_search(db, "93/QĐ-STTTT").results] == [ids[STILL]]
    assert [(r["article_id"], r["version"], r["versions"]) for r in earlier.results] == [(ids[CORRECTED], 1, 2)]
    (version,) = earlier.results
    assert (earlier.count, earlier.articles, earlier.more) == (1, 1, False)
    assert version["title"] == "Sở công bố quyết định chuyển đổi số" and version["source_id"] == "s"
    assert version["captured_at"] == "2024-05-01T01:00:00+00:00"
    assert version["snippet"] == "Theo Quyết định số [93]/[QĐ]-[STTTT], các xã mở Zalo OA."
    # The number it says now finds the article, and no earlier version.
    assert [r["id"] for r in bounded_search(db, "95/QĐ-STTTT").results] == [ids[CORRECTED]]
    assert earlier_versions(db, "95/QĐ-STTTT").count == 0


@pytest.mark.parametrize("q", ["93/QĐ-STTTT", "93/QD-STTTT", "93/qd-stttt", "quyet dinh so 93"])
def test_with_or_without_accents(db, archive, q):
    assert found(db, q) == [(archive[1][CORRECTED], 1)]


@pytest.mark.parametrize("q", ["sửa chữa", "sua chua", "SỬA CHỮA tháng ba"])
def test_accents_of_words_only_an_earlier_version_has(db, archive, q):
    assert found(db, q) == [(archive[1][ROAD], 1)]


def test_the_source_filter_is_the_version_s(db, archive):
    ids = archive[1]
    assert found(db, "93/QĐ-STTTT", source="s") == [(ids[CORRECTED], 1)]
    assert found(db, "93/QĐ-STTTT", source="t") == []
    assert found(db, "sửa chữa", source="t") == [(ids[ROAD], 1)]


def test_the_month_filter_is_the_version_s_own_month(db, archive):
    # Version 1 was dated March; the article now is dated April.
    assert found(db, "sửa chữa", month="2024-03") == [(archive[1][ROAD], 1)]
    assert found(db, "sửa chữa", month="2024-04") == []
    # The article says it still, in April: in March only its earlier version did, and the
    # results of March miss the article.
    assert found(db, "hoa ban") == [] and found(db, "hoa ban", month="2024-04") == []
    assert found(db, "hoa ban", month="2024-03") == [(archive[1][REDATED], 1)]


def test_past_the_search_limit_the_versions_archived_most_recently(db, archive):
    ids = archive[1]
    newest_first = [(ids[url], 1) for url in reversed(BRIDGES)]
    assert found(db, "cầu Rồng") == newest_first
    counted = earlier_versions(db, "cau rong", search_limit=2, limit=1)
    assert (counted.count, counted.more, counted.articles) == (2, True, 2)
    assert [(r["article_id"], r["version"]) for r in counted.results] == newest_first[:1]
    assert earlier_versions(db, "cau rong", search_limit=3)[1:] == (3, 3, False, 3)
    # A version of an article that still matches takes its place among those looked at: the
    # newest version with 93/QĐ-STTTT is of the article that says it still.
    assert earlier_versions(db, "93/QĐ-STTTT", search_limit=2)[1:] == (1, 1, False, 2)
    assert earlier_versions(db, "93/QĐ-STTTT", search_limit=1)[1:] == (0, 0, True, 1)


def get(ds, path):
    response = asyncio.run(ds.client.get(path))
    assert response.status_code == 200, (path, response.text[:500])
    return response


def section(ds, q, **args):
    query = "&".join([f"q={q}", *(f"{k}={v}" for k, v in args.items())])
    tree = lxml.html.fromstring(get(ds, f"/-/search?{query}").text)
    return tree, tree.cssselect("#earlier-versions")


def words(element):
    return " ".join(element.text_content().split())


def test_results_json_lists_the_earlier_versions(archive):
    path, ids = archive
    body = get(make_datasette(path), "/-/results.json?q=93/QD-STTTT").json()
    assert [r["id"] for r in body["results"]] == [ids[STILL]]
    earlier = body["earlier_versions"]
    assert (earlier["count"], earlier["more"]) == (1, False)
    article = ids[CORRECTED]
    assert earlier["results"] == [{
        "article_id": article, "version": 1, "versions": 2, "title": "Sở công bố quyết định chuyển đổi số",
        "captured_at": "2024-05-01T01:00:00+00:00", "source_id": "s",
        "snippet": "Theo Quyết định số [93]/[QĐ]-[STTTT], các xã mở Zalo OA.", "read_otherwise": [],
        "archive_url": f"http://localhost/-/a/{article}?version=1", "article_url": f"http://localhost/-/a/{article}",
    }]
    assert get(make_datasette(path), "/-/results.json?q=95/QD-STTTT").json()["earlier_versions"]["count"] == 0
    assert get(make_datasette(path), "/-/results.json").json()["earlier_versions"] is None


def test_the_search_page_lists_them_after_the_results(archive):
    path, ids = archive
    ds = make_datasette(path)
    article = ids[CORRECTED]
    tree, (listed,) = section(ds, "93/QĐ-STTTT")
    assert words(listed.cssselect("h2")[0]) == "Phiên bản trước / Earlier versions"
    assert words(listed.cssselect("#earlier-count")[0]) == (
        "1 phiên bản trước của 1 bài viết có nội dung này, dù bài viết đó nay không còn nội dung này / "
        "1 earlier version of 1 article says this, though the article no longer does")
    (item,) = listed.cssselect("li")
    assert [a.get("href") for a in item.cssselect("a")] == [f"/-/a/{article}?version=1", f"/-/a/{article}"]
    assert words(item.cssselect("h3")[0]) == "Sở công bố quyết định chuyển đổi số"
    assert item.cssselect("h3 span")[0].get("lang") == "vi"
    # Captured 01:00 UTC, 08:00 in Vietnam.
    assert words(item.cssselect(".meta")[0]) == "Cổng s · phiên bản 1/2 / version 1 of 2 · lưu lúc / captured 08:00 01/05/2024"
    assert item.cssselect(".meta time")[0].get("datetime") == "2024-05-01T01:00:00+00:00"
    assert [words(m) for m in item.cssselect(".snippet mark")] == ["93", "QĐ", "STTTT"]
    assert "UTC+7" in words(listed.cssselect(".table-note")[0])
    # After the results: the article that still says it comes first.
    assert tree.cssselect("#results a")[0].get("href") == f"/-/a/{ids[STILL]}"
    # The number the article says now: the article, and no section.
    tree, none = section(ds, "95/QĐ-STTTT")
    assert none == [] and [a.get("href") for a in tree.cssselect("#results h3 a")] == [f"/-/a/{article}"]


def test_when_only_earlier_versions_say_it_the_page_says_so(archive):
    ds = make_datasette(archive[0])
    tree, (listed,) = section(ds, "sửa chữa")
    assert [words(p) for p in tree.cssselect("p.empty")] == [
        "Không bài viết nào hiện nay có nội dung này; phiên bản trước của một bài viết thì có / "
        "No article says this now; an earlier version of one article did"]
    assert words(listed.cssselect(".meta")[0]).startswith("Cổng t · phiên bản 1/2")
    # Filtered as the results are; a version filed under the month, not only found by its words,
    # is said to match the search, not to say it.
    assert section(ds, "sửa chữa", month="2024-04")[1] == []
    tree, (listed,) = section(ds, "sửa chữa", month="2024-03", source="t")
    assert [words(p) for p in tree.cssselect("p.empty")] == [
        "Không bài viết nào hiện nay khớp với tìm kiếm này; phiên bản trước của một bài viết thì có / "
        "No article matches this search now; an earlier version of one article did"]
    assert words(listed.cssselect("#earlier-count")[0]) == (
        "1 phiên bản trước của 1 bài viết khớp với tìm kiếm này, dù bài viết đó nay không còn khớp / "
        "1 earlier version of 1 article matches this search, though the article no longer does")


def test_a_version_read_by_other_rules_than_the_article_now_is_marked(archive, tmp_path):
    # After reextract with new [source.extract] rules, an earlier version read by the old ones
    # may say what the page still says and the new rules leave out: not an edit on the site.
    path = tmp_path / "copy.db"
    path.write_bytes(archive[0].read_bytes())
    article = archive[1][CORRECTED]
    with sqlite3.connect(path) as conn:
        conn.execute("update article_versions set extractor_version = 'govarchive-9' where article_id = ?", [article])
        conn.execute("update articles set extractor_version = 'govarchive-9+rules-0a1b2c3d' where id = ?", [article])
    ds = make_datasette(path)
    (version,) = get(ds, "/-/results.json?q=93/QD-STTTT").json()["earlier_versions"]["results"]
    assert version["read_otherwise"] == ["rules"]
    tree, (listed,) = section(ds, "93/QD-STTTT")
    assert words(listed.cssselect(".meta")[0]).endswith(
        "đọc theo quy tắc trích xuất khác so với bài viết hiện nay / read with other extraction rules than the article now")
    assert words(listed.cssselect("#earlier-read-otherwise")[0]).startswith("Phiên bản được đánh dấu")
    tree, none = section(ds, "không có ở đâu")
    assert none == [] and [words(p) for p in tree.cssselect("p.empty")] == ["Không tìm thấy bài viết nào / No articles found"]


def test_the_page_says_more_than_the_search_limit(archive):
    ds = make_datasette(archive[0], search_limit=2)
    _tree, (listed,) = section(ds, "cau rong")
    assert words(listed.cssselect("#earlier-count")[0]).endswith(
        "Of the 2 versions archived most recently with these words, 2 earlier versions of 2 articles say this, "
        "though the articles no longer do")
    assert words(listed.cssselect("#earlier-count")[0]).startswith(
        "Trong 2 phiên bản lưu gần đây nhất có các từ này, 2 phiên bản trước")
    assert get(ds, "/-/results.json?q=cau+rong").json()["earlier_versions"]["more"] is True


def test_a_common_word_s_versions_are_looked_at_up_to_their_own_bound(archive, monkeypatch):
    # Each version looked at costs a seek in the articles' index: past VERSIONS_EXAMINED the older
    # ones are not, whatever the search limit, and the page and the JSON name the number.
    monkeypatch.setattr(search_module, "VERSIONS_EXAMINED", 2)
    ds = make_datasette(archive[0], search_limit=5000)
    _tree, (listed,) = section(ds, "cau rong")
    assert words(listed.cssselect("#earlier-count")[0]).startswith(
        "Trong 2 phiên bản lưu gần đây nhất có các từ này, 2 phiên bản trước")
    body = get(ds, "/-/results.json?q=cau+rong").json()["earlier_versions"]
    assert (body["count"], body["more"], body["examined"]) == (2, True, 2)


def test_the_index_is_made_with_the_first_earlier_version(tmp_path):
    # An archive whose articles never changed keeps no empty index (four tables, 64 KB of pages):
    # its search, a merge and a carry-over do without it.
    path = tmp_path / "archive.db"
    db = open_db(path)
    ingest.register_source(db, _source("s"))
    url = "http://s.example/tin/1.html"
    store(db, "s", url, "Tin", "Thông báo số 12/TB-UBND về lịch tiếp dân.", "2024-05-01T01:00:00+00:00")
    assert not db.execute("select 1 from sqlite_master where name like 'versions_fold%'").fetchone()
    assert earlier_versions(db, "12/TB-UBND")[1:3] == (0, 0)
    assert get(make_datasette(path), "/-/results.json?q=12/TB-UBND").json()["earlier_versions"]["count"] == 0
    assert carryover.carry_over(db, _source("t", formerly=["s"])) == {"s": 1}
    store(db, "t", url, "Tin", "Thông báo số 21/TB-UBND về lịch tiếp dân.", "2024-05-02T01:00:00+00:00")
    assert found(db, "12/TB-UBND") == [(1, 1)]
    assert get(make_datasette(path), "/-/results.json?q=12/TB-UBND").json()["earlier_versions"]["count"] == 1
    db.close()


def test_a_carry_over_moves_the_versions_to_the_new_source(tmp_path):
    db = open_db(tmp_path / "archive.db")
    ingest.register_source(db, _source("hai-duong"))
    url = "http://hai-duong.example/tin/1.html"
    store(db, "hai-duong", url, "Tin Hải Dương", "Thông báo số 12/TB-UBND về lịch tiếp dân.", "2024-05-01T01:00:00+00:00")
    store(db, "hai-duong", url, "Tin Hải Dương", "Thông báo số 21/TB-UBND về lịch tiếp dân.", "2024-05-02T01:00:00+00:00")
    assert len(found(db, "12/TB-UBND", source="hai-duong")) == 1
    assert carryover.carry_over(db, _source("hai-phong", formerly=["hai-duong"])) == {"hai-duong": 1}
    assert len(found(db, "12/TB-UBND", source="hai-phong")) == 1
    assert found(db, "12/TB-UBND", source="hai-duong") == []
    # The index forgot the old source's word: no row of the old values is left behind.
    assert db.execute("select count(*) from versions_fold where versions_fold match ?",
                      ['filters : "src' + "hai-duong".encode().hex() + '"']).fetchone()[0] == 0
    db.close()


def test_a_merged_twin_s_version_leaves_the_index(tmp_path):
    from tests.test_merged_ids import FIRST, NEW, OLD, SOURCE, ZALO
    from tests.test_merged_ids import crawl as stored_by, store as store_in

    db = open_db(tmp_path / "archive.db")
    assert stored_by(db, (OLD, FIRST, {})) == ["new"]
    moving = ingest.start_crawl(db, SOURCE, max_pages=None)
    assert store_in(db, moving, NEW, ZALO) == "new"
    (twin,) = db.execute("select id from articles where url = ?", [NEW]).fetchone()
    # Its reading corrected in place (as reextract does) before the redirect: its one version
    # keeps texts of its own, and is in the index.
    with db.atomic():
        ingest.keep_version_texts(db, twin)
        ingest.update_article(db, twin, {"text": ZALO["text"] + "\nĐọc lại."})
    hanh_chinh = "select count(*) from versions_fold where versions_fold match 'hanh chinh'"
    assert db.execute(hanh_chinh).fetchone()[0] == 1
    assert store_in(db, moving, OLD, ZALO, also_at=NEW) == "changed"
    assert db.execute("select count(*) from articles where id = ?", [twin]).fetchone()[0] == 0
    assert db.execute(hanh_chinh).fetchone()[0] == 0
    db.close()


def _archive_before_m030(path):
    """An archive upgraded up to m029, with one article in two versions written as that release
    wrote them: the earlier version with texts of its own, the current one in the articles row."""
    old = Database(sqlite3.connect(path))
    migrations.apply(old, stop_before="m030_earlier_versions_search_index")
    ingest.register_source(old, _source("s"))
    url = "http://s.example/tin/1.html"
    seen = ("2024-05-01T01:00:00+00:00", "2024-05-02T01:00:00+00:00")
    fetches = [ingest.record_fetch(old, crawl_id=None, source_id="s", url=url, kind="article", status=200,
                                   fetched_at=at) for at in seen]
    text = "Theo Quyết định số 95/QĐ-STTTT, các xã mở Zalo OA."
    article = old["articles"].insert({
        "url": url, "source_id": "s", "title": "Quyết định", "text": text, "published": "2024-05-02T08:00:00+07:00",
        "published_month": "2024-05", "text_hash": "2", "first_seen": seen[0], "last_seen": seen[1],
        "fetch_id": fetches[1], "channels": '["Zalo"]'}).last_pk
    row = old.execute("select * from articles where id = ?", [article]).fetchone()
    ingest._index_folded(old, article, ingest._folded({"title": "Quyết định", "text": text}),
                         row_filter_words(dict(zip([c[0] for c in old.execute("select * from articles").description], row))))
    old["article_versions"].insert_all([
        {"article_id": article, "version": 1, "title": "Quyết định", "text": text.replace("95", "93"),
         "published": "2024-04-30T08:00:00+07:00", "text_hash": "1", "fetch_id": fetches[0], "captured_at": seen[0]},
        {"article_id": article, "version": 2, "in_articles": 1, "text_hash": "2", "fetch_id": fetches[1],
         "captured_at": seen[1]},
    ])
    old.conn.commit()
    old.close()
    return article


def test_the_upgrade_indexes_the_versions_archived_before(tmp_path, caplog):
    path = tmp_path / "archive.db"
    article = _archive_before_m030(path)
    with caplog.at_level(logging.WARNING, logger="archive.db"):
        db = open_db(path)
    # It folds every earlier version's texts: it says so. (Without any, it says nothing:
    # test_upgrade_warc_names.)
    assert [r.getMessage() for r in caplog.records] == [
        f"{path}: upgrading the archive (m030_earlier_versions_search_index, m031_article_urls_date_author_description); "
        "on a large archive this takes a while"]
    assert found(db, "93/QD-STTTT") == [(article, 1)]
    assert found(db, "95/QD-STTTT") == []
    # The version's own month; the channels the article names now (what it named then was not kept).
    assert found(db, "93/QD-STTTT", month="2024-04", platform="Zalo", source="s") == [(article, 1)]
    assert found(db, "93/QD-STTTT", month="2024-05") == []
    db.close()


def test_a_crawl_of_a_corrected_page_then_reextract_keep_the_index_right(site, folder):  # noqa: F811
    site.article["paragraphs"] = [*PARAGRAPHS, "Căn cứ Quyết định số 93/QĐ-STTTT của Sở."]
    crawl(folder)
    site.article["paragraphs"][-1] = "Căn cứ Quyết định số 95/QĐ-STTTT của Sở."
    crawl(folder)
    path = folder / "archive.db"
    db = open_db(path)
    ((article, url),) = db.execute("select id, url from articles").fetchall()
    assert url.endswith(PATH)
    ds = make_datasette(path)
    _tree, (listed,) = section(ds, "93/QD-STTTT")
    assert [a.get("href") for a in listed.cssselect("a")] == [f"/-/a/{article}?version=1", f"/-/a/{article}"]
    assert "phiên bản 1/2" in words(listed)
    assert section(ds, "95/QD-STTTT")[1] == []
    # An earlier reading of the capture, which reextract replaces in place: the version keeps it,
    # and is the latest, which reads as the article.
    with db.atomic():
        text = db.execute("select text from articles where id = ?", [article]).fetchone()[0]
        ingest.update_article(db, article, {"text": text + "\nChuyên mục lưu trữ cũ.", "extractor_version": "old"})
    tally = reextract(db, path)
    assert tally["updated"] == 1, tally
    assert found(db, "chuyen muc luu tru cu") == []
    # The next change makes it an earlier version: found by the words of that reading.
    assert store(db, "mau", url, "Khác", "Một nội dung khác hẳn.", ingest.now_iso()) == "changed"
    assert found(db, "chuyen muc luu tru cu") == [(article, 2)]
    assert found(db, "93/QD-STTTT") == [(article, 1)]
    db.close()


class CorrectedWhileRead(CommitAfterCount):
    """The portal corrects the number again each time the search has counted its matches: a crawl
    commits the article's next version between two of the page's queries."""

    __name__ = "corrected_while_read"

    def traced(self, sql):
        if self.armed and not sql.lstrip().lower().startswith(("begin", "commit", "rollback")):
            self.armed = self.ready = False
            self.commits += 1
            db = open_db(self.archive)
            try:
                number = 93 + 2 * self.commits
                store(db, "s", CORRECTED, "Quyết định", f"Theo Quyết định số {number}/QĐ-STTTT.", ingest.now_iso())
            finally:
                db.close()
            return
        super().traced(sql)


def test_the_earlier_versions_are_of_the_page_s_one_moment(tmp_path):
    path = tmp_path / "archive.db"
    db = open_db(path)
    ingest.register_source(db, _source("s"))
    store(db, "s", CORRECTED, "Quyết định", "Theo Quyết định số 93/QĐ-STTTT.", "2024-05-01T01:00:00+00:00")
    db.close()
    hook = CorrectedWhileRead(path)
    pm.register(hook, name="corrected-while-read")
    try:
        html = get(make_datasette(path), "/-/search?q=93/QD-STTTT").text
    finally:
        pm.unregister(name="corrected-while-read")
    # Read again in one transaction after the first correction (95), which the second (97) came
    # too late for: no article says 93, and the version that did is version 1 of 2.
    assert hook.commits == 2
    tree = lxml.html.fromstring(html)
    assert tree.xpath('string(//*[@id="result-count"])') == "0"
    (listed,) = tree.cssselect("#earlier-versions")
    assert "phiên bản 1/2" in words(listed)
