"""Accent-insensitive search in datasette's own search box.

The articles table searches ``articles_fold``, which holds text folded by our code (đ -> d,
no diacritics). This wrapper folds the ``_search`` parameter the same way before datasette
builds its SQL, and turns it into valid FTS5 syntax (phrases, AND/OR/NOT, prefixes kept).
"""

from urllib.parse import parse_qsl, urlencode

from datasette import hookimpl

from archive.search import parse_query


def fold_search_params(query_string: bytes) -> bytes:
    pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True, encoding="utf-8")
    if not any(key == "_search" or key.startswith("_search_") for key, _ in pairs):
        return query_string
    folded = [
        (key, parse_query(value).folded if key == "_search" or key.startswith("_search_") else value)
        for key, value in pairs
    ]
    return urlencode(folded, encoding="utf-8").encode("ascii")


@hookimpl
def asgi_wrapper(datasette):
    def wrap(app):
        async def folded_search(scope, receive, send):
            if scope.get("type") == "http" and b"_search" in scope.get("query_string", b""):
                scope = dict(scope, query_string=fold_search_params(scope["query_string"]))
            await app(scope, receive, send)

        return folded_search

    return wrap
