"""A stdout or stderr that cannot be written: a full disk (/dev/full), a descriptor closed by the
shell (>&-). What is lost is said in one line, where it can be, and the exit status stays a
status the command gives, not Python's 120 with a traceback."""

import subprocess
import sys
from pathlib import Path

import pytest

from archive.db import open_db
from tests.conftest import ROOT

GOVARCHIVE = str(Path(sys.executable).with_name("govarchive"))


def _run(args, cwd, *, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, closing=""):
    """govarchive ``args`` in ``cwd``; ``closing`` is a redirection the shell makes (``>&-``)."""
    return subprocess.run(["bash", "-c", f'exec "$@" {closing}', "bash", GOVARCHIVE, *map(str, args)], cwd=cwd,
                          stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr, text=True, timeout=300)


@pytest.fixture
def folder(tmp_path):
    open_db(tmp_path / "a.db").close()
    (tmp_path / "sources.toml").write_bytes((ROOT / "sources.toml").read_bytes())
    return tmp_path


COMMANDS = [["stats", "--db", "a.db"], ["search", "Zalo", "--db", "a.db"], ["sources"], ["--version"]]


@pytest.mark.parametrize("command", COMMANDS)
def test_a_full_stdout_is_a_one_line_error(folder, command):
    with open("/dev/full", "w") as full:
        result = _run(command, folder, stdout=full)
    assert (result.returncode, result.stderr) == (1, "Error: cannot write stdout: No space left on device\n")


@pytest.mark.parametrize("command", COMMANDS)
def test_a_closed_stdout_is_a_one_line_error(folder, command):
    result = _run(command, folder, closing=">&-")
    assert (result.returncode, result.stderr) == (1, "Error: cannot write stdout: Bad file descriptor\n")


@pytest.mark.parametrize("closing", ["2>/dev/full", "2>&-"])
def test_a_stderr_that_cannot_be_written_leaves_the_exit_status_to_the_command(folder, closing):
    failed = _run(["stats", "--db", "missing.db"], folder, closing=closing)
    assert failed.returncode == 1
    # Notes on stderr, results on stdout: the results are what counts.
    noted = _run(["search", "Zalo NOT", "--db", "a.db"], folder, stdout=subprocess.PIPE, closing=closing)
    assert (noted.returncode, noted.stdout) == (0, "No results.\n")
