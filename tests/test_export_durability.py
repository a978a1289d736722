"""Exports that meet trouble: stopped half-way, a WARC file that cannot be read."""

import contextlib
import io
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile

import pytest
from warcio.archiveiterator import ArchiveIterator

from tests.conftest import govarchive


def _articles_in(db_path, warc_file):
    conn = sqlite3.connect(db_path)
    try:
        return {r[0]: r[1] for r in conn.execute(
            "select a.id, a.url from articles a join fetches f on f.id = a.fetch_id where f.warc_file = ?",
            [warc_file])}
    finally:
        conn.close()


def a_directory_in_place_of_a_warc_file(db_path):
    """One WARC file of the archive replaced by a directory (any OSError on reading it is alike:
    no permission, an I/O error); returns its name as the fetches give it and its articles."""
    (warc_file,) = sqlite3.connect(db_path).execute(
        "select f.warc_file from articles a join fetches f on f.id = a.fetch_id order by a.id limit 1").fetchone()
    path = db_path.parent / warc_file
    path.unlink()
    path.mkdir()
    return warc_file, _articles_in(db_path, warc_file)


def assert_aligned(readme):
    """The README's list of what the zip holds, each line's text in one column, however long
    the name before it (missing-captures.tsv is the longest)."""
    head = readme.split("\n\n", 1)[1].split("\nFields\n")[0]
    lines = [line for line in head.splitlines() if line]
    assert any(line.startswith("missing-captures.tsv ") for line in lines)
    columns = {len(line) - len(line.lstrip()) if line[0] == " " else len(re.match(r"\S+ +", line).group())
               for line in lines}
    assert len(columns) == 1, head


@pytest.mark.parametrize("fmt", ["warc", "zip"])
def test_a_warc_file_that_cannot_be_read_is_named_and_its_captures_left_out(archive_copy, tmp_path, fmt):
    warc_file, affected = a_directory_in_place_of_a_warc_file(archive_copy)
    total = sqlite3.connect(archive_copy).execute("select count(*) from articles").fetchone()[0]
    out = tmp_path / f"all.{fmt}"
    result = govarchive("export", "--format", fmt, "-o", out, "--db", archive_copy.name, cwd=archive_copy.parent)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    # Every capture in the file fails alike: the file is named once, not each article.
    assert not any(line.startswith("warning: article ") for line in result.stderr.splitlines())
    assert (f"warning: {len(affected)} captures left out; WARC files gone or unreadable: {warc_file} "
            "(Is a directory)") in result.stderr
    assert result.stderr.splitlines()[-1].endswith(f"{len(affected)} captures could not be included (named above).")
    # Incomplete, it is kept beside the name (see test_export_incomplete.py).
    out = out.with_name(out.name + ".incomplete")
    if fmt == "zip":
        with zipfile.ZipFile(out) as bundle:
            assert bundle.testzip() is None
            assert len(bundle.read("articles.jsonl").splitlines()) == total
            missing = bundle.read("missing-captures.tsv").decode().splitlines()[1:]
            assert_aligned(bundle.read("README.txt").decode())
            warc = bundle.read("captures.warc.gz")
        assert {int(line.split("\t")[0]) for line in missing} == set(affected)
    else:
        warc = out.read_bytes()
    responses = [r.rec_headers.get_header("WARC-Target-URI") for r in ArchiveIterator(io.BytesIO(warc))
                 if r.rec_type == "response"]
    assert len(responses) == total - len(affected) and not set(responses) & set(affected.values())


# govarchive, each capture taking a while to read: an export that can be stopped half-way.
SLOW_EXPORT = """
import sys, time
import archive.export

read_capture = archive.export.read_capture
archive.export.read_capture = lambda *args: time.sleep(0.05) or read_capture(*args)
from archive.cli import cli
cli.main(sys.argv[1:], prog_name="govarchive")
"""


def _stopped_export(archive, fmt, out, sig):
    """A slowed export to ``out`` stopped by ``sig`` once it has written something; the
    result."""
    before = out.stat() if out.exists() else None
    others = set(out.parent.iterdir()) - {out}
    run = subprocess.Popen([sys.executable, "-c", SLOW_EXPORT, "export", "--format", fmt, "-o", out,
                            "--db", archive.name], cwd=archive.parent, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60

    def writing():
        if before and out.exists() and (out.stat().st_size, out.stat().st_mtime_ns) != (before.st_size,
                                                                                         before.st_mtime_ns):
            return True
        return any(p.stat().st_size > 0 for p in set(out.parent.iterdir()) - others - {out})

    while not writing():
        assert run.poll() is None and time.monotonic() < deadline, "the export ended before it could be stopped"
        time.sleep(0.01)
    run.send_signal(sig)
    stdout, stderr = run.communicate(timeout=120)
    return run.returncode, stderr, set(out.parent.iterdir()) - others


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL], ids=lambda sig: sig.name)
def test_an_export_stopped_half_way_leaves_the_earlier_export_as_it_was(archive_copy, tmp_path, sig):
    exports = tmp_path / "exports"
    exports.mkdir()
    out = exports / "all.zip"
    assert govarchive("export", "--format", "zip", "-o", out, "--db", archive_copy.name,
                      cwd=archive_copy.parent).returncode == 0
    earlier = out.read_bytes()
    returncode, stderr, left = _stopped_export(archive_copy, "zip", out, sig)
    assert out.read_bytes() == earlier
    if sig == signal.SIGKILL:
        # Nothing can clean up after it; what it leaves is not under the export's name.
        assert {p.name for p in left} - {"all.zip"} <= {p.name for p in exports.glob("all.zip.*.part")}
        return
    assert returncode == 128 + sig, stderr
    assert stderr.splitlines() == [f"interrupted: {out} is as it was"]
    assert left == {out}


def test_an_export_to_a_new_file_stopped_half_way_leaves_no_file(archive_copy, tmp_path):
    out = tmp_path / "all.warc.gz"
    returncode, stderr, left = _stopped_export(archive_copy, "warc", out, signal.SIGINT)
    assert returncode == 130, stderr
    assert left == set()


def test_a_zip_exported_while_a_crawl_stores_articles_describes_one_state_of_the_archive(archive_copy,
                                                                                        monkeypatch):
    import archive.export
    from archive.db import open_db
    from archive.export import Selection, export

    real = archive.export.warcinfo_member

    def a_crawl_stores_an_article(*args, **kwargs):
        # Between the zip's articles.jsonl and its captures.warc.gz: an article with a capture.
        crawl = sqlite3.connect(archive_copy)
        columns = [c[1] for c in crawl.execute("pragma table_info(articles)") if c[1] != "id"]
        with crawl:
            crawl.execute(f"insert into articles ({', '.join(columns)}) "
                          f"select {', '.join(c if c != 'url' else 'url || ?' for c in columns)} from articles "
                          "order by id limit 1", ["?meanwhile"])
        crawl.close()
        return real(*args, **kwargs)

    monkeypatch.setattr(archive.export, "warcinfo_member", a_crawl_stores_an_article)
    db = open_db(archive_copy)
    out = io.BytesIO()
    left_out = []
    count = export(db, archive_copy, "zip", out, Selection(), left_out=lambda row, reason: left_out.append(row))
    assert db.execute("select count(*) from articles").fetchone()[0] == count + 1
    with zipfile.ZipFile(out) as bundle:
        rows = bundle.read("articles.jsonl").splitlines()
        warc = bundle.read("captures.warc.gz")
    responses = [r for r in ArchiveIterator(io.BytesIO(warc)) if r.rec_type == "response"]
    assert len(rows) == len(responses) == count and not left_out


@pytest.mark.parametrize("moment", ["opens", "closes"])
def test_a_stop_while_the_zip_opens_or_closes_a_member_is_a_stop(archive_copy, tmp_path, monkeypatch, moment):
    # A stop is raised wherever the export stands. Raised inside zipfile's opening or closing of a
    # member, it left the member open, and closing the zip then raised zipfile's ValueError in its
    # place: the command said "Error: Can't close the ZIP file …" and exited 1, not 130 or 143.
    from archive.db import open_db
    from archive.export import Selection, export

    def stopped_after(original):
        def method(*args, **kwargs):
            original(*args, **kwargs)
            os.kill(os.getpid(), signal.SIGINT)
        return method

    def stopped_before(original):
        def method(*args, **kwargs):
            os.kill(os.getpid(), signal.SIGINT)
            original(*args, **kwargs)
        return method

    if moment == "opens":  # the member made, not yet handed to the export
        monkeypatch.setattr(zipfile._ZipWriteFile, "__init__", stopped_after(zipfile._ZipWriteFile.__init__))
    else:
        monkeypatch.setattr(zipfile._ZipWriteFile, "close", stopped_before(zipfile._ZipWriteFile.close))
    db = open_db(archive_copy)
    try:
        with open(tmp_path / "all.zip", "wb") as out, pytest.raises(KeyboardInterrupt):
            export(db, archive_copy, "zip", out, Selection())
    finally:
        db.close()


def test_a_stop_between_a_member_s_opening_and_its_with_statement_is_a_stop(archive_copy, tmp_path, monkeypatch):
    # contextlib hands the opened member over after the generator yields it: a stop that comes
    # then finds no with-statement to close the member, and zipfile refused to close the zip over
    # it, its ValueError taking the stop's place (as in the test above).
    import archive.export as export_module
    from archive.db import open_db

    opened = export_module._zip_member

    @contextlib.contextmanager
    def stopped_once_open(*args):
        # Held, as the stop's traceback holds contextlib's frame and the manager in it.
        member = opened(*args)
        member.__enter__()
        raise KeyboardInterrupt
        yield

    monkeypatch.setattr(export_module, "_zip_member", stopped_once_open)
    db = open_db(archive_copy)
    try:
        with open(tmp_path / "all.zip", "wb") as out, pytest.raises(KeyboardInterrupt):
            export_module.export(db, archive_copy, "zip", out, export_module.Selection())
    finally:
        db.close()
