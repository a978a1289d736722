"""One crawl of a source at a time, with a lock a crashed crawl cannot leave behind.

The lock is an OS file lock (flock) on ``<db name>-locks/<source id>.lock``: the kernel
releases it when the holding process exits, however it exits, so there is nothing stale to
clean up. The file also records the holder's pid for the error message.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from archive.db import ArchiveError


class SourceLocked(RuntimeError):
    pass


class LocksUnusable(ArchiveError):
    """The archive's lock folder cannot be used (it is a file, it cannot be written): no crawl
    of the archive can start."""

    def __init__(self, db_path: str | Path, exc: OSError):
        folder = lock_dir(db_path)
        # Said as such: the errno's own words are "File exists" or "Not a directory".
        why = "it is not a folder" if folder.exists() and not folder.is_dir() else exc.strerror or str(exc)
        super().__init__(f"{folder}: cannot write the archive's crawl locks there: {why}")


def lock_dir(db_path: str | Path) -> Path:
    # Beside the database itself, not a symlink to it: two paths to one archive share its locks.
    db_path = Path(db_path).resolve()
    return db_path.with_name(f"{db_path.stem}-locks")


class SourceLock:
    def __init__(self, db_path: str | Path, source_id: str):
        self.db_path = db_path
        self.path = lock_dir(db_path) / f"{source_id}.lock"
        self.source_id = source_id
        self.fd = None

    def acquire(self) -> "SourceLock":
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise LocksUnusable(self.db_path, exc) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid = os.read(fd, 32).decode("ascii", "ignore").strip() or "?"
            os.close(fd)
            raise SourceLocked(locked_message(self.source_id, pid)) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode("ascii"))
        self.fd = fd
        return self

    def release(self) -> None:
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc):
        self.release()


def holder(db_path: str | Path, source_id: str) -> str | None:
    """The pid of the crawl that holds ``source_id``'s lock now ("?" while it has not written it),
    or None when none does; looking neither creates the lock file nor writes to it."""
    try:
        fd = os.open(lock_dir(db_path) / f"{source_id}.lock", os.O_RDONLY)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise LocksUnusable(db_path, exc) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return os.read(fd, 32).decode("ascii", "ignore").strip() or "?"
    finally:
        os.close(fd)
    return None


def is_locked(db_path: str | Path, source_id: str) -> bool:
    return holder(db_path, source_id) is not None


def locked_message(source_id: str, pid: str) -> str:
    return f"{source_id} is already being crawled (pid {pid})"
