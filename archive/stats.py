"""What the last crawls did: the library behind ``govarchive stats``."""

from __future__ import annotations

from datetime import datetime

from sqlite_utils import Database


def last_runs(db: Database, *, limit: int = 20, source: str | None = None) -> list[dict]:
    where, params = ("where source_id = ?", [source]) if source else ("", [])
    rows = db.execute(
        f"""select id, source_id, started_at, finished_at, status, pages, articles_new, articles_changed,
                   articles_unchanged, articles_not_modified, errors, health_articles, share_title,
                   share_date, share_author, share_50_words
            from crawls {where} order by id desc limit ?""",
        [*params, limit],
    )
    columns = [c[0] for c in rows.description]
    runs = [dict(zip(columns, r)) for r in rows.fetchall()]
    for run in runs:
        run["seconds"] = _seconds(run["started_at"], run["finished_at"])
    return runs


def _seconds(start: str | None, end: str | None) -> float | None:
    if not start or not end:
        return None
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()
