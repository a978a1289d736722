"""Re-extractions that meet trouble: WARC files gone or unreadable."""

import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from archive.warc import default_warc_dir
from tests.test_export_durability import a_directory_in_place_of_a_warc_file

BIN = Path(sys.executable).parent


def govarchive(*args, cwd):
    return subprocess.run([str(BIN / "govarchive"), *map(str, args)], cwd=cwd, capture_output=True, text=True,
                          timeout=300)


@pytest.fixture
def archive_copy(crawled_archive, tmp_path):
    """A private copy of the crawled archive."""
    shutil.copy(crawled_archive / "archive.db", tmp_path / "archive.db")
    shutil.copytree(default_warc_dir(crawled_archive / "archive.db"), default_warc_dir(tmp_path / "archive.db"))
    return tmp_path / "archive.db"


def test_a_warc_file_that_cannot_be_read_leaves_its_articles_as_they_are(archive_copy):
    warc_file, affected = a_directory_in_place_of_a_warc_file(archive_copy)
    total = sqlite3.connect(archive_copy).execute("select count(*) from articles").fetchone()[0]
    result = govarchive("reextract", "--stored-rules", "--db", archive_copy.name, cwd=archive_copy.parent)
    assert "Traceback" not in result.stderr
    assert result.stdout.startswith(f"0 updated, {total - len(affected)} unchanged, 0 without a capture, "
                                    f"{len(affected)} with a capture that cannot be read"), result.stdout
    assert warc_file in result.stderr and "Is a directory" in result.stderr


def test_gone_or_unreadable_warc_files_are_named_and_the_exit_status_is_1(archive_copy):
    # A directory in place of one file, and eight articles whose files are gone.
    warc_file, affected = a_directory_in_place_of_a_warc_file(archive_copy)
    db = sqlite3.connect(archive_copy)
    ids = [r[0] for r in db.execute("select id from articles order by id")]
    with db:
        for n, article_id in enumerate([i for i in ids if i not in affected][:8]):
            db.execute("update fetches set warc_file = ? where id = (select fetch_id from articles where id = ?)",
                       [f"archive-warc/gone-{n}.warc.gz", article_id])
    db.close()
    unread = len(affected) + 8
    result = govarchive("reextract", "--stored-rules", "--db", archive_copy.name, cwd=archive_copy.parent)
    assert result.returncode == 1, result.stderr
    assert result.stdout.splitlines()[0] == (f"0 updated, {len(ids) - unread} unchanged, 0 without a capture, "
                                             f"{unread} with a capture that cannot be read.")
    # Named once each, not once for each of their articles: a handful, then how many more.
    said = [line for line in result.stderr.splitlines() if not line.startswith("Re-extracting: ")]
    assert said == [
        f"error: {unread} captures could not be read; their articles keep their reading; WARC files gone or "
        f"unreadable: {warc_file} (Is a directory), "
        + ", ".join(f"archive-warc/gone-{n}.warc.gz (missing)" for n in range(4)) + " and 4 more"]
