"""govarchive stats's table says what --json says: the articles a crawl found gone, and when it
started, in Vietnam time as the reading room shows it."""

import json

import pytest
from click.testing import CliRunner

from archive import ingest
from archive.cli import cli
from archive.db import open_db
from archive.sources import parse_sources

SOURCE = (
    '[[source]]\nid = "baochinhphu"\nname = "S"\nkind = "press"\nhome = "https://s.vn/"\n'
    'allowed_domains = ["s.vn"]\narticle_pattern = "x"\nschedule = "0 * * * *"\n'
    '[source.discovery]\nfeeds = ["https://s.vn/rss"]\n'
)
STARTED = "2024-01-31T20:30:05.123+00:00"  # 03:30 on 1 February in Vietnam


@pytest.fixture
def db_path(tmp_path):
    (source,) = parse_sources(SOURCE)
    db = open_db(tmp_path / "archive.db")
    crawl = ingest.start_crawl(db, source, max_pages=None)
    archived = [f"https://s.vn/bai-{n}.htm" for n in range(3)]
    db["articles"].insert_all({"url": url, "source_id": source.id} for url in archived)
    # Two archived articles gone, one still there, and a link never archived that is broken: an error.
    for url, status in zip([*archived, "https://s.vn/never.htm"], (404, 410, 200, 404)):
        ingest.record_fetch(db, crawl_id=crawl, source_id=source.id, url=url, kind="article", status=status)
    ingest.finish_crawl(db, crawl, finish_reason="finished", stats={})
    db["crawls"].update(crawl, {"started_at": STARTED})
    db.close()
    return tmp_path / "archive.db"


def _stats(db_path, *args):
    result = CliRunner().invoke(cli, ["stats", "--db", str(db_path), *args])
    assert result.exit_code == 0, result.output
    return result.output


def _column(table: str, name: str) -> str:
    header, row = table.splitlines()
    return row.split()[header.split().index(name)]


def test_the_table_counts_the_articles_found_gone_apart_from_errors(db_path):
    table = _stats(db_path)
    (run,) = map(json.loads, _stats(db_path, "--json").splitlines())
    assert (run["gone"], run["errors"]) == (2, 1)
    assert (_column(table, "gone"), _column(table, "err")) == ("2", "1"), table


def test_the_table_shows_start_times_in_vietnam_time_and_json_as_recorded(db_path):
    header, row = _stats(db_path).splitlines()
    assert header.split()[2:4] == ["started", "(UTC+7)"]
    assert row.split()[2:4] == ["2024-02-01", "03:30"], row
    (run,) = map(json.loads, _stats(db_path, "--json").splitlines())
    assert run["started_at"] == STARTED
