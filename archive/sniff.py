"""Whether a body is a web page: the one rule by which the crawler extracts a page and the
capture view shows one, and what a file given to ``govarchive extract`` is when it is not."""

import codecs
import json
import re

HTML_TYPES = ("text/html", "application/xhtml+xml")
# How an HTML page begins, after a byte order mark, white space and perhaps an XML declaration:
# the patterns by which browsers sniff HTML (WHATWG MIME Sniffing, "identifying an unknown MIME
# type"), with <meta> and <link>, which portals' pages also open with. Read from the page
# itself, since misconfigured portals serve their HTML as application/octet-stream or text/plain.
HTML_START = re.compile(
    rb"[\t\n\f\r ]*(?:<\?xml[^>]*>[\t\n\f\r ]*)?"
    rb"(?:<!--|<(?:!doctype[\t\n\f\r ]+html|html|head|body|title|meta|link|script|style|iframe|table|div|font"
    rb"|h1|br|p|a|b)[\t\n\f\r />])",
    re.IGNORECASE,
)
# Each byte order mark and the encoding it names; UTF-32's before UTF-16's, whose little-endian
# mark starts UTF-32's.
BYTE_ORDER_MARKS = (
    (codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";")[0].strip().lower()


def _marked(head: bytes) -> tuple[str | None, bytes]:
    """The encoding ``head``'s byte order mark names (None without one), and what follows it."""
    for mark, codec in BYTE_ORDER_MARKS:
        if head.startswith(mark):
            return codec, head[len(mark):]
    return None, head


def looks_like_html(body: bytes) -> bool:
    codec, head = _marked(body[:1024])
    if codec not in (None, "utf-8"):
        head = head.decode(codec, "ignore").encode()
    return HTML_START.match(head) is not None


def is_page(body: bytes, content_type: str | None) -> bool:
    """Declared HTML, or HTML by its first bytes whatever it is declared."""
    return media_type(content_type) in HTML_TYPES or looks_like_html(body)


def not_a_page(body: bytes) -> str | None:
    """Why ``body`` cannot be a saved web page, or None: the extractor would read such bytes
    as text and report their noise, or a feed's item titles, as an article."""
    if not body.strip():
        return "is empty"
    if body.startswith(b"\x1f\x8b"):
        return "is gzip-compressed: gunzip it first"
    kind = _sniffed(body)
    if kind:
        return f"looks like {kind}, not an HTML page"
    codec, head = _marked(body[:4096])
    # UTF-16 and UTF-32 pages hold NUL bytes too, and start with a byte order mark.
    if b"\x00" in head and codec in (None, "utf-8"):
        return "is binary data, not an HTML page"
    return None


# What a file is, by how it starts: what is most often saved instead of a page.
_SIGNATURES = (
    (b"%PDF-", "a PDF document"), (b"\x89PNG\r\n\x1a\n", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"), (b"GIF89a", "a GIF image"), (b"PK\x03\x04", "a zip file (or an Office document)"),
)
# An XML document by the name of its root element (or its DOCTYPE), namespace prefix aside.
_XML_ROOTS = {"rss": "an RSS feed", "rdf:rdf": "an RSS feed", "feed": "an Atom feed", "urlset": "a sitemap",
              "sitemapindex": "a sitemap", "svg": "an SVG image"}
_FIRST_ELEMENT = re.compile(r"(?:\s+|<\?.*?\?>|<!--.*?-->)*<(?:!DOCTYPE\s+)?([A-Za-z][\w:.-]*)", re.S | re.I)


def _sniffed(body: bytes) -> str | None:
    """What ``body`` looks like when it is not a page: a feed, a PDF, an image; None otherwise."""
    for signature, kind in _SIGNATURES:
        if body.startswith(signature):
            return kind
    if body[:4] == b"RIFF" and body[8:12] == b"WEBP":
        return "a WebP image"
    codec, head = _marked(body[:4096])
    text = head.decode(codec or "utf-8", "ignore")
    first = _FIRST_ELEMENT.match(text)
    if first:
        name = first.group(1).lower()
        return _XML_ROOTS.get(name if name == "rdf:rdf" else name.rpartition(":")[2])
    if text.lstrip(" \t\r\n")[:1] in ("{", "["):
        try:
            json.loads(body)
        except ValueError:
            return None
        return "JSON data"
    return None
