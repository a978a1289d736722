"""WARC files: writing every HTTP exchange (through warcio) and reading a record back by offset.

warcio's own gzip writer compresses at level 9, about 3 ms a page. Instead each record is
serialised uncompressed by warcio and then compressed here as its own gzip member at a lower
level: the file is still a standard record-at-a-time .warc.gz, and we learn each record's exact
offset and length for the database pointer without re-reading the file.
"""

from __future__ import annotations

import functools
import gzip
import io
import os
import struct
import zlib
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Iterator

import brotli
from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

try:
    from compression import zstd
except ImportError:  # before Python 3.14
    from backports import zstd

DEFAULT_MAX_SIZE = 1024**3
DEFAULT_LEVEL = 6
# Hop-by-hop framing the HTTP client already undid; keeping it would make readers de-chunk twice.
_FRAMING_HEADERS = {"transfer-encoding"}
# Content codings whose bytes are already compressed. Deflating them again saves nothing (the
# member is as large either way) but costs 0.2-1 ms a page, as much as compressing the page
# itself; such bodies are stored in their member as they are, and only the headers compressed.
_COMPRESSED_CODINGS = {"gzip", "x-gzip", "deflate", "br", "zstd", "compress", "x-compress"}


@dataclass(frozen=True)
class RecordPointer:
    file: str  # file name, relative to the WARC directory
    offset: int
    length: int


def gzip_member(data: bytes, level: int = DEFAULT_LEVEL, stored: int = 0) -> bytes:
    """``data`` as one gzip member, its last ``stored`` bytes kept uncompressed.

    zlib cannot change level within a member from Python, so the member is framed here
    (RFC 1952): the head is deflated and flushed to a byte boundary, and the tail follows as
    stored blocks of a level-0 stream, which any inflater reads on from there.
    """
    if not stored:
        compressor = zlib.compressobj(level, zlib.DEFLATED, zlib.MAX_WBITS | 16)
        return compressor.compress(data) + compressor.flush()
    split = len(data) - stored
    head = zlib.compressobj(level, zlib.DEFLATED, -zlib.MAX_WBITS)
    tail = zlib.compressobj(0, zlib.DEFLATED, -zlib.MAX_WBITS)
    return b"".join((
        b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff",  # deflate, no name, no time, unknown OS
        head.compress(data[:split]), head.flush(zlib.Z_FULL_FLUSH),
        tail.compress(data[split:]), tail.flush(),
        struct.pack("<II", zlib.crc32(data), len(data) & 0xFFFFFFFF),
    ))


class WarcFileWriter:
    """Appends request/response pairs to rotating .warc.gz files in one directory.

    A writer never reopens an existing file: every crawl starts its own, so a file left
    truncated by a killed crawl is never appended to.
    """

    def __init__(self, directory: str | Path, *, prefix: str, info: dict | None = None,
                 max_size: int = DEFAULT_MAX_SIZE, level: int = DEFAULT_LEVEL):
        self.directory = Path(directory)
        made = []
        folder = self.directory
        while not folder.exists():
            made.append(folder)
            folder = folder.parent
        self.directory.mkdir(parents=True, exist_ok=True)
        # The folders made here are new names in their parents, which must reach the disk too.
        self._new_names_in = [folder.parent for folder in made]
        self.prefix = prefix
        self.info = info or {}
        self.max_size = max_size
        self.level = level
        self.serial = 0
        self.file = None
        self.name = None
        # Every record names its file's warcinfo record (WARC-Warcinfo-ID): copied out of the
        # file, as an export or a capture's download does, it still says which crawl made it.
        self.warcinfo_id = None
        self.records = 0
        # Bytes of the open file known to be on disk, and whether the directory entries of the
        # files opened since the last sync are.
        self._synced = 0
        self._entries_synced = True

    def _open_next(self) -> None:
        self.close()
        while True:
            self.serial += 1
            name = f"{self.prefix}-{self.serial:05d}.warc.gz"
            path = self.directory / name
            try:
                self.file = open(path, "xb")
                break
            except FileExistsError:
                continue
        self.name = name
        self._synced = 0
        self._entries_synced = False
        warcinfo = _warcinfo_record(name, self.info)
        self.warcinfo_id = warcinfo.rec_headers.get_header("WARC-Record-ID")
        self._append(warcinfo)

    def _append(self, record, stored: int = 0) -> RecordPointer:
        return self._append_member(gzip_member(_serialise(record), self.level, stored))

    def _append_member(self, data: bytes) -> RecordPointer:
        offset = self.file.tell()
        self.file.write(data)
        self.file.flush()
        self.records += 1
        return RecordPointer(self.name, offset, len(data))

    def write_exchange(
        self,
        *,
        url: str,
        method: str,
        request_headers: list[tuple[str, str]],
        request_body: bytes,
        status: int,
        reason: str,
        response_headers: list[tuple[str, str]],
        body: bytes,
        fetched_at: datetime | None = None,
        ip: str | None = None,
        protocol: str = "HTTP/1.1",
        refers_to: dict[str, str] | None = None,
    ) -> RecordPointer:
        """Write the response record and then its request record.

        Header names and values are the bytes received, decoded as latin-1: they are written back
        as those bytes. ``fetched_at``, the date of both records, is when capture began (WARC 1.1
        §5.4): when the request was sent.

        A 304 is written as a revisit record (§6.7.2, server-not-modified): its headers and no
        payload, referring to the capture whose validators it answered, whose WARC headers
        ``refers_to`` holds when the crawl knows it. A replay tool then finds the page in that
        capture, where a 304 response record would be served as an empty page.

        The pointer returned spans both, so one seek-and-read hands back the whole exchange as a
        valid .warc.gz of its own; the response comes first, so readers find it at the offset.
        """
        if self.file is None or self.file.tell() >= self.max_size:
            self._open_next()
        builder = _builder()
        date = (fetched_at or datetime.now(timezone.utc)).astimezone(timezone.utc)
        warc_date = date.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        common = {"WARC-Date": warc_date, "WARC-Warcinfo-ID": self.warcinfo_id}
        response_fields = dict(common)
        if ip:
            response_fields["WARC-IP-Address"] = ip
        http_response = _ReceivedHeaders(
            f"{status} {reason}".strip(),
            [(k, v) for k, v in response_headers if k.lower() not in _FRAMING_HEADERS],
            protocol=protocol,
        )
        if status == 304:
            response = builder.create_warc_record(
                url, "revisit", http_headers=http_response, warc_headers_dict=response_fields,
            )
            for name, value in _revisit_fields(url, refers_to or {}):
                response.rec_headers.add_header(name, value)
        else:
            response = builder.create_warc_record(
                url, "response", payload=io.BytesIO(body), length=len(body),
                http_headers=http_response, warc_headers_dict=response_fields,
            )
        path = _request_target(url)
        http_request = _ReceivedHeaders(
            f"{method} {path} HTTP/1.1", request_headers, protocol="HTTP/1.1", is_http_request=True
        )
        request = builder.create_warc_record(
            url, "request", payload=io.BytesIO(request_body), length=len(request_body),
            http_headers=http_request,
            warc_headers_dict={
                **common,
                "WARC-Concurrent-To": response.rec_headers.get_header("WARC-Record-ID"),
            },
        )
        # The body and the record's closing CRLF CRLF.
        stored = len(body) + 4 if status != 304 and _compressed(response_headers) else 0
        first = self._append(response, stored)
        second = self._append(request)
        return RecordPointer(first.file, first.offset, first.length + second.length)

    def sync(self) -> None:
        """Put every record written so far on disk (fsync), with the directory entries of the
        files holding them: a new file's name is not durable until its directory is synced."""
        if self.file is not None and self.file.tell() != self._synced:
            self.file.flush()
            os.fsync(self.file.fileno())
            self._synced = self.file.tell()
        if not self._entries_synced:
            for folder in (self.directory, *self._new_names_in):
                descriptor = os.open(folder, os.O_RDONLY)
                try:
                    os.fsync(descriptor)
                finally:
                    os.close(descriptor)
            self._new_names_in = []
            self._entries_synced = True

    def close(self) -> None:
        if self.file is not None:
            self.sync()
            self.file.close()
            self.file = None


class _ReceivedHeaders(StatusAndHeaders):
    """warcio percent-encodes a header value that is not ASCII, and rewrites Content-Disposition's
    filename as filename*=UTF-8'': a portal's "Kế hoạch 174.pdf" came out as mojibake, and the
    record no longer held the bytes received. Values decoded as latin-1 go back as those bytes."""

    def to_ascii_bytes(self, filter_func=None):
        try:
            return self.to_str(filter_func).encode("latin-1") + b"\r\n"
        except UnicodeEncodeError:  # text from elsewhere than the wire: warcio's encoding
            return super().to_ascii_bytes(filter_func)


def content_codings(values: Iterable[str]) -> list[str]:
    """The content codings that a response's Content-Encoding lines name, in the order they were
    applied; several lines make one list, as in HTTP (and as Scrapy reads them)."""
    return [c.strip().lower() for value in values for c in value.split(",") if c.strip()]


def _encodings(headers: list[tuple[str, str]]) -> Iterator[str]:
    return (value for name, value in headers if name.lower() == "content-encoding")


def _compressed(headers: list[tuple[str, str]]) -> bool:
    codings = content_codings(_encodings(headers))
    return bool(codings) and codings[-1] in _COMPRESSED_CODINGS


def _builder() -> WARCWriter:
    return WARCWriter(None, gzip=False, warc_version="WARC/1.1")


def _serialise(record) -> bytes:
    buffer = io.BytesIO()
    WARCWriter(buffer, gzip=False, warc_version="WARC/1.1").write_record(record)
    return buffer.getvalue()


SERVER_NOT_MODIFIED = "http://netpreserve.org/warc/1.1/revisit/server-not-modified"


def _revisit_fields(url: str, earlier: dict[str, str]) -> list[tuple[str, str]]:
    """A 304's revisit fields: the earlier capture's URI, date and record ID as far as known;
    without it, the URI the validators were sent for, which is the 304's own."""
    fields = [("WARC-Profile", SERVER_NOT_MODIFIED),
              ("WARC-Refers-To-Target-URI", earlier.get("WARC-Target-URI") or url)]
    for theirs, ours in (("WARC-Date", "WARC-Refers-To-Date"), ("WARC-Record-ID", "WARC-Refers-To")):
        if earlier.get(theirs):
            fields.append((ours, earlier[theirs]))
    return fields


@functools.cache
def software() -> str:
    """The warcinfo ``software`` field: the name and version of what wrote the file. Read on
    first use: asking the installed versions takes ~30 ms, which every command would otherwise
    pay at import."""
    from importlib.metadata import version

    return f"govarchive/{version('govarchive')} (warcio/{version('warcio')})"


def _warcinfo_record(filename: str, info: dict):
    fields = {"software": software(), "format": "WARC File Format 1.1", **info}
    return _builder().create_warcinfo_record(filename, fields)


def warcinfo_member(filename: str, info: dict, level: int = DEFAULT_LEVEL) -> bytes:
    """A gzipped warcinfo record describing ``filename`` and the software that wrote it."""
    return gzip_member(_serialise(_warcinfo_record(filename, info)), level)


def _request_target(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


class RecordUnreadable(ValueError):
    """A stored record cannot be read back: truncated, damaged, not a WARC record, or its body in
    a coding that will not undo or decoding past DECODED_MAX."""


class WarcFileUnreadable(RecordUnreadable):
    """The WARC file holding a record cannot be read at all: gone, a directory in its place, no
    permission, an I/O error. Every record in it fails alike, so ``file`` is there to name it
    once, with ``reason`` (the system's word for the error)."""

    def __init__(self, file: Path, error: OSError):
        self.file, self.error, self.reason = file, error, error.strerror or str(error)
        super().__init__(f"WARC file {file} cannot be read: {self.reason}")


@dataclass
class StoredResponse:
    url: str
    status: int
    headers: dict[str, str]
    payload: bytes  # the body as received: transfer encoding undone, content coding kept
    raw_record: bytes  # the gzip member exactly as stored in the WARC file
    warc_headers: dict[str, str]
    # From every Content-Encoding line: ``headers`` keeps one value per name.
    codings: list[str]

    @property
    def body(self) -> bytes:
        """The content as the page meant it, content codings undone; RecordUnreadable if they
        do not undo."""
        return decode_content(self.payload, self.codings, self.url)


def read_stored(directory: str | Path, pointer: RecordPointer) -> bytes:
    """One record's bytes exactly as stored, read by seeking to its offset, unchecked; a file
    too short to hold them is RecordUnreadable, one that cannot be read WarcFileUnreadable."""
    path = Path(directory) / pointer.file
    try:
        with open(path, "rb") as f:
            f.seek(pointer.offset)
            raw = f.read(pointer.length)
    except OSError as exc:
        raise WarcFileUnreadable(path, exc) from None
    if len(raw) != pointer.length:
        raise RecordUnreadable(f"{path}: record at {pointer.offset} is truncated")
    return raw


def read_record(directory: str | Path, pointer: RecordPointer) -> StoredResponse:
    """Read one response record by seeking to its offset; no scanning of the file."""
    path = Path(directory) / pointer.file
    raw = read_stored(directory, pointer)
    where = f"{path}: record at {pointer.offset}"
    warc = _inflate_members(raw, where)
    try:
        # check_digests: a record whose bytes no longer give the digests written with them (edited
        # in place, its gzip member made anew) is as damaged as one whose CRC fails.
        for record in ArchiveIterator(io.BytesIO(warc), check_digests="raise"):
            if record.format != "warc":
                # warcio takes a first line of five words or more for an ARC header, in NULs and binary too.
                raise RecordUnreadable(f"{where} is not a WARC record ({_beginning(warc)})")
            http = record.http_headers
            return StoredResponse(
                url=record.rec_headers.get_header("WARC-Target-URI"),
                status=int(http.get_statuscode()) if http else 0,
                headers={k: v for k, v in (http.headers if http else [])},
                # Not warcio's content_stream: it cannot undo x-gzip or zstd, its brotli path needs
                # brotlipy's API where Scrapy installs Google's brotli (warcio issue #73), and a body
                # that fails to inflate comes back as it is, silently.
                payload=record.raw_stream.read(),
                raw_record=raw,
                warc_headers=dict(record.rec_headers.headers),
                codings=content_codings(_encodings(http.headers if http else [])),
            )
    except ArchiveLoadFailed as exc:
        if "digest failed" in str(exc):
            raise RecordUnreadable(f"{where} is damaged: its {exc} (its bytes are not those it was written with)") from None
        raise RecordUnreadable(f"{where} is not a WARC record ({_beginning(warc)})") from None
    raise RecordUnreadable(f"{path}: no record at offset {pointer.offset}")


_SHOWN = 32  # bytes shown of a record that is not one


def _beginning(data: bytes) -> str:
    """How bytes that are not a WARC record begin, in a few words: warcio's error quotes their
    whole first line, which in a zeroed stretch of a disk is tens of kilobytes of escapes."""
    zeros = len(data) - len(data.lstrip(b"\0"))
    if data and zeros == len(data):
        return f"its {zeros:,} bytes are all NUL bytes"
    if zeros:
        return f"its first {zeros:,} bytes are NUL bytes"
    return f"it begins {data[:_SHOWN]!r}{'…' if len(data) > _SHOWN else ''}"


def _inflate_members(raw: bytes, where: str) -> bytes:
    """The WARC bytes in ``raw``'s gzip members, each checked against its CRC and length.

    warcio inflates a damaged member as far as it goes and only prints the error; a capture
    read back must not be a silently different one.
    """
    if not raw.startswith(b"\x1f\x8b"):
        return raw  # an uncompressed record: nothing to check here
    parts, rest = [], raw
    while rest:
        inflater = zlib.decompressobj(wbits=31)
        try:
            parts.append(inflater.decompress(rest))
        except zlib.error as exc:
            raise RecordUnreadable(f"{where} is damaged: {exc}") from None
        if not inflater.eof:
            raise RecordUnreadable(f"{where} is damaged: its gzip stream ends early")
        rest = inflater.unused_data
    return b"".join(parts)


# Each decoder gives what decodes of a stream cut short or failing its checksum, and fails only
# when nothing does: the crawl read such bodies so (Scrapy's decoders are lenient), and reading
# the capture back must give the bytes that were extracted then. Each stops once its output
# passes ``limit`` bytes (DecodedTooLarge), so that a small capture that inflates without end
# cannot exhaust the memory of whoever reads it.

# Bytes a capture may decode to when read back: above the crawl's own DOWNLOAD_MAXSIZE (20 MB),
# which nothing larger got past, and far below what exhausts a reading process.
DECODED_MAX = 64 * 1024 * 1024
_CHUNK = 65536


class DecodedTooLarge(ValueError):
    """A capture's body decodes to more than its reader's limit."""


def _collect(chunks, limit: int) -> bytes:
    out = io.BytesIO()
    for chunk in chunks:
        out.write(chunk)
        if out.tell() > limit:
            raise DecodedTooLarge(f"decodes to more than {limit} bytes")
    return out.getvalue()


def _gunzip(data: bytes, limit: int) -> bytes:
    stream = gzip.GzipFile(fileobj=io.BytesIO(data))

    def chunks():
        nothing_yet = True
        try:
            while chunk := stream.read1(_CHUNK):
                nothing_yet = False
                yield chunk
        except (OSError, EOFError):
            if nothing_yet:
                raise

    return _collect(chunks(), limit)


def _inflate(data: bytes, limit: int) -> bytes:
    # "deflate" is meant to be zlib-wrapped, but some servers send a raw deflate stream.
    try:
        out = zlib.decompressobj().decompress(data, limit + 1)
    except zlib.error:
        out = zlib.decompressobj(-zlib.MAX_WBITS).decompress(data, limit + 1)
    if len(out) > limit:
        raise DecodedTooLarge(f"decodes to more than {limit} bytes")
    return out


def _unbrotli(data: bytes, limit: int) -> bytes:
    # process() hands back at most one output buffer at a time (32 KB), the rest on later calls.
    decompressor = brotli.Decompressor()

    def chunks():
        yield decompressor.process(data, output_buffer_limit=_CHUNK)
        while not decompressor.is_finished() and (chunk := decompressor.process(b"", output_buffer_limit=_CHUNK)):
            yield chunk

    return _collect(chunks(), limit)


def _unzstd(data: bytes, limit: int) -> bytes:
    stream = zstd.ZstdFile(io.BytesIO(data))

    def chunks():
        try:
            while chunk := stream.read(_CHUNK):
                yield chunk
        except EOFError:
            pass

    return _collect(chunks(), limit)


# Every coding Scrapy accepts and undoes when crawling, so whatever was extracted then can be
# extracted again from the WARC.
_DECODERS = {
    "identity": lambda data, limit: data,
    "gzip": _gunzip,
    "x-gzip": _gunzip,
    "deflate": _inflate,
    "br": _unbrotli,
    "zstd": _unzstd,
}


def decode_content(data: bytes, codings: list[str], url: str = "", limit: int = DECODED_MAX) -> bytes:
    """Undo ``codings`` (content_codings()), last applied first; RecordUnreadable for a coding
    that will not undo or a body that decodes to more than ``limit`` bytes."""
    for coding in reversed(codings):
        decoder = _DECODERS.get(coding)
        if decoder is None:
            raise RecordUnreadable(f"capture of {url} is in content coding {coding!r}, which cannot be undone")
        try:
            data = decoder(data, limit)
        except DecodedTooLarge as exc:
            raise RecordUnreadable(f"capture of {url} {exc} as {coding!r}; not read") from None
        except Exception as exc:  # each library raises its own error for a corrupt stream
            raise RecordUnreadable(f"capture of {url} does not decode as {coding!r}: {exc}") from None
    return data


def reference_for(warc_path: str | Path, db_path: str | Path) -> str:
    """How a fetch row names its WARC file: relative to the database's folder when inside it,
    so an archive folder can be moved or copied whole; absolute otherwise."""
    warc_path = Path(warc_path).resolve()
    try:
        return warc_path.relative_to(Path(db_path).resolve().parent).as_posix()
    except ValueError:
        return str(warc_path)


def default_warc_dir(db_path: str | Path) -> Path:
    """WARC files live beside the database they belong to: ``archive.db`` -> ``archive-warc/``;
    beside the file itself, not a symlink to it, which would split one archive's WARC files."""
    db_path = Path(db_path).resolve()
    return db_path.with_name(f"{db_path.stem}-warc")
