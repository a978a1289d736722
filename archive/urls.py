"""URL canonicalisation: one article is one row whatever link led to it."""

from __future__ import annotations

from urllib.parse import urldefrag, urlsplit, urlunsplit

from courlan import normalize_url


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
