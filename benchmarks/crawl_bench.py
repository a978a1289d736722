"""End-to-end crawl benchmark: ``make bench`` (or ``python benchmarks/crawl_bench.py --help``).

Starts the sample site with N generated articles in its own process (pages rendered and
gzipped before the clock starts; --no-gzip serves them plain), then measures on the same pages, in the same run:
  1. a full ``govarchive crawl`` of the site (WARC capture, extraction, SQLite + FTS writes);
  2. extraction alone, in a pool of one worker per core (the baseline: the mean of a run before
     and one after the next) and in one worker process;
  3. Scrapy alone fetching the pages the crawl fetched (benchmarks/scrapy_alone.py), for the
     ceiling that extraction plus Scrapy's own work leave on these cores;
and prints F7's targets as a Markdown table: each figure beside its baseline and the ratio.
Last, how busy the cores were during the crawl (/proc/stat, the whole machine), the CPU time an
article took in all against bare extraction's, and who took it: the crawler's own process, the
sample site, and the rest (the extraction workers and their fork server).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from archive.extract import extract
from crawler.extraction_pool import EXTRACTION_PRELOAD

BIN = Path(sys.executable).parent


def start_site(extra: int, directory: Path, gzip: bool = True) -> tuple[subprocess.Popen, Path]:
    sources = directory / "sources.toml"
    process = subprocess.Popen(
        [sys.executable, "-m", "archive.samplesite", "--extra", str(extra), "--warm", "--write-sources", str(sources),
         *([] if gzip else ["--no-gzip"])],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    deadline = time.monotonic() + 600
    while not sources.exists() or not sources.read_text(encoding="utf-8").strip():
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"sample site did not start: {process.stdout.read()}")
        time.sleep(0.2)
    return process, sources


def urls_in(db: Path, sql: str) -> list[str]:
    conn = sqlite3.connect(db)
    try:
        return [r[0] for r in conn.execute(sql)]
    finally:
        conn.close()


ARTICLE_URLS = "select url from articles order by id"
# The URLs the crawl requested and got an answer for, in crawl order.
FETCHED_URLS = "select coalesce(requested_url, url) from fetches where status is not null order by id"


def scrapy_alone(urls: list[str], directory: Path) -> dict:
    listed = directory / "fetched-urls.txt"
    listed.write_text("\n".join(urls), encoding="utf-8")
    run = subprocess.run([sys.executable, str(Path(__file__).with_name("scrapy_alone.py")), str(listed)],
                         capture_output=True, text=True)
    if run.returncode != 0:
        raise SystemExit(f"Scrapy alone failed: {run.stdout}{run.stderr}")
    return json.loads(run.stdout)


def cpu_jiffies() -> tuple[int, int] | None:
    """All cores' (busy, total) time so far, from /proc/stat; None where there is none."""
    try:
        with open("/proc/stat", encoding="ascii") as stat:
            # user, nice, system, idle, iowait, irq, softirq, steal; guest time is inside user's.
            fields = [int(v) for v in stat.readline().split()[1:9]]
    except OSError:
        return None
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def children_cpu() -> float:
    """CPU seconds of this process's children that have ended and been waited for."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def process_cpu(pid: int) -> float | None:
    """CPU seconds a running process has used so far, from /proc; None where there is none."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def fetch_all(urls: list[str]) -> list[tuple[bytes, str, dict]]:
    pages = []
    for url in urls:
        with urllib.request.urlopen(url, timeout=30) as response:
            pages.append((response.read(), url, dict(response.headers)))
    return pages


def _extract(page):
    body, url, headers = page
    return extract(body, url, headers)["word_count"]


def extraction_rate(pages, workers: int) -> tuple[float, float]:
    """Pages a second extracted by ``workers`` processes forked for the run (one included), so
    that each run starts from the same state: what this process has imported, like the crawl's
    workers from their fork server's preload, and nothing an earlier run loaded on first use;
    and the CPU milliseconds the workers took a page."""
    cpu = children_cpu()
    start = time.perf_counter()
    with ProcessPoolExecutor(workers) as pool:
        list(pool.map(_extract, pages, chunksize=8))
    rate = len(pages) / (time.perf_counter() - start)
    return rate, (children_cpu() - cpu) * 1000 / len(pages)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=5000, help="generated articles on top of the sample ones")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="extraction pool size")
    parser.add_argument("--no-gzip", action="store_true",
                        help="the site serves pages uncompressed (by default it gzips them, as portals do)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="govarchive-bench-") as tmp:
        tmp = Path(tmp)
        site, sources = start_site(args.articles, tmp, gzip=not args.no_gzip)
        try:
            db = tmp / "bench.db"
            env = {**os.environ, "GOVARCHIVE_EXTRACT_WORKERS": str(args.workers)}
            jiffies = cpu_jiffies()
            site_cpu, crawl_cpu = process_cpu(site.pid), children_cpu()
            start = time.perf_counter()
            crawl = subprocess.run(
                [str(BIN / "govarchive"), "crawl", "--all", "--quiet", "--sources", str(sources), "--db", str(db)],
                capture_output=True, text=True, env=env,
            )
            elapsed = time.perf_counter() - start
            # The govarchive command and the crawler process it waits for; the extraction workers
            # are the fork server's children, which the crawler does not wait for.
            crawl_cpu = children_cpu() - crawl_cpu
            if site_cpu is not None:
                site_cpu = process_cpu(site.pid) - site_cpu
            if jiffies is not None:
                busy, total = (after - before for after, before in zip(cpu_jiffies(), jiffies))
                busy_share = busy / total
            peak_rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            if crawl.returncode != 0:
                print(crawl.stdout, crawl.stderr, file=sys.stderr)
                return 1
            conn = sqlite3.connect(db)
            fetches = conn.execute("select count(*) from fetches").fetchone()[0]
            articles = conn.execute("select count(*) from articles").fetchone()[0]
            # The WARC records of the archived articles' own exchanges, without listings,
            # sitemaps, feeds and robots.txt.
            article_warc = conn.execute(
                "select sum(f.warc_length) from articles a join fetches f on f.id = a.fetch_id"
            ).fetchone()[0] or 0
            conn.close()
            warc_bytes = sum(p.stat().st_size for p in (tmp / "bench-warc").glob("*.warc.gz"))
            sqlite3.connect(db).execute("pragma wal_checkpoint(truncate)")
            db_bytes = db.stat().st_size

            alone = scrapy_alone(urls_in(db, FETCHED_URLS), tmp)
            urls = urls_in(db, ARTICLE_URLS)
            pages = fetch_all(urls)
            html_bytes = sum(len(p[0]) for p in pages)
            for module in EXTRACTION_PRELOAD:
                importlib.import_module(module)
            # The pool runs before and after the one process, and the baseline is their mean:
            # the machine's speed can move within a run, and a move shows as the two differing.
            pooled_runs = [extraction_rate(pages, args.workers)]
            single, _ = extraction_rate(pages, 1)
            pooled_runs.append(extraction_rate(pages, args.workers))
            pooled = sum(rate for rate, _ in pooled_runs) / len(pooled_runs)
            pooled_cpu_ms = sum(cpu for _, cpu in pooled_runs) / len(pooled_runs)
        finally:
            site.terminate()
            site.wait()

    crawl_rate = fetches / elapsed
    article_rate = articles / elapsed
    html_per_article = html_bytes / len(pages)
    stored = (warc_bytes + db_bytes) / articles
    # CPU milliseconds an article: extraction (the pool's cores over its rate) and Scrapy's own
    # fetching of the pages a crawl needs for it. With nothing else on the cores, a crawl
    # cannot beat their sum.
    scrapy_ms_page = alone["cpu"] / alone["pages"] * 1000
    extraction_ms = args.workers * 1000 / pooled
    scrapy_ms = scrapy_ms_page * fetches / articles
    ceiling = args.workers * 1000 / (extraction_ms + scrapy_ms)
    encoding = "uncompressed" if args.no_gzip else "gzipped by the site"
    print(f"{articles} articles archived ({fetches} fetches, {html_per_article / 1024:.0f} KB average article page, "
          f"{encoding}), "
          f"{elapsed:.1f} s; crawl peak RSS {peak_rss_mb:.0f} MB (largest process)\n")
    print("| target | figure | baseline, same run | ratio | F7 asks |\n| --- | --- | --- | --- | --- |")
    print(f"| 1. end-to-end crawl | {crawl_rate:.1f} pages/s ({article_rate:.1f} articles/s) "
          f"| bare extraction, {args.workers} processes: {pooled:.1f} docs/s | {article_rate / pooled:.2f} "
          f"| ≥ 150 pages/s, ≥ 0.8 |")
    print(f"| 1. its ceiling | at most {ceiling:.1f} articles/s: extraction {extraction_ms:.2f} + Scrapy alone "
          f"{scrapy_ms:.2f} ms CPU an article, nothing else, on {args.workers} cores "
          f"| bare extraction, {args.workers} processes: {pooled:.1f} docs/s | {ceiling / pooled:.2f} | — |")
    print(f"| 2. scaling | extraction, {args.workers} processes: {pooled:.1f} docs/s "
          f"| 1 process: {single:.1f} docs/s | {pooled / single:.2f} | ≥ 1.8 |")
    print(f"| 5. storage | WARC {warc_bytes / articles / 1024:.1f} KB + database {db_bytes / articles / 1024:.1f} KB "
          f"per article | HTML {html_per_article / 1024:.1f} KB per article | {stored / html_per_article:.3f} "
          f"(WARC {warc_bytes / articles / html_per_article:.2f}, database {db_bytes / articles / html_per_article:.2f}) "
          f"| ≤ 0.35 |")
    print(f"\nScrapy alone (benchmarks/scrapy_alone.py: Scrapy's own components, its engine set as the crawl "
          f"sets it, nothing of govarchive's) fetched the "
          f"crawl's {alone['pages']} pages at {alone['pages'] / alone['wall']:.0f} pages/s using "
          f"{scrapy_ms_page:.2f} ms of CPU a page; the crawl reaches {article_rate / ceiling:.2f} of the ceiling.")
    drift = abs(pooled_runs[1][0] - pooled_runs[0][0]) / pooled
    print(f"\nBare extraction in {args.workers} processes ran before and after the one-process run: "
          f"{pooled_runs[0][0]:.1f} and {pooled_runs[1][0]:.1f} docs/s; the baseline is their mean."
          + (f" The machine's speed moved by {drift:.0%} within this run: compare its ratios with care."
             if drift > 0.05 else ""))
    if jiffies is not None:
        # Everything on the machine counts: the crawl's processes and the sample site's.
        cores = os.cpu_count() or 1
        crawl_ms = busy_share * cores * elapsed * 1000 / articles
        print(f"\nDuring the crawl the cores were busy {busy_share:.0%} of the time: {crawl_ms:.2f} ms of CPU an article, "
              f"{crawl_ms - extraction_ms:.2f} more than bare extraction's {extraction_ms:.2f}.")
        if site_cpu is not None:
            crawler_ms, site_ms = crawl_cpu * 1000 / articles, site_cpu * 1000 / articles
            # What an article may cost at F7's 0.8, with the cores as busy as in this crawl.
            budget = busy_share * cores * 1000 / (0.8 * pooled)
            print(f"Of that, the govarchive command and its crawler process took {crawler_ms:.2f} ms, the sample "
                  f"site {site_ms:.2f}, the rest (the extraction workers and their fork server) "
                  f"{crawl_ms - crawler_ms - site_ms:.2f}; bare extraction's workers took {pooled_cpu_ms:.2f} ms of CPU "
                  f"a page. At 0.8 of bare extraction, with the cores as busy, an article may take {budget:.2f} ms "
                  f"in all: with the workers at bare extraction's CPU and the site as here, "
                  f"{budget - pooled_cpu_ms - site_ms:.2f} ms for the crawler process.")
    print(f"\nOf the WARC bytes, the articles' own exchanges are {article_warc / articles / 1024:.1f} KB per article "
          f"({article_warc / articles / html_per_article:.2f} × HTML); the rest are listings, sitemaps, feeds and "
          f"robots.txt. Articles' own records + database: {(article_warc + db_bytes) / articles / html_per_article:.2f} × HTML.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
