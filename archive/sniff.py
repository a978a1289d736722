"""Whether a body is a web page: the one rule by which the crawler extracts a page and the
capture view shows one."""

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
BYTE_ORDER_MARKS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";")[0].strip().lower()


def looks_like_html(body: bytes) -> bool:
    head = body[:1024]
    if head.startswith(BYTE_ORDER_MARKS[1:]):
        head = head.decode("utf-16", "ignore").encode("utf-8")
    elif head.startswith(BYTE_ORDER_MARKS[0]):
        head = head[len(BYTE_ORDER_MARKS[0]):]
    return HTML_START.match(head) is not None


def is_page(body: bytes, content_type: str | None) -> bool:
    """Declared HTML, or HTML by its first bytes whatever it is declared."""
    return media_type(content_type) in HTML_TYPES or looks_like_html(body)
