"""A server keeps serving the pages it started with while the code on disk is upgraded under it:
its templates are the ones its plugins were written for until it is restarted."""

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from archive.db import open_db
from tests.conftest import ROOT

PAGES = ("/", "/-/search?q=zalo", "/-/search?q=")


@pytest.fixture
def checkout(tmp_path):
    """A copy of the project's committed and working files, to upgrade under a server."""
    tree = tmp_path / "tree"
    archived = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z", "archive"], capture_output=True, check=True)
    for name in archived.stdout.decode().split("\0"):
        if name:
            target = tree / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes((ROOT / name).read_bytes())
    return tree


def _first_answer(url: str) -> int:
    """The status of ``url`` once the server, which names its address as it starts, answers."""
    deadline = time.monotonic() + 60
    while True:
        try:
            return urllib.request.urlopen(url, timeout=30).status
        except urllib.error.URLError as exc:
            if not isinstance(exc.reason, ConnectionRefusedError) or time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_templates_changed_on_disk_do_not_reach_a_running_server(tmp_path, checkout):
    # An upgrade's templates can use what only the upgrade's plugins define: read by the old
    # server, every page that used them answered 500 until it was restarted.
    path = tmp_path / "archive.db"
    open_db(path).close()
    server = subprocess.Popen(
        [sys.executable, "-P", "-m", "archive", "serve", "--db", str(path), "--port", "0"],
        cwd=checkout, env={**os.environ, "PYTHONPATH": str(checkout)},
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    try:
        address = server.stdout.readline().split(" at ")[1].split()[0].rstrip("/")
        before = {"/": _first_answer(address + "/")}
        for template in (checkout / "archive/datasette/templates").glob("*.html"):
            template.write_text("{{ 1|a_filter_of_the_next_version }}", encoding="utf-8")
        after = {page: urllib.request.urlopen(address + page, timeout=30).status for page in PAGES}
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert before == {"/": 200}
    assert after == dict.fromkeys(PAGES, 200)
