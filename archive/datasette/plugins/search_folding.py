"""Accent-insensitive search in datasette's own search box, bounded so it stays fast at scale.

The articles table searches ``articles_fold``, which holds text folded by our code (đ -> d,
no diacritics). This wrapper folds the ``_search`` parameter the same way before datasette
builds its SQL, and turns it into valid FTS5 syntax (phrases, AND/OR/NOT, prefixes kept).

datasette's own ``_search`` filter is ``id in (select rowid from <fts> where <fts> match ...)``:
for a word found in most of a million articles that set, its count and its facets take
seconds. So on a table whose metadata names an ``fts_table``, the wrapper hands the folded query
to this plugin's filter instead (``_fts_search``), after counting the matches up to the
``search_limit`` plugin setting. When more match, the filter keeps the ``search_limit`` most
recently archived (``_fts_floor``: the lowest rowid kept), and the count and facets are skipped
(``_nocount``, ``_nofacet``), as the description of the result says. Rows come in the table's
order (newest first), as everywhere in datasette; relevance ranking is the reading room's.
"""

from urllib.parse import parse_qsl, urlencode

from datasette import hookimpl
from datasette.filters import FilterArguments

from archive.search import FILTERS_COLUMN, floor_sql, parse_query, with_filters
from archive.serve import configured_search_limit

SEARCH = "_fts_search"
FLOOR = "_fts_floor"
# A search on the articles table narrowed to a source or a month (``source_id=…``,
# ``published_month=…``) counts and lists the newest matches of that source or month: the
# filter's words go into the FTS5 query (archive.search.with_filters), carried in these.
WORD_FILTERS = {"source_id": "source", "published_month": "month"}
FILTER_ARGS = {name: f"_fts_{name}" for name in WORD_FILTERS.values()}


def fold_search_params(query_string: bytes) -> bytes:
    pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True, encoding="utf-8")
    if not any(key == "_search" or key.startswith("_search_") for key, _ in pairs):
        return query_string
    folded = [
        (key, parse_query(value).folded if key == "_search" or key.startswith("_search_") else value)
        for key, value in pairs
    ]
    return urlencode(folded, encoding="utf-8").encode("ascii")


def _fts_table(datasette, path: str):
    """(database, table, fts_table) when ``path`` is the page or an export of a table searched
    through an FTS table named in the metadata, else None."""
    parts = path.strip("/").split("/")
    if len(parts) != 2 or parts[0] not in datasette.databases:
        return None
    table = parts[1].rsplit(".", 1)[0] if "." in parts[1] else parts[1]
    fts_table = datasette.table_metadata(parts[0], table).get("fts_table")
    return (parts[0], table, fts_table) if fts_table else None


async def bounded_search_params(datasette, path: str, query_string: bytes) -> bytes:
    target = _fts_table(datasette, path)
    pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True, encoding="utf-8")
    search = [value for key, value in pairs if key == "_search"]
    if target is None or not search:
        return fold_search_params(query_string)
    database, _table, fts_table = target
    # A search typed into the box replaces the one the form carried over from the previous page,
    # with the count and facets that page left out because of it.
    carried = {SEARCH, FLOOR, "_search", *FILTER_ARGS.values()}
    carried |= {"_nocount", "_nofacet"} if any(k == FLOOR for k, _ in pairs) else set()
    kept = [(k, v) for k, v in pairs if k not in carried]
    folded = parse_query(search[-1]).folded
    if not folded:
        return urlencode(kept + [(SEARCH, "")], encoding="utf-8").encode("ascii")
    db = datasette.get_database(database)
    words = {}
    if FILTERS_COLUMN in await db.table_columns(fts_table):
        for key, value in kept:
            column = key.removesuffix("__exact")
            if column in WORD_FILTERS and value:
                words[WORD_FILTERS[column]] = value
    limit = configured_search_limit(datasette)
    row = (await db.execute(floor_sql(fts_table), {"match": with_filters(folded, **words), "limit": limit})).rows[0]
    pairs = kept + [(SEARCH, folded)] + [(FILTER_ARGS[name], value) for name, value in words.items()]
    if row["n"] > limit:
        pairs += [(FLOOR, str(row["floor"])), ("_nocount", "1"), ("_nofacet", "1")]
    return fold_search_params(urlencode(pairs, encoding="utf-8").encode("ascii"))


@hookimpl
def filters_from_request(request, database, table, datasette):
    async def inner():
        if SEARCH not in request.args:
            return None
        fts_table = datasette.table_metadata(database, table).get("fts_table")
        if not fts_table:
            return None
        fts_pk = datasette.table_metadata(database, table).get("fts_pk", "rowid")
        # Folding again is a no-op on what the wrapper produced and makes any hand-written
        # value valid FTS5 syntax.
        query = parse_query(request.args[SEARCH]).folded
        if not query:
            return FilterArguments(["0"], human_descriptions=["search matches nothing"])
        words = {name: request.args[arg] for name, arg in FILTER_ARGS.items() if request.args.get(arg)}
        if words and FILTERS_COLUMN in await datasette.get_database(database).table_columns(fts_table):
            match = with_filters(query, **words)
        else:
            match = query
        where = f"{fts_pk} in (select rowid from [{fts_table}] where [{fts_table}] match :fts_search"
        params = {"fts_search": match}
        description = f'search matches "{query}"'
        floor = request.args.get(FLOOR)
        if floor and floor.isdigit():
            where += " and rowid >= :fts_floor"
            params["fts_floor"] = int(floor)
            limit = configured_search_limit(datasette)
            description += (
                f" (more than {limit:,} rows match: the {limit:,} most recently archived are listed, "
                "without a count or facets; add words to narrow the search)"
            )
        return FilterArguments(
            [where + ")"], params=params, human_descriptions=[description],
            extra_context={"search": query, "supports_search": True},
        )

    return inner


@hookimpl
def asgi_wrapper(datasette):
    def wrap(app):
        async def folded_search(scope, receive, send):
            if scope.get("type") == "http" and b"_search" in scope.get("query_string", b""):
                query_string = await bounded_search_params(datasette, scope.get("path", ""), scope["query_string"])
                scope = dict(scope, query_string=query_string)
            await app(scope, receive, send)

        return folded_search

    return wrap
