"""Search at scale: ``python benchmarks/search_bench.py --articles 1000000``.

Builds an archive of N generated articles (Vietnamese sentences from weighted word pools, 40
sources, ten years of dates) through the real schema and search indexes, serves it as
``govarchive serve`` does, and times over HTTP the reading room's search page, datasette's
JSON search API (newest first, as datasette tables are) and the reading room's ranked JSON
(``/-/results.json``) for rare, medium and very common queries, with and without accents, and
filtered to one source, month, channel or document as a facet does (p50 / p95 of repeated
requests, after one warm-up request each).

The same run then serves the archive again with the search limit lifted (every match counted,
ranked and faceted, as before the limit existed, with a 60 s SQL time limit instead of 3 s)
and times each query ``--baseline-repeat`` times: the baseline the figures are compared with.
"""

from __future__ import annotations

import argparse
import json
import random
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
from archive.search import filter_words
from serving import free_port, wait_until_serving
from archive.vietnamese import fold

# Words as a Vietnamese government-news article uses them: function words most often, then the
# vocabulary of public administration and communications, then topic words, and a place name in
# about one article in a hundred. Each entry is one word (often two or three syllables), so a
# phrase such as "thông tin" stays together, as it does in real text.
FUNCTION = ("của và các được cho với trong đã này là có những theo về tại để một không từ đến khi "
            "cũng như sẽ đang trên nhiều").split()
COMMON = ("thông tin|năm|người dân|thành phố|công tác|truyền thông|chính quyền|triển khai|cơ quan|"
          "kế hoạch|đơn vị|hoạt động|xã hội|phát triển|nhân dân|chỉ đạo|thực hiện|tỉnh|địa phương|"
          "cán bộ|kinh tế|tổ chức|nâng cao|hiệu quả|doanh nghiệp|đồng chí").split("|")
# Topics, most frequent first (weights fall as 1/rank): "chuyển đổi số" is the topic of about
# one article in fifty.
MEDIUM = ("hành chính|tuyên truyền|hội nghị|phản ánh|báo chí|cải cách|quyết định|ứng dụng|"
          "mạng xã hội|dịch vụ công trực tuyến|Zalo|giao ban|nghị định|đề án|fanpage|dữ liệu|"
          "cổng thông tin điện tử|phát ngôn|tin giả|hiện trường|an toàn thông tin|số hóa|VNeID|"
          "trí tuệ nhân tạo|y tế|giáo dục|giao thông|nông nghiệp|du lịch|môi trường|chuyển đổi số|"
          "đất đai|xây dựng|thuế|bảo hiểm xã hội|phòng cháy|an ninh mạng|khoa học|văn hóa|thể thao").split("|")
TOPIC_WEIGHTS = [1 / rank for rank in range(1, len(MEDIUM) + 1)]
RARE = ("Nghệ An|Đồng Nai|Bắc Giang|Quảng Ninh|Lào Cai|Tây Ninh|Đắk Lắk|Bình Định|Hà Tĩnh|"
        "Thanh Hóa|Sơn La|Cà Mau").split("|")
OPENINGS = ("Sáng nay|Chiều ngày|Theo đó|Ngoài ra|Bên cạnh đó|Tại hội nghị|Phát biểu|Trong năm|"
            "Để|Thời gian qua").split("|")
QUERIES = {
    "rare, accents": "Đắk Lắk", "rare, no accents": "dak lak",
    "medium, accents": "chuyển đổi số", "medium, no accents": "chuyen doi so",
    "common, accents": "thông tin", "common, no accents": "thong tin",
    "medium, one source": "chuyển đổi số", "common, one source": "thông tin",
    "common, one month": "thong tin", "common, one channel": "thông tin",
    "common, one document": "thông tin",
}
# A facet clicked on the search page (and the same filter on datasette's table): one source of
# forty, one month of 120, the channel a third of the articles name, a plan 200 in a million cite.
FILTERS = {
    "medium, one source": {"source": "bench-7"}, "common, one source": {"source": "bench-7"},
    "common, one month": {"month": "2019-05"}, "common, one channel": {"platform": "Zalo"},
    "common, one document": {"ref": "174/KH-UBND"},
}
COLUMNS = {"source": "source_id", "month": "published_month", "platform": "channels__arraycontains",
           "ref": "refs__arraycontains"}
ZALO_SHARE = 0.3
PLAN_SHARE = 0.0002
SOURCES = 40
BATCH = 20_000
UNLIMITED = 10**12


def sentence(rng: random.Random, topic: list[str]) -> str:
    words = [rng.choice(OPENINGS)]
    for _ in range(rng.randint(10, 22)):
        pick = rng.random()
        words.append(rng.choice(FUNCTION) if pick < 0.45 else rng.choice(COMMON) if pick < 0.75
                     else rng.choice(topic))
    return " ".join(words) + "."


def article(rng: random.Random) -> tuple[str, str, str]:
    """Title, sapo and body: a few paragraphs of sentences on a topic of three medium words."""
    topic = rng.choices(MEDIUM, TOPIC_WEIGHTS, k=3)
    if rng.random() < 0.01:
        topic.append(rng.choice(RARE))
    title = " ".join([rng.choice(COMMON), *topic[:2], rng.choice(FUNCTION), rng.choice(COMMON)])
    paragraphs = [" ".join(sentence(rng, topic) for _ in range(rng.randint(1, 3))) for _ in range(rng.randint(2, 4))]
    return title[0].upper() + title[1:], paragraphs[0], "\n".join(paragraphs)


def build(db_path: Path, n: int, seed: int = 0) -> None:
    """``n`` articles from ``SOURCES`` sources over ten years, inserted in batches in a few big
    transactions; the exact index is filled by the schema's triggers, the folded one here."""
    rng = random.Random(seed)
    # Its own stream, so the texts are those of archives generated before channels and plans were.
    mention_rng = random.Random(seed + 1)
    db = open_db(db_path)
    db.execute("pragma cache_size = -262144")
    with db.atomic():
        db.conn.executemany(
            "insert into sources (id, name, kind, home, allowed_domains, article_pattern, schedule) "
            "values (?, ?, 'press', ?, '[]', 'x', '0 * * * *')",
            [(f"bench-{s}", f"Cổng thông tin {s}", f"https://bench{s}.vn/") for s in range(SOURCES)])
    start = datetime(2015, 1, 1, tzinfo=timezone(timedelta(hours=7)))
    minutes = 10 * 365 * 24 * 60
    # Articles arrive roughly in date order, as a crawl that keeps up finds them: ids grow with time.
    stamps = sorted(rng.randrange(minutes) for _ in range(n))
    for first in range(0, n, BATCH):
        batch = []
        for i in range(first, min(n, first + BATCH)):
            title, sapo, text = article(rng)
            published = (start + timedelta(minutes=stamps[i])).isoformat()
            source = rng.randrange(SOURCES)
            channels = ["Zalo"] if mention_rng.random() < ZALO_SHARE else []
            refs = ["174/KH-UBND"] if mention_rng.random() < PLAN_SHARE else []
            batch.append((i + 1, f"https://bench{source}.vn/bai-{i}.html", f"bench-{source}", title, sapo, text,
                          published, published[:7], len(text.split()), json.dumps(channels), json.dumps(refs)))
        with db.atomic():
            db.conn.executemany(
                "insert into articles (id, url, source_id, title, description, text, published, published_month, "
                "word_count, channels, refs) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", batch)
            db.conn.executemany(
                "insert into articles_fold (rowid, title, description, text, filters) values (?, ?, ?, ?, ?)",
                [(r[0], fold(r[3]), fold(r[4]), fold(r[5]),
                  filter_words(r[2], r[7], json.loads(r[9]), (), json.loads(r[10]))) for r in batch])
            db.conn.executemany(
                "insert into mentions (article_id, kind, platform, name, text) values (?, 'channel', ?, ?, ?)",
                [(r[0], channel, f"{channel} OA", channel) for r in batch for channel in json.loads(r[9])])
            db.conn.executemany(
                "insert into doc_refs (article_id, ref, text) values (?, ?, ?)",
                [(r[0], ref, f"Kế hoạch số {ref}") for r in batch for ref in json.loads(r[10])])
    db.execute("insert into articles_fts (articles_fts) values ('optimize')")
    db.execute("insert into articles_fold (articles_fold) values ('optimize')")
    db.execute("pragma wal_checkpoint(truncate)")
    db.close()



def timed(url: str, repeat: int) -> list[float]:
    with urllib.request.urlopen(url, timeout=600) as response:  # warm-up, not counted
        response.read()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        with urllib.request.urlopen(url, timeout=600) as response:
            response.read()
        times.append((time.perf_counter() - start) * 1000)
    return times


def serve(db: Path, search_limit: int | None):
    """``govarchive serve``, with the search limit given (None: the archive's own setting).

    Without a limit the common queries outlast the 3 s SQL time limit at a million articles
    (datasette answers 500), so the baseline server waits up to a minute to time them at all.
    """
    port = free_port()
    settings = ", sql_time_limit_ms=60000" if search_limit == UNLIMITED else ""
    code = ("import uvicorn; from archive.serve import make_datasette; "
            f"ds = make_datasette({str(db)!r}, search_limit={search_limit!r}{settings}); "
            f"uvicorn.run(ds.app(), host='127.0.0.1', port={port}, log_level='warning', lifespan='on')")
    server = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    wait_until_serving(base, seconds=60)
    return server, base


def measure(db: Path, search_limit: int | None, repeat: int) -> dict[tuple[str, str], list[float]]:
    server, base = serve(db, search_limit)
    try:
        results = {}
        for name, q in QUERIES.items():
            quoted = urllib.parse.quote(q)
            filters = FILTERS.get(name, {})
            room = "".join(f"&{k}={urllib.parse.quote(v)}" for k, v in filters.items())
            table = "".join(f"&{COLUMNS[k]}={urllib.parse.quote(v)}" for k, v in filters.items())
            results[name, "page"] = timed(f"{base}/-/search?q={quoted}{room}", repeat)
            results[name, "api"] = timed(f"{base}/{db.stem}/articles.json?_search={quoted}&_size=20{table}", repeat)
            results[name, "ranked"] = timed(f"{base}/-/results.json?q={quoted}{room}", repeat)
        return results
    finally:
        server.terminate()
        server.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--baseline-repeat", type=int, default=2)
    parser.add_argument("--search-limit", type=int, default=None, help="instead of the archive's setting")
    parser.add_argument("--db", default=None, help="reuse (or keep) the generated archive at this path")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="govarchive-search-") as tmp:
        db = Path(args.db) if args.db else Path(tmp) / "archive.db"
        if not db.exists():
            started = time.perf_counter()
            build(db, args.articles)
            size = sum(p.stat().st_size for p in db.parent.glob(db.name + "*"))
            print(f"built {args.articles} articles in {time.perf_counter() - started:.0f} s ({size / 1e6:.0f} MB)\n")
        started = time.perf_counter()
        bounded = measure(db, args.search_limit, args.repeat)
        baseline = measure(db, UNLIMITED, args.baseline_repeat) if args.baseline_repeat else {}
        print(f"timed in {time.perf_counter() - started:.0f} s; p50 / p95 ms, baseline (no search limit) p50, ratio")
        print("| query | search page p50 / p95 | baseline | ratio | datasette JSON p50 / p95 | baseline | ratio "
              "| ranked JSON p50 / p95 | baseline | ratio |")
        print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
        for name, q in QUERIES.items():
            cells = []
            for kind in ("page", "api", "ranked"):
                times = bounded[name, kind]
                cells.append(f"{statistics.median(times):.0f} / {_p95(times):.0f} ms")
                if baseline:
                    base = statistics.median(baseline[name, kind])
                    cells += [f"{base:.0f} ms", f"{base / statistics.median(times):.1f} ×"]
                else:
                    cells += ["–", "–"]
            print(f"| {name} ({q}) | " + " | ".join(cells) + " |")
    return 0


def _p95(values: list[float]) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(0.95 * (len(values) - 1))))]


if __name__ == "__main__":
    sys.exit(main())
