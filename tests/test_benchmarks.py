"""Smoke runs of the benchmark scripts at small sizes: they must keep working (speed is not asserted)."""

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.mark.parametrize(
    "script, args, expect",
    [
        ("crawl_bench.py", ["--articles", "60"], ("gzipped by the site", "ms for the crawler process")),
        ("crawl_bench.py", ["--articles", "60", "--no-gzip"], "uncompressed"),
        ("warc_bench.py", ["--records", "60"], "served gzipped: govarchive WarcFileWriter (body stored)"),
        ("export_bench.py", ["--rows", "300"], "| 300 | zip |"),
        ("search_bench.py", ["--articles", "2000", "--repeat", "2"], "| common, no accents (thong tin) |"),
        ("syndication_bench.py", ["--notices", "400", "--repeat", "2"], "| 400 | "),
        ("frontier_bench.py", ["--urls", "3000", "--per-sitemap", "1000", "--seconds", "6", "--bound-mb", "2000"],
         "| disk queue (JOBDIR) |"),
    ],
)
def test_benchmark_runs(script, args, expect):
    result = subprocess.run([sys.executable, str(BENCH / script), *args], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    for text in (expect,) if isinstance(expect, str) else expect:
        assert text in result.stdout
