"""The reading room: home page, search with facets, attention over time, article pages, diffs.

Every page asks the database which tables exist when the request comes in, so the sections
fed by ``doc_refs``, ``mentions`` and ``article_versions`` (and the "also published by" list
fed by a ``cluster_id``/``syndication`` column) appear as soon as the archive has them.

Archived text is escaped everywhere: templates autoescape, and the only markup in results,
the search highlights, comes from archive.search.html_snippet, which escapes the text before
it inserts ``<mark>``. Raw archived pages are served only by archive_downloads' sandboxed route.
"""

import asyncio
import base64
import binascii
import csv
import difflib
import hmac
import io
import json
import os
import re
import sqlite3
import unicodedata
import weakref
from collections import Counter
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import cached_property, wraps
from datetime import datetime
from urllib.parse import urlencode, urlsplit

from datasette import hookimpl
from datasette.database import Database, QueryInterrupted, Results
from datasette.utils import sqlite_timelimit
from datasette.utils.asgi import AsgiStream, NotFound, Response
from markupsafe import Markup

from archive.captures import CaptureMissing, read_capture
from archive.carryover import successor
from archive.db import applied_at, recorded_since
from archive.docrefs import READ_BEFORE_ISSUERS_SQL
from archive.filters import (
    AGENCY_IDS, BY_PARAM, PLATFORM_IDS, REF_IDS, REF_IDS_ANY_ISSUER, REF_SPELLINGS, REF_UNPADDED, archived_value,
    case_key, ref_key, ref_value, split_ref_value, typed,
)
from archive.fixity import text_altered
from archive.history import History
from archive.locks import LocksUnusable
from archive.search import (
    EARLIER_VERSION_FIELDS, EarlierVersions, Note, as_phrase, earlier_versions, floor_sql, html_snippet, parse_query,
    snippet, with_filters,
)
from archive.serve import FOLDED_INDEX, PUBLIC_URL_ENV, configured_search_limit, filter_word_kinds
from archive.sources import EXTRACTION_CHANGES, extraction_changed
from archive.ingest import RECHECKED_STAT
from archive.stats import REASON_NAMED_WITH, as_it_stands, ended, reached_max_pages
from archive.vietnamese import VN_TZ, collation_key, fold, nfc
from archive.warc import RecordUnreadable

PAGE_SIZE = 20
# A page number past this is past the end of any result set; below it the offset fits SQLite's
# integers. Only the offset is clamped: the page says which page the reader asked for.
MAX_PAGE = 10**9
FACET_SIZE = 12
LATEST_ON_HOME = 10
EXPORT_BATCH = 200
# A download's queries may take this many times the pages' SQL time limit (60 s for 3 s).
DOWNLOAD_TIME_FACTOR = 20
SNIPPET_WORDS = 32
# Highlighting a whole title goes through the snippet function with a window no title fills.
TITLE_WORDS = 1000
# bm25 weights for title, description, text, as in archive.search: the title says most.
BM25_WEIGHTS = "10.0, 4.0, 1.0, 0.0"  # title, description, text; the filters column never counts
SYNDICATION_COLUMNS = ("cluster_id", "syndication")
# Counts group their digits with a narrow no-break space, as ISO 80000 writes them: in Vietnamese
# the comma is the decimal mark ("1,155" is one and a bit) and the point groups ("420.000"), in
# English the reverse; "1 155" reads the same in both halves of a bilingual page.
DIGIT_GROUP = "\u202f"
PASSWORD_ENV = "GOVARCHIVE_PASSWORD"

PAGE_HEADERS = {
    # The reading room runs no script: should archived markup ever slip past escaping, the
    # browser still refuses to execute it.
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}

EXPORT_COLUMNS = (
    "id", "title", "source_id", "source_name", "published", "updated", "author", "url",
    "archive_url", "first_seen", "last_seen", "description", "text",
    # What the page filters on, as /-/article/<id>.json gives it; after the columns downloads
    # have always had, so that a CSV read by column position still reads.
    "published_month", "refs", "agencies", "channels", "categories", "tags",
)
EXPORT_LISTS = ("refs", "agencies", "channels", "categories", "tags")
# A list in one CSV cell: a reader sees its items, which a JSON array in a spreadsheet hides.
CSV_LIST_SEPARATOR = "; "


def _db(datasette):
    return datasette.get_database()


async def _rows(db, sql, params=None):
    return [dict(r) for r in (await db.execute(sql, params or {})).rows]


async def _existing(db, names):
    return {name for name in names if await db.table_exists(name)}


def absolute_url(datasette, request, path: str) -> str:
    """``path`` (a datasette.urls.path, so under datasette's base_url) as a full URL: under
    GOVARCHIVE_PUBLIC_URL when it is set, else the request's own scheme and host."""
    public = os.environ.get(PUBLIC_URL_ENV, "").strip().rstrip("/")
    return public + path if public else datasette.absolute_url(request, path)


async def _render(datasette, request, template, context, status=200):
    context = {"database": _db(datasette).name, **context}
    body = await datasette.render_template(template, context, request=request)
    return Response.html(body, status=status, headers=dict(PAGE_HEADERS))


async def error_page(datasette, request, message_vi, message_en, *, status=404, detail=None, link=None):
    """The reading room's error page, in both languages (archive_downloads' routes use it too):
    ``detail`` is the technical reason, ``link`` a (url, label_vi, label_en) to go on with."""
    context = {"message_vi": message_vi, "message_en": message_en, "detail": detail, "link": link}
    return await _render(datasette, request, "reading_error.html", context, status=status)


async def not_found(datasette, request, message_vi, message_en):
    return await error_page(datasette, request, message_vi, message_en)


# The reading room and its downloads only read: a request to change something is refused as such
# (a client told 200 would take it for done), not answered as though it had asked to read.
READ_METHODS = ("GET", "HEAD")


def read_only(view):
    """``view`` as a route answering GET and HEAD, and any other method with a 405 naming them."""
    @wraps(view)
    async def route(datasette, request):
        if request.method in READ_METHODS:
            return await view(datasette, request)
        allow = {"Allow": ", ".join(READ_METHODS)}
        if request.path.endswith(".json"):
            return Response.json({"ok": False, "error": "Method not allowed", "status": 405}, status=405,
                                 headers=allow)
        response = await error_page(datasette, request, "Trang này chỉ để đọc", "This page can only be read",
                                    status=405, detail=f"{request.method} is not allowed; use GET")
        response.headers.update(allow)
        return response

    return route


# SQLite's integers are 64-bit: a longer id in a URL names no row, rather than an error.
MAX_ROW_ID = 2**63 - 1


def row_id(value: str) -> int | None:
    """A row id from a URL, or None when ``value`` cannot be one ("abc", "0x1", 20 digits)."""
    if not (value.isascii() and value.isdigit()):
        return None
    # Measured before int(), which refuses strings of over 4,300 digits with a ValueError.
    digits = value.lstrip("0") or "0"
    if len(digits) > len(str(MAX_ROW_ID)):
        return None
    number = int(digits)
    return number if number <= MAX_ROW_ID else None


# Search ------------------------------------------------------------------------------------------


def _result_snippet(row: dict, search, mark) -> str:
    """What a result shows under its title (and the row's text, popped: it is not sent on):
    the words around the matches, marked by ``mark``, when ranked; otherwise the sapo."""
    text = row.pop("text") or row["description"] or ""
    if search.ranked:
        return mark(text, search.query, words=SNIPPET_WORDS)
    return _shorten(row["description"] or text)


def _shorten(text: str | None, limit: int = 280) -> str:
    text = " ".join((text or "").split())
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + " …"


@dataclass(frozen=True)
class Facet:
    param: str
    vi: str
    en: str
    table: str | None  # the table the facet draws on; the facet exists only when it does
    where: str  # restricts articles ``a`` to those with :value
    counts: str  # value, label, n over the articles in ``matches`` (ids only)
    values: str  # every value the archive holds, as ``value``
    order: str = "n desc, value"
    # How a value typed in a URL that the archive does not hold is compared with each it does
    # (None: it is not); and how it is written the archive's way before it is looked up.
    key: Callable[[str], str] | None = case_key
    spelled: Callable[[str], str] | None = None
    # A many-valued facet's articles with :value, as ``article_id``, from an index that holds
    # them in id order after the value; None for a column of the articles.
    ids: str | None = None
    # Tables ``counts`` reads besides ``matches``, as more of its WITH clause (", name as (…)").
    ctes: str = ""


def _filter_key(facet: Facet, value: str) -> str:
    """What a value typed for the facet stands for: two spellings of one value (a document's
    dashes, a month's zero) repeated in a URL are the one value applied, none left out."""
    value = facet.spelled(value) if facet.spelled else value
    return (facet.key or case_key)(value)


def _filter_facet(param: str, vi: str, en: str, table: str | None, counts: str, **kwargs) -> Facet:
    """A facet on one of archive.filters' filters: which articles a value selects, and how a
    typed value is matched, as ``govarchive export`` selects and matches them."""
    f = BY_PARAM[param]
    return Facet(param, vi, en, table, f.where, counts, values=f.values, key=f.key, spelled=f.spelled, **kwargs)


FACETS = (
    Facet(
        "source", "Nguồn", "Source", None,
        "a.source_id = :{p}",
        "",  # summed from the chart's counts: _grid_facet
        values="select id as value from sources",
    ),
    _filter_facet(
        "month", "Tháng", "Month", None,
        "",  # summed from the chart's counts: _grid_facet
        order="value desc",
    ),
    _filter_facet(
        "ref", "Văn bản", "Document", "doc_refs",
        # One row for a number however many leading zeros it has on the pages, the filter its
        # value gives selecting them all (REF_IDS), named as most of its articles write it
        # (SQLite's max() gives its row's other columns), with the issuers its citations name
        # (``issuers``: [issuing body or null, articles] pairs, most cited first): one number
        # is as many documents as bodies issued it. The citations are read once.
        f"""select spelled.value, spelled.value as label, counted.n, bodies.issuers from
           (select ref as value, unpadded, max(k) from
              (select ref, unpadded, count(distinct article_id) as k from cited group by ref)
            group by unpadded) as spelled
           join (select unpadded, count(distinct article_id) as n from cited group by unpadded) as counted
           using (unpadded)
           join (select unpadded, json_group_array(json_array(issuing_body, k)) as issuers from
                   (select unpadded, issuing_body, count(distinct article_id) as k from cited
                    group by unpadded, issuing_body order by k desc, issuing_body is null)
                 group by unpadded) as bodies
           using (unpadded)""",
        ids=REF_IDS,
        ctes=f""", cited as materialized (
            select ref, {REF_UNPADDED.format(r="ref")} as unpadded, issuing_body, article_id
            from doc_refs where article_id in (select id from matches))""",
    ),
    _filter_facet(
        "platform", "Kênh", "Channel", "mentions",
        """select platform as value, platform as label, count(distinct article_id) as n
           from mentions where platform is not null and article_id in (select id from matches)
           group by platform""",
        ids=PLATFORM_IDS,
    ),
    _filter_facet(
        "agency", "Cơ quan", "Agency", "mentions",
        """select name as value, name as label, count(distinct article_id) as n
           from mentions where kind = 'agency' and article_id in (select id from matches)
           group by name""",
        ids=AGENCY_IDS,
    ),
)


# The document facet of an archive read as it is before m025 (read-only storage): its references
# have no issuing_body, and a value naming an issuer selects every citation of the number.
REF_FACET_ANY_ISSUER = next(
    replace(f, where=f"a.id in ({REF_IDS_ANY_ISSUER})", ids=REF_IDS_ANY_ISSUER,
            ctes=f.ctes.replace("issuing_body, article_id", "null as issuing_body, article_id"))
    for f in FACETS if f.param == "ref"
)


async def _issuers_recorded(db) -> bool:
    """Whether the archive's document references carry their issuing body (m025)."""
    return "issuing_body" in await db.table_columns("doc_refs")


async def _as_archived(db, facet: Facet, value: str) -> str | None:
    """A filter value as the archive writes it, or None when the archive has none such
    (archive.filters.archived_value); a month typed 2024-6 or 06/2024 has been written the
    archive's way by ``facet.spelled``."""
    return await db.execute_fn(lambda conn: archived_value(conn, facet.values, facet.key, value))


# Values a repeated filter's note names; the count of the others follows.
NOTED_VALUES = 5


def _no_such_value_note(facet: Facet, value: str) -> Note:
    # The filter is still applied, and matches nothing: the note says why the page is empty.
    return Note(f"Kho lưu trữ không có {facet.vi.lower()} «{value}»",
                f"The archive has no {facet.en.lower()} «{value}»")


def _renamed_note(old: str, new: str, when: str) -> Note:
    return Note(f"Nguồn «{old}» nay là «{new}» (chuyển sang {_at(when, 'lúc', 'ngày')}): hiển thị các bài viết của «{new}»",
                f"Source «{old}» is now «{new}» (carried over {_at(when, 'at', 'on')}): showing «{new}»'s articles")


def _one_value_note(facet: Facet, values: list[str]) -> Note:
    # The search indexes hold one filter word per facet (archive.search.with_filters), and the
    # facets, chips and links select one value each: a repeated filter can only come from a
    # URL edited by hand, and says what it left out rather than combining the values.
    shown = values[1:1 + NOTED_VALUES]
    more = len(values) - 1 - len(shown)
    used = values[0]
    rest = ", ".join(f"«{v}»" for v in shown) + (f" (+{more})" if more else "")
    return Note(f"Mỗi bộ lọc chỉ dùng một giá trị: {facet.vi.lower()} «{used}», bỏ qua {rest}",
                f"One value per filter: {facet.en.lower()} «{used}» is applied, {rest} left out")


@dataclass
class Search:
    """A query with its filters, as it arrived in the URL, turned into SQL over ``articles``.

    The query is parsed by archive.search, as ``govarchive search`` parses it: matched against
    the folded index (accents and đ ignored), with articles that also match the accents as
    typed ranked first. An archive not yet migrated to the folded index is searched through
    ``articles_fts`` alone.

    With a ``limit``, ``bound`` counts the matches only up to it: when more match, ``floor`` is
    the id of the ``limit``-th most recently archived one and the page, its facets and count
    cover those ``limit`` articles (the page says "more than"), so the time a search takes does
    not grow with the archive. Without one (exports) every match counts. A list without words
    keeps the ids it counted (``ids``): its page, chart and facets read those articles alone.
    """

    q: str
    sort: str
    page: int
    facets: list[Facet]
    index: str
    filters: dict[str, str] = field(default_factory=dict)
    limit: int | None = None
    floor: int | None = None
    count: int | None = None  # set by bound(): the matches, or ``limit`` when there are more
    ids: str | None = None  # set by bound() for a list without words: the articles counted, a JSON array
    # The facet params whose filters a text search applies as words in the FTS5 query (the
    # folded index's filters column), not as SQL over the articles.
    word_filters: tuple[str, ...] = ()
    filter_notes: tuple[Note, ...] = ()
    expanded: str | None = None  # the facet shown with all its values, not only the first FACET_SIZE
    names_recorded: bool = False  # whether crawls record the source's name (publisher())
    issuers_recorded: bool = False  # whether document references carry their issuing body (m025)

    @classmethod
    async def from_request(cls, db, request, limit: int | None = None) -> "Search":
        args = request.args
        tables = await _existing(db, {f.table for f in FACETS if f.table} | {FOLDED_INDEX})
        facets = [f for f in FACETS if f.table is None or f.table in tables]
        issuers = "doc_refs" in tables and await _issuers_recorded(db)
        if not issuers:
            facets = [REF_FACET_ANY_ISSUER if f.param == "ref" else f for f in facets]
        q = typed(args.get("q"))
        sort = args.get("sort") or ""
        # Without words there is no relevance to sort by: such a list is newest first.
        if sort not in ("relevance", "newest", "oldest") or (sort == "relevance" and not q):
            sort = "relevance" if q else "newest"
        try:
            page = max(1, int(args.get("page") or 1))
        except ValueError:
            page = 1
        filters, notes = {}, []
        for facet in facets:
            given = list(dict.fromkeys(value for value in map(typed, args.getlist(facet.param)) if value))
            if not given:
                continue
            # Only the value applied is looked up: a URL may repeat a filter any number of times.
            wanted = facet.spelled(given[0]) if facet.spelled else given[0]
            applied = await _as_archived(db, facet, wanted)
            renamed = None
            if applied is None and facet.param == "source":
                renamed = await db.execute_fn(lambda conn: successor(conn, wanted))
            if renamed is not None:
                # A link or bookmark of the id before a rename or merger finds its articles where they are.
                applied = renamed[0]
                notes.append(_renamed_note(wanted, *renamed))
            elif applied is None:
                applied = wanted
                notes.append(_no_such_value_note(facet, given[0]))
            filters[facet.param] = applied
            left_out = [value for value in given[1:] if _filter_key(facet, value) != _filter_key(facet, applied)]
            if left_out:
                notes.append(_one_value_note(facet, [applied, *left_out]))
        index = FOLDED_INDEX if FOLDED_INDEX in tables else "articles_fts"
        # Facet params are with_filters() keywords: those the indexes hold words for go in the query.
        words = await filter_word_kinds(db) if index == FOLDED_INDEX else ()
        return cls(q=q, sort=sort, page=page, facets=facets, index=index, filters=filters, limit=limit,
                   word_filters=words, filter_notes=tuple(notes),
                   expanded=next((f.param for f in facets if f.param == args.get("all")), None),
                   names_recorded=await _names_recorded(db), issuers_recorded=issuers)

    def sql_filters(self) -> list[str]:
        """The filters, as conditions on the articles ``a``, that the FTS5 query does not apply."""
        in_query = self.word_filters if self.ranked else ()
        return [f.where.format(p=f"f_{f.param}") for f in self.facets
                if f.param in self.filters and (f.param not in in_query or self._issuer_named(f.param))]

    def _issuer_named(self, param: str) -> bool:
        """Whether the filter ``param`` is a document filter naming its issuer, which the search
        indexes' words (the document alone) do not hold: that part is checked in SQL."""
        return param == "ref" and self.issuers_recorded and split_ref_value(self.filters[param])[1] is not None

    def _filter_word(self, param: str) -> str | None:
        """The filter ``param``'s value as the search indexes hold it: a document without its issuer."""
        value = self.filters.get(param)
        return split_ref_value(value)[0] if param == "ref" and value else value

    def filter_words(self) -> dict[str, str | None]:
        """The filters the search indexes hold words for, as with_filters() keywords."""
        return {p: self._filter_word(p) for p in self.word_filters}

    @property
    def more(self) -> bool:
        """More articles match than were counted and ranked."""
        return self.floor is not None

    async def without(self, db, param: str) -> "Search":
        """This search less its ``param`` filter, counted and bounded as this one is."""
        others = replace(self, filters={k: v for k, v in self.filters.items() if k != param},
                         floor=None, count=None, ids=None)
        await others.bound(db)
        return others

    async def bound(self, db) -> None:
        if self.limit is None:
            return
        if not self.ranked:
            await self._bound_list(db)
            return
        filters = "".join(f" and {clause}" for clause in self.sql_filters())
        # The ids it reads, kept: the chart's and facets' counts then read no index again (a
        # filtered match is 4–5 ms on a million articles, and a page counts four).
        sql = floor_sql(self.index, where=filters, ids=True)
        row = (await _rows(db, sql, {**self.params(), "limit": self.limit}))[0]
        self.count = min(row["n"], self.limit)
        self.floor = row["floor"] if row["n"] > self.limit else None
        self.ids = row["ids"]

    async def _bound_list(self, db) -> None:
        if self.q:
            # Typed something, but nothing searchable (only punctuation): nothing matches.
            self.count = 0
            return
        # The ids are gathered by SQLite into one string: thousands of rows made Python objects
        # would bring on a garbage collection of the whole server every few pages (25 ms).
        sql = f"""with newest as materialized ({self.newest_sql()} limit :limit + 1),
                       floor as (select id from newest order by id desc limit 1 offset :limit - 1)
                  select (select count(*) from newest) as n, (select id from floor) as floor,
                         (select json_group_array(id) from newest
                          where id >= coalesce((select id from floor), id)) as ids"""
        row = (await _rows(db, sql, {**self.params(), "limit": self.limit}))[0]
        self.ids = row["ids"]
        self.count = min(row["n"], self.limit)
        self.floor = row["floor"] if row["n"] > self.limit else None

    def newest_sql(self) -> str:
        """The ids of the articles a list without words matches, newest first.

        A channel, agency or document filter is read backwards along its index, so the scan stops
        at the limit; with a source or month filter the source's or month's articles are read
        instead. Either way the other filters are looked up in their indexes article by article:
        ``a.id in (…)`` would first list every article with the value (300,000 of a million for
        a common channel, 45 ms a query)."""
        chosen = [f for f in self.facets if f.param in self.filters]
        columns = [f.where.format(p=f"f_{f.param}") for f in chosen if not f.ids]
        lists = [f.ids.format(p=f"f_{f.param}") for f in chosen if f.ids]
        if lists and not columns:
            first, *others = lists
            where = " and ".join(f"exists ({ids} and article_id = d.article_id)" for ids in others) or "1"
            return f"select distinct d.article_id as id from ({first}) d where {where} order by d.article_id desc"
        where = " and ".join(columns + [f"exists ({ids} and article_id = a.id)" for ids in lists]) or "1"
        return f"select a.id from articles a where {where} order by a.id desc"

    @cached_property
    def query(self):
        return parse_query(self.q)

    @property
    def ranked(self) -> bool:
        return bool(self.query)

    @cached_property
    def together(self) -> str | None:
        """The query quoted as one phrase, when it is words typed one after another: it finds
        the articles with the words anywhere, the quoted one only those with them together."""
        return as_phrase(self.q) if self.ranked else None

    async def together_count(self, db) -> int | None:
        """How many of the matches have the words together (``together``), when the count is
        exact: past the limit, of "more than" it would say nothing a reader could check."""
        if not self.together or self.more or self.limit is None:
            return None
        phrased = replace(self, q=self.together, floor=None, count=None, ids=None)
        await phrased.bound(db)
        return phrased.count

    @property
    def notes(self) -> tuple[Note, ...]:
        """What the query and filters could not honour, a query of nothing searchable (``...``)
        included."""
        return self.query.notes + self.filter_notes

    def filter_params(self) -> dict:
        """The values sql_filters() names, by their parameter names."""
        return {f"f_{name}": value for name, value in self.filters.items()}

    def params(self) -> dict:
        values = self.filter_params()
        if self.ranked:
            query = self.query
            words = self.filter_words()
            if self.index != FOLDED_INDEX:
                values["match"] = query.exact
            else:
                values["match"] = with_filters(query.folded, **words)
            values["accented"] = with_filters(query.accented, column=False, **words)
            if query.phrase and self.index == FOLDED_INDEX:
                # With the filter words, FTS5 checks the phrase only where the filter holds: a
                # filtered search's candidates reach back much further than an unfiltered one's.
                values["phrase"] = with_filters(query.phrase, **words)
        if self.floor is not None:
            values["floor"] = self.floor
        if self.ids is not None:
            values["ids"] = self.ids
        return values

    def matches(self, ids_only: bool = False) -> str:
        """SQL for the matching articles' id, rank, phrase_match, exact_match and published date (or only the
        id, which for a text search needs neither bm25 nor, unfiltered, the articles table)."""
        filters = self.sql_filters()
        clauses = list(filters)
        floor = "" if self.floor is None else " and rowid >= :floor"
        # The articles table is read only when a filter or the date order needs it: ranking
        # alone is answered from the index, and ties in relevance go to the newest id.
        articles = bool(filters) or (not ids_only and self.sort != "relevance")
        if self.ranked:
            clauses.insert(0, f"{self.index} match :match")
            if floor:
                clauses.insert(1, f"{self.index}.rowid >= :floor")
            where = " and ".join(clauses)
            join = f"cross join articles a on a.id = {self.index}.rowid" if articles else ""
            if ids_only:
                if self.ids is not None:
                    return "select value as id from json_each(:ids)"
                return f"select {self.index}.rowid as id from {self.index} {join} where {where}"
            phrase = (
                f"{self.index}.rowid in (select rowid from {self.index} where {self.index} match :phrase{floor})"
                if self.query.phrase and self.index == FOLDED_INDEX else "0"
            )
            return f"""
                select {self.index}.rowid as id, bm25({self.index}, {BM25_WEIGHTS}) as rank,
                       {phrase} as phrase_match,
                       {self.index}.rowid in (select rowid from articles_fts where articles_fts match :accented{floor})
                           as exact_match,
                       {"a.published" if articles else "null"} as published
                from {self.index} {join} where {where}"""
        if self.ids is not None:
            # bound() listed them (past the limit, the newest): the filters are not applied again.
            if ids_only:
                return "select value as id from json_each(:ids)"
            clauses = ["a.id in (select value from json_each(:ids))"]
        elif self.q:
            # Typed something, but nothing searchable (only punctuation): nothing matches.
            clauses.append("0")
        where = " and ".join(clauses) or "1"
        return (f"select a.id as id, 0 as rank, 0 as phrase_match, 0 as exact_match, a.published as published "
                f"from articles a where {where}")

    def order(self, table: str = "") -> str:
        if self.sort == "relevance" and self.ranked:
            return f"{table}phrase_match desc, {table}exact_match desc, {table}rank, {table}id desc"
        if self.sort == "oldest":
            return f"{table}published is null, {table}published, {table}id"
        # Descending, SQLite sorts nulls last: the date index serves this order.
        return f"{table}published desc, {table}id desc"

    def page_sql(self) -> str:
        # The page's ids are chosen first, so only its own rows are read in full.
        return f"""
            with matches as ({self.matches()}),
            page as (select * from matches order by {self.order()}
                     limit {PAGE_SIZE} offset {(min(self.page, MAX_PAGE) - 1) * PAGE_SIZE})
            select a.id, a.title, a.description, a.text, a.source_id,
                   {publisher(self.names_recorded)} as source_name, a.published, a.author, a.language
            from page m join articles a on a.id = m.id left join sources s on s.id = a.source_id
            order by {self.order("m.")}
        """

    @property
    def shown_sort(self) -> str | None:
        """The sort, where it is not the only one there is: unsearched, newest first."""
        return self.sort if self.q or self.sort != "newest" else None

    def url(self, path: str, **changes) -> str:
        """``path`` with this search's arguments, changed by ``changes`` (None drops one)."""
        args = {"q": self.q, "sort": self.shown_sort, **self.filters}
        if "page" not in changes:
            changes["page"] = None
        args.update(changes)
        query = urlencode([(k, v) for k, v in args.items() if v not in (None, "")])
        return path + ("?" + query if query else "")


def _grid_facet(facet: Facet, grid: list[dict], names: dict[str, str]) -> list[dict]:
    """The source and month facets, summed from the month × source counts behind the chart
    rather than counted again."""
    key = "source_id" if facet.param == "source" else "month"
    totals: dict = {}
    for row in grid:
        if row[key] is not None or key == "source_id":
            totals[row[key]] = totals.get(row[key], 0) + row["n"]
    rows = [{"value": v, "label": names.get(v, v) if key == "source_id" else v, "n": n} for v, n in totals.items()]
    if facet.order == "value desc":
        rows.sort(key=lambda r: r["value"], reverse=True)
    else:
        rows.sort(key=lambda r: (-r["n"], r["value"] is not None, collation_key(r["label"] or "")))
    return rows


async def _facet_results(db, search: Search, grid: list[dict], names: dict[str, str], count: int) -> list[dict]:
    """Each facet's FACET_SIZE commonest (or latest) values, and whether it has more; the facet
    the reader asked to see in full (``all=<param>``) has all of them.

    A link of a many-valued facet puts its value in place of the selected one: its count is of
    the search without that facet's filter (the selected value, first, counts the page's
    results). Counted with the filter, it would be of the articles naming both values."""
    async def one(facet):
        whole = search.expanded == facet.param
        selected = search.filters.get(facet.param)
        if facet.param in GRID_FACETS:
            rows = _grid_facet(facet, grid, names)
        else:
            counted = search if selected is None else await search.without(db, facet.param)
            # One row past the page's share says whether there are more without counting them.
            limit = "" if whole else f" limit {FACET_SIZE + 1}"
            sql = (f"with matches as ({counted.matches(ids_only=True)}){facet.ctes} {facet.counts} "
                   f"order by {facet.order}{limit}")
            rows = await _rows(db, sql, counted.params())
            if facet.order == Facet.order:
                # Values of one count in the Vietnamese alphabet's order, not the code points' (Đ after Z).
                rows.sort(key=lambda r: (-r["n"], collation_key(r["label"] or "")))
            for row in rows:
                if "issuers" in row:
                    row["issuers"] = _issuer_rows(row["value"], row["issuers"])
            if selected is not None:
                # Another spelling of the selected value (a document's zeros) is the selected value,
                # and its issuers are the selected document's.
                same = [row for row in rows if _filter_key(facet, row["value"]) == _filter_key(facet, selected)]
                issuers = same[0].get("issuers", []) if same else []
                rows = [{"value": selected, "label": selected, "n": count, "issuers": issuers},
                        *(row for row in rows if row not in same)]
        longer = len(rows) > FACET_SIZE
        return {"facet": facet, "selected": selected, "rows": rows if whole else rows[:FACET_SIZE],
                "more": longer and not whole, "fewer": longer and whole}

    return list(await asyncio.gather(*(one(f) for f in search.facets)))


GRID_FACETS = ("source", "month")


def _issuer_rows(ref: str, issuers: str | None) -> list[dict]:
    """The document facet row ``ref``'s issuers, most cited first, each with the filter value
    selecting its document (None for the citations naming no issuer, which no filter selects
    alone); none when no citation names one."""
    pairs = json.loads(issuers or "[]")
    if not any(body for body, _ in pairs):
        return []
    pairs.sort(key=lambda p: (p[0] is None, -p[1], collation_key(p[0] or "")))
    return [{"value": ref_value(ref, body) if body else None, "label": body, "n": n} for body, n in pairs]


async def _count(db, search: Search) -> int:
    if search.count is not None:
        return search.count
    rows = await _rows(db, f"with matches as ({search.matches(ids_only=True)}) select count(*) as n from matches", search.params())
    return rows[0]["n"]


async def _source_names(db) -> dict[str, str]:
    """Each source's label in the source facet, its filter chip and the chart: its name, with its
    id after it where another source has the same name (a source added under a new id that kept
    the old one's name), or the two could not be told apart."""
    names = {r["id"]: r["name"] or r["id"] for r in await _rows(db, "select id, name from sources")}
    taken = Counter(names.values())
    return {source_id: f"{name} ({source_id})" if taken[name] > 1 else name for source_id, name in names.items()}


# Attention over time ------------------------------------------------------------------------------


async def _grid(db, search: Search) -> list[dict]:
    """Matching articles per month and source: the chart, and the source and month facets."""
    return await _rows(
        db,
        f"""with matches as ({search.matches(ids_only=True)})
            select a.published_month as month, a.source_id as source_id, count(*) as n
            from matches m join articles a on a.id = m.id group by 1, 2 order by 1, 2""",
        search.params(),
    )


async def attention(db, search: Search, rows: list[dict] | None = None) -> dict:
    """Matching articles per month and source, every month from the first to the last."""
    if rows is None:
        rows = await _grid(db, search)
    undated_by_source: dict[str, int] = {}
    for r in rows:
        if not r["month"]:
            undated_by_source[r["source_id"]] = undated_by_source.get(r["source_id"], 0) + r["n"]
    dated = [r for r in rows if r["month"]]
    sources = sorted({r["source_id"] for r in dated})
    months = _month_range(dated[0]["month"], dated[-1]["month"]) if dated else []
    counts = {(r["month"], r["source_id"]): r["n"] for r in dated}
    return {"months": months, "sources": sources, "counts": counts, "undated": sum(undated_by_source.values()),
            "undated_by_source": undated_by_source}


def _month_range(first: str, last: str) -> list[str]:
    year, month = int(first[:4]), int(first[5:7])
    months = []
    while f"{year:04d}-{month:02d}" <= last:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


CHART_WIDTH, CHART_HEIGHT = 960, 240
# Room at the left for a five-digit tick in the larger type a narrow screen gets.
CHART_LEFT, CHART_BOTTOM, CHART_TOP = 60, 28, 10
# Month labels, at most: on a phone the stylesheet enlarges the chart's type, and more would overlap.
CHART_LABELS = 8
CHART_COLOURS = 8  # the stylesheet's series classes s0 … s7
OTHER_SOURCES = "\x00other"  # not a source id: ids come from sources.toml


def chart(data: dict, names: dict[str, str]) -> dict | None:
    """The geometry of a stacked bar chart of ``attention`` data, for the SVG template."""
    months, sources = data["months"], data["sources"]
    if not months:
        return None
    if len(sources) > CHART_COLOURS:
        # Past eight series the colours repeat and the legend stops telling sources apart; a
        # bar per source and month also makes a ten-year chart of forty sources thousands of
        # elements. The largest sources keep their own series, the rest are summed.
        volume = {s: sum(data["counts"].get((m, s), 0) for m in months) for s in sources}
        kept = sorted(sources, key=lambda s: -volume[s])[: CHART_COLOURS - 1]
        counts: dict = {}
        for (month, source), n in data["counts"].items():
            key = (month, source if source in kept else OTHER_SOURCES)
            counts[key] = counts.get(key, 0) + n
        sources = [s for s in sources if s in kept] + [OTHER_SOURCES]
        data = {**data, "sources": sources, "counts": counts}
        names = {**names, OTHER_SOURCES: "Nguồn khác / Other sources"}
    totals = [sum(data["counts"].get((m, s), 0) for s in sources) for m in months]
    top = _nice_ceiling(max(totals))
    plot_w, plot_h = CHART_WIDTH - CHART_LEFT, CHART_HEIGHT - CHART_BOTTOM - CHART_TOP
    slot = plot_w / len(months)
    gap = min(2.0, slot * 0.15)
    bars = []
    for i, month in enumerate(months):
        y = CHART_TOP + plot_h
        for k, source in enumerate(sources):
            n = data["counts"].get((month, source), 0)
            if not n:
                continue
            h = plot_h * n / top
            y -= h
            bars.append({
                "x": round(CHART_LEFT + i * slot + gap / 2, 2), "y": round(y, 2),
                "w": round(slot - gap, 2), "h": round(h, 2), "series": f"s{k % CHART_COLOURS}",
                "title": f"{month} · {names.get(source, source)}: {grouped(n)}",
            })
    if len(months) > 24:
        # Januaries only, every few years on a long chart.
        years = -(-len(months) // 12)
        every = -(-years // CHART_LABELS)
        shown = [i for i, m in enumerate(months) if m.endswith("-01") and int(m[:4]) % every == 0]
    else:
        shown = range(0, len(months), -(-len(months) // CHART_LABELS))
    labels = [{"x": round(CHART_LEFT + (i + 0.5) * slot, 2), "text": months[i]} for i in shown]
    ticks = [{"y": round(CHART_TOP + plot_h * (1 - v / top), 2), "text": v} for v in (0, top // 2, top)]
    legend = [
        {"series": f"s{k % CHART_COLOURS}", "label": names.get(s, s),
         "n": sum(data["counts"].get((m, s), 0) for m in months)}
        for k, s in enumerate(sources)
    ]
    table = [
        {"month": m, "total": t, "by_source": [data["counts"].get((m, s), 0) for s in sources]}
        for m, t in zip(months, totals)
    ]
    return {
        "width": CHART_WIDTH, "height": CHART_HEIGHT, "left": CHART_LEFT,
        "base": CHART_TOP + plot_h, "bars": bars, "labels": labels, "ticks": ticks,
        "legend": legend, "table": table, "undated": data["undated"],
    }


def _nice_ceiling(n: int) -> int:
    """The smallest of 2, 4, 10, 20, 40, 100 … that is at least ``n`` (ticks at 0, half, top)."""
    scale = 1
    while True:
        for step in (2, 4, 10):
            if n <= step * scale:
                return step * scale
        scale *= 10


# Routes: search ------------------------------------------------------------------------------------


# The home page's queries, each answered from indexes (idx_articles_source_id_published,
# idx_articles_source_id_last_seen, idx_articles_published, idx_fetches_captured), not by reading
# every row: on a million articles that took 7 s, past the SQL time limit.
HOME_SOURCES_SQL = f"""
    select s.id, s.name, s.kind, s.home,
           (select count(*) from articles a where a.source_id = s.id) as articles,
           -- Articles are numbered as they are archived: the source's first is its first capture.
           (select first_seen from articles
            where id = (select min(id) from articles a where a.source_id = s.id)) as first_capture,
           (select max(last_seen) from articles a where a.source_id = s.id) as last_capture,
           c.id as crawl_id, c.started_at as crawl_started_at, c.finished_at as crawl_finished_at,
           c.status as crawl_status, c.pages as crawl_pages, c.errors as crawl_errors,
           c.finish_reason as crawl_finish_reason, c.max_pages as crawl_max_pages,
           c.resumed_from as crawl_resumed_from, json_extract(c.stats, '$."{RECHECKED_STAT}"') as crawl_rechecked
    from sources s
    left join crawls c on c.id = (select max(id) from crawls where source_id = s.id)
    order by articles desc, s.name
"""
HOME_TOTALS_SQL = """
    select (select count(*) from articles) as articles,
           -- A capture is a fetch the archive kept a WARC record of: not a URL robots.txt
           -- forbade, nor one that never answered.
           (select count(*) from fetches where warc_file is not null) as captures,
           (select count(*) from sources) as sources,
           (select min(published) from articles) as first_published,
           (select max(published) from articles) as last_published
"""


def publisher(names_recorded: bool) -> str:
    """SQL for the name the article ``a`` (of the source ``s``) is credited to: its source's name
    when the crawl that first captured it began, as an archivist cites a page, not the name the
    source has now (a province's portal renamed after a merger keeps its id). Crawls before the
    archive recorded names (m024; ``names_recorded`` False until it is upgraded) have none: the
    source's present name stands in."""
    at_capture = """(select c.source_name from article_versions v join fetches f on f.id = v.fetch_id
                      join crawls c on c.id = f.crawl_id and c.source_id = a.source_id
                      where v.article_id = a.id order by v.version limit 1), """
    return f"coalesce({at_capture if names_recorded else ''}s.name, a.source_id)"


# The newest dated articles, read backwards along idx_articles_published, then (if there are
# too few) the newest undated ones; sorting every article instead took 160 ms on a million.
def _home_latest_sql(names_recorded: bool) -> str:
    return f"""
    select a.id, a.title, a.published, a.source_id, {publisher(names_recorded)} as source_name,
           a.description, a.language
    from articles a left join sources s on s.id = a.source_id
    where a.id in (
        select id from (select id from articles where published is not null
                        order by published desc, id desc limit {LATEST_ON_HOME})
        union all
        select id from (select id from articles where published is null order by id desc limit {LATEST_ON_HOME}))
    order by a.published is null, a.published desc, a.id desc limit {LATEST_ON_HOME}
"""


# A source's last crawl, as HOME_SOURCES_SQL names its columns: crawl_<name>.
HOME_CRAWL_COLUMNS = ("id", "started_at", "finished_at", "status", "pages", "errors", "finish_reason", "max_pages",
                      "resumed_from", "rechecked")


def _last_crawls(conn, db_path, sources: list[dict]) -> list[dict | None]:
    """Each source's last crawl (_last_crawl), the archive's upgrade history read once for all."""
    named_since = applied_at(conn, REASON_NAMED_WITH)
    return [_last_crawl(conn, db_path, source, named_since) for source in sources]


def _last_crawl(conn, db_path, source: dict, named_since) -> dict | None:
    """The source's last crawl, its crawl_ columns taken out of ``source``, as ``govarchive
    stats`` shows it (archive.stats.as_it_stands): its row says 'running' and 0 pages until it
    ends, and for good when it was killed. ``named_since``: when the archive's crawls began to
    name why they ended (stats.REASON_NAMED_WITH)."""
    crawl = {name: source.pop(f"crawl_{name}") for name in HOME_CRAWL_COLUMNS}
    if crawl["id"] is None:
        return None
    try:
        crawl = as_it_stands(conn, db_path, {**crawl, "source_id": source["id"]})
    except LocksUnusable:
        pass  # a lock folder the server may not read: whether the crawl still runs cannot be told
    # Said as govarchive stats says it: "ok (max pages)" for a crawl that left pages waiting.
    crawl["ended"] = ended({**crawl, "reached_max_pages": reached_max_pages(
        crawl, reason_named=recorded_since(crawl["started_at"], named_since))})
    return crawl


async def home(datasette, request):
    db = _db(datasette)
    sources = await _rows(db, HOME_SOURCES_SQL)
    # Sources of one count in the Vietnamese alphabet's order (the SQL's puts Đài after Văn phòng).
    sources.sort(key=lambda s: (-s["articles"], collation_key(s["name"] or s["id"])))
    crawls = await db.execute_fn(lambda conn: _last_crawls(conn, db.path, sources))
    for source, crawl in zip(sources, crawls):
        source["crawl"] = crawl
    totals = (await _rows(db, HOME_TOTALS_SQL))[0]
    latest = await _rows(db, _home_latest_sql(await _names_recorded(db)))
    for row in latest:
        row["description"] = _shorten(row["description"], 200)
    return await _render(
        datasette, request, "reading_home.html",
        {
            "sources": sources, "totals": totals, "latest": latest,
            "archive_title": datasette.metadata("title"),
        },
    )


def _more_note(limit: int, number: Callable[[int], str] = "{:,}".format) -> Note:
    """What a search past the limit covers: said on the page (its count ``grouped``) and in its
    JSON, whose text stays as programs reading it have had it."""
    return Note(f"Quá nhiều kết quả: xếp hạng, sắp xếp, bộ lọc và trang kết quả chỉ tính {number(limit)} bài được lưu "
                "gần đây nhất; biểu đồ bị ẩn. Thêm từ hoặc chọn bộ lọc để thu hẹp, hoặc tải toàn bộ kết quả.",
                f"Too many matches: ranking, sorting, filters and pages cover the {number(limit)} most recently "
                "archived; the chart is left out. Add words or a filter to narrow the search, or download all results.")


async def _bounded_search(datasette, db, request) -> "Search":
    """The request's search, counted and bounded by the search limit (the page and its JSON)."""
    search = await Search.from_request(db, request, limit=configured_search_limit(datasette))
    await search.bound(db)
    return search


async def _earlier_versions(datasette, db, search: Search, mark) -> EarlierVersions | None:
    """The earlier versions of articles matching the search that the articles, as they read now,
    no longer match (archive.search.earlier_versions), the page's newest; None without words, or
    of an archive read as it is before their index (m030, whose column says it was applied; the
    index itself is made with the first earlier version)."""
    if not search.ranked or search.limit is None or "fold_filters" not in await db.table_columns("article_versions"):
        return None
    time_limit_ms = datasette.setting("sql_time_limit_ms")
    # The filters the index holds no words for, as the search of the articles applies them.
    where = " and ".join(search.sql_filters())
    params = search.filter_params()

    def read(conn):
        with _page_time_limit(conn, time_limit_ms, "earlier versions", params):
            return earlier_versions(conn, search.query, limit=PAGE_SIZE, search_limit=search.limit, where=where,
                                    params=params, mark=mark, **search.filter_words())

    return await db.execute_fn(read)


def _version_links(datasette, request, found: EarlierVersions | None, names: dict[str, str] | None = None,
                   absolute: bool = False) -> None:
    """Give each earlier version found its page's and its article's address, and its source's name."""
    for row in found.results if found else []:
        article = datasette.urls.path(f"-/a/{row['article_id']}")
        if absolute:
            article = absolute_url(datasette, request, article)
        row["article_url"], row["archive_url"] = article, f"{article}?version={row['version']}"
        if names is not None:
            row["source_name"] = names.get(row["source_id"], row["source_id"])


def _marked_snippet(text: str, query) -> Markup:
    return html_snippet(text, query, words=SNIPPET_WORDS)


def _plain_snippet(text: str, query) -> str:
    return snippet(text, query, words=SNIPPET_WORDS)


async def search_page(datasette, request):
    async def read(db):
        search = await _bounded_search(datasette, db, request)

        async def counted():
            count, grid, names = await asyncio.gather(_count(db, search), _grid(db, search), _source_names(db))
            return count, grid, names, await _facet_results(db, search, grid, names, count)

        # The facets are counted while the page is ranked (bm25 of a common word takes 40–50 ms
        # whatever the matches, counting the articles with it in the whole index), not after it,
        # and the earlier versions read meanwhile (80-120 ms of a common word where one article in
        # ten changed).
        (count, grid, names, facets), rows, together, earlier = await asyncio.gather(
            counted(), _rows(db, search.page_sql(), search.params()), search.together_count(db),
            _earlier_versions(datasette, db, search, _marked_snippet),
        )
        # A chart of only the most recently archived matches would misstate when the subject drew
        # attention: past the limit it is left out (its CSV still has every match).
        data = None if search.more else await attention(db, search, grid)
        document = (await _document(db, search.filters["ref"], search.issuers_recorded)
                    if "ref" in search.filters else None)
        return search, count, rows, names, together, facets, data, document, earlier

    # The count, the rows, the facets and the chart add up: they are of one moment of the archive.
    search, count, rows, names, together, facets, data, document, earlier = await read_as_one_moment(datasette, read)
    _version_links(datasette, request, earlier, names)
    for row in earlier.results if earlier else []:
        row["title_marked"] = html_snippet(row["title"] or "", search.query, words=TITLE_WORDS)
    for row in rows:
        row["snippet"] = _result_snippet(row, search, html_snippet)
        row["title_marked"] = (html_snippet(row["title"] or "", search.query, words=TITLE_WORDS) if search.ranked
                               else row["title"])
    path = datasette.urls.path("-/search")

    def search_url(**changes):
        # A facet the reader asked to see whole stays whole as they page, sort and filter, a
        # value picked from it too (taking that filter off shows the list they picked from):
        # only "Show fewer" folds it.
        return search.url(path, **{"all": search.expanded, **changes})

    return await _render(
        datasette, request, "reading_search.html",
        {
            "search": search, "count": count, "results": rows, "facets": facets, "together": together,
            "chart": chart(data, names) if data else None, "more": search.more,
            "more_note": _more_note(search.limit, grouped) if search.more else None,
            "document": document, "page_size": PAGE_SIZE,
            "pages": _pages(count),
            "search_url": search_url,
            "export_url": lambda ext: search.url(datasette.urls.path(f"-/search.{ext}"), page=None),
            "attention_csv_url": search.url(datasette.urls.path("-/attention.csv")),
            "chips": _chips(search, facets, names),
            "earlier": earlier,
        },
    )


async def results_json(datasette, request):
    """One page of the search page's results as JSON: the same parameters (q, sort, filters,
    page), ranked by relevance, bounded by the search limit like the page. For every match,
    use /-/search.json."""
    async def read(db):
        search = await _bounded_search(datasette, db, request)
        return search, *await asyncio.gather(
            _count(db, search), _rows(db, search.page_sql(), search.params()), search.together_count(db),
            _earlier_versions(datasette, db, search, _plain_snippet),
        )

    # The count, the pages and the rows are of one moment of the archive.
    search, count, rows, together, earlier = await read_as_one_moment(datasette, read)
    _version_links(datasette, request, earlier, absolute=True)
    article_base = absolute_url(datasette, request, datasette.urls.path("-/a/"))
    results = []
    for row in rows:
        row["snippet"] = _result_snippet(row, search, snippet)
        row["archive_url"] = f"{article_base}{row['id']}"
        results.append(row)
    body = {
        # The order the results are in, whether or not the URL named one.
        "q": search.q, "sort": search.sort, "filters": search.filters,
        "page": search.page, "page_size": PAGE_SIZE, "pages": _pages(count), "ranked": bool(search.ranked),
        # Past the limit the count is the limit and "more" is true: "more than <count>".
        "count": count, "more": bool(search.more),
        # Of the count, the articles with the words typed together, and the query finding only those.
        "together": None if together is None else {"q": search.together, "count": together},
        "results": results,
        # What earlier versions say that the articles no longer do (None without words, or of an
        # archive not upgraded to their index): past the search limit, of the versions archived
        # most recently ("more"); the newest PAGE_SIZE.
        "earlier_versions": None if earlier is None else {
            "count": earlier.count, "more": earlier.more, "examined": earlier.examined, "articles": earlier.articles,
            "results": [{key: row[key] for key in EARLIER_VERSION_JSON_FIELDS} for row in earlier.results],
        },
        "notes": [{"vi": note.vi, "en": note.en}
                  for note in (*search.notes, *([_more_note(search.limit)] if search.more else []))],
    }
    return Response.json(body, headers={"Access-Control-Allow-Origin": "*"})


EARLIER_VERSION_JSON_FIELDS = (*EARLIER_VERSION_FIELDS, "archive_url", "article_url")


def _pages(count: int) -> int:
    return max(1, -(-count // PAGE_SIZE))


def _chips(search: Search, facets: list[dict], names: dict[str, str]) -> list[dict]:
    """The active filters, each named as its facet shows it (a source's name, not its id, also
    when the facet has no row for it: a search the source has no match for)."""
    chips = []
    for result in facets:
        facet, value = result["facet"], result["selected"]
        if value is not None:
            named = names.get(value, value) if facet.param == "source" else value
            label = next((r["label"] for r in result["rows"] if r["value"] == value), named)
            chips.append({"param": facet.param, "vi": facet.vi, "en": facet.en, "label": label})
    return chips


# The newest articles the document card names under each issuer; the results list them all.
DOCUMENT_ARTICLES = 5


async def _document(db, value: str, issuers_recorded: bool) -> dict:
    """The card of the document filter's ``value``: its number, and each body its citations name
    as the issuer, each with its own issue dates and newest citing articles; one number from two
    issuers is two documents. The citations naming no issuer come last, and of those, how many
    were read before the archive read issuers (``govarchive reextract`` reads them again)."""
    ref, selected = split_ref_value(value)
    spelled = f"ref in ({REF_SPELLINGS.format(p='ref')})"
    body = "issuing_body" if issuers_recorded else "null"
    params = {"ref": ref, "shown": DOCUMENT_ARTICLES}
    first = await _rows(
        db,
        f"""select ref, type_name, issuer, year, (select count(distinct article_id) from doc_refs where {spelled})
                   as citing
            from doc_refs where {spelled} limit 1""",
        params,
    )
    document = {**(first[0] if first else {"ref": ref, "citing": 0}), "selected": selected,
                "issuers_recorded": issuers_recorded}
    issuers = await _rows(
        db,
        f"""select {body} as name, count(distinct d.article_id) as n, json_group_array(distinct d.issued) as dates,
                   count(distinct case when {READ_BEFORE_ISSUERS_SQL} then d.article_id end) as read_before
            from doc_refs d join articles a on a.id = d.article_id where d.{spelled}
            group by 1 order by name is null, n desc""",
        params,
    )
    newest = await _rows(
        db,
        f"""select c.name, a.id, a.title, a.published from
              (select name, article_id, row_number() over (partition by name order by article_id desc) as k
               from (select distinct {body} as name, article_id from doc_refs where {spelled})) c
            join articles a on a.id = c.article_id where c.k <= :shown order by c.article_id desc""",
        params,
    )
    for issuer in issuers:
        issuer["value"] = ref_value(document["ref"], issuer["name"]) if issuer["name"] else None
        issuer["dates"] = sorted(d for d in json.loads(issuer["dates"]) if d)
        issuer["articles"] = [row for row in newest if row["name"] == issuer["name"]]
    document["issuers"] = sorted(issuers, key=lambda i: (i["name"] is None, -i["n"], collation_key(i["name"] or "")))
    document["named"] = sum(1 for i in issuers if i["name"])
    return document


async def _download_ids(datasette, db, search: "Search") -> list[int]:
    """The ids a download has, in the order of the search's pages. A list without words oldest
    first is read in two parts, dated then undated, each in an order the date index holds: its
    undated articles come last, which the index, holding them first, would otherwise need a sort
    of the whole archive for. (Newest first the index holds them last already.)"""
    if search.sort == "oldest" and not search.ranked:
        parts = [("published is not null", "published, id"), ("published is null", "id")]
    else:
        parts = [("1", search.order())]
    ids = []
    for where, order in parts:
        sql = f"with matches as ({search.matches()}) select id from matches where {where} order by {order}"
        ids += await _download_read(datasette, db, sql, search.params(), lambda cursor: [row[0] for row in cursor])
    return ids


def _as_dicts(cursor) -> list[dict]:
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row)) for row in cursor]


async def _download_read(datasette, db, sql: str, params, read_rows=_as_dicts) -> list:
    """``sql``'s rows as ``read_rows`` reads them off its cursor (dicts by default), under the
    downloads' time limit, not the pages': a download is a deliberate long request, ranking half
    a million matches takes seconds, and a batch the pages' limit cut off after the response had
    begun would end the file short."""
    limit_ms = datasette.setting("sql_time_limit_ms") * DOWNLOAD_TIME_FACTOR

    def read(conn):
        with sqlite_timelimit(conn, limit_ms):
            return read_rows(conn.execute(sql, params))

    return await db.execute_fn(read)


async def search_export(datasette, request):
    """The whole result set, streamed in batches so that its size does not matter."""
    db = _db(datasette)
    search = await Search.from_request(db, request)
    fmt = request.url_vars["format"]
    ids = await _download_ids(datasette, db, search)
    article_base = absolute_url(datasette, request, datasette.urls.path("-/a/"))

    async def batches():
        for start in range(0, len(ids), EXPORT_BATCH):
            chunk = ids[start:start + EXPORT_BATCH]
            marks = ", ".join("?" for _ in chunk)
            rows = await _download_read(
                datasette, db,
                f"""select a.*, {publisher(search.names_recorded)} as source_name
                    from articles a left join sources s on s.id = a.source_id where a.id in ({marks})""",
                chunk,
            )
            by_id = {r["id"]: r for r in rows}
            yield [
                {**{c: by_id[i].get(c) for c in EXPORT_COLUMNS}, "archive_url": f"{article_base}{i}",
                 **{c: _json_list(by_id[i].get(c)) for c in EXPORT_LISTS}}
                for i in chunk if i in by_id
            ]

    if fmt == "csv":
        async def stream(writer):
            buffer = io.StringIO()
            out = csv.writer(buffer)
            out.writerow(EXPORT_COLUMNS)
            async for rows in batches():
                out.writerows([[CSV_LIST_SEPARATOR.join(r[c]) if c in EXPORT_LISTS else r[c] for c in EXPORT_COLUMNS]
                               for r in rows])
                await writer.write(buffer.getvalue())
                buffer.seek(0)
                buffer.truncate()
            await writer.write(buffer.getvalue())

        content_type = "text/csv; charset=utf-8"
    else:
        async def stream(writer):
            first = True
            await writer.write("[")
            async for rows in batches():
                for row in rows:
                    await writer.write(("\n" if first else ",\n") + json.dumps(row, ensure_ascii=False))
                    first = False
            await writer.write("\n]\n")

        content_type = "application/json; charset=utf-8"
    return AsgiStream(
        stream,
        headers={"Content-Disposition": f'attachment; filename="{_download_name("search", search, fmt)}"'},
        content_type=content_type,
    )


def _download_name(kind: str, search: "Search", fmt: str) -> str:
    """govarchive-<kind>-<the query, then the filters' values, folded to ASCII words>.<fmt>, so
    that downloads of several searches, or of one search filtered several ways, do not
    overwrite one another."""
    named = " ".join([search.q, *(search.filters[f.param] for f in search.facets if f.param in search.filters)])
    words = "-".join(re.findall(r"[a-z0-9]+", fold(unicodedata.normalize("NFKC", named))))[:80].strip("-")
    return f"govarchive-{kind}{'-' + words if words else ''}.{fmt}"


async def attention_csv(datasette, request):
    db = _db(datasette)
    search = await Search.from_request(db, request)
    data = await attention(db, search)
    buffer = io.StringIO()
    out = csv.writer(buffer)
    out.writerow(("month", "source_id", "articles"))
    for month in data["months"]:
        for source in data["sources"]:
            out.writerow((month, source, data["counts"].get((month, source), 0)))
    # Articles without a date are matches too: with an empty month, so that the file sums to the count.
    for source, n in sorted(data["undated_by_source"].items()):
        out.writerow(("", source, n))
    return Response(
        buffer.getvalue(),
        headers={"Content-Disposition": f'attachment; filename="{_download_name("attention", search, "csv")}"'},
        content_type="text/csv; charset=utf-8",
    )


# Routes: articles -----------------------------------------------------------------------------------


async def read_at_once(db, read: Callable):
    """``read(conn)``, its every query in one read transaction on one connection: what one answer
    shows of an article (its text, its versions, its live state) is the archive as one moment
    left it, though a crawl commits a new version between two of the queries. (A reader's
    transaction keeps the WAL snapshot its first read took.)"""
    def in_one_transaction(conn):
        conn.execute("begin")
        try:
            return read(conn)
        finally:
            if conn.in_transaction:
                conn.execute("rollback")  # it only read

    return await db.execute_fn(in_one_transaction)


@contextmanager
def _page_time_limit(conn, time_limit_ms: int, sql: str, params):
    """As datasette's execute does it: the reads within under the pages' SQL time limit, one cut
    off by it raised as datasette's QueryInterrupted (``sql`` names what was cut off)."""
    with sqlite_timelimit(conn, time_limit_ms):
        try:
            yield
        except sqlite3.OperationalError as exc:
            if exc.args == ("interrupted",):
                raise QueryInterrupted(exc, sql, params) from exc
            raise


class OneMoment:
    """A read transaction on one connection, answering the calls the search's code makes of
    datasette's Database (execute, execute_fn, table_exists, table_columns). Its queries run one
    after another, whatever ``asyncio.gather`` asks: one connection runs one statement at a time."""

    def __init__(self, conn, time_limit_ms: int):
        self.conn, self.time_limit_ms = conn, time_limit_ms

    async def execute(self, sql, params=None):
        with _page_time_limit(self.conn, self.time_limit_ms, sql, params):
            cursor = self.conn.execute(sql, params if params is not None else {})
            rows = cursor.fetchall()
        return Results(rows, False, cursor.description)

    async def execute_fn(self, fn):
        return fn(self.conn)

    table_exists = Database.table_exists
    table_columns = Database.table_columns


# For each database served, a connection of its own that only asks whether anything was committed
# since it last asked (PRAGMA data_version changes when another connection, in any process, has).
_COMMIT_WATCHES: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _data_version(db) -> int:
    conn = _COMMIT_WATCHES.get(db)
    if conn is None:
        conn = _COMMIT_WATCHES[db] = db.connect()
    return conn.execute("pragma data_version").fetchone()[0]


async def read_as_one_moment(datasette, read: Callable):
    """``await read(db)``, every query of it answered by the archive as one moment left it: the
    counts, rows, facets and chart of a search add up, though a crawl commits every fraction of
    a second. (On datasette's connections one query could count the matches before a commit and
    the next sum the facets after it.)

    ``read`` runs on datasette's connections first, its gathered queries side by side: when
    nothing was committed from before its first query to after its last, they all read the same
    archive. Otherwise it runs again in one read transaction (a OneMoment), its queries one after
    another: two SQLite connections cannot share a snapshot, and one after another, always, the
    heaviest search pages took a third longer (110 ms rather than 80 on two cores)."""
    db = _db(datasette)
    before = _data_version(db)
    result = await read(db)
    if _data_version(db) == before:
        return result
    limit_ms = datasette.setting("sql_time_limit_ms")
    return await read_at_once(db, lambda conn: asyncio.run(read(OneMoment(conn, limit_ms))))


def query_rows(conn, sql: str, params=None) -> list[dict]:
    cursor = conn.execute(sql, params or {})
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row)) for row in cursor]


def schema_names(conn) -> set[str]:
    """The archive's tables and views: those of later releases appear as it is upgraded."""
    return {row["name"] for row in query_rows(conn, "select name from sqlite_master where type in ('table', 'view')")}


def names_recorded(conn) -> bool:
    """Whether the archive's crawls record the source's name (m024) and its articles' versions
    the fetches they were read from (m004): what publisher() reads."""
    return ("article_versions" in schema_names(conn)
            and any(row[1] == "source_name" for row in conn.execute("pragma table_info(crawls)")))


async def _names_recorded(db) -> bool:
    return await db.execute_fn(names_recorded)


def _article(conn, article_id):
    rows = query_rows(
        conn,
        f"""select a.*, {publisher(names_recorded(conn))} as source_name, s.home as source_home
            from articles a left join sources s on s.id = a.source_id where a.id = :id""",
        {"id": article_id},
    )
    return rows[0] if rows else None


def _json_list(value):
    try:
        items = json.loads(value) if isinstance(value, str) else value
    except ValueError:
        return []
    return [str(i) for i in items or []] if isinstance(items, list) else []


def _web_url(url):
    """``url`` if it is safe to link to (http or https), else None."""
    return url if url and urlsplit(url).scheme in ("http", "https") else None


def body_paragraphs(article: dict) -> list[str]:
    """The text's paragraphs, less a first one that repeats the sapo shown above it (many
    CMSs print the sapo again as the body's opening)."""
    paragraphs = [p.strip() for p in (article.get("text") or "").split("\n") if p.strip()]
    sapo = " ".join(nfc(article.get("description") or "").split())
    if paragraphs and sapo and " ".join(nfc(paragraphs[0]).split()) == sapo:
        paragraphs = paragraphs[1:]
    return paragraphs


# A table as trafilatura writes it into the text: a row a line, "| a | b |", a pipe in a cell
# escaped as "\|", and "|---|---|" under a row of headers.
TABLE_ROW = re.compile(r"^\|.*\|$")
TABLE_RULE = re.compile(r"^\|(?:\s*:?-{3,}:?\s*\|)+$")
CELL_BORDER = re.compile(r"(?<!\\)\|")


def _cells(row: str) -> list[str]:
    return [cell.strip().replace("\\|", "|") for cell in CELL_BORDER.split(row[1:-1])]


def body_blocks(paragraphs: list[str]) -> list[dict]:
    """The body as the page shows it: each paragraph ``{"text": …}``, and each run of table
    rows one ``{"table": {"head": cells or None, "rows": [cells, …]}}``, read as a table rather
    than as lines of pipes. The stored text is not changed."""
    blocks: list[dict] = []
    for paragraph in paragraphs:
        if not TABLE_ROW.match(paragraph):
            blocks.append({"text": paragraph})
            continue
        if not (blocks and "table" in blocks[-1]):
            blocks.append({"table": {"head": None, "rows": []}})
        table = blocks[-1]["table"]
        if not TABLE_RULE.match(paragraph):
            table["rows"].append(_cells(paragraph))
        elif len(table["rows"]) == 1 and table["head"] is None:
            # The rule under the first row makes it the header row.
            table["head"] = table["rows"].pop()
    # A rule on its own is no table.
    return [b for b in blocks if "text" in b or b["table"]["head"] or b["table"]["rows"]]


def _vn_day(value: str | None) -> str:
    """The day of an ISO timestamp in Vietnam's time (YYYY-MM-DD), as the page shows it."""
    moment = _in_vietnam(value)
    return moment.date().isoformat() if moment else (value or "")[:10]


def _live_state(conn, history: History, article: dict) -> dict | None:
    """What the article's own URL answered when last asked (History.live_state), with a
    link to wherever it now leads."""
    state = history.live_state(article["url"])
    if state and state["kind"] in ("moved", "retired", "elsewhere"):
        state["href"] = _web_url(state["response_url"])
    if state and state["kind"] in ("gone", "not_there"):
        # An article moved with no redirect (its number kept in a new URL) is gone from its first
        # address only: the reader is told where the same crawl or a later one still read it.
        later = query_rows(
            conn,
            """select f.url, f.fetched_at from article_urls u join fetches f on f.url = u.url
               where u.article_id = :id and u.url != :url and f.status = 200 and f.error is null
                 and f.crawl_id >= (select crawl_id from fetches where url = :url and fetched_at = :at)
               order by f.id desc limit 1""",
            {"id": article["id"], "url": article["url"], "at": state["fetched_at"]},
        )
        if later:
            state["read_since"] = {**later[0], "href": _web_url(later[0]["url"])}
    return state


def citation(article: dict, stable_url: str, read_from: dict | None = None,
             version: tuple[int, int] | None = None) -> tuple[str, str]:
    """The citation line in two parts: the work (title, source, date), in the article's own
    words, and where the archive keeps it, in English (the page marks it so). ``read_from`` is
    the fetch the article's current reading comes from: the text cited is what the archive
    captured then, at the address that answered it (after an edit or a move, not the first
    capture's day or address). ``version`` (its number, how many the article has) cites one
    version: to the minute, as two versions can be captured the same day."""
    title = (article.get("title") or "").strip().rstrip(".")
    title += "" if title.endswith(("?", "!", "…")) else "."
    source = article.get("source_name") or article.get("source_id") or ""
    published = (article.get("published") or "")[:10]
    work = f"{title} {source} ({published})." if published else f"{title} {source}."
    captured = (read_from or {}).get("fetched_at") or article.get("first_seen")
    original = (read_from or {}).get("response_url") or (read_from or {}).get("url") or article.get("url")
    where = f"{stable_url}. Original: {original}"
    if version is None:
        return work, f"Archived by govarchive on {_vn_day(captured)} (UTC+7): {where}"
    moment = _in_vietnam(captured)
    when = f"{moment:%Y-%m-%d} at {moment:%H:%M}" if moment else _vn_day(captured)
    return work, f"Version {version[0]} of {version[1]}, archived by govarchive on {when} (UTC+7): {where}"


def _refs(conn, article_id) -> list[dict]:
    """The documents the article cites, each once (in the spelling it first writes: "06/QĐ-TTg"
    and "6/QĐ-TTg" are one document; one number from two issuers is two), each with the filter
    value its link gives (``value``: the number and the issuer its citation names) and how many
    articles that finds."""
    refs, seen = [], set()
    for row in query_rows(conn, "select * from doc_refs where article_id = :id order by rowid", {"id": article_id}):
        body = row.get("issuing_body")
        if (ref_key(row["ref"]), body) not in seen:
            seen.add((ref_key(row["ref"]), body))
            refs.append({**row, "value": ref_value(row["ref"], body)})
    # As many as the document's link finds: with any leading zeros on its number (REF_IDS).
    ids = REF_IDS if refs and "issuing_body" in refs[0] else REF_IDS_ANY_ISSUER
    citing = f"select count(distinct article_id) from ({ids.format(p='ref')})"
    for ref in refs:
        ref["citing"] = conn.execute(citing, {"ref": ref["value"]}).fetchone()[0]
    return refs


def _mentions(conn, article_id) -> dict:
    mentions = {"channel": [], "agency": [], "link": []}
    for row in query_rows(conn, "select * from mentions where article_id = :id order by rowid", {"id": article_id}):
        if row.get("kind") == "link":
            row["href"] = _web_url(row.get("name"))
        mentions.setdefault(row.get("kind") or "other", []).append(row)
    mentions["channel"] = _distinct_channels(mentions["channel"])
    return mentions


def _also(conn, article: dict) -> list[dict] | None:
    """The other sources' copies of the article, when the archive groups syndicated copies."""
    key = next((c for c in SYNDICATION_COLUMNS if c in article), None)
    if key is None or article[key] is None:
        return None
    return query_rows(
        conn,
        f"""select a.id, a.title, a.url, a.published, {publisher(names_recorded(conn))} as source_name
            from articles a left join sources s on s.id = a.source_id
            where a.{key} = :key and a.id != :id order by a.published""",
        {"key": article[key], "id": article["id"]},
    )


def _other_urls(conn, article: dict) -> list[dict]:
    """The article's other addresses, each with the capture its reading there was taken from and
    that capture's own time (``captured_at``): the address was seen since (``last_seen``), but
    the link leads to that capture, which a reader must not date by the later visit."""
    rows = query_rows(
        conn, "select u.url, u.first_seen, u.last_seen, u.fetch_id, f.fetched_at as captured_at "
              "from article_urls u left join fetches f on f.id = u.fetch_id "
              "where u.article_id = :id and u.url != :url order by u.first_seen",
        {"id": article["id"], "url": article["url"]},
    )
    for row in rows:
        row["href"] = _web_url(row["url"])
    return rows


def _fetch(conn, fetch_id) -> dict | None:
    rows = query_rows(conn, "select id, fetched_at, warc_file, warc_offset, warc_length, url, response_url "
                            "from fetches where id = :id", {"id": fetch_id})
    return rows[0] if rows else None


def _interleave_gone(versions: list[dict] | None, periods: list[dict]) -> list[dict]:
    """Sets each period the article's page was gone from the site (History.gone_periods) after
    the version captured last before it began (``gone_after``), so that the list of versions
    tells in time order what the page said and when it was not there; returns those that began
    before any version was captured, or all when the archive keeps no versions."""
    if not versions:
        return periods
    for version in versions:
        version["gone_after"] = []
    first = []
    for period in periods:
        before = [v for v in versions if (v.get("captured_at") or "") <= period["from"]]
        (before[-1]["gone_after"] if before else first).append(period)
    return first


def _version_read(conn, versions: list[dict] | None, number: int) -> dict | None:
    """Version ``number`` of the article as its page reads it: its row, its place among the
    versions (``count``; ``next``, the version after it, None for the current one) and the fetch
    its text was read from. None when the article has no such version."""
    versions = versions or []
    at = next((i for i, v in enumerate(versions) if v["version"] == number), None)
    if at is None:
        return None
    row = versions[at]
    return {
        "number": number, "row": row, "count": len(versions),
        "next": versions[at + 1]["version"] if at + 1 < len(versions) else None,
        "fetch": _fetch(conn, row["fetch_id"]) if row.get("fetch_id") is not None else None,
    }


def _article_shown(conn, db_path, article_id, version: int | None = None) -> dict | None:
    """All the article page shows of the article, or None when there is no such article; to be
    read at once (read_at_once). ``version`` asks for one version too (``version``: None when
    the article has no such version)."""
    article = _article(conn, article_id)
    if article is None:
        return None
    names = schema_names(conn)
    read_from = _fetch(conn, article["fetch_id"]) if article.get("fetch_id") is not None else None
    versions = _mark_dates_kept(conn, _versions(conn, names, article_id)) if "article_versions" in names else None
    # Read once for the page: its schema is asked of the archive when made.
    history = History(conn, db_path)
    gone_periods = history.gone_periods(article["url"])
    gone_first = _interleave_gone(versions, gone_periods)
    asked = None if version is None else _version_read(conn, versions, version)
    # The current version asked for by number reads as the article does (article_page).
    earlier = asked is not None and asked["next"] is not None
    shown, fetch = (asked["row"], asked["fetch"]) if earlier else (article, read_from)
    return {
        "article": article, "read_from": read_from,
        "capture": read_from if read_from and read_from["warc_file"] else None,
        "refs": _refs(conn, article_id) if "doc_refs" in names else [],
        "mentions": _mentions(conn, article_id) if "mentions" in names else None,
        "versions": versions,
        "gone_periods": gone_periods, "gone_first": gone_first,
        "version": asked,
        "fixity": _fixity(db_path, shown, fetch),
        "also": _also(conn, article),
        # An archive served before its upgrade (serve does not migrate) has no article_urls.
        "other_urls": _other_urls(conn, article) if "article_urls" in names else [],
        "live_state": _live_state(conn, history, article),
    }


def _fixity(db_path, shown: dict, fetch: dict | None) -> dict:
    """Whether the text the page shows is still the one archived: ``altered``, when it does not give
    the text_hash stored with it (changed in the database since); ``capture``, why the capture it
    was read from cannot be read (its WARC file gone, its record damaged or of another page, its
    fetch row gone), or None. A reader quoting the page must not take such a text for the record."""
    unreadable = None
    if fetch is None and shown.get("fetch_id") is not None:
        unreadable = (f"the fetch its text was read from (fetch {shown['fetch_id']}) is not in the archive: "
                      "no capture shows where it came from")
    elif fetch and fetch.get("warc_file"):
        try:
            read_capture(db_path, fetch)
        except (CaptureMissing, RecordUnreadable) as exc:
            unreadable = str(exc)
    return {"altered": text_altered(shown.get("text"), shown.get("text_hash")), "capture": unreadable}


# What an earlier version has of its own: the rest of what the page shows of the article (its
# update time, categories and tags) belongs to the current reading, and is not said of it.
VERSION_READING = ("title", "description", "text", "published", "author")


def _earlier_reading(article: dict, version: dict) -> dict:
    """The page's context for an earlier version: the article as that version read, the capture
    it was read from, cited by its own number and capture time."""
    row, fetch = version["row"], version["fetch"] or {}
    read_from = {**fetch, "fetched_at": row.get("captured_at") or fetch.get("fetched_at")}
    return {
        "article": {**article, **{name: row.get(name) for name in VERSION_READING}, "updated": None},
        "read_from": read_from, "capture": fetch if fetch.get("warc_file") else None,
        "categories": [], "tags": [],
    }


# A merged article had one version, its first (archive.ingest._take_in_twin takes no other).
MERGED_VERSION = 1


def merged_into(conn, article_id: int) -> dict | None:
    """Where the article ``article_id`` is now, if it was folded into another (m026): the merge's
    row (``into_id``, ``merged_at``), with ``version``, the number of the version of that article
    that reads as the merged one's version did (None when none does). None when it never was."""
    if "merged_articles" not in schema_names(conn):  # an archive served before its upgrade
        return None
    rows = query_rows(conn, "select * from merged_articles where id = :id", {"id": article_id})
    if not rows:
        return None
    merge = rows[0]
    # The version the article had when the redirect made the two one: the merged article's text,
    # read moments before, unless the portal changed it between the two fetches.
    current = query_rows(conn, "select version, text_hash from article_versions where article_id = :id "
                               "and fetch_id <= :fetch order by version desc limit 1",
                         {"id": merge["into_id"], "fetch": merge["fetch_id"]})
    same = current and current[0]["text_hash"] == merge["text_hash"]
    return {**merge, "version": current[0]["version"] if same else None}


async def _to_merged_into(datasette, request, page: str, merge: dict, asked_version: int | None):
    """The answer for a page of an article folded into another (``page``: "a" or "diff"): a
    permanent redirect to that article's page, a version asked for to the version of the same
    text there. Its own number is another text's there: when no version reads as it did, a page
    says so instead and links to the article."""
    into = merge["into_id"]
    if asked_version is None:
        return Response.redirect(datasette.urls.path(f"-/{page}/{into}"), status=301)
    if merge["version"] is not None:
        return Response.redirect(datasette.urls.path(f"-/a/{into}?version={merge['version']}"), status=301)
    return await error_page(
        datasette, request, "Bài viết này đã được gộp vào một bài viết khác", "This article was merged into another",
        status=200,
        detail=f"article {merge['id']} was archived twice (its portal moved it) and merged into article {into} at "
               f"{_when(merge['merged_at'])} Vietnam time; its version {asked_version} reads as no version of "
               f"article {into}, whose versions are numbered otherwise",
        link=(datasette.urls.path(f"-/a/{into}"), f"Đọc bài viết {into}", f"Read article {into}"),
    )


async def _merged(db, article_id: int | None) -> dict | None:
    return None if article_id is None else await db.execute_fn(lambda conn: merged_into(conn, article_id))


async def article_page(datasette, request):
    db = _db(datasette)
    article_id = row_id(request.url_vars["article_id"])
    # An empty ?version= asks for no version in particular, as the diff page takes an empty ?from=.
    asked = request.args.get("version")
    number = row_id(asked) if asked else None
    shown = None if article_id is None else await read_at_once(
        db, lambda conn: _article_shown(conn, db.path, article_id, number))
    if shown is None and (merge := await _merged(db, article_id)):
        if asked and number != MERGED_VERSION:
            return await not_found(datasette, request, "Không có phiên bản này", "No such version")
        return await _to_merged_into(datasette, request, "a", merge, number)
    if shown is None:
        return await not_found(datasette, request, "Không có bài viết này", "No such article")
    version = shown.pop("version")
    if asked and version is None:
        return await not_found(datasette, request, "Không có phiên bản này", "No such version")
    article = shown.pop("article")
    reading = {
        "article": article, "read_from": shown.pop("read_from"), "capture": shown.pop("capture"),
        "categories": _json_list(article.get("categories")), "tags": _json_list(article.get("tags")),
    }
    # The current version asked for by number reads as the page does, cited as that version.
    if version and version["next"] is not None:
        reading.update(_earlier_reading(article, version))
    path = f"-/a/{article_id}" + (f"?version={version['number']}" if version else "")
    stable_url = absolute_url(datasette, request, datasette.urls.path(path))
    cited = (version["number"], version["count"]) if version else None
    # The article's address reads as its latest version, whatever comes later: the current one's
    # own address is what keeps this text.
    current = None if version or not shown["versions"] else absolute_url(
        datasette, request, datasette.urls.path(f"-/a/{article_id}?version={shown['versions'][-1]['version']}"))
    read, read_from = reading.pop("article"), reading.pop("read_from")
    return await _render(
        datasette, request, "reading_article.html",
        {
            **shown, **reading,
            "article": read, "version": version,
            "body": body_blocks(body_paragraphs(read)),
            "live_url": _web_url(article.get("url")),
            "stable_url": stable_url, "citation": citation(read, stable_url, read_from, cited),
            "version_url": current,
            "search_path": datasette.urls.path("-/search"),
        },
    )


# Diffs -------------------------------------------------------------------------------------------------

PARAGRAPH = "\n"


def _tokens(text: str | None) -> list[str]:
    tokens = []
    for line in nfc(text or "").split("\n"):
        words = line.split()
        if words:
            if tokens:
                tokens.append(PARAGRAPH)
            tokens.extend(words)
    return tokens


def word_diff(old: str | None, new: str | None) -> dict:
    """A word-level diff of two texts as paragraphs of (op, text) spans; op is =, + or -, and
    a paragraph break added or removed is a span of its own whose text is ``PARAGRAPH``.

    Words are compared in NFC, so a page that switched between composed and decomposed
    Vietnamese shows no change where a reader sees none.
    """
    a, b = _tokens(old), _tokens(new)
    paragraphs, spans = [], []
    added = removed = 0

    def emit(op, words):
        for word in words:
            if word == PARAGRAPH:
                if op != "=":
                    spans.append((op, PARAGRAPH))
                paragraphs.append(list(spans))
                spans.clear()
            elif spans and spans[-1][0] == op:
                spans[-1] = (op, spans[-1][1] + " " + word)
            else:
                spans.append((op, word))

    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            emit("=", a[i1:i2])
            continue
        if tag in ("delete", "replace"):
            emit("-", a[i1:i2])
            removed += sum(1 for w in a[i1:i2] if w != PARAGRAPH)
        if tag in ("insert", "replace"):
            emit("+", b[j1:j2])
            added += sum(1 for w in b[j1:j2] if w != PARAGRAPH)
    if spans:
        paragraphs.append(spans)
    return {"paragraphs": paragraphs, "added": added, "removed": removed}


def _distinct_channels(rows: list[dict]) -> list[dict]:
    """Each channel once: a platform the article names a channel of ("Zalo OA: Sở …") is not
    listed again bare, as each mention of it in the text is a row of its own."""
    named = {r["platform"] for r in rows if r.get("name") and r["name"] != r["platform"]}
    seen, kept = set(), []
    for row in rows:
        key = (row["platform"], row.get("name"))
        if key in seen or (row["platform"] in named and row.get("name") in (None, "", row["platform"])):
            continue
        seen.add(key)
        kept.append(row)
    return kept


def _versions(conn, names: set[str], article_id) -> list[dict]:
    """Every version with its texts (article_history fills in those kept in the articles row;
    an archive not yet migrated to it has them all in article_versions)."""
    source = "article_history" if "article_history" in names else "article_versions"
    return query_rows(conn, f"select * from {source} where article_id = :id order by version", {"id": article_id})


def _article_and_versions(conn, article_id) -> tuple[dict | None, list[dict]]:
    """The article and its versions (marked by _mark_dates_kept), to be read at once (read_at_once)."""
    article = _article(conn, article_id)
    names = schema_names(conn)
    if not (article and "article_versions" in names):
        return article, []
    return article, _mark_dates_kept(conn, _versions(conn, names, article_id))


def _mark_dates_kept(conn, versions: list[dict]) -> list[dict]:
    """``versions`` (in order), each with ``dates_kept``: whether its date and author are what it
    said (the current reading's are the article's; a version replaced before the archive's m020
    kept neither, and its nulls say nothing), and, since the version before, ``changed_fields``
    and ``extraction_changed`` (archive.sources.extraction_changed)."""
    since = applied_at(conn, "m020_version_dates")
    for version, replacement in zip(versions, [*versions[1:], None]):
        version["dates_kept"] = replacement is None or recorded_since(replacement["captured_at"], since)
    for before, version in zip([None, *versions], versions):
        version["changed_fields"] = _changed_fields(before, version) if before else []
        version["extraction_changed"] = extraction_changed(before, version) if before else []
    return versions


# What a version says beside its text, compared word by word as the diff compares them.
WORDED_FIELDS = ("title", "description")
DATED_FIELDS = ("published", "author")
# Each, as the diff page names it when it changed (Vietnamese, English).
FIELD_NAMES = {"title": ("tiêu đề", "headline"), "description": ("sapo", "sapo"),
               "published": ("ngày đăng", "published date"), "author": ("tác giả", "author")}


def _changed_fields(old: dict, new: dict) -> list[str]:
    """What ``new`` says otherwise than ``old`` beside its text: its headline or sapo (in other
    words, not merely otherwise spaced or encoded), its date or author (a correction with the
    same text, or one added where there was none, or lost; a null of a version that kept neither
    is none)."""
    worded = [name for name in WORDED_FIELDS if _tokens(old.get(name)) != _tokens(new.get(name))]
    return worded + [name for name in DATED_FIELDS if old.get(name) != new.get(name) and (
        old["dates_kept"] and new["dates_kept"] or old.get(name) and new.get(name))]


async def diff_page(datasette, request):
    db = _db(datasette)
    article_id = row_id(request.url_vars["article_id"])
    article, versions = (None, []) if article_id is None else await read_at_once(
        db, lambda conn: _article_and_versions(conn, article_id))
    if article is None and (merge := await _merged(db, article_id)):
        return await _to_merged_into(datasette, request, "diff", merge, None)
    if article is None:
        return await not_found(datasette, request, "Không có bài viết này", "No such article")
    context = {"article": article, "versions": versions, "diff": None, "paragraph_break": PARAGRAPH}
    by_number = {str(v["version"]): v for v in versions}
    # A version asked for by number must exist, however many the article has.
    if any(request.args.get(end) and request.args[end] not in by_number for end in ("from", "to")):
        return await not_found(datasette, request, "Không có phiên bản này", "No such version")
    if len(versions) >= 2:
        wanted_from = request.args.get("from") or str(versions[-2]["version"])
        wanted_to = request.args.get("to") or str(versions[-1]["version"])
        old, new = by_number[wanted_from], by_number[wanted_to]
        changed = _changed_fields(old, new)
        context.update(
            old=old, new=new,
            title_diff=word_diff(old.get("title"), new.get("title")),
            description_diff=word_diff(old.get("description"), new.get("description")),
            # What changed beside the text, named where the words of the text are counted.
            changed_names=[FIELD_NAMES[name] for name in changed],
            # A corrected date or author is a version with the same text: the diff must show it.
            changed_dates=[name for name in changed if name in DATED_FIELDS],
            extraction_changed=extraction_changed(old, new),
            # difflib is quadratic at worst: keep a long article from stalling other requests.
            diff=await asyncio.to_thread(word_diff, old.get("text"), new.get("text")),
        )
    return await _render(datasette, request, "reading_diff.html", context)


# Password -------------------------------------------------------------------------------------------------


def _authorised(scope, password: str) -> bool:
    for name, value in scope.get("headers") or []:
        if name.lower() != b"authorization":
            continue
        scheme, _, encoded = value.decode("latin-1").partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            _user, _, given = base64.b64decode(encoded.strip(), validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        return hmac.compare_digest(given.encode("utf-8"), password.encode("utf-8"))
    return False


# Called last, so applied outermost: no other plugin's wrapper answers a request without the password.
@hookimpl(trylast=True)
def asgi_wrapper(datasette):
    password = os.environ.get(PASSWORD_ENV)
    if not password:
        return None

    def wrap(app):
        async def password_required(scope, receive, send):
            if scope["type"] != "http" or _authorised(scope, password):
                await app(scope, receive, send)
                return
            await send({
                "type": "http.response.start",
                "status": 401,
                "headers": [
                    [b"www-authenticate", b'Basic realm="govarchive", charset="UTF-8"'],
                    [b"content-type", b"text/plain; charset=utf-8"],
                ],
            })
            await send({"type": "http.response.body", "body": "Cần mật khẩu / Password required\n".encode("utf-8")})

        return password_required

    return wrap


# Templates ---------------------------------------------------------------------------------------------


# A language tag as HTML's lang takes it (vi, en, zh-Hant); en_US is read as en-US.
LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*")


def language_tag(value) -> str:
    """An article's language as a tag to mark its words with: Vietnamese when the archive has
    none, or something that is no tag (an extractor's "English", a page's garbled lang)."""
    tag = value.strip().replace("_", "-") if isinstance(value, str) else ""
    return tag if LANGUAGE_TAG.fullmatch(tag) else "vi"


def _in_vietnam(value) -> datetime | None:
    """An ISO timestamp as a moment in Vietnam's time (one without a zone as it is), or None."""
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None
    return moment.astimezone(VN_TZ) if moment.tzinfo is not None else moment


def _when(value, with_time=True, seconds=False):
    """An ISO timestamp as a Vietnamese reader writes it, in Vietnam's time: 20:15 30/06/2023
    (20:15:42 30/06/2023 with ``seconds``)."""
    if not value:
        return ""
    moment = _in_vietnam(value)
    if moment is None:
        return value
    day = moment.strftime("%d/%m/%Y")
    if not with_time or (len(value) <= 10):
        return day
    return f"{moment:%H:%M:%S} {day}" if seconds else f"{moment:%H:%M} {day}"


def grouped(n: int) -> str:
    """A count as the reading room writes it: 1 155 (DIGIT_GROUP between groups of three)."""
    return f"{n:,}".replace(",", DIGIT_GROUP)


def _at(value, at: str, on: str) -> str:
    """An ISO timestamp in a sentence, in Vietnam's time: "lúc 13:40 ngày 27/11/2026" with the
    Vietnamese words, "at 13:40 on 27/11/2026" with the English."""
    moment = _in_vietnam(value)
    if moment is None:
        return value or ""
    return f"{at} {moment:%H:%M} {on} {moment:%d/%m/%Y}"


@hookimpl
def handle_exception(datasette, request, exception):
    """A page that does not exist, anywhere on the site, is the reading room's 404 (datasette's
    own is English-only and leads nowhere); a JSON client keeps datasette's JSON error."""
    if not isinstance(exception, NotFound) or request.path.endswith(".json"):
        return None

    async def page():
        return await not_found(datasette, request, "Không có trang này", "No such page")

    return page


@hookimpl
def prepare_jinja2_environment(env):
    env.filters["vn_datetime"] = _when
    env.filters["vn_date"] = lambda value: _when(value, with_time=False)
    env.filters["lang_tag"] = language_tag
    env.filters["number"] = grouped
    env.filters["vn_at"] = lambda value: _at(value, "lúc", "ngày")
    env.filters["en_at"] = lambda value: _at(value, "at", "on")
    # Versions: two captured in the same minute would otherwise read alike.
    env.filters["vn_datetime_seconds"] = lambda value: _when(value, seconds=True)
    # The search command names them alike.
    env.globals["EXTRACTION_CHANGES"] = EXTRACTION_CHANGES


@hookimpl
def register_routes():
    return [(pattern, read_only(view)) for pattern, view in [
        (r"^/$", home),
        (r"^/-/search$", search_page),
        (r"^/-/search\.(?P<format>csv|json)$", search_export),
        (r"^/-/results\.json$", results_json),
        (r"^/-/attention\.csv$", attention_csv),
        # Any id, so that one which is not a number gets the reading room's 404, not datasette's.
        (r"^/-/a/(?P<article_id>[^/]+)$", article_page),
        (r"^/-/diff/(?P<article_id>[^/]+)$", diff_page),
    ]]
