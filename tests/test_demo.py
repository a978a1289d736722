"""govarchive demo: the whole pipeline offline against the bundled sample site."""

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from archive.samplesite import SampleSite
from tests.conftest import wait_for_fetches


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

    first_warcs = set((tmp_path / "demo-warc").iterdir())
    (tmp_path / "demo-warc" / "notes.txt").write_text("mine")
    again = run_cli("demo", "--no-serve", "--db", "demo.db", check=True)
    assert f"{len(expected)} articles" in again.stdout
    # The first run's captures went with its archive; what was not the demo's stays.
    assert not first_warcs & set((tmp_path / "demo-warc").iterdir())
    assert len(list((tmp_path / "demo-warc").glob("*.warc.gz"))) == len(first_warcs)
    assert (tmp_path / "demo-warc" / "notes.txt").read_text() == "mine"


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
    (tmp_path / "real-warc").mkdir()
    (tmp_path / "real-warc" / "sample-news-1.warc.gz").write_bytes(b"")
    result = run_cli("demo", "--no-serve", "--db", "real.db")
    assert result.returncode == 1
    assert "holds real sources" in result.stderr
    assert (tmp_path / "real.db").exists()
    assert (tmp_path / "real-warc" / "sample-news-1.warc.gz").exists()


@pytest.mark.parametrize("signum, serve", [(signal.SIGINT, True), (signal.SIGTERM, False)])
def test_a_demo_stopped_during_its_crawl_stops_and_serves_nothing(tmp_path, signum, serve):
    # Enough articles that the crawl is still going when the signal comes.
    demo = subprocess.Popen(
        [str(Path(sys.executable).with_name("govarchive")), "demo", "--db", "d.db", "--port", "0", "--extra", "300",
         *([] if serve else ["--no-serve"])],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )
    try:
        wait_for_fetches(tmp_path / "d.db", 3, demo, log=demo.stderr.read)
        os.killpg(demo.pid, signum)  # as Ctrl-C at a terminal does for SIGINT
        stdout, stderr = demo.communicate(timeout=120)
    finally:
        if demo.poll() is None:
            os.killpg(demo.pid, signal.SIGKILL)
    assert demo.returncode == 128 + signum, (stdout, stderr)
    assert "Serving" not in stdout and "Demo archive" not in stdout
    assert "interrupted: the demo archive d.db is incomplete" in stderr


def test_a_demo_where_it_cannot_write_is_a_one_line_error(run_cli, tmp_path):
    missing = run_cli("demo", "--no-serve", "--db", tmp_path / "nowhere" / "d.db")
    assert missing.returncode == 1 and "Traceback" not in missing.stderr
    assert missing.stderr.strip() == f"Error: {tmp_path}/nowhere/d.db: directory {tmp_path}/nowhere does not exist"
    # What a file the demo writes beside its archive cannot be: a directory, as a read-only
    # folder cannot be made for a test that may run as root.
    (tmp_path / "d-sources.toml").mkdir()
    blocked = run_cli("demo", "--no-serve", "--db", "d.db")
    assert blocked.returncode == 1 and "Traceback" not in blocked.stderr
    assert blocked.stderr.strip() == "Error: cannot write in directory .: Is a directory (d-sources.toml)"
