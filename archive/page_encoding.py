"""A page's bytes as text: in the encoding its byte order mark, its server, its own <meta> or,
failing those, detection says, as a browser reads it."""

from __future__ import annotations

import codecs
import re

import charset_normalizer

from archive.sniff import BYTE_ORDER_MARKS

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_.:-]+)", re.I)


def decode_body(body: bytes, content_type: str = "") -> tuple[str, str]:
    """Decode by the byte order mark, else with the HTTP charset, then the page's meta charset,
    then detection.

    A byte order mark decides, as in browsers (the WHATWG's encoding sniffing): a UTF-16 page
    under a server's default charset read as windows-1258 was stored as mojibake. A declared
    charset that does not decode the bytes cleanly is not trusted: servers often declare one
    encoding and send another. Bytes that are valid UTF-8 beyond ASCII are UTF-8 whatever the
    declaration says: multi-byte sequences almost never occur by chance in single-byte legacy
    text, and ISO-8859-1, which decodes anything, is a common server default.
    """
    for mark, codec in BYTE_ORDER_MARKS:
        if body.startswith(mark):
            try:
                return body[len(mark):].decode(codec, errors="strict" if codec == "utf-8" else "replace"), codec
            except UnicodeDecodeError:
                # Not the page's own mark: an include saved with one, ahead of a page in a
                # legacy code page (as UTF-8 every accented letter was lost). A UTF-16 or UTF-32
                # page cut short or with a stray surrogate is still that, as browsers read it.
                body = body[len(mark):]
                break
    if not body.isascii():
        try:
            return body.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            pass
    for name in _declared(body, content_type):
        codec = _codec(name)
        if codec:
            try:
                return body.decode(codec), codec
            # LookupError: a label naming one of Python's bytes-to-bytes codecs ("base64", "hex").
            except (UnicodeError, LookupError):
                continue
    return _detected(body)


# Browsers look for the page's <meta charset> through its <head>, past the 1 KB the standard's
# prescan reads: themes set it after an inline stylesheet or script of many KB. Past the first
# 4 KB (where it was always looked for, <body> or not), not in the body, where a page's text or a
# widget can quote markup; nor further than any real head runs.
_META_PRESCAN = 4096
_META_SCAN = 65_536
_BODY_START = re.compile(rb"<body[\s>/]", re.I)


def _declared(body: bytes, content_type: str):
    """The charsets the response declares, the header's first; the page is searched for its own
    only when the header's fails or is missing."""
    match = _HEADER_CHARSET.search(content_type or "")
    if match:
        yield match.group(1)
    for match in _META_CHARSET.finditer(body, 0, _META_SCAN):
        if match.start() >= _META_PRESCAN and _BODY_START.search(body, 0, match.start()):
            return
        if not _commented_or_scripted(body, match.start()):
            yield match.group(1).decode("ascii", "ignore")
            return


def _commented_or_scripted(body: bytes, at: int) -> bool:
    """Whether ``at`` is inside a comment or a script, where a browser reads no <meta>."""
    before = body[:at].lower()
    return before.rfind(b"<!--") > before.rfind(b"-->") or before.rfind(b"<script") > before.rfind(b"</script")


# windows-1258 spells most Vietnamese letters as a vowel and a combining tone mark after it
# (bytes CC, D2, DE, EC, F2). Another language's text read in it puts those bytes after consonants
# ("ě" in Czech is EC): a page whose many tone marks all follow vowels is Vietnamese. Classed by
# bytes.translate, which reads a page in microseconds where a regular expression takes milliseconds.
_CP1258_VOWELS = b"aeiouyAEIOUY\xc2\xc3\xca\xd4\xd5\xdd\xe2\xe3\xea\xf4\xf5\xfd"
_CP1258_MARKS = b"\xcc\xd2\xde\xec\xf2"
# đ and Đ: a few sentences of Vietnamese have them, the Central European and Western languages
# whose letters those bytes are elsewhere (Romanian's Ţ after a vowel) have not.
_CP1258_DD = b"\xd0\xf0"
_CP1258_CLASSES = bytes(
    ord("V") if byte in _CP1258_VOWELS else ord("M") if byte in _CP1258_MARKS else ord("D") if byte in _CP1258_DD
    else ord(".") for byte in range(256)
)
_TONE_MARKS_ENOUGH = 5


def _detected(body: bytes) -> tuple[str, str]:
    """The encoding detection finds, unless windows-1258 reads the bytes as Vietnamese: in a page
    of much markup and little prose detection takes Vietnamese for Central European ("Băěc")."""
    best = charset_normalizer.from_bytes(body[:200_000]).best()
    found = best.encoding if best is not None and best.encoding else None
    if _codec(found or "") not in ("cp1258", "utf-8"):
        vietnamese = _as_windows_1258(body)
        if vietnamese is not None:
            return vietnamese, "cp1258"
    if found:
        return body.decode(found, errors="replace"), found
    return body.decode("utf-8", errors="replace"), "utf-8"


def _as_windows_1258(body: bytes) -> str | None:
    """``body`` read in windows-1258, when that reads it cleanly as Vietnamese."""
    classes = body.translate(_CP1258_CLASSES)
    marks = classes.count(b"M")
    if marks < _TONE_MARKS_ENOUGH or classes.count(b"VM") != marks or b"D" not in classes:
        return None
    try:
        return body.decode("cp1258")
    except UnicodeDecodeError:
        return None


def _codec(name: str) -> str | None:
    try:
        return codecs.lookup(name.strip().lower()).name
    except LookupError:
        return None
