"""Running crawls: the library behind ``govarchive crawl`` and ``govarchive demo``.

The crawl itself runs in a child process (``python -m crawler``): Twisted's reactor cannot be
restarted within one process, and the archive package does not import the crawler. The two
meet in the database: the child writes ``crawls`` rows, this side reads them back.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from archive.db import ArchiveError, open_db
from archive.sources import load_sources, select


def run_crawl(
    db_path: str | Path,
    *,
    sources_file: str | Path = "sources.toml",
    source_ids: list[str] | tuple[str, ...] = (),
    max_pages: int | None = None,
    log_level: str = "INFO",
    warc_dir: str | Path | None = None,
    warc_max_size: int | None = None,
) -> list[dict]:
    """Crawl the chosen sources (all when none are named) into ``db_path``.

    Returns the ``crawls`` rows this run wrote, one per source. Raises SourcesError for a bad
    sources file or unknown id before anything is fetched, ArchiveError when the crawler
    process fails without recording its crawls.
    """
    sources = load_sources(sources_file)
    chosen = select(sources, list(source_ids)) if source_ids else sources
    db = open_db(db_path)
    last_id = db.execute("select coalesce(max(id), 0) from crawls").fetchone()[0]
    db.close()

    command = [sys.executable, "-m", "crawler", "--db", str(db_path), "--sources", str(sources_file)]
    command += ["--log-level", log_level]
    if max_pages is not None:
        command += ["--max-pages", str(max_pages)]
    if warc_dir is not None:
        command += ["--warc-dir", str(warc_dir)]
    if warc_max_size is not None:
        command += ["--warc-max-size", str(warc_max_size)]
    command += [s.id for s in chosen]
    env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "crawler.settings"}
    try:
        completed = subprocess.run(command, env=env, check=False)
        returncode = completed.returncode
    except KeyboardInterrupt:
        # The child got the same SIGINT and closes its crawls cleanly; report what it recorded.
        returncode = 130

    db = open_db(db_path)
    try:
        rows = list(
            db.query(
                """select c.*, (select f.error from fetches f where f.crawl_id = c.id and f.error is not null
                                order by f.id limit 1) as first_error
                   from crawls c where c.id > ? order by c.id""",
                [last_id],
            )
        )
    finally:
        db.close()
    if not rows:
        raise ArchiveError(f"the crawler exited with status {returncode} without recording any crawl")
    return rows


def crawl_failed(row: dict) -> bool:
    return row["status"] != "ok"
