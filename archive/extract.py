"""Extraction: stored response bytes + URL + headers -> one article record.

A pure, deterministic function of its inputs (no network, no clock), so that any stored capture
can be extracted again when the rules improve, and gives the same record on any day it is. The
time the page was seen is one of those inputs: the response's Date, or the capture's time.
trafilatura does the main-text and metadata work; the rules here add what it does not know about
Vietnamese news pages: timestamps with times in +07:00, and related-news boxes and photo captions
that sit inside the article container.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Mapping
from copy import deepcopy
from dataclasses import asdict
from datetime import datetime, time
from urllib.parse import urljoin
from email.utils import parsedate_to_datetime

import lxml.html
from lxml.cssselect import CSSSelector
import trafilatura
from trafilatura.utils import HTML_PARSER

from archive.bylines import clean_authors, is_official_title
from archive.docrefs import attribute, find_doc_refs, unique_refs
from archive.fixity import text_hash
from archive.mentions import find_mentions
from archive.page_encoding import decode_body
from archive.sources import RULES_MARK, UNMATCHED_RULES
from archive.syndication import signature
from archive.vietnamese import VN_TZ, date_limit, find_dates, fold, nfc, page_dates, recorded_time, within_limits

# Bump when the rules below change: rows record which version produced them.
RULES_VERSION = 25
EXTRACTOR_VERSION = f"govarchive-{RULES_VERSION}/trafilatura-{trafilatura.__version__}"

RECORD_FIELDS = (
    "url", "title", "author", "published", "updated", "description", "text", "language",
    "sitename", "categories", "tags", "image", "word_count", "text_hash", "extractor_version",
    "charset", "authors", "doc_refs", "mentions", "minhash",
)

_IMAGE_FILE_LINE = re.compile(r"^\S+\.(?:jpe?g|png|gif|webp|bmp)$", re.I)
_BYLINE_MARK = re.compile(r"author|byline|tac-?gia", re.I)
_DATEISH = re.compile(r"date|time|publish|ngay|byline|post-?info|meta|author|tac-?gia", re.I)

# Headings of the boxes Vietnamese CMSs put inside the article container (compared folded).
BOX_TITLES = frozenset(
    fold(t)
    for t in (
        "Bài liên quan", "Tin liên quan", "Tin cùng chuyên mục", "Đừng bỏ lỡ", "Nổi bật",
        "Tin nổi bật", "Tin khác", "Tin mới nhất", "Đọc thêm", "Có thể bạn quan tâm",
        "Tin đọc nhiều", "Bài viết liên quan", "Cùng chuyên mục", "Các tin khác", "Tin bài liên quan",
        "Cùng chủ đề", "Tin cùng chủ đề", "Bài viết cùng chuyên mục", "Bài cùng chuyên mục", "Tin đã đưa",
        "Tin tức liên quan", "Tin tức khác", "Bài viết khác", "Các bài viết khác", "Tin bài khác",
    )
)
# Not "Xem thêm": in a notice it opens the attachment or the rest of the text, and heads no box.
# Headings of reader comments, which run to the end of their container.
COMMENT_TITLES = frozenset(
    fold(t) for t in ("Ý kiến bạn đọc", "Bình luận", "Ý kiến của bạn", "Gửi ý kiến", "Bạn đọc bình luận")
)
_HEADING_COUNT = re.compile(r"\s*\(\d+\)$")
# The <meta> names a page's publication time goes by, most specific first. One missed here was
# read by htmldate alone, which keeps the calendar day of a time and drops its zone: 17:30 UTC,
# 00:30 the next day in Vietnam, filed the article a day (at a month's end, a month) early.
_PUBLISHED_META = (
    "article:published_time", "og:published_time", "og:article:published_time", "article:published",
    "article.published", "published_time", "datepublished", "pubdate", "publishdate", "publish-date",
    "parsely-pub-date", "sailthru.date", "citation_publication_date", "dc.date.issued", "dcterms.issued",
    "dc.date.created", "dcterms.created", "dcterms.date", "dc.date", "created", "date",
)
_UPDATED_META = (
    "article:modified_time", "og:updated_time", "og:article:modified_time", "article:modified",
    "datemodified", "lastmod", "dc.date.modified", "dcterms.modified",
)


def extract(
    body: bytes, url: str, headers: Mapping[str, str] | None = None, rules: Mapping[str, str] | None = None,
    *, captured_at: datetime | str | None = None,
) -> dict:
    """Return the article record for one captured page.

    ``headers`` are the response headers (case-insensitive names); ``Content-Type`` gives the
    charset. ``captured_at`` (an aware datetime, or ISO text as a fetch row holds it) is when the
    page was fetched, which bounds its dates from above and gives year-less Vietnamese dates
    ("Chiều 8/4") their year; without it, the response's ``Date`` does. With neither, dates are
    read without one (see ``archive.vietnamese.date_limit``): never against the clock.
    ``rules`` are a source's CSS selectors (``body``, ``title``, ``author``, ``date``) for sites
    where the generic extractor is wrong; a selector that matches nothing falls back to it.
    With ``rules``, the record also says under ``UNMATCHED_RULES`` which of them fell back, and
    why: a part of the result no column holds, for telling the source's author.
    """
    headers = {k.lower(): v for k, v in (headers or {}).items()}
    html, charset = decode_body(body, headers.get("content-type", ""))
    reference = _reference_time(headers.get("date"), captured_at)
    record = _extract_xml_safe(html, charset, url, reference, rules or {})
    if (record["word_count"] or 0) < _SHORT_READING:
        # Read past the page's end only when what came before it is no article: what follows a
        # page that has one (an intruder's hidden spam, a CMS's second document) must not take
        # its place.
        past_end = _past_the_end(html)
        if past_end is not None:
            retried = _extract_xml_safe(past_end, charset, url, reference, rules or {})
            if (retried["word_count"] or 0) > (record["word_count"] or 0):
                record = retried
    if rules:
        # A source's selectors change the reading as much as the extractor does: a crawl must
        # know that a reading by other selectors is not comparable with this one.
        fingerprint = hashlib.sha1(json.dumps(dict(rules), sort_keys=True).encode()).hexdigest()[:8]
        record["extractor_version"] = f"{EXTRACTOR_VERSION}{RULES_MARK}{fingerprint}"
    return record


# Characters XML forbids. libxml2's HTML parser keeps them, but lxml refuses them in any text it
# is asked to set, so one stray control character in a page made trafilatura return nothing.
_XML_INCOMPATIBLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _extract_xml_safe(html: str, charset: str, url: str, reference, rules) -> dict:
    """``_extract``, or, when the page's characters that XML forbids got in its way, ``_extract``
    of the page without them. Looked for only then: the search costs 4 % of an extraction."""
    try:
        record = _extract(html, charset, url, reference, rules)
        if record["text"] or not _XML_INCOMPATIBLE.search(html):
            return record
    except ValueError:
        # lxml refuses them in text set by the rules here too (a photo story's caption made a
        # paragraph), which ended the extraction: the article was lost.
        if not _XML_INCOMPATIBLE.search(html):
            raise
    return _extract(_XML_INCOMPATIBLE.sub("", html), charset, url, reference, rules)


def _extract(
    html: str, charset: str, url: str, reference: datetime | None, rules: Mapping[str, str],
    captions: bool = False,
) -> dict:
    """``captions``: keep the photo captions as paragraphs, for a page whose text they are."""
    record = dict.fromkeys(RECORD_FIELDS)
    record.update(
        url=url, charset=charset, extractor_version=EXTRACTOR_VERSION, categories=[], tags=[],
        authors=[], doc_refs=[], mentions=[],
    )
    tree = _parse(html)
    if tree is None:
        return _finish(record, "")

    _close_open_headlines(tree)
    meta = _meta_values(tree)
    links = _body_links(tree, url)
    # Legacy CMSs set the headline in a styled span or div, not an <h1>; the source's selector
    # names it, and the date line is looked for beside it as beside an <h1>.
    unmatched = {}
    titled = _first_with_text(tree, rules.get("title"))
    if rules.get("title") and titled is None:
        unmatched["title"] = _why_unmatched(tree, rules["title"])
    headline = titled if titled is not None else _headline(tree)
    heading = _clean(headline.text_content()) if headline is not None else None
    chunks, own_time, bylines = _own_dates(tree, headline)
    # trafilatura reads the author from the article's markup and misses a byline box set after
    # the body ("Tác giả: …" in a div.tac-gia); the walk for date lines finds it on the way. A box
    # so marked can hold the source's credit instead ("Theo hanoi.gov.vn"), which names no author.
    byline = next((_clean(b) for b in bylines if not (_is_credit(b) or _is_media_credit(b))), None)
    structured = _structured_dates(tree, meta, own_time)
    visible = page_dates(" | ".join(chunks), reference=reference) if chunks else (None, None)
    chosen = _selected_text(tree, rules.get("date"))
    ruled = page_dates(chosen, reference=reference) if chosen else (None, None)
    if ruled != (None, None):
        # The source's own date selector beats every generic guess, when what it picks holds a
        # date: on a page where it picks a byline or an empty box, the generic reading stands.
        visible = ruled
        structured = []
    elif rules.get("date"):
        unmatched["date"] = "no date" if chosen else _why_unmatched(tree, rules["date"])
    rule_author = _clean(_selected_text(tree, rules.get("author")))
    if rules.get("author") and rule_author is None:
        unmatched["author"] = _why_unmatched(tree, rules["author"])
    caption_chars = _strip_boilerplate(tree, captions)
    _footnotes_as_paragraphs(tree)
    _break_before_cites(tree)
    _mark_body(tree)
    article = _body_only(tree, rules.get("body"))
    if rules.get("body") and article is tree:
        unmatched["body"] = "nothing"
    elif rules.get("body") and not "".join(article.find("body").itertext()).strip():
        unmatched["body"] = "no text"
    if rules:
        record[UNMATCHED_RULES] = {key: unmatched[key] for key in rules if key in unmatched}

    doc = trafilatura.bare_extraction(
        article,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        deduplicate=False,
        # htmldate's extensive search reads dates out of the prose ("kéo dài đến hết ngày 20/5"),
        # which are dates of events, not of the article; markup and the URL are enough.
        date_extraction_params={
            "original_date": True, "extensive_search": False, "max_date": _htmldate_limit(reference),
        },
    )
    text = ""
    if doc is not None:
        data = doc.as_dict()
        text = data.get("text") or ""
        record.update(
            title=_clean(data.get("title")),
            author=_clean(data.get("author")),
            description=_clean(data.get("description")),
            language=data.get("language"),
            sitename=_clean(data.get("sitename")),
            categories=[nfc(c) for c in (data.get("categories") or []) if c],
            tags=_tags(data.get("tags") or []),
            image=data.get("image"),
        )
        if not _htmldate_invented(data.get("date"), html, url):
            structured.append(("trafilatura", data.get("date")))
    record["title"] = record["title"] or _clean(meta.get("og:title"))
    if heading and record["title"] and _names_the_site(record["title"], record["sitename"], heading, tree):
        # A portal that fills og:title with its own name fills the description in the same way.
        if record["description"] and fold(record["title"]) in fold(record["description"]):
            record["description"] = None
        record["title"] = heading
    if titled is not None:
        # The source's own title selector beats every generic guess.
        record["title"] = heading
    record["description"] = record["description"] or _sapo(tree)
    record["author"] = _author(rule_author, _fuller(record["author"], byline), byline, _clean(meta.get("author")))
    record["language"] = record["language"] or _clean(tree.get("lang"))
    # On an article with little prose (a sapo and a paragraph) trafilatura reads the divs of the
    # article's container as text too: the section, headline, date line, byline and view counter
    # above the body come out as lines of their own, and a counter that changes at every visit
    # made each crawl a new version. Taken out as lines: pruned from trafilatura's input, they
    # would leave it too little text, and it would search the whole page, menus and all.
    boxes = {_squeezed(chunk) for chunk in chunks}
    heads = {record["title"], *record["categories"]}
    if len(text) < _SHORT_TEXT:
        # On a short article trafilatura asks readability and justext for a second opinion, and
        # takes theirs when longer: justext's had the headline and date line in place of the
        # text's list and the line that introduces it. Its own reading is kept when it adds lines
        # and loses nothing of the other's but such page lines.
        own = _own_reading(article, url)
        found = set(own.splitlines())
        if found - set(text.splitlines()) and all(
            line in found or not line.strip() or _is_furniture(line, boxes) or _clean(line) in heads
            or _is_date_line(line, reference=reference)
            for line in text.splitlines()
        ):
            text = own
    lines = [line for line in text.splitlines() if line.strip() and not _is_furniture(line, boxes)]
    # A date stamp the page does not mark as one is furniture only above or below the text: inside
    # it, a short line with a date is the article's ("Thời gian: 9h45 ngày 28/6/2024", a table row).
    # The stamps taken out above the text and the timed ones inside it date the article when no
    # date line the page marks does; a day below it may close a quoted letter ("Hà Nội, ngày 2/7").
    stamps = []
    while lines and (_clean(lines[0]) in heads or _is_date_line(lines[0], reference=reference)):
        if _clean(lines[0]) not in heads:
            stamps.append(lines[0])
        lines = lines[1:]
    while lines and _is_date_line(lines[-1], reference=reference):
        lines = lines[:-1]
    # One with a time of day or a "posted"/"updated" label is a stamp wherever it stands (below the
    # sapo, as some portals set it); a bare day inside the text is the article's (a schedule's day).
    kept = []
    for line in lines:
        (stamps if _is_date_line(line, reference=reference, timed=True) else kept).append(line)
    lines = kept
    size = sum(map(len, lines))
    if not captions and size < _PHOTO_STORY_TEXT and size < caption_chars:
        # A photo story or an infographic tells its news in the captions: read again with them.
        return _extract(html, charset, url, reference, rules, captions=True)
    if visible == (None, None) and stamps:
        visible = page_dates(" | ".join(stamps), reference=reference)
    record["published"], record["updated"] = _choose_dates(structured, visible, reference)
    # Portals sign articles with a bold name under the last paragraph, and credit a story taken
    # from elsewhere ("Theo Báo Nghệ An") there too, in either order. A name under an official's
    # title ("KT. CHỦ TỊCH") signs the document the article quotes, and stays in it. A credit for
    # the pictures or the design ("Ảnh: Trọng Nghĩa") is the article's too, and stays; the
    # signature is looked for above it.
    credits: list[str] = []
    for _ in range(2):
        if lines and _is_credit(lines[-1]):
            lines = lines[:-1]
        elif lines and _is_media_credit(lines[-1]):
            credits.insert(0, lines[-1])
            lines = lines[:-1]
        elif (
            lines and _is_signature(lines[-1]) and not (len(lines) > 1 and is_official_title(lines[-2]))
            and not _ends_a_list_of_names(lines)
        ):
            record["author"] = _author(record["author"], _clean(lines[-1]))
            lines = lines[:-1]
    record = _finish(record, "\n".join(lines + credits))
    record["language"] = _language(record["language"], record["text"])
    _knowledge(record, links, reference)
    return record


# Shorter than this (in characters), a reading may be readability's or justext's (trafilatura's
# second opinions, which it asks below 250 characters and takes when longer) rather than its own.
_SHORT_TEXT = 1000


def _own_reading(article, url: str) -> str:
    """trafilatura's own reading of the article's text, without its second opinions."""
    doc = trafilatura.bare_extraction(
        article, url=url, with_metadata=False, include_comments=False, include_tables=True, deduplicate=False,
        fast=True,
    )
    return "" if doc is None else doc.as_dict().get("text") or ""


# Letters only Vietnamese writes among the languages portals publish in. A page's markup names
# its template's language, which a portal built on an English theme leaves as "en" over
# Vietnamese text; screen readers then read the archived article with an English voice.
_VIETNAMESE_LETTER = re.compile(
    "[ăâđêôơưàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵ]", re.IGNORECASE)
_LETTER = re.compile(r"[^\W\d_]")
# Vietnamese prose has such a letter in about a third of its letters; English that names a few
# Vietnamese places and people, a hundredth.
_VIETNAMESE_SHARE = 0.1
_LANGUAGE_SAMPLE = 2000


def _language(declared: str | None, text: str) -> str | None:
    """The page's declared language, unless its text is plainly Vietnamese."""
    if declared and declared.lower().startswith("vi"):
        return declared
    sample = text[:_LANGUAGE_SAMPLE]
    letters = len(_LETTER.findall(sample))
    if letters >= 50 and len(_VIETNAMESE_LETTER.findall(sample)) >= _VIETNAMESE_SHARE * letters:
        return "vi"
    return declared


def _knowledge(record: dict, links: list[str], reference: datetime | None) -> None:
    """People, document references and channel/agency mentions: data to filter and facet on."""
    record["authors"] = clean_authors(record["author"], site_names=[record["sitename"] or ""])
    if record["authors"]:
        record["author"] = ", ".join(record["authors"])
    whole = "\n".join(filter(None, (record["title"], record["description"], record["text"])))
    # A document the article cites was issued by its publication; without that date, by the
    # time the page was seen.
    found = attribute(find_doc_refs(whole, reference=_iso_datetime(record["published"]) or reference))
    # The issue date is often given only at a later mention ("... Kế hoạch số 174/KH-UBND ngày 9/8/2019"),
    # and is the date of the document that mention is of: one number from two issuers is two documents.
    issued: dict[tuple[str, str | None], str] = {}
    for ref in found:
        if ref.issued:
            issued.setdefault((ref.ref, ref.issuing_body), ref.issued)
    record["doc_refs"] = []
    for ref in unique_refs(found):
        row = {k: v for k, v in asdict(ref).items() if k not in ("start", "end")}
        row["issued"] = ref.issued or issued.get((ref.ref, ref.issuing_body))
        row["year"] = ref.year or (int(row["issued"][:4]) if row["issued"] else None)
        record["doc_refs"].append(row)
    record["mentions"] = [asdict(m) for m in find_mentions(whole, links)]
    record["minhash"] = signature(record["text"])


def _iso_datetime(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=VN_TZ)


def _body_links(tree, base_url: str) -> list[str]:
    """Outbound links written inside paragraphs (not the site's own header and footer icons)."""
    hrefs = tree.xpath("//p//a/@href")
    return [urljoin(base_url, h.strip()) for h in hrefs if h.strip().startswith(("http", "//"))][:200]


# A page's </body> and </html>. Browsers read on past them as if they were not there; libxml2
# (2.14) drops everything after </html>: a template that closes the page after its <head>, the
# article written after it, gave no text at all. Taken out, the parser closes the page at its end.
_PAGE_END = re.compile(r"</(?:body|html)\s*>", re.I)
# Fewer words than any article: a menu or a notice read before a page's premature end.
_SHORT_READING = 50


def _past_the_end(html: str) -> str | None:
    """``html`` without its </body> and </html>, when something follows the first of them."""
    first = _PAGE_END.search(html)
    if first is None:
        return None
    rest = _PAGE_END.sub("", html[first.end():])
    return html[:first.start()] + rest if rest.strip() else None


def _parse(html: str):
    if not html.strip():
        return None
    try:
        tree = lxml.html.fromstring(html.encode("utf-8", "surrogatepass"), parser=HTML_PARSER)
    except (lxml.etree.ParserError, ValueError):
        return None
    return tree if tree is not None and len(tree) else None


def _reference_time(date_header: str | None, captured_at: datetime | str | None) -> datetime | None:
    """When the page was seen: the time the archive captured it, else the response's Date. The
    archive's own clock first: a server's can be years wrong (a Date of 1970 bounded every date
    on the page to before it, and the page lost them all)."""
    return recorded_time(captured_at) or _http_date(date_header)


def _http_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    # An HTTP date is GMT; one with no zone or "-0000" parses naive, and astimezone would read
    # it in the zone of the machine extracting: recorded_time reads it as UTC.
    return recorded_time(parsed)


def _htmldate_limit(reference: datetime | None) -> datetime:
    """The latest day htmldate may give, as it takes it (naive, a day's end): its default is the
    end of today, by the clock."""
    return datetime.combine(date_limit(reference).date(), time.max)


def _meta_values(tree) -> dict[str, str]:
    values: dict[str, str] = {}
    for el in tree.iter("meta"):
        key = (el.get("property") or el.get("name") or el.get("itemprop") or "").strip().lower()
        content = el.get("content")
        if key and content and key not in values:
            values[key] = content.strip()
    return values


def _jsonld_dates(tree):
    found = {}

    def walk(node):
        if isinstance(node, dict):
            for key in ("datePublished", "dateModified"):
                if isinstance(node.get(key), str) and key not in found:
                    found[key] = node[key]
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for script in tree.xpath('//script[@type="application/ld+json"]'):
        try:
            walk(json.loads(script.text or ""))
        # RecursionError: JSON nested deeper than the interpreter's stack, from a page or an attacker.
        except (ValueError, RecursionError):
            continue
    return found


def _structured_dates(tree, meta, own_time: str | None) -> list[tuple[str, str | None]]:
    """Machine-readable timestamps: (kind, ISO text) in order of trust."""
    jsonld = _jsonld_dates(tree)
    out = [("published", jsonld.get("datePublished")), ("updated", jsonld.get("dateModified"))]
    out += [("published", meta.get(k)) for k in _PUBLISHED_META]
    out += [("updated", meta.get(k)) for k in _UPDATED_META]
    out.append(("published", own_time))
    return [(kind, value) for kind, value in out if value]


# Page furniture around the article: headers, menus, tickers, cards and lists of other articles
# carry dates too ("today", the latest news), and none of them dates the article. Matched at the
# start of a class or id word ("othernews", "box-lienquan", "today-date"; not "photo").
_FURNITURE = re.compile(
    r"(?:^|[\s_-])(?:related|lien-?quan|other|tin-?khac|tin-?moi|moi-?nhat|latest|ticker|marquee|"
    r"breaking|card|featured|noi-?bat|hot|most|doc-?nhieu|same|cung-?chuyen-?muc|sidebar|widget|"
    r"comment|binh-?luan|list|slide|carousel|menu|nav|today|hom-?nay|clock|weather|top-?bar)",
    re.I,
)
_FURNITURE_TAGS = frozenset(("nav", "aside", "footer", "li"))
# The page's header as a div ("header", "site-header", "header-top"), where portals show today's
# date: a whole class or id word, not "detail-header" or "header-title" beside a headline.
_PAGE_HEADER = re.compile(
    r"(?:^|\s)(?:(?:site|top|main)[-_]?header|header(?:[-_]?(?:top|wrap|wrapper|inner|main|container))?)(?:\s|$)",
    re.I,
)
_OUTSIDE_ARTICLE = lxml.etree.XPath("not(ancestor::article or ancestor::main)")
_IN_PAGE_HEADER = lxml.etree.XPath("ancestor::header or ancestor::nav or ancestor::aside or ancestor::footer")


# The lead paragraph under the headline; trafilatura misses it when it sits outside the body.
_SAPO = lxml.etree.XPath(
    "//*[contains(@class, 'sapo') or contains(@class, 'Sapo') or contains(@class, 'chapeau')"
    " or contains(concat(' ', normalize-space(@class), ' '), ' lead ')]"
    "[not(ancestor::li or ancestor::aside or ancestor::nav or ancestor::footer)]"
)


def _sapo(tree) -> str | None:
    for el in _SAPO(tree):
        text = _clean(el.text_content())
        if text and 30 <= len(text) <= 1000:
            return text
    return None


# Longer than any headline: an <h1> that holds more is one left open, holding the page after it.
_HEADLINE_MAX = 300
_BLOCKS = frozenset((
    "address", "article", "aside", "blockquote", "center", "div", "dl", "figure", "footer", "form", "h2", "h3",
    "h4", "h5", "h6", "header", "hr", "main", "nav", "ol", "p", "pre", "section", "table", "ul",
))


def _close_open_headlines(tree) -> None:
    """End each <h1> left open (no </h1>) at its first block, where its author meant it to end.

    The parser, as a browser's, sets everything after an open <h1> inside it: the date line,
    the article and the footer were read as one headline of the whole page. A long headline that
    is closed may set its words in a block of its own: it keeps them."""
    for h1 in [h1 for h1 in tree.iter("h1") if len((h1.text_content() or "").strip()) > _HEADLINE_MAX]:
        first = next((i for i, child in enumerate(h1) if child.tag in _BLOCKS), None)
        # An <h1> whose words are all in its blocks keeps them: nothing would be left of it.
        if first is None or not "".join(_text_before(h1, first)).strip():
            continue
        last = h1
        for child in h1[first:]:
            last.addnext(child)
            last = child


def _text_before(element, index: int):
    """The text of ``element`` before its child at ``index``."""
    yield element.text or ""
    for child in element[:index]:
        yield from child.itertext()
        yield child.tail or ""


def _headline(tree):
    """The article's <h1>: the longest outside the page header and menus, where a logo can be one.

    Some portals set no <h1> and the headline in an <h2 class="title-detail">: then the first <h2>
    named as a title outside the page's furniture, where the titles of other articles are."""
    best, size = None, 0
    for h1 in tree.iter("h1"):
        length = len((h1.text_content() or "").strip())
        if length > size and not _IN_PAGE_HEADER(h1):
            best, size = h1, length
    if best is not None:
        return best
    return next((h2 for h2 in tree.iter("h2") if _is_titled(h2) and not _in_furniture(h2)), None)


_TITLE_MARK = re.compile(r"title|tieu-?de|headline", re.I)


def _is_titled(el) -> bool:
    return bool(_TITLE_MARK.search(f"{el.get('class', '')} {el.get('id', '')}")) and bool(_clean(el.text_content()))


def _in_furniture(el) -> bool:
    for outer in (el, *el.iterancestors()):
        marker = f"{outer.get('class', '')} {outer.get('id', '')}"
        if outer.tag in _FURNITURE_TAGS or outer.tag == "header" or _FURNITURE.search(marker) or _PAGE_HEADER.search(marker):
            return True
    return False


# The names portals give themselves, folded: "Cổng thông tin điện tử tỉnh …", "Báo điện tử …".
_PORTAL_NAME = re.compile(r"(?:cong (?:thong tin|ttdt|giao tiep)|trang (?:thong tin|tin tuc)|bao dien tu|tap chi dien tu)\b")
# Spaces before a separator are tried only from the first of them: from each, a long run of
# whitespace with no separator after it (a broken template's <title>) was scanned again to its
# end, and 20,000 spaces took 5 s. A match takes every space after it, so none starts mid-run.
_TITLE_PARTS = re.compile(r"(?<!\s)\s+(?:[-|–—:»]\s+|[|»]\s*)|[|»]\s*")


def _names_the_site(title: str, sitename: str | None, heading: str, tree) -> bool:
    """Whether ``title`` is the site's name rather than the article's headline."""
    folded = fold(title)
    if folded == fold(heading):
        return False
    if (sitename and folded == fold(sitename)) or _PORTAL_NAME.match(folded):
        return True
    parts = {fold(part) for part in _TITLE_PARTS.split(tree.findtext("head/title") or "")}
    return len(parts) > 1 and folded in parts and fold(heading) in parts


def _own_dates(tree, headline) -> tuple[list[str], str | None, list[str]]:
    """The article's date-line texts, nearest the headline first, its nearest <time>, and the
    texts of the byline boxes the page marks as such (author, byline, tac-gia), nearest first.

    A page's own date line sits by its headline; a page without a headline is read in order.
    """
    keep = set(headline.iterancestors()) | {headline} if headline is not None else set()
    chunks, times, bylines = [], [], []
    at = 0
    skip_to = None
    for index, el in enumerate(tree.iter()):
        if skip_to is not None:
            if el is skip_to:
                skip_to = None
            continue
        tag = el.tag
        if not isinstance(tag, str):
            continue
        if el is headline:
            at = index
        marker = f"{el.get('class', '')} {el.get('id', '')}"
        if el not in keep and (
            tag in _FURNITURE_TAGS
            or ((tag == "header" or _PAGE_HEADER.search(marker)) and _OUTSIDE_ARTICLE(el))
            or el.get("hidden") is not None
            or (len(marker) > 1 and _FURNITURE.search(marker))
        ):
            last = el
            while len(last):
                last = last[-1]
            skip_to = None if last is el else last
            continue
        if tag == "time" and el.get("datetime"):
            times.append((index, el.get("datetime")))
        if tag not in ("html", "body", "article", "main") and len(marker) > 1 and _DATEISH.search(marker):
            text = " ".join(el.itertext()).strip()
            if 0 < len(text) <= 200:
                chunks.append((index, text))
                if _BYLINE_MARK.search(marker):
                    bylines.append((index, text))
    for found in (chunks, times, bylines):
        found.sort(key=lambda item: abs(item[0] - at))
    return [text for _, text in chunks], (times[0][1] if times else None), [text for _, text in bylines]


def _iso(value: str | None, reference: datetime | None) -> tuple[str | None, bool]:
    """Normalise a machine timestamp to +07:00; returns (iso, has_time)."""
    if not value:
        return None, False
    value = value.strip()
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        # CMSs write their display form into JSON-LD and meta tags too ("14/11/2024 09:30"):
        # day first, in Hà Nội time unless it names a zone.
        found = find_dates(value, reference=reference)
        return _found_iso(found[0]) if found else (None, False)
    if not within_limits(parsed if len(value) > 10 else parsed.date(), reference):
        return None, False
    if len(value) <= 10:
        return parsed.date().isoformat(), False
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=VN_TZ)
    # To the second, as every other stored time: ".123000" would also sort after the whole second.
    return parsed.astimezone(VN_TZ).replace(microsecond=0).isoformat(), True


def _author(*candidates: str | None) -> str | None:
    """The first candidate, in order of trust, that names a person; else the first that is no
    source credit. A meta author is often the outlet ("Báo Điện tử Chính phủ"), the visible
    byline the writer; a box marked for the author can hold the credit ("Theo hanoi.gov.vn",
    which trafilatura gives as "Theo hanoi gov vn"), which names no author at all."""
    given = [c for c in candidates if c]
    return next((c for c in given if clean_authors(c)), next((c for c in given if not _CREDIT.match(fold(c))), None))


def _fuller(author: str | None, byline: str | None) -> str | None:
    """``byline`` when it names the people ``author`` names and more: trafilatura reads "Lê Thu -
    Hà An | Thứ Năm, 10/10/2024" as "Lê Thu; Thứ Năm" and loses the second writer."""
    if not author or not byline or author == byline:
        return author
    names = set(clean_authors(author))
    return byline if names and names < set(clean_authors(byline)) else author


def _selected_text(tree, selector: str | None) -> str | None:
    if not selector:
        return None
    found = CSSSelector(selector)(tree)
    text = " ".join(" ".join(el.itertext()) for el in found).strip()
    return text or None


def _why_unmatched(tree, selector: str) -> str:
    """Why a rule's selector gave nothing: it matched no element, or only elements without text."""
    return "no text" if CSSSelector(selector)(tree) else "nothing"


def _first_with_text(tree, selector: str | None):
    if not selector:
        return None
    return next((el for el in CSSSelector(selector)(tree) if _clean(el.text_content())), None)


def _body_only(tree, selector: str | None):
    """The page cut down to what the source's body selector picks, when it picks anything; the
    generic extractor then sees only the article."""
    if not selector:
        return tree
    found = CSSSelector(selector)(tree)
    if not found:
        return tree
    page = lxml.html.fromstring("<html><head></head><body><article></article></body></html>")
    head = tree.find("head")
    if head is not None:
        page.replace(page.find("head"), deepcopy(head))
    article = page.find(".//article")
    for el in found:
        article.append(deepcopy(el))
    return page


def _found_iso(found) -> tuple[str, bool]:
    return (found.value.isoformat() if found.has_time else found.value.date().isoformat()), found.has_time


def _htmldate_invented(value: str | None, html: str, url: str) -> bool:
    """Whether htmldate's ``value`` is a 1st of a month that neither the page nor its URL writes:
    failing a day ("29/02/2023", 2023 being no leap year, or a day past the capture), htmldate
    reads its month ("02/2023") and gives the month's 1st. The archive invents no date."""
    found = _FIRST_OF_MONTH.fullmatch(value or "")
    if found is None:
        return False
    year, month = found["year"], int(found["month"])
    # Day first or year first, with "/", "-" or "." between, as htmldate reads them.
    first = re.compile(rf"(?<!\d)(?:0?1[-/.]0?{month}[-/.](?:{year}|{year[2:]})|{year}[-/.]0?{month}[-/.]0?1)(?!\d)")
    return not (first.search(html) or first.search(url))


_FIRST_OF_MONTH = re.compile(r"(?P<year>\d{4})-(?P<month>\d{2})-01")


def _choose_dates(structured, visible, reference: datetime | None):
    """Prefer a timestamp with a time of day; a bare date only when nothing better exists.

    htmldate (inside trafilatura) guesses dates without times and sometimes only a year
    (YYYY-01-01), so its answer is the last resort.
    """
    best = {"published": [], "updated": []}
    for kind, value in structured:
        iso, has_time = _iso(value, reference)
        if iso:
            key = "published" if kind in ("published", "trafilatura") else "updated"
            rank = 0 if has_time else (3 if kind == "trafilatura" else 2)
            best[key].append((rank, iso))
    vis_published, vis_updated = visible
    for key, found in (("published", vis_published), ("updated", vis_updated)):
        if found is not None:
            iso, has_time = _found_iso(found)
            best[key].append((1 if has_time else 2, iso))
    updated = min(best["updated"])[1] if best["updated"] else None
    # A page that shows only "Cập nhật: …" was published then at the latest.
    published = min(best["published"])[1] if best["published"] else updated
    if published and updated and _later(published, updated):
        # A date the page marks as its publication's (a meta tag, a "Đăng lúc" label) stands: a
        # post scheduled after its last edit. A date guessed from the page's visible dates,
        # which may be today's in its header, is the page's, not the article's.
        marked = [value for kind, value in structured if kind == "published"] + (
            [vis_published] if vis_published is not None and vis_published.kind == "published" else [])
        if marked:
            updated = None
        else:
            published = updated
    if updated == published:
        updated = None
    return published, updated


def _later(first: str, second: str) -> bool:
    """Whether ISO date or time ``first`` comes after ``second``; by the day when either is a day."""
    if len(first) == 10 or len(second) == 10:
        return first[:10] > second[:10]
    return _iso_datetime(first) > _iso_datetime(second)


# The classes Vietnamese CMSs give the article's body ("noi-dung", "detail-content", "fck_detail",
# "news-content", "contentdetail", "detail__content"), which trafilatura's vocabulary lacks.
_BODY_CLASS = re.compile(
    r"(?:^|\s)(?:noi-?dung|fck_?detail|(?:detail|news|content)(?:-|_|__)?(?:content|detail|body))(?:\s|$)", re.I
)


def _mark_body(tree) -> None:
    """Name the article's body container to trafilatura when it recognises none on the page.

    Without a container trafilatura gathers the page's paragraphs and tables wherever they are,
    and drops every list: the bullet points of the article with those of the menus. Named, the
    container is read whole, lists included, and its link lists pruned as in any article."""
    if _has_body_container(tree):
        return
    candidates = [el for el in tree.iter("div", "section", "td") if _BODY_CLASS.search(el.get("class") or "")]
    best = max(candidates, key=_own_paragraph_text, default=None)
    if best is not None and _own_paragraph_text(best):
        best.set("itemprop", "articleBody")


# The containers trafilatura's BODY_XPATH takes for an article's body, asked in Python: in XPath its
# regular expressions call back into Python for every div of the page, which cost 1.2 ms a page,
# a tenth of an extraction. tests/test_extract_identity.py holds the two to the same answers, and
# fails when a new trafilatura changes its expressions.
_BODY_EQUALS = {
    "class": frozenset(("post", "entry", "postarea", "art-postcontent", "text", "cell", "story", "content")),
    "id": frozenset(("articleContent", "article", "story", "content")),
    "itemprop": frozenset(("articleBody",)),
    "role": frozenset(("article",)),
}
_BODY_ID = re.compile(
    r"(?:entry|article|art)-content|article__content|article(?:-|__)?body|articleBody|body-text"
    r"|^primary|story-body|content-main|content-body|contentBody"
)
_BODY_CLASS_WORDS = re.compile(
    r"post[-_]text|post-body|post-?entry|post[-_]?content|postContent|post_inner_wrapper|article-?text|articleText"
    r"|(?:entry|page|text|article|art)-content|article__content|article(?:-|__)?body|articleBody|ArticleContent"
    r"|body-text|article__container"
    r"|(?i:fulltext)|^article |post-bodycopy|story-?content|(?:theme|blog|section|single)-content|single-post"
    r"|main-column|wpb_text_column|story-body|field-body"
    r"|content[-_]main|content(?:-|__)body"
)


def _has_body_container(tree) -> bool:
    """Whether any of trafilatura's BODY_XPATH finds a container in ``tree``."""
    if next(tree.iterdescendants("article", "main"), None) is not None:
        return True
    for el in tree.iterdescendants("div", "section"):
        if any(el.get(name) in values for name, values in _BODY_EQUALS.items()):
            return True
        ident, cls, role = el.get("id", ""), el.get("class", ""), el.get("role", "")
        if (
            _BODY_ID.search(ident) or _BODY_CLASS_WORDS.search(cls)
            or "main-content" in ident.replace("C", "c").replace("M", "m")
            or "main-content" in cls.replace("C", "c").replace("M", "m")
            or "page-content" in cls.replace("C", "c").replace("P", "p")
            or cls.startswith("main") or ident.startswith("main") or role.startswith("main")
        ):
            return True
    return False


def _own_paragraph_text(el) -> int:
    return sum(len((p.text_content() or "").strip()) for p in el.iterchildren("p"))


# A text shorter than this (in characters), beside longer captions, is a photo story's.
_PHOTO_STORY_TEXT = 400


def _strip_boilerplate(tree, keep_captions: bool = False) -> int:
    """Remove related-news boxes and photo captions that CMSs put inside the article body; or,
    with ``keep_captions``, set each caption as a paragraph in place of its picture. Returns how
    many characters the captions hold."""
    doomed, captions = [], []
    # The tree changes only once it has been read through: each element's text is read once, where
    # a paragraph was read by three of the loops below.
    text_of = functools.cache(_text)
    for el in tree.iter("h2", "h3", "h4", "h5", "h6", "strong", "b", "span", "div", "p", "header"):
        text = text_of(el).strip()
        if not text or len(text) > 40:
            continue
        key = _HEADING_COUNT.sub("", fold(text).rstrip(" :"))
        comments = key in COMMENT_TITLES
        if not comments and key not in BOX_TITLES:
            continue
        if el.getparent() is None:
            continue
        doomed.extend(_comments(el) if comments else _related_box(el))
    captions.extend(tree.iter("figcaption"))
    doomed.extend(_follow_boxes(tree, text_of))
    for el in _CAPTION_CLASS(tree):
        # A wrapper named for its caption can hold the whole article; only a caption's length goes.
        if len(text_of(el).strip()) <= 500:
            captions.append(el)
    for el in tree.iter("p"):
        text = text_of(el).strip()
        folded = fold(text)
        if folded.startswith("anh:") or (len(text) <= 300 and _SEE_ALSO.match(folded) and el.find(".//a") is not None):
            doomed.append(el)
        elif len(text) <= 250 and _is_centred_caption(el, folded):
            captions.append(el)
    size = 0
    # A caption inside another (a figcaption in a div.caption) is counted and set once.
    marked = set(captions)
    captions = [el for el in captions if not any(outer in marked for outer in el.iterancestors())]
    for el in dict.fromkeys(captions):
        text = _PHOTO_CREDIT_END.sub("", _clean(el.text_content()) or "")
        size += len(text)
        if keep_captions and text and el.getparent() is not None:
            _caption_to_paragraph(el, text)
    for el in doomed if keep_captions else doomed + captions:
        parent = el.getparent()
        if parent is not None:
            parent.remove(el)
    return size


def _break_before_cites(tree) -> None:
    """Set the source a quotation names after it (<cite> ending its <blockquote>) on a line of its
    own: written straight after the quotation's last word, it was read glued to it ("chính
    trị.Thủ tướng"). A <cite> inside the sentence ("Như <cite>Luật …</cite> quy định") stays."""
    for cite in tree.xpath("//blockquote//cite"):
        if not (cite.tail or "").strip() and not any(
            (sibling.text_content() or "").strip() or (sibling.tail or "").strip() for sibling in cite.itersiblings()
        ):
            cite.addprevious(lxml.html.Element("br"))


def _footnotes_as_paragraphs(tree) -> None:
    """Set the footnotes the text's markers (<sup><a href="#fn1">, or Word's <a href="#_ftn1"><sup>)
    point to as paragraphs in place of their list or block, less their links back but for the
    note's number: trafilatura drops them, and with them the documents cited only in a note.
    A note is an item of a list (<li id="fn1">), a paragraph (<p id="fn1">) or the paragraph
    holding its anchor (Word's <a name="_ftn1">)."""
    markers = [
        a for a in tree.iter("a")
        if a.get("href", "").startswith("#") and (a.find(".//sup") is not None or _in_sup(a))
    ]
    targets = {a.get("href", "")[1:] for a in markers}
    targets.discard("")
    if not targets:
        return
    # Where a link back from a note leads: a marker, or what holds it (<sup id="r1"><a href="#fn1">).
    returns = {
        value for a in markers for el in (a, *a.iterancestors()) for value in (el.get("id"), el.get("name")) if value
    }
    markers = set(markers)
    lists, blocks = {}, []
    for el in tree.iter("li", "p", "a"):
        if el.get("id") not in targets and not (el.tag == "a" and el.get("name") in targets):
            continue
        note = el if el.tag != "a" else next((outer for outer in el.iterancestors("p", "li")), None)
        if note is None or note in blocks or any(a in markers for a in note.iter("a") if a is not el):
            continue
        parent = note.getparent()
        if note.tag == "li" and parent is not None and parent.tag in ("ol", "ul"):
            lists.setdefault(parent, []).append(note)
        elif note.tag == "p":
            blocks.append(note)
    for notes, items in lists.items():
        if notes.getparent() is None:
            continue
        for item in items:
            notes.addprevious(_note_paragraph(item, returns))
        notes.drop_tree()
    for note in blocks:
        if note.getparent() is not None:
            paragraph = _note_paragraph(note, returns)
            paragraph.tail = note.tail
            note.getparent().replace(note, paragraph)


def _in_sup(el) -> bool:
    return any(outer.tag == "sup" for outer in el.iterancestors())


def _note_paragraph(note, returns: set[str]):
    """A paragraph of ``note``'s text, its links back to the text (to ``returns``) dropped but for
    the note's number ("[1]"); the words of its other links stay ("xem lại đầu trang")."""
    for link in [a for a in note.iter("a") if a.get("href", "").startswith("#")]:
        if link.get("href")[1:] in returns and not any(c.isdigit() for c in link.text_content()):
            link.drop_tree()
        else:
            link.drop_tag()
    paragraph = lxml.html.Element("p")
    paragraph.text = _clean(note.text_content())
    return paragraph


# The photographer's credit a caption ends with: "… Ảnh: Đức Anh", "… (Ảnh: TTXVN)".
_PHOTO_CREDIT_END = re.compile(r"\s*[(\[]?\s*ảnh\s*:[^()\[\]]*[)\]]?\s*$", re.I)


def _caption_to_paragraph(caption, text: str) -> None:
    """Set ``caption`` as a paragraph in place of the picture block it closes (its figure, or a
    table holding nothing but the picture and it), where trafilatura reads it as one."""
    block, size = caption, _chars(caption)
    for outer in caption.iterancestors():
        if outer.tag not in ("figure", "table", "tbody", "tr", "td") or _chars(outer) != size:
            break
        block = outer
    paragraph = lxml.html.Element("p")
    paragraph.text, paragraph.tail = text, block.tail
    block.getparent().replace(block, paragraph)


def _comments(heading) -> list:
    """The reader comments under ``heading``: its container, or what follows it in the article's.
    A link to them ("Bình luận (2)" beside the article) heads nothing."""
    parent = heading.getparent()
    if _is_link_line(heading):
        return [heading]
    if _body_paragraphs(parent) <= 1:
        return [parent]
    return [heading, *heading.itersiblings()]


def _related_box(heading) -> list:
    """The related box under ``heading``: its container when that holds only the box's links,
    else the heading and the items after it, when they list links. A heading is no more than a
    line when nothing follows it: one short link line ("Đọc thêm" to the attachment of a notice)
    never takes the container that holds the article's text."""
    parent = heading.getparent()
    if _body_paragraphs(parent) <= 1 and _is_link_list(parent, heading):
        return [parent]
    items = list(_box_items(heading))
    if any(item.tag == "a" or item.find(".//a") is not None for item in items):
        return [heading, *items]
    return [heading]


def _is_link_line(el) -> bool:
    """A line that is one link, not a heading: "Bình luận (2)" in a share bar."""
    if el.tag in ("h2", "h3", "h4", "h5", "h6"):
        return False
    return _chars(el) == sum(_chars(a) for a in el.iter("a"))


def _is_link_list(box, heading) -> bool:
    """Whether ``box`` holds, besides ``heading``, links and little else: no prose."""
    own = set(heading.iter())
    links = sum(_chars(a) for a in box.iter("a") if a not in own)
    return links > 0 and links * 2 >= _chars(box) - _chars(heading)


def _text(el) -> str:
    """``el.text_content()``, the same libxml2 reading of its text, without the XPath evaluation
    around it that cost twice the reading: every container of the page is read for boilerplate."""
    return lxml.etree.tostring(el, method="text", encoding=str, with_tail=False)


def _chars(el) -> int:
    return len("".join(_text(el).split()))


# The site asking to be followed on its channels: "Quan tâm Zalo OA của chúng tôi để nhận tin mới
# nhất", "Theo dõi chúng tôi trên Facebook", "Follow us" (folded). It opens with the call, where an
# article's sentence about a channel ("Người dân có thể quan tâm Zalo OA …") does not, and speaks
# in the first person: "Theo dõi kênh Zalo của Công an tỉnh để nhận tin" is an agency's channel,
# which an article tells its readers of.
_FOLLOW_CALL = re.compile(r"(?:(?:hay|moi ban doc|moi ban|moi quy doc gia)\s+)?(?:quan tam|theo doi|dang ky|follow|ket noi)\b")
_FOLLOW_CHANNEL = re.compile(r"\b(?:zalo|fanpage|facebook|youtube|tiktok|google news|kenh)\b")
_FOLLOW_US = re.compile(r"\b(?:chung toi|cua minh|us)\b")
# The longest follow-us line, in characters.
_FOLLOW_CHARS = 150
# What a follow-us box holds besides its line: a "Quan tâm" button, a QR code.
_BUTTON_CHARS = 20


def _follow_boxes(tree, text_of):
    """The site's own follow-us lines, each with its small box when the box holds only the line
    and a button: never a container that holds other paragraphs, the article's among them.
    ``text_of``: an element's text."""
    for el in tree.iter("div", "p", "section"):
        if not _is_follow_us(text_of(el)) or any(
            not _is_follow_us(text_of(block)) for block in el.iterdescendants("div", "p", "section")
        ):
            continue
        parent = el.getparent()
        yield parent if parent is not None and _holds_only(parent, el) else el


def _is_follow_us(text: str | None) -> bool:
    text = text or ""
    # Measured before folding: every container of the page is asked, the whole body among them,
    # whose words are not split out: past 75 of them a text is longer, however it is spaced.
    if len(text) > _FOLLOW_CHARS and len(text.split(None, _FOLLOW_CHARS // 2)) > _FOLLOW_CHARS // 2:
        return False
    text = " ".join(text.split())
    if not 0 < len(text) <= _FOLLOW_CHARS:
        return False
    text = fold(text)
    return (
        _FOLLOW_CALL.match(text) is not None
        and _FOLLOW_CHANNEL.search(text) is not None
        and _FOLLOW_US.search(text) is not None
    )


def _holds_only(box, line) -> bool:
    """Whether ``box`` holds ``line`` and at most a button: no paragraph of its own."""
    own = set(line.iter())
    if box.tag in ("body", "html") or any(
        p not in own and (p.text_content() or "").strip() for p in box.iterdescendants("p")
    ):
        return False
    rest = len((box.text_content() or "").strip()) - len((line.text_content() or "").strip())
    return rest <= _BUTTON_CHARS


# [@class] first: translate() of a missing class, on every element of the page, tripled its cost.
_CAPTION_CLASS = lxml.etree.XPath(
    "//*[@class][contains(translate(@class, 'CAPTION', 'caption'), 'caption') or contains(@class, 'image_desc')"
    " or contains(@class, 'img_desc') or contains(@class, 'image-desc') or contains(@class, 'img-desc')]"
)
# ">> Xem thêm: <link>", "Đọc thêm:", "Tin liên quan:" lines between the paragraphs (folded).
_SEE_ALSO = re.compile(r"[>»\s\-–]*(?:xem them|doc them|tin lien quan|bai lien quan)\b")
_PHOTO_NOTE = re.compile(r"\(anh\b|\banh:")


def _is_centred_caption(el, folded: str) -> bool:
    """A centred line all in italics under a picture, or saying it is one ("(Ảnh minh họa)")."""
    if "center" not in (el.get("style") or "") or (el.text or "").strip() or not len(el):
        return False
    if not all(c.tag in ("em", "i", "img", "br") and not (c.tail or "").strip() for c in el):
        return False
    if not any(c.tag in ("em", "i") for c in el):
        return False
    if _PHOTO_NOTE.search(folded) or el.find("img") is not None:
        return True
    previous = el.getprevious()
    return (
        previous is not None
        and isinstance(previous.tag, str)
        and (previous.tag == "img" or previous.find(".//img") is not None)
        and not (previous.text_content() or "").strip()
    )


def _box_items(heading):
    """What follows a box heading up to the article's next paragraph of prose.

    Some CMSs put the box heading and its list straight into the article container, above the
    text: the paragraphs after the list are the article, not the box."""
    for sibling in heading.itersiblings():
        if sibling.tag == "p":
            text = (sibling.text_content() or "").strip()
            links = sum(len((a.text_content() or "").strip()) for a in sibling.iter("a"))
            if text and links * 2 < len(text):
                return
        yield sibling


def _is_signature(line: str) -> bool:
    """A closing byline: "Thu Trang", "PV", "Hoàng Anh - Thu Hà", "Cổng TTĐT tỉnh Nghệ An - Lê Thu";
    never a list item or a table row, which a list of the people an article names ends with."""
    line = line.strip()
    if not line or len(line) > 80 or line[-1] in ".!?:;…\"”" or line.startswith(("- ", "|")):
        return False
    # A team ("Nhóm PV") names no one author, but signs the article all the same.
    return bool(clean_authors(line)) or _TEAM.fullmatch(fold(line)) is not None


_TEAM = re.compile(r"nhom (?:pv|phong vien|bien tap vien|tac gia|thuc hien)")


def _ends_a_list_of_names(lines: list[str]) -> bool:
    """Whether the names closing ``lines`` follow a line that announces them ("Danh sách cá nhân
    được khen thưởng gồm:"): the people the article lists, one a line, not its signature. One name
    after such a line ("Thông tin chi tiết xem tại:") is still a signature."""
    index = len(lines) - 1
    while index >= 0 and _is_signature(lines[index]):
        index -= 1
    return len(lines) - 1 - index >= 2 and index >= 0 and lines[index].rstrip().endswith(":")


# "Theo Báo Nghệ An", "Nguồn: TTXVN" (folded): the source's name follows.
_CREDIT = re.compile(r"(?:theo|nguon)\s*:?\s+(?=\w)")
# "Ảnh: …", "Video: …", "Thiết kế: …", "Thực hiện: …" (folded).
_MEDIA_CREDIT = re.compile(
    r"(?:anh|video|clip|do hoa|infographic|thiet ke|trinh bay|quay phim|dung phim|thuc hien)\s*:\s*(?=\w)"
)
_CREDIT_WORD = re.compile(r"^\w+\s*:?\s*")
# A source named by its site: "Theo baochinhphu.vn", "Nguồn: chinhphu.vn".
_SITE_NAME = re.compile(r"[\w-]+(?:\.[\w-]+)*\.(?:vn|com|net|org|info)", re.I)


def _credit_line(line: str) -> str | None:
    """The line without its brackets, when it is short enough and unpunctuated to be a credit."""
    line = nfc(line.strip())
    if line.startswith("(") and line.endswith(")"):
        line = line[1:-1].strip()
    if not line or len(line) > 80 or line[-1] in ".!?:;…\"”":
        return None
    return line


def _is_media_credit(line: str) -> bool:
    """A closing credit for the article's pictures, video or production: "Ảnh: Trọng Nghĩa",
    "Thiết kế: Quang Huy", "Thực hiện: Trung tâm Văn hóa huyện"; not one that names the writers
    ("Thực hiện: Thu Hà - Lê Minh", their byline), nor a sentence that begins so ("Thực hiện: Từ
    tháng 3/2025 đến …", "Clip: Người dân xếp hàng từ 5h sáng")."""
    line = _credit_line(line)
    if line is None or not _MEDIA_CREDIT.match(fold(line)):
        return False
    credited = line.partition(":")[2].strip()
    return credited[:1].isupper() and not any(c.isdigit() for c in credited) and not clean_authors(line)


def _is_credit(line: str) -> bool:
    """A closing credit for a story taken from elsewhere: "Theo Báo Nghệ An", "(Theo TTXVN)",
    "Nguồn: chinhphu.vn", "Theo Kinh tế & Đời sống"; not the opening of a sentence ("Theo kế hoạch,
    …") nor a document ("Theo Quyết định số 93/QĐ-STTTT")."""
    line = _credit_line(line)
    if line is None:
        return False
    folded = fold(line)
    if len(line) > 60 or "," in line or "/" in line or not _CREDIT.match(folded):
        return False
    source = _CREDIT_WORD.sub("", line)
    return source[0].isupper() or _SITE_NAME.fullmatch(source) is not None


def _is_date_line(line: str, *, reference: datetime | None = None, timed: bool = False) -> bool:
    """A short line that is a date stamp ("Thứ Hai, 08/04/2021 14:30 (GMT+7)", "Ngày đăng
    14/05/2025 | 14:30 | Lượt xem: 4780", "10/07/2024 08:00 - TTXVN"), not prose: not a sentence
    ("Hạn chót: 30/6/2024."), a table row ("| Huyện | 21 | Tháng 7/2024 |"), a list item ("- Đợt
    2: 30/8/2024"), a span of time ("Từ 1/7/2024 đến 31/12/2024") or a time the article gives
    ("Hạn nộp hồ sơ: 17h00 ngày 30/7/2024"). ``reference``: when the page was seen, as for its
    other dates. ``timed``: only a stamp that gives a time of day or says it is the page's
    (posted, updated)."""
    line = line.strip()
    if len(line) > 80 or line.startswith(("|", "- ")) or line.endswith((".", "!", "?", ";")):
        return False
    found = find_dates(line, reference=reference)
    if not found or timed and not any(date.has_time or date.kind for date in found):
        return False
    rest = line
    for date in found:
        rest = rest.replace(date.text, " ")
    rest = _SITE_NAME.sub(" ", rest)
    # A source's name is in capitals ("TTXVN", "Báo Nghệ An"); the words of a label are not.
    names = {fold(word) for word in re.findall(r"\w+", rest) if word[0].isupper()}
    folded = _VIEW_COUNTER.sub(" ", fold(rest))
    words = re.findall(r"\w+", folded)
    labels = [word for label in _LABEL.findall(folded) for word in label.split()]
    return (
        len(words) <= 4
        and "den" not in words
        and all(word in _STAMP_WORDS or word in names or word.isdigit() for word in words)
        and all(word in _STAMP_WORDS for word in labels)
    )


# The words of a date stamp around its dates (folded): the weekday, "Ngày đăng", "Cập nhật lúc",
# "Xuất bản", "GMT+7", "Nguồn" before the source's name.
_STAMP_WORDS = frozenset(
    "thu hai ba tu nam sau bay chu nhat cn ngay thang gio phut luc sang trua chieu toi dem "
    "dang tai cap xuat ban sua gmt utc ict am pm nguon theo posted updated published on at".split()
)
# The words before a colon: "Cập nhật:" in a stamp, "Hạn nộp hồ sơ:" in the article.
_LABEL = re.compile(r"(\w+(?:[ \t]+\w+)*)[ \t]*:")


# "Lượt xem: 1.849", "Số lượt xem 4780", "1.849 lượt đọc", "Views: 120", "16 bình luận" (folded).
_VIEW_COUNTER = re.compile(
    r"\b(?:(?:(?:so )?luot (?:xem|doc)|da xem|views?|binh luan)\s*:?\s*\(?\d[\d.,]*\)?"
    r"|\d[\d.,]*\s*(?:luot (?:xem|doc)|views?|binh luan|comments?)\b)"
)


def _is_view_counter(line: str) -> bool:
    return len(line) <= 40 and _VIEW_COUNTER.fullmatch(" ".join(fold(line).split())) is not None


def _is_furniture(line: str, boxes: set[str]) -> bool:
    """A line of the page's own date line or byline box, or a view counter: never prose."""
    return _squeezed(line) in boxes or _is_view_counter(line)


def _squeezed(text: str) -> str:
    """``text`` without its whitespace: trafilatura and lxml space a line's inline parts apart
    differently."""
    return "".join(nfc(text).split())


def _body_paragraphs(el) -> int:
    return sum(1 for p in el.iter("p") if len((p.text_content() or "").strip()) > 100)


# A keywords meta tag holds a list in one attribute ("Zalo OA, Hà Nội; Kế hoạch 174/KH-UBND"),
# which trafilatura keeps as one tag. A comma between digits is a Vietnamese decimal ("1,5 tỷ").
_TAG_SEPARATOR = re.compile(r"\s*;\s*|\s*,(?!\d)\s*|(?<!\d)\s*,\s*")


def _tags(values) -> list[str]:
    tags = (_clean(tag) for value in values if value for tag in _TAG_SEPARATOR.split(str(value)))
    return list(dict.fromkeys(tag for tag in tags if tag))


def _clean(value) -> str | None:
    if not value:
        return None
    value = " ".join(nfc(str(value)).split())
    return value or None


def _finish(record: dict, text: str) -> dict:
    lines = [nfc(line).strip() for line in text.splitlines()]
    text = "\n".join(line for line in lines if line and not _IMAGE_FILE_LINE.match(line))
    record["text"] = text
    record["word_count"] = len(text.split())
    record["text_hash"] = text_hash(text)
    return record
