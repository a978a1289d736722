"""Concurrent use: a crawl writing while datasette serves searches.

``python benchmarks/concurrent_bench.py --articles 3000 --rate 60`` starts the sample site, an
empty archive served by ``govarchive serve``, and a crawl of the site into that archive; while the
crawl runs, a bounded load loop sends searches (datasette's JSON API and the reading room's
search page, accented and not) at the given rate. Reports requests sent, achieved rate, failed
requests and "database is locked" errors from either side; exits 1 if there were any.
"""

from __future__ import annotations

import argparse
import itertools
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from archive.db import open_db
from serving import free_port, wait_until_serving
from archive.samplesite import SampleSite

BIN = Path(sys.executable).parent
# Mostly datasette's JSON search API (what scripts and the search box use), with and without
# accents, and one in five the reading room's search page (facets, chart).
PATHS = [
    "/archive/articles.json?_search=zalo&_size=10&_nofacet=1",
    "/archive/articles.json?_search=ha+noi&_size=10&_nofacet=1",
    "/archive/articles.json?_search=chuy%E1%BB%83n+%C4%91%E1%BB%95i+s%E1%BB%91&_size=10&_nofacet=1",
    "/archive/articles.json?_search=%22Th%E1%BB%A7+%C4%91%C3%B4%22&_size=5&_nofacet=1",
    "/-/search?q=so+thong+tin",
]



def load(base: str, rate: float, stop: threading.Event, workers: int = 16) -> dict:
    """Send requests at ``rate`` per second in total until ``stop`` is set."""
    results = {"sent": 0, "failed": 0, "locked": 0, "errors": []}
    lock = threading.Lock()
    paths = itertools.cycle(PATHS)
    interval = workers / rate

    def worker():
        next_at = time.monotonic()
        while not stop.is_set():
            with lock:
                path = next(paths)
            try:
                with urllib.request.urlopen(base + path, timeout=30) as response:
                    body = response.read()
                    ok = response.status == 200
            except urllib.error.HTTPError as exc:
                body, ok = exc.read(), False
            except OSError as exc:
                body, ok = str(exc).encode(), False
            with lock:
                results["sent"] += 1
                if not ok:
                    results["failed"] += 1
                    results["errors"].append(body[:200])
                if b"database is locked" in body:
                    results["locked"] += 1
            next_at += interval
            time.sleep(max(0.0, next_at - time.monotonic()))

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def run(articles: int, rate: float, max_seconds: float) -> dict:
    with tempfile.TemporaryDirectory(prefix="govarchive-concurrent-") as tmp, SampleSite(extra_articles=articles) as site:
        tmp = Path(tmp)
        (tmp / "sources.toml").write_text(site.sources_toml(), encoding="utf-8")
        open_db(tmp / "archive.db").close()
        port = free_port()
        server = subprocess.Popen([str(BIN / "govarchive"), "serve", "--db", "archive.db", "--port", str(port)],
                                  cwd=tmp, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        base = f"http://127.0.0.1:{port}"
        wait_until_serving(base, seconds=20)
        stop = threading.Event()
        results = {}
        loader = threading.Thread(target=lambda: results.update(load(base, rate, stop)))
        started = time.monotonic()
        loader.start()
        crawl = subprocess.Popen([str(BIN / "govarchive"), "crawl", "--all", "--quiet", "--sources", "sources.toml",
                                  "--db", "archive.db"], cwd=tmp, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            crawl_out, crawl_err = crawl.communicate(timeout=max_seconds)
        finally:
            stop.set()
            loader.join()
            elapsed = time.monotonic() - started
            server.terminate()
            _, server_err = server.communicate()
        archived = open_db(tmp / "archive.db", create=False).execute("select count(*) from articles").fetchone()[0]
    results.update(
        seconds=elapsed, rate=results["sent"] / elapsed, crawl_status=crawl.returncode, archived=archived,
        expected=len(site.articles),
        locked_logs=(crawl_err + server_err).count("database is locked"),
    )
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=3000, help="generated articles on the sample site")
    parser.add_argument("--rate", type=float, default=60, help="search requests per second")
    parser.add_argument("--max-seconds", type=float, default=600)
    args = parser.parse_args()
    r = run(args.articles, args.rate, args.max_seconds)
    print("| metric | figure |\n| --- | --- |")
    print(f"| crawl | {r['archived']} of {r['expected']} articles archived in {r['seconds']:.1f} s, exit status {r['crawl_status']} |")
    print(f"| searches sent | {r['sent']} ({r['rate']:.1f} requests/s) |")
    print(f"| failed requests | {r['failed']} |")
    print(f"| 'database is locked' | {r['locked']} in responses, {r['locked_logs']} in logs |")
    for error in r["errors"][:5]:
        print(f"error: {error!r}", file=sys.stderr)
    bad = r["failed"] or r["locked"] or r["locked_logs"] or r["crawl_status"] or r["archived"] != r["expected"]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
