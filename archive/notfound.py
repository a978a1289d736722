"""Pages that say the page asked for is not there, answered with 200 OK (a "soft 404").

Portals answer a removed article's URL with their "page not found" page and status 200. Its
reading is not the article: stored, it would replace the archived text, or become an article of
its own. It is known by its headline or its opening saying so, in the few words such a page
has; a real article that merely mentions such words is longer, or says more in the sentence.
"""

from __future__ import annotations

import re

from archive.vietnamese import fold

# At most this many words of text: a "not found" page has a sentence or two and a link home
# (an article's shortest photo caption news runs longer, and is not headed by these words).
MAX_WORDS = 100
# Lines of the text, from its start, where the page says it.
OPENING_LINES = 3

# What is not there, as folded words: "trang bạn tìm", "bài viết này", "nội dung".
_WHAT = (
    r"(?:trang(?: web)?|duong dan|lien ket|noi dung|bai viet|bai bao|tin bai|tin tuc|tin|thong tin|du lieu|tai lieu)"
    r"(?: (?:ban|quy vi|quy khach) (?:dang )?(?:tim|tim kiem|can tim|yeu cau|truy cap))?(?: nay)?"
)
_GONE = r"(?:khong (?:con )?ton tai|da bi (?:xoa|go|go bo|an|thu hoi|di chuyen)|da (?:xoa|go bo))"
_PHRASE = (
    rf"{_WHAT} {_GONE}(?: hoac {_GONE})*"
    rf"|khong tim thay {_WHAT}"
    r"|(?:the )?(?:(?:page|file|article|content|resource) )?not found"
    r"|(?:the )?(?:page|article) (?:does not|doesnt|no longer) exists?"
)
_ERROR = r"(?:(?:loi|error|http|ma loi) )?404(?: (?:error|loi))?"
# A sentence (folded, punctuation dropped) that says only that.
_SAYS = re.compile(
    rf"(?:(?:xin loi|rat tiec|sorry) )?(?:(?:{_ERROR} )?(?:{_PHRASE})(?: {_ERROR})?|{_ERROR})"
)
# How a title joins its parts ("Trang không tồn tại - Cổng TTĐT tỉnh"), and how sentences end.
_TITLE_PARTS = re.compile(r"\s+[-|–—·:»]+\s+|\s*::\s*")
_SENTENCE_END = re.compile(r"[.!?]+(?:\s|$)")
_PUNCTUATION = re.compile(r"[^\w\s]|_")


def says_not_found(record: dict) -> bool:
    """Whether an extracted page is a "page not found" page: little text, headed or opened by
    a sentence saying only that the page is not there."""
    if (record.get("word_count") or 0) > MAX_WORDS:
        return False
    title = record.get("title") or ""
    opening = (record.get("text") or "").splitlines()[:OPENING_LINES]
    sentences = [*_TITLE_PARTS.split(title), *(s for line in opening for s in _SENTENCE_END.split(line))]
    return any(_SAYS.fullmatch(_words(s)) for s in sentences if s.strip())


def _words(sentence: str) -> str:
    return " ".join(_PUNCTUATION.sub(" ", fold(sentence)).split())
