"""Near-duplicate lookups as an archive grows: ``python benchmarks/syndication_bench.py --notices 25000``.

A source that posts one templated notice for years (a weekly schedule of citizen receptions,
its body apart by a week's number) puts every notice in the same LSH buckets. Each new page's
signature is looked up (``archive.syndication.similar``) before it is stored; the bench times
that lookup for a new notice after 300, 2,500 … ``--notices`` of them are archived, with each
band's candidates bounded (``CANDIDATES_PER_BAND``, what a crawl does) and, as the baseline in
the same run, unbounded (every article in the buckets read and compared).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from unittest import mock

import numpy as np

from archive import syndication
from archive.db import open_db

NOTICE = ("Lịch tiếp công dân định kỳ của Chủ tịch Ủy ban nhân dân quận Ba Đình tại trụ sở tiếp công dân "
          "số 25 phố Liễu Giai, thành phần gồm đại diện các phòng ban chuyên môn và Ủy ban Mặt trận Tổ quốc. ") * 3


def notice(week: int) -> str:
    return f"{NOTICE}Tuần thứ {week}."


def add_notices(db, first: int, last: int) -> None:
    """Notices ``first``..``last`` as a crawl stores them: the article row, its signature and band keys."""
    with db.conn:
        for article_id in range(first, last + 1):
            text = notice(article_id)
            db.execute("insert into articles (id, url, source_id, title, text) values (?, ?, 'quan', ?, ?)",
                       [article_id, f"https://quan.example.vn/thong-bao/{article_id}.html", "Lịch tiếp công dân", text])
            sig = syndication.values(syndication.signature(text))
            db.execute("insert into article_minhash (article_id, signature) values (?, ?)",
                       [article_id, sig.astype(np.uint32).tobytes()])
            db.conn.executemany("insert into lsh_bands (band, bucket, article_id) values (?, ?, ?)",
                                [(band, bucket, article_id) for band, bucket in enumerate(syndication.bands(sig))])


def lookup(db, repeat: int) -> tuple[float, int]:
    """Median ms of similar() for a notice not yet archived, and how many candidates it compared."""
    sig = syndication.signature(notice(0))
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        found = syndication.similar(db, sig)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), len(found)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--notices", type=int, default=25000, help="notices archived at the last step")
    parser.add_argument("--repeat", type=int, default=20, help="lookups timed at each step")
    args = parser.parse_args()
    steps = sorted({n for n in (300, 2500, args.notices) if n <= args.notices})
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        db = open_db(Path(folder) / "archive.db")
        db.execute("insert into sources (id) values ('quan')")
        archived = 0
        for step in steps:
            add_notices(db, archived + 1, step)
            archived = step
            bounded, compared = lookup(db, args.repeat)
            # Every article of the buckets, as before the bound: a limit no bucket reaches.
            with mock.patch.object(syndication, "CANDIDATES_PER_BAND", step + 1):
                unbounded, all_compared = lookup(db, args.repeat)
            rows.append((step, bounded, compared, unbounded, all_compared))
        db.close()
    print(f"Templated notices of one source, lookup of a new one (median of {args.repeat}):\n")
    print("| notices archived | bounded (crawl) | candidates | unbounded (baseline) | candidates | ratio |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: |")
    for step, bounded, compared, unbounded, all_compared in rows:
        print(f"| {step:,} | {bounded:.2f} ms | {compared:,} | {unbounded:.2f} ms | {all_compared:,} | "
              f"{unbounded / bounded:.1f} × |")


if __name__ == "__main__":
    main()
