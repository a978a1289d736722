"""What a client mirroring the archive over HTTP relies on: a record or page that agrees with
itself while crawls commit, downloads named as the server named them, a status that tells lost
data from a wrong id, and routes that only read."""

import asyncio
import re
import sqlite3
from datetime import datetime
from pathlib import Path

import pytest
from datasette import hookimpl
from datasette.plugins import pm

from archive import ingest
from archive.db import open_db
from archive.serve import make_datasette
from archive.sources import parse_sources
from archive.warc import WarcFileWriter
from tests.conftest import store_page

SOURCE = parse_sources(
    '[[source]]\nid = "t"\nname = "T"\nkind = "press"\nhome = "https://t.vn/"\nallowed_domains = ["t.vn"]\n'
    'article_pattern = "x"\nschedule = "0 * * * *"\n[source.discovery]\nfeeds = ["https://t.vn/rss"]\n'
)[0]
ARTICLE = {"url": "https://t.vn/tin/1", "title": "Hà Nội ra mắt kênh Zalo OA",
           "published": "2024-04-08T14:30:00+07:00",
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


def add_capture(path, url, body, headers, *, status=200):
    """A capture of ``url`` (its WARC record and fetch row) added to the archive at ``path``: its
    fetch id."""
    writer = WarcFileWriter(Path(path).parent / "added-warc", prefix="added")
    pointer = writer.write_exchange(
        url=url, method="GET", request_headers=[("User-Agent", "test")], request_body=b"", status=status,
        # As the crawler hands them over: the bytes as sent, read as Latin-1.
        reason="OK", response_headers=[(k, v.encode("utf-8").decode("latin-1")) for k, v in headers], body=body,
        fetched_at=datetime.fromisoformat("2024-05-17T01:30:00+00:00"),
    )
    writer.close()
    conn = sqlite3.connect(path)
    with conn:
        fetch_id = conn.execute(
            "insert into fetches (url, requested_url, kind, status, fetched_at, length, warc_file, warc_offset, "
            "warc_length) values (?, ?, 'listing', ?, '2024-05-17T01:30:00+00:00', ?, ?, ?, ?)",
            [url, url, status, len(body), f"added-warc/{pointer.file}", pointer.offset, pointer.length],
        ).lastrowid
    conn.close()
    return fetch_id


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
    edited = {**ARTICLE, "text": "Lần sửa 1: UBND thành phố Hà Nội ra mắt kênh Zalo OA và Fanpage.",
              "text_hash": "v1"}
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


DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"


@pytest.mark.parametrize("url, headers, named", [
    # The name the server gave, in RFC 5987's form or, as a portal sent it, in UTF-8 as it is.
    ("https://t.vn/tai-ve?id=6", [("Content-Type", DOCX), ("Content-Disposition",
                                  "attachment; filename*=UTF-8''K%E1%BA%BF%20ho%E1%BA%A1ch%20174-KH-UBND.docx")],
     "attachment; filename=\"Ke hoach 174-KH-UBND.docx\"; "
     "filename*=UTF-8''K%E1%BA%BF%20ho%E1%BA%A1ch%20174-KH-UBND.docx"),
    ("https://t.vn/tai-ve?id=7", [("Content-Type", DOCX), ("Content-Disposition",
                                  "attachment; filename*=UTF-8''Kế hoạch 174-KH-UBND.docx")],
     "attachment; filename=\"Ke hoach 174-KH-UBND.docx\"; "
     "filename*=UTF-8''K%E1%BA%BF%20ho%E1%BA%A1ch%20174-KH-UBND.docx"),
    ("https://t.vn/tai-ve?id=8", [("Content-Type", "application/octet-stream"), ("content-disposition",
                                  "attachment; filename=\"bao-cao.xlsx\"; filename*=utf-8''B%C3%A1o%20c%C3%A1o.xlsx")],
     "attachment; filename=\"Bao cao.xlsx\"; filename*=UTF-8''B%C3%A1o%20c%C3%A1o.xlsx"),
    # A name that would leave the downloads folder, or read backwards, is only its name.
    # A name whose extension is not its type's keeps the type's last: a PDF is not run as a program.
    ("https://t.vn/tai-ve?id=9", [("Content-Type", "application/pdf"),
                                  ("Content-Disposition", 'attachment; filename="../../Thư\u202efdp.exe"')],
     "attachment; filename=\"Thu_fdp.exe.pdf\"; filename*=UTF-8''Th%C6%B0_fdp.exe.pdf"),
    ("https://t.vn/tai-ve?id=10", [("Content-Type", "application/pdf"),
                                   ("Content-Disposition", 'attachment; filename="CON.pdf"')],
     'attachment; filename="_CON.pdf"'),
    # A charset that is no text codec: the name is read as UTF-8.
    ("https://t.vn/tai-ve?id=11", [("Content-Type", "application/pdf"),
                                   ("Content-Disposition", "attachment; filename*=idna''%C3%A9.pdf")],
     "attachment; filename=\"e.pdf\"; filename*=UTF-8''%C3%A9.pdf"),
    ("https://t.vn/tai-ve?id=12", [("Content-Type", "application/pdf"),
                                   ("Content-Disposition", "attachment; filename*=undefined''bao-cao.pdf")],
     'attachment; filename="bao-cao.pdf"'),
    # Else the address's own name, when it is named for the file's type.
    ("https://t.vn/anh/ha-noi.webp", [("Content-Type", "image/webp")], 'attachment; filename="ha-noi.webp"'),
    ("https://t.vn/van-ban/K%E1%BA%BF%20ho%E1%BA%A1ch.pdf", [("Content-Type", "application/pdf")],
     "attachment; filename=\"Ke hoach.pdf\"; filename*=UTF-8''K%E1%BA%BF%20ho%E1%BA%A1ch.pdf"),
    # Else the capture's number, with its type's extension.
    ("https://t.vn/tai-ve.pdf", [("Content-Type", "text/html; charset=utf-8")],
     'attachment; filename="capture-{id}.html"'),
    ("https://t.vn/anh", [("Content-Type", "image/webp")], 'attachment; filename="capture-{id}.webp"'),
    ("https://t.vn/tep", [("Content-Type", DOCX)], 'attachment; filename="capture-{id}.docx"'),
    ("https://t.vn/tep", [("Content-Type", PPTX)], 'attachment; filename="capture-{id}.pptx"'),
    ("https://t.vn/tep", [("Content-Type", "application/vnd.oasis.opendocument.text")],
     'attachment; filename="capture-{id}.odt"'),
    ("https://t.vn/tep", [("Content-Type", "image/svg+xml")], 'attachment; filename="capture-{id}.svg"'),
    ("https://t.vn/tep", [("Content-Type", "application/xhtml+xml")], 'attachment; filename="capture-{id}.xhtml"'),
    ("https://t.vn/tep", [("Content-Type", "application/rss+xml")], 'attachment; filename="capture-{id}.xml"'),
])
def test_a_download_keeps_the_name_the_server_gave_it_or_is_named_for_its_type(archive, url, headers, named):
    fetch_id = add_capture(archive, url, b"PK\x03\x04", headers)
    download = get(make_datasette(archive), f"/-/capture/{fetch_id}.html?download=1")
    assert download.status_code == 200 and download.content == b"PK\x03\x04"
    assert download.headers["content-disposition"] == named.format(id=fetch_id)


@pytest.mark.parametrize("served_as", ["archive.db", "link/archive.db"])
def test_a_lost_capture_s_page_does_not_show_the_archive_s_folder(archive, monkeypatch, served_as):
    # Served by a relative path, as the README's "govarchive serve --db archive.db", or through a
    # symlink to the file: neither the folder given nor the real one is shown.
    lost = add_capture(archive, "https://t.vn/tep.pdf", b"%PDF-1.4", [("Content-Type", "application/pdf")])
    for warc in (archive.parent / "added-warc").iterdir():
        warc.unlink()
    (archive.parent / "link").mkdir()
    (archive.parent / "link" / "archive.db").symlink_to(archive)
    monkeypatch.chdir(archive.parent)
    page = get(make_datasette(served_as), f"/-/capture/{lost}.html")
    assert page.status_code == 500 and "WARC file added-warc/" in page.text
    assert str(archive.parent) not in page.text


def test_a_capture_whose_warc_file_is_lost_is_told_from_one_that_never_was(archive):
    lost = add_capture(archive, "https://t.vn/tep.pdf", b"%PDF-1.4", [("Content-Type", "application/pdf")])
    for warc in (archive.parent / "added-warc").iterdir():
        warc.unlink()
    conn = sqlite3.connect(archive)
    with conn:
        skipped = conn.execute(
            "insert into fetches (url, kind, fetched_at, error) values "
            "('https://t.vn/noi-bo/1', 'article', '2024-05-17T01:30:00+00:00', 'skipped: Forbidden by robots.txt')"
        ).lastrowid
    conn.close()
    ds = make_datasette(archive)
    for path in ("{}.html", "{}.html?download=1", "{}/page.html", "{}.warc.gz"):
        # Archived, and lost since: the archive's fault, not the asker's.
        page = get(ds, "/-/capture/" + path.format(lost))
        assert page.status_code == 500, path
        assert "This capture is lost: its WARC file is missing" in page.text and "added-warc/" in page.text, path
        # Never archived: nothing lost, and the page says why.
        page = get(ds, "/-/capture/" + path.format(skipped))
        assert page.status_code == 404, path
        assert "This page was never captured" in page.text and "missing" not in page.text, path
        assert f"fetch {skipped}: skipped: Forbidden by robots.txt" in page.text, path
        # An id the archive never gave.
        page = get(ds, "/-/capture/" + path.format(999999))
        assert page.status_code == 404 and "No such capture" in page.text, path


@pytest.mark.parametrize("value, downloads", [("1", True), ("true", True), ("yes", True), ("True", True),
                                              ("0", False), ("false", False), ("no", False), ("", False)])
def test_only_a_yes_to_download_downloads(archive, value, downloads):
    fetch_id = add_capture(archive, "https://t.vn/tep.pdf", b"%PDF-1.4", [("Content-Type", "application/pdf")])
    response = get(make_datasette(archive), f"/-/capture/{fetch_id}.html?download={value}")
    assert response.status_code == 200
    assert ("content-disposition" in response.headers) == downloads
    assert (response.content == b"%PDF-1.4") == downloads
    assert ('id="govarchive-banner"' in response.text) != downloads


@pytest.mark.parametrize("method", ["post", "put", "delete", "patch"])
def test_the_reading_room_s_routes_only_read(archive, method):
    fetch_id = add_capture(archive, "https://t.vn/tep.pdf", b"%PDF-1.4", [("Content-Type", "application/pdf")])
    ds = make_datasette(archive)
    paths = ["/", "/-/search?q=zalo", "/-/search.csv?q=zalo", "/-/results.json", "/-/attention.csv", "/-/a/1",
             "/-/diff/1", "/-/article/1.json", f"/-/capture/{fetch_id}.html?download=1",
             f"/-/capture/{fetch_id}.warc.gz", "/-/go?url=https%3A%2F%2Ft.vn%2F"]
    for path in paths:
        refused = get(ds, path, method)
        assert refused.status_code == 405 and refused.headers["allow"] == "GET, HEAD", path
        if ".json" in path:
            assert refused.json() == {"ok": False, "error": "Method not allowed", "status": 405}, path
        assert get(ds, path, "head").status_code == get(ds, path).status_code, path
    assert get(ds, "/-/article/1.json", "head").headers["content-type"] == "application/json; charset=utf-8"
