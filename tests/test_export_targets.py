"""Exports to what is not a plain file: the descriptors a shell hands over, pipes, devices."""

import os
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent


def govarchive(*args, cwd, **kwargs):
    kwargs.setdefault("stdout", subprocess.PIPE)
    return subprocess.run([str(BIN / "govarchive"), *map(str, args)], cwd=cwd, stderr=subprocess.PIPE,
                          timeout=300, **kwargs)


@pytest.fixture(scope="module")
def exported(crawled_archive):
    """What ``export --source sample-portal`` writes to stdout, as JSONL."""
    result = govarchive("export", "--source", "sample-portal", "--db", "archive.db", cwd=crawled_archive)
    assert result.returncode == 0 and result.stdout, result.stderr
    return result.stdout


def _export_to_dev_stdout(crawled_archive, out, mode):
    """``export -o /dev/stdout > out`` (mode "wb") or ``>> out`` (mode "ab"): the file opened as
    a shell opens it, the export's stdout."""
    with open(out, mode) as shell_opened:
        result = govarchive("export", "--source", "sample-portal", "-o", "/dev/stdout", "--db", "archive.db",
                            cwd=crawled_archive, stdout=shell_opened)
    assert result.returncode == 0, result.stderr
    assert list(out.parent.iterdir()) == [out]  # written in place, no temporary file beside it


def test_dev_stdout_appended_to_with_double_redirect_keeps_what_was_there(crawled_archive, tmp_path, exported):
    out = tmp_path / "acc.jsonl"
    earlier = b"".join(b'{"earlier": %d}\n' % n for n in range(41))
    out.write_bytes(earlier)
    _export_to_dev_stdout(crawled_archive, out, "ab")
    assert out.read_bytes() == earlier + exported


def test_dev_stdout_redirected_to_a_file_is_the_export(crawled_archive, tmp_path, exported):
    out = tmp_path / "new.jsonl"
    out.write_bytes(b"an earlier export, longer than the new one\n" * 10_000)
    _export_to_dev_stdout(crawled_archive, out, "wb")
    assert out.read_bytes() == exported


def test_dev_stdout_into_a_pipe(crawled_archive, exported):
    result = govarchive("export", "--source", "sample-portal", "-o", "/dev/stdout", "--db", "archive.db",
                        cwd=crawled_archive)
    assert result.returncode == 0, result.stderr
    assert result.stdout == exported


def test_a_descriptor_by_its_number_as_a_shell_gives_for_a_process_substitution(crawled_archive, exported):
    # ``-o >(gzip > x.gz)``: the shell passes a pipe's end and names it /dev/fd/N.
    read_end, write_end = os.pipe()
    received = []
    reader = threading.Thread(target=lambda: received.append(os.fdopen(read_end, "rb").read()))
    reader.start()
    try:
        result = govarchive("export", "--source", "sample-portal", "-o", f"/dev/fd/{write_end}", "--db",
                            "archive.db", cwd=crawled_archive, pass_fds=[write_end])
    finally:
        os.close(write_end)
        reader.join(timeout=60)
    assert result.returncode == 0, result.stderr
    assert received == [exported]


def test_a_fifo(crawled_archive, tmp_path, exported):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    result = govarchive("export", "--source", "sample-portal", "-o", fifo, "--db", "archive.db", cwd=crawled_archive)
    reader.join(timeout=60)
    assert result.returncode == 0, result.stderr
    assert received == [exported]
    assert list(tmp_path.iterdir()) == [fifo]


def test_dev_null(crawled_archive):
    result = govarchive("export", "--source", "sample-portal", "-o", "/dev/null", "--db", "archive.db",
                        cwd=crawled_archive)
    assert result.returncode == 0, result.stderr
    assert result.stderr.decode().splitlines()[-1].endswith(" articles as jsonl to /dev/null.")


def test_a_descriptor_open_for_reading_only_is_a_one_line_error(crawled_archive):
    result = govarchive("export", "-o", "/dev/stdin", "--db", "archive.db", cwd=crawled_archive, input=b"")
    assert result.returncode == 2
    assert result.stderr.decode().splitlines()[-1] == (
        "Error: Invalid value for '-o' / '--output': cannot write /dev/stdin: open for reading only")


ZIP_REFUSED = ("Error: --format zip needs -o FILE: a zip cannot be written to a pipe, a device or a file opened to "
               "append to")


@pytest.mark.parametrize("output", ["/dev/null", "/dev/full", "/dev/stdout"])
def test_a_zip_is_refused_what_it_cannot_be_written_to(crawled_archive, output):
    # It seeks back to each member's header: /dev/null ended in a traceback, a pipe cannot.
    result = govarchive("export", "--format", "zip", "-o", output, "--db", "archive.db", cwd=crawled_archive)
    assert result.returncode == 1
    assert result.stderr.decode().splitlines() == [ZIP_REFUSED]
    assert result.stdout == b""


def test_a_zip_is_refused_a_file_opened_to_append_to_and_written_to_one_emptied_for_it(crawled_archive, tmp_path):
    out = tmp_path / "all.zip"
    out.write_bytes(b"an earlier export\n")
    with open(out, "ab") as appended:
        result = govarchive("export", "--format", "zip", "-o", "/dev/stdout", "--db", "archive.db",
                            cwd=crawled_archive, stdout=appended)
    assert result.returncode == 1 and result.stderr.decode().splitlines() == [ZIP_REFUSED]
    assert out.read_bytes() == b"an earlier export\n"
    with open(out, "wb") as emptied:
        result = govarchive("export", "--format", "zip", "-o", "/dev/stdout", "--db", "archive.db",
                            cwd=crawled_archive, stdout=emptied)
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(out) as bundle:
        assert bundle.testzip() is None and "articles.jsonl" in bundle.namelist()
