"""The filters on what an article cites and names, and on its month: how a value typed by a
reader is matched with the one the archive holds. The reading room's facets and
``govarchive export`` share them, so that one value selects the same articles in both."""

from __future__ import annotations

import re
import sqlite3
import unicodedata
from dataclasses import dataclass
from typing import Callable

from archive.mentions import canonical_agency
from archive.vietnamese import fold, nfc

# Control characters (a NUL in a crafted or mangled URL) mean nothing in a query or a filter
# value, and a page would echo them raw into its title, heading and search box.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def typed(value: str | None) -> str:
    """A query or filter value as the reader meant it: NFC, each control character a space."""
    return CONTROL_CHARACTERS.sub(" ", nfc(value or "")).strip()


def case_key(value: str) -> str:
    # Letters lower-cased in NFC: SQLite's lower() leaves Vietnamese ones (Ộ, Đ) alone.
    return nfc(value).lower()


# A document number's leading zeros: "06/QĐ-TTg" is cited as "6/QĐ-TTg" too.
LEADING_ZEROS = re.compile(r"^0+(?=\d)")
# The dashes search reads as "-" (archive.search._DASHES; tests check they agree): a reference
# copied from a page may have any of them ("174/KH‑UBND" with a non-breaking hyphen).
REF_DASHES = str.maketrans(dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63\uff0d", "-"))
# Spaces around a reference's slashes and hyphens ("174 / KH - UBND"), which search ignores, as
# archive.docrefs does where it reads a reference in text.
REF_SPACING = re.compile(r"\s*([/-])\s*")
# A number with thousands dots ("1.234/QĐ-UBND"), which archive.docrefs writes without them.
THOUSANDS = re.compile(r"^[0-9]{1,3}(?:\.[0-9]{3})+(?=[/-])")


def ref_key(value: str) -> str:
    """A document reference as search matches it and archive.docrefs reads it in text: in NFKC
    (full-width "１７４／KH-UBND"), any dash a hyphen, no spaces around its slashes and hyphens, no
    thousands dots, accents, đ and case folded, the number's leading zeros dropped ("6/qd-ttg"
    is "06/QĐ-TTg")."""
    spelled = REF_SPACING.sub(r"\1", unicodedata.normalize("NFKC", value).translate(REF_DASHES).strip())
    spelled = THOUSANDS.sub(lambda m: m[0].replace(".", ""), spelled)
    return LEADING_ZEROS.sub("", fold(spelled))


MONTH_TYPED = (re.compile(r"(?P<y>\d{4})[-/.](?P<m>\d{1,2})"), re.compile(r"(?P<m>\d{1,2})[-/.](?P<y>\d{4})"))


def month_spelled(value: str) -> str:
    """A month as the archive writes it (2024-06) from the ways a reader writes one (2024-6,
    06/2024, 6/2024); a value that is no month stays as typed."""
    for pattern in MONTH_TYPED:
        found = pattern.fullmatch(value)
        if found and 1 <= int(found["m"]) <= 12:
            return f"{found['y']}-{int(found['m']):02d}"
    return value


def agency_key(value: str) -> str:
    """An agency as any of its names spells it ("UBND tỉnh Bắc Giang", "ubnd tỉnh bắc giang" are
    "Ủy ban nhân dân tỉnh Bắc Giang", the name the archive holds); a name that spells none is
    compared as written, in any case."""
    return case_key(canonical_agency(value) or value)


# A document filter's value may name the body that issued the document, after the reference in
# brackets: "174/KH-UBND (Ủy ban nhân dân tỉnh Đắk Lắk)" selects the articles citing that body's
# plan 174, "174/KH-UBND" every article citing a document so numbered, whoever issued it (every
# provincial committee numbers its plans from 1). A reference has no space nor bracket in it.
ISSUED_BY_OPEN, ISSUED_BY_CLOSE = " (", ")"


def ref_value(ref: str, issuing_body: str | None) -> str:
    """The document filter's value for the reference ``ref`` issued by ``issuing_body`` (None:
    any issuer)."""
    return ref if not issuing_body else f"{ref}{ISSUED_BY_OPEN}{issuing_body}{ISSUED_BY_CLOSE}"


def split_ref_value(value: str) -> tuple[str, str | None]:
    """A document filter's value as (reference, issuing body or None), however it is spaced."""
    ref, bracket, body = value.partition("(")
    if not bracket:
        return value.strip(), None
    return ref.strip(), body.strip().removesuffix(ISSUED_BY_CLOSE).strip() or None


def ref_filter_key(value: str) -> str:
    """A document filter's value as ref_key reads its reference and agency_key its issuer."""
    ref, body = split_ref_value(value)
    return ref_key(ref) if body is None else ref_value(ref_key(ref), agency_key(body))


# The reference and the issuing body of a document filter's value :{p}, as ref_value writes it.
REF_OF = (f"case when instr(:{{p}}, '{ISSUED_BY_OPEN}') then substr(:{{p}}, 1, instr(:{{p}}, '{ISSUED_BY_OPEN}') - 1) "
          "else :{p} end")
ISSUING_BODY_OF = (f"case when instr(:{{p}}, '{ISSUED_BY_OPEN}') then substr(:{{p}}, instr(:{{p}}, '{ISSUED_BY_OPEN}') + 2,"
                   f" length(:{{p}}) - instr(:{{p}}, '{ISSUED_BY_OPEN}') - 2) end")

# The spellings of the reference :{p} that differ only in its number's leading zeros
# ("06/QĐ-TTg", "6/QĐ-TTg"): archive.docrefs keeps the zeros as the page writes them, ref_key
# drops them, so the one spelling archived_value finds stands for all. The number has at most six
# digits: the reference without its zeros (one kept for the number 0) after none to five of
# them, each then looked up in the index on doc_refs.ref.
ZERO_PADS = ("", "0", "00", "000", "0000", "00000")
# The reference {r} without its number's leading zeros: the one spelling of all of them.
REF_UNPADDED = "case when ltrim({r}, '0') glob '[0-9]*' then ltrim({r}, '0') else '0' || ltrim({r}, '0') end"
REF_SPELLINGS = (
    "select zeros || unpadded from"
    f" (select {REF_UNPADDED.format(r=REF_OF)} as unpadded),"
    " (" + " union all ".join(f"select '{zeros}'" + (" as zeros" if not zeros else "") for zeros in ZERO_PADS) + ")"
)


def ref_spellings(ref: str) -> list[str]:
    """REF_SPELLINGS in Python, for the search indexes' filter words."""
    unpadded = ref.lstrip("0")
    if unpadded[:1] not in tuple("0123456789"):
        unpadded = "0" + unpadded
    return [zeros + unpadded for zeros in ZERO_PADS]


# The articles with :{p}, from an index that holds them in id order after the value; a document's
# issuer, when the value names one, is checked on the rows the index on the reference finds.
REF_IDS = (f"select article_id from doc_refs where ref in ({REF_SPELLINGS})"
           f" and ({ISSUING_BODY_OF} is null or issuing_body = {ISSUING_BODY_OF})")
# The same in an archive read as it is before m025 (read-only storage), whose references have no
# issuer: a value naming one selects every article citing the reference.
REF_IDS_ANY_ISSUER = f"select article_id from doc_refs where ref in ({REF_SPELLINGS})"
PLATFORM_IDS = "select article_id from mentions where platform = :{p}"
AGENCY_IDS = "select article_id from mentions where kind = 'agency' and name = :{p}"

REF_VALUES = "select distinct ref as value from doc_refs"
PLATFORM_VALUES = "select distinct platform as value from mentions where platform is not null"
AGENCY_VALUES = "select distinct name as value from mentions where kind = 'agency'"
# Not distinct: whether the archive has a month is read from the first article of it.
MONTH_VALUES = "select published_month as value from articles"


@dataclass(frozen=True)
class Filter:
    """One of these filters, as the reading room's facet and ``govarchive export`` apply it: the
    articles ``a`` with :{p}."""

    param: str
    en: str
    table: str  # the table it draws on: an archive not yet upgraded has no such values
    where: str
    values: str  # every value the archive holds, as ``value``
    key: Callable[[str], str] | None = case_key
    spelled: Callable[[str], str] | None = None


FILTERS = (
    Filter("month", "month", "articles", "a.published_month = :{p}", MONTH_VALUES, key=None, spelled=month_spelled),
    Filter("ref", "document", "doc_refs", f"a.id in ({REF_IDS})", REF_VALUES, key=ref_filter_key),
    Filter("platform", "channel", "mentions", f"a.id in ({PLATFORM_IDS})", PLATFORM_VALUES),
    Filter("agency", "agency", "mentions", f"a.id in ({AGENCY_IDS})", AGENCY_VALUES, key=agency_key),
)
BY_PARAM = {f.param: f for f in FILTERS}


def archived_value(conn: sqlite3.Connection, values: str, key: Callable[[str], str] | None,
                   value: str) -> str | None:
    """``value`` as the archive writes it, or None when the archive has none such: one typed by
    hand need not match its case (a document's reference need not match its accents nor its
    number's leading zeros, as in a search; an agency may be named by its abbreviation). ``values`` gives every value the archive holds;
    they are only read through when the value as typed is not one of them."""
    if key is ref_filter_key:
        return _archived_ref(conn, value)
    if conn.execute(f"select 1 from ({values}) where value = ? limit 1", [value]).fetchone():
        return value
    if key is None:
        return None
    wanted = key(value)
    for (archived,) in conn.execute(values):
        if isinstance(archived, str) and key(archived) == wanted:
            return archived
    return None


def issuers_recorded(conn: sqlite3.Connection) -> bool:
    """Whether the archive's document references carry their issuing body (m025): one read as it
    is before it tells no issuers apart."""
    return "issuing_body" in {row[1] for row in conn.execute("pragma table_info(doc_refs)")}


def _archived_ref(conn: sqlite3.Connection, value: str) -> str | None:
    """A document filter's value as the archive writes it: its reference as archived_value finds
    it, and the issuer it names (if any) as one the archive holds for that reference, named in
    any of its spellings ("UBND tỉnh Đắk Lắk" is "Ủy ban nhân dân tỉnh Đắk Lắk")."""
    ref, body = split_ref_value(value)
    archived = archived_value(conn, REF_VALUES, ref_key, ref)
    if archived is None or body is None:
        return archived
    if not issuers_recorded(conn):
        # An archive not yet upgraded (m025) tells no issuers apart: the number's every citation,
        # whatever issuer is named, as the document card says (not "no such document" beside them).
        return archived
    bodies = [b for (b,) in conn.execute(
        f"select distinct issuing_body from doc_refs where ref in ({REF_SPELLINGS.format(p='ref')})"
        " and issuing_body is not null", {"ref": archived})]
    wanted = agency_key(body)
    held = next((b for b in bodies if b == body), None) or next((b for b in bodies if agency_key(b) == wanted), None)
    return None if held is None else ref_value(archived, held)
