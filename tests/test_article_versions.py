"""An article's earlier versions read and cited in the reading room: ``/-/a/<id>?version=<n>``
shows what the article said when version n was captured, as the archive stores it (the current
version's texts in the articles row, the earlier ones in article_versions)."""

import asyncio
import hashlib
import shutil
import sqlite3

import lxml.html
import pytest
from sqlite_utils import Database

from archive import ingest, syndication
from archive.db import migrations, open_db
from archive.serve import make_datasette
from tests.test_storage import _archive

URL = "http://s.example/tin/zalo-oa.html"
FIRST = {
    "title": "Hà Nội đưa Zalo OA vào phục vụ người dân",
    "description": "Thành phố mở kênh tiếp nhận phản ánh.",
    "text": "Thành phố mở kênh tiếp nhận phản ánh.\nNgười dân gửi phản ánh qua Zalo OA của thành phố.\n"
            "Kênh hoạt động trong giờ hành chính.",
    "published": "2024-04-08T09:30:00+07:00", "author": "Minh An", "tags": ["Zalo"],
}
SECOND = {
    **FIRST, "title": "Hà Nội đưa Zalo OA và Facebook vào phục vụ người dân", "author": "Thu Hà",
    "description": "Thành phố mở thêm kênh tiếp nhận phản ánh.",
    "text": "Người dân gửi phản ánh qua Zalo OA và Facebook của thành phố.\nKênh hoạt động cả ngày.",
    "updated": "2024-04-09T08:00:00+07:00",
}
THIRD = {**SECOND, "published": "2024-04-09T07:00:00+07:00", "text": SECOND["text"] + "\nĐã có 120 phản ánh.",
         "tags": ["Zalo", "Facebook"], "updated": "2024-04-10T08:00:00+07:00"}
# When each version was captured, UTC as the archive keeps it (Vietnam is 7 hours ahead).
SEEN = ("2024-04-08T03:00:05+00:00", "2024-04-09T01:15:30+00:00", "2024-04-10T02:45:00+00:00")


def store(db, fields, seen_at):
    record = {"url": URL, **fields, "text_hash": hashlib.sha1(fields["text"].encode()).hexdigest(),
              "minhash": syndication.signature(fields["text"])}
    # A WARC record named, not written: the page links to a capture, never reads it.
    fetch = ingest.record_fetch(db, crawl_id=None, source_id="s", url=URL, kind="article", status=200,
                                fetched_at=seen_at, warc={"file": "c.warc.gz", "offset": 0, "length": 1})
    with db.atomic():
        return ingest.store_article(db, ingest.prepare(record), source_id="s", fetch_id=fetch, seen_at=seen_at)


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    """An archive of one article in three versions: its text, headline, sapo, author, then text and
    date changed."""
    path = tmp_path_factory.mktemp("versions") / "archive.db"
    db = _archive(path)
    assert [store(db, fields, seen) for fields, seen in zip((FIRST, SECOND, THIRD), SEEN)] == [
        "new", "changed", "changed"]
    article = db.execute("select id from articles").fetchone()[0]
    db.close()
    return path, article


@pytest.fixture(scope="module")
def ds(archive):
    return make_datasette(archive[0])


def get(ds, path):
    return asyncio.run(ds.client.get(path))


def page(ds, path):
    response = get(ds, path)
    assert response.status_code == 200, (path, response.text[:500])
    return lxml.html.fromstring(response.text)


def text_of(tree, selector):
    return " ".join(" ".join(e.text_content().split()) for e in tree.cssselect(selector))


def test_an_earlier_version_reads_as_it_was_captured(ds, archive):
    _, article = archive
    tree = page(ds, f"/-/a/{article}?version=1")
    assert text_of(tree, "article h1") == FIRST["title"]
    # The sapo, then the text without the sapo repeated, as the current reading shows it.
    assert text_of(tree, "article .sapo") == FIRST["description"]
    assert [text_of(p, "p") for p in tree.cssselect("article .body")] == [
        " ".join(FIRST["text"].split("\n")[1:])]
    meta = text_of(tree, "article .meta")
    assert "08/04/2024" in meta and "Minh An" in meta
    assert "Thu Hà" not in meta and "09/04/2024" not in meta
    # What only the current reading has (when it was updated, its tags) is not said of this one.
    assert not tree.cssselect("article .meta time[datetime='2024-04-10T08:00:00+07:00']")
    assert not tree.cssselect("article .tags")
    assert "— phiên bản 1 / version 1 —" in tree.findtext(".//title")

    second = page(ds, f"/-/a/{article}?version=2")
    assert text_of(second, "article h1") == SECOND["title"]
    assert "Thu Hà" in text_of(second, "article .meta")
    assert "Kênh hoạt động cả ngày." in text_of(second, "article .body")
    assert "120 phản ánh" not in text_of(second, "article .body")


def test_an_earlier_version_says_so_first_with_links_to_the_current_reading_and_the_next_version(ds, archive):
    _, article = archive
    tree = page(ds, f"/-/a/{article}?version=1")
    notice = tree.cssselect(".version-notice")[0]
    assert notice.getparent()[0] is notice  # first on the page
    said = " ".join(notice.text_content().split())
    assert "phiên bản cũ" in said and "earlier version" in said and "1/3" in said and "1 of 3" in said
    # Captured at 03:00:05 UTC: 10:00:05 in Vietnam.
    assert notice.cssselect("time")[0].get("datetime") == SEEN[0]
    assert "10:00:05 08/04/2024" in said and "Vietnam time, UTC+7" in said
    links = {a.get("href") for a in notice.cssselect("a")}
    assert links == {f"/-/a/{article}", f"/-/diff/{article}?from=1&to=2"}
    assert get(ds, f"/-/diff/{article}?from=1&to=2").status_code == 200
    second = page(ds, f"/-/a/{article}?version=2").cssselect(".version-notice a")
    assert {a.get("href") for a in second} == {f"/-/a/{article}", f"/-/diff/{article}?from=2&to=3"}


def test_the_citation_names_the_version_its_capture_and_its_own_address(ds, archive):
    _, article = archive
    tree = page(ds, f"/-/a/{article}?version=2")
    stable = tree.cssselect("a.stable-url")[0]
    assert stable.get("href").endswith(f"/-/a/{article}?version=2")
    cited = text_of(tree, ".citation")
    assert cited.startswith(f"{SECOND['title']}. S (2024-04-08).")
    assert (f"Version 2 of 3, archived by govarchive on 2024-04-09 at 08:15 (UTC+7): {stable.get('href')}. "
            f"Original: {URL}") in cited
    # The archived page linked is the capture this version was read from.
    fetch = sqlite3.connect(archive[0]).execute(
        "select fetch_id from article_versions where article_id = ? and version = 2", [article]).fetchone()[0]
    assert tree.cssselect("a.capture")[0].get("href") == f"/-/capture/{fetch}.html"


def test_the_current_version_asked_by_number_is_the_current_reading_cited_as_that_version(ds, archive):
    _, article = archive
    plain, numbered = page(ds, f"/-/a/{article}"), page(ds, f"/-/a/{article}?version=3")
    assert not plain.cssselect(".version-notice") and not numbered.cssselect(".version-notice")
    for selector in ("article h1", "article .meta", "article .body", "article .tags"):
        assert text_of(numbered, selector) == text_of(plain, selector), selector
    assert "120 phản ánh" in text_of(numbered, "article .body")
    assert plain.cssselect("a.stable-url")[0].get("href").endswith(f"/-/a/{article}")
    assert numbered.cssselect("a.stable-url")[0].get("href").endswith(f"/-/a/{article}?version=3")
    assert "Version 3 of 3, archived by govarchive on 2024-04-10 at 09:45 (UTC+7)" in text_of(numbered, ".citation")
    assert "Version" not in text_of(plain, ".citation")


def test_the_versions_list_links_each_version_to_its_reading(ds, archive):
    _, article = archive
    for path, shown in ((f"/-/a/{article}", None), (f"/-/a/{article}?version=2", 2)):
        items = page(ds, path).cssselect("section.versions li")
        assert len(items) == 3
        for number, item in enumerate(items, 1):
            reads = [a.get("href") for a in item.cssselect("a.version-link")]
            if number == shown:
                assert reads == [] and item.get("aria-current") == "true", path
                assert "đang xem" in item.text_content()
            else:
                assert reads == [f"/-/a/{article}?version={number}"], path
        assert "hiện tại" in items[-1].text_content() and "hiện tại" not in items[0].text_content()


@pytest.mark.parametrize("asked", ["4", "0", "abc", "1.0", "-1", "9" * 30])
def test_a_version_the_article_does_not_have_is_the_reading_room_s_404(ds, archive, asked):
    _, article = archive
    response = get(ds, f"/-/a/{article}?version={asked}")
    assert response.status_code == 404
    assert "Không có phiên bản này" in response.text and "No such version" in response.text


def test_no_article_is_said_before_no_version(ds):
    response = get(ds, "/-/a/999999?version=abc")
    assert response.status_code == 404 and "No such article" in response.text


def test_an_empty_version_is_the_current_reading(ds, archive):
    _, article = archive
    tree = page(ds, f"/-/a/{article}?version=")
    assert not tree.cssselect(".version-notice")
    assert tree.cssselect("a.stable-url")[0].get("href").endswith(f"/-/a/{article}")


def test_a_version_replaced_before_m020_says_the_archive_has_no_date_or_author_for_it(tmp_path):
    path = tmp_path / "old.db"
    db = Database(sqlite3.connect(path))
    migrations.apply(db, stop_before="m020_version_dates")
    db["sources"].insert({"id": "s", "name": "S"})
    db["articles"].insert({"id": 1, "url": URL, "source_id": "s", "title": "Bây giờ", "text": "bây giờ",
                           "text_hash": "2", "published": "2021-04-09T08:00:00+07:00", "author": "Minh An",
                           "first_seen": SEEN[0]})
    db["article_versions"].insert_all([
        {"article_id": 1, "version": 1, "title": "Trước đây", "text": "trước đây", "text_hash": "1",
         "captured_at": SEEN[0]},
        {"article_id": 1, "version": 2, "text_hash": "2", "in_articles": 1, "captured_at": SEEN[1]},
    ])
    db.conn.commit()
    db.close()
    open_db(path).close()
    tree = page(make_datasette(path), "/-/a/1?version=1")
    assert text_of(tree, "article h1") == "Trước đây"
    meta = text_of(tree, "article .meta")
    assert "Minh An" not in meta and "09/04/2021" not in meta
    assert "no published date or author for this version" in meta
    assert text_of(tree, ".citation").startswith("Trước đây. S. Version 1 of 2")


def test_the_article_page_gives_the_address_that_keeps_its_current_text(ds, archive):
    # The article's own address reads as whatever version is latest; the current version's
    # address reads as this text after later versions come.
    _, article = archive
    plain = page(ds, f"/-/a/{article}")
    (kept,) = plain.cssselect("a.version-url")
    assert kept.get("href").endswith(f"/-/a/{article}?version=3")
    assert not page(ds, f"/-/a/{article}?version=2").cssselect("a.version-url")


def test_what_the_archive_knows_beside_an_earlier_version_is_said_to_be_the_current_reading_s(archive, tmp_path):
    # The documents, channels and agencies beside the text are found in the current reading.
    path, article = archive
    copy = tmp_path / "archive.db"
    shutil.copy(path, copy)
    conn = sqlite3.connect(copy)
    conn.execute("insert into doc_refs (article_id, ref) values (?, '174/KH-UBND')", [article])
    conn.commit()
    conn.close()
    ds = make_datasette(copy)
    earlier, current = page(ds, f"/-/a/{article}?version=1"), page(ds, f"/-/a/{article}")
    assert text_of(earlier, ".refs h2") == (
        "Văn bản được nhắc đến / Documents cited (theo bản hiện tại / as of the current version)")
    assert text_of(current, ".refs h2") == "Văn bản được nhắc đến / Documents cited"


def test_the_versions_list_says_its_times_are_vietnam_s(ds, archive):
    _, article = archive
    versions = page(ds, f"/-/a/{article}").cssselect("section.versions")[0]
    assert versions.cssselect("li time")
    assert "Times are Vietnam time, UTC+7" in text_of(versions, "#versions-zone")


def test_the_diff_shows_each_part_of_the_reading_under_its_name(ds, archive):
    # Headline, sapo and text, as a version's page shows them: a sapo rewritten was not shown at all.
    _, article = archive
    tree = page(ds, f"/-/diff/{article}?from=1&to=2")
    assert [text_of(h, "h2") for h in tree.cssselect(".diff-text h2")] == [
        "Tiêu đề / Headline", "Sapo / Sapo (summary)", "Nội dung / Text"]
    assert [e.text_content() for e in tree.cssselect(".diff-title ins")] == ["thêm: / added: và Facebookhết / end"]
    assert [e.text_content() for e in tree.cssselect(".diff-sapo ins")] == ["thêm: / added: thêmhết / end"]
    # The words counted are the text's, and what else changed is named beside them.
    summary = text_of(tree, ".diff-summary")
    assert summary.startswith("+4 −12 từ trong nội dung / words in the text · "
                              "thay đổi: tiêu đề, sapo, tác giả / changed: headline, sapo, author · v1"), summary
    # A sapo unchanged is still shown, as the version's page shows it; none changed, none named.
    later = page(ds, f"/-/diff/{article}?from=2&to=3")
    assert text_of(later, ".diff-sapo") == SECOND["description"] and not later.cssselect(".diff-sapo ins, .diff-sapo del")
    assert "changed: published date ·" in text_of(later, ".diff-summary")
    assert [text_of(d, "dt") for d in later.cssselect(".diff-fields")] == ["Ngày đăng / Published"]


def test_the_versions_list_marks_a_new_headline_and_sapo(ds, archive):
    _, article = archive
    items = [text_of(li, "li") for li in page(ds, f"/-/a/{article}").cssselect("section.versions li")]
    assert "tiêu đề mới / new headline" in items[1] and "sapo mới / new sapo" in items[1], items
    assert "new headline" not in items[2] and "new sapo" not in items[2], items


# How the versions were read: v2 by other selectors than v1, v3 by another extractor than v2.
READ_BY = ("govarchive-25/trafilatura-2.3.1+rules-75c38528", "govarchive-25/trafilatura-2.3.1+rules-ac7e5891",
           "govarchive-26/trafilatura-2.3.1+rules-ac7e5891")


@pytest.fixture
def read_otherwise(archive, tmp_path):
    """A copy of the archive whose versions were read as READ_BY says (a reextract with new rules
    between two crawls, then a new extractor)."""
    path, article = archive
    copy = tmp_path / "archive.db"
    shutil.copy(path, copy)
    conn = sqlite3.connect(copy)
    conn.executemany("update article_versions set extractor_version = ? where article_id = ? and version = ?",
                     [(read_by, article, number) for number, read_by in enumerate(READ_BY, 1)])
    conn.commit()
    conn.close()
    return make_datasette(copy), article


def test_a_diff_between_versions_read_otherwise_says_so_before_the_changes(read_otherwise, ds):
    # What a new rule cut from the text is no edit of the site's, and must not read as one.
    unrecorded = ds
    ds, article = read_otherwise
    said = {}
    for pair in ((1, 2), (2, 3), (1, 3)):
        tree = page(ds, f"/-/diff/{article}?from={pair[0]}&to={pair[1]}")
        (notice,) = tree.cssselect(".extraction-notice")
        assert notice.get("role") == "note"
        assert notice.getnext().get("class") == "diff-summary"
        said[pair] = " ".join(notice.text_content().split())
    assert said[1, 2].startswith("Kho lưu trữ đọc v2 theo quy tắc trích xuất khác so với v1: ")
    assert ("The archive read v2 with other extraction rules than v1: the differences below may come from its "
            "reading, not from an edit on the site.") in said[1, 2]
    assert f"v1: {READ_BY[0]} · v2: {READ_BY[1]}" in said[1, 2]
    assert "The archive read v3 with another extractor release than v2:" in said[2, 3]
    assert "The archive read v3 with another extractor release and other extraction rules than v1:" in said[1, 3]
    # Read alike, or by an archive that did not record how, two versions are not said to differ.
    assert not page(ds, f"/-/diff/{article}?from=3&to=3").cssselect(".extraction-notice")
    assert not page(unrecorded, f"/-/diff/{article}?from=1&to=2").cssselect(".extraction-notice")


def test_the_versions_list_marks_a_version_read_otherwise_than_the_one_before(read_otherwise):
    ds, article = read_otherwise
    items = [text_of(li, "li") for li in page(ds, f"/-/a/{article}").cssselect("section.versions li")]
    assert "extraction" not in items[0] and "extractor" not in items[0], items
    assert "đọc theo quy tắc trích xuất khác so với v1 / read with other extraction rules than v1" in items[1], items
    assert "read with another extractor release than v2" in items[2] and "rules" not in items[2], items


def test_another_address_s_capture_is_dated_by_its_own_time_not_the_address_s_last_visit(archive, tmp_path):
    # The address was read when version 1 was captured, and seen unchanged at the last crawl.
    path, article = archive
    copy = tmp_path / "archive.db"
    shutil.copy(path, copy)
    conn = sqlite3.connect(copy)
    fetch = conn.execute("select fetch_id from article_versions where article_id = ? and version = 1",
                         [article]).fetchone()[0]
    conn.execute("insert into article_urls (url, article_id, first_seen, last_seen, fetch_id) values (?, ?, ?, ?, ?)",
                 [URL + "?print=1", article, SEEN[0], SEEN[2], fetch])
    conn.commit()
    conn.close()
    (other,) = page(make_datasette(copy), f"/-/a/{article}").cssselect(".other-urls li")
    capture = other.cssselect(f'a[href="/-/capture/{fetch}.html"]')[0]
    assert capture.getnext().cssselect("time")[0].get("datetime") == SEEN[0]
    said = " ".join(other.text_content().split())
    assert "bản lưu / capture 10:00 08/04/2024 · gần nhất / last seen 09:45 10/04/2024" in said, said
