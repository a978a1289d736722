"""URL canonicalisation: one article is one row whatever link led to it."""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urldefrag, urlsplit, urlunsplit

from courlan import normalize_url


# Listing pages repeat the same menu, category and related-article links on every page, and
# courlan's normalisation costs ~40 µs a URL: a listing of 150 links paid ~6 ms for it. The
# cache is small because sitemap URLs, each seen once, pass through here too.
@lru_cache(maxsize=8192)
def canonical_url(url: str, *, prefer_scheme: str | None = None) -> str:
    """Lower-case host, default port dropped, tracking parameters and fragment removed.

    ``prefer_scheme`` folds http/https variants of a source's own URLs onto the scheme of the
    source's home page, since portals serve the same article under both.
    """
    try:
        normalised = normalize_url(url)
    except (ValueError, TypeError):
        normalised = url
    normalised = urldefrag(normalised)[0]
    if prefer_scheme:
        parts = urlsplit(normalised)
        if parts.scheme in ("http", "https") and parts.scheme != prefer_scheme:
            normalised = urlunsplit((prefer_scheme, *parts[1:]))
    return normalised
