"""Search at scale: ``python benchmarks/search_bench.py --articles 1000000``.

Builds an archive of N generated articles (Vietnamese text drawn from word pools, 20 sources,
ten years of dates) through the real schema and search indexes, serves it with
``govarchive serve``, and times over HTTP the reading room's search page and datasette's JSON
search API for rare, medium and very common queries, with and without accents (p50 / p95 of
repeated requests).
"""

from __future__ import annotations

import argparse
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path

from archive.db import open_db
from archive.vietnamese import fold

COMMON = ("thông tin năm người dân thành phố công tác truyền thông chính quyền triển khai cơ quan "
          "kế hoạch đơn vị hoạt động xã hội phát triển nhân dân chỉ đạo thực hiện").split()
MEDIUM = ("Zalo fanpage VNeID chuyển đổi số hành chính phản ánh tuyên truyền báo chí mạng xã hội "
          "dịch vụ công trực tuyến hội nghị giao ban cổng điện tử").split()
RARE = ("Nghệ An Đồng Nai Bắc Giang Quảng Ninh Lào Cai Tây Ninh Đắk Lắk Bình Định Hà Tĩnh "
        "Thanh Hóa Sơn La Cà Mau").split()
QUERIES = {
    "rare, accents": "Đắk Lắk", "rare, no accents": "dak lak",
    "medium, accents": "chuyển đổi số", "medium, no accents": "chuyen doi so",
    "common, accents": "thông tin", "common, no accents": "thong tin",
}


def build(db_path: Path, n: int, seed: int = 0) -> None:
    rng = random.Random(seed)
    db = open_db(db_path)
    with db.atomic():
        db.execute("insert into sources (id, name, kind, home, allowed_domains, article_pattern, schedule) "
                   "select 'bench-' || value, 'Nguồn ' || value, 'press', 'https://x.vn/', '[]', 'x', '0 * * * *' "
                   "from json_each('[0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19]')")
    start = datetime(2015, 1, 1, tzinfo=timezone(timedelta(hours=7)))
    batch = []
    for i in range(n):
        words = rng.choices(COMMON, k=40) + rng.choices(MEDIUM, k=6) + (rng.choices(RARE, k=2) if rng.random() < 0.01 else [])
        rng.shuffle(words)
        text = " ".join(words).capitalize() + "."
        title = " ".join(rng.choices(MEDIUM + COMMON, k=9)).capitalize()
        published = (start + timedelta(minutes=rng.randrange(10 * 365 * 24 * 60))).isoformat()
        batch.append((i + 1, f"https://bench{i % 20}.vn/bai-{i}.html", f"bench-{i % 20}", title, text[:160], text,
                      published, published[:7]))
        if len(batch) == 20000 or i == n - 1:
            with db.atomic():
                db.conn.executemany(
                    "insert into articles (id, url, source_id, title, description, text, published, published_month) "
                    "values (?, ?, ?, ?, ?, ?, ?, ?)", batch)
                db.conn.executemany(
                    "insert into articles_fold (rowid, title, description, text) values (?, ?, ?, ?)",
                    [(r[0], fold(r[3]), fold(r[4]), fold(r[5])) for r in batch])
            batch = []
    db.execute("pragma wal_checkpoint(truncate)")
    db.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def timed(url: str, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        with urllib.request.urlopen(url, timeout=120) as response:
            response.read()
        times.append((time.perf_counter() - start) * 1000)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--db", default=None, help="reuse (or keep) the generated archive at this path")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="govarchive-search-") as tmp:
        db = Path(args.db) if args.db else Path(tmp) / "archive.db"
        if not db.exists():
            started = time.perf_counter()
            build(db, args.articles)
            print(f"built {args.articles} articles in {time.perf_counter() - started:.0f} s "
                  f"({db.stat().st_size / 1e6:.0f} MB)\n")
        port = free_port()
        server = subprocess.Popen([str(Path(sys.executable).with_name("govarchive")), "serve", "--db", str(db),
                                   "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(100):
                try:
                    urllib.request.urlopen(base + "/-/versions.json", timeout=2).read()
                    break
                except OSError:
                    time.sleep(0.3)
            print("| query | search page p50 / p95 | JSON API p50 / p95 |\n| --- | --- | --- |")
            for name, q in QUERIES.items():
                quoted = urllib.parse.quote(q)
                page = timed(f"{base}/-/search?q={quoted}", args.repeat)
                api = timed(f"{base}/{db.stem}/articles.json?_search={quoted}&_size=20", args.repeat)
                print(f"| {name} ({q}) | {statistics.median(page):.0f} / {_p95(page):.0f} ms | "
                      f"{statistics.median(api):.0f} / {_p95(api):.0f} ms |")
        finally:
            server.terminate()
            server.wait()
    return 0


def _p95(values: list[float]) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(0.95 * (len(values) - 1))))]


if __name__ == "__main__":
    sys.exit(main())
