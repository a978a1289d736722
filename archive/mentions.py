"""Channels, agencies and social links that a government-communications article mentions.

Three kinds of Mention:

- "channel": a platform the text names (Zalo, Zalo OA, Zalo Mini App, Facebook, YouTube, TikTok,
  Telegram, VNeID, Cổng thông tin điện tử, Website), with the channel's quoted name when one
  follows ('trang Zalo “Bộ Nội vụ”', 'các fanpage “Chính phủ”, “Hà Nội Online”'), else the
  platform as its name; a handle ('kênh TikTok @tuyenquangtv') is a name too. "tài khoản Zalo",
  "trang Zalo", a named Zalo channel ('kênh Zalo “Sở …”') and, on a page that speaks of Zalo,
  "Official Account" and a bare "OA" are Zalo OA: an organisation's presence on Zalo is an
  Official Account (a named "nhóm Zalo" is a group chat and stays Zalo). "trang (thông) tin
  điện tử" is a Website, not a Cổng thông tin điện tử: the law tells the two apart, and most
  such sites are licensed private news sites; "trang web" and "website" are any site, and a
  Website only with the name that follows them. The site's own channel, which the page invites
  its readers to follow ("Quan tâm Zalo OA của chúng tôi", "Theo dõi chúng tôi trên
  Facebook"), is no mention.
- "agency": a body from ``data/agencies.toml`` under its canonical long name. Bodies with one
  branch per place (UBND, Sở, Công an, MTTQ, ...) are named by rule from the place that
  follows: "UBND tỉnh Hà Tĩnh" -> "Ủy ban nhân dân tỉnh Hà Tĩnh", "UBND huyện Phù Cát" ->
  "Ủy ban nhân dân huyện Phù Cát", "Sở TT&TT Bắc Giang" -> "Sở Thông tin và Truyền thông Bắc
  Giang". Provinces come from the list; a district-level place is the one or two capitalised
  words after quận/huyện/thị xã/thành phố/xã/phường/thị trấn (or a number: "quận 12").
  Without a place, such a body is no one agency ("UBND", "Công an", "Sở Thông tin và Truyền
  thông", "Trung tâm Thông tin điện tử"), and is not reported. A channel's name is what the
  channel is called: 'fanpage “Thông tin Chính phủ”' names no agency.
- "link": a social-platform URL, from the outbound hrefs given or written in the text.

Mentions are unique by (kind, platform, name), names compared accent- and case-insensitively,
and come in order of first appearance, the hrefs last.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit

from archive.vietnamese import _BASE, fold, nfc

__all__ = ["Mention", "find_mentions", "canonical_agency"]


@dataclass(frozen=True)
class Mention:
    kind: str  # "channel" | "agency" | "link"
    platform: str | None  # None for agencies
    name: str  # channel name, else the platform; canonical agency name; the URL
    text: str  # as written


AGENCY_DATA = tomllib.loads((Path(__file__).parent / "data" / "agencies.toml").read_text(encoding="utf-8"))

# Horizontal space only: a channel's name never runs across a line break (an agency's may
# take one, see _GAP).
_SP = r"[^\S\n]"
_QUOTES_OPEN = "“\"'‘«"

# --- Channels -----------------------------------------------------------------------------

_PLATFORMS = {
    "miniapp": "Zalo Mini App", "oa": "Zalo OA", "zalo": "Zalo", "facebook": "Facebook",
    "youtube": "YouTube", "tiktok": "TikTok", "telegram": "Telegram", "vneid": "VNeID",
    "portal": "Cổng thông tin điện tử", "website": "Website", "web": "Website",
}
# Over the base-letter text; not glued to a file name, a slug or a domain ("zalo-nhan-...jpg").
# "Zalo Pay", like "ZaloPay", is a payment wallet, not a channel.
_PLATFORM = re.compile(
    rf"""
    (?<![\w./\-@])
    (?:
       (?P<miniapp>(?i:zalo{_SP}+mini{_SP}*app))
     | (?P<oa>(?i:(?:(?:tai{_SP}+khoan|trang){_SP}+)?zalo{_SP}+(?:oa|official{_SP}+account))
             |(?i:(?:tai{_SP}+khoan|trang){_SP}+zalo)|(?i:official{_SP}+account)|OA)
     | (?P<zalo>(?i:zalo)(?!{_SP}+(?i:pay)(?!\w)))
     | (?P<facebook>(?i:fan{_SP}*page(?:{_SP}+facebook)?|trang{_SP}+facebook|facebook))
     | (?P<youtube>(?i:youtube))
     | (?P<tiktok>(?i:tik{_SP}*tok))
     | (?P<telegram>(?i:telegram))
     | (?P<vneid>(?i:vneid))
     | (?P<portal>(?i:cong{_SP}+(?:thong{_SP}+tin(?:{_SP}+dien{_SP}+tu)?|ttdt)))
     | (?P<website>(?i:trang{_SP}+(?:thong{_SP}+)?tin{_SP}+dien{_SP}+tu))
     | (?P<web>(?i:website|trang{_SP}+web))
    )
    (?![\w@]|[./\-]\w)
    """,
    re.X,
)
_NAME_LEAD = re.compile(
    rf"""{_SP}*(?:\({_SP}*(?i:official{_SP}+account){_SP}*\){_SP}*)?
    (?:(?i:(?:mang|co|voi){_SP}+ten|ten){_SP}*:?{_SP}*|:{_SP}*)?
    (?=[{_QUOTES_OPEN}])""",
    re.X,
)
# A handle names the channel as a quotation does: 'kênh TikTok @tuyenquangtv'. A dot after it
# ends the sentence; one before a letter makes it part of a domain or an address.
_HANDLE = re.compile(rf"{_SP}*(@[A-Za-z0-9_.]*[A-Za-z0-9_])(?![\w@]|\.[\w@])")
# Words that only name a channel with its name: "trang web" is any page on the web, and "OA"
# or "Official Account" alone is Zalo's only on a page that speaks of Zalo.
_NAMED_ONLY = frozenset(("web",))
_ZALO = re.compile(r"(?i:zalo)")
_MORE_NAMES = re.compile(rf"{_SP}*(?:[,;]|(?i:va|hoac)(?!\w)){_SP}*(?=[{_QUOTES_OPEN}])")
_GROUP_CHAT = re.compile(rf"(?i:nhom){_SP}+$")
# A page inviting its readers to follow its own channel ("Quan tâm Zalo OA của chúng tôi để
# nhận tin mới nhất", "Theo dõi chúng tôi trên Facebook") speaks of the site, not of the
# article's subject: a call to follow, then "our" channel or "us" on a platform.
_FOLLOW = re.compile(
    rf"(?<!\w)(?i:quan{_SP}+tam|theo{_SP}+doi|dang{_SP}+ky|ket{_SP}+noi|follow|subscribe)(?!\w)"
)
_OURS_AFTER = re.compile(
    rf"{_SP}*(?:(?i:chinh{_SP}+thuc){_SP}+)?(?i:cua{_SP}+chung{_SP}+(?:toi|minh))(?!\w)"
)
_US_BEFORE = re.compile(
    rf"(?<!\w)(?i:chung{_SP}+(?:toi|minh)|us){_SP}+(?i:tren|qua|tai|on)"
    rf"(?:{_SP}+(?i:kenh|trang|mang{_SP}+xa{_SP}+hoi))?{_SP}+$"
)
_CALL_REACH = 60
# "... trên Facebook, Zalo và YouTube": the rest of a list of the site's own channels.
_LIST_JOIN = re.compile(rf"{_SP}*(?:[,;&/]|(?i:va|hoac|and|or)(?!\w)){_SP}*")
_SENTENCE_END = re.compile(r"(?<!TP)(?<!Tp)[.!?;…](?=\s|$)")
_NAME_MAX_CHARS = 100
_NAME_MAX_WORDS = 15

# --- Links --------------------------------------------------------------------------------

_LINK_PLATFORMS = (
    ("oa.zalo.me", "Zalo OA"), ("zalo.me", "Zalo"), ("facebook.com", "Facebook"),
    ("fb.com", "Facebook"), ("fb.me", "Facebook"), ("youtube.com", "YouTube"),
    ("youtu.be", "YouTube"), ("tiktok.com", "TikTok"), ("t.me", "Telegram"),
    ("telegram.me", "Telegram"),
)
# Starting only where a word starts keeps long runs of letters from being rescanned.
_TEXT_URL = re.compile(
    r"(?<![\w.\-])(?:https?://|www\.)[^\s<>\"“”]+"
    r"|(?<![\w.\-])[\w\-]+(?:\.[\w\-]+)*\.(?:vn|com|net|org|gov|edu|info|me|be)/[^\s<>\"“”]*",
    re.I,
)
_URL_TAIL = ".,;:!?)]}'’”»"

# --- Agencies -----------------------------------------------------------------------------

# Spellings that name the same thing anywhere in an agency name. Their folded forms are no
# ordinary Vietnamese word, so equating them never merges two different names.
EQUIVALENTS = {
    "ubnd": ("UBND", "Ủy ban nhân dân"),
    "hdnd": ("HĐND", "Hội đồng nhân dân"),
    "tttt": ("TT&TT", "TTTT", "Thông tin và Truyền thông", "Thông tin Truyền thông"),
    "khcn": ("KH&CN", "KHCN", "Khoa học và Công nghệ"),
    "mttq": ("MTTQ", "Mặt trận Tổ quốc"),
    "ttdt": ("TTĐT", "Thông tin điện tử"),
    "hcm": ("TP.HCM", "TPHCM", "Thành phố Hồ Chí Minh"),
    "tp": ("TP", "Tp", "Thành phố"),
}
_LEVELS = {
    fold(level): level
    for level in ("tỉnh", "thành phố", "quận", "huyện", "thị xã", "thị trấn", "xã", "phường")
}
_LEVELS["tp"] = "thành phố"
_WORD_TOKEN = re.compile(r"[a-z0-9]+(?:\s*&\s*[a-z0-9]+)*")
_BASE_TOKEN = re.compile(r"[A-Za-z0-9]+(?:[^\S\n]*&[^\S\n]*[A-Za-z0-9]+)*")
_ABBREVIATION = re.compile(r"[A-Z0-9&]*[A-Z][A-Z0-9&]*[A-Z][A-Z0-9&]*")
# A space in an agency's name, or one line break: a <br> in a paragraph splits a name
# ("UBND<br>tỉnh Bắc Giang"), and a name never runs on past a blank line.
_GAP = rf"(?:{_SP}*\n{_SP}*|{_SP}+)"
# Between the words of a name: "TP.HCM", "Bà Rịa - Vũng Tàu", "Văn hóa, Thể thao và Du lịch".
_JOIN = rf"(?:{_SP}*[,.\-–]{_SP}*|{_GAP})"


@dataclass(frozen=True)
class _Agency:
    name: str
    local: str | None
    standalone: bool
    not_before: re.Pattern | None


def _tokens(name: str) -> list[str]:
    return [re.sub(r"\s+", "", t) for t in _WORD_TOKEN.findall(fold(name))]


_PHRASES = sorted(
    ((tuple(_tokens(v)), f"<{key}>") for key, variants in EQUIVALENTS.items() for v in variants),
    key=lambda p: len(p[0]),
    reverse=True,
)
# The phrases by their first word, longest first as above: a word is compared with those alone.
_PHRASES_FROM: dict[str, list[tuple[tuple[str, ...], str]]] = {}
for _phrase in _PHRASES:
    _PHRASES_FROM.setdefault(_phrase[0][0], []).append(_phrase)


def _runs(words: list[str]) -> Iterator[tuple[str | None, int]]:
    """(symbol, index) for each equivalent spelling in folded ``words``, (None, index) for
    every other word."""
    i = 0
    while i < len(words):
        for phrase, symbol in _PHRASES_FROM.get(words[i], ()):
            if tuple(words[i:i + len(phrase)]) == phrase:
                yield symbol, i
                i += len(phrase)
                break
        else:
            yield None, i
            i += 1


# An article names the same agencies again, and a crawl's pages the same few hundred.
@functools.lru_cache(maxsize=4096)
def _canon(name: str) -> tuple[str, ...]:
    """The tokens of a name with each equivalent spelling replaced by one symbol."""
    words = _tokens(name)
    return tuple(symbol or words[i] for symbol, i in _runs(words))


def _word_pattern(base_word: str) -> str:
    literal = re.sub(rf"{_SP}*&{_SP}*", "&", base_word).replace("&", rf"{_SP}*&{_SP}*")
    return literal if _ABBREVIATION.fullmatch(base_word) else f"(?i:{literal})"


def _phrase_pattern(text: str) -> str:
    return _JOIN.join(_word_pattern(w) for w in _BASE_TOKEN.findall(nfc(text).translate(_BASE)))


_SYMBOL_PATTERNS = {
    f"<{key}>": "(?:" + "|".join(sorted(map(_phrase_pattern, variants), key=len, reverse=True)) + ")"
    for key, variants in EQUIVALENTS.items()
}


def _name_pattern(name: str) -> str:
    """A pattern for every spelling of ``name`` that ``_canon`` equates with it."""
    base_words = _BASE_TOKEN.findall(nfc(name).translate(_BASE))
    folded = [re.sub(r"\s+", "", fold(w)) for w in base_words]
    return _JOIN.join(
        _SYMBOL_PATTERNS[symbol] if symbol else _word_pattern(base_words[i]) for symbol, i in _runs(folded)
    )


def _load_agencies() -> tuple[dict[tuple[str, ...], _Agency], list[tuple[int, str]]]:
    index: dict[tuple[str, ...], _Agency] = {}
    patterns = []
    for table in AGENCY_DATA["agency"]:
        words = table.get("not_before", ())
        agency = _Agency(
            name=table["name"],
            local=table.get("local"),
            standalone=table.get("standalone", "local" not in table),
            not_before=re.compile(
                rf"{_GAP}(?:{'|'.join(_phrase_pattern(w) for w in words)})(?!\w)", re.I
            ) if words else None,
        )
        for spelling in (agency.name, *table.get("aliases", ())):
            canon = _canon(spelling)
            index.setdefault(canon, agency)
            patterns.append((len(canon), _name_pattern(spelling)))
    return index, patterns


def _load_places() -> tuple[dict[tuple[str, ...], tuple[str, str]], list[str]]:
    """Place canon -> (name, level), and the spellings to match."""
    places: dict[tuple[str, ...], tuple[str, str]] = {}
    for level, names in (("tỉnh", AGENCY_DATA["provinces"]), ("thành phố", AGENCY_DATA["cities"])):
        for name in names:
            places[_canon(name)] = (name, level)
    spellings = [*AGENCY_DATA["provinces"], *AGENCY_DATA["cities"]]
    for alias, name in AGENCY_DATA["place_aliases"].items():
        places[_canon(alias)] = places[_canon(name)]
        spellings.append(alias)
    return places, spellings


_PLACE_NAMES: dict[str, str] = AGENCY_DATA["place_names"]

# A level word before a place; only "TP" takes a dot ("TP. Hà Nội", "TP.HCM"): after any
# other word a dot ends the sentence. "tỉnh" only comes before a province from the list.
_LEVEL_WORDS = rf"quan|huyen|thi{_SP}+xa|thi{_SP}+tran|xa|phuong|thanh{_SP}+pho"


def _level(group: str, words: str) -> str:
    return rf"(?P<{group}>(?i:{words})(?=\s)|T[Pp](?=[.\s]))(?:(?<=[Pp])\.{_SP}*|{_GAP})"


class _Agencies(NamedTuple):
    index: dict[tuple[str, ...], _Agency]
    places: dict[tuple[str, ...], tuple[str, str]]
    pattern: re.Pattern
    # canonical_agency takes any spelling, abbreviations in lower case too.
    lenient: re.Pattern


@functools.cache
def _agencies() -> _Agencies:
    """The agency and place tables and the pattern made of them, built on first use: building
    them took 0.12 s at import, which every govarchive command and the crawler's process paid
    though only extraction and a search's agency filter read them."""
    index, org_patterns = _load_agencies()
    places, place_spellings = _load_places()
    # Longer names first: Python tries alternatives in order, so "Sở TT&TT Hà Nội" must come
    # before "Sở TT&TT" for the longer one to win.
    org = "|".join(p for _, p in sorted(org_patterns, key=lambda p: p[0], reverse=True))
    province = "|".join(f"(?i:{_phrase_pattern(s)})" for s in sorted(place_spellings, key=len, reverse=True))
    # Names start with a capital: "cán bộ công an" names no ministry. A district-level place is
    # one or two capitalised words, or a number ("quận 12"), after its level word.
    source = rf"""
    (?<![\w&/\-])
    (?=[A-Z])
    (?P<org>{org})
    (?:{_GAP}(?:{_level("plevel", f"tinh|{_LEVEL_WORDS}")})?(?=[A-Z])(?P<province>{province})(?!\w)
      |{_GAP}{_level("level", _LEVEL_WORDS)}
       (?P<place>[0-9]{{1,2}}(?![0-9])|[A-Z][a-z']*(?:{_SP}+[A-Z][a-z']*)?)(?!\w)
    )?
    (?![\w&]|[/\-]\w)
    """
    return _Agencies(index, places, re.compile(source, re.X), re.compile(source, re.X | re.I))


def find_mentions(text: str, links: Iterable[str] = ()) -> list[Mention]:
    """The channels, agencies and social links of ``text`` and its outbound ``links``."""
    norm = nfc(text)
    found: list[tuple[int, Mention]] = []
    # The links are masked in the text the patterns run over: found once, for both.
    masked, last = [], 0
    for m in _TEXT_URL.finditer(norm):
        url = m.group().rstrip(_URL_TAIL)
        platform = _link_platform(url)
        if platform is not None:
            found.append((m.start(), Mention("link", platform, url, url)))
        masked += (norm[last:m.start()], "_" * (m.end() - m.start()))
        last = m.end()
    masked.append(norm[last:])
    key = "".join(masked).translate(_BASE)
    # A channel's name is what the channel is called, not a mention of the body in it
    # (fanpage "Thông tin Chính phủ" does not name the Government): agencies skip it.
    named = []
    for start, mention, name_span in _channels(norm, key):
        found.append((start, mention))
        if name_span is not None:
            named.append(name_span)
    for start, end in named:
        key = key[:start] + "_" * (end - start) + key[end:]
    for m in _agencies().pattern.finditer(key):
        agency = _agency_name(m, norm)
        if agency is not None:
            name, end = agency
            found.append((m.start(), Mention("agency", None, name, norm[m.start():end])))
    found.sort(key=lambda item: item[0])
    mentions = [mention for _, mention in found]
    for href in links:
        href = nfc(href).strip()
        platform = _link_platform(href)
        if platform is not None:
            mentions.append(Mention("link", platform, href, href))
    seen: set[tuple[str, str | None, str]] = set()
    unique = []
    for mention in mentions:
        identity = (mention.kind, mention.platform, mention.name if mention.kind == "link" else fold(mention.name))
        if identity not in seen:
            seen.add(identity)
            unique.append(mention)
    return unique


def canonical_agency(name: str) -> str | None:
    """The canonical long name of the agency ``name`` spells, or None if it names none."""
    written = nfc(name).strip(" \t\n,.;:")
    m = _agencies().lenient.fullmatch(written.translate(_BASE))
    agency = None if m is None else _agency_name(m, written)
    return None if agency is None or agency[1] != len(written) else agency[0]


def agency_at(key: str, written: str, pos: int) -> tuple[str, int] | None:
    """The canonical name of the agency whose name begins at ``pos`` of ``key`` (``written``
    without its accents, offsets alike), and where its name ends; None when none begins there."""
    m = _agencies().pattern.match(key, pos)
    return None if m is None else _agency_name(m, written)


def agencies_between(key: str, written: str, start: int, end: int) -> list[tuple[str, int]]:
    """The canonical name and end of each agency named within ``key[start:end]`` (``written``
    without its accents, offsets alike), in order."""
    named = (_agency_name(m, written) for m in _agencies().pattern.finditer(key, start, end))
    return [found for found in named if found is not None]


def _agency_name(m: re.Match, written: str) -> tuple[str, int] | None:
    """The canonical name of an agency match and where its name ends.

    ``written`` is the text the match ran on before accents were dropped.
    """
    index = _agencies().index
    agency = index.get(_canon(m["org"]))
    if agency is None:
        return None
    if agency.local is not None and m["province"]:
        place, level = _agencies().places.get(_canon(m["province"]), (m["province"], "tỉnh"))
        full = _PLACE_NAMES.get(place)
        if agency.local == "place":
            name = f"{agency.name} {full or place}"
        else:
            name = f"{agency.name} {full or f'{level} {place}'}"
        end = m.end("province")
    elif agency.local == "level" and m["place"]:
        level = _LEVELS.get(fold(" ".join(m["level"].split())), m["level"])
        name = f"{agency.name} {level} {' '.join(written[m.start('place'):m.end('place')].split())}"
        end = m.end("place")
    elif not agency.standalone:
        return None
    elif agency.not_before is not None and agency.not_before.match(m.string, m.end("org")):
        return None
    else:
        return agency.name, m.end("org")
    explicit = index.get(_canon(name))
    return (name if explicit is None else explicit.name), end


def _channels(norm: str, key: str) -> Iterator[tuple[int, Mention, tuple[int, int] | None]]:
    """(where it starts, the mention, where its name is written if it has one) for each channel."""
    consumed = 0
    promoted_end = -1
    zalo = _ZALO.search(key) is not None
    for m in _PLATFORM.finditer(key):
        if m.start() < consumed:
            continue
        platform = _PLATFORMS[m.lastgroup]
        names = []
        lead = _NAME_LEAD.match(key, m.end())
        while lead is not None:
            quoted = _quoted(norm, lead.end())
            if quoted is None:
                break
            names.append((lead.end(), *quoted))
            lead = _MORE_NAMES.match(key, quoted[1])
        if not names and (handle := _HANDLE.match(key, m.end())) is not None:
            names.append((handle.start(1), norm[handle.start(1):handle.end(1)], handle.end()))
        through = names[-1][2] if names else m.end()
        joined = _LIST_JOIN.match(key, promoted_end) if promoted_end >= 0 else None
        if (joined is not None and joined.end() == m.start()) or _promoted(key, m.start(), through):
            consumed = promoted_end = through
            continue
        if not names:
            if m.lastgroup in _NAMED_ONLY:
                continue
            if m.lastgroup == "oa" and not zalo:
                continue
            yield m.start(), Mention("channel", platform, platform, norm[m.start():m.end()]), None
            continue
        if platform == "Zalo" and not _GROUP_CHAT.search(key, max(0, m.start() - 8), m.start()):
            platform = "Zalo OA"
        consumed = names[-1][2]
        for i, (start, name, end) in enumerate(names):
            yield (m.start() if i == 0 else start), Mention(
                "channel", platform, name, norm[m.start() if i == 0 else start:end]
            ), (start, end)


def _promoted(key: str, start: int, end: int) -> bool:
    """Whether the platform named at ``start:end`` of ``key`` is the site's own, which the page
    invites its readers to follow."""
    line = key.rfind("\n", 0, start) + 1
    call = _FOLLOW.search(key, max(line, start - _CALL_REACH), start)
    if call is None:
        return False
    return _OURS_AFTER.match(key, end) is not None or _US_BEFORE.search(key, call.end(), start) is not None


def _quoted(norm: str, at: int) -> tuple[str, int] | None:
    """The name quoted at ``at`` and where its quotation ends.

    An unclosed quotation (common at the end of a caption) ends with its line or sentence.
    """
    stop = norm.find("\n", at)
    stop = len(norm) if stop < 0 else stop
    stop = min(stop, at + 1 + 4 * _NAME_MAX_CHARS)
    end = None
    for k in range(at + 1, stop):
        c = norm[k]
        if c in "”\"»" or (c in "’'" and not (k + 1 < len(norm) and norm[k + 1].isalpha())):
            end = k
            break
        if c in "“‘«":
            stop = k
            break
    if end is not None:
        raw, after = norm[at + 1:end], end + 1
    else:
        raw = norm[at + 1:stop]
        cut = _SENTENCE_END.search(raw)
        raw = raw[:cut.start()] if cut else raw
        after = at + 1 + len(raw)
    name = " ".join(raw.split()).strip(" ,.;:…-–")
    if not name or len(name) > _NAME_MAX_CHARS or len(name.split()) > _NAME_MAX_WORDS:
        return None
    return name, after


def _link_platform(url: str) -> str | None:
    try:
        parts = urlsplit(url if "//" in url else f"//{url}")
        host = (parts.hostname or "").removeprefix("www.")
    except ValueError:
        return None
    for domain, platform in _LINK_PLATFORMS:
        if host == domain or host.endswith(f".{domain}"):
            return platform
    return None
