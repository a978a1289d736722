"""URL canonicalisation: one article is one row whatever link led to it.

A canonical URL is also the URL the crawler asks for, so it may only drop or rewrite what never
changes which resource a URL names: RFC 3986 §6.2.2 normalisation, the fragment, and parameters
that are known to track clicks or carry a session.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from urllib.parse import urlsplit, urlunsplit

from w3lib.url import safe_url_string

# Not courlan's normalize_url: its clean_query matches tracker words anywhere in a name (``cid``,
# ``uid``, ``ref``, ``source`` are article and category ids on many portals) and re-encodes the
# query through parse_qs, which drops bare keys (``tin.aspx?111``) and empty values; and it
# escapes ``;`` and the other sub-delimiters in paths, which names another resource. So
# parameters are matched here by exact name, and the rest of the query is kept as written.
_TRACKERS = frozenset({
    "fbclid", "gclid", "gclsrc", "dclid", "msclkid", "mc_cid", "mc_eid", "yclid", "_ga", "igshid",
    "zarsrc", "gidzl",  # Zalo's share links
    # Session ids: a server that puts one in a link serves the page without it too. ``sid`` is
    # not among them: on portals it is as often a section or site id.
    "jsessionid", "phpsessid",
})
_TRACKER_PREFIXES = ("utm_", "aspsessionid")  # ASPSESSIONID is followed by eight random letters
# ColdFusion's addtoken always appends the pair; either name alone on another portal may be a
# content id ("cfid"), so only the pair is taken for a session.
_COLDFUSION_SESSION = ("cfid", "cftoken")

# Java servers put the session in the last path segment (``/a.htm;jsessionid=…``); other path
# parameters are part of the resource's name and stay.
_JSESSIONID = re.compile(r";jsessionid=[^/;]*", re.IGNORECASE)
_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_DEFAULT_PORTS = {"http": ":80", "https": ":443"}


def _normalise_escape(match: re.Match) -> str:
    # RFC 3986 §6.2.2.1-2: an escaped unreserved character is that character; other escapes
    # are compared upper-cased.
    char = chr(int(match[0][1:], 16))
    return char if char in _UNRESERVED else match[0].upper()


def _normalise_escapes(text: str) -> str:
    return _ESCAPE.sub(_normalise_escape, text) if "%" in text else text


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 §5.2.4 for an absolute path: ``/a/./b/../c`` is ``/a/c``."""
    segments = path.split("/")[1:]
    kept: list[str] = []
    for segment in segments:
        if segment == "..":
            if kept:
                kept.pop()
        elif segment != ".":
            kept.append(segment)
    if segments[-1] in (".", ".."):
        kept.append("")
    return "/" + "/".join(kept)


def _clean_query(query: str) -> str:
    fields = [field for field in query.split("&") if field]
    names = [field.split("=", 1)[0].lower() for field in fields]
    coldfusion = all(name in names for name in _COLDFUSION_SESSION)
    return "&".join(
        field for field, name in zip(fields, names)
        if not (name in _TRACKERS or name.startswith(_TRACKER_PREFIXES)
                or (coldfusion and name in _COLDFUSION_SESSION))
    )


def canonical_host(host: str) -> str:
    """``host`` as a canonical URL writes it, and as the crawler asks for it: IDNA-encoded (as
    w3lib encodes it), lower case. Raises UnicodeError for a name IDNA cannot encode (an empty
    or over-long label)."""
    if not host.isascii():
        host = unicodedata.normalize("NFKC", host).encode("idna").decode("ascii")
    return host.lower()


# Listing pages repeat the same menu, category and related-article links on every page. The
# cache is small because sitemap URLs, each seen once, pass through here too.
@lru_cache(maxsize=8192)
def canonical_url(url: str, *, prefer_scheme: str | None = None) -> str:
    """Lower-case host, default port dropped, escapes normalised, dot segments resolved,
    tracking and session parameters and fragment removed; everything else kept as written.

    ``prefer_scheme`` folds http/https variants of a source's own URLs onto the scheme of the
    source's home page, since portals serve the same article under both.
    """
    try:
        if not url.isascii():
            # Text in the page may be decomposed (NFD) Vietnamese; the site's own links and its
            # percent-encoded ones are composed (NFC). Only the path: a query is the server's data.
            parts = urlsplit(url)
            url = urlunsplit(parts._replace(path=unicodedata.normalize("NFC", parts.path)))
        # w3lib's safe_url_string is what Scrapy applies to every request, so the canonical URL
        # is the URL actually requested. It also lower-cases the host (IDNA-encoding it) and
        # writes the port as a plain number.
        scheme, netloc, path, query, _ = urlsplit(safe_url_string(url))
    except ValueError:
        return url
    if prefer_scheme and scheme in ("http", "https"):
        scheme = prefer_scheme
    default_port = _DEFAULT_PORTS.get(scheme)
    if default_port and netloc.endswith(default_port):
        netloc = netloc[: -len(default_port)]
    if ";" in path:
        path = _JSESSIONID.sub("", path)
    path = _normalise_escapes(path)
    if path.startswith("/") and "/." in path:
        path = _remove_dot_segments(path)
    if query:
        query = _clean_query(_normalise_escapes(query))
    return urlunsplit((scheme, netloc, path, query, ""))
