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
