import contextlib
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def run_cli(tmp_path):
    """Run the real ``govarchive`` console script in a subprocess, in ``tmp_path``."""

    def run(*args, cwd=None, input=None, check=False):
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        env.pop("GOVARCHIVE_DB", None)
        env.pop("GOVARCHIVE_SOURCES", None)
        result = subprocess.run(
            [str(Path(sys.executable).with_name("govarchive")), *map(str, args)],
            cwd=cwd or tmp_path, env=env, input=input, capture_output=True, text=True, timeout=600,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"govarchive {args} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
        return result

    return run


def govarchive(*args, cwd):
    """The real ``govarchive`` console script run in ``cwd``, its output as text."""
    return subprocess.run([str(Path(sys.executable).with_name("govarchive")), *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture
def archive_copy(crawled_archive, tmp_path):
    """A private copy of the crawled archive, in a folder of its own: the sample site plays no
    part from here on."""
    from archive.warc import default_warc_dir

    folder = tmp_path / "copy"
    folder.mkdir()
    shutil.copy(crawled_archive / "archive.db", folder / "archive.db")
    shutil.copytree(default_warc_dir(crawled_archive / "archive.db"), default_warc_dir(folder / "archive.db"))
    return folder / "archive.db"


def store_page(db, record, *, source_id, seen_at, crawl_id=None):
    """What a crawl does with an article page it fetched: a fetch row, then the article.
    Returns 'new', 'changed' or 'unchanged'."""
    from archive import ingest

    fetch = ingest.record_fetch(db, crawl_id=crawl_id, source_id=source_id, url=record["url"], kind="article", status=200)
    return ingest.store_article(db, record, source_id=source_id, fetch_id=fetch, seen_at=seen_at)


@pytest.fixture(scope="session")
def sample_site():
    from archive.samplesite import SampleSite

    with SampleSite() as running:
        yield running


def crawl_into(directory, *extra):
    """``govarchive crawl --all`` of the sources file in ``directory`` into its archive.db."""
    return subprocess.run(
        [str(Path(sys.executable).with_name("govarchive")), "crawl", "--all", "--sources", "sources.toml",
         "--db", "archive.db", *map(str, extra)],
        cwd=directory, capture_output=True, text=True, timeout=600,
    )


@pytest.fixture(scope="session")
def crawled_archive(sample_site, tmp_path_factory):
    """A directory holding archive.db (and its WARC files) after one crawl of the sample site."""
    directory = tmp_path_factory.mktemp("crawled")
    (directory / "sources.toml").write_text(sample_site.sources_toml(), encoding="utf-8")
    result = crawl_into(directory)
    assert result.returncode == 0, result.stdout + result.stderr
    directory.joinpath("first-crawl.out").write_text(result.stdout, encoding="utf-8")
    return directory


def query(folder, sql, params=()):
    """Rows of ``folder``/archive.db as dicts, through a connection of the test's own."""
    conn = sqlite3.connect(Path(folder) / "archive.db", timeout=30)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


@contextlib.contextmanager
def serve_routes(routes, *, with_headers=False):
    """A small site on 127.0.0.1: ``routes(path, base)`` gives (body, content type) for a path,
    or (status, {header: value}, body) for any other answer, or None for a 404. Yields (base
    URL, hits): every request's (monotonic time, path). With ``with_headers``, ``routes`` is
    also given the request's headers: ``routes(path, base, headers)``."""
    hits: list[tuple[float, str]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append((time.monotonic(), self.path))
            base = f"http://127.0.0.1:{self.server.server_address[1]}"
            found = routes(self.path, base, self.headers) if with_headers else routes(self.path, base)
            if found is not None and len(found) == 3:
                status, headers, body = found
            else:
                body, kind = found or (b"", "text/plain")
                status, headers = (200 if found else 404), {"Content-Type": kind}
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", hits
    finally:
        server.shutdown()
        server.server_close()


def fetch_count(db) -> int:
    """The fetch rows in the archive at ``db`` so far; 0 before it exists. Read-only: a file
    made here before the command's own would be one it refuses."""
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
        try:
            return conn.execute("select count(*) from fetches").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.OperationalError:
        return 0


def wait_for_fetches(db, count: int, process, *, timeout: float = 120, log=lambda: "") -> None:
    """Wait until the archive at ``db`` holds ``count`` fetch rows, asserting that ``process``
    (the command writing them) still runs and that it takes under ``timeout`` seconds; ``log()``
    says what the command said, when it does not."""
    deadline = time.monotonic() + timeout
    while fetch_count(db) < count:
        assert process.poll() is None and time.monotonic() < deadline, log()
        time.sleep(0.1)


def unlocked(folder, source_id: str = "sample-news", timeout: float = 60) -> bool:
    """Whether the lock of ``source_id`` on ``folder``/archive.db is released within ``timeout``
    seconds: whether the crawl holding it has ended."""
    from archive.locks import holder

    deadline = time.monotonic() + timeout
    while holder(Path(folder) / "archive.db", source_id) is not None:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True
