"""A crawl of an archive whose write lock another process holds (a transaction left open, a long
write) waits out SQLite's busy timeout, saying that it waits, and then says in one line what
stopped it and what to do: not SQLite's "database is locked" among Scrapy's internal errors."""

import sqlite3

from archive.db import open_db
from tests.conftest import crawl_into, serve_routes
from tests.test_variants import write_sources


def test_a_crawl_of_an_archive_another_process_is_writing_to_says_so(tmp_path):
    open_db(tmp_path / "archive.db").close()
    other = sqlite3.connect(tmp_path / "archive.db", isolation_level=None)
    other.execute("begin immediate")
    try:
        with serve_routes(lambda path, _base: None) as (base, hits):
            write_sources(tmp_path, base, home="/list")
            result = crawl_into(tmp_path, "--quiet")
    finally:
        other.close()
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "note: archive.db: another process is writing to the archive; waiting up to 30 s for it",
        "Error: archive.db: another process holds the archive's write lock and has not let go of it in 30 s, "
        "so nothing was crawled; crawl again once that process has finished or been stopped "
        "('fuser archive.db' lists the processes that have the archive open)",
    ]
    assert hits == []
