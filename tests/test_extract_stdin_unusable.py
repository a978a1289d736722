"""``govarchive extract -`` with a stdin that cannot be read, as a shell or a service manager can
leave it (closed with ``0<&-``, or opened for writing only): one line naming stdin, exit status 1
as for an empty stdin, not a traceback."""

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

GOVARCHIVE = str(Path(sys.executable).with_name("govarchive"))


def _extract(args, cwd, redirection):
    """govarchive extract ``args`` in ``cwd``, its stdin as the shell's ``redirection`` leaves it."""
    return subprocess.run(["sh", "-c", f'exec "$@" {redirection}', "sh", GOVARCHIVE, "extract", *map(str, args)],
                          cwd=cwd, capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("redirection, said", [
    ("0<&-", "Error: stdin is closed: pipe the page into it, or give FILE"),
    ("0>written", "Error: cannot read stdin: Bad file descriptor"),
])
def test_a_stdin_that_cannot_be_read_is_a_one_line_error(tmp_path, redirection, said):
    result = _extract(["-"], tmp_path, redirection)
    assert (result.returncode, result.stderr, result.stdout) == (1, said + "\n", "")


def test_a_file_is_read_with_stdin_closed(tmp_path):
    result = _extract([ROOT / "tests" / "golden" / "seed-000.html", "--json"], tmp_path, "0<&-")
    assert result.returncode == 0, result.stderr
    assert '"word_count"' in result.stdout
