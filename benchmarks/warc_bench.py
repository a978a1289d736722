"""WARC write rate: warcio's own gzip writer (level 9) against govarchive's per-record members.

``python benchmarks/warc_bench.py --records 2000`` writes the same sample-site pages as
response+request pairs both ways and reports records/s and bytes written: first as plain HTML,
then as a server sends them with ``Content-Encoding: gzip`` (level 6).
"""

from __future__ import annotations

import argparse
import gzip
import io
import sys
import tempfile
import time
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archive.samplesite import SampleSite
from archive.warc import WarcFileWriter

HEADERS = [("Content-Type", "text/html; charset=utf-8")]
GZIPPED = HEADERS + [("Content-Encoding", "gzip")]


def pages(count: int) -> list[tuple[str, bytes]]:
    with SampleSite(extra_articles=max(count - 45, 0)) as site:
        urls = sorted(site.expected_article_urls())[:count]
        return [(url, site.page_bytes(url)) for url in urls]


def warcio_level9(directory: Path, items, headers=HEADERS) -> tuple[float, int]:
    path = directory / f"warcio-{len(headers)}.warc.gz"
    start = time.perf_counter()
    with open(path, "wb") as f:
        writer = WARCWriter(f, gzip=True, warc_version="WARC/1.1")
        for url, body in items:
            http = StatusAndHeaders("200 OK", headers, protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(body),
                                                          length=len(body), http_headers=http))
            request = StatusAndHeaders("GET / HTTP/1.1", [], protocol="HTTP/1.1", is_http_request=True)
            writer.write_record(writer.create_warc_record(url, "request", payload=io.BytesIO(b""),
                                                          length=0, http_headers=request))
    return time.perf_counter() - start, path.stat().st_size


def govarchive_writer(directory: Path, items, level: int, headers=HEADERS) -> tuple[float, int]:
    folder = directory / f"level{level}-{len(headers)}"
    start = time.perf_counter()
    writer = WarcFileWriter(folder, prefix="bench", level=level)
    for url, body in items:
        writer.write_exchange(url=url, method="GET", request_headers=[], request_body=b"", status=200,
                              reason="OK", response_headers=headers, body=body)
    writer.close()
    size = sum(p.stat().st_size for p in folder.glob("*.warc.gz"))
    return time.perf_counter() - start, size


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=2000, help="pages (each a response + request pair)")
    args = parser.parse_args()
    items = pages(args.records)
    raw = sum(len(b) for _, b in items)
    print(f"{len(items)} pages, {raw / len(items) / 1024:.0f} KB average\n")
    print("| writer | pairs/s | ms per page | bytes ÷ HTML |\n| --- | --- | --- | --- |")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        rows = [("warcio WARCWriter(gzip=True), level 9", *warcio_level9(tmp, items))]
        for level in (6, 1):
            rows.append((f"govarchive WarcFileWriter, level {level}", *govarchive_writer(tmp, items, level)))
        gzipped = [(url, gzip.compress(body, 6, mtime=0)) for url, body in items]
        rows.append(("served gzipped: warcio WARCWriter(gzip=True), level 9", *warcio_level9(tmp, gzipped, GZIPPED)))
        rows.append(("served gzipped: govarchive WarcFileWriter (body stored)",
                     *govarchive_writer(tmp, gzipped, 6, GZIPPED)))
    for name, seconds, size in rows:
        print(f"| {name} | {len(items) / seconds:.0f} | {seconds / len(items) * 1000:.2f} | {size / raw:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
