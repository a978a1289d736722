"""An archive a newer govarchive made or upgraded (it has migrations this release does not
know) is refused by every command that opens it, those that only read included: its schema may
mean anything to this release, and writing into it could spoil it."""

import sqlite3

import pytest

from tests.test_upgrade_old_archives import govarchive


@pytest.fixture
def newer(archive_copy):
    conn = sqlite3.connect(archive_copy)
    with conn:
        conn.execute("insert into _sqlite_migrations (migration_set, name, applied_at) "
                     "values ('govarchive', 'm099_future_release', '2030-01-01')")
    conn.close()
    return archive_copy


def _counts(path):
    conn = sqlite3.connect(path)
    try:
        return [conn.execute(f"select count(*) from {t}").fetchone()[0] for t in ("crawls", "fetches")]
    finally:
        conn.close()


@pytest.mark.parametrize("command", [
    ["stats"], ["search", "zalo"], ["export", "--format", "jsonl"], ["reextract"], ["serve", "--port", "0"],
    ["crawl", "--all", "--sources", "SOURCES", "--max-pages", "1"],
    ["schedule", "--once", "--sources", "SOURCES", "--max-pages", "1"],
])
def test_an_archive_made_by_a_newer_release_is_refused(newer, crawled_archive, command):
    before = _counts(newer)
    args = [str(crawled_archive / "sources.toml") if a == "SOURCES" else a for a in command]
    result = govarchive(*args, "--db", newer, cwd=newer.parent)
    assert (result.returncode, result.stderr) == (1, (
        f"Error: {newer}: made by a newer govarchive (it has migrations this one does not know: "
        "m099_future_release); open it with that release or a later one\n")), result.stdout
    assert _counts(newer) == before
