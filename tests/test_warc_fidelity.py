"""WARC records say what happened as WARC 1.1 means it: a 304 is a revisit of the capture it
confirms, not an empty page a replay tool would serve for the article."""

from __future__ import annotations

import asyncio
import gzip
import io
import subprocess
import sys
import time
from datetime import datetime
from importlib.metadata import version
from pathlib import Path

import pytest
from scrapy import Request
from scrapy.http import Response
from scrapy.utils.test import get_crawler
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archive.serve import make_datasette
from archive.warc import RecordPointer, WarcFileWriter, default_warc_dir, read_record, software
from crawler.warc_capture import WarcCaptureMiddleware
from tests.conftest import crawl_into, query, serve_routes
from tests.test_variants import write_sources

SERVER_NOT_MODIFIED = "http://netpreserve.org/warc/1.1/revisit/server-not-modified"
WARCIO = str(Path(sys.executable).with_name("warcio"))
URL = "http://127.0.0.1:9/a/ha-tinh-zalo-oa-1022040801.htm"
PAGE = ("<html lang='vi'><head><meta charset='utf-8'><title>Hà Tĩnh mở kênh Zalo OA</title></head><body>"
        "<article><h1>Hà Tĩnh mở kênh Zalo OA</h1><div class='date'>08/04/2021 16:20</div>"
        + "<p>Sở Thông tin và Truyền thông hướng dẫn các xã lập tài khoản Zalo OA để trả lời người dân.</p>" * 6
        + "</article></body></html>").encode()


def _records(raw: bytes):
    return [(r.rec_type, dict(r.rec_headers.headers), r.http_headers, r.raw_stream.read())
            for r in ArchiveIterator(io.BytesIO(raw))]


def _exchange(writer, status, body=b"", headers=(), **extra):
    return writer.write_exchange(
        url=URL, method="GET", request_headers=[("If-None-Match", '"v1"')], request_body=b"",
        status=status, reason="Not Modified" if status == 304 else "OK",
        response_headers=[("ETag", '"v1"'), *headers], body=body, **extra,
    )


def test_a_304_is_a_server_not_modified_revisit_holding_its_headers_and_no_payload(tmp_path):
    writer = WarcFileWriter(tmp_path, prefix="t")
    first = _exchange(writer, 200, gzip.compress(PAGE), [("Content-Encoding", "gzip")])
    earlier = read_record(tmp_path, first).warc_headers
    known = _exchange(writer, 304, refers_to=earlier)
    unknown = _exchange(writer, 304)
    writer.close()

    block = read_record(tmp_path, known).raw_record
    (kind, revisit, *_), (second, *_) = _records(block)
    assert (kind, second) == ("revisit", "request")
    assert revisit["WARC-Profile"] == SERVER_NOT_MODIFIED
    assert revisit["WARC-Refers-To-Target-URI"] == URL
    assert revisit["WARC-Refers-To-Date"] == earlier["WARC-Date"]
    assert revisit["WARC-Refers-To"] == earlier["WARC-Record-ID"]
    assert "WARC-Payload-Digest" not in revisit  # no payload: that of the capture referred to
    assert b"HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\n\r\n\r\n\r\n" in gzip.decompress(block)

    # Without the earlier capture: the URI the validators were sent for, and nothing made up.
    (kind, fields, *_), _request = _records(read_record(tmp_path, unknown).raw_record)
    assert kind == "revisit" and fields["WARC-Refers-To-Target-URI"] == URL
    assert "WARC-Refers-To-Date" not in fields and "WARC-Refers-To" not in fields

    # Read back as any capture is: its status and headers, an empty body.
    stored = read_record(tmp_path, known)
    assert (stored.status, stored.headers, stored.body) == (304, {"ETag": '"v1"'}, b"")
    (path,) = tmp_path.glob("*.warc.gz")
    check = subprocess.run([WARCIO, "check", str(path)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr


def test_a_304_response_record_of_an_older_archive_still_reads(tmp_path):
    """Archives written before revisit records keep their 304s as response records."""
    with open(tmp_path / "old.warc.gz", "wb") as f:
        old = WARCWriter(f, gzip=True, warc_version="WARC/1.1")
        old.write_record(old.create_warc_record(
            URL, "response", payload=io.BytesIO(b""), length=0,
            http_headers=StatusAndHeaders("304 Not Modified", [("ETag", '"v1"')], protocol="HTTP/1.1")))
        length = f.tell()
    stored = read_record(tmp_path, RecordPointer("old.warc.gz", 0, length))
    assert (stored.status, stored.body) == (304, b"")


def _middleware(tmp_path, **settings):
    crawler = get_crawler(settings_dict={"ARCHIVE_DB": str(tmp_path / "archive.db"), **settings})
    crawler.spider = crawler._create_spider("mau")
    return WarcCaptureMiddleware.from_crawler(crawler)


def test_a_304_to_validators_of_a_named_capture_refers_to_that_capture(tmp_path):
    middleware = _middleware(tmp_path)
    first = Request(URL)
    middleware.process_response(first, Response(URL, status=200, headers={"ETag": '"v1"'}, body=PAGE))
    again = Request(URL, headers={"If-None-Match": '"v1"'}, meta={"validators_from": first.meta["warc"]})
    middleware.process_response(again, Response(URL, status=304, headers={"ETag": '"v1"'}))
    # A redirect to another page keeps the meta but loses the validators: its 304 confirms nothing.
    moved = Request(URL.replace("0801", "0802"), meta={"validators_from": first.meta["warc"]})
    middleware.process_response(moved, Response(moved.url, status=304))
    middleware.spider_closed(None, "finished")

    earlier = read_record(tmp_path, _pointer(first))
    revisit = read_record(tmp_path, _pointer(again)).warc_headers
    assert revisit["WARC-Type"] == "revisit"
    assert revisit["WARC-Refers-To"] == earlier.warc_headers["WARC-Record-ID"]
    assert revisit["WARC-Refers-To-Date"] == earlier.warc_headers["WARC-Date"]
    assert "WARC-Refers-To" not in read_record(tmp_path, _pointer(moved)).warc_headers


def _pointer(request):
    pointer = request.meta["warc"]
    return RecordPointer(pointer["file"], pointer["offset"], pointer["length"])


# How long the test site takes to answer the page the first time: the records of that exchange
# are dated when it was asked for, not when the answer had come.
SLOW = 0.6


@pytest.fixture(scope="module")
def recrawled(tmp_path_factory):
    """An archive of one article crawled twice, the second time answered 304; and the times
    (wall clock) its server was asked for the page."""
    folder = tmp_path_factory.mktemp("recrawled")
    asked = []

    def routes(path, base, headers):
        if path == "/robots.txt":
            return b"User-agent: *\nAllow: /\n", "text/plain"
        if path == "/list":
            return b"<html><body><a href='/a/ha-tinh-zalo-oa-1022040801.htm'>x</a></body></html>", "text/html"
        if path == "/a/ha-tinh-zalo-oa-1022040801.htm":
            asked.append(time.time())
            if headers.get("If-None-Match") == '"v1"':
                return 304, {"ETag": '"v1"'}, b""
            time.sleep(SLOW)
            return 200, {"Content-Type": "text/html; charset=utf-8", "ETag": '"v1"'}, PAGE
        return None

    with serve_routes(routes, with_headers=True) as (base, _hits):
        write_sources(folder, base)
        for _ in range(2):
            result = crawl_into(folder, "--quiet")
            assert result.returncode == 0, result.stdout + result.stderr
    return folder, asked


def _fetches(folder):
    return query(folder, "select id, status, warc_file, warc_offset, warc_length from fetches "
                         "where url like '%0801.htm' order by id")


def _stored(folder, fetch):
    return read_record(folder, RecordPointer(fetch["warc_file"], fetch["warc_offset"], fetch["warc_length"]))


def test_a_recrawl_answered_304_is_archived_as_a_revisit_and_shown_and_exported_as_before(recrawled, run_cli):
    tmp_path, _asked = recrawled
    fetches = query(tmp_path, "select id, status, warc_file, warc_offset, warc_length from fetches "
                              "where url like '%0801.htm' order by id")
    assert [f["status"] for f in fetches] == [200, 304]
    _page, answer = fetches
    stored = _stored(tmp_path, answer)
    assert stored.warc_headers["WARC-Type"] == "revisit"
    assert stored.warc_headers["WARC-Profile"] == SERVER_NOT_MODIFIED
    assert stored.warc_headers["WARC-Refers-To-Target-URI"] == stored.url
    # It names the capture whose validators the crawl asked with: the first crawl's page.
    page = _stored(tmp_path, _page)
    assert stored.warc_headers["WARC-Refers-To"] == page.warc_headers["WARC-Record-ID"]
    assert stored.warc_headers["WARC-Refers-To-Date"] == page.warc_headers["WARC-Date"]

    # The capture view and the record's download work for it as for any capture.
    ds = make_datasette(tmp_path / "archive.db")
    view = asyncio.run(ds.client.get(f"/-/capture/{answer['id']}.html"))
    assert view.status_code == 200, view.text[:500]
    download = asyncio.run(ds.client.get(f"/-/capture/{answer['id']}.warc.gz"))
    assert download.status_code == 200
    assert [kind for kind, *_ in _records(download.content)] == ["revisit", "request"]

    # The export holds the article's captures of its versions: the page, not the 304.
    run_cli("export", "--db", tmp_path / "archive.db", "--format", "warc", "-o", tmp_path / "out.warc.gz",
            cwd=tmp_path, check=True)
    exported = _records((tmp_path / "out.warc.gz").read_bytes())
    assert [kind for kind, *_ in exported] == ["warcinfo", "response", "request"]
    assert exported[1][2].get_statuscode() == "200"
    # The export's warcinfo names the software that wrote it with its version, as a crawl's does.
    info = dict(line.split(": ", 1) for line in exported[0][3].decode().splitlines() if line)
    assert info["software"] == software() == f"govarchive/{version('govarchive')} (warcio/{version('warcio')})"
    for path in default_warc_dir(tmp_path / "archive.db").glob("*.warc.gz"):
        check = subprocess.run([WARCIO, "check", str(path)], capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr


def test_both_records_of_an_exchange_are_dated_when_its_request_was_sent(recrawled):
    folder, asked = recrawled
    page = _fetches(folder)[0]
    records = _records(_stored(folder, page).raw_record)
    dates = {datetime.fromisoformat(fields["WARC-Date"].replace("Z", "+00:00")).timestamp()
             for _kind, fields, *_ in records}
    (date,) = dates  # the response and its request alike
    # Sent before the site had it, not once its answer had come, SLOW seconds later.
    assert date <= asked[0] + 0.05, (date, asked[0])


def _warcinfo(folder) -> dict[str, str]:
    (path,) = Path(folder).rglob("*.warc.gz")
    with open(path, "rb") as f:
        record = next(iter(ArchiveIterator(f)))
    assert record.rec_type == "warcinfo"
    lines = record.content_stream().read().decode().splitlines()
    return dict(line.split(": ", 1) for line in lines if line)


def _one_exchange(folder, **settings):
    middleware = _middleware(folder, **settings)
    middleware.process_response(Request(URL), Response(URL, status=200, body=PAGE))
    middleware.spider_closed(None, "finished")


def test_the_warcinfo_operator_is_the_crawl_s_contact_or_left_out(tmp_path):
    _one_exchange(tmp_path / "contact", ARCHIVE_WARC_OPERATOR="mailto:luutru@example.vn")
    assert _warcinfo(tmp_path / "contact")["operator"] == "mailto:luutru@example.vn"
    # The software is no operator: without a contact (the setting from GOVARCHIVE_CONTACT:
    # tests/test_settings.py), there is none to name.
    _one_exchange(tmp_path / "none")
    assert "operator" not in _warcinfo(tmp_path / "none")


def test_every_record_names_the_warcinfo_record_of_its_file(tmp_path):
    writer = WarcFileWriter(tmp_path, prefix="t", max_size=1)  # a file for each exchange
    _exchange(writer, 200, PAGE)
    _exchange(writer, 304)
    writer.close()
    files = sorted(tmp_path.glob("*.warc.gz"))
    assert len(files) == 2
    for path in files:
        (_, info, *_), *records = _records(path.read_bytes())
        assert [kind for kind, *_ in records] in (["response", "request"], ["revisit", "request"])
        assert {fields["WARC-Warcinfo-ID"] for _, fields, *_ in records} == {info["WARC-Record-ID"]}
