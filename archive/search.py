"""Search that forgives accents: the library behind ``govarchive search`` and the search pages.

Two FTS5 indexes cover the articles table:

* ``articles_fts`` keeps diacritics (``unicode61 remove_diacritics 0``): an exact match. It
  only decides which matches rank first, so it keeps no positions (``detail=none``, a sixth of
  the size): it answers "has these accented words", not phrases or column filters.
* ``articles_fold`` holds the text folded by our own code (no diacritics, đ -> d, lower case),
  contentless, so it costs index space only. FTS5's ``remove_diacritics`` cannot do this: it
  keeps đ, so "doi moi" would never find "đổi mới".

A query is parsed once into FTS5 syntax twice over (exact and folded), bounded in length, words
and nesting; what it cannot honour is left out and said in ``Query.notes``. Every article the folded
index finds is a result, phrases and column filters included, and those that also have the
query's words with the accents as typed rank first, so "nam" does not bury "Nam" under every
"năm". Above those come articles with the words typed one after another standing together
(``Query.phrase``): Vietnamese words are often several syllables, and folded syllables such as
"ha", "noi" and "so" are in most articles, where bm25 weighs them next to nothing.

Very common words match most of the archive, and bm25 costs a few microseconds per match: at a
million articles "thông tin" would take seconds to rank. So when a query matches more than
``SEARCH_LIMIT`` articles, only the ``SEARCH_LIMIT`` most recently archived matches (the highest
rowids, which FTS5 reads newest first without ranking anything) are ranked, and the count is
reported as "more than SEARCH_LIMIT". bm25 still weighs the words by their frequency in the whole
archive; only the candidate set is bounded.
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from dataclasses import dataclass
from typing import NamedTuple

from markupsafe import Markup, escape
from sqlite_utils import Database

from archive.db import VERSIONS_INDEX
from archive.filters import ref_spellings
# The agency table and the spellings find_mentions takes as one anywhere in a name: their
# abbreviations are the ones search expands (see _abbreviations).
from archive.mentions import AGENCY_DATA, EQUIVALENTS
from archive.sources import extraction_changed
from archive.vietnamese import fold, fold_aligned, nfc

OPERATORS = {"AND", "OR", "NOT"}
COLUMNS = {"title", "description", "text"}
# The columns by the names a person may type, in English or Vietnamese, with or without accents.
COLUMN_NAMES = {
    "title": "title", "tiêu đề": "title", "tieu de": "title",
    "description": "description", "mô tả": "description", "mo ta": "description",
    "text": "text", "nội dung": "text", "noi dung": "text",
}
# A column name counts only where a word starts ("title:", not "subtitle:"), and restricts what
# follows it: "title:zalo", "title: zalo", "title : zalo", 'title:"zalo mini"', "title:(zalo oa)".
_COLUMN_NAME = "|".join(name.replace(" ", r"\s+") for name in sorted(COLUMN_NAMES, key=len, reverse=True))
# A "-" where a word starts excludes the phrase, group or column filter right after it, as it
# does a word ("-oa", '-"zalo oa"', "-(oa OR mini)", "-title:oa"). Phones and word processors
# turn a typed "-" into an en or em dash or a minus sign, and "--" into a dash: any run of these
# is the same "-". Inside a word they stay characters of it (174/KH-UBND, 06/QĐ–TTg, 2020–2024).
_DASHES = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63\uff0d"
_DASH = f"[{re.escape(_DASHES)}]"
# A column name after a dash follows a minus: a word token takes any other dash with what follows it.
# A term starts after a space, a parenthesis or a phrase's closing quote ('"x"-title:oa').
_WORD_START = rf"(?:(?<![^\s()\"])|(?<={_DASH}))"
_TOKEN = re.compile(
    rf'(?P<minus>(?<![^\s()"]){_DASH}+(?=["(]|(?i:{_COLUMN_NAME})\s*:))'
    rf'|(?P<column>{_WORD_START}(?i:{_COLUMN_NAME})\s*:)'
    r'|(?P<phrase>"[^"]*(?:"\*?)?)|(?P<open>\()|(?P<close>\))|(?P<word>[^\s"()]+)',
    re.UNICODE,
)
# FTS5's unicode61 tokenizer splits words on connector punctuation (_ ‿ ＿ …), which Python's
# \w keeps inside a word: "ha_noi" must be the two words it is in the index, not one word that
# the exact index (no positions) would have to take as a phrase.
# These are the ten characters of category Pc (tests/test_search.py checks the list against the
# running Python's Unicode data; computing it here took 60 ms of every command's start).
_CONNECTORS = "_\u203f\u2040\u2054\ufe33\ufe34\ufe4d\ufe4e\ufe4f\uff3f"
_WORD = re.compile(rf"[^\W{re.escape(_CONNECTORS)}]+", re.UNICODE)
# Phones and word processors turn a typed " into curly quotes (“zalo oa”, „zalo oa“): they open
# and close phrases as " does. Not the double prime (21°01′30″), which is no quote.
_QUOTES = str.maketrans(dict.fromkeys("\u201c\u201d\u201e\u201f\uff02", '"'))


# Bounds on what a query may ask of FTS5: its parser overflows near a hundred nested groups,
# and every word is one more index lookup per candidate. A query past one matches nothing and
# its note names the bound.
MAX_QUERY_LENGTH = 500  # characters
MAX_QUERY_WORDS = 32
MAX_QUERY_DEPTH = 8  # nested parentheses


@dataclass(frozen=True)
class Note:
    """Something typed that the query could not honour, in Vietnamese and English."""

    vi: str
    en: str

    def __str__(self) -> str:
        return self.en


@dataclass(frozen=True)
class Query:
    exact: str  # FTS5 query with the accents as typed, for an index that keeps positions
    folded: str  # FTS5 query for articles_fold
    accented: str  # the same words for articles_fts (no positions): phrases as AND, no columns
    terms: tuple[str, ...]  # folded words, for highlighting; "word*" for a prefix
    notes: tuple[Note, ...] = ()  # what was typed but left out of the query, and why
    # For articles_fold: the words typed one after another, as phrases. Matching them ranks an
    # article first, since a Vietnamese word is often two or three syllables: "Hà Nội" next to
    # each other, not "Hà Tĩnh" and "Sở Nội vụ". Empty when no two words were typed in a row.
    phrase: str = ""
    # For snippets: the folded words of each run typed in a row, in each spelling, and the words
    # as typed (lower case, in each spelling), so a snippet shows where the words stand together,
    # with the accents typed, as ranking prefers them.
    runs: tuple[tuple[str, ...], ...] = ()
    typed: tuple[str, ...] = ()
    # For snippets: each term's folded words, in each spelling ("5000" and "5 000"). FTS5 finds
    # the words of one spelling only together, so they are marked only where they stand together.
    spelt: tuple[tuple[str, ...], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.folded)


class _Part(NamedTuple):
    kind: str  # term, op, open, close or column
    exact: str
    folded: str
    accented: str
    typed: str  # as the person typed it, for the notes
    # A term's folded words, space-separated, in each spelling; "*" ends a prefix. ``spellings``
    # are those of the term's plain form (NFKC), ``marks`` those of every form typed.
    marks: tuple[str, ...] = ()
    spellings: tuple[str, ...] = ()
    # How many terms typed one after another the part stands for: more than one when they spell
    # an abbreviation's long form or the other way round (see _abbreviated_runs).
    joined: int = 1


_OPEN = _Part("open", "(", "(", "(", "(")
_CLOSE = _Part("close", ")", ")", ")", ")")


def parse_query(text: str) -> Query:
    """Turn what a person typed into two valid FTS5 queries; never raises.

    Words and "phrases" become quoted FTS5 strings (so punctuation such as 174/KH-UBND is a
    phrase, not syntax), ``word*`` a prefix, AND/OR/NOT stay operators, ``title:word``,
    ``title:"a phrase"`` and ``title:(a group)`` column filters. What cannot be honoured is left
    out and said in ``notes``: unbalanced quotes and parentheses, dangling operators, and a NOT
    with nothing before it, which FTS5 (NOT is binary) cannot express; leaving out only the NOT
    would search for what was excluded. A "-" exclusion typed before the words it excludes from
    ("-oa zalo") excludes from them, as after them.
    """
    text = nfc(text or "").translate(_QUOTES)
    if len(text) > MAX_QUERY_LENGTH:
        return _refused(Note(f"Câu tìm kiếm quá dài: tối đa {MAX_QUERY_LENGTH} ký tự",
                             f"The query is too long: at most {MAX_QUERY_LENGTH} characters"))
    notes: list[Note] = []
    parts: list[_Part] = []
    depth = deepest = words_typed = 0
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        value = match.group()
        if kind == "open":
            parts.append(_OPEN)
            depth += 1
            deepest = max(deepest, depth)
        elif kind == "close":
            if depth:
                parts.append(_CLOSE)
                depth -= 1
            else:
                notes.append(Note('Bỏ qua dấu ")" không có "(" tương ứng', 'Ignored a ")" with no "(" before it'))
        elif kind == "word" and value in OPERATORS:
            parts.append(_Part("op", value, value, value, value))
        elif kind == "column":
            # The exact index keeps no positions, so no column filters: there the operand alone.
            column = COLUMN_NAMES[" ".join(value[:-1].lower().split())] + " :"
            parts.append(_Part("column", column, column, "", value))
        elif kind == "minus":
            parts.append(_Part("op", "NOT", "NOT", "NOT", value))
        elif kind == "word" and _WORD.match(rest := value.lstrip(_DASHES)) and rest != value:
            # "-oa", as search engines take it: what follows is excluded.
            parts.append(_Part("op", "NOT", "NOT", "NOT", value[: len(value) - len(rest)]))
            notes += _not_a_column(text, match.end() - len(rest))
            notes += _stray_star(rest)
            words_typed += len(_WORD.findall(rest))
            parts.append(_term(rest, prefix=_prefixed(rest)))
        elif kind == "word" and not value.strip(_DASHES):
            # A dash with a space after it excludes nothing (pasted text has such dashes), but
            # whoever typed "zalo - oa" likely meant "zalo -oa".
            notes.append(Note(f"Bỏ qua «{value}» đứng riêng: để loại một từ, viết dấu - liền trước từ đó, "
                              "không có dấu cách, ví dụ «zalo -oa»",
                              f"Ignored «{value}» standing alone: to exclude a word, write - right before it, "
                              "with no space, as in «zalo -oa»"))
        else:
            if kind == "word" and value.upper() in OPERATORS:
                notes.append(Note(f"«{value}» được tìm như một từ; viết {value.upper()} (chữ hoa) để dùng làm toán tử",
                                  f"«{value}» was searched as a word; write {value.upper()} (capitals) for the operator"))
            if kind == "word":
                notes += _not_a_column(text, match.start())
            notes += _stray_star(value)
            term = _term(value, prefix=_prefixed(value))
            if term is not None:
                if kind == "phrase" and (len(value) == 1 or not value.rstrip("*").endswith('"')):
                    notes.append(Note('Thiếu dấu " đóng: cụm từ được tính đến hết câu',
                                      'A closing " was missing: the phrase runs to the end of the query'))
                words_typed += len(_WORD.findall(value))
                parts.append(term)
    if deepest > MAX_QUERY_DEPTH:
        return _refused(Note(f"Quá nhiều ngoặc lồng nhau: tối đa {MAX_QUERY_DEPTH} tầng",
                             f"Too many nested parentheses: at most {MAX_QUERY_DEPTH} levels"))
    if words_typed > MAX_QUERY_WORDS:
        return _refused(Note(f"Câu tìm kiếm có quá nhiều từ: tối đa {MAX_QUERY_WORDS} từ",
                             f"Too many words in the query: at most {MAX_QUERY_WORDS}"))
    if depth:
        notes.append(Note('Thiếu dấu ")": nhóm được tính đến hết câu', 'A closing ")" was missing: the group runs to the end of the query'))
    parts += [_CLOSE] * depth
    typed_a_term = any(part.kind == "term" for part in parts)
    parts = _drop_dangling(_drop_leading_not(_exclusions_last(_without_empty_groups(parts), 0)[0], notes), notes)
    notes += _excluded_in_vain(_branches(parts, 0)[0])
    parts = _abbreviated_runs(parts)
    runs = _runs(parts)
    phrase = _phrases(runs)
    parts = _explicit_and(parts)
    terms = _highlighted_terms(parts)
    if not typed_a_term and text.strip():
        # Notes on its quotes, parentheses or operators would only hide that there was no word.
        notes = [Note(f"Không có gì để tìm trong «{text}»: không có từ nào", f"Nothing to search for in «{text}»: it has no word")]
    return Query(*(" ".join(p[i] for p in parts if p[i]) for i in (1, 2, 3)), terms=terms,
                 notes=tuple(dict.fromkeys(notes)), phrase=phrase,
                 runs=_snippet_runs(runs, terms), typed=_typed_words(parts),
                 spelt=tuple(dict.fromkeys(tuple(m.split()) for part in _marked_parts(parts) for m in part.marks)))


def as_phrase(text: str) -> str | None:
    """``text`` in quotes, when it is two or more words typed one after another and nothing else
    (no quotes, groups, operators, exclusions, prefixes or column filters): the search that finds
    only the articles with the words together, where ``text`` finds those with them anywhere."""
    text = nfc(text or "").translate(_QUOTES)
    tokens = list(_TOKEN.finditer(text))
    plain = all(
        token.lastgroup == "word" and token.group().upper() not in OPERATORS
        and not token.group().startswith(tuple(_DASHES)) and not token.group().endswith("*")
        and not _COLUMN_LIKE.match(text, token.start())
        for token in tokens
    )
    if len(tokens) < 2 or not plain or not parse_query(text).phrase:
        return None
    return '"' + " ".join(token.group() for token in tokens) + '"'


# The "*" of a prefix: right after a word's last letter, inside or outside a phrase's closing
# quote ("chuyển*", '"Đà N*"', '"Đà N"*'); one after a space ('"Đà *"') ends no word.
_PREFIX_STAR = re.compile(r'(?<=[^\W_])\*"?$|(?<=[^\W_]")\*$')


def _prefixed(value: str) -> bool:
    """Whether the word or phrase typed is a prefix: "chuyển*", and '"Đà N*"' or '"Đà N"*', as
    FTS5 takes a prefix ending a phrase."""
    return bool(_PREFIX_STAR.search(value))


def _stray_star(value: str) -> list[Note]:
    """A note when the word or phrase typed has a "*" other than the one ending it, which no
    query can honour ("Đà*Nẵng", '"Đà* Nẵng"', "*Nẵng", a "*" standing alone)."""
    # A word's "*" may end it, a phrase's may end its last word or follow the phrase; a "*"
    # with no word has nothing to end.
    honoured = _PREFIX_STAR.search(value)
    stray = value[:honoured.start()] + value[honoured.start() + 1:] if honoured else value
    if "*" not in stray:
        return []
    return [Note(f"Bỏ qua dấu * trong «{value}»: dấu * chỉ dùng được ở cuối một từ hoặc một cụm từ, "
                 "ví dụ «chuyển*», «\"Đà N*\"»",
                 f"Ignored the * in «{value}»: a * works only at the end of a word or a phrase, "
                 "as in «chuyển*» or «\"Đà N*\"»")]


# Letters and a colon with no space after it, as a column filter is typed ("foo:bar", 'foo:"x"').
# Pasted text ends words with a colon ("Nơi nhận: Sở"); digits make a time (8:30), "//" a URL.
_COLUMN_LIKE = re.compile(r"([^\W\d_]+):(?=[^\s/:])")


def _not_a_column(text: str, start: int) -> list[Note]:
    """A note when the word at ``start`` looks like a column filter but names no column."""
    typed = _COLUMN_LIKE.match(text, start)
    if not typed:
        return []
    return [Note(f"«{typed[1]}:» không phải tên cột nên được tìm như các từ; các cột là tiêu đề:, mô tả:, nội dung: "
                 "(title:, description:, text:)",
                 f"«{typed[1]}:» is not a column name, so it was searched as words; the columns are title:, description:, "
                 "text: (tiêu đề:, mô tả:, nội dung:)")]


def _highlighted_terms(parts) -> tuple[str, ...]:
    """The folded words to mark in results: every term's, except those a NOT excludes."""
    return tuple(dict.fromkeys(word for part in _marked_parts(parts) for mark in part.marks for word in mark.split()))


def _marked_parts(parts) -> list[_Part]:
    """The terms, except those a NOT excludes."""
    marked, i = [], 0
    while i < len(parts):
        if parts[i].kind == "op" and parts[i].exact == "NOT":
            i = _operand_end(parts, i + 1)
            continue
        if parts[i].kind == "term":
            marked.append(parts[i])
        i += 1
    return marked


def _runs(parts) -> list[list[_Part]]:
    """The runs of two or more terms typed one after another (joined by no operator); a term
    that NOT excludes starts no run, and a prefix ends one."""
    runs, run = [], []
    for i, part in enumerate(parts):
        after = parts[i - 1] if i else None
        if part.kind != "term" or after is None or after.kind != "term" or after.spellings[0].endswith("*"):
            if sum(term.joined for term in run) > 1:
                runs.append(run)
            run = []
        if part.kind == "term" and not (after and after.kind == "op" and after.exact == "NOT"):
            run.append(part)
    if sum(term.joined for term in run) > 1:
        runs.append(run)
    return runs


def _spelt(run: list[_Part]) -> list[str]:
    """A run's folded words, space-separated, once for each spelling (up to a few)."""
    spelt = [""]
    for part in run:
        spelt = [f"{head} {tail}".strip() for head in spelt for tail in part.spellings][: 2**_MAX_SPELLINGS]
    return spelt


def _phrases(runs: list[list[_Part]]) -> str:
    """Each run as folded FTS5 phrases, one for each spelling, ORed."""
    return " OR ".join(dict.fromkeys(_fts_phrase(words) for run in runs for words in _spelt(run)))


def _fts_phrase(words: str) -> str:
    """Folded words, space-separated, "*" ending a prefix, as an FTS5 phrase."""
    return f'"{words.removesuffix("*")}"' + ("*" if words.endswith("*") else "")


def _snippet_runs(runs: list[list[_Part]], terms: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
    """The folded word sequences a snippet should find together: the runs, none with a prefix,
    and none with a word that is not marked (excluded)."""
    found = []
    for run in runs:
        for spelt in _spelt(run):
            words = tuple(spelt.split())
            if not spelt.endswith("*") and all(word in terms for word in words):
                found.append(words)
    return tuple(dict.fromkeys(found))


def _typed_words(parts) -> tuple[str, ...]:
    """The words typed (lower case), in each of their spellings (as ranking takes them: "thúy"
    for "thuý"), of every term not excluded and not a prefix."""
    return tuple(dict.fromkeys(
        spelling for part in _marked_parts(parts) if not part.spellings[0].endswith("*")
        for word in _WORD.findall(part.typed) for spelling in _spellings(word.lower())
    ))


def _term(value: str, *, prefix: bool, abbreviations: bool = True) -> _Part | None:
    """A word or phrase as an FTS5 phrase in each form, or None when it has no words.

    Typed in compatibility characters (full-width "Ｚａｌｏ"), it matches their NFKC form too;
    the archived text is NFC only, so the form as typed still matches where the text has it.
    With ``abbreviations``, an abbreviation or long form in it (see _abbreviations) matches its
    other spellings too: "UBND tỉnh Đắk Lắk" is also "Ủy ban nhân dân tỉnh Đắk Lắk".
    """
    star = "*" if prefix else ""
    plain = unicodedata.normalize("NFKC", value)
    # A prefix's last word is no whole word, so no spelling ends there.
    others = _rewritten(plain, _abbreviations(), last=-1 if prefix else None) if abbreviations else []
    forms = []
    typed = dict.fromkeys((value, plain))
    for n, form in enumerate((*typed, *others)):
        words = _WORD.findall(form)
        if words and words not in [w for w, _, _ in forms]:
            last = len(words) - 1
            accented = " AND ".join(_accented(word, prefix=prefix and i == last) for i, word in enumerate(words))
            forms.append((words, f"( {accented} )" if len(words) > 1 else accented, _folded_spellings(form, prefix)))
        if n == len(typed) - 1:
            typed_forms = len(forms)
    if not forms:
        return None
    exact = [f'"{" ".join(words)}"{star}' for words, _, _ in forms]
    folded_forms = [spellings for _, _, spellings in forms]
    marks = tuple(dict.fromkeys(phrase for phrases in folded_forms for phrase in phrases))
    # The filters column's words (src…, month…, ref…) are for the facets: "age*" must not
    # find every article that names an agency.
    folded = [f"( {{{' '.join(sorted(COLUMNS))}}} : {_fts_phrase(phrase)} )" if phrase.endswith("*")
              else _fts_phrase(phrase) for phrase in marks]
    # Ranking takes the plain form's spellings (no text has full-width letters), then the others'.
    ranked = [phrase for phrases in folded_forms[typed_forms - 1:] for phrase in phrases]
    return _Part("term", _either(exact), _either(folded), _either([a for _, a, _ in forms]), value, marks,
                 tuple(dict.fromkeys(ranked)))


def _accented(word: str, *, prefix: bool) -> str:
    """``word`` in each of its spellings, ORed, for the exact index. Of a prefix, the word as
    typed stays a prefix, with Đ or the legacy eth Ð, and its other spellings are the whole word,
    as in the folded query (see _folded_spellings): "khỏe*" takes "khoẻ" as the accents typed."""
    stems = {word, word.translate(_ETH)} if prefix else set()
    return _either([f'"{spelling}"' + ("*" if spelling in stems else "") for spelling in _spellings(word)])


def _either(queries: list[str]) -> str:
    return queries[0] if len(queries) == 1 else "( " + " OR ".join(queries) + " )"


# Two spellings of one Vietnamese word, both in print: the tone mark of an open oa, oe or uy on
# either vowel ("hoà"/"hòa", "thuý"/"thúy", "khoẻ"/"khỏe"), and i or y closing a syllable after
# a consonant ("kĩ"/"kỹ", "lí"/"lý", "qui"/"quy", "công ti"/"công ty"). Folding merges the first
# pair only, so a search typed one way missed the other: the folded query asks for both i and
# y, and the accented one (which ranks) takes either tone placement as the accents as typed.
_TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"
_GLIDE_TONE = re.compile(rf"^((?:.*[^qQ])?)([oOuU])([{_TONE_MARKS}]?)([aAeEyY])([{_TONE_MARKS}]?)$")
_I_OR_Y = re.compile(rf"^(b|ch|d|đ|h|k|kh|l|m|n|nh|p|ph|qu|r|s|t|th|tr|v|x)([iy])([{_TONE_MARKS}]?)$", re.IGNORECASE)
# A term with more syllables (i or y) or numbers spelt two ways than this is searched as typed
# beyond them (2**3 phrases at most: "1/2/3/4" has the four numbers' first three spelt both ways).
_MAX_SPELLINGS = 3
# Text converted from the legacy Vietnamese encodings often has "Ð" (U+00D0, the Icelandic eth)
# where Đ belongs ("Ðà Nẵng"): either letter is the other's accents as typed.
_ETH = str.maketrans("đĐðÐ", "ðÐđĐ")


def _spellings(word: str) -> list[str]:
    """``word`` and its other spellings (NFC), for the exact index."""
    decomposed = unicodedata.normalize("NFD", word)
    found = [word]
    glide = _GLIDE_TONE.match(decomposed)
    if glide and bool(glide[3]) != bool(glide[5]):
        head, first, tone_a, second, tone_b = glide.groups()
        moved = head + first + tone_b + second + tone_a
        found.append(unicodedata.normalize("NFC", moved))
    closing = _I_OR_Y.match(decomposed)
    if closing:
        vowel = closing[2]
        other = {"i": "y", "y": "i", "I": "Y", "Y": "I"}[vowel]
        found.append(unicodedata.normalize("NFC", closing[1] + other + closing[3]))
    return list(dict.fromkeys(found + [spelling.translate(_ETH) for spelling in found]))


def _folded_spellings(form: str, prefix: bool) -> list[str]:
    """The folded phrase of the words of ``form``, once for each spelling of its syllables (i
    or y) and of its numbers (see _units), up to 2**_MAX_SPELLINGS phrases; "*" ends the
    spelling as typed of a prefix.

    A prefix finds what its last word finds, so that word's other spellings are there too, as
    words: i and y are each other only closing a syllable ("qui*" finds "quy", not "quyền")."""
    units = _units(form)
    phrases = [""]
    swapped = 0
    for i, (unit, others) in enumerate(units):
        options = [unit]
        if others and swapped < _MAX_SPELLINGS:
            options += others
            swapped += 1
        if prefix and i == len(units) - 1:
            options[0] += "*"
        phrases = [f"{phrase} {option}".strip() for phrase in phrases for option in options]
    return phrases


def _units(form: str) -> list[tuple[str, list[str]]]:
    """The folded words of ``form``, each with its other spellings; the parts of a number joined
    by a point or a comma ("1.500", "4.0") are one unit, spelt only without its thousands apart,
    but for the three numbers of a date ("8.4.2025").

    A number after a "/" or a dash is the next of a date's or a document's numbers, each with or
    without its leading zero ("8/4/2025" is "08/04/2025", "08-04-2025"); one after a measure's
    signs ("21°01′30″") is as typed."""
    units: list[tuple[list[str], bool]] = []  # the words, and whether they may be spelt otherwise
    words = list(_WORD.finditer(form))
    for i, match in enumerate(words):
        word = fold(match.group())
        between = form[words[i - 1].end():match.start()] if i else ""
        after_number = bool(i) and _is_number(words[i - 1].group()) and _is_number(word)
        if after_number and between in (".", ","):
            units[-1][0].append(word)
        else:
            units.append(([word], not after_number or between in ("/", *_DASHES)))
    spellings = []
    for unit, spelt in units:
        if len(unit) == 3 and not _thousands(unit):
            # A date as the press also writes it, "8.4.2025": each number as a date's.
            spellings += [(part, _other_spellings([part])) for part in unit]
        else:
            spellings.append((" ".join(unit), _other_spellings(unit) if spelt else []))
    return spellings


def _thousands(parts: list[str]) -> bool:
    """Whether a number's parts joined by points or commas are its thousands ("1.500.000")."""
    return len(parts[0]) <= 3 and all(len(part) == 3 for part in parts[1:])


def _other_spellings(unit: list[str]) -> list[str]:
    """The other spellings of a folded word, or of a number's parts joined by a point or comma."""
    if len(unit) > 1:
        # "1.500" finds "1500" as "1500" finds "1.500". The digits after the point are the
        # number's ("4.000" is no "4.0", nor "4.00"), and "1.500" no "01.500".
        joined = "".join(unit)
        return [joined] if " ".join(unit) in _number_spellings(joined) else []
    [word] = unit
    if _I_OR_Y.match(word):
        return [word[:-1] + ("y" if word.endswith("i") else "i")]
    return _number_spellings(word) if _is_number(word) else []


def _is_number(word: str) -> bool:
    return word.isascii() and word.isdigit()


# Years are searched as written: "2024" is hardly ever "2.024" and would mark every 2.
_YEAR = re.compile(r"(19|20)\d\d")


def _number_spellings(number: str) -> list[str]:
    """Other ways the text may write ``number``: with its thousands apart ("5000" is "5.000" or
    "5,000" in print, words "5 000" in the index), and with or without the leading zero of a
    document number ("06/QĐ-TTg" and "6/QĐ-TTg")."""
    others = []
    if number.startswith("0") and len(number) == 2 and number != "00":
        others.append(number[1])
    elif len(number) == 1 and number != "0":
        others.append("0" + number)
    elif len(number) > 3 and not _YEAR.fullmatch(number):
        head = len(number) % 3 or 3
        others.append(" ".join([number[:head], *(number[i:i + 3] for i in range(head, len(number), 3))]))
    return others


# --- Abbreviations --------------------------------------------------------------------------
# Vietnamese writes agencies and places short as often as long: "UBND tỉnh Đắk Lắk" is "Ủy ban
# nhân dân tỉnh Đắk Lắk", "TP.HCM" "TP. Hồ Chí Minh" and "Thành phố Hồ Chí Minh", "Sở TT&TT"
# "Sở Thông tin và Truyền thông". A term (see _term) or terms typed one after another (see
# _abbreviated_runs) that spell one of them match the others too. The spellings are those
# find_mentions takes as one anywhere in an agency's name, the abbreviations among the agency
# names' aliases (data/agencies.toml), and the few more that file lists for search. Folded, a
# spelling is words as the index splits it: "TP.HCM" is "tp hcm", "TT&TT" "tt tt".

# Other forms of one term or of one run of terms: a phrase with three abbreviations in it has
# up to 4 × 4 × 4 spellings, and each is one more lookup in the index.
_MAX_ABBREVIATED = 8


class _Abbreviations(NamedTuple):
    groups: list[dict[tuple[str, ...], str]]  # each group's spellings: folded words -> text
    starting: dict[str, list[tuple[tuple[str, ...], int]]]  # (folded words, group) by first word, longest first


def _words_of(text: str) -> tuple[str, ...]:
    return tuple(fold(word) for word in _WORD.findall(text))


def _indexed(groups: list[dict[tuple[str, ...], str]]) -> _Abbreviations:
    starting: dict[str, list[tuple[tuple[str, ...], int]]] = {}
    for group, spellings in enumerate(groups):
        for words in spellings:
            starting.setdefault(words[0], []).append((words, group))
    for options in starting.values():
        options.sort(key=lambda option: len(option[0]), reverse=True)
    return _Abbreviations(groups, starting)


@functools.cache
def _abbreviations() -> _Abbreviations:
    """The groups of spellings that are one another, built on first use."""
    sets = [*EQUIVALENTS.values(), *_agency_abbreviations(),
            *([short, *longs] for short, longs in AGENCY_DATA.get("abbreviations", {}).items())]
    groups: list[dict[tuple[str, ...], str]] = []
    for texts in sets:
        spellings: dict[tuple[str, ...], str] = {}
        for text in texts:
            spellings.setdefault(_words_of(text), nfc(text))
        for group in [group for group in groups if group.keys() & spellings.keys()]:
            groups.remove(group)
            spellings = {**group, **spellings}
        groups.append(spellings)
    # A spelling with another's inside is also written with that one's other spellings:
    # "Thành phố Hồ Chí Minh" as "TP Hồ Chí Minh", "Bộ Thông tin và Truyền thông" as "Bộ TT&TT".
    single = _indexed(groups)
    closed = []
    for group, spellings in enumerate(groups):
        more = dict(spellings)
        for text in spellings.values():
            for other in _rewritten(text, single, skip=group):
                more.setdefault(_words_of(other), other)
        closed.append(more)
    return _indexed(closed)


def _agency_abbreviations() -> list[tuple[str, str]]:
    """(abbreviation, long form) of each agency alias in data/agencies.toml that writes the
    words of the agency's name it does not share as one abbreviation of their initials ("và"
    has none, or "&"): "Bộ GD&ĐT" gives ("GD&ĐT", "Giáo dục và Đào tạo"), "VPCP" ("VPCP", "Văn
    phòng Chính phủ"), "NHNN Việt Nam" ("NHNN", "Ngân hàng Nhà nước"). A short form that is no
    abbreviation ("Ngân hàng Nhà nước") gives nothing: it is searched as the words it is."""
    pairs = []
    for agency in AGENCY_DATA["agency"]:
        name = agency["name"]
        long_words = list(_WORD.finditer(name))
        for alias in agency.get("aliases", ()):
            short_words = list(_WORD.finditer(alias))
            shortest = min(len(long_words), len(short_words))
            head = 0
            while head < shortest - 1 and fold(long_words[head][0]) == fold(short_words[head][0]):
                head += 1
            tail = 0
            while tail < shortest - head - 1 and fold(long_words[-1 - tail][0]) == fold(short_words[-1 - tail][0]):
                tail += 1
            short = alias[short_words[head].start():short_words[-1 - tail].end()]
            long = name[long_words[head].start():long_words[-1 - tail].end()]
            letters = "".join(_words_of(short))
            initials = "".join(word[0] for word in _words_of(long) if word != "va")
            if short.isupper() and not any(c.isspace() for c in short) and len(letters) > 2 and letters == initials:
                pairs.append((short, long))
    return pairs


def _spans(words: list[str], table: _Abbreviations, *, starts, ends, skip: int | None = None):
    """(start, end, group) of each spelling in ``table`` among the folded ``words``, the longest
    first, left to right, none overlapping, each from an index in ``starts`` to one in ``ends``;
    none of the group ``skip``."""
    found, i = [], 0
    while i < len(words):
        for spelt, group in table.starting.get(words[i], ()) if i in starts else ():
            end = i + len(spelt)
            if group != skip and end in ends and tuple(words[i:end]) == spelt:
                found.append((i, end, group))
                i = end
                break
        else:
            i += 1
    return found


# A spelling stands in a term as words of its own: after a space, a quote or nothing, and
# before one, with at most a point, a comma or the like between ("TP. Hồ Chí Minh"); not as
# part of "174/KH-UBND" (a document's issuer) or of "Tp.Hồ".
_STANDS_AFTER = re.compile(r'[.,;:!?…"*]*(?:\s|$)')


def _rewritten(text: str, table: _Abbreviations, *, last: int | None = None, skip: int | None = None) -> list[str]:
    """``text`` with the spellings in ``table`` that stand in it written in the other spellings of
    their group (the first ``_MAX_ABBREVIATED`` forms, not ``text`` itself): none when it has
    none. Only its words before ``last`` are read (a slice's end); none of the group ``skip``."""
    words = list(_WORD.finditer(text))
    starts = {i for i, word in enumerate(words) if not word.start() or text[word.start() - 1] in ' \t\n"'}
    ends = {i + 1 for i, word in enumerate(words) if _STANDS_AFTER.match(text, word.end())}
    folded = [fold(word[0]) for word in words][:last]
    forms, at = [""], 0
    for start, end, group in _spans(folded, table, starts=starts, ends=ends, skip=skip):
        begin, stop = words[start].start(), words[end - 1].end()
        spelt = tuple(folded[start:end])
        options = [text[begin:stop], *(other for words_, other in table.groups[group].items() if words_ != spelt)]
        forms = [form + text[at:begin] + option for form in forms for option in options][: _MAX_ABBREVIATED + 1]
        at = stop
    return [form + text[at:] for form in forms[1:]]


def _abbreviated_runs(parts: list[_Part]) -> list[_Part]:
    """``parts`` with the terms typed one after another that spell a known abbreviation or long
    form (see _abbreviations) as one term that matches them as typed or its other spellings:
    "Ủy ban nhân dân" is ("ủy" AND "ban" AND "nhân" AND "dân") OR "UBND". A term excluded or
    restricted to a column (``-ủy``, ``title:ủy``) starts none, a prefix is in none."""
    out, run = [], []
    for i, part in enumerate(parts):
        before = parts[i - 1] if i else None
        bound = before is not None and (before.kind == "column" or (before.kind == "op" and before.exact == "NOT"))
        if part.kind == "term" and not part.spellings[0].endswith("*") and not bound:
            run.append(part)
            continue
        out += [*_abbreviated_run(run), part]
        run = []
    return out + _abbreviated_run(run)


def _abbreviated_run(run: list[_Part]) -> list[_Part]:
    """A run of terms, those of it that spell an abbreviation or long form together joined."""
    words: list[str] = []
    starts, ends, term_of = set(), set(), []
    for n, part in enumerate(run):
        starts.add(len(words))
        words += part.spellings[0].split()
        term_of += [n] * (len(words) - len(term_of))
        ends.add(len(words))
    table = _abbreviations()
    out, done = [], 0
    for start, end, group in _spans(words, table, starts=starts, ends=ends):
        first, last = term_of[start], term_of[end - 1] + 1
        # A term's own spellings are in it already (see _term).
        if last - first > 1 and (joined := _joined(run[first:last], table.groups[group])) is not None:
            out += run[done:first] + [joined]
            done = last
    return out + run[done:]


def _joined(terms: list[_Part], spellings: dict[tuple[str, ...], str]) -> _Part | None:
    """Terms typed one after another as one term that also matches the other ``spellings`` of
    what they spell, but those the terms as typed match anyway ("Sở TT&TT" matches "Sở Thông tin
    và Truyền thông": TT&TT does); None when no other is left."""
    typed = [{tuple(mark.split()) for mark in term.marks} for term in terms]
    others = [term for words, text in spellings.items() if not _covered(words, typed)
              if (term := _term(text, prefix=False, abbreviations=False)) is not None][:_MAX_ABBREVIATED]
    if not others:
        return None
    as_typed = [f"( {' AND '.join(term[i] for term in terms)} )" for i in (1, 2, 3)]
    return _Part(
        "term", *(_either([as_typed[i - 1], *(other[i] for other in others)]) for i in (1, 2, 3)),
        " ".join(term.typed for term in terms),
        tuple(dict.fromkeys(mark for part in (*terms, *others) for mark in part.marks)),
        tuple(dict.fromkeys([*_spelt(terms), *(spelling for other in others for spelling in other.spellings)])),
        joined=len(terms),
    )


def _covered(words: tuple[str, ...], typed: list[set[tuple[str, ...]]]) -> bool:
    """Whether ``words`` are, one after another, a spelling of each term typed (``typed``: each
    term's spellings, as folded words)."""
    if not typed:
        return not words
    return any(words[:len(spelt)] == spelt and _covered(words[len(spelt):], typed[1:]) for spelt in typed[0])


def _refused(note: Note) -> Query:
    return Query("", "", "", (), (note,))


def _explicit_and(parts):
    """FTS5 joins bare phrases with an implicit AND, but not a phrase and a group."""
    out = []
    for part in parts:
        if out and out[-1].kind in ("term", "close") and part.kind in ("term", "open", "column"):
            out.append(_Part("op", "AND", "AND", "AND", "AND"))
        out.append(part)
    return out


def _operand_end(parts, start: int) -> int:
    """Where the term, group or column filter starting at ``start`` ends (``start`` if none does)."""
    if start >= len(parts):
        return start
    kind = parts[start].kind
    if kind == "column":
        return _operand_end(parts, start + 1)
    if kind == "open":
        depth = 0
        for i in range(start, len(parts)):
            depth += {"open": 1, "close": -1}.get(parts[i].kind, 0)
            if not depth:
                return i + 1
        return len(parts)
    return start + 1 if kind == "term" else start


def _without_empty_groups(parts) -> list[_Part]:
    """``parts`` without the groups that hold nothing ("()", "(())"), which are no operand: left
    in, one before "-oa zalo" kept the exclusion from moving to the end of its branch."""
    out = []
    for part in parts:
        if part.kind == "close" and out and out[-1].kind == "open":
            out.pop()
        else:
            out.append(part)
    return out


def _exclusions_last(parts, start: int) -> tuple[list[_Part], int]:
    """The group of ``parts`` from ``start`` with each branch's leading "-" exclusions moved to
    the end of the branch, and where the group closes (past its ")").

    Search engines take "-oa zalo" as "zalo -oa"; FTS5 would read it as "NOT oa" with nothing
    before it. A leading NOT stays where it is: it is FTS5's own operator, which the query
    syntax documents as excluding from what precedes it, and "NOT oa zalo" does not say how
    much it excludes ("NOT (oa zalo)"?) as "-oa", written onto what it excludes, does."""
    out, branch, i = [], [], start
    while i < len(parts) and parts[i].kind != "close":
        if parts[i].kind == "op" and parts[i].exact == "OR":
            out += [*_leading_exclusions_last(branch), parts[i]]
            branch, i = [], i + 1
        elif parts[i].kind == "open":
            group, i = _exclusions_last(parts, i + 1)
            branch += [_OPEN, *group]
        else:
            branch.append(parts[i])
            i += 1
    out += _leading_exclusions_last(branch)
    if i < len(parts):
        out.append(parts[i])
        i += 1
    return out, i


def _leading_exclusions_last(branch: list[_Part]) -> list[_Part]:
    """One side of an OR with the "-" exclusions it starts with at its end, where they exclude
    from the rest of it ("-oa -fanpage zalo cổng" is "zalo cổng -oa -fanpage"); left where they
    are when the rest has no word to exclude them from ("-oa", "-oa (NOT x)")."""
    moved, kept, i, after_minus = [], [], 0, False
    while i < len(branch) and branch[i].kind == "op":
        part = branch[i]
        end = _operand_end(branch, i + 1) if part.exact == "NOT" else i + 1
        minus = part.exact == "NOT" and part.typed != "NOT"
        if minus:
            moved += branch[i:end]
        elif not (part.exact == "AND" and after_minus):
            # An AND right after a "-" exclusion joined it to what follows, which now precedes it.
            kept += branch[i:end]
        after_minus = minus
        i = end
    rest = branch[i:]
    if not moved or not _marked_parts(rest):
        return branch
    return kept + rest + moved


def _drop_leading_not(parts, notes):
    """FTS5's NOT excludes its right side from its left: "a AND NOT b" is "a NOT b", but a NOT
    with nothing before it is left out together with what it excludes."""
    out = []
    i = 0
    while i < len(parts):
        part = parts[i]
        if part.kind == "op" and part.exact == "NOT":
            if out and out[-1].kind == "op" and out[-1].exact == "AND":
                out.pop()
            if not out or out[-1].kind in ("open", "op", "column"):
                end = _operand_end(parts, i + 1)
                if end > i + 1:
                    notes.append(_left_out(part, parts[i + 1 : end]))
                    i = end
                    continue
        out.append(part)
        i += 1
    return out


def _left_out(op: _Part, excluded: list[_Part]) -> Note:
    """The note on a NOT with nothing before it, left out with what it excludes. A "-" may come
    before the words it excludes from ("-fanpage Zalo"), so its note asks for a word beside it."""
    shown = _excluding(op.typed, " ".join(p.typed for p in excluded))
    if op.typed == "NOT":
        return Note(
            f"Bỏ qua «{shown}»: NOT cần một từ đứng trước, ví dụ «từ {shown}»",
            f"Left out «{shown}»: NOT needs a word before it, as in «word {shown}»",
        )
    return Note(
        f"Bỏ qua «{shown}»: {op.typed} cần một từ đi kèm, trong cùng cặp ngoặc và cùng vế OR, ví dụ «từ {shown}»",
        f"Left out «{shown}»: {op.typed} needs a word with it, in the same brackets and on the same side of any OR, "
        f"as in «word {shown}»",
    )


def _excluding(op: str, excluded: str) -> str:
    """An exclusion as typed: "NOT oa", "-oa"."""
    return f"NOT {excluded}" if op == "NOT" else f"{op}{excluded}"


class _Branch(NamedTuple):
    """One side of an OR: the operands an article must match (term, group or column filter), and
    the NOTs with what each excludes."""

    wanted: list[list[_Part]]
    excluded: list[tuple[_Part, list[_Part]]]


def _branches(parts, start: int) -> tuple[list[_Branch], int]:
    """The group of ``parts`` from ``start`` as FTS5 reads it, its ORs binding loosest and its
    NOTs tightest ("a b NOT c OR d" is "(a AND (b NOT c)) OR d"), and where it closes."""
    branches = [_Branch([], [])]
    i = start
    while i < len(parts) and parts[i].kind != "close":
        part = parts[i]
        if part.kind == "op" and part.exact == "OR":
            branches.append(_Branch([], []))
            i += 1
        elif part.kind == "op" and part.exact == "NOT":
            end = _operand_end(parts, i + 1)
            branches[-1].excluded.append((part, parts[i + 1 : end]))
            i = end
        elif part.kind == "op":
            i += 1
        else:
            end = max(_operand_end(parts, i), i + 1)
            branches[-1].wanted.append(parts[i:end])
            i = end
    return branches, i


def _excluded_in_vain(branches: list[_Branch]) -> list[Note]:
    """A note for each word excluded that, accents aside, is or is in a word or phrase searched
    for beside it: the folded index takes "hòa -hoa" as "hoa NOT hoa", which matches nothing.

    Only a word or phrase excluded is compared, and not one excluded as typed ("hoa -hoa")."""
    notes = []
    for branch in branches:
        for operand in branch.wanted:
            group = _unfiltered(operand)
            if group[0].kind == "open":
                notes += _excluded_in_vain(_branches(group, 1)[0])
        for op, excluded in branch.excluded:
            if len(excluded) != 1 or excluded[0].kind != "term":
                continue
            word = excluded[0]
            for operand in branch.wanted:
                if _implies(operand, word) and not _typed_in(operand, word):
                    left, shown = _typed_text(operand), _excluding(op.typed, word.typed)
                    notes.append(Note(
                        f"Không bài nào có thể khớp «{left} {shown}»: tìm kiếm bỏ qua dấu, "
                        f"nên mọi bài có «{left}» đều có «{word.typed}»",
                        f"Nothing can match «{left} {shown}»: search ignores accents, "
                        f"so every article with «{left}» has «{word.typed}»",
                    ))
                    break
    return notes


def _unfiltered(operand: list[_Part]) -> list[_Part]:
    """An operand without its column filter: a column restricts where it matches, not what."""
    return operand[1:] if operand[0].kind == "column" else operand


def _implies(operand: list[_Part], term: _Part) -> bool:
    """Whether every article the operand matches has ``term`` (folded) too."""
    operand = _unfiltered(operand)
    if operand[0].kind == "open":
        return all(any(_implies(wanted, term) for wanted in branch.wanted) for branch in _branches(operand, 1)[0])
    # Each spelling the operand may match has one the term matches.
    return all(any(_contains(mark.split(), other.split()) for other in term.marks) for mark in operand[0].marks)


def _typed_in(operand: list[_Part], term: _Part) -> bool:
    """Whether a term of the operand has the words of ``term`` as typed (case aside)."""
    words = [word.lower() for word in _WORD.findall(term.typed)]
    return any(_contains([word.lower() for word in _WORD.findall(part.typed)], words)
               for part in operand if part.kind == "term")


def _contains(words: list[str], sequence: list[str]) -> bool:
    """Whether the query terms ``sequence`` match ``words`` one after another somewhere (a word
    "abc*", a prefix itself, matches a term "ab*", not "abc")."""
    n = len(sequence)
    return any(all(_matches(words[i + k], sequence[k]) for k in range(n)) for i in range(len(words) - n + 1))


def _typed_text(parts: list[_Part]) -> str:
    """Parts as typed, spaced as they would be typed."""
    text = ""
    for part in parts:
        glued = not text or text.endswith(("(", ":")) or part.kind == "close"
        text += ("" if glued else " ") + part.typed
    return text


def _drop_dangling(parts, notes):
    """Operators need a term or group on both sides, a column filter one after it; empty groups
    are dropped."""
    dropped = []
    while _drop_not_left_alone(parts, notes) or _drop_one_dangling(parts, dropped):
        pass
    # An operator left stranded by a NOT left out is that NOT's note's business.
    if not any(note.en.startswith("Left out «") for note in notes):
        notes += [Note(f"Bỏ qua «{typed}»: thiếu từ ở một bên", f"Ignored «{typed}»: it needs words on both sides")
                  for typed in dict.fromkeys(t for t in dropped if t in OPERATORS)]
        notes += [Note(f"Bỏ qua «{typed}»: không có từ nào theo sau", f"Ignored «{typed}»: no word follows it")
                  for typed in dict.fromkeys(t for t in dropped if t not in OPERATORS)]
    return parts


def _drop_one_dangling(parts, dropped: list[str]) -> bool:
    """Whether an operator or column filter dangling (its typing added to ``dropped``) or an
    empty group was dropped."""
    for i, part in enumerate(parts):
        prev = parts[i - 1].kind if i else None
        nxt = parts[i + 1].kind if i + 1 < len(parts) else None
        dangling = part.kind == "op" and (prev in (None, "op", "open") or nxt in (None, "op", "close"))
        if dangling or (part.kind == "column" and nxt not in ("term", "open")):
            dropped.append(part.typed)
            del parts[i]
            return True
        if part.kind == "open" and nxt == "close":
            del parts[i : i + 2]
            return True
    return False


def _drop_not_left_alone(parts, notes) -> bool:
    """Drop a NOT left with nothing before it by an empty group dropped, with what it excludes
    and a note, as _drop_leading_not does, or the AND before a NOT; whether it did.

    Dropping only the NOT searched for what was excluded ("() -oa" found "oa"), and dropping the
    operators around it first joined it to the other side of an OR ("zalo OR () -oa" found
    "zalo -oa")."""
    for i, part in enumerate(parts):
        if part.kind != "op" or part.exact != "NOT" or (end := _operand_end(parts, i + 1)) == i + 1:
            continue
        before = parts[i - 1] if i else None
        if before is not None and before.kind == "op" and before.exact == "AND":
            # "zalo AND () -oa" is "zalo -oa", as "zalo AND -oa" is.
            del parts[i - 1]
            return True
        if before is None or before.kind in ("op", "open"):
            notes.append(_left_out(part, parts[i + 1 : end]))
            del parts[i:end]
            return True
    return False


SEARCH_LIMIT = 5_000

# Both search indexes have a fourth column of words for the reading room's filters (the source,
# the month, and the channels, agencies and documents an article names), so a filtered search is one
# FTS5 query per index: FTS5 walks the matches of the text and of the filter word together
# instead of reading every match of a common word newest first to find the filter's. The words
# are spelled so that no text contains them.
FILTERS_COLUMN = "filters"


# The JSON list columns of ``articles`` whose items are filter words, with each word's prefix.
LIST_FILTERS = (("ch", "channels"), ("ag", "agencies"), ("ref", "refs"))


def filter_words(
    source_id: str | None, published_month: str | None, platforms=(), agencies=(), refs=()
) -> str:
    """What the ``filters`` column of both search indexes holds for an article (the lists are
    those of its ``channels``, ``agencies`` and ``refs`` columns)."""
    words = []
    if source_id:
        words.append(f"src{source_id.encode('utf-8').hex()}")
    if published_month:
        words.append(f"month{published_month.replace('-', '')}")
    for (prefix, _column), items in zip(LIST_FILTERS, (platforms, agencies, refs)):
        words += [f"{prefix}{item.encode('utf-8').hex()}" for item in items if isinstance(item, str) and item]
    return " ".join(words)


def json_list(value: str | None) -> list:
    """A JSON array column (``channels``, ``refs`` ...) as a list; empty when null or not an array."""
    try:
        items = json.loads(value or "[]")
    except ValueError:
        return []
    return items if isinstance(items, list) else []


def row_filter_words(row, *, lists: bool = True) -> str:
    """filter_words() of an articles row (a mapping with ``source_id``, ``published_month`` and
    the JSON list columns); ``lists=False`` as for filter_words_sql."""
    return filter_words(
        row["source_id"], row["published_month"], *(json_list(row[column]) for _prefix, column in LIST_FILTERS if lists)
    )


def filter_words_sql(row: str, *, lists: bool = True) -> str:
    """filter_words() as an SQL expression over the articles row ``row`` (the exact index's
    triggers and content view compute it in SQLite); its words, not its spacing, are the same.

    ``lists=False`` leaves out the channel, agency and document words, as migration m011 wrote
    them."""
    parts = [
        f"case when {row}.source_id <> '' then 'src' || lower(hex({row}.source_id)) else '' end",
        f"case when {row}.published_month <> '' then 'month' || replace({row}.published_month, '-', '') else '' end",
    ]
    if lists:
        parts += [
            f"coalesce((select group_concat('{prefix}' || lower(hex(value)), ' ') from json_each("
            f"case when json_valid({row}.{column}) then case when json_type({row}.{column}) = 'array' "
            f"then {row}.{column} else '[]' end else '[]' end) where type = 'text' and value <> ''), '')"
            for prefix, column in LIST_FILTERS
        ]
    joined = " || ' ' || ".join(parts)
    return f"trim({joined})"


def with_filters(
    query: str, *, source: str | None = None, month: str | None = None, platform: str | None = None,
    agency: str | None = None, ref: str | None = None, column: bool = True, every_spelling: bool = True,
) -> str:
    """An FTS5 query restricted to a source, a month, a channel, an agency and/or a document
    through the filters column.

    ``column=False`` for the exact index, which keeps no positions and so takes no column
    filter; the filter words occur in no other column anyway. ``every_spelling=False`` takes the
    document as written, not each spelling of its number's leading zeros: for a filter that
    selects that spelling alone (datasette's ``refs__arraycontains``)."""
    lists = ([value] if value else () for value in (platform, agency))
    groups = [[word] for word in filter_words(source, month, *lists).split()]
    if ref:
        # An article's word is its document as the page spelled it: each of the number's
        # leading-zero spellings is the document ("06/QĐ-TTg", "6/QĐ-TTg").
        groups.append(filter_words(None, None, refs=ref_spellings(ref) if every_spelling else [ref]).split())
    if not groups:
        return query
    prefix = f"{FILTERS_COLUMN} : " if column else ""
    # The month comes from a URL: a quote in it must stay a character of the word, not syntax.
    quoted = [['"' + word.replace('"', '""') + '"' for word in group] for group in groups]
    return " AND ".join([f"( {query} )", *(prefix + (f"( {' OR '.join(q)} )" if len(q) > 1 else q[0]) for q in quoted)])


def floor_sql(index: str, *, where: str = "", join: str = "", ids: bool = False) -> str:
    """SQL for ``n``: the matches counted up to ``:limit + 1`` (more means "more than :limit"), and
    ``floor``: the rowid of the ``:limit``-th newest match (null when fewer match); with ``ids``,
    also ``ids``: the ids of the matches ranked (all, or the ``:limit`` newest), a JSON array.

    ``where`` and ``join`` add filters on the articles ``a``; FTS5 stays the outer loop (cross
    join) so the newest matches are read in index order and the scan stops at the limit.
    """
    source = f"{index} cross join articles a on a.id = {index}.rowid {join}" if where else index
    newest = f"select {index}.rowid as id from {source} where {index} match :match {where} order by {index}.rowid desc"
    # Read once: a filtered query's match costs as much again as the count (7 ms of a source's
    # "thông tin" on a million articles).
    listed = (""", (select json_group_array(id) from newest
                     where id >= coalesce((select id from floor), id)) as ids""" if ids else "")
    return f"""with newest as materialized ({newest} limit :limit + 1),
                    floor as (select id from newest order by id desc limit 1 offset :limit - 1)
               select count(*) as n, (select id from floor) as floor{listed}
               from newest"""


SEARCH_SQL = """
with folded as (
    select rowid, bm25(articles_fold, 10.0, 4.0, 1.0, 0.0) as score
    from articles_fold where articles_fold match :folded and rowid >= :floor
),
exact as (
    select rowid from articles_fts where articles_fts match :accented and rowid >= :floor
){phrase_cte}
select a.id, a.url, a.source_id, a.title, a.published, a.author, a.description, a.text,
       {phrase_match} as phrase_match, (a.id in (select rowid from exact)) as exact_match, folded.score
from folded join articles a on a.id = folded.rowid
order by {order}
limit :limit offset :offset
"""
PHRASE_CTE = """,
phrase as (
    select rowid from articles_fold where articles_fold match :phrase and rowid >= :floor
)"""

# Ties go to the newest id, as on the search page.
ORDERS = {
    "relevance": "phrase_match desc, exact_match desc, folded.score, a.id desc",
    "newest": "a.published is null, a.published desc, a.id desc",
    "oldest": "a.published is null, a.published, a.id",
}


def search(
    db: Database,
    query: str | Query,
    *,
    limit: int = 20,
    offset: int = 0,
    order: str = "relevance",
    source: str | None = None,
    search_limit: int = SEARCH_LIMIT,
) -> list[dict]:
    """Articles matching ``query``, best first (or newest/oldest first), with a snippet.

    Of more than ``search_limit`` matches, the ``search_limit`` most recently archived are ranked.
    """
    return bounded_search(db, query, limit=limit, offset=offset, order=order, source=source,
                          search_limit=search_limit).results


class Found(NamedTuple):
    results: list[dict]
    count: int  # the matches, counted up to the search limit
    more: bool  # more than the search limit match: the most recently archived of them were ranked


def count_matches(db: Database, query: str | Query, *, source: str | None = None,
                  search_limit: int = SEARCH_LIMIT) -> tuple[int, bool]:
    """How many articles match, counted up to ``search_limit``, and whether more do."""
    parsed = query if isinstance(query, Query) else parse_query(query)
    if not parsed:
        return 0, False
    n = db.execute(floor_sql("articles_fold"), {"match": with_filters(parsed.folded, source=source),
                                                "limit": search_limit}).fetchone()[0]
    return min(n, search_limit), n > search_limit


def bounded_search(
    db: Database,
    query: str | Query,
    *,
    limit: int = 20,
    offset: int = 0,
    order: str = "relevance",
    source: str | None = None,
    search_limit: int = SEARCH_LIMIT,
) -> Found:
    """search(), with the count of matches and whether more than ``search_limit`` articles
    match, so that only the ``search_limit`` most recently archived of them were ranked."""
    parsed = query if isinstance(query, Query) else parse_query(query)
    if not parsed:
        return Found([], 0, False)
    folded = with_filters(parsed.folded, source=source)
    accented = with_filters(parsed.accented, source=source, column=False)
    phrase = with_filters(parsed.phrase, source=source) if parsed.phrase else ""
    bound = db.execute(floor_sql("articles_fold"), {"match": folded, "limit": search_limit}).fetchone()
    sql = SEARCH_SQL.format(
        order=ORDERS[order],
        phrase_cte=PHRASE_CTE if parsed.phrase else "",
        phrase_match="(a.id in (select rowid from phrase))" if parsed.phrase else "0",
    )
    cursor = db.execute(
        sql,
        {"folded": folded, "accented": accented, "phrase": phrase, "limit": limit, "offset": offset,
         "floor": bound[1] or 0},
    )
    columns = [c[0] for c in cursor.description]
    results = []
    for row in cursor.fetchall():
        result = dict(zip(columns, row))
        text = result.pop("text") or ""
        result["snippet"] = snippet(text or result["description"] or "", parsed)
        result["exact_match"] = bool(result["exact_match"])
        result["phrase_match"] = bool(result["phrase_match"])
        results.append(result)
    return Found(results, min(bound[0], search_limit), bound[0] > search_limit)


def snippet(text: str, query: Query | tuple[str, ...], *, words: int = 30, mark=("[", "]")) -> str:
    """A window of ``text`` around the best match, matches wrapped in ``mark``, accents kept.

    Given the Query rather than its terms, it shows where the words typed together stand
    together, with the accents typed where the text has them so (see ``_marks``).
    """
    spans, focus = _marks(text, query)
    tokens = list(re.finditer(r"\S+", text))
    if not tokens:
        return ""
    centre = next((i for i, t in enumerate(tokens) if t.end() > focus), 0)
    lo = max(0, centre - words // 3)
    hi = min(len(tokens), lo + words)
    start, end = tokens[lo].start(), tokens[hi - 1].end()
    out, pos = [], start
    for s, e in spans:
        if s < start or e > end:
            continue
        out += [text[pos:s], mark[0], text[s:e], mark[1]]
        pos = e
    out.append(text[pos:end])
    # One line, whatever paragraphs the window spans: a terminal shows it as a page does.
    return ("…" if lo else "") + " ".join("".join(out).split()) + ("…" if hi < len(tokens) else "")


def html_snippet(text: str, query: Query | tuple[str, ...], *, words: int = 30) -> Markup:
    """The snippet as safe HTML: the page text escaped first, then <mark> around matches."""
    plain = snippet(text, query, words=words, mark=("\x00", "\x01"))
    return Markup(str(escape(plain)).replace("\x00", "<mark>").replace("\x01", "</mark>"))


# Of the ``:limit`` versions (archive.db.m030) archived most recently that match ``:match``, the
# earlier versions of articles whose current reading does not match ``:current`` (the same query,
# as the search of the articles has it), with the ``:shown`` newest; ``examined`` says whether
# more than ``:limit`` match. Newest archived first is the versions' id order, which FTS5 reads
# without ranking. A version that is its article's latest reads as the article (a re-extraction
# gives the article a new reading of its capture and leaves the old one in the version): only
# those before it are earlier. Each version's article is asked of the articles' index by rowid
# (20-40 µs: one seek in each word's list), not by a second match of the whole index, which for a
# common word lists most of the archive; the limit bounds how many are asked.
EARLIER_VERSIONS_SQL = """
with examined as materialized (
    select versions_fold.rowid as id from versions_fold {join}
    where versions_fold match :match {where}
    order by versions_fold.rowid desc
    limit :limit + 1
),
earlier as materialized (
    select v.id, v.article_id
    from (select id from examined order by id desc limit :limit) e cross join article_versions v on v.id = e.id
    where v.version < (select max(w.version) from article_versions w where w.article_id = v.article_id)
      and not exists (select 1 from articles_fold
                      where articles_fold match :current and articles_fold.rowid = v.article_id)
)
select (select count(*) from examined) as examined, count(*) as n, count(distinct article_id) as articles,
       (select json_group_array(id) from (select id from earlier order by id desc limit :shown)) as ids
from earlier
"""
EARLIER_VERSION_ROWS_SQL = """
select v.article_id, v.version,
       (select max(w.version) from article_versions w where w.article_id = v.article_id) as versions,
       v.title, v.description, v.text, v.captured_at, a.source_id, a.language,
       v.extractor_version, a.extractor_version as article_extractor_version
from article_versions v join articles a on a.id = v.article_id
where v.id in (select value from json_each(:ids))
order by v.id desc
"""


# The most versions with the words a search looks at (or the search limit, if lower): each is
# checked against its article's current reading, one seek in the articles' index a version (13 µs),
# and 5,000 of a common word took 80 ms of a page where one article in ten had changed.
VERSIONS_EXAMINED = 1000


# What a listing of an earlier version found gives (beside the reading room's addresses): its
# ``title``, ``captured_at`` and ``snippet`` its own, ``versions`` its article's number of them.
EARLIER_VERSION_FIELDS = ("article_id", "version", "versions", "title", "captured_at", "source_id", "snippet",
                          "read_otherwise")


class EarlierVersions(NamedTuple):
    results: list[dict]  # the newest ``limit``, each with a snippet of its own text and ``read_otherwise``
    # Of the versions archived most recently that match (at most ``examined``), how many are
    # earlier versions of articles no longer matching, and of how many articles.
    count: int
    articles: int
    more: bool  # more versions match than ``examined``: the older ones were not looked at
    examined: int = VERSIONS_EXAMINED  # how many of the versions with the words are looked at, at most


def earlier_versions(
    db, query: str | Query, *, limit: int = 20, search_limit: int = SEARCH_LIMIT, where: str = "",
    params: dict | None = None, mark=snippet, **filters,
) -> EarlierVersions:
    """The earlier versions of articles matching ``query`` that their articles, as they read now,
    no longer match: what a page said before it was corrected, which a search of the articles
    misses. Of more versions matching than ``search_limit`` or VERSIONS_EXAMINED, whichever is
    lower, that many of the most recently archived are looked at, as the search of the articles
    ranks only its most recent matches.

    ``filters`` are with_filters()'s, applied to each version as its article had them when it
    was the reading; ``where`` adds conditions on the article ``a`` (with ``params``). ``db`` is
    a connection or Database of an archive upgraded by m030 (of one read as it is before, none
    is found). ``mark`` makes the snippets (snippet or html_snippet).

    Each version found has ``read_otherwise``: how the archive's reading of it was made otherwise
    than the article's current one (archive.sources.extraction_changed). Such a version may say
    what the site still says, which the article's reading by new rules leaves out: the reader
    must be told."""
    parsed = query if isinstance(query, Query) else parse_query(query)
    examined_limit = min(search_limit, VERSIONS_EXAMINED)
    # The index is made with the archive's first earlier version (archive.db.index_versions).
    if not parsed or not db.execute("select 1 from sqlite_master where name = ?", [VERSIONS_INDEX]).fetchone():
        return EarlierVersions([], 0, 0, False, examined_limit)
    current = with_filters(parsed.folded, **filters)
    join = ("cross join article_versions v on v.id = versions_fold.rowid cross join articles a on a.id = v.article_id"
            if where else "")
    sql = EARLIER_VERSIONS_SQL.format(join=join, where=f"and {where}" if where else "")
    examined, n, articles, ids = db.execute(sql, {**(params or {}), "match": current, "current": current,
                                                  "limit": examined_limit, "shown": limit}).fetchone()
    more = examined > examined_limit
    if not n:
        return EarlierVersions([], 0, 0, more, examined_limit)
    cursor = db.execute(EARLIER_VERSION_ROWS_SQL, {"ids": ids})
    columns = [c[0] for c in cursor.description]
    results = []
    for row in cursor.fetchall():
        result = dict(zip(columns, row))
        text, description = result.pop("text") or "", result.pop("description") or ""
        result["snippet"] = mark(text or description, parsed)
        result["read_otherwise"] = extraction_changed({"extractor_version": result.pop("extractor_version")},
                                                      {"extractor_version": result.pop("article_extractor_version")})
        results.append(result)
    return EarlierVersions(results, n, articles, more, examined_limit)


def match_spans(text: str, terms) -> list[tuple[int, int]]:
    """Character spans in ``text`` of the words FTS5 matched: words whose folded form is a query
    term, or starts with a term typed as a prefix ("word*")."""
    words = _folded_words(text) if terms else []
    return [words[i][:2] for i in _hits(words, terms)]


def _folded_words(text: str) -> list[tuple[int, int, str]]:
    """Each word of ``text``: its span, and its folded form."""
    return [(*w.span(), w.group()) for w in _WORD.finditer(fold_aligned(text))]


def _hits(words: list[tuple[int, int, str]], terms) -> list[int]:
    """The indexes of the folded ``words`` that FTS5 matched."""
    whole = {t for t in terms if not t.endswith("*")}
    prefixes = tuple(t[:-1] for t in terms if t.endswith("*"))
    return [i for i, (_, _, word) in enumerate(words) if word in whole or word.startswith(prefixes)]


def _matches(word: str, term: str) -> bool:
    """Whether FTS5 matches the folded ``word`` to a query term ("word*" for a prefix)."""
    return word.startswith(term[:-1]) if term.endswith("*") else word == term


def _places(words: list[str], sequence: tuple[str, ...]) -> list[int]:
    """Where in the folded ``words`` the query terms ``sequence`` stand one after another."""
    n = len(sequence)
    # Only the last term may be a prefix: the first is compared as fast as a word can be.
    starts = [i for i, word in enumerate(words[: len(words) - n + 1]) if word == sequence[0]]
    return [i for i in starts if all(_matches(words[i + k], sequence[k]) for k in range(1, n))]


def _marks(text: str, query: Query | tuple[str, ...]) -> tuple[list[tuple[int, int]], int]:
    """The spans of ``text`` to mark, in order, and the offset a snippet centres on.

    With terms only, every word FTS5 matched, centred on the first. With the Query, as FTS5 and
    ranking see it: the words of a phrase ("hoa đào" in quotes, the "5 000" of 5000) are marked
    only where the phrase stands, as FTS5 matches them nowhere else; the words of a run typed in
    a row ("đổi mới") only where the run stands whole, if it does anywhere, and not as "theo dõi
    … mới" far apart; a word typed with accents only where the text has those accents, or the
    other spelling of them ("thuý" and "thúy"), if it has them anywhere ("năm" marks "năm", not
    "Nam"). The centre is the first run or phrase standing whole (with the accents typed, if the
    text has it so), else the first word marked with the accents typed, else the first word
    marked.
    """
    if not isinstance(query, Query):
        spans = match_spans(text, query)
        return spans, spans[0][0] if spans else 0
    words = _folded_words(text) if query.terms else []
    typed: dict[str, set[str]] = {}
    for word in query.typed:
        typed.setdefault(fold(word), set()).add(word)

    def as_typed(i: int) -> bool:
        start, end, bare = words[i]
        forms = typed.get(bare)
        return not forms or bare in forms or text[start:end].lower() in forms

    marked: set[int] = set()
    run_words: set[str] = set()
    exact_places, loose_places = [], []
    bare = [word for _, _, word in words]
    phrases = [spelt for spelt in query.spelt if len(spelt) > 1]
    for sequence in (*query.runs, *phrases):
        n = len(sequence)
        places = _places(bare, sequence)
        exact = [i for i in places if all(as_typed(i + k) for k in range(n))]
        for i in exact or places:
            marked.update(range(i, i + n))
        if places:
            (exact_places if exact else loose_places).append((exact or places)[0])
            if sequence in query.runs:
                run_words.update(sequence)
    alone: dict[str, list[int]] = {}
    for i in _hits(words, [spelt[0] for spelt in query.spelt if len(spelt) == 1]):
        if words[i][2] not in run_words:
            alone.setdefault(words[i][2], []).append(i)
    for hits in alone.values():
        marked.update([i for i in hits if as_typed(i)] or hits)
    if not marked:
        return [], 0
    first = min(exact_places or loose_places or [i for i in marked if as_typed(i)] or marked)
    return [words[i][:2] for i in sorted(marked)], words[first][0]
