"""A synthetic archive of N articles for benchmarks: real schema, real WARC captures.

Rows go through the same library functions a crawl uses (archive.ingest, archive.warc), with
generated Vietnamese pages, so exports and searches run over what a crawl would leave.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

from archive import ingest
from archive.db import open_db
from archive.sources import parse_sources
from archive.warc import WarcFileWriter, default_warc_dir, reference_for

WORDS = (
    "Sở Thông tin và Truyền thông Hà Nội triển khai kênh Zalo OA chính quyền số chuyển đổi số "
    "người dân doanh nghiệp cải cách hành chính cổng thông tin điện tử fanpage Thủ đô Nghệ An "
    "Bộ Nội vụ kế hoạch quyết định nghị định tuyên truyền phản ánh hiện trường ứng dụng VNeID "
    "đề án dịch vụ công trực tuyến hội nghị giao ban báo chí phát ngôn tin giả mạng xã hội"
).split()

SOURCES = """
[[source]]
id = "bench-{n}"
name = "Nguồn thử {n}"
kind = "press"
home = "https://bench{n}.example.vn/"
allowed_domains = ["bench{n}.example.vn"]
article_pattern = '^https://bench{n}\\.example\\.vn/.+\\.html$'
schedule = "0 * * * *"
[source.discovery]
feeds = ["https://bench{n}.example.vn/rss"]
"""


def page(rng: random.Random, title: str, paragraphs: int = 6) -> tuple[bytes, str]:
    text = "\n".join(" ".join(rng.choices(WORDS, k=60)) + "." for _ in range(paragraphs))
    body = "".join(f"<p>{line}</p>" for line in text.splitlines())
    html = (
        f"<html lang='vi'><head><meta charset='utf-8'><title>{title}</title></head>"
        f"<body><article><h1>{title}</h1>{body}</article></body></html>"
    )
    return html.encode("utf-8"), text


def build_archive(db_path: str | Path, n: int, *, sources: int = 5, seed: int = 0) -> None:
    rng = random.Random(seed)
    db = open_db(db_path)
    srcs = [parse_sources(SOURCES.format(n=i))[0] for i in range(sources)]
    crawl_ids = {s.id: ingest.start_crawl(db, s, max_pages=None) for s in srcs}
    writer = WarcFileWriter(default_warc_dir(db_path), prefix="synthetic", level=1)
    start = datetime(2016, 1, 1, tzinfo=timezone(timedelta(hours=7)))
    with db.atomic():
        for i in range(n):
            source = srcs[i % sources]
            url = f"https://bench{i % sources}.example.vn/bai-{i}.html"
            title = " ".join(rng.choices(WORDS, k=10)).capitalize()
            body, text = page(rng, title)
            pointer = writer.write_exchange(
                url=url, method="GET", request_headers=[], request_body=b"", status=200, reason="OK",
                response_headers=[("Content-Type", "text/html; charset=utf-8")], body=body,
            )
            fetch_id = ingest.record_fetch(
                db, crawl_id=crawl_ids[source.id], source_id=source.id, url=url, kind="article", status=200,
                content_type="text/html; charset=utf-8", length=len(body),
                warc={"file": reference_for(writer.directory / pointer.file, db_path),
                      "offset": pointer.offset, "length": pointer.length},
            )
            published = (start + timedelta(minutes=rng.randrange(10 * 365 * 24 * 60))).isoformat()
            record = {
                "url": url, "title": title, "author": "PV", "published": published, "text": text,
                "description": text[:200], "language": "vi", "word_count": len(text.split()),
                "text_hash": str(i), "extractor_version": "synthetic", "charset": "utf-8",
            }
            ingest.store_article(db, record, source_id=source.id, fetch_id=fetch_id, seen_at=published)
    writer.close()
    db.close()
