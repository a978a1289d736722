"""The commands that read an archive, run from a current folder that no longer exists with a
path relative to it, say so, as crawl does, instead of sending the user to make the archive."""

import pytest

from tests.test_crawl_from_a_deleted_folder import GONE, _from_a_deleted_folder


@pytest.mark.parametrize("command", [["stats"], ["search", "Zalo"], ["export", "--format", "jsonl"], ["reextract"],
                                     ["serve", "--port", "0"]])
def test_a_command_that_reads_says_the_current_folder_is_gone(tmp_path, command):
    result = _from_a_deleted_folder(tmp_path, *command, "--db", "archive.db")
    assert (result.returncode, result.stderr) == (1, GONE.format("archive.db") + "\n"), result.stdout
