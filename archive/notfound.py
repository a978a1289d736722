"""Pages that say the page asked for is not there, answered with 200 OK (a "soft 404").

Portals answer a removed article's URL with their "page not found" page and status 200. Its
reading is not the article: stored, it would replace the archived text, or become an article of
its own. A real article must never be taken for one, so a page is one only when its title says
only so, or, its text being a few words, when a part of its title says so or its whole text says
nothing but that: a line saying so, and at most headings, menu items and "back to the home page"
links. A sentence saying so inside a longer line or
beside sentences of news ("Dữ liệu đã bị xóa. Công an tỉnh đang điều tra.") is an article's.
"""

from __future__ import annotations

import re

from archive.vietnamese import fold

# At most this many words of text under a headline saying so: a "not found" page has a sentence
# or two and a link home, perhaps some of the portal's links beside them.
MAX_WORDS = 100
# At most this many words when only the text says so: the sentence or two and the links home.
TEXT_ONLY_WORDS = 30
# A line of at most this many words, with no sentence in it, is a heading, menu item or link.
LABEL_WORDS = 10

# What is not there, as folded words: "trang bạn tìm", "trang yêu cầu", "bài viết này".
_ASKED_BY = r"(?:ma )?(?:ban|quy vi|quy khach|chung toi) (?:dang |da |vua )?"
_ASKED = r"(?:tim|tim kiem|can tim|muon tim|yeu cau|truy cap|muon xem|xem)"
_WHAT = (
    r"(?:trang(?: web)?|duong dan|lien ket|noi dung|bai viet|bai bao|tin bai|tin tuc|tin|thong tin|du lieu|tai lieu)"
    rf"(?: (?:{_ASKED_BY}{_ASKED}|(?:duoc |da )?yeu cau))?(?: nay)?"
)
_GONE = (
    r"(?:(?:hien|hien tai|hien nay|co the) )?"
    r"(?:khong (?:con )?ton tai|khong hop le|khong (?:con )?co (?:tren|trong) (?:he thong|trang(?: web)?|website)"
    r"|da bi (?:xoa|go|go bo|an|thu hoi|di chuyen)|da (?:xoa|go bo)|(?:da )?het han(?: hien thi)?"
    r"|da (?:duoc |bi )?(?:di )?chuyen (?:sang|den|toi) (?:mot )?(?:dia chi|duong dan|trang) khac)"
)
_PHRASE = (
    rf"{_WHAT} {_GONE}(?: hoac (?:{_WHAT} )?{_GONE})*"
    rf"|(?:chung toi )?khong (?:the )?tim thay {_WHAT}"
    r"|(?:the )?(?:(?:page|file|article|content|resource) )?not found"
    r"|(?:the )?(?:page|article|content)(?: you (?:requested|are looking for))? (?:could not|cannot|can not) be found"
    r"|(?:the )?(?:page|article) (?:does not|doesnt|no longer) exists?"
)
_ERROR = r"(?:(?:loi|error|http|ma loi) )?404(?: (?:error|loi))?"
# A sentence (folded, punctuation dropped) that says only that.
_SAYS = re.compile(
    rf"(?:(?:xin loi|rat tiec|sorry) )?(?:(?:{_ERROR} )?(?:{_PHRASE})(?: {_ERROR})?|{_ERROR})"
)
# The other way back such a page offers: "dùng chức năng tìm kiếm".
_SEARCH = r"(?:dung|su dung|thu) (?:chuc nang|o|cong cu) tim kiem"
# What such a page says beside it: an exclamation, an apology, the way back, the portal's welcome.
_ASIDE = re.compile(
    r"oops|ops|rat tiec|xin loi|sorry"
    r"|xin loi (?:vi|ve) (?:su|nhung) (?:bat tien|phien ha)(?: nay)?"
    r"|(?:(?:xin )?vui long |ban (?:co the|hay) |hay |moi ban )?"
    rf"(?:(?:(?:quay|tro) (?:lai|ve)|ve)(?: trang (?:chu|truoc(?: do)?))?(?: hoac {_SEARCH})?|{_SEARCH})"
    r"|chao mung (?:ban|quy vi|quy khach) (?:da )?den voi(?: \w+){0,12}"
    r"|(?:(?:xin )?vui long |hay )?kiem tra lai (?:duong dan|dia chi|lien ket)"
    r"|(?:go )?back(?: to (?:the )?home ?page)?|(?:go|return) to (?:the )?home ?page"
)
# How a title joins its parts ("Trang không tồn tại - Cổng TTĐT tỉnh"), and how sentences end.
_TITLE_PARTS = re.compile(r"\s+[-|–—·:»]+\s+|\s*::\s*")
_SENTENCE_END = re.compile(r"[.!?]+(?:\s|$)")
_PUNCTUATION = re.compile(r"[^\w\s]|_")


def says_not_found(record: dict) -> bool:
    """Whether an extracted page is a "page not found" page: little text under a title saying
    only that the page is not there; or a few words, under a title one of whose parts says so,
    or saying nothing else."""
    text = record.get("text") or ""
    words = len(text.split())
    if words > MAX_WORDS:
        return False
    title = record.get("title") or ""
    # A short article's headline can say as much ("Dữ liệu đã bị xóa"): under such a title the
    # text must hold no sentence of news, only what a page's does (a line saying so, headings,
    # menu items, the way back); and a part of a title ("Trang không tồn tại - Cổng TTĐT
    # tỉnh", "Dữ liệu đã bị xóa - Công an vào cuộc") counts only over a few words.
    if _SAYS.fullmatch(_words(title)) or words <= TEXT_ONLY_WORDS and _title_part_says(title):
        return _no_news(text)
    return words <= TEXT_ONLY_WORDS and _says_only_that(text)


def _title_part_says(title: str) -> bool:
    return any(_SAYS.fullmatch(_words(part)) for part in _TITLE_PARTS.split(title))


def _says_only_that(text: str) -> bool:
    return _no_news(text) and any(_SAYS.fullmatch(s) for line in text.splitlines() for s in _sentences(line))


def _no_news(text: str) -> bool:
    """Whether every line of ``text`` says the page is not there, says what such a page says
    beside it, or is a label (a heading, a menu item, a link)."""
    return all(
        all(_SAYS.fullmatch(s) or _ASIDE.fullmatch(s) for s in _sentences(line)) or _is_label(line)
        for line in text.splitlines()
    )


def _sentences(line: str) -> list[str]:
    return [words for s in _SENTENCE_END.split(line) if (words := _words(s))]


def _is_label(line: str) -> bool:
    return len(line.split()) <= LABEL_WORDS and not _SENTENCE_END.search(line)


def _words(sentence: str) -> str:
    return " ".join(_PUNCTUATION.sub(" ", fold(sentence)).split())
