"""Accent-insensitive search in datasette's own search box, bounded so it stays fast at scale.

The articles table searches ``articles_fold``, which holds text folded by our code (đ -> d,
no diacritics). This wrapper folds the ``_search`` parameter the same way before datasette
builds its SQL, and turns it into valid FTS5 syntax (phrases, AND/OR/NOT, prefixes kept).
An empty search is no search, as in stock datasette.

datasette's own ``_search`` filter is ``id in (select rowid from <fts> where <fts> match ...)``:
for a word found in most of a million articles that set, its count and its facets take
seconds. So on a table whose metadata names an ``fts_table``, the wrapper hands the query as
typed to this plugin's filter instead (``_fts_search``: parsed by the filter, never parsed
output parsed again, which would lose prefixes and column filters), after counting the matches up to the
``search_limit`` plugin setting. When more match, the filter keeps the ``search_limit`` most
recently archived (``_fts_floor``: the lowest rowid kept), and the count and facets are skipped
(``_nocount``, ``_nofacet``), as the description of the result says. Rows come in the table's
order (newest first), as everywhere in datasette; relevance ranking is the reading room's.

datasette's column searches (``_search_title=…``) are bounded the same way: each becomes a
column filter in the same FTS5 query, carried in ``_fts_search_<column>``.

Only searches of the folded index are folded. The exact-accent index (``articles_fts``, hidden,
reachable from the database page) is refused with a 400 that points to the articles table's
search: it keeps no word positions (``detail=none``), so FTS5 refuses phrases and column
filters in it, and a folded query misses every accented word it holds.

A streamed CSV (``_stream=on``, "stream all rows"; datasette streams no other format) is a
download, not a page: it has every match, as the reading room's downloads do, up to ``STREAMED``
times ``search_limit`` (100,000 by default), and drops the floor carried over from the page it
was asked from. datasette streams it in pages of ``max_returned_rows``, each a query that finds
and sorts every match again: for a word in most of a million articles over a second a page, and
past datasette's time limit a page fails. So past that many matches the stream keeps the most
recently archived of them, and its last line says so and links to the reading room's download
of the search, which finds the matches once.
"""

import csv
import io
import re
from urllib.parse import parse_qsl, urlencode

from datasette import hookimpl
from datasette.filters import FilterArguments
from datasette.utils.asgi import BadRequest, Request

from archive.datasette.plugins.reading_room import absolute_url, row_id
from archive.search import FILTERS_COLUMN, floor_sql, parse_query, with_filters
from archive.serve import FOLDED_INDEX, configured_search_limit, filter_word_kinds

SEARCH = "_fts_search"
COLUMN_SEARCH = "_fts_search_"  # + column name
FLOOR = "_fts_floor"
# A streamed CSV has up to this many times search_limit matches. With 5,000, each page of its
# stream sorts up to 100,000 matches: about 0.2 s in a million articles (0.7 s for the first,
# from a cold disk), where a word in most of them takes 1-3 s a page, and the first can pass
# datasette's time limit (sql_time_limit_ms), which ends the download with an error.
STREAMED = 20
# A search on the articles table narrowed to a source, a month, a channel, an agency or a
# document (``source_id=…``, ``published_month=…``, ``channels__arraycontains=…``,
# ``agencies__arraycontains=…``, ``refs__arraycontains=…``) counts and lists the newest matches
# of that filter: its words go into the FTS5 query (archive.search.with_filters), carried in
# these. datasette applies the filter itself as well, a document as written (every_spelling=False).
WORD_FILTERS = {
    "source_id": "source", "published_month": "month", "channels__arraycontains": "platform",
    "agencies__arraycontains": "agency", "refs__arraycontains": "ref",
}
FILTER_ARGS = {name: f"_fts_{name}" for name in WORD_FILTERS.values()}
# The exact-accent index (archive/db.py), which datasette lists as a hidden table of its own.
EXACT_INDEX = "articles_fts"
# A folded query's column filters (archive.search writes "text : …", and "{description text
# title} : …" before a prefix), read outside its quoted phrases.
_PHRASE = re.compile(r'"(?:[^"]|"")*"')
_COLUMN_FILTER = re.compile(r"(?:\{([^}]*)\}|(\w+))\s*:|(\()|(\))|\b(OR|NOT)\b")


def _is_search(key: str) -> bool:
    return key == "_search" or key.startswith("_search_")


def fold_search_params(query_string: bytes) -> bytes:
    pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True, encoding="utf-8")
    if not any(_is_search(key) for key, _ in pairs):
        return query_string
    folded = [(key, parse_query(value).folded if _is_search(key) else value) for key, value in pairs]
    return urlencode(folded, encoding="utf-8").encode("ascii")


def _streamed(path: str, pairs) -> bool:
    """Whether datasette streams the response: a CSV asked for with any ``_stream`` value."""
    return path.endswith(".csv") and bool(next((v for k, v in pairs if k == "_stream"), ""))


def _table(datasette, path: str) -> tuple[str, str] | None:
    """(database, table) when ``path`` is the page or an export of a table (or view), else None."""
    parts = path.strip("/").split("/")
    if len(parts) != 2 or parts[0] not in datasette.databases:
        return None
    return parts[0], parts[1].rsplit(".", 1)[0] if "." in parts[1] else parts[1]


def _fts_table(datasette, path: str):
    """(database, table, fts_table) when ``path`` is the page or an export of a table searched
    through an FTS table named in the metadata, else None."""
    found = _table(datasette, path)
    if found is None:
        return None
    fts_table = datasette.table_metadata(*found).get("fts_table")
    return (*found, fts_table) if fts_table else None


async def _index_searched(datasette, database: str, table: str, chosen: str | None) -> str | None:
    """The FTS table datasette's own ``_search`` searches for ``table``, as datasette picks it:
    the one ``_fts_table`` names (``chosen``), else the metadata's, else the table's own or the one
    built on it; None when there is none."""
    return (chosen or datasette.table_metadata(database, table).get("fts_table")
            or await datasette.get_database(database).fts_table(table))


async def _searchable(db, fts_table: str) -> list[str]:
    """The FTS table's text columns: not its hidden ones (its own name, rank) nor the filters."""
    return [c for c in await db.table_columns(fts_table) if c not in (fts_table, "rank", FILTERS_COLUMN)]


def _column_searches(pairs, prefix: str, columns) -> dict[str, str]:
    """{column: query} of the non-empty ``<prefix><column>`` arguments naming a searchable column."""
    return {key[len(prefix):]: value for key, value in pairs
            if key.startswith(prefix) and key[len(prefix):] in columns and value.strip()}


def _other_columns(folded: str, column: str) -> list[str]:
    """The columns of the first column filter in ``folded`` that leaves out ``column``: inside a
    search of ``column`` FTS5 takes only the columns both name, so that filter finds nothing,
    and so does the whole search when every part of it must match. One joined by OR or NOT
    (``zalo OR text:hoa``, ``(zalo OR text:hoa) oa``) leaves the rest of the search to match: none
    is named then. An OR inside a group of its own (a word's spellings: ``text : ( "qui" OR
    "quy" )``, an abbreviation's: ``text : ( "ubnd" OR "uy ban nhan dan" )``) joins no filter."""
    # Each group open at this point: whether an OR or NOT joins its parts, and its column filters.
    groups: list[tuple[bool, list[list[str]]]] = [(False, [])]
    for found in _COLUMN_FILTER.finditer(_PHRASE.sub(" ", folded)):
        either, filters = groups[-1]
        if found[3]:
            groups.append((False, []))
        elif found[4] and len(groups) > 1:
            groups.pop()
            if not either:
                groups[-1][1].extend(filters)
        elif found[5]:
            groups[-1] = (True, filters)
        elif found[1] or found[2]:
            filters.append((found[1] or found[2]).split())
    either, filters = groups[0]
    return [] if either else next((named for named in filters if column not in named), [])


def _match(search: str | None, by_column: dict[str, str]) -> str:
    """One FTS5 query (folded) for a search and column searches, all of which must match;
    empty when any of them has no words, so the whole search matches nothing."""
    parts = []
    if search is not None:
        parts.append(parse_query(search).folded)
    parts += [f"{{{column}}} : ({folded})" if (folded := parse_query(value).folded) else ""
              for column, value in by_column.items()]
    if not all(parts):
        return ""
    return parts[0] if len(parts) == 1 else " AND ".join(f"( {part} )" for part in parts)


async def bounded_search_params(datasette, path: str, query_string: bytes) -> bytes:
    target = _fts_table(datasette, path)
    pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True, encoding="utf-8")
    if target is None:
        # Only the folded index holds folded words (filters_from_request refuses the exact one).
        found = _table(datasette, path)
        chosen = next((v for k, v in pairs if k == "_fts_table"), None)
        index = await _index_searched(datasette, *found, chosen) if found else None
        return fold_search_params(query_string) if index == FOLDED_INDEX else query_string
    streamed = _streamed(path, pairs)
    if streamed:
        pairs = [(k, v) for k, v in pairs if k != FLOOR]
    database, _, fts_table = target
    db = datasette.get_database(database)
    columns = await _searchable(db, fts_table)
    search = [value for key, value in pairs if key == "_search" and value.strip()]
    by_column = _column_searches(pairs, "_search_", columns)
    # Searches of columns the index lacks go on to the filter, which refuses them by name.
    unknown = [(COLUMN_SEARCH + k.removeprefix("_search_"), v) for k, v in pairs
               if k.startswith("_search_") and k.removeprefix("_search_") not in columns]
    # An emptied search box still sends "_search=", beside the search the form carried over.
    submitted = any(key == "_search" for key, _ in pairs)
    if not search and not by_column and not unknown and not submitted:
        return urlencode([(k, v) for k, v in pairs if k != "_search" and not k.startswith("_search_")],
                         encoding="utf-8").encode("ascii")
    # A search typed into the box replaces the one the form carried over from the previous page,
    # with the count and facets that page left out because of it; column searches stay.
    by_column = {**_column_searches(pairs, COLUMN_SEARCH, columns), **by_column}
    carried = {SEARCH, FLOOR, "_search", *FILTER_ARGS.values()}
    carried |= {"_search_" + column for column in by_column} | {COLUMN_SEARCH + column for column in by_column}
    carried |= {"_search_" + k.removeprefix(COLUMN_SEARCH) for k, _ in unknown}
    carried |= {"_nocount", "_nofacet"} if any(k == FLOOR for k, _ in pairs) else set()
    # An empty search box is no search, as in stock datasette.
    kept = [(k, v) for k, v in pairs if k not in carried and not ((k == "_search" or k.startswith("_search_")) and not v.strip())]
    typed = [(SEARCH, search[-1])] if search else []
    columns_kept = [(COLUMN_SEARCH + column, value) for column, value in by_column.items()]
    columns_kept += unknown
    if not search and not by_column and not unknown:
        return urlencode(kept, encoding="utf-8").encode("ascii")
    match = _match(search[-1] if search else None, by_column)
    if not match:
        return urlencode(kept + (typed or [(SEARCH, "")]) + columns_kept, encoding="utf-8").encode("ascii")
    kinds = await filter_word_kinds(db)
    words = {}
    for key, value in kept:
        kind = WORD_FILTERS.get(key.removesuffix("__exact"))
        if kind in kinds and value:
            words[kind] = value
    pairs = kept + typed + columns_kept + [(FILTER_ARGS[name], value) for name, value in words.items()]
    if streamed:
        return urlencode(pairs, encoding="utf-8").encode("ascii")
    limit = configured_search_limit(datasette)
    match = with_filters(match, **words, every_spelling=False)
    row = (await db.execute(floor_sql(fts_table), {"match": match, "limit": limit})).rows[0]
    if row["n"] > limit:
        pairs += [(FLOOR, str(row["floor"])), ("_nocount", "1"), ("_nofacet", "1")]
    return urlencode(pairs, encoding="utf-8").encode("ascii")


def _filter_words(args, kinds) -> dict[str, str]:
    """{with_filters keyword: value} of the filters carried for the FTS5 query (``FILTER_ARGS``)."""
    return {name: args[arg] for name, arg in FILTER_ARGS.items() if args.get(arg) and name in kinds}


async def stream_bound(datasette, request: Request, path: str, query_string: bytes) -> tuple[bytes, str | None]:
    """A streamed CSV's arguments (as bounded_search_params leaves them) with the floor of the
    newest ``STREAMED`` × search_limit matches when more match, and then the line that ends the
    file, its link made absolute from ``request``; else as they were, and None."""
    target = _fts_table(datasette, path)
    pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True, encoding="utf-8")
    if target is None or not _streamed(path, pairs):
        return query_string, None
    args = {}
    for key, value in pairs:
        args.setdefault(key, value)  # datasette reads the first of a repeated argument
    db = datasette.get_database(target[0])
    by_column = _column_searches(pairs, COLUMN_SEARCH, await _searchable(db, target[2]))
    query = _match(args.get(SEARCH), by_column)
    if not query:
        return query_string, None
    words = _filter_words(args, await filter_word_kinds(db))
    cap = STREAMED * configured_search_limit(datasette)
    match = with_filters(query, **words, every_spelling=False)
    row = (await db.execute(floor_sql(target[2]), {"match": match, "limit": cap})).rows[0]
    if row["n"] <= cap:
        return query_string, None
    typed = " ".join(v for v in [args.get(SEARCH), *by_column.values()] if v)
    every = absolute_url(
        datasette, request, datasette.urls.path("-/search.csv") + "?" + urlencode({"q": typed, **words}, encoding="utf-8"))
    note = (f"More than {cap:,} rows match: this download has at most the {cap:,} most recently archived. "
            f"Every article with these words: {every}")
    return urlencode(pairs + [(FLOOR, str(row["floor"]))], encoding="utf-8").encode("ascii"), note


INCOMPLETE = ("This download is incomplete: the stream stopped at the error on the line above, "
              "and the rows after it are missing.")


def _ending_with(send, note: str | None):
    """``send`` with one more CSV row at the end of a successful response: INCOMPLETE when
    datasette cut the stream, else ``note`` if any."""
    ok, last = False, b"\n"

    async def send_with_note(message):
        nonlocal ok, last
        if message["type"] == "http.response.start":
            ok = message["status"] == 200
        elif message["type"] == "http.response.body" and ok:
            body = message.get("body", b"")
            if not message.get("more_body"):
                # datasette ends every row with a line break, and a stream it cuts (max_csv_mb, a
                # page that failed) with the error's message and none.
                cut = not (body or last).endswith(b"\n")
                ending = INCOMPLETE if cut else note
                if ending:
                    line = io.StringIO()
                    csv.writer(line).writerow([ending])
                    body += (b"\r\n" if cut else b"") + line.getvalue().encode("utf-8")
                    message = {**message, "body": body}
            last = body or last
        await send(message)

    return send_with_note


def _refuse_exact(datasette, request, database: str) -> None:
    """Refuse a search of the exact-accent index with a 400 that points to the same search of the
    articles table."""
    typed = [(key, value) for key in request.args if _is_search(key) for value in request.args.getlist(key)]
    raise BadRequest(
        f"{EXACT_INDEX} is the exact-accent index the reading room ranks its matches with: it keeps no "
        "word positions, so it cannot be searched here. Search the articles table, which finds "
        "words with or without their accents: "
        f"{datasette.urls.table(database, 'articles')}?{urlencode(typed, encoding='utf-8')}"
    )


@hookimpl
def filters_from_request(request, database, table, datasette):
    async def inner():
        if any(_is_search(key) for key in request.args):
            if await _index_searched(datasette, database, table, request.args.get("_fts_table")) == EXACT_INDEX:
                _refuse_exact(datasette, request, database)
        column_args = {k: request.args[k] for k in request.args if k.startswith(COLUMN_SEARCH)}
        if SEARCH not in request.args and not column_args:
            return None
        fts_table = datasette.table_metadata(database, table).get("fts_table")
        if not fts_table:
            return None
        fts_pk = datasette.table_metadata(database, table).get("fts_pk", "rowid")
        columns = await _searchable(datasette.get_database(database), fts_table)
        by_column = _column_searches(column_args.items(), COLUMN_SEARCH, columns)
        if unknown := sorted(set(column_args) - {COLUMN_SEARCH + column for column in by_column}):
            named = ", ".join("_search_" + key.removeprefix(COLUMN_SEARCH) for key in unknown)
            raise BadRequest(f"Cannot search by that column: {named} (searchable: {', '.join(columns)})")
        for column, value in by_column.items():
            if other := _other_columns(parse_query(value).folded, column):
                raise BadRequest(
                    f"_search_{column}={value} names the column {', '.join(other)}, where a search of {column} "
                    f"finds nothing: search with _search={value} instead"
                )
        typed = request.args[SEARCH] if SEARCH in request.args else None
        queries = [parse_query(value) for value in ([typed] if typed is not None else []) + list(by_column.values())]
        notes = "".join(f" ({note})" for query in queries for note in query.notes)
        query = _match(typed, by_column)
        if not query:
            return FilterArguments(["0"], human_descriptions=["search matches nothing" + notes])
        kinds = await filter_word_kinds(datasette.get_database(database))
        words = _filter_words(request.args, kinds)
        match = with_filters(query, **words, every_spelling=False)
        where = f"{fts_pk} in (select rowid from [{fts_table}] where [{fts_table}] match :fts_search"
        params = {"fts_search": match}
        said = ([f'"{typed}"'] if typed is not None else []) + [
            f'"{value}" in {column}' for column, value in by_column.items()
        ]
        description = "search matches " + " and ".join(said) + notes
        # Only a row id is a floor: str.isdigit() also passes "²", which int() refuses, and "٣".
        floor = row_id(request.args.get(FLOOR) or "")
        if floor is not None:
            where += " and rowid >= :fts_floor"
            params["fts_floor"] = floor
            limit = configured_search_limit(datasette)
            description += (
                f" (more than {limit:,} rows match: the {limit:,} most recently archived are listed, "
                "without a count or facets; add words to narrow the search)"
            )
        return FilterArguments(
            [where + ")"], params=params, human_descriptions=[description],
            extra_context={"search": typed or "", "supports_search": True},
        )

    return inner


# Called first, so applied innermost: the other plugins' wrappers (the password, the check for
# NUL characters) read the URL's own arguments, not the ones this one writes.
@hookimpl(tryfirst=True)
def asgi_wrapper(datasette):
    def wrap(app):
        async def folded_search(scope, receive, send):
            if scope.get("type") == "http":
                path, note = scope.get("path", ""), None
                if b"_search" in scope.get("query_string", b""):
                    query_string = await bounded_search_params(datasette, path, scope["query_string"])
                    query_string, note = await stream_bound(datasette, Request(scope, receive), path, query_string)
                    scope = dict(scope, query_string=query_string)
                pairs = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
                if _streamed(path, pairs):
                    send = _ending_with(send, note)
            await app(scope, receive, send)

        return folded_search

    return wrap
