"""Export memory benchmark: peak RSS of ``govarchive export`` for each format and size.

``python benchmarks/export_bench.py --rows 20000`` builds a synthetic archive (real schema and
WARC captures), then runs each export in its own process and reads that process's peak RSS.
Streaming means the peak must not grow with the number of rows.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from synthetic import build_archive  # noqa: E402

BIN = Path(sys.executable).parent


def run_export(db: Path, fmt: str, out: Path) -> tuple[float, float]:
    start = time.perf_counter()
    process = subprocess.Popen(
        [str(BIN / "govarchive"), "export", "--format", fmt, "--db", str(db), "-o", str(out)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(process.pid, 0)
    if status != 0:
        raise SystemExit(f"export {fmt} failed: {process.stderr.read().decode()}")
    return time.perf_counter() - start, usage.ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--bound-mb", type=float, default=150, help="fail if any export's peak RSS exceeds this")
    args = parser.parse_args()
    sizes = [max(args.rows // 10, 1), args.rows]
    print("| rows | format | seconds | peak RSS |\n| --- | --- | --- | --- |")
    worst = 0.0
    with tempfile.TemporaryDirectory(prefix="govarchive-export-") as tmp:
        for rows in sizes:
            db = Path(tmp) / f"a{rows}.db"
            build_archive(db, rows)
            for fmt in ("jsonl", "csv", "warc", "zip"):
                seconds, rss = run_export(db, fmt, Path(tmp) / f"out-{rows}.{fmt}")
                worst = max(worst, rss)
                print(f"| {rows} | {fmt} | {seconds:.1f} | {rss:.0f} MB |")
    if worst > args.bound_mb:
        print(f"peak RSS {worst:.0f} MB exceeds the bound of {args.bound_mb:.0f} MB", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
