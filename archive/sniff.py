"""Whether a body is a web page: the one rule by which the crawler extracts a page and the
capture view shows one."""

import codecs
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


def looks_like_html(body: bytes) -> bool:
    head = body[:1024]
    for mark, codec in BYTE_ORDER_MARKS:
        if head.startswith(mark):
            head = head[len(mark):] if codec == "utf-8" else head[len(mark):].decode(codec, "ignore").encode()
            break
    return HTML_START.match(head) is not None


def is_page(body: bytes, content_type: str | None) -> bool:
    """Declared HTML, or HTML by its first bytes whatever it is declared."""
    return media_type(content_type) in HTML_TYPES or looks_like_html(body)
