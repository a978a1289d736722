"""Exports that meet trouble: a WARC file that cannot be read."""

import io
import shutil
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from archive.warc import default_warc_dir

BIN = Path(sys.executable).parent


def govarchive(*args, cwd):
    return subprocess.run([str(BIN / "govarchive"), *map(str, args)], cwd=cwd, capture_output=True, text=True,
                          timeout=300)


@pytest.fixture
def archive_copy(crawled_archive, tmp_path):
    """A private copy of the crawled archive, in a folder of its own."""
    folder = tmp_path / "archive"
    folder.mkdir()
    shutil.copy(crawled_archive / "archive.db", folder / "archive.db")
    shutil.copytree(default_warc_dir(crawled_archive / "archive.db"), default_warc_dir(folder / "archive.db"))
    return folder / "archive.db"


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


@pytest.mark.parametrize("fmt", ["warc", "zip"])
def test_a_warc_file_that_cannot_be_read_is_named_and_its_captures_left_out(archive_copy, tmp_path, fmt):
    warc_file, affected = a_directory_in_place_of_a_warc_file(archive_copy)
    total = sqlite3.connect(archive_copy).execute("select count(*) from articles").fetchone()[0]
    out = tmp_path / f"all.{fmt}"
    result = govarchive("export", "--format", fmt, "-o", out, "--db", archive_copy.name, cwd=archive_copy.parent)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    warned = {int(line.split()[2]) for line in result.stderr.splitlines() if line.startswith("warning: article ")}
    assert warned == set(affected)
    assert f"WARC file {warc_file} cannot be read: Is a directory" in result.stderr
    assert result.stderr.splitlines()[-1].endswith(f"{len(affected)} captures could not be included (named above).")
    if fmt == "zip":
        with zipfile.ZipFile(out) as bundle:
            assert bundle.testzip() is None
            assert len(bundle.read("articles.jsonl").splitlines()) == total
            missing = bundle.read("missing-captures.tsv").decode().splitlines()[1:]
            warc = bundle.read("captures.warc.gz")
        assert {int(line.split("\t")[0]) for line in missing} == set(affected)
    else:
        warc = out.read_bytes()
    responses = [r.rec_headers.get_header("WARC-Target-URI") for r in ArchiveIterator(io.BytesIO(warc))
                 if r.rec_type == "response"]
    assert len(responses) == total - len(affected) and not set(responses) & set(affected.values())
