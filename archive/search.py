"""Full-text search over the archive (the library behind ``govarchive search``)."""

from __future__ import annotations

import re
import sqlite3

from sqlite_utils import Database

_TOKEN = re.compile(r"\w+", re.UNICODE)

SEARCH_SQL = """
select a.id, a.url, a.source_id, a.title, a.published, a.author,
       snippet(articles_fts, 2, '[', ']', '…', 16) as snippet,
       bm25(articles_fts) as rank
from articles_fts
join articles a on a.rowid = articles_fts.rowid
where articles_fts match :query
order by rank
limit :limit
"""


def search(db: Database, query: str, *, limit: int = 20) -> list[dict]:
    """Articles matching ``query`` (FTS5 syntax), best first.

    A query FTS5 cannot parse (a stray quote, a lone operator) is retried as plain words, so
    typing text copied from a page never fails.
    """
    query = query.strip()
    if not query:
        return []
    try:
        return _run(db, query, limit)
    except sqlite3.OperationalError:
        words = _TOKEN.findall(query)
        if not words:
            return []
        return _run(db, " ".join(f'"{w}"' for w in words), limit)


def _run(db: Database, query: str, limit: int) -> list[dict]:
    cursor = db.execute(SEARCH_SQL, {"query": query, "limit": limit})
    columns = [c[0] for c in cursor.description]
    return [dict(zip(columns, row)) for row in cursor.fetchall()]
