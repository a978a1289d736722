"""Numbers of Vietnamese legal and administrative documents, as cited in running text.

Shapes recognised (Nghị định 30/2020/NĐ-CP, Phụ lục III, and the Party's own rules):

- ``174/KH-UBND``, ``358/QĐ-UBND-HC``: number / type code - issuer [- drafting unit].
- ``13/2023/NĐ-CP``, ``22/2023/TT-BTTTT``: number / year / type code - issuer.
- ``72/2025/QH15``: number / year / issuer, with no type code (laws and resolutions of the
  National Assembly); the type comes from the word before ("Luật số ...", or a law's title
  between: "Luật Giao dịch điện tử số 20/2023/QH15").
- ``57-NQ/TW``, ``57 - NQ/TW``: Party documents, number - type code / issuer.
- ``4512/UBND-KGVX``, ``7790/VP-TTĐT``: letters (công văn), which carry no type code: the whole
  code is the issuer (issuing body - drafting unit), and the type is "Công văn" unless the word
  before names another.
- ``64-CP``: pre-1997 numbering, only after a type word ("Nghị định 64-CP"), since bare it looks
  like a range or a model number.

Not references: a code must start with a letter and, unless a year sits between, contain a
hyphen, so dates, fractions, scores, ratios, ranges, times, phone numbers and figures never
qualify, and "km 12/QL1A" (a road, not a document) does not either. A number glued to a word,
a dot, a slash or a hyphen ("A-12/B", "v2.1/RC-1", URL paths) is not the start of one, and
links are masked before matching. Codes written partly in lower case ("174/kh-ubnd") are taken
only when their type code is a known one or a type word or "số" comes before, which keeps out
unit pairs such as "5/km-ngày".

Other dashes than the hyphen ("13/2023/NĐ–CP"), an Ð (U+00D0) for Đ, full-width characters
("１７４／ＫＨ－ＵＢＮＤ"), a number written with thousands dots ("1.234/QĐ-UBND") and one a line break
splits after its slash or a hyphen, before a code in capitals ("174/<br>KH-UBND"), give the usual
reference.

The body that issued the document is read where the text names it beside the number: after it
("Kế hoạch số 174/KH-UBND ngày 20/6/2025 của UBND tỉnh Đắk Lắk", "... do Bộ TT&TT ban hành",
"của Chủ tịch UBND tỉnh ...": the chairman's decisions carry the committee's numbering) or as the
subject that issues it right before ("UBND tỉnh Đắk Lắk ban hành Kế hoạch 174/KH-UBND"). It is
the agency's canonical name as archive.mentions gives it, so that every spelling of one body is
one issuer; a body that names no one place ("UBND tỉnh") is none. Every provincial committee
numbers its plans from 1: "174/KH-UBND" alone is not one document, and only the issuer tells
them apart. Within one text a citation that names no issuer is the document the text names an
issuer for elsewhere, when it names exactly one (``attribute``); one whose own words give what is
not read (an issuer not known, "của UBND tỉnh", or a date not taken as its issue date) is not.

A date after the time the page was seen is not the issue date (a page cannot cite a document not
yet issued: it is the news's own date or a slip), but the issuer written after it is still read
("Kế hoạch 174/KH-UBND ngày 20/6/2025 của UBND tỉnh Đắk Lắk" on a page of 11 June 2025).

Matching runs over an NFC, base-letter copy of the text whose offsets map back to the input,
so ``text[start:end]`` of the input is always ``DocRef.text``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import ClassVar

from archive.mentions import agencies_between, agency_at
from archive.vietnamese import _BASE, VN_TZ, find_dates, fold

__all__ = ["DocRef", "ISSUING_BODIES_SINCE", "READ_BEFORE_ISSUERS_SQL", "TYPE_NAMES", "attribute", "find_doc_refs",
           "unique_refs"]

# The extraction rules version (archive.extract.RULES_VERSION) from which references carry their
# issuing body: a reference read by an earlier one has none whatever its text says.
ISSUING_BODIES_SINCE = 24
# Whether the article ``a`` was read by such rules, as SQL (its extractor_version is
# "govarchive-<rules version>/trafilatura-<version>[+rules-<fingerprint>]"): its citations that
# name no issuer may name one the rules did not read.
READ_BEFORE_ISSUERS_SQL = (
    f"cast(substr(a.extractor_version, length('govarchive-') + 1) as integer) < {ISSUING_BODIES_SINCE}"
)

TYPE_NAMES: dict[str, str] = {
    "NQ": "Nghị quyết",
    "NĐ": "Nghị định",
    "QĐ": "Quyết định",
    "CT": "Chỉ thị",
    "TT": "Thông tư",
    "TTLT": "Thông tư liên tịch",
    "KH": "Kế hoạch",
    "TB": "Thông báo",
    "BC": "Báo cáo",
    "HD": "Hướng dẫn",
    "TTr": "Tờ trình",
    "CTr": "Chương trình",
    "ĐA": "Đề án",
    "DA": "Dự án",
    "PA": "Phương án",
    "QC": "Quy chế",
    "QYĐ": "Quy định",
    "QĐi": "Quy định",
    "KL": "Kết luận",
    "CĐ": "Công điện",
    "CV": "Công văn",
    "BB": "Biên bản",
    "HĐ": "Hợp đồng",
    "GM": "Giấy mời",
    "GP": "Giấy phép",
    "L": "Lệnh",
    "SL": "Sắc lệnh",
    "VBHN": "Văn bản hợp nhất",
}

# In Party numbering "TT" is a thông tri; a Party body issues no thông tư.
_PARTY_TYPE_NAMES = {"TT": "Thông tri"}

# The words that introduce a number, folded; None where the word names no particular type.
_WORD_NAMES: dict[str, str | None] = {
    fold(word): name
    for word, name in (
        ("Kế hoạch", "Kế hoạch"), ("Quyết định", "Quyết định"), ("Nghị định", "Nghị định"),
        ("Nghị quyết", "Nghị quyết"), ("Chỉ thị", "Chỉ thị"), ("Thông tư liên tịch", "Thông tư liên tịch"),
        ("Thông tư", "Thông tư"), ("Công văn", "Công văn"), ("Công điện", "Công điện"),
        ("Thông báo", "Thông báo"), ("Báo cáo", "Báo cáo"), ("Hướng dẫn", "Hướng dẫn"),
        ("Tờ trình", "Tờ trình"), ("Luật", "Luật"), ("Bộ luật", "Bộ luật"), ("Pháp lệnh", "Pháp lệnh"),
        ("Đề án", "Đề án"), ("Chương trình", "Chương trình"), ("Kết luận", "Kết luận"),
        ("Quy định", "Quy định"), ("Quy chế", "Quy chế"), ("Thông tri", "Thông tri"),
        ("Lệnh", "Lệnh"), ("Sắc lệnh", "Sắc lệnh"), ("Hiến pháp", "Hiến pháp"),
        ("Giấy phép", "Giấy phép"), ("Văn bản hợp nhất", "Văn bản hợp nhất"), ("Văn bản", None),
    )
}

# Upper-cased segment -> its official spelling: mixed case kept, and the Đ that sloppy ASCII
# writing drops restored, but only for codes whose ASCII form is not itself a different code
# ("HD" is hướng dẫn, "HĐ" hợp đồng).
_SPELLING: dict[str, str] = {code.upper(): code for code in TYPE_NAMES}
_SPELLING.update(
    (code.upper().replace("Đ", "D"), code)
    for code in TYPE_NAMES
    if "Đ" in code.upper() and code.upper().replace("Đ", "D") not in _SPELLING
)
_SPELLING.update(
    {
        "TTG": "TTg", "TƯ": "TW", "TTDT": "TTĐT", "HDND": "HĐND", "BCD": "BCĐ",
        "DHQG": "ĐHQG", "DU": "ĐU",
    }
)
_KNOWN_TYPES = frozenset(_SPELLING[c.upper()] for c in TYPE_NAMES)


@dataclass(frozen=True)
class DocRef:
    # As written, from the type word (if any) to the issue date (if any), with the issuing body
    # when it is written between them ("174/KH-UBND của UBND tỉnh Đắk Lắk ngày 20/6/2025").
    text: str
    ref: str  # normalised identifier: "174/KH-UBND", "13/2023/NĐ-CP", "57-NQ/TW"
    number: str  # as written, leading zeros kept ("06" in "06/CT-TTg"), thousands dots dropped
    year: int | None  # the reference's own year, else the issue date's
    type_code: str | None  # "KH", "NĐ", ...; None for letters and for "72/2025/QH15"
    type_name: str | None  # from the type code, else the word before, else "Công văn" for letters
    issuer: str | None  # everything after the type code: "UBND", "UBND-HC", "TW"; "UBND-KGVX" for letters
    issued: str | None  # ISO day given right after the reference ("ngày 9/8/2019")
    start: int
    end: int
    # The body the text names as issuing it, by its canonical name ("Ủy ban nhân dân tỉnh Đắk
    # Lắk"); None when the text names none beside the number. Never taken from the publishing site.
    issuing_body: str | None = None
    # Whether the citation's own words give an issuer or a date that was not read (an issuer not
    # known, a date refused as the issue date): ``attribute`` then gives it no other's issuer. A
    # note on the reading, not a fact of the document: no field, so records and equality leave it out.
    unread: ClassVar[bool] = False


_TYPE_WORD = "|".join(
    sorted((re.escape(w).replace(r"\ ", r"\s+") for w in _WORD_NAMES), key=len, reverse=True)
)
_SEG = r"[A-Za-z][A-Za-z0-9&]{0,11}"
# A spaced hyphen ("4512/UBND - KGVX") only before an upper-case segment, so that
# "12/QĐ-UBND - Hà Nội" does not swallow the place name.
_UPSEG = r"[A-Z][A-Z0-9&]{0,11}(?![A-Za-z0-9&])"
# A line break inside a number, where a page wraps it or a <br> splits it ("174/<br>KH-UBND",
# "93/QĐ-<br>STTTT"): only right after a slash or a hyphen, and only before a code in capitals
# or a year and its slash, so that a line ending "số 5/" does not take in the line below.
_BREAK = r"[ \t]*\n[ \t]*(?=[A-Z][A-Z0-9&]|(?:19|20)[0-9]{2}/)"
_HYPHEN = rf"-(?:{_BREAK})?"
_SPACED_HYPHEN = rf"(?:[ \t]+-[ \t]*|-[ \t]+)(?={_UPSEG})"
_NEXT_SEG = rf"(?:{_HYPHEN}{_SEG}|{_SPACED_HYPHEN}{_SEG})"
_SLASH = rf"[ \t]*/(?:{_BREAK}|[ \t]*)"

# Laws are cited by their title before the number ("Luật Giao dịch điện tử số 20/2023/QH15"):
# a few words, the first capitalised, then "số". A title names no other kind of document, so
# that in "Luật Đất đai và Công văn số 12/UBND-TNMT" the letter is not taken for the law; it
# may say "văn bản" and "pháp luật" ("Luật Ban hành văn bản quy phạm pháp luật").
_LAW_WORD = r"luat|bo\s+luat|phap\s+lenh"
_OTHER_TYPE_WORD = "|".join(
    re.escape(w).replace(r"\ ", r"\s+")
    for w, name in _WORD_NAMES.items()
    if name not in (None, "Luật", "Bộ luật", "Pháp lệnh", "Lệnh", "Hiến pháp")
)
_LAW_TITLE = rf"(?=[A-Z])(?:(?!(?i:{_OTHER_TYPE_WORD})(?!\w))[^\W\d_]+,?\s+){{1,10}}?"

_REF = re.compile(
    rf"""
    (?:(?<!\w)(?i:(?P<law>{_LAW_WORD}))\s+{_LAW_TITLE}(?i:so)\s*:?\s*
      |(?<!\w)(?i:(?P<word>{_TYPE_WORD}))\s+(?:(?i:so)\s*:?\s*)?
      |(?<!\w)(?P<so>(?i:so))\s*:?\s*)?
    (?<![\w./\\\-+&@#%])(?<!\d[,:])
    (?P<num>[0-9]{{1,3}}(?:\.[0-9]{{3}})+|[0-9]{{1,6}})
    (?:
       (?:{_HYPHEN}|{_SPACED_HYPHEN})(?P<ptype>{_SEG}){_SLASH}(?P<pissuer>{_SEG}(?:{_HYPHEN}{_SEG})*)
     | {_SLASH}(?P<year>(?:19|20)[0-9]{{2}}){_SLASH}(?P<ycode>{_SEG}{_NEXT_SEG}*)
     | {_SLASH}(?P<code>{_SEG}{_NEXT_SEG}+)
     | -(?P<ocode>{_SEG})
    )
    (?![\w&]|[/\-]\w)
    """,
    re.X,
)
_SEGMENT = re.compile(r"[^\s\-]+")
# Spellings read as the usual ones: dashes other than the hyphen (word processors turn
# "NĐ-CP" into "NĐ–CP"), the Icelandic Ð that text converted from old Vietnamese encodings
# has for Đ, and the full-width forms of ASCII and of the space ("１７４／ＫＨ－ＵＢＮＤ", as East
# Asian input methods type them), which are their NFKC forms. One character for one, so offsets hold.
_FULL_WIDTH = {chr(c): chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)} | {"\u3000": " "}
_VARIANTS = str.maketrans({"–": "-", "‐": "-", "‑": "-", "−": "-", "Ð": "Đ", "ð": "đ", **_FULL_WIDTH})
# str.translate costs a fifth of the matching; most pages have none of these.
_VARIANT = re.compile("[–‐‑−Ðð\uff01-\uff5e\u3000]")
_ISSUE_LEAD = re.compile(r"[ \t]*,?[ \t]*\(?[ \t]*(?=(?i:ngay)\s)")
# After the issuer a date with a comma before it is the news's own ("Thực hiện Kế hoạch 174/KH-UBND
# của UBND tỉnh Đắk Lắk, ngày 8/4, Sở ... tổ chức"): the clause after the comma is what happened that day.
_ISSUE_LEAD_AFTER_BODY = re.compile(r"[ \t]*\(?[ \t]*(?=(?i:ngay)\s)")
_ISSUE_REACH = 48
# A day as written after a reference, whether or not find_dates takes it ("ngày 20/6/2025", "ngày 5
# tháng 8 năm 2024", "ngày 31/6/2025"): one refused as the issue date is passed over to what follows.
_WRITTEN_DAY = re.compile(
    r"(?i:ngay)\s+[0-9]{1,2}(?:[ \t]*(?P<sep>[/.\-])[ \t]*[0-9]{1,2}(?:[ \t]*(?P=sep)[ \t]*[0-9]{2,4})?"
    r"|\s+(?i:thang)\s+[0-9]{1,2}(?:\s*,?\s*(?i:nam)\s+[0-9]{2,4})?)(?![0-9])"
)
# Between a reference (and its date) and the body that issued it: "của", "do" (by), and the
# chairman's title, whose decisions carry the committee's numbering. Over the base-letter text.
_BODY_LEAD = re.compile(
    r"[ \t]*\)?[ \t]*,?[ \t]*(?i:cua|do)[ \t]+(?:(?i:chu[ \t]+tich)[ \t]+)?(?=[A-Z])"
)
# A body issuing the reference that follows: "UBND tỉnh ... (đã, vừa) ban hành / ký / có / gửi".
_BODY_VERB = re.compile(
    r"[ \t]+(?i:(?:da|vua|moi|vua[ \t]+moi)[ \t]+)?"
    r"(?i:ky[ \t]+ban[ \t]+hanh|ban[ \t]+hanh|phat[ \t]+hanh|ky|co|gui)[ \t]+$"
)
# How far before a reference its issuer's name may begin: the longest names ("Sở Văn hóa, Thể
# thao và Du lịch tỉnh Bà Rịa - Vũng Tàu") and the verb.
_BODY_REACH = 120
# Links are masked: their paths are full of digit/slug pairs. Each form starts only where a
# word starts, so that long runs of letters are not rescanned from every position.
_LINK = re.compile(
    r"(?<![\w.+\-])(?:https?://\S+|www\.\S+|[\w+\-]+(?:\.[\w+\-]+)*@[\w\-]+(?:\.[\w\-]+)+"
    r"|[\w\-]+(?:\.[\w\-]+)*\.(?:vn|com|net|org|gov|edu|info)/\S*)",
    re.I,
)
# Decomposed text: a letter and its combining marks, composed together.
_MARKED = re.compile(r".[\u0300-\u036f]+", re.S)


def find_doc_refs(text: str, *, reference: datetime | None = None) -> list[DocRef]:
    """Every document reference in ``text``, in order.

    ``reference`` (the time the page was seen) supplies the year of a year-less issue date
    ("ngày 2/4") when the reference itself carries none, exactly as ``find_dates`` does.
    """
    variant = _VARIANT.search(text) is not None
    if "/" not in text and "-" not in text and not variant:
        return []
    norm, offsets = _nfc_with_offsets(text)
    if variant:
        norm = norm.translate(_VARIANTS)
    key = _LINK.sub(lambda m: "_" * len(m.group()), norm).translate(_BASE)
    refs = []
    for m in _REF.finditer(key):
        found = _parse(m, norm, key, reference)
        if found is None:
            continue
        start, end, fields, unread = found
        if offsets is not None:
            start, end = offsets[start], offsets[end]
        ref = DocRef(text=text[start:end], start=start, end=end, **fields)
        if unread:
            object.__setattr__(ref, "unread", True)
        refs.append(ref)
    return refs


def attribute(refs: Iterable[DocRef]) -> list[DocRef]:
    """``refs`` of one text, each citation that names no issuer given the issuer the text names
    for the same reference elsewhere, when it names exactly one: an article names the issuer at
    its first citation ("Kế hoạch 174/KH-UBND của UBND tỉnh Đắk Lắk") and not again. Where it
    names two for one number, a bare citation could be either and stays without. So does one
    whose own words give an issuer or a date not read (``DocRef.unread``), and one whose issue
    date is not the date the issuer's own citations give: each may be another body's document."""
    refs = list(refs)
    bodies: dict[str, dict[str, set[str | None]]] = {}
    for ref in refs:
        if ref.issuing_body is not None:
            bodies.setdefault(ref.ref, {}).setdefault(ref.issuing_body, set()).add(ref.issued)
    return [_attributed(ref, bodies.get(ref.ref, {})) for ref in refs]


def _attributed(ref: DocRef, bodies: dict[str, set[str | None]]) -> DocRef:
    """``ref`` with the one issuer of ``bodies`` (each with the issue dates its citations give),
    when it may be that issuer's document."""
    if ref.issuing_body is not None or ref.unread or len(bodies) != 1:
        return ref
    [(body, dates)] = bodies.items()
    if ref.issued is not None and dates - {None, ref.issued}:
        return ref
    return replace(ref, issuing_body=body)


def unique_refs(refs: Iterable[DocRef]) -> list[DocRef]:
    """The first occurrence of each document, in order: of each normalised reference and issuing
    body, since one number cited from two issuers is two documents."""
    seen: dict[tuple[str, str | None], DocRef] = {}
    for ref in refs:
        seen.setdefault((ref.ref, ref.issuing_body), ref)
    return list(seen.values())


def _parse(m: re.Match, norm: str, key: str, reference: datetime | None) -> tuple[int, int, dict, bool] | None:
    """Where the reference ``m`` starts and ends, its DocRef fields, and whether its words give
    an issuer or a date that is not read (``DocRef.unread``); None when it is no reference."""
    written_word = m["word"] or m["law"]
    word = _WORD_NAMES.get(fold(" ".join(written_word.split()))) if written_word else None
    introduced = bool(written_word or m["so"])
    number = m["num"].replace(".", "")
    year = int(m["year"]) if m["year"] else None
    if m["ptype"] is not None:
        type_code = _spell(norm[m.start("ptype"):m.end("ptype")])
        if type_code not in _KNOWN_TYPES:
            return None
        issuer = _code(norm, m, "pissuer")
        ref = f"{number}-{type_code}/{issuer}"
        type_name = _PARTY_TYPE_NAMES.get(type_code) or TYPE_NAMES.get(type_code)
    else:
        group = "ycode" if m["ycode"] is not None else "code" if m["code"] is not None else "ocode"
        if group == "ocode" and not written_word:
            return None
        written = norm[m.start(group):m.end(group)]
        segments = [_spell(s) for s in _SEGMENT.findall(written)]
        if len(segments) > 1 and segments[0] in _KNOWN_TYPES:
            type_code, issuer = segments[0], "-".join(segments[1:])
        else:
            type_code, issuer = None, "-".join(segments)
        if any(c.islower() for c in written) and type_code is None and not introduced:
            return None
        code = "-".join(segments)
        ref = (
            f"{number}/{year}/{code}" if year is not None
            else f"{number}-{code}" if group == "ocode"
            else f"{number}/{code}"
        )
        type_name = TYPE_NAMES.get(type_code) if type_code else None
        if type_name is None:
            type_name = word or ("Công văn" if group == "code" else None)
    start, end = m.span()
    issued, dated = _issued(norm, key, end, year, reference)
    # A date refused as the issue date leaves the text at the number, and the issuer after it is read.
    refused = issued is None and dated != end
    if issued is not None:
        end = dated
    body, body_end = _body_after(norm, key, dated)
    if body is not None and issued is None and not refused:
        # "... 174/KH-UBND của UBND tỉnh Đắk Lắk ngày 20/6/2025": the date after the issuer.
        issued, dated_end = _issued(norm, key, body_end, year, reference, lead=_ISSUE_LEAD_AFTER_BODY)
        end = dated_end if issued is not None else end
    unread = body is None and (refused or _BODY_LEAD.match(key, dated) is not None)
    if body is None:
        body = _body_before(norm, key, start)
    if year is None and issued is not None:
        year = int(issued[:4])
    return start, end, {
        "ref": ref, "number": number, "year": year, "type_code": type_code,
        "type_name": type_name, "issuer": issuer, "issued": issued, "issuing_body": body,
    }, unread


def _body_after(norm: str, key: str, end: int) -> tuple[str | None, int]:
    """The issuing body named right after a reference ("của UBND tỉnh Đắk Lắk"), and where its
    name ends."""
    lead = _BODY_LEAD.match(key, end)
    if lead is None:
        return None, end
    found = agency_at(key, norm, lead.end())
    return (None, end) if found is None else found


def _body_before(norm: str, key: str, start: int) -> str | None:
    """The issuing body named as the subject that issues the reference starting at ``start``
    ("UBND tỉnh Đắk Lắk ban hành Kế hoạch ..."): its name must end where the verb begins."""
    line = key.rfind("\n", 0, start) + 1
    low = max(line, start - _BODY_REACH)
    verb = _BODY_VERB.search(key, low, start)
    if verb is None:
        return None
    named = [name for name, name_end in agencies_between(key, norm, low, verb.start()) if name_end == verb.start()]
    return named[-1] if named else None


def _spell(segment: str) -> str:
    upper = segment.upper()
    return _SPELLING.get(upper, upper)


def _code(norm: str, m: re.Match, group: str) -> str:
    return "-".join(_spell(s) for s in _SEGMENT.findall(norm[m.start(group):m.end(group)]))


def _issued(
    norm: str, key: str, end: int, year: int | None, reference: datetime | None, lead: re.Pattern = _ISSUE_LEAD,
) -> tuple[str | None, int]:
    """The issue date written right after a reference (``lead`` what may come before it), and
    where the day written there ends, whether taken or refused (None for the date) as no plausible
    issue date; ``end`` when no day is written there."""
    lead = lead.match(key, end)
    if lead is None:
        return None, end
    at = lead.end()
    tail = norm[at:at + _ISSUE_REACH]
    # A reference's own year settles the year of "ngày 2/4": a reference on the last day of
    # that year makes find_dates pick it for any day.
    if year is not None:
        reference = datetime(year, 12, 31, 23, 59, tzinfo=VN_TZ)
    for found in find_dates(tail, reference=reference)[:1]:
        if tail.startswith(found.text):
            return found.value.date().isoformat(), at + len(found.text)
    written = _WRITTEN_DAY.match(key, at)
    return None, (end if written is None else written.end())


def _nfc_with_offsets(text: str) -> tuple[str, list[int] | None]:
    """``text`` with decomposed letters composed, and each of its offsets in ``text``.

    The offsets are None when the text is already composed (the usual case).
    """
    if text.isascii() or unicodedata.is_normalized("NFC", text):
        return text, None
    parts: list[str] = []
    offsets: list[int] = []
    last = 0
    for m in _MARKED.finditer(text):
        start, stop = m.span()
        composed = unicodedata.normalize("NFC", m.group())
        parts += (text[last:start], composed)
        offsets += [*range(last, start), *[start] * len(composed)]
        last = stop
    parts.append(text[last:])
    offsets += [*range(last, len(text)), len(text)]
    return "".join(parts), offsets
