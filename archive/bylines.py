"""Person names from the byline of a Vietnamese news article.

A byline mixes people with organisations and credits: "Báo Điện tử Chính phủ - Nguyễn Văn A",
"Cổng TTĐT tỉnh Nghệ An - Lê Thu", "Minh Hà (Theo baochinhphu.vn)", "Bài: Thu Hà - Ảnh: Lê
Minh". It is split at dashes, commas, semicolons, slashes, bars and parentheses, then at "và"
and "&" inside a part that is not an organisation, so that "Sở Thông tin và Truyền thông" is
recognised before its "và" is taken for a separator.

A part is dropped when it is an organisation (it starts with a word such as Báo, Tạp chí, Cổng,
Sở, UBND, Theo, Nguồn, compared with its accents unless the byline has none, since "Bảo" and
"Hằng" are names and "Báo" and "Hãng" are not; it starts with the acronym of a press agency or
an outlet, TTXVN, VOV, VGP; it equals one of ``site_names``; it holds a domain), when it is
a team ("Nhóm PV", the reporters together: no one person), when it is a photo, video or
graphics credit, when it is a province or city after a name (a dateline: "Thu Hà - Hà Nội"),
when it is a weekday ("Thứ Năm", the date's, beside the names) or an official's title ("KT. CHỦ
TỊCH", "Phó Chủ tịch", which sign a quoted document), and when it does not look like a name: every
word must start with a capital letter ("H'Linh Niê" does), so "tổng hợp" and "Thể thao và Du lịch"
fall away.
Initials ("NK", "PV") are names: Vietnamese bylines use them for staff, but a role ("BTV",
"CTV") after a name is that person's title.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from archive.docrefs import find_doc_refs
from archive.mentions import AGENCY_DATA
from archive.vietnamese import _BASE, fold, nfc

__all__ = ["clean_authors", "is_official_title"]

# Labels, matched on the base-letter text; credits of anything but the writing are dropped
# with the names they introduce.
_LABEL = re.compile(
    r"""(?<!\w)(?i:
       (?P<drop>anh|video|clip|do\s+hoa|infographic|thiet\s+ke|trinh\s+bay|quay\s+phim|dung\s+phim)
      |(?:tac\s+gia|(?:bai(?:\s+viet)?|(?<!\w\s)tin)(?:\s*(?:va|&|,)\s*anh)?|noi\s+dung|nguoi\s+viet
         |thuc\s+hien|nhom\s+thuc\s+hien|phong\s+vien|nha\s+bao|bien\s+tap(?:\s+vien)?
         |by|author|written\s+by)
    )\s*:\s*""",
    re.X,
)
# The same labels once trafilatura has taken their colon away ("Phóng viên Nguyễn Thanh Tùng",
# "Nội dung Thu Hà; Ảnh Lê Minh"), at the start of a part. Without the colon "Anh" could be a
# name, so these are matched with their accents.
_BARE_LABEL = re.compile(
    r"""(?i:
       (?P<drop>ảnh|video|clip|đồ\s+họa|thiết\s+kế|trình\s+bày|quay\s+phim|dựng\s+phim)
      |(?:tác\s+giả|(?:bài(?:\s+viết)?|tin)(?:\s*(?:và|&|,)\s*ảnh)?|nội\s+dung|người\s+viết
         |thực\s+hiện|phóng\s+viên|nhà\s+báo|biên\s+tập(?:\s+viên)?)
    )(?:\s+|$)""",
    re.X,
)
_SPLIT = re.compile(r"\s*(?:\s[-–—]\s*|\s*[–—]\s*|[-–—]\s|[,;/|()\[\]\n]+)\s*")
_JOINED = re.compile(r"\s+(?:và|&|and)\s+|\s*&\s*", re.I)
# Several of these are given names once their accents go (Bảo/Báo, Hằng/Hãng, Cúc/Cục,
# Đại/Đài), so they are compared as written; only a byline with no accent at all, where the
# two cannot be told apart, is compared folded, and there the organisation wins. "Trang" alone
# is a given name with or without accents: only "Trang tin", "Trang web" ... are sites.
_ORG_SPELLINGS = (
    "Báo", "Tạp chí", "Cổng", "Trang tin", "Trang thông tin", "Trang web", "Trang điện tử", "Đài",
    "Thông tấn", "Sở", "Bộ", "UBND", "Ủy ban", "Uỷ ban", "Ban", "Văn phòng", "Trung tâm", "Cục",
    "Tổng cục", "Viện", "Theo", "Nguồn", "Tòa soạn", "Toà soạn", "Kênh", "Hãng", "Nhà xuất bản",
    "Công ty", "Học viện", "Nhóm",
)


def _org_words(spellings: Iterable[str]) -> tuple[frozenset[str], tuple[str, ...]]:
    """The spellings, for a part that is one of them, and for a part that starts with one."""
    spellings = tuple(spellings)
    return frozenset(spellings), tuple(w + " " for w in spellings)


_ORG_WRITTEN = _org_words(nfc(w).casefold() for w in _ORG_SPELLINGS)
_ORG_FOLDED = _org_words(fold(w) for w in _ORG_SPELLINGS)
# Staff roles: after a name they are that person's title ("Trần Anh - BTV"); alone, the only
# credit there is.
_ROLES = frozenset(("PV", "BTV", "CTV", "TTV"))
_PLACES = frozenset(
    fold(place)
    for place in (*AGENCY_DATA["provinces"], *AGENCY_DATA["cities"], *AGENCY_DATA["place_aliases"])
)
_PLACE_LEVEL = re.compile(r"tp\b\.?\s*|tinh\s+|thanh\s+pho\s+")
# Press agencies and the outlets whose acronym tails a writer's name ("Thùy Linh/VGP": the
# Government portal, baochinhphu.vn).
_PRESS = frozenset((
    "ttxvn", "vna", "vtv", "vov", "afp", "ap", "reuters", "xinhua", "tttxvn", "vgp", "vtc",
    "vnexpress", "vietnamplus", "qdnd", "cand", "sggp",
))
# Starting only where a word starts keeps long runs of letters from being rescanned.
_DOMAIN = re.compile(r"(?<![\w.\-])[\w\-]+(?:\.[\w\-]+)*\.(?:vn|com|net|org|gov|edu|info|io)(?![\w\-])", re.I)
# A weekday written in capitals passes for a name ("Thứ Năm, 10/10/2024" after the names); "CN"
# (Chủ Nhật) for initials. Compared as written: without accents "Thu Ba" may be a person.
_WEEKDAYS = frozenset(
    nfc(day).casefold()
    for day in ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật", "CN")
)
# The titles above an official's signature ("KT. CHỦ TỊCH", "TM. ỦY BAN NHÂN DÂN", "PHÓ CHỦ
# TỊCH"), compared casefolded as written. "Phó" alone is a family name (Phó Đức Phương).
_OFFICIAL_TITLE = re.compile(
    r"(?:kt|tm|tl|tuq)\.\s*\S"
    r"|(?:(?:phó|quyền)\s+)?(?:chủ\s+tịch|giám\s+đốc|tổng\s+giám\s+đốc|bí\s+thư|bộ\s+trưởng|thứ\s+trưởng"
    r"|thủ\s+tướng|chủ\s+nhiệm|chánh\s+văn\s+phòng|chánh\s+thanh\s+tra|chánh\s+án|trưởng\s+ban"
    r"|trưởng\s+phòng|cục\s+trưởng|vụ\s+trưởng|viện\s+trưởng|hiệu\s+trưởng|tổng\s+biên\s+tập)(?!\w)"
)
_NAME_WORD = re.compile(r"[^\W\d_](?:[^\W\d_]|['’‘.\-])*")
_MAX_WORDS = 6


def clean_authors(raw: str | None, *, site_names: Iterable[str] = ()) -> list[str]:
    """The people named in the byline ``raw``, in order, each once (NFC, single-spaced)."""
    if not raw:
        return []
    text = " ".join(nfc(raw).split())
    # A line citing a document ("Theo Quyết định số 93/QĐ-STTTT") names no one: split at its
    # slash, the number's code ("QĐ-STTTT") looked like initials.
    for ref in reversed(find_doc_refs(text)):
        text = text[:ref.start] + "\n" + text[ref.end:]
    sites = {fold(" ".join(nfc(s).split())) for s in site_names}
    accented = not text.isascii()
    names: list[str] = []
    joint = False
    for part in _SPLIT.split(_credited(text)):
        part, joint = _unlabelled(part.strip(" .:*"), joint)
        if not part or _is_organisation(part, sites, accented) or (names and _is_place(part)):
            continue
        for name in _JOINED.split(part):
            name = name.strip(" .:*")
            if (
                _is_name(name)
                and not _is_organisation(name, sites, accented)
                and not _names_no_one(name)
                and name not in names
            ):
                names.append(name)
    return [name for name in names if name not in _ROLES] or names


def _unlabelled(part: str, joint: bool) -> tuple[str, bool]:
    """``part`` without a label that lost its colon, or "" for a credit that is not the
    writing's; and whether ``part`` is a writing label standing alone.

    A writing label alone, then a photo credit, is how trafilatura gives "Tin, ảnh: Lê Minh"
    ("Tin; Ảnh Lê Minh"): the photographer is the writer.
    """
    label = _BARE_LABEL.match(part)
    if label is None:
        return part, False
    rest = part[label.end():]
    if not rest:
        return "", label["drop"] is None
    if not rest[0].isupper():
        return part, False
    return ("" if label["drop"] is not None and not joint else rest), False


def _credited(text: str) -> str:
    """``text`` without the credits for photos, video and graphics, and without labels."""
    key = text.translate(_BASE)
    kept, last, dropping = [], 0, False
    for m in _LABEL.finditer(key):
        if not dropping:
            kept.append(text[last:m.start()])
        kept.append("\n")
        dropping, last = m["drop"] is not None, m.end()
    if not dropping:
        kept.append(text[last:])
    return "".join(kept)


def is_official_title(line: str) -> bool:
    """Whether ``line`` starts with an official's title: the line above a signature."""
    return _OFFICIAL_TITLE.match(" ".join(nfc(line).casefold().split())) is not None


def _names_no_one(name: str) -> bool:
    return name.casefold() in _WEEKDAYS or is_official_title(name)


def _is_organisation(part: str, sites: set[str], accented: bool) -> bool:
    folded = fold(part)
    written, (whole, starts) = (part.casefold(), _ORG_WRITTEN) if accented else (folded, _ORG_FOLDED)
    return (
        folded in sites
        or folded.partition(" ")[0] in _PRESS
        or _DOMAIN.search(part) is not None
        or written in whole
        or written.startswith(starts)
    )


def _is_place(part: str) -> bool:
    """Whether ``part`` is a province or city: the dateline of "Thu Hà - Hà Nội"."""
    folded = fold(part)
    level = _PLACE_LEVEL.match(folded)
    return folded[level.end() if level else 0:] in _PLACES


def _is_name(part: str) -> bool:
    words = part.split()
    return 0 < len(words) <= _MAX_WORDS and all(
        _NAME_WORD.fullmatch(w) and w[0].isupper() for w in words
    )
