"""WARC records are on disk before the database commits rows pointing to them.

SQLite in WAL mode with synchronous=NORMAL writes its commits out in its own time, and the
kernel writes the WARC files' pages out in its own: after a power cut the database could keep
fetch rows whose WARC record was never written. The pipeline asks the WARC writer to fsync
(the file, and the directory entry of a new file) before each commit."""

from __future__ import annotations

import json
import os
import textwrap

from archive import warc
from conftest import query
from test_warc import _write
from test_storage_failures import _crawl, _resumed_to_the_whole_archive, _stopped_for_storage

# Watches the crawler process: which bytes of which files fsync has put on disk, which WARC
# bytes the fetch rows of the open transaction point to, and at each COMMIT whether all of them
# were on disk. With TEST_WARC_FSYNC_FAILS, an fsync of a WARC file fails as on a broken disk.
WATCH = '''
import json
import os

if os.environ.get("TEST_SYNC_LOG"):
    import errno

    import archive.db
    import archive.ingest

    _log = open(os.environ["TEST_SYNC_LOG"], "a", encoding="utf-8")
    _folder = os.environ["TEST_ARCHIVE_DIR"]
    _synced = {}
    _entries = set()
    _pending = []
    _fsync = os.fsync

    def _path(fd):
        return os.path.realpath(os.readlink(f"/proc/self/fd/{fd}"))

    def fsync(fd):
        path = _path(fd)
        if os.environ.get("TEST_WARC_FSYNC_FAILS") and path.endswith(".warc.gz"):
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        _fsync(fd)
        if os.path.isdir(path):
            _entries.update(os.path.join(path, name) for name in os.listdir(path))
        else:
            _synced[path] = os.fstat(fd).st_size

    os.fsync = fsync

    _record_fetch = archive.ingest.record_fetch

    def record_fetch(db, **fields):
        for pointer in [fields.get("warc"), *(fields.get("warc_hops") or ())]:
            if pointer:
                path = os.path.realpath(os.path.join(_folder, pointer["file"]))
                _pending.append((path, pointer["offset"] + pointer["length"]))
        return _record_fetch(db, **fields)

    archive.ingest.record_fetch = record_fetch

    def _traced(statement):
        if statement == "COMMIT" and _pending:
            unsynced = [(p, end, _synced.get(p, 0)) for p, end in _pending if _synced.get(p, 0) < end]
            unnamed = sorted({p for p, _ in _pending if p not in _entries})
            _log.write(json.dumps({"pointers": len(_pending), "unsynced": unsynced, "unnamed": unnamed}) + "\\n")
            _log.flush()
        if statement in ("COMMIT", "ROLLBACK"):
            _pending.clear()

    _open_db = archive.db.open_db

    def open_db(*args, **kwargs):
        db = _open_db(*args, **kwargs)
        db.conn.set_trace_callback(_traced)
        return db

    archive.db.open_db = open_db
'''


def _watched_env(tmp_path, **extra):
    shim = tmp_path / "watch"
    shim.mkdir()
    (shim / "sitecustomize.py").write_text(textwrap.dedent(WATCH), encoding="utf-8")
    path = os.pathsep.join(p for p in (str(shim), os.environ.get("PYTHONPATH")) if p)
    return {**os.environ, "PYTHONPATH": path, "TEST_SYNC_LOG": str(tmp_path / "commits.jsonl"),
            "TEST_ARCHIVE_DIR": str(tmp_path), **extra}


def test_every_commit_of_fetch_rows_follows_the_fsync_of_their_warc_records(sample_site, tmp_path):
    (tmp_path / "sources.toml").write_text(sample_site.sources_toml(), encoding="utf-8")
    result = _crawl(tmp_path, env=_watched_env(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    commits = [json.loads(line) for line in (tmp_path / "commits.jsonl").read_text(encoding="utf-8").splitlines()]
    pointers = query(tmp_path, "select count(*) as n from fetches where warc_file is not null")[0]["n"]
    assert sum(c["pointers"] for c in commits) >= pointers > 50
    assert [c for c in commits if c["unsynced"] or c["unnamed"]] == []


def test_sync_puts_every_file_a_writer_opened_on_disk_with_its_name(tmp_path, monkeypatch):
    synced = []

    def fsync(fd):
        synced.append((os.path.realpath(os.readlink(f"/proc/self/fd/{fd}")), os.fstat(fd).st_size))
        real_fsync(fd)

    real_fsync = os.fsync
    monkeypatch.setattr(warc.os, "fsync", fsync)
    writer = warc.WarcFileWriter(tmp_path, prefix="t", max_size=1)  # a new file for every exchange
    for i in range(3):
        _write(writer, i)
    writer.sync()
    files = sorted(tmp_path.glob("t-*.warc.gz"))
    assert len(files) == 3
    # Each file whole, the ones rotated away from as they were closed, and the directory holding
    # its name after it.
    directory = (str(tmp_path.resolve()), os.stat(tmp_path).st_size)
    assert synced == [entry for f in files for entry in ((str(f), f.stat().st_size), directory)]
    writer.sync()  # nothing new: no more fsyncs
    assert len(synced) == 6
    _write(writer, 3)  # into a fourth file: the third, already on disk, is not synced again
    writer.close()
    fourth = tmp_path / "t-00004.warc.gz"
    assert synced[6:] == [(str(fourth.resolve()), fourth.stat().st_size), directory]


def test_a_warc_file_that_cannot_be_synced_stops_the_crawl_before_its_rows_are_committed(sample_site, tmp_path):
    (tmp_path / "sources.toml").write_text(sample_site.sources_toml(), encoding="utf-8")
    result = _crawl(tmp_path, env=_watched_env(tmp_path, TEST_WARC_FSYNC_FAILS="1"))
    _stopped_for_storage(result, tmp_path, f"writing WARC files in {tmp_path / 'archive-warc'} failed: "
                                           "OSError: [Errno 5] Input/output error")
    # No fetch row points to a record that did not reach the disk.
    assert query(tmp_path, "select count(*) as n from fetches where warc_file is not null") == [{"n": 0}]
    _resumed_to_the_whole_archive(sample_site, tmp_path)


def test_the_folders_a_writer_makes_are_synced_into_their_parents(tmp_path, monkeypatch):
    synced = []

    def fsync(fd):
        synced.append(os.path.realpath(os.readlink(f"/proc/self/fd/{fd}")))
        real_fsync(fd)

    real_fsync = os.fsync
    monkeypatch.setattr(warc.os, "fsync", fsync)
    writer = warc.WarcFileWriter(tmp_path / "archive-warc" / "2026", prefix="t")
    _write(writer, 0)
    writer.sync()
    base = tmp_path.resolve()
    assert synced[1:] == [str(base / "archive-warc" / "2026"), str(base / "archive-warc"), str(base)]
    _write(writer, 1)
    writer.close()
    assert synced[4:] == [str(base / "archive-warc" / "2026" / "t-00001.warc.gz")]
