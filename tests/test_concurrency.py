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


def _start_crawls(path, source_id, start, rounds, queue):
    import time

    from archive import ingest
    from archive.db import open_db
    from archive.sources import parse_sources

    source = parse_sources(
        f'[[source]]\nid = "{source_id}"\nname = "S"\nkind = "press"\nhome = "https://s.vn/"\n'
        'allowed_domains = ["s.vn"]\narticle_pattern = "x"\nschedule = "0 * * * *"\n'
        '[source.discovery]\nfeeds = ["https://s.vn/rss"]\n'
    )[0]
    time.sleep(max(0.0, start - time.time()))
    errors = []
    for _ in range(rounds):
        db = open_db(path)
        try:
            ingest.close_interrupted(db, source_id)
            ingest.start_crawl(db, source, max_pages=None)
        except Exception as exc:
            errors.append(repr(exc))
        finally:
            db.close()
    queue.put(errors)


def test_crawls_starting_together_all_record_their_crawl(tmp_path):
    # Recording a crawl reads (the source row) before it writes. A transaction that began
    # with a plain BEGIN fails at once with "database is locked" when another process
    # commits between its read and its write; the busy timeout never comes into it.
    import multiprocessing
    import time

    from archive.db import open_db

    path = tmp_path / "archive.db"
    open_db(path).close()
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    start = time.time() + 1.0
    workers = [
        context.Process(target=_start_crawls, args=(path, f"s{n}", start, 40, queue)) for n in range(4)
    ]
    for worker in workers:
        worker.start()
    errors = [e for _ in workers for e in queue.get(timeout=120)]
    for worker in workers:
        worker.join()
    assert errors == []
    db = open_db(path, create=False)
    assert db["crawls"].count == 4 * 40
    db.close()


def test_a_process_waits_for_another_one_upgrading_the_archive(tmp_path, monkeypatch, caplog):
    # Upgrading a large archive takes minutes, far longer than the busy timeout: a crawl the
    # scheduler starts meanwhile must wait for the upgrade, not fail on "database is locked".
    import sqlite3
    import threading

    from archive import db as archive_db

    path = tmp_path / "archive.db"
    old = archive_db.ArchiveDatabase(path)
    old.enable_wal()
    archive_db.migrations.apply(old, stop_before="m012_channel_agency_and_document_filter_words")
    old.close()
    monkeypatch.setattr(archive_db, "BUSY_TIMEOUT_MS", 200)
    upgrading = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    upgrading.execute("begin immediate")
    done = threading.Timer(1.5, upgrading.execute, ["commit"])
    done.start()
    try:
        db = archive_db.open_db(path)
    finally:
        done.join()
        upgrading.close()
    assert not archive_db.migrations.pending(db)
    db.close()
    assert "waiting" in caplog.text
