"""What an archived text is checked against: the hash taken of it when it was stored.

Apart from archive.extract, which computes it at extraction, so that what checks a stored text
(`govarchive verify`, the reading room's article page) need not load the extractor.
"""

from __future__ import annotations

import hashlib

from archive.vietnamese import nfc


def text_hash(text: str) -> str:
    """Hash of the normalised text, so whitespace-only differences are not changes."""
    normalised = " ".join(nfc(text).split())
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()


def text_altered(text: str | None, stored_hash: str | None) -> bool:
    """Whether ``text`` is not the text ``stored_hash`` was taken of: changed, or taken away, since."""
    if text is None:
        return stored_hash is not None
    return stored_hash is not None and text_hash(text) != stored_hash
