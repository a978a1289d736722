"""A crawler killed outright (as the OOM killer kills) leaves its extraction workers to end
quietly: the pages they were extracting have no one to go to, which is no error of theirs."""

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from archive.locks import holder
from tests.conftest import serve_routes
from tests.test_variants import PARAGRAPHS, article_page, write_sources

# Pages that take each worker a second or more to extract.
BIG = article_page("da-nang-tin-gia", PARAGRAPHS["da-nang-tin-gia"] * 800)
ARTICLES = [f"/a/lon-{n}.htm" for n in range(4)]


def test_the_extraction_workers_of_a_killed_crawler_end_without_a_traceback(tmp_path):
    served = []
    all_served = threading.Event()

    def answer(path, _base):
        if path == "/list":
            links = "".join(f'<li><a href="{p}">{p}</a></li>' for p in ARTICLES)
            return f"<html><body><ul>{links}</ul></body></html>".encode(), "text/html; charset=utf-8"
        if path in ARTICLES:
            served.append(path)
            if len(served) == len(ARTICLES):
                all_served.set()
            return BIG, "text/html; charset=utf-8"
        return None

    with serve_routes(answer) as (base, _hits):
        write_sources(tmp_path, base, home="/list")
        crawl = subprocess.Popen(
            [str(Path(sys.executable).with_name("govarchive")), "crawl", "--all", "--sources", "sources.toml",
             "--db", "archive.db", "--quiet"],
            cwd=tmp_path, env={**os.environ, "GOVARCHIVE_EXTRACT_WORKERS": "2"},
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            start_new_session=True,
        )
        try:
            assert all_served.wait(120), "the crawl did not fetch its articles"
            time.sleep(0.3)  # the pages reach the workers, which are still extracting them when
            os.kill(int(holder(tmp_path / "archive.db", "mau")), signal.SIGKILL)
            # Read to the end: until the workers, which write to the same stderr, have exited too.
            out, err = crawl.communicate(timeout=120)
        finally:
            if crawl.poll() is None:
                os.killpg(crawl.pid, signal.SIGKILL)
    assert crawl.returncode == 1
    assert "interrupted" in out
    assert "Traceback" not in err and "BrokenPipeError" not in err, err


def test_a_crawler_killed_before_its_crawls_began_is_said_to_be_killed(tmp_path):
    # The crawler process kills itself as Python starts, before any crawl is recorded.
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    (hooks / "sitecustomize.py").write_text(
        "import os, signal, sys\n"
        "if 'crawler' in sys.orig_argv and sys.orig_argv[sys.orig_argv.index('crawler') - 1] == '-m':\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    write_sources(tmp_path, "http://127.0.0.1:9")
    result = subprocess.run(
        [str(Path(sys.executable).with_name("govarchive")), "crawl", "--all", "--sources", "sources.toml",
         "--db", "archive.db", "--quiet"],
        cwd=tmp_path, env={**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(hooks), os.environ.get("PYTHONPATH")]))}, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 1
    said = result.stdout + result.stderr
    assert "the crawler was killed by SIGKILL" in said, said
    assert "its error is above" not in said and "status -9" not in said, said
