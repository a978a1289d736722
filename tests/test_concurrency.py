"""A crawl writing while datasette serves searches: no locked database, no failed request."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from concurrent_bench import run  # noqa: E402


def test_crawl_and_searches_share_the_archive():
    result = run(articles=300, rate=50, max_seconds=300)
    assert result["crawl_status"] == 0
    assert result["archived"] == result["expected"]
    assert result["sent"] > 100
    assert result["failed"] == 0, result["errors"][:3]
    assert result["locked"] == 0 and result["locked_logs"] == 0
