"""WARC writing: valid per-record gzip files, exact pointers, rotation, survival of truncation."""

import gzip
import io
import os
import subprocess
import sys
import zlib
from pathlib import Path

import brotli
import pytest
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.utils.test import get_crawler

from warcio.archiveiterator import ArchiveIterator

try:
    from compression import zstd
except ImportError:
    from backports import zstd

from archive.warc import (
    DECODED_MAX, RecordPointer, RecordUnreadable, WarcFileWriter, content_codings, decode_content, gzip_member,
    read_record,
)

WARCIO = str(Path(sys.executable).with_name("warcio"))
BODY = "<html><body><p>Kế hoạch 174/KH-UBND của UBND TP Hà Nội</p></body></html>".encode()


def _write(writer, i, body=BODY, headers=None):
    return writer.write_exchange(
        url=f"http://127.0.0.1:9/tin-tuc/bai-{i}.html",
        method="GET",
        request_headers=[("User-Agent", "govarchive-test")],
        request_body=b"",
        status=200,
        reason="OK",
        response_headers=headers or [("Content-Type", "text/html; charset=utf-8")],
        body=body,
    )


def test_records_read_back_by_pointer_and_pass_warcio(tmp_path):
    writer = WarcFileWriter(tmp_path, prefix="t", info={"isPartOf": "test crawl"})
    pointers = [_write(writer, i, BODY + str(i).encode()) for i in range(5)]
    writer.close()
    for i, pointer in enumerate(pointers):
        stored = read_record(tmp_path, pointer)
        assert stored.url.endswith(f"bai-{i}.html")
        assert stored.status == 200
        assert stored.body == BODY + str(i).encode()
        assert stored.warc_headers["WARC-Payload-Digest"].startswith("sha1:")
        # the pointer spans the response and its request: a .warc.gz of its own
        types = [r.rec_type for r in ArchiveIterator(io.BytesIO(stored.raw_record))]
        assert types == ["response", "request"]
    (path,) = tmp_path.glob("*.warc.gz")
    assert subprocess.run([WARCIO, "check", str(path)], capture_output=True).returncode == 0
    index = subprocess.run([WARCIO, "index", str(path)], capture_output=True, text=True, check=True).stdout
    assert index.count('"response"') == 5 and index.count('"warcinfo"') == 1
    with open(path, "rb") as f:
        first = next(iter(ArchiveIterator(f)))
    assert first.rec_type == "warcinfo"
    assert b"govarchive" in first.content_stream().read()


def test_content_encoding_is_kept_raw_and_decoded_on_read(tmp_path):
    writer = WarcFileWriter(tmp_path, prefix="t")
    raw = gzip.compress(BODY)
    pointer = _write(writer, 1, raw, [("Content-Type", "text/html"), ("Content-Encoding", "gzip")])
    writer.close()
    stored = read_record(tmp_path, pointer)
    assert stored.body == BODY
    assert raw in gzip.decompress(stored.raw_record)


def test_rotation_by_size(tmp_path):
    writer = WarcFileWriter(tmp_path, prefix="t", max_size=1000)
    for i in range(6):
        _write(writer, i)
    writer.close()
    files = sorted(tmp_path.glob("*.warc.gz"))
    assert len(files) >= 2
    for path in files:
        assert subprocess.run([WARCIO, "check", str(path)], capture_output=True).returncode == 0


def test_truncated_file_keeps_complete_records_and_is_never_appended(tmp_path):
    writer = WarcFileWriter(tmp_path, prefix="t")
    pointers = [_write(writer, i) for i in range(3)]
    writer.file.write(gzip_member(b"WARC/1.1\r\nWARC-Type: response\r\n" + os.urandom(5000))[:700])
    writer.file.flush()
    (path,) = tmp_path.glob("*.warc.gz")
    size = path.stat().st_size
    # simulate SIGKILL: the process dies, the half-written member stays at the end
    for pointer in pointers:
        assert read_record(tmp_path, pointer).body == BODY
    again = WarcFileWriter(tmp_path, prefix="t")
    _write(again, 9)
    again.close()
    assert len(list(tmp_path.glob("*.warc.gz"))) == 2
    assert path.stat().st_size == size == pointers[-1].offset + pointers[-1].length + 700
    with open(path, "rb") as f:
        complete = []
        try:
            for record in ArchiveIterator(f):
                complete.append(record.rec_type)
        except Exception:  # the half-written member at the end: expected to fail to decompress
            pass
    assert complete[:7] == ["warcinfo"] + ["response", "request"] * 3


# Every content coding a server may send, with how it compresses.
COMPRESSING = [
    ("gzip", gzip.compress),
    ("x-gzip", gzip.compress),
    ("deflate", zlib.compress),
    ("deflate", lambda b: zlib.compress(b)[2:-4]),  # raw deflate, as some servers send it
    ("br", brotli.compress),
    ("zstd", zstd.compress),
    ("gzip, br", lambda b: brotli.compress(gzip.compress(b))),
]


@pytest.mark.parametrize("coding, encode", [*COMPRESSING, ("identity", lambda b: b)])
def test_every_content_coding_a_server_may_send_is_undone_on_read(tmp_path, coding, encode):
    writer = WarcFileWriter(tmp_path, prefix="t")
    pointer = _write(writer, 1, encode(BODY), [("Content-Type", "text/html"), ("Content-Encoding", coding)])
    writer.close()
    assert read_record(tmp_path, pointer).body == BODY


def test_codings_on_several_header_lines_are_all_undone_as_the_crawl_undid_them(tmp_path):
    # HTTP lets a server name its codings on one Content-Encoding line or on several.
    body = brotli.compress(gzip.compress(BODY))
    lines = [("Content-Type", "text/html"), ("Content-Encoding", "gzip"), ("Content-Encoding", "br")]
    writer = WarcFileWriter(tmp_path, prefix="t")
    pointer = _write(writer, 1, body, lines)
    writer.close()
    crawled = HttpCompressionMiddleware.from_crawler(get_crawler())._handle_encoding(body, [b"gzip", b"br"], 0)[0]
    assert read_record(tmp_path, pointer).body == crawled == BODY


@pytest.mark.parametrize("coding, encode", [
    ("gzip", gzip.compress),
    ("deflate", zlib.compress),
    ("br", brotli.compress),
    ("zstd", zstd.compress),
])
def test_a_cut_short_body_reads_back_as_the_crawl_read_it(tmp_path, coding, encode):
    # A server that ends the compressed stream early within a complete response: the crawl
    # (Scrapy) extracted what did decode, so reading the capture back must give the same bytes.
    page = os.urandom(200_000).hex().encode()  # zstd decodes in blocks of up to 128 KB
    cut = encode(page)[: -len(encode(page)) // 3]
    writer = WarcFileWriter(tmp_path, prefix="t")
    pointer = _write(writer, 1, cut, [("Content-Type", "text/html"), ("Content-Encoding", coding)])
    writer.close()
    crawled = HttpCompressionMiddleware.from_crawler(get_crawler())._handle_encoding(cut, [coding.encode()], 0)[0]
    assert crawled and page.startswith(crawled)
    assert read_record(tmp_path, pointer).body == crawled


@pytest.mark.parametrize("coding, encode", COMPRESSING)
def test_a_capture_that_inflates_without_end_is_refused_not_read(tmp_path, coding, encode):
    # A few hundred kilobytes on disk that decode to more than any crawl kept: reading it whole
    # would take the memory of the server showing it.
    bomb = encode(bytes(DECODED_MAX + 1))
    writer = WarcFileWriter(tmp_path, prefix="t")
    pointer = _write(writer, 1, bomb, [("Content-Type", "text/html"), ("Content-Encoding", coding)])
    writer.close()
    stored = read_record(tmp_path, pointer)
    with pytest.raises(RecordUnreadable, match=rf"bai-1\.html decodes to more than {DECODED_MAX} bytes"):
        stored.body
    assert decode_content(encode(bytes(DECODED_MAX)), content_codings([coding])) == bytes(DECODED_MAX)


@pytest.mark.parametrize("gzipped", [False, True], ids=["deflated body", "stored gzip body"])
def test_a_damaged_record_is_refused_not_read_as_another(tmp_path, gzipped):
    # Disk or copy damage inside a member: warcio inflates past it and only prints the error.
    body, headers = BODY * 40, None
    if gzipped:
        body, headers = gzip.compress(body), [("Content-Type", "text/html"), ("Content-Encoding", "gzip")]
    writer = WarcFileWriter(tmp_path, prefix="t")
    pointer = _write(writer, 1, body, headers)
    writer.close()
    (path,) = tmp_path.glob("*.warc.gz")
    data = bytearray(path.read_bytes())
    data[pointer.offset + pointer.length // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(RecordUnreadable, match=rf"record at {pointer.offset} is damaged"):
        read_record(tmp_path, pointer)


def test_a_record_edited_and_gzipped_anew_is_refused_by_its_digests(tmp_path):
    """Its gzip member is sound, so no CRC tells; the digests it was written with do. Shown as
    the capture, it would put words in an agency's mouth (Bộ Nội vụ made Bộ Công an)."""
    writer = WarcFileWriter(tmp_path, prefix="t")
    pointer = _write(writer, 1, "<p>Bộ Nội vụ tập huấn</p>".encode())
    writer.close()
    (path,) = tmp_path.glob("*.warc.gz")
    data = path.read_bytes()
    member = data[pointer.offset:pointer.offset + pointer.length]
    edited = gzip.compress(gzip.decompress(member).replace("Bộ Nội vụ".encode(), "Bộ Công an".encode()))
    path.write_bytes(data + edited)
    forged = RecordPointer(pointer.file, len(data), len(edited))
    assert "Bộ Nội vụ".encode() in read_record(tmp_path, pointer).payload
    with pytest.raises(RecordUnreadable, match=rf"record at {len(data)} is damaged: its block digest failed"):
        read_record(tmp_path, forged)


def test_bytes_that_are_no_warc_record_are_named(tmp_path):
    (tmp_path / "t.warc.gz").write_bytes(gzip.compress(b"<html>not a WARC file</html>"))
    with pytest.raises(RecordUnreadable, match="record at 0 is not a WARC record"):
        read_record(tmp_path, RecordPointer("t.warc.gz", 0, (tmp_path / "t.warc.gz").stat().st_size))


def test_a_coding_that_cannot_be_undone_is_named(tmp_path):
    writer = WarcFileWriter(tmp_path, prefix="t")
    pointer = _write(writer, 1, b"\x1f\x9d not really", [("Content-Type", "text/html"), ("Content-Encoding", "compress")])
    garbled = _write(writer, 2, b"not gzip at all", [("Content-Type", "text/html"), ("Content-Encoding", "gzip")])
    writer.close()
    # The record itself reads (an export copies it as it is); only its body is refused.
    stored = read_record(tmp_path, pointer)
    assert stored.payload == b"\x1f\x9d not really" and stored.raw_record
    with pytest.raises(RecordUnreadable, match=r"bai-1\.html.*'compress'"):
        stored.body
    with pytest.raises(RecordUnreadable, match=r"bai-2\.html.*'gzip'"):
        read_record(tmp_path, garbled).body


def test_already_compressed_responses_are_stored_not_deflated_again(tmp_path):
    writer = WarcFileWriter(tmp_path, prefix="t")
    page = ("<p>Kế hoạch 174/KH-UBND của UBND TP Hà Nội</p>" * 500).encode()
    plain = _write(writer, 1, page)
    for i, coding in enumerate(["gzip", "GZIP"], start=2):
        wire = gzip.compress(page)
        encoded = _write(writer, i, wire, [("Content-Type", "text/html"), ("Content-Encoding", coding)])
        writer.file.flush()
        member = (tmp_path / encoded.file).read_bytes()[encoded.offset : encoded.offset + encoded.length]
        assert wire in member, coding  # stored as received, not deflated again
        assert read_record(tmp_path, encoded).body == page
    writer.file.flush()
    member = (tmp_path / plain.file).read_bytes()[plain.offset : plain.offset + plain.length]
    assert len(member) < len(page) / 10
    writer.close()
    (path,) = tmp_path.glob("*.warc.gz")
    assert subprocess.run([WARCIO, "check", str(path)], capture_output=True).returncode == 0


def test_a_member_with_a_stored_tail_is_plain_gzip():
    text = ("WARC/1.1\r\nWARC-Type: response\r\n" + "Sở Thông tin và Truyền thông " * 40).encode()
    for tail in (b"", b"x", os.urandom(1000), os.urandom(200_000)):  # 200 KB spans several stored blocks
        data = text + tail
        for stored in {0, len(tail), len(data)}:
            member = gzip_member(data, 6, stored)
            assert gzip.decompress(member) == data  # checks the CRC and length too
            if 0 < stored < 60_000:  # longer tails are cut into 64 KB stored blocks
                assert data[len(data) - stored :] in member
    # The head is still compressed: far smaller than storing everything.
    assert len(gzip_member(text + b"x", 6, 1)) < len(gzip_member(text + b"x", 0)) / 3


def test_lower_gzip_level_is_used(tmp_path):
    fast = WarcFileWriter(tmp_path / "fast", prefix="t", level=1)
    best = WarcFileWriter(tmp_path / "best", prefix="t", level=9)
    body = ("Sở Thông tin và Truyền thông Hà Nội " * 2000).encode()
    a, b = _write(fast, 1, body), _write(best, 1, body)
    assert a.length > b.length
