"""Re-running extraction over stored captures, with no network.

When the extractor or its rules improve, every article can be rebuilt from the bytes the
archive kept. This is a correction of the archive's reading, not a change on the site: the
row is updated in place (and the FTS index with it), ``last_seen`` and versions are untouched.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from sqlite_utils import Database
from sqlite_utils.db import NotFoundError

from archive.captures import CaptureMissing, read_capture
from archive.extract import extract
from archive.ingest import article_fields, keep_version_texts, store_knowledge, update_article
from archive.warc import RecordUnreadable

logger = logging.getLogger(__name__)


def reextract(
    db: Database,
    db_path: str | Path,
    *,
    source: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Counter:
    """Re-extract every article (of ``source``); returns counts of updated, unchanged, missing
    (no capture) and unreadable (a capture that cannot be read back; each one is logged)."""
    where, params = ("source_id = ?", [source]) if source else ("1", [])
    total = db.execute(f"select count(*) from articles where {where}", params).fetchone()[0]
    counts: Counter = Counter()
    rules = {
        row[0]: json.loads(row[1] or "{}") for row in db.execute("select id, extract_rules from sources")
    }
    for done, (article_id, url, source_id, fetch_id) in enumerate(
        _pages(db, where, params), start=1
    ):
        if progress:
            progress(done, total)
        try:
            capture = read_capture(db_path, db["fetches"].get(fetch_id))
            body = capture.body
        except (NotFoundError, CaptureMissing, TypeError):
            counts["missing"] += 1
            continue
        except RecordUnreadable as exc:
            # The article keeps its current reading rather than one of undecodable bytes.
            logger.warning("article %s kept as it is: %s", article_id, exc)
            counts["unreadable"] += 1
            continue
        record = extract(body, url, capture.headers, rules.get(source_id))
        fields = article_fields(record)
        stored = db.execute(f"select {', '.join(fields)} from articles where id = ?", [article_id]).fetchone()
        if tuple(stored) == tuple(fields.values()):
            # Rewriting it alike would still copy its text into its versions and renumber its
            # references and mentions.
            counts["unchanged"] += 1
            continue
        with db.atomic():
            # Versions keep the reading they were captured with; this one replaces it in place.
            keep_version_texts(db, article_id)
            update_article(db, article_id, fields)
            store_knowledge(db, article_id, source_id, record)
        counts["updated"] += 1
    _reread_urls(db, db_path, source, rules)
    return counts


def _reread_urls(db: Database, db_path: str | Path, source: str | None, rules: dict) -> None:
    """Read the captures behind articles' other URLs again too: what each URL gave is compared
    with its next fetch, and a reading by the old rules would make every one of them a change."""
    rows = db.execute(
        """select u.url, u.fetch_id, a.source_id from article_urls u join articles a on a.id = u.article_id
           where ? is null or a.source_id = ?""",
        [source, source],
    ).fetchall()
    for url, fetch_id, source_id in rows:
        try:
            capture = read_capture(db_path, db["fetches"].get(fetch_id))
            body = capture.body
        except (NotFoundError, CaptureMissing, TypeError, RecordUnreadable):
            continue
        record = extract(body, url, capture.headers, rules.get(source_id))
        with db.atomic():
            db.execute("update article_urls set text_hash = ?, title = ? where url = ?",
                       [record.get("text_hash"), record.get("title"), url])


def _pages(db: Database, where: str, params: list, size: int = 500):
    """Rows in id order, a page at a time, so memory stays flat on a large archive."""
    last = 0
    while True:
        rows = db.execute(
            f"select id, url, source_id, fetch_id from articles "
            f"where {where} and id > ? order by id limit {size}",
            [*params, last],
        ).fetchall()
        if not rows:
            return
        yield from rows
        last = rows[-1][0]
