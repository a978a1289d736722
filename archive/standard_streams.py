"""Standard output and error for the ``govarchive`` command: how a write that fails there ends
the command (see ``archive.cli._Commands``)."""

from __future__ import annotations

import contextlib
import os
import sys


class StdoutFailed(OSError):
    """A write to stdout that failed for another reason than a reader that stopped reading:
    told apart from an OSError of anything else the command does."""


class _Stdout:
    """sys.stdout, whose write failures are StdoutFailed (a closed pipe's stays BrokenPipeError)."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text):
        with _as_stdout_failure():
            return self._stream.write(text)

    def flush(self):
        with _as_stdout_failure():
            self._stream.flush()

    def __getattr__(self, name):
        return getattr(self._stream, name)


@contextlib.contextmanager
def _as_stdout_failure():
    try:
        yield
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise StdoutFailed(exc.errno, exc.strerror) from exc


class _Stderr:
    """sys.stderr, which loses what it cannot write: there is nowhere left to say so, and an
    error raised by a warning would end the command, or turn its exit status into Python's 120
    for a stream it cannot flush at exit."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text):
        try:
            return self._stream.write(text)
        except OSError:
            return len(text)

    def flush(self):
        with contextlib.suppress(OSError):
            self._stream.flush()

    def __getattr__(self, name):
        return getattr(self._stream, name)


def guard() -> None:
    """Wraps sys.stdout and sys.stderr at a command's start; a stream already wrapped, by an
    earlier command run in the same process, is left as it is."""
    if not isinstance(sys.stdout, _Stdout):
        sys.stdout = _Stdout(sys.stdout or _closed_stream(1))
    if not isinstance(sys.stderr, _Stderr):
        sys.stderr = _Stderr(sys.stderr or _closed_stream(2))


def _closed_stream(fd: int):
    """A stream for standard descriptor ``fd``, closed when the command began (``>&-``), that
    fails as a closed one does (EBADF). The number is taken, by /dev/null opened read-only: a
    file the command opens next (the archive's database) would get it otherwise, and what is
    written to stdout or stderr, by this process or a crawler it starts, would go into that file."""
    held = os.open(os.devnull, os.O_RDONLY)
    try:
        os.fstat(fd)
    except OSError:
        os.dup2(held, fd)
    return open(held, "w", encoding="utf-8")


def quiet_stdout(out):
    """After a failed or stopped write to stdout: keep the exit from writing the buffered rest
    (it would fail the same way, as a second error, or add to an output already cut short)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, out.fileno())
    os.close(devnull)
