"""Archived captures: the capture view (a banner, and the archived page in a sandboxed frame),
the content file (compression undone), the WARC records, and an article's record as JSON."""

import asyncio
import html
import http
import json
import logging
import mimetypes
import os
import re
import unicodedata
from html import escape as escape_attribute
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote, unquote, urlencode, urljoin, urlsplit

from datasette import hookimpl
from datasette.utils.asgi import Response
from markupsafe import Markup, escape

from archive.captures import (
    CAPTURED_AT_SQL, OTHER_URLS_SQL, CaptureMissing, CaptureOfAnotherURL, WarcFileMissing, documents_sql, read_capture,
    read_hop, stored_capture,
)
from archive.datasette.plugins.reading_room import (
    error_page, merged_into, not_found, query_rows, read_at_once, read_only, row_id, schema_names,
)
from archive.history import History
from archive.ingest import NOT_THERE, REDIRECTED_AWAY
from archive.page_encoding import decode_body
from archive.sniff import is_page, media_type
from archive.urls import canonical_url
from archive.warc import RecordUnreadable, WarcFileUnreadable

logger = logging.getLogger(__name__)

# Archived pages may carry script: never let it run on the archive's origin. Nor may they load
# anything: the archive keeps the page, not its images, styles or embeds, so each would be
# fetched live from the portal (or a third party), telling it who reads what in the archive and
# showing today's files inside an archived page. Inline styles and data: images are the page's own.
# A link the reader clicks may take the whole tab (its rewritten links do, out of the capture
# view's frame); no other site may frame a page of the archive without the banner.
CAPTURE_POLICY = (
    "sandbox allow-top-navigation-by-user-activation; default-src 'none'; style-src 'unsafe-inline'; "
    "img-src data:; font-src data:; media-src data:; form-action 'none'; base-uri 'none'; frame-ancestors 'self'"
)
SANDBOX_HEADERS = {
    "Content-Security-Policy": CAPTURE_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
# The capture view itself, the archive's own markup: its styles, and a frame showing the archived
# page from the archive only, so that nothing the page leads to shows under the banner as archived.
VIEW_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; frame-src 'self'; form-action 'none'; base-uri 'none'; "
    "frame-ancestors 'none'"
)
VIEW_HEADERS = {**SANDBOX_HEADERS, "Content-Security-Policy": VIEW_POLICY}


# Python's own table, the same on every machine (not the system's /etc/mime.types).
MEDIA_TYPES = mimetypes.MimeTypes()
# What Python's table lacks (the office formats, webp), or names otherwise (.xsl for XML).
EXTENSIONS = {
    "text/html": ".html",
    "": ".html",
    "application/xhtml+xml": ".xhtml",
    "image/svg+xml": ".svg",
    "application/xml": ".xml",
    "text/xml": ".xml",
    "image/webp": ".webp",
    "image/avif": ".avif",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": ".pptx",
    "application/vnd.oasis.opendocument.text": ".odt",
    "application/vnd.oasis.opendocument.spreadsheet": ".ods",
    "application/vnd.oasis.opendocument.presentation": ".odp",
    "application/vnd.rar": ".rar",
    "application/x-rar-compressed": ".rar",
    "application/x-7z-compressed": ".7z",
    "application/epub+zip": ".epub",
}
# A parameter of a Content-Disposition: a quoted value, or one up to the next ";" (some servers
# send a name with spaces unquoted).
DISPOSITION_PARAM = re.compile(r';\s*([!#$%&\'*+.^_`|~0-9A-Za-z-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)')
PERCENT_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")
# What Windows refuses in a file name (the path separators are split off before).
UNSAFE_IN_NAMES = set('<>:"|?*')
WINDOWS_DEVICE = re.compile(r"(?i)(con|prn|aux|nul|com[1-9]|lpt[1-9])")
LONGEST_NAME = 150  # characters: well within the 255 bytes file systems allow, in UTF-8
# RFC 5987's attr-char beside letters and digits, which filename* has as they are.
ATTR_CHARS = "!#$&+^`|"
# What ?download= asks for the file by; any other value (0, false, no) asks for the view.
DOWNLOAD_YES = ("1", "true", "yes", "on")


def _db(datasette):
    return datasette.get_database()


async def _row(datasette, sql, params):
    row = (await _db(datasette).execute(sql, params)).first()
    return dict(row) if row is not None else None


async def _by_id(datasette, table, value):
    """The row of ``table`` whose id is ``value`` as it came in the URL, or None."""
    number = row_id(value)
    return None if number is None else await _row(datasette, f"select * from {table} where id = ?", [number])


async def _fetch(datasette, request):
    """(fetch row, None), or (None, a 404 response)."""
    fetch = await _by_id(datasette, "fetches", request.url_vars["fetch_id"])
    if fetch is None:
        return None, await not_found(datasette, request, "Không có bản lưu này", "No such capture")
    return fetch, None


def _reason(datasette, exc) -> str:
    """The error, without the folder the archive lives in: not every reader should learn it.
    Captures are read from the database file's own folder, not a symlink's (archive/captures.py)."""
    path = Path(_db(datasette).path)
    reason = str(exc)
    for folder in (path.resolve().parent, path.parent):
        reason = reason.replace(f"{folder}{os.sep}", "")
    return reason


async def _missing(datasette, request, fetch: dict, exc: CaptureMissing):
    """Why a fetch has no capture to serve. A capture whose WARC file is gone was archived and
    is lost: a fault of the archive (its files moved, a folder left out of a copy), not of the
    address asked for, so a 500 as for a file that cannot be read, never the 404 of an id the
    archive never had. Nor a 410, which is how an archived page says it was removed, and which
    caches keep: the file may well be restored. A fetch that kept none (robots.txt forbade it,
    no answer came) lost nothing: a 404 saying why."""
    if isinstance(exc, WarcFileMissing):
        return await error_page(datasette, request, "Bản lưu này đã mất: tệp WARC chứa nó không còn",
                                "This capture is lost: its WARC file is missing", status=500,
                                detail=_reason(datasette, exc))
    return await error_page(
        datasette, request, "Trang này chưa từng được lưu", "This page was never captured",
        detail=f"fetch {fetch['id']}: {fetch.get('error') or 'no answer was kept'}",
    )


async def _unreadable_file(datasette, request, exc):
    # The record may well be intact: the file could not be opened (permissions, a disk error).
    return await error_page(datasette, request, "Không đọc được tệp WARC chứa bản lưu này",
                            "The WARC file holding this capture cannot be read", status=500,
                            detail=_reason(datasette, exc))


LINK_ELEMENTS = ("a", "area")
# Where a link's address is: an <a> of an inline <svg> has it in xlink:href, or in href as SVG 2
# has it (which browsers follow first). <use> and <image> are parts of the picture, not links,
# and stay as archived: the policy blocks an <image> as it does an <img>, and browsers fetch a
# <use> only from the page's own origin, which the sandbox makes one no URL has.
LINK_ATTRIBUTES = ("href", "xlink:href")
# HTML's raw text and escapable raw text elements: browsers read what is in them as text up to
# their end tag, so a tag in them is neither a link nor the start of the page's content.
TEXT_ELEMENTS = ("script", "style", "title", "textarea", "xmp", "iframe", "noembed", "noframes")
# The schemes whose URLs browsers parse with a host and a path, reading "\\" as "/" (WHATWG URL).
SPECIAL_SCHEMES = ("http", "https", "ws", "wss", "ftp", "file")
URL_SCHEME = re.compile(r"([a-zA-Z][a-zA-Z0-9+.-]*):")
# Browsers end a comment at "--!>" too, and take "<!-->" and "<!--->" for whole, empty ones.
COMMENT_END = re.compile(r"--!?>")
EMPTY_COMMENT = re.compile(r"<!---?>")
# Markup before the doctype would put the page in quirks mode, changing how it is laid out.
DOCUMENT_START = re.compile(r"\ufeff?\s*(?:<!doctype[^>]*>)?", re.IGNORECASE)
# HTMLParser is pure Python: a page of a few megabytes takes it seconds, which a reader of an
# article (some 80-300 KB of text) never waits for. Past this, ten times the largest of those,
# the page is served as archived with the banner: a longer wait is no longer worth the links.
MAX_REWRITTEN_PAGE = 3_000_000  # characters
# Far fewer than SQLite's limit on the parameters of one query.
LOOKUP_BATCH = 500
TITLE_PREFIX = "Bản lưu / Archived · "
# What browsers strip from a title and collapse within it: not every Unicode space.
ASCII_WHITESPACE = re.compile(r"[\t\n\f\r ]+")
# What a URL's fragment may hold as it is; the rest is percent-encoded, as browsers do.
FRAGMENT_SAFE = "!$&'()*+,;=:@/?~%"
# The article a capture is of: the one whose capture it is, else the one at its URL (m018
# indexes the first).
ARTICLE_OF_CAPTURE_SQL = (
    "select id from articles where fetch_id = :fetch or url = :url order by fetch_id = :fetch desc limit 1"
)
# Where a capture stands among its article's versions, read along the (article_id, version)
# index: the version it was read into (the later, were it read into two), how many there are,
# and the latest one's capture.
VERSION_SQL = """
    select v.version, latest.version as versions, latest.fetch_id as latest_fetch_id
    from article_versions latest join article_versions v on v.article_id = latest.article_id
    where latest.article_id = :article and v.fetch_id = :fetch
    order by latest.version desc, v.version desc limit 1
"""


class _PageMap(HTMLParser):
    """Where in an HTML page's text its links, its <base> and its <title> are: the page is
    changed at its links only, every other character served as archived."""

    CDATA_CONTENT_ELEMENTS = TEXT_ELEMENTS

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self._line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
        self.links = []  # (start, end, tag, attrs, self-closing)
        self.base = None
        self.title_at = None
        self.title_end = None
        self._templates = 0  # how deep in <template>s: none of their content is the page's head or body
        # No tag ends after the last ">": there HTMLParser would take each "<" for the start of
        # one and search the rest of the page for its end, again and again.
        self.feed(text[:text.rfind(">") + 1])
        self.close()

    def _offset(self) -> int:
        line, column = self.getpos()
        return self._line_starts[line - 1] + column

    def set_cdata_mode(self, elem, **kwargs):
        # Newer Pythons' parsers pass ``escapable=True`` for <title> and <textarea>.
        super().set_cdata_mode(elem, **kwargs)
        # Browsers end the element at "</name" whatever follows the name ("</script x>" too),
        # where HTMLParser waits for a bare "</name>".
        self.interesting = re.compile(rf"</{elem}(?=[\t\n\f\r />])", re.IGNORECASE)

    def parse_endtag(self, i):
        if self.cdata_elem is None:
            return super().parse_endtag(i)
        end = self.rawdata.find(">", i)
        if end < 0:
            return -1
        # The first title of the page's own ends first: one in a template before it has ended.
        if self.cdata_elem == "title" and self.title_at is not None and self.title_end is None:
            self.title_end = i
        self.clear_cdata_mode()
        return end + 1

    def parse_comment(self, i, report=True):
        match = EMPTY_COMMENT.match(self.rawdata, i) or COMMENT_END.search(self.rawdata, i + 4)
        # One never closed runs to the end of the page, as in browsers.
        return match.end() if match else len(self.rawdata)

    def parse_marked_section(self, i, report=True):
        # In HTML browsers read "<![CDATA[" and any other "<![" as a comment ending at the first
        # ">"; HTMLParser would look for "]]>", or fail on what is not a section's name.
        return self.parse_bogus_comment(i)

    def handle_startendtag(self, tag, attrs):
        # In HTML the "/" of "<title/>" or "<template/>" means nothing: the element begins.
        self.handle_starttag(tag, attrs)
        if tag in self.CDATA_CONTENT_ELEMENTS:
            self.set_cdata_mode(tag)

    def handle_endtag(self, tag):
        if tag == "template" and self._templates:
            self._templates -= 1

    def handle_starttag(self, tag, attrs):
        raw = self.get_starttag_text()
        start = self._offset()
        end = start + len(raw)
        values = dict(reversed(attrs))  # the first of a repeated attribute is the one that counts
        # A template's links too: one with shadowrootmode is shown (declarative shadow DOM), and
        # script, which the sandbox stops, is all that would show another.
        if tag in LINK_ELEMENTS and any(values.get(name) is not None for name in LINK_ATTRIBUTES):
            self.links.append((start, end, tag, attrs, raw.endswith("/>")))
        if not self._templates:
            self._document_part(tag, values, end)
        self._templates += tag == "template"

    def _document_part(self, tag, values, end):
        """Where the page's <base> and <title> are: a template's are neither."""
        if tag == "base" and self.base is None and values.get("href") is not None:
            self.base = values["href"]
        elif tag == "title" and self.title_at is None:
            self.title_at = end


def _scheme(url: str) -> str:
    try:
        return urlsplit(url).scheme
    except ValueError:  # "http://[x": not a URL at all
        return ""


def _with_slashes(href: str, base: str) -> str:
    """``href`` as a browser reads it: in a URL of a special scheme (WHATWG), http(s) among them,
    a backslash before the query or fragment is a slash, so "http:\\\\host\\x" is http://host/x, which
    urljoin would take for a path of the page's own site."""
    scheme = URL_SCHEME.match(href)
    if (scheme.group(1).lower() if scheme else _scheme(base)) not in SPECIAL_SCHEMES:
        return href
    path_end = len(re.match(r"[^?#]*", href).group())
    return href[:path_end].replace("\\", "/") + href[path_end:]


def _link_url(href: str, base: str) -> str | None:
    """The absolute http(s) URL ``href`` means in a page at ``base``; None for the links that
    stay as they are: a fragment of the page itself, javascript:, mailto:, tel: and the like."""
    # Browsers ignore the whitespace around a URL and the tabs and newlines within it.
    href = re.sub(r"[\t\n\r]", "", href).strip(" \f")
    if not href or href.startswith("#"):
        return None
    try:
        url = urljoin(base, _with_slashes(href, base))
    except ValueError:
        return None
    return url if urlsplit(url).scheme in ("http", "https") else None


def _link_urls(attrs: list, base: str) -> dict[str, str]:
    """The absolute URL each of a link's address attributes means, for those it is rewritten in."""
    values = dict(reversed(attrs))  # the first of a repeated attribute is the one that counts
    urls = {name: _link_url(values[name], base) for name in LINK_ATTRIBUTES if values.get(name) is not None}
    return {name: url for name, url in urls.items() if url is not None}


def _archived_forms(url: str) -> list[str]:
    """The URLs the archive may hold ``url`` as, the one as written first: the crawler keeps a
    source's URLs in the scheme of its home page (canonical_url's prefer_scheme), and pages
    link to either."""
    forms = [canonical_url(url)]
    for scheme in ("http", "https"):
        form = canonical_url(url, prefer_scheme=scheme)
        if form not in forms:
            forms.append(form)
    return forms


async def archived_paths(datasette, urls) -> dict[str, str]:
    """The archive's page for each of ``urls`` it holds (by canonical URL, in either scheme): its
    latest good capture, else the article page of the article it is an address of."""
    db = _db(datasette)
    keys = {url: _archived_forms(url) for url in urls}
    wanted = sorted({form for forms in keys.values() for form in forms})
    found = {}
    has_other_urls = await db.table_exists("article_urls")
    for i in range(0, len(wanted), LOOKUP_BATCH):
        batch = wanted[i:i + LOOKUP_BATCH]
        marks = ", ".join("?" * len(batch))
        articles = f"select url, id from articles where url in ({marks})"
        if has_other_urls:
            articles += f" union all select url, article_id from article_urls where url in ({marks})"
        for row in (await db.execute(articles, batch * (2 if has_other_urls else 1))).rows:
            found.setdefault(row[0], datasette.urls.path(f"-/a/{row[1]}"))
        # A capture wins over the article page: the reader stays among archived pages, as they
        # would on the live site. Only a 2xx is the page itself; a redirect's or an error's is not,
        # nor a 200 that is another page: where a redirect led instead (the home page), or a
        # "page not found" page (a soft 404).
        captures = await db.execute(
            f"select url, max(id) from fetches where url in ({marks}) and warc_file is not null "
            "and status between 200 and 299 and (error is null or error not like ? and error != ?) "
            "group by url", [*batch, REDIRECTED_AWAY + "%", NOT_THERE],
        )
        for row in captures.rows:
            found[row[0]] = datasette.urls.path(f"-/capture/{row[1]}.html")
    paths = {url: next((found[form] for form in forms if form in found), None) for url, forms in keys.items()}
    return {url: path for url, path in paths.items() if path}


def _not_archived_path(datasette, url: str) -> str:
    return datasette.urls.path("-/go") + "?" + urlencode({"url": url})


def _archive_href(datasette, paths: dict[str, str], url: str) -> str:
    """Where a link to ``url`` leads in the capture view, given the archive's ``paths``."""
    href = paths.get(url) or _not_archived_path(datasette, url)
    # The same place in the archived copy of a page (the article page has no such anchors),
    # which the capture view hands to its frame: a URL's own fragment never reaches the server.
    fragment = urlsplit(url).fragment
    if fragment and href.startswith(datasette.urls.path("-/capture/")):
        href += "?" + urlencode({"fragment": fragment})
    return href


def _link_tag(tag: str, attrs: list, hrefs: dict[str, str], self_closing: bool) -> str:
    """The link's start tag, each attribute named in ``hrefs`` given its new address."""
    parts = [tag]
    replaced = set()
    for name, value in attrs:
        if name in hrefs and name not in replaced:
            value = hrefs[name]
            replaced.add(name)
        # The sandbox lets no page open a window: a link to a new one would do nothing at all.
        elif name == "target":
            continue
        parts.append(name if value is None else f'{name}="{escape_attribute(value)}"')
    # The page is in the capture view's frame: what a link leads to takes the whole tab, with
    # a banner of its own, not the frame under this page's banner.
    parts.append('target="_top"')
    return "<" + " ".join(parts) + (" />" if self_closing else ">")


async def _parsed(text: str) -> _PageMap | None:
    """The page's map, or None for a page too long to rewrite or one the parser fails on."""
    if len(text) > MAX_REWRITTEN_PAGE:
        return None
    try:
        # In a thread: the event loop serves every other reader meanwhile.
        return await asyncio.to_thread(_PageMap, text)
    except Exception:  # whatever a hostile page makes the parser raise
        # Said, since a fault of the rewriter itself would otherwise only show as links that
        # lead to the live web.
        logger.warning("capture view: page left unrewritten, its parser failed", exc_info=True)
        return None


async def _archive_page(datasette, page_url: str, text: str) -> str:
    """The archived page as the capture view's frame shows it: its links lead to the archive's
    copies of what they point to (or to a page saying the archive has none), since relative to
    the archive's own address they would lead into the archive's site instead. A page too long
    to rewrite, or one the parser fails on, is served as archived, its links leading the whole
    tab where they point, as the banner says."""
    page = await _parsed(text)
    if page is None:
        at = DOCUMENT_START.match(text).end()
        return text[:at] + '<base target="_top">' + text[at:]
    base = page_url
    if page.base is not None:
        base = _link_url(page.base, page_url) or page_url
    targets = [(link, _link_urls(link[3], base)) for link in page.links]
    paths = await archived_paths(datasette, {url for _, urls in targets for url in urls.values()})
    out, done = [], 0
    for (start, end, tag, attrs, self_closing), urls in targets:
        if urls:
            hrefs = {name: _archive_href(datasette, paths, url) for name, url in urls.items()}
            out += [text[done:start], _link_tag(tag, attrs, hrefs, self_closing)]
            done = end
    out.append(text[done:])
    return "".join(out)


def _title(text: str, page: _PageMap | None) -> str | None:
    """The page's title as a browser shows it in the tab, or None."""
    if page is None or page.title_end is None:
        return None
    return ASCII_WHITESPACE.sub(" ", html.unescape(text[page.title_at:page.title_end])).strip(" ") or None


async def _view(datasette, request, fetch: dict, page_url: str, text: str | None, *,
                content_type: str | None = None) -> Response:
    """The capture view: a banner saying what the page is, and the page in a sandboxed frame
    below it, where nothing the page does can cover the banner or paint one of its own; for a
    capture that is no page (``text`` None), what it is and a link to download it instead."""
    page = await _parsed(text) if text is not None else None
    article = await _row(datasette, ARTICLE_OF_CAPTURE_SQL, {"fetch": fetch["id"], "url": fetch["url"]})
    frame = None
    if text is not None:
        frame = datasette.urls.path(f"-/capture/{fetch['id']}/page.html")
        fragment = request.args.get("fragment")
        if fragment:
            frame += "#" + quote(fragment, safe=FRAGMENT_SAFE)
    asked = fetch.get("requested_url") or fetch["url"]
    name = _title(text, page) or page_url
    html_text = await datasette.render_template("capture_view.html", {
        "title": TITLE_PREFIX + name, "name": name, "frame": frame,
        "content_type": content_type or "không rõ / unknown",
        "fetch": fetch, "page_url": page_url, "asked": asked, "status": _status(fetch["status"]),
        "live": {url for url in (asked, page_url) if _scheme(url) in ("http", "https")},
        "article": article, "older": await _older_version(datasette, fetch, article),
        "rewritten": page is not None or text is None,
    }, request=request)
    return Response.html(html_text, headers=VIEW_HEADERS)


def _status(status: int | None) -> str | None:
    """The HTTP status of a capture that is not a 200, with its reason ("410 Gone"), or None."""
    if status is None or status == 200:
        return None
    try:
        return f"{status} {http.HTTPStatus(status).phrase}"
    except ValueError:  # a status HTTP does not name
        return str(status)


async def _older_version(datasette, fetch: dict, article: dict | None) -> dict | None:
    """The version of ``article`` this capture was read into, with how many the article has and
    the latest one's capture, when a later version exists: else this capture reads as the
    article's current text would."""
    if article is None or not await _db(datasette).table_exists("article_versions"):
        return None
    version = await _row(datasette, VERSION_SQL, {"article": article["id"], "fetch": fetch["id"]})
    return version if version and version["version"] < version["versions"] else None


def _extension(kind: str) -> str:
    """The extension a file of media type ``kind`` is opened by."""
    if kind in EXTENSIONS:
        return EXTENSIONS[kind]
    # RSS, Atom and the like, which Python's table does not know.
    return MEDIA_TYPES.guess_extension(kind) or (".xml" if kind.endswith("+xml") else ".bin")


def _fits(extension: str, kind: str) -> bool:
    """Whether a file named with ``extension`` is of type ``kind`` (any, for a server that
    named no type but "bytes")."""
    extension = extension.lower()
    return (kind == "application/octet-stream" or extension == _extension(kind)
            or extension in MEDIA_TYPES.guess_all_extensions(kind))


def _disposition_name(value: str) -> str | None:
    """The file name a Content-Disposition gives: filename* (RFC 6266, its value RFC 5987's
    charset''percent-encoded, or, as some servers send it, the name as it is), else filename."""
    params = {name.lower(): raw.strip() for name, raw in DISPOSITION_PARAM.findall(value)}
    if "filename*" in params:
        extended = params["filename*"].strip('"')
        if extended.count("'") < 2:
            return extended
        charset, _language, encoded = extended.split("'", 2)
        try:
            return unquote(encoded, encoding=charset or "utf-8", errors="replace")
        # A charset Python does not know, or one that is no text codec ('idna', 'undefined').
        except (LookupError, UnicodeError, ValueError):
            return unquote(encoded, errors="replace")
    named = params.get("filename")
    if named is None:
        return None
    if named.startswith('"'):
        named = re.sub(r"\\(.)", r"\1", named.strip('"'))
    # A name percent-encoded in filename, as many portals' download handlers send it.
    if PERCENT_ESCAPE.search(named):
        try:
            return unquote(named, errors="strict")
        except UnicodeDecodeError:
            pass
    return named


def _safe_name(name: str) -> str | None:
    """``name`` as a file name on the reader's computer: its last path part, without control or
    format characters (a right-to-left mark reverses how the extension reads) or characters
    Windows refuses, not so long that a file system refuses it. None when nothing is left."""
    name = re.split(r"[/\\]", unicodedata.normalize("NFC", name))[-1]
    name = "".join("_" if char in UNSAFE_IN_NAMES or unicodedata.category(char)[0] == "C" else char
                   for char in name)
    name = " ".join(name.split()).strip(" .")
    if WINDOWS_DEVICE.fullmatch(os.path.splitext(name)[0]):
        name = "_" + name  # "CON.pdf" names a device there, not a file
    if len(name) > LONGEST_NAME:
        stem, extension = os.path.splitext(name)
        name = stem[:LONGEST_NAME - len(extension)].rstrip(" .") + extension
    return name or None


def _download_name(fetch: dict, capture, kind: str) -> str:
    """The name the reader's computer saves a capture under, and opens it by: the one the
    server gave the file, else the last part of its address when that is named for its type,
    else ``capture-<id>`` with its type's extension."""
    given = _header(capture, "Content-Disposition")
    name = _safe_name(_disposition_name(given) or "") if given else None
    extension = os.path.splitext(name or "")[1]
    if extension and not _fits(extension, kind) and _extension(kind) != ".bin":
        # The server's name is kept, but its type decides how the file opens: a PDF named
        # "invoice.exe" would be run as a program.
        return name + _extension(kind)
    if name is None:
        last = _safe_name(unquote(urlsplit(capture.url or fetch["url"]).path.rsplit("/", 1)[-1], errors="replace"))
        extension = os.path.splitext(last or "")[1]
        name = last if extension and _fits(extension, kind) else None
    if name is None:
        return f"capture-{fetch['id']}{_extension(kind)}"
    return name if os.path.splitext(name)[1] else name + _extension(kind)


def _ascii_name(name: str, fallback: str) -> str:
    """``name`` in ASCII, for the clients that do not read filename*: Vietnamese without its
    marks; ``fallback`` when little of it is left."""
    bare = "".join(c for c in unicodedata.normalize("NFD", name.replace("đ", "d").replace("Đ", "D"))
                   if not unicodedata.combining(c))
    # A % in filename would be read as an escape by some browsers.
    ascii_name = re.sub(r"[^\x20-\x7e]|%", "_", bare)
    return ascii_name if re.search(r"[A-Za-z0-9]", os.path.splitext(ascii_name)[0]) else fallback


def _attachment(name: str, fallback: str) -> str:
    """A Content-Disposition saving the file as ``name``: in filename, in ASCII, and when that
    is not the name itself, in filename* as well (RFC 6266), which browsers take first."""
    ascii_name = _ascii_name(name, fallback)
    if ascii_name == name:
        return f'attachment; filename="{name}"'
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe=ATTR_CHARS)}"


async def _capture(datasette, request):
    """(fetch row, its capture, the body with its content codings undone), or the page saying
    why there is none."""
    fetch, error = await _fetch(datasette, request)
    if fetch is None:
        return error
    try:
        capture = read_capture(_db(datasette).path, fetch)
        return fetch, capture, capture.body
    except CaptureMissing as exc:
        return await _missing(datasette, request, fetch, exc)
    except WarcFileUnreadable as exc:
        return await _unreadable_file(datasette, request, exc)
    except CaptureOfAnotherURL as exc:
        # No link to the record as stored: it is another page's, and would be saved under this one's name.
        return await error_page(
            datasette, request, "Bản ghi WARC mà bản lưu này trỏ tới là của một địa chỉ khác",
            "This capture's WARC record is of another address", status=500, detail=_reason(datasette, exc))
    except RecordUnreadable as exc:
        return await error_page(
            datasette, request, "Bản ghi WARC của bản lưu này bị hỏng", "This capture's WARC record is damaged",
            status=500, detail=_reason(datasette, exc),
            link=(datasette.urls.path(f"-/capture/{fetch['id']}.warc.gz"), "Tải bản ghi nguyên trạng",
                  "Download the record as stored"),
        )


def _header(capture, name: str) -> str | None:
    """A header of the archived response, as the server spelled its name or not."""
    return next((value for key, value in capture.headers.items() if key.lower() == name.lower()), None)


def _content_type(capture) -> str | None:
    return _header(capture, "Content-Type")


def _text(body: bytes, content_type: str) -> str:
    """The page decoded as the archive decodes it for extraction, to be sent as UTF-8, which the
    header declares: a browser believes the header over the page's own <meta charset>."""
    return decode_body(body, content_type)[0]


async def capture_view(datasette, request):
    found = await _capture(datasette, request)
    if isinstance(found, Response):
        return found
    fetch, capture, body = found
    content_type = _content_type(capture)
    page_url = capture.url or fetch["url"]
    if (request.args.get("download") or "").strip().lower() not in DOWNLOAD_YES:
        # What the crawler read as a page, whatever its type: XHTML, HTML sent as text/plain. The
        # rest is never served to be shown under its own type (an SVG document or XML can hold
        # links, styles and script of their own), only as the file to download.
        if is_page(body, content_type):
            return await _view(datasette, request, fetch, page_url, _text(body, content_type))
        return await _view(datasette, request, fetch, page_url, None, content_type=content_type)
    content_type = content_type or "text/html"
    kind = media_type(content_type)
    name = _download_name(fetch, capture, kind)
    headers = {**SANDBOX_HEADERS,
               "Content-Disposition": _attachment(name, f"capture-{fetch['id']}{_extension(kind)}")}
    return Response(body, status=200, headers=headers, content_type=content_type)


async def archived_page(datasette, request):
    """The archived page the capture view frames. Opened in a tab of its own, the capture view
    instead: there the page would have no banner."""
    found = await _capture(datasette, request)
    if isinstance(found, Response):
        return found
    fetch, capture, body = found
    content_type = _content_type(capture)
    if request.headers.get("sec-fetch-dest") == "document" or not is_page(body, content_type):
        return Response.redirect(datasette.urls.path(f"-/capture/{fetch['id']}.html"))
    text = await _archive_page(datasette, capture.url or fetch["url"], _text(body, content_type))
    return Response(text.encode("utf-8"), status=200, headers=dict(SANDBOX_HEADERS),
                    content_type="text/html; charset=utf-8")


async def go(datasette, request):
    """A link of an archived page, followed: to the archive's copy of where it points, or a page
    saying the archive has none, with the live address for whoever means to leave the archive."""
    url = request.args.get("url") or ""
    live = _scheme(url) in ("http", "https")
    path = (await archived_paths(datasette, [url])).get(url) if live else None
    if path:
        return Response.redirect(path)
    return await error_page(
        datasette, request, "Kho lưu trữ không có trang này", "This page is not in the archive",
        detail=url or None,
        link=(url, "Mở trang gốc trên mạng (rời kho lưu trữ)", "Open the live page (leaves the archive)") if live else None,
    )


def _redirect_records(db_path, fetch: dict) -> list[bytes]:
    """The WARC records of the redirects that led to the capture, oldest first, as an export
    writes them: the answers a retry replaced (a 503, a 429) stay out, since a replay tool could
    serve one of them for the page, and so does a record that cannot be read."""
    records = []
    for hop in json.loads(fetch.get("warc_hops") or "[]"):
        try:
            answer = read_hop(db_path, hop)
        except (CaptureMissing, RecordUnreadable):
            continue
        if 300 <= answer.status < 400:
            records.append(answer.raw_record)
    return records


async def warc_record(datasette, request):
    """The exchange for the URL that was asked for: the redirects that led to the capture, then
    the capture's record as stored, unchecked: a damaged record is still all there is of it."""
    fetch, error = await _fetch(datasette, request)
    if fetch is None:
        return error
    try:
        record = stored_capture(_db(datasette).path, fetch)
    except CaptureMissing as exc:
        return await _missing(datasette, request, fetch, exc)
    except WarcFileUnreadable as exc:
        return await _unreadable_file(datasette, request, exc)
    except RecordUnreadable as exc:  # the file is shorter than the record
        return await error_page(datasette, request, "Bản ghi WARC của bản lưu này bị cắt cụt",
                                "This capture's WARC record is cut short", status=500,
                                detail=_reason(datasette, exc))
    redirects = await asyncio.to_thread(_redirect_records, _db(datasette).path, fetch)
    return Response(
        b"".join([*redirects, record]),
        status=200,
        headers={"Content-Disposition": f'attachment; filename="capture-{fetch["id"]}.warc.gz"'},
        content_type="application/warc",
    )


def _article_record(conn, db_path, article_id: int) -> dict | None:
    """The article's record with its history (History.record), to be read at once."""
    # An archive served before its upgrade (serve does not migrate) has no article_urls.
    other_urls = OTHER_URLS_SQL if "article_urls" in schema_names(conn) else "null as other_urls"
    rows = query_rows(conn, f"select a.*, {other_urls}, {CAPTURED_AT_SQL}, {documents_sql(conn)} from articles a "
                            "where a.id = ?", [article_id])
    return History(conn, db_path).record(rows[0]) if rows else None


async def article_record(datasette, request):
    number = row_id(request.url_vars["article_id"])
    db = _db(datasette)
    record = None if number is None else await read_at_once(db, lambda conn: _article_record(conn, db.path, number))
    if record is None and number is not None and (
            merge := await db.execute_fn(lambda conn: merged_into(conn, number))):
        # A client following a citation of an article merged into another is led to that one.
        return Response.redirect(datasette.urls.path(f"-/article/{merge['into_id']}.json"), status=301)
    if record is None:
        # A JSON answer, in the shape of datasette's own JSON errors, whatever the id.
        return Response.json({"ok": False, "error": "No such article", "status": 404}, status=404)
    return Response(
        json.dumps(record, ensure_ascii=False, indent=2),
        status=200,
        content_type="application/json; charset=utf-8",
    )


@hookimpl
def register_routes():
    return [(pattern, read_only(view)) for pattern, view in [
        # Any id, so that one which is not a number gets these routes' 404, not datasette's.
        (r"^/-/capture/(?P<fetch_id>[^/]+)\.html$", capture_view),
        (r"^/-/capture/(?P<fetch_id>[^/]+)/page\.html$", archived_page),
        (r"^/-/capture/(?P<fetch_id>[^/]+)\.warc\.gz$", warc_record),
        (r"^/-/article/(?P<article_id>[^/]+)\.json$", article_record),
        (r"^/-/go$", go),
    ]]


def _capture_links(datasette, fetch_id) -> str:
    base = datasette.urls.path("-")
    return (f'<a href="{base}/capture/{fetch_id}.html">HTML</a> · '
            f'<a href="{base}/capture/{fetch_id}.warc.gz">WARC</a>')


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    if value is None:
        return None
    if table == "fetches" and column == "id":
        # On a fetch's own page: the table's list links the id to that page instead.
        if "warc_file" not in row.keys() or not row["warc_file"]:
            return None
        return Markup(f"{escape(value)} · {_capture_links(datasette, escape(value))}")
    if column != "fetch_id" or table not in ("articles", "article_versions"):
        return None
    # A foreign-key cell arrives expanded as {"value", "label"}; its link to the fetch row stays.
    fetch_id = escape(value["value"] if isinstance(value, dict) else value)
    links = (f'<a href="{datasette.urls.table(database, "fetches")}/{fetch_id}">{fetch_id}</a> · '
             + _capture_links(datasette, fetch_id))
    if table == "articles":
        links += f' · <a href="{datasette.urls.path("-")}/article/{escape(row["id"])}.json">JSON</a>'
    return Markup(links)
