"""Undo a response's content coding, and say when its body ends early.

Scrapy's decoders (2.19) hand back whatever decodes from a body cut short: most of a gzip,
deflate or brotli stream, and nothing at all of a zstd frame. A server that closes a chunked
response midway then gives a clean 200, and the page would be archived as a new version holding
part of its text. These decode the same codings but raise BodyTruncated when a compressed stream
does not reach its end. A wrong checksum after a complete stream is let through, as browsers
do: the text is all there.
"""

from __future__ import annotations

import sys
import zlib

import brotli

if sys.version_info >= (3, 14):
    from compression import zstd
else:
    from backports import zstd

_CHUNK = 65536
_GZIP_MAGIC = b"\x1f\x8b"


class BodyTruncated(ValueError):
    """The compressed body ends before its stream does."""


# What the decoders raise for a body that is not in the coding it claims.
DECODE_ERRORS = (zlib.error, brotli.error, zstd.ZstdError)


class BodyTooLarge(ValueError):
    def __init__(self, limit: int):
        super().__init__(f"decodes to more than {limit} bytes")
        self.limit = limit


def decode(body: bytes, coding: str, limit: int) -> bytes:
    """``body`` with ``coding`` (gzip, x-gzip, deflate, br or zstd) undone, at most ``limit``
    bytes of it (0: no limit). A BodyTruncated carries in ``decoded`` what was decoded before
    the stream ended."""
    if not body:  # a 304 or a redirect may announce a coding for the body it does not have
        return body
    decoder = _DECODERS[coding]
    out = bytearray()
    try:
        for chunk in decoder(body):
            out += chunk
            if limit and len(out) > limit:
                raise BodyTooLarge(limit)
    except BodyTruncated as exc:
        exc.decoded = bytes(out)
        raise
    return bytes(out)


def _inflated(decompressor, data: bytes):
    """The output of a zlib decompressor fed ``data``, a chunk at a time, so a bomb is stopped
    at the limit rather than inflated whole."""
    yield decompressor.decompress(data, _CHUNK)
    while not decompressor.eof:
        # With the input all read, zlib may still hold output that did not fit the last chunk.
        tail = decompressor.unconsumed_tail
        chunk = decompressor.decompress(tail, _CHUNK)
        if not chunk and decompressor.unconsumed_tail == tail:
            break
        yield chunk
    if not decompressor.eof:
        raise BodyTruncated("the compressed stream ends before its last block")


def _gunzip(body: bytes):
    # The header is read here and the stream inflated raw, so the trailer's CRC is not checked
    # (zlib would raise and drop the last chunk of output). A body may hold several members.
    data = body
    while True:
        decompressor = zlib.decompressobj(-zlib.MAX_WBITS)
        yield from _inflated(decompressor, data[_gzip_header_length(data):])
        data = decompressor.unused_data[8:]
        if not data.startswith(_GZIP_MAGIC):
            return


def _gzip_header_length(data: bytes) -> int:
    """The length of the gzip member header at the start of ``data`` (RFC 1952, 2.3)."""
    if data[:3] != _GZIP_MAGIC + b"\x08":
        raise zlib.error("not a gzip stream")
    if len(data) < 10:
        raise BodyTruncated("the gzip header is cut off")
    flags, end = data[3], 10
    if flags & 0x04:  # FEXTRA
        end += 2 + int.from_bytes(data[end : end + 2], "little")
    for flag in (0x08, 0x10):  # FNAME, FCOMMENT: zero-terminated
        if flags & flag:
            end = data.find(b"\x00", end) + 1
            if not end:
                raise BodyTruncated("the gzip header is cut off")
    if flags & 0x02:  # FHCRC
        end += 2
    if end > len(data):
        raise BodyTruncated("the gzip header is cut off")
    return end


def _inflate(body: bytes):
    # "deflate" is meant to be zlib-wrapped, but some servers send a raw deflate stream. The
    # zlib header is skipped rather than checked by zlib, for the same reason as gzip's CRC.
    wrapped = len(body) >= 2 and body[0] & 0x0F == 8 and (body[0] << 8 | body[1]) % 31 == 0
    yield from _inflated(zlib.decompressobj(-zlib.MAX_WBITS), body[2:] if wrapped else body)


def _unbrotli(body: bytes):
    decompressor = brotli.Decompressor()
    yield decompressor.process(body, output_buffer_limit=_CHUNK)
    while not decompressor.is_finished() and (chunk := decompressor.process(b"", output_buffer_limit=_CHUNK)):
        yield chunk
    if not decompressor.is_finished():
        raise BodyTruncated("the brotli stream ends before its last block")


def _unzstd(body: bytes):
    data = body
    while True:
        decompressor = zstd.ZstdDecompressor()
        yield decompressor.decompress(data, _CHUNK)
        while not decompressor.eof and not decompressor.needs_input:
            yield decompressor.decompress(b"", _CHUNK)
        if not decompressor.eof:
            raise BodyTruncated("the zstd frame ends before its last block")
        data = decompressor.unused_data
        if not data:
            return


_DECODERS = {"gzip": _gunzip, "x-gzip": _gunzip, "deflate": _inflate, "br": _unbrotli, "zstd": _unzstd}
