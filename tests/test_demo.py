"""govarchive demo: the whole pipeline offline against the bundled sample site."""

import sqlite3
from urllib.parse import urlsplit

from archive.samplesite import SampleSite


def _paths(urls):
    return {urlsplit(u).path for u in urls}


def test_demo_archives_every_sample_article_and_nothing_else(run_cli, tmp_path):
    result = run_cli("demo", "--no-serve", "--db", "demo.db", check=True)
    assert "Demo archive demo.db: " in result.stdout
    conn = sqlite3.connect(tmp_path / "demo.db")
    urls = [r[0] for r in conn.execute("select url from articles")]
    conn.close()
    with SampleSite() as site:
        expected = site.expected_article_urls()
    assert len(urls) == len(expected) == len(set(urls))
    assert _paths(urls) == _paths(expected)
    assert f"{len(expected)} articles" in result.stdout

    again = run_cli("demo", "--no-serve", "--db", "demo.db", check=True)
    assert f"{len(expected)} articles" in again.stdout


def test_demo_refuses_to_overwrite_a_real_archive(run_cli, tmp_path):
    from archive.db import open_db
    from archive.ingest import register_source
    from archive.sources import parse_sources

    db = open_db(tmp_path / "real.db")
    source = parse_sources(
        '[[source]]\nid = "hanoi"\nname = "Hà Nội"\nkind = "province-portal"\nhome = "https://hanoi.gov.vn/"\n'
        'allowed_domains = ["hanoi.gov.vn"]\narticle_pattern = "x"\nschedule = "0 * * * *"\n'
        '[source.discovery]\nfeeds = ["https://hanoi.gov.vn/rss"]\n'
    )[0]
    with db.atomic():
        register_source(db, source)
    db.close()
    result = run_cli("demo", "--no-serve", "--db", "real.db")
    assert result.returncode == 1
    assert "holds real sources" in result.stderr
    assert (tmp_path / "real.db").exists()
