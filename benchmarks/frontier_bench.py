"""Memory of a crawl whose frontier reaches 100,000 URLs: ``python benchmarks/frontier_bench.py``.

A local server offers a sitemap index of N article URLs in sitemaps of ``--per-sitemap`` URLs
(small pages, so the crawl's memory is about its frontier, not about extraction). The crawler
runs for a fixed time, twice: with the request queue on disk (JOBDIR, the default) and in memory
(``--memory-queue``, the baseline), while the crawler process's RSS is sampled every half second.
Prints peak RSS, the ratio to the baseline, the RSS curve and the frontier size reached.
"""

from __future__ import annotations

import argparse
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

PER_SITEMAP = 10_000
ARTICLE = (
    "<html lang='vi'><head><meta charset='utf-8'><title>Bài {n}</title></head><body><article>"
    "<h1>Bài {n}</h1><p>Sở Thông tin và Truyền thông triển khai kênh Zalo OA phục vụ người dân, "
    "tiếp nhận phản ánh và cung cấp thông tin chính thống về chủ trương, chính sách của thành phố. "
    "Bài số {n}.</p></article></body></html>"
)


def serve(total: int, per_sitemap: int = PER_SITEMAP) -> ThreadingHTTPServer:
    sitemaps = (total + per_sitemap - 1) // per_sitemap

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            base = f"http://127.0.0.1:{self.server.server_address[1]}"
            if self.path == "/robots.txt":
                body, kind = b"User-agent: *\nAllow: /\n", "text/plain"
            elif self.path == "/sitemap.xml":
                items = "".join(f"<sitemap><loc>{base}/sitemap-{i}.xml</loc></sitemap>" for i in range(sitemaps))
                body, kind = f"<?xml version='1.0'?><sitemapindex xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>{items}</sitemapindex>".encode(), "application/xml"
            elif self.path.startswith("/sitemap-"):
                i = int(self.path[len("/sitemap-"):-4])
                urls = range(i * per_sitemap, min(total, (i + 1) * per_sitemap))
                items = "".join(f"<url><loc>{base}/bai-{n}.html</loc></url>" for n in urls)
                body, kind = f"<?xml version='1.0'?><urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>{items}</urlset>".encode(), "application/xml"
            elif self.path.startswith("/bai-"):
                body, kind = ARTICLE.format(n=self.path[5:-5]).encode(), "text/html; charset=utf-8"
            else:
                body, kind = b"not found", "text/plain"
            self.send_response(200 if kind != "text/plain" or self.path == "/robots.txt" else 404)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def run(folder: Path, port: int, seconds: float, memory_queue: bool) -> dict:
    folder.mkdir()
    (folder / "sources.toml").write_text(
        f'[[source]]\nid = "frontier"\nname = "Frontier"\nkind = "press"\nhome = "http://127.0.0.1:{port}/"\n'
        f'allowed_domains = ["127.0.0.1"]\narticle_pattern = "/bai-\\\\d+\\\\.html$"\nschedule = "0 * * * *"\n'
        f'[source.discovery]\nsitemaps = ["http://127.0.0.1:{port}/sitemap.xml"]\n'
        f"[source.politeness]\ndelay = 0\nconcurrency = 16\n",
        encoding="utf-8",
    )
    command = [sys.executable, "-m", "crawler", "--db", "a.db", "--sources", "sources.toml", "--all",
               "--log-level", "WARNING", *(["--memory-queue"] if memory_queue else [])]
    env = {**os.environ, "GOVARCHIVE_EXTRACT_WORKERS": "0"}
    process = subprocess.Popen(command, cwd=folder, env=env, stderr=subprocess.DEVNULL)
    start = time.monotonic()
    curve = []
    while process.poll() is None and time.monotonic() - start < seconds:
        if rss := rss_mb(process.pid):  # 0 until the child has exec'd
            curve.append((time.monotonic() - start, rss))
        time.sleep(0.5)
    frontier = _frontier(folder / "a.db")
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=120)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    return {"curve": curve, "frontier": frontier, "fetched": _fetched(folder / "a.db")}


def _frontier(db: Path) -> int:
    conn = sqlite3.connect(db, timeout=30)
    try:
        return conn.execute("select count(*) from frontier").fetchone()[0]
    finally:
        conn.close()


def _fetched(db: Path) -> int:
    conn = sqlite3.connect(db, timeout=30)
    try:
        return conn.execute("select count(*) from fetches").fetchone()[0]
    finally:
        conn.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--urls", type=int, default=100_000)
    parser.add_argument("--per-sitemap", type=int, default=PER_SITEMAP,
                        help="URLs per sitemap (the protocol allows up to 50,000)")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--bound-mb", type=float, default=400, help="fail if the disk-queue crawl's peak exceeds this")
    args = parser.parse_args()
    server = serve(args.urls, args.per_sitemap)
    port = server.server_address[1]
    results = {}
    with tempfile.TemporaryDirectory(prefix="govarchive-frontier-") as tmp:
        for name, memory in (("disk queue (JOBDIR)", False), ("memory queue", True)):
            results[name] = run(Path(tmp) / name.split()[0], port, args.seconds, memory)
    server.shutdown()
    print(f"{args.urls} URLs in sitemaps of {args.per_sitemap}; {args.seconds:.0f} s of crawling each\n")
    print("| queue | frontier reached | pages fetched | peak RSS | RSS at 25 / 50 / 75 / 100 % of the run |")
    print("| --- | --- | --- | --- | --- |")
    for name, r in results.items():
        rss = [v for _, v in r["curve"]] or [0.0]
        points = " / ".join(f"{rss[min(len(rss) - 1, int(len(rss) * q) - 1)]:.0f}" for q in (0.25, 0.5, 0.75, 1.0))
        print(f"| {name} | {r['frontier']} | {r['fetched']} | {max(rss):.0f} MB | {points} MB |")
    peaks = {name: max([v for _, v in r["curve"]] or [0.0]) for name, r in results.items()}
    peak, baseline = peaks["disk queue (JOBDIR)"], peaks["memory queue"]
    print(f"\ndisk queue / memory queue peak RSS: {peak:.0f} / {baseline:.0f} MB = {peak / (baseline or 1):.2f}")
    print("\nRSS curve, MB every 5 s:")
    for name, r in results.items():
        print(f"  {name}: " + " ".join(f"{v:.0f}" for t, v in _every(r["curve"], 5.0)))
    if peak > args.bound_mb:
        print(f"disk-queue peak RSS {peak:.0f} MB exceeds {args.bound_mb:.0f} MB", file=sys.stderr)
        return 1
    return 0


def _every(curve: list[tuple[float, float]], step: float) -> list[tuple[float, float]]:
    """The samples nearest to 0, step, 2 step, ... seconds (the last sample included)."""
    picked, due = [], 0.0
    for t, v in curve:
        if t >= due:
            picked.append((t, v))
            due += step
    if curve and picked[-1] != curve[-1]:
        picked.append(curve[-1])
    return picked


if __name__ == "__main__":
    sys.exit(main())
