"""Content decoding of responses as they arrive: whole bodies decode, cut ones are refused."""

import gzip
import io
import os
import zlib

import brotli
import pytest

from crawler.decoding import DECODE_ERRORS, BodyTooLarge, BodyTruncated, decode, zstd

PAGE = ("Kế hoạch 174/KH-UBND về kênh Zalo OA của Sở Thông tin và Truyền thông. " * 3000).encode() + os.urandom(70_000)


def _raw_deflate(data: bytes) -> bytes:
    packer = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    return packer.compress(data) + packer.flush()


CODED = {
    "gzip": gzip.compress(PAGE),
    "deflate": zlib.compress(PAGE),
    "raw deflate": _raw_deflate(PAGE),
    "br": brotli.compress(PAGE),
    "zstd": zstd.compress(PAGE),
}


def _coding(name: str) -> str:
    return "deflate" if name == "raw deflate" else name


@pytest.mark.parametrize("name", CODED)
def test_a_whole_body_decodes(name):
    assert decode(CODED[name], _coding(name), 0) == PAGE


@pytest.mark.parametrize("name", CODED)
@pytest.mark.parametrize("kept", [0.5, 0.99])
def test_a_body_cut_short_is_refused(name, kept):
    body = CODED[name]
    with pytest.raises(BodyTruncated):
        decode(body[: int(len(body) * kept)], _coding(name), 0)


@pytest.mark.parametrize("name", CODED)
def test_the_limit_stops_decoding(name):
    with pytest.raises(BodyTooLarge, match="more than 100000 bytes"):
        decode(CODED[name], _coding(name), 100_000)


@pytest.mark.parametrize("size", [65_535, 65_536, 65_537, 131_072])
@pytest.mark.parametrize("coding", ["gzip", "deflate", "br", "zstd"])
def test_output_at_the_chunk_boundaries_is_whole(size, coding):
    data = os.urandom(size)
    packed = {"gzip": gzip.compress, "deflate": zlib.compress, "br": brotli.compress, "zstd": zstd.compress}[coding](data)
    assert decode(packed, coding, 0) == data


def test_gzip_is_read_as_browsers_read_it():
    body = gzip.compress(PAGE)
    # A wrong CRC or a missing trailer after a complete stream: the text is all there.
    wrong_crc = bytearray(body)
    wrong_crc[-6] ^= 0xFF
    assert decode(bytes(wrong_crc), "gzip", 0) == PAGE
    assert decode(body[:-8], "gzip", 0) == PAGE
    # Several members back to back, and a header with a file name.
    assert decode(body + gzip.compress(b"<p>tiep</p>"), "gzip", 0) == PAGE + b"<p>tiep</p>"
    named = io.BytesIO()
    with gzip.GzipFile(filename="ke-hoach-174.html", mode="wb", fileobj=named) as f:
        f.write(PAGE)
    assert decode(named.getvalue(), "gzip", 0) == PAGE


def test_an_empty_body_has_nothing_to_decode():
    # A 304 or a redirect may carry Content-Encoding for a body it does not have.
    assert decode(b"", "gzip", 0) == b""


@pytest.mark.parametrize("coding", ["gzip", "br", "zstd"])
def test_a_body_not_in_its_coding_raises_a_decode_error(coding):
    with pytest.raises(DECODE_ERRORS):
        decode(b"<!DOCTYPE html><html><body>" + b"x" * 500 + b"</body></html>", coding, 0)


@pytest.mark.parametrize("length", [3, 4, 9])
def test_a_gzip_body_cut_inside_its_fixed_header_is_cut_short(length):
    with pytest.raises(BodyTruncated, match="the gzip header is cut off"):
        decode(gzip.compress(b"<html></html>")[:length], "gzip", 0)
