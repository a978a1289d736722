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


def _open_at(path, start, queue):
    import time

    from archive.db import ArchiveError, open_db

    time.sleep(max(0.0, start - time.time()))
    try:
        open_db(path).close()
        queue.put("ok")
    except ArchiveError as exc:
        queue.put(str(exc))


def test_processes_opening_a_new_archive_at_once_all_get_it(tmp_path):
    # The scheduler starts every due source at the same moment on one archive: all of them
    # find the migrations pending, and only one may apply them.
    import multiprocessing
    import time

    from archive.db import migrations, open_db

    context = multiprocessing.get_context("spawn")
    for attempt in range(6):
        path = tmp_path / f"archive{attempt}.db"
        queue = context.Queue()
        start = time.time() + 1.0
        workers = [context.Process(target=_open_at, args=(path, start, queue)) for _ in range(4)]
        for worker in workers:
            worker.start()
        outcomes = [queue.get(timeout=60) for _ in workers]
        for worker in workers:
            worker.join()
        assert outcomes == ["ok"] * 4
        db = open_db(path, create=False)
        applied = [m.name for m in migrations.applied(db)]
        assert applied and len(applied) == len(set(applied)) and not migrations.pending(db)
        db.close()
