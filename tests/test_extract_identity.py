"""The faster helpers of extraction give what the plainer ones they replaced gave, for any input:
the archive's records must not change with them (RULES_VERSION stays)."""

from __future__ import annotations

import re
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


def _branches(pattern: str) -> list[str]:
    """The top-level alternatives of a regular expression."""
    branches, depth, current, escaped = [], 0, "", False
    for c in pattern:
        if c == "|" and depth == 0 and not escaped:
            branches.append(current)
            current = ""
            continue
        depth += (c == "(") - (c == ")") if not escaped else 0
        escaped = c == "\\" and not escaped
        current += c
    return branches + [current]


def _body_xpath_words() -> list[str]:
    """Each literal and each alternative of a regular expression BODY_XPATH compares attributes with."""
    from trafilatura.xpaths import BODY_XPATH

    return sorted({b for expr in BODY_XPATH for lit in re.findall(r"'([^']*)'", expr.path) for b in _branches(lit)})


WORDS = ["main", "Main-Content", "page-Content", "x", "noi-dung", "detail"]
SEPARATORS = ["", "", "-", "_", "__", " "]
word = st.sampled_from(_body_xpath_words()).flatmap(lambda b: st.from_regex(b, fullmatch=True))
word = st.one_of(word, word.map(str.upper), word.map(str.capitalize), st.sampled_from(WORDS))
attribute_value = st.lists(st.tuples(st.sampled_from(SEPARATORS), word), min_size=1, max_size=3).map(
    lambda parts: "".join(sep + w for sep, w in parts).replace('"', "")
)
element = st.tuples(
    st.sampled_from(["div", "section", "span", "p", "td", "aside", "article", "main"]),
    st.dictionaries(st.sampled_from(["class", "id", "role", "itemprop"]), attribute_value, max_size=3),
    st.booleans(),
)


def _finds_as_trafilatura(html: str) -> None:
    from trafilatura.xpaths import BODY_XPATH

    from archive.extract import _has_body_container, _parse

    tree = _parse(html)
    assert _has_body_container(tree) == any(expr(tree) for expr in BODY_XPATH), html


def test_body_container_of_one_word():
    for tag in ("div", "section", "span"):
        for name in ("class", "id", "role", "itemprop"):
            for value in _body_xpath_words():
                value = re.sub(r"[^\w -]", "", value.replace("(?:-|__)?", "__").replace("?", ""))
                for written in (value, f"x-{value}", f"{value} x", value.lower(), value.upper()):
                    _finds_as_trafilatura(f'<html><body><{tag} {name}="{written}"><p>x</p></{tag}></body></html>')


@settings(max_examples=300, deadline=None)
@given(st.lists(element, min_size=1, max_size=6), st.booleans())
def test_body_container_as_trafilatura_finds_it(elements, whole_page):
    html, closing = "", []
    for tag, attributes, nested in elements:
        attrs = "".join(f' {name}="{value}"' for name, value in attributes.items())
        if not nested:
            html += "".join(closing)
            closing = []
        html += f"<{tag}{attrs}><p>Đoạn văn.</p>"
        closing.insert(0, f"</{tag}>")
    html += "".join(closing)
    _finds_as_trafilatura(f"<html><body>{html}</body></html>" if whole_page else html)


def reference_is_follow_us(text):
    from archive.extract import _FOLLOW_CALL, _FOLLOW_CHANNEL, _FOLLOW_US

    text = " ".join((text or "").split())
    if not 0 < len(text) <= 150:
        return False
    text = fold(text)
    return bool(_FOLLOW_CALL.match(text) and _FOLLOW_CHANNEL.search(text) and _FOLLOW_US.search(text))


follow_words = st.sampled_from(
    ["Quan tâm", "Zalo", "OA", "của", "chúng tôi", "để", "nhận", "tin", "a" * 30, "Theo dõi"]
)
spaces = st.sampled_from([" ", "  ", "\n", "\u00a0", "\t \n", "\u2003"])
follow_text = st.lists(st.tuples(follow_words, spaces), max_size=90).map(lambda parts: "".join(w + s for w, s in parts))


@settings(max_examples=500, deadline=None)
@given(st.one_of(follow_text, spaces.map(lambda s: s * 200), st.text(max_size=400)))
def test_follow_us_as_before(text):
    from archive.extract import _is_follow_us

    assert _is_follow_us(text) == reference_is_follow_us(text)


CAPTION_CLASS_BEFORE = (
    "//*[contains(translate(@class, 'CAPTION', 'caption'), 'caption') or contains(@class, 'image_desc')"
    " or contains(@class, 'img_desc') or contains(@class, 'image-desc') or contains(@class, 'img-desc')]"
)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.sampled_from(["", "Caption", "CAPTION x", "capTion", "img_desc", "image-desc",
                                                      "img-desc", "image_desc", "desc", "x", "ảnh caption"])),
                min_size=1, max_size=6))
def test_caption_classes_as_before(classes):
    import lxml.etree

    from archive.extract import _CAPTION_CLASS, _parse

    html = "".join(f'<div class="{c}"><p>x</p></div>' if c is not None else "<div><p>x</p></div>" for c in classes)
    tree = _parse(f'<html><body class="{classes[0]}">{html}</body></html>')
    assert _CAPTION_CLASS(tree) == lxml.etree.XPath(CAPTION_CLASS_BEFORE)(tree)


def reference_base_letters() -> dict[int, str]:
    """``archive.vietnamese._BASE`` as it was, before it listed the characters that map to themselves."""
    import itertools

    table = {ord("Đ"): "D", ord("đ"): "d", ord("Ð"): "D", ord("ð"): "d"}
    for cp in itertools.chain(range(0xC0, 0x250), range(0x1E00, 0x1F00)):
        base = "".join(c for c in unicodedata.normalize("NFD", chr(cp)) if not unicodedata.combining(c))
        if len(base) == 1 and base != chr(cp):
            table[cp] = base
    return table


def test_base_letters_as_before():
    from archive.vietnamese import _BASE

    before = reference_base_letters()
    every = "".join(map(chr, range(0x3000)))
    assert every.translate(_BASE) == every.translate(before)
    assert all(len(value) == 1 for value in _BASE.values())


html_piece = st.one_of(
    st.sampled_from([
        "<div>", "</div>", "<p class='x'>", "</p>", "<span>", "</span>", "<b>", "</b>", "<br>", "<img src='a.jpg'>",
        "<!-- chú thích -->", "<?php echo 1; ?>", "<script>var a = '<p>';</script>", "<style>p {}</style>",
        "&amp;", "&nbsp;", "&#273;", "&bogus;", "<![CDATA[ x ]]>", "\x01", "\u00a0", " \n\t", "<table><tr><td>",
        "</td></tr></table>", "<figure><figcaption>Ảnh: A</figcaption></figure>", "<textarea>t</textarea>",
    ]),
    st.text(alphabet=st.sampled_from("aăđÊ ế\n<>&;'\""), max_size=8),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(html_piece, max_size=30))
def test_text_as_text_content(pieces):
    from archive.extract import _parse, _text

    tree = _parse("<html><body><div>" + "".join(pieces) + "</div></body></html>")
    if tree is not None:
        for el in tree.iter():
            assert _text(el) == el.text_content()
