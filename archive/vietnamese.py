"""Vietnamese text helpers: accent folding, and the date shapes of Vietnamese news pages.

Pure and stdlib-only: extraction runs the date finder on every archived page and search folds
every query, so the patterns are compiled once at import.

Dates are read day-first ("08/04/2021" is 8 April) in Asia/Ho_Chi_Minh time, which has had no
daylight saving since 1975, so a fixed +07:00 offset is exact for every accepted year. Only a
date that cannot be day-first, beside an AM or PM time ("3/14/2024 8:15:00 AM", as meta tags
carry it), is read month-first.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

__all__ = [
    "VN_TZ", "FoundDate", "nfc", "fold", "find_dates", "parse_datetime", "page_dates", "date_limit", "within_limits",
    "recorded_time",
]

VN_TZ = timezone(timedelta(hours=7))

_EARLIEST_YEAR = 1990
# A page's clock may run ahead of the reference (a Date header, or when the page was fetched) by
# up to this much.
_FUTURE_SLACK = timedelta(days=1)
# The latest date read when nothing says when the page was seen. Not the clock: a capture read
# again years later would then keep dates it refused before, and its record would change with no
# new bytes. Without a reference, a date up to this far off may be real, and one past it is a
# slip of the keyboard ("20/12/2204"): only those are refused. Year-less dates need a reference
# and are skipped without one.
_HORIZON = datetime(2100, 1, 1, tzinfo=VN_TZ)
# How far before a date a label such as "Ngày cập nhật:" is looked for.
_LABEL_REACH = 48


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def fold(text: str) -> str:
    """The accent- and case-insensitive form of ``text``: ``fold("Đổi mới") == "doi moi"``.

    Case is folded before the marks are dropped, because folding can itself produce marks
    ("İ" -> "i" + U+0307); in that order ``fold`` is idempotent.

    "Ð" (U+00D0, the Icelandic eth) folds to d as "Đ" does: text converted from the legacy
    Vietnamese encodings often has it where Đ belongs ("Ðà Nẵng").
    """
    if text.isascii():
        return text.casefold()
    if _UNMAPPED.search(text) is None:
        return text.translate(_FOLDS)
    return unicodedata.normalize("NFC", _bare(unicodedata.normalize("NFD", text.casefold())))


# The marks that make a letter of the Vietnamese alphabet of another (ă â ê ô ơ ư), in the
# alphabet's order after the bare letter, and the tone marks in a dictionary's order after the
# level tone: huyền, hỏi, ngã, sắc, nặng.
_LETTER_MARKS = {"\u0306": 1, "\u0302": 2, "\u031b": 3}
_TONES = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}


def collation_key(text: str) -> tuple:
    """A sort key that orders text as a Vietnamese reader does: by the letters of the alphabet
    (a ă â b c d đ e ê … o ô ơ … u ư …, case aside), then by the tones, where code-point order
    puts Đ after Z and "Thái" before "Tây"."""
    letters: list[int] = []
    tones: list[int] = []
    for char in unicodedata.normalize("NFD", text.casefold()):
        if char in _LETTER_MARKS and letters:
            letters[-1] += _LETTER_MARKS[char]
        elif char in _TONES:
            tones[-1:] = [_TONES[char]]
        elif char == "đ":
            letters.append(ord("d") * 4 + 1)
        else:
            letters.append(ord(char) * 4)
            tones.append(0)
    return tuple(letters), tuple(tones), text


def _bare(decomposed: str) -> str:
    """NFD text without its combining marks, "đ" and "ð" as d."""
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return bare.replace("đ", "d").replace("ð", "d")


def _char_folds() -> dict[int, str]:
    """The fold of each character that folds the same wherever it stands: Latin letters and
    combining marks, and the punctuation and symbols of news text, which fold to ASCII and to
    characters NFC never composes with a neighbour (none is the second of a composition), so
    that folding such a text one character at a time gives what folding it whole does. Folding
    a page's text so, by one ``str.translate``, is three times faster."""
    symbols = itertools.chain(range(0x80, 0xC0), (0xD7, 0xF7), range(0x2000, 0x2070), range(0x20A0, 0x20D0))
    inert = {
        c for c in map(chr, symbols)
        if not unicodedata.combining(c) and unicodedata.is_normalized("NFD", c) and unicodedata.is_normalized("NFC", c)
    }
    folds = {}
    for cp in itertools.chain(range(0x250), range(0x300, 0x370), range(0x1E00, 0x1F00), range(0x2000, 0x2070),
                              range(0x20A0, 0x20D0)):
        bare = _bare(unicodedata.normalize("NFD", chr(cp).casefold()))
        if all(c.isascii() or c in inert for c in bare):
            folds[cp] = bare
    return folds


def _char_class(codepoints) -> str:
    """A regular-expression class of ``codepoints``, as ranges."""
    runs: list[list[int]] = []
    for cp in sorted(codepoints):
        if runs and cp == runs[-1][1] + 1:
            runs[-1][1] = cp
        else:
            runs.append([cp, cp])
    return "".join(re.escape(chr(a)) + (f"-{re.escape(chr(b))}" if b > a else "") for a, b in runs)


_FOLDS = _char_folds()
# A character _FOLDS does not hold: a text with one is folded whole.
_UNMAPPED = re.compile(f"[^{_char_class(_FOLDS)}]")


def _base_letters() -> dict[int, str]:
    """A one-to-one map from accented Latin letters to their base letters.

    The date patterns run over ``text.translate(_BASE)``: they are written without diacritics,
    so they also match pages that omit them ("Thu Hai", "Cap nhat"), and since every character
    maps to exactly one character, match offsets are valid in the original text.
    """
    table = {ord("Đ"): "D", ord("đ"): "d", ord("Ð"): "D", ord("ð"): "d"}
    for cp in itertools.chain(range(0xC0, 0x250), range(0x1E00, 0x1F00)):
        base = "".join(c for c in unicodedata.normalize("NFD", chr(cp)) if not unicodedata.combining(c))
        if len(base) == 1 and base != chr(cp):
            table[cp] = base
    # The other characters of a page's text map to themselves: str.translate takes twice as long
    # when it does not find a character in the table.
    for cp in itertools.chain(range(0x250), range(0x1E00, 0x1F00), range(0x2000, 0x2070), range(0x20A0, 0x20D0)):
        table.setdefault(cp, chr(cp))
    return table


_BASE = _base_letters()


@dataclass(frozen=True)
class FoundDate:
    value: datetime  # aware, +07:00; midnight when the text gives no time of day
    has_time: bool
    kind: str | None  # "published", "updated", or None when the text does not say
    text: str  # the matched text (NFC)


def _clock_pattern(n: int) -> str:
    """A time of day: 14:30, 14:30:05, 02:30 PM, 2:30 CH, 14h30, 14h, 14 giờ 30 phút."""
    return rf"""
    (?:(?P<h{n}>[0-9]{{1,2}}):(?P<mi{n}>[0-9]{{2}})(?::(?P<s{n}>[0-9]{{2}}))?
      |(?P<hh{n}>[0-9]{{1,2}})\s*(?:h|gio)(?:\s*(?P<hm{n}>[0-9]{{1,2}})(?:\s*phut|p|')?)?
       (?!\w|\s*truoc))                     # "10 giờ trước" is "10 hours ago"
    (?:\s*(?P<mer{n}>[ap]\.?m\.?|sa|ch|sang|chieu|toi)(?!\w))?
    """


def _zone_pattern(n: int) -> str:
    """(GMT+7), GMT+07:00, UTC+7, and the +0700 of e-mail and HTTP dates, after a space."""
    return (
        rf"\(?\s*(?P<z{n}>(?:gmt|utc)\s*(?:[+-]\s*[0-9]{{1,2}}(?::?[0-9]{{2}})?)?|(?<=\s)[+-][0-9]{{4}})"
        rf"(?!\w)\s*\)?"
    )


# Not glued to a word, a number, a path or a document number ("7,5/10", "ĐT 0243.08.04.2021").
_START = r"(?<![\w/.+\-])(?<![0-9][,:])"
_WEEKDAY = r"(?:thu\s*(?:hai|ba|tu|nam|sau|bay|[2-7])|chu\s*nhat|t[2-7]|cn)(?!\w)\s*[,|\-–—]?\s*"
# The words that introduce a day in running text: "Chiều 8/4", "Hôm qua (7/4)", "Ngày 8-4".
_PERIOD = r"""(?P<per>(?:(?:rang\s+)?(?:sang|trua|chieu|toi|dem|hom)(?:\s+(?:nay|qua|mai))?(?:\s+ngay)?
                       |ngay)\s*\(?\s*)"""
# Between a date and its time: "08/04/2021 14:30", "07/04/2024 - 09:15", "05/07/2024 | 08:32".
_GLUE = r"(?:\s*[,|\-–—]\s*|\s+)"

# The lunar day some portals print between the date and its time: "(14/01 năm Giáp Thìn)", "(15/1 ÂL)".
_LUNAR = r"(?:\s*\(\s*[0-9]{1,2}/[0-9]{1,2}\s+(?:nam\s+\w+\s+\w+|al|am\s+lich)\s*\))"

# The months of e-mail and HTTP dates, which CMSs also write into meta tags ("Thu, 14 Mar 2024
# 08:15:00 +0700"): capitalised, as English writes them, since "may" is also a Vietnamese word.
_ENGLISH_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_ENGLISH_MONTH = (
    r"(?-i:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)(?![a-z])"
)

_DATE = re.compile(
    rf"""
    (?=[0-9tcsrdhn])                    # every form starts so; lets most positions fail at once
    {_START}
    (?:
      (?:{_WEEKDAY})?
      (?:{_clock_pattern(1)}(?:\s*{_zone_pattern(1)})?{_GLUE})?
      (?:{_WEEKDAY})?
      {_PERIOD}?
      {_START}
      (?:
         (?P<iy>[0-9]{{4}})(?P<isep>-(?=[0-9]{{2}}-)|/)(?P<imo>[0-9]{{1,2}})(?P=isep)(?P<id>[0-9]{{1,2}})
           (?:[t\s](?P<ih>[0-9]{{2}}):(?P<imi>[0-9]{{2}})(?::(?P<isec>[0-9]{{2}})(?:[.,][0-9]+)?)?
              (?P<iz>z|[+-][0-9]{{2}}(?::?[0-9]{{2}})?)?)?
       | (?P<d>[0-9]{{1,2}})(?P<sep>[/.\-])(?P<m>[0-9]{{1,2}})(?P=sep)(?P<y>[0-9]{{4}}|[0-9]{{2}})
       | (?P<ed>[0-9]{{1,2}})\s+(?P<emo>{_ENGLISH_MONTH})\.?,?\s+(?P<ey>[0-9]{{4}})
       | (?P<ld>[0-9]{{1,2}})\s+thang\s+(?P<lm>[0-9]{{1,2}})(?:\s*,?\s*nam\s+|\s*,\s*|\s+)(?P<ly>[0-9]{{4}})
       | (?P<yd>[0-9]{{1,2}})(?P<ysep>[/.\-])(?P<ym>[0-9]{{1,2}})
      )
      (?![0-9]|[/.][0-9]|/\w)
      (?:{_LUNAR}?{_GLUE}(?:(?:vao\s+)?luc\s+|vao\s+)?{_clock_pattern(2)})?
     |
      thang\s+(?P<mm>[0-9]{{1,2}})\s*(?:[/\-]|,?\s*nam\s)\s*(?P<my>[0-9]{{4}})
    )
    (?:\s*{_zone_pattern(2)})?
    (?![0-9]|[/.,:\-][0-9]|/\w|-[^\W\d_])
    """,
    re.I | re.X,
)

# A time of day alone: an update on the day of the date before it ("Cập nhật lúc 09:00").
_CLOCK = re.compile(
    rf"(?<![\w:.]){_clock_pattern(1)}(?:\s*{_zone_pattern(1)})?(?![0-9]|[:.,/\-][0-9])", re.I | re.X
)

# Counted things, not a day: "mỗi ngày 1-2 lần", "1-2 năm".
_COUNT_AFTER = re.compile(r"\s*(?:lan|luot|nam|thang|tuan|ngay|gio|phut|nguoi)(?!\w)", re.I)

_LABEL = re.compile(
    r"""(?<!\w)
    (?:(?P<updated>(?:ngay\s+)?cap\s+nhat|sua\s+doi|chinh\s+sua|(?:last\s+)?(?:updated|modified))
      |(?P<published>(?:ngay|thoi\s+gian)\s+dang|dang(?=\s*(?::|luc|ngay|vao))  # not the name "Hải Đăng"
         |(?:ngay\s+)?xuat\s+ban|published|posted))
    (?:\s*(?:[:|,\-–—]|(?:luc|vao|ngay|on|at)(?!\w)))*\s*$
    """,
    re.I | re.X,
)

# Dates inside links are slugs and archive paths, not statements about the page. A bare domain
# starts only where a word starts: tried from every position of a long run of letters, digits
# and dots (a <meta> date of "1.0.1.0…"), it rescanned the rest of the run from each, and an
# 80,000-character value took minutes.
_URL = re.compile(
    r"(?:https?://|www\.)\S+|(?<![\w.\-])[\w.\-]+\.(?:vn|com|net|org|gov|edu|info)/\S*", re.I
)
_DIGIT = re.compile(r"[0-9]")
_OFFSET = re.compile(r"([+-])\s*([0-9]{1,2}):?([0-9]{2})?")


def find_dates(text: str, *, reference: datetime | None = None) -> list[FoundDate]:
    """Every plausible date in ``text``, in order of appearance.

    ``reference`` is the time the page was seen: it bounds dates from above (see ``date_limit``)
    and supplies the year of year-less forms ("Chiều 8/4"), which are skipped without it. The
    clock is never read: the same text and reference give the same dates on any day.
    """
    return list(_iter_dates(text, reference))


def parse_datetime(text: str, *, reference: datetime | None = None) -> datetime | None:
    """The first plausible date in ``text``."""
    return next((found.value for found in _iter_dates(text, reference)), None)


def page_dates(
    text: str, *, reference: datetime | None = None
) -> tuple[FoundDate | None, FoundDate | None]:
    """(published, updated) from a page's header or byline text.

    Published is the first date not labelled as an update; updated the first that is. An
    update given as a time alone after the published date ("14/03/2024 08:15 | Cập nhật lúc
    09:00") is on the day published, or the day after when its time is earlier.
    """
    text = nfc(text)
    published = updated = None
    published_end = 0
    for found, end in _scan(text, reference):
        if found.kind == "updated":
            updated = updated or found
        elif published is None:
            published, published_end = found, end
        if published and updated:
            break
    if published is not None and updated is None:
        updated = _updated_time(text, published, published_end, reference)
    return published, updated


def _iter_dates(text: str, reference: datetime | None) -> Iterator[FoundDate]:
    for found, _ in _scan(nfc(text), reference):
        yield found


def _scan(text: str, reference: datetime | None) -> Iterator[tuple[FoundDate, int]]:
    """The dates of NFC ``text``, each with where it ends."""
    if not _DIGIT.search(text):
        return
    reference = _aware(reference)
    limit = date_limit(reference)
    key = _key(text)
    previous_end = 0
    for m in _DATE.finditer(key):
        start, end = m.span()
        found = _value(m, key, reference, limit)
        if found is not None:
            label = _LABEL.search(key, max(previous_end, start - _LABEL_REACH), start)
            kind = None if label is None else ("updated" if label["updated"] else "published")
            yield FoundDate(found[0], found[1], kind, text[start:end]), end
        previous_end = end


def _updated_time(
    text: str, published: FoundDate, after: int, reference: datetime | None
) -> FoundDate | None:
    """The first time of day after ``after`` in NFC ``text`` labelled as an update and starting
    no date of its own, on the day ``published``."""
    key = _key(text)
    previous_end = after
    for m in _CLOCK.finditer(key, after):
        start, end = m.span()
        label = _LABEL.search(key, max(previous_end, start - _LABEL_REACH), start)
        previous_end = end
        clock = _clock(m, 1)
        if label is None or not label["updated"] or clock is None or _DATE.match(key, start):
            continue
        tz = (_offset(m["z1"]) if m["z1"] else None) or VN_TZ
        value = datetime.combine(published.value.date(), time(*clock), tz).astimezone(VN_TZ)
        if value < published.value:
            value += timedelta(days=1)
        if value > date_limit(reference):
            return None
        return FoundDate(value, True, "updated", text[start:end])
    return None


def date_limit(reference: datetime | None) -> datetime:
    """The latest a date on a page seen at ``reference`` can be: a day after it, or a fixed
    horizon when nothing says when the page was seen."""
    reference = _aware(reference)
    return _HORIZON if reference is None else reference + _FUTURE_SLACK


def recorded_time(value: datetime | str | None) -> datetime | None:
    """A time the archive recorded (an ISO string or a datetime) in Vietnam's time; a naive one
    is UTC, as the archive's times are. None for none, or text that is no time."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).astimezone(VN_TZ)


def within_limits(value: datetime | date, reference: datetime | None) -> bool:
    """Whether a date or time a page gives in a machine form (a ``<meta>``, JSON-LD) can be its
    own: within the bounds a written date must keep. CMSs write "0001-01-01T00:00:00" (.NET's
    empty date) or the Unix epoch for an article without one."""
    return _within(value, date_limit(reference))


def _within(value: datetime | date, limit: datetime) -> bool:
    """Whether ``value`` is from _EARLIEST_YEAR to ``limit``, as the day in Vietnam."""
    # Coarse bounds first, so that extreme years never reach a change of zone
    # ("9999-12-31T23:00-05:00").
    if not _EARLIEST_YEAR - 1 <= value.year <= limit.year + 1:
        return False
    if isinstance(value, datetime):
        value = _aware(value)
        return value.year >= _EARLIEST_YEAR and value <= limit
    return value.year >= _EARLIEST_YEAR and value <= limit.date()


def _aware(reference: datetime | None) -> datetime | None:
    if reference is None:
        return None
    return reference.astimezone(VN_TZ) if reference.tzinfo else reference.replace(tzinfo=VN_TZ)


def _key(text: str) -> str:
    """The base-letter text the patterns run over, links masked."""
    return _URL.sub(lambda m: "_" * len(m.group()), text.translate(_BASE))


def _value(
    m: re.Match, key: str, reference: datetime | None, limit: datetime
) -> tuple[datetime, bool] | None:
    clock = zone = None
    if m["my"] is not None:
        year, month, day = int(m["my"]), int(m["mm"]), 1
    elif m["iy"] is not None:
        year, month, day = int(m["iy"]), int(m["imo"]), int(m["id"])
        if m["ih"] is not None:
            clock = _valid_clock(int(m["ih"]), int(m["imi"]), int(m["isec"] or 0), None)
        zone = m["iz"]
    elif m["y"] is not None:
        year, month, day = int(m["y"]), int(m["m"]), int(m["d"])
        if month > 12 >= day and _english_clock(m):
            # "3/14/2024 8:15:00 AM": the month first, as American English writes it.
            month, day = day, month
        if year < 100:
            # "17/05/24" alone is as likely a file or case number; beside a time it is a date line.
            if _clock(m, 1) is None and _clock(m, 2) is None:
                return None
            year += 2000
    elif m["ly"] is not None:
        year, month, day = int(m["ly"]), int(m["lm"]), int(m["ld"])
    elif m["ey"] is not None:
        year, month, day = int(m["ey"]), _ENGLISH_MONTHS.index(m["emo"][:3]) + 1, int(m["ed"])
    else:
        if reference is None:
            return None
        # Outside a day phrase, "1-2" and "8.4" are ranges and decimals far more often than dates.
        if m["ysep"] != "/" and (m["per"] is None or _COUNT_AFTER.match(key, m.end("ym"))):
            return None
        month, day = int(m["ym"]), int(m["yd"])
        # Bare "24/7" is "round the clock"; "Ngày 24/7" is still 24 July.
        if (day, month) == (24, 7) and m["per"] is None:
            return None
        year = _infer_year(day, month, reference.date())
        if year is None:
            return None
    if m["my"] is None:
        clock = clock or _clock(m, 1) or _clock(m, 2)
        zone = zone or m["z1"] or m["z2"]
    # Coarse bounds first, so extreme years never reach datetime arithmetic.
    if not _EARLIEST_YEAR - 1 <= year <= limit.year:
        return None
    # A zone only shifts a time of day; a bare date is a Vietnamese calendar day.
    tz = (_offset(zone) if clock and zone else None) or VN_TZ
    try:
        value = datetime(year, month, day, *(clock or ()), tzinfo=tz)
    except ValueError:
        return None
    value = value.astimezone(VN_TZ)
    if not _within(value, limit):
        return None
    return value, clock is not None


def _english_clock(m: re.Match) -> bool:
    """Whether the time beside a date has an AM or PM."""
    return any((m[f"mer{n}"] or "x")[0].lower() in "ap" for n in (1, 2))


def _clock(m: re.Match, n: int) -> tuple[int, int, int] | None:
    if m[f"h{n}"] is not None:
        return _valid_clock(int(m[f"h{n}"]), int(m[f"mi{n}"]), int(m[f"s{n}"] or 0), m[f"mer{n}"])
    if m[f"hh{n}"] is not None:
        return _valid_clock(int(m[f"hh{n}"]), int(m[f"hm{n}"] or 0), 0, m[f"mer{n}"])
    return None


def _valid_clock(hour: int, minute: int, second: int, meridiem: str | None) -> tuple[int, int, int] | None:
    if meridiem:
        # PM, CH (chiều), chiều, tối against AM, SA (sáng), sáng.
        afternoon = meridiem[0].lower() in "pct"
        if hour > 12 and not afternoon:
            return None
        if afternoon and hour < 12:
            hour += 12
        elif not afternoon and hour == 12:
            hour = 0
    if hour > 23 or minute > 59 or second > 59:
        return None
    return hour, minute, second


def _offset(zone: str) -> timezone | None:
    """The offset of "Z", "+07:00", "GMT+7", "UTC"; None when it is not a real one."""
    m = _OFFSET.search(zone)
    if m is None:
        return timezone.utc
    hours, minutes = int(m[2]), int(m[3] or 0)
    if hours > 14 or minutes > 59:
        return None
    delta = timedelta(hours=hours, minutes=minutes)
    return timezone(-delta if m[1] == "-" else delta)


def _infer_year(day: int, month: int, today: date) -> int | None:
    """The year of a year-less day: the reference's own, unless that day is still to come."""
    for year in (today.year, today.year - 1):
        try:
            if date(year, month, day) <= today:
                return year
        except ValueError:
            continue
    return None


def fold_aligned(text: str) -> str:
    """Like ``fold`` for matching, but one character out for each character in (NFC input), so
    offsets found in the folded text mark the same words in the original."""
    # _BASE maps one character to one, and after it no character lowercases to two (İ is I by
    # then): the whole string at once is the same, but that str.lower writes a word-final Σ as ς.
    # 0.07 ms instead of 0.3 for a 3,000-character article; the search page folds 40 a page.
    if "Σ" not in text:
        return text.translate(_BASE).lower()
    return "".join(char.translate(_BASE).lower() for char in text)
