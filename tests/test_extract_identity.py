"""The faster helpers of extraction give what the plainer ones they replaced gave, for any input:
the archive's records must not change with them (RULES_VERSION stays)."""

from __future__ import annotations

import unicodedata

from hypothesis import given, settings, strategies as st

from archive.vietnamese import _FOLDS, fold


def reference_fold(text: str) -> str:
    """``fold`` as it was written before its table: every character decomposed and composed again."""
    if text.isascii():
        return text.casefold()
    decomposed = unicodedata.normalize("NFD", text.casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", bare.replace("đ", "d").replace("ð", "d"))


VIETNAMESE = "aăâbcdđeêghiklmnoôơpqrstuưvxy"
TONES = "\u0300\u0309\u0303\u0301\u0323"
LETTERS = sorted(
    {unicodedata.normalize("NFC", base + tone) for base in VIETNAMESE for tone in ("", *TONES)}
    | {c.upper() for c in VIETNAMESE}
)
LETTERS += [c.upper() for c in LETTERS] + ["Ð", "ð", "İ", "ß", "ẞ", "ǰ", "\u034f", "\u0345"]
PUNCTUATION = list(" \u00a0\u2009\u200b“”‘’–—…•«»°·×÷₫€\n\t,.:;!?()[]/-")


def test_every_character_folds_as_before():
    for cp in range(0x110000):
        c = chr(cp)
        assert fold(c) == reference_fold(c), hex(cp)


def test_no_folded_character_composes_with_the_one_before():
    # Folding a text a character at a time is folding it whole only if NFC composes nothing in
    # the result: no character the table gives is the second of a canonical composition.
    seconds = set()
    for cp in range(0x110000):
        parts = unicodedata.decomposition(chr(cp)).split()
        if len(parts) == 2 and not parts[0].startswith("<"):
            seconds.add(chr(int(parts[1], 16)))
    produced = {c for value in _FOLDS.values() for c in value}
    assert not produced & seconds
    assert all(unicodedata.combining(c) == 0 for c in produced)


vietnamese_text = st.lists(st.sampled_from(LETTERS + PUNCTUATION), max_size=60).map("".join)


@settings(max_examples=1000, deadline=None)
@given(st.one_of(st.text(max_size=40), vietnamese_text, st.tuples(vietnamese_text, st.text(max_size=5)).map("".join)))
def test_fold_as_before(text):
    assert fold(text) == reference_fold(text)
    nfd = unicodedata.normalize("NFD", text)
    assert fold(nfd) == reference_fold(nfd)
    assert fold(text.upper()) == reference_fold(text.upper())
