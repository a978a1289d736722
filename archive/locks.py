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
    """The archive's lock folder, or one source's lock file in it, cannot be used (a file where
    the folder should be, no right to write it): no crawl of the archive, or of that source, can
    start. ``whole_folder`` says which."""

    def __init__(self, db_path: str | Path, exc: OSError, lock_file: Path | None = None):
        folder = lock_dir(db_path)
        # A lock file that is there, in a folder that is one, is the only one at fault.
        self.whole_folder = lock_file is None or not os.path.lexists(lock_file)
        if folder.exists() and not folder.is_dir():
            # Said as such: the errno's own words are "File exists" or "Not a directory".
            super().__init__(f"{folder}: cannot write the archive's crawl locks there: it is not a folder")
        elif self.whole_folder:
            super().__init__(f"{folder}: cannot write the archive's crawl locks there: {exc.strerror or exc}")
        else:
            why = "it is not a file" if lock_file.is_dir() else exc.strerror or str(exc)
            super().__init__(f"{lock_file}: cannot write this source's crawl lock: {why}")


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

    def open(self) -> int:
        """The lock file's descriptor, the file and its folder made if need be; raises
        LocksUnusable. Opening takes no lock: a crawl that holds it is not disturbed."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            return os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise LocksUnusable(self.db_path, exc, self.path) from None

    def check(self) -> None:
        """Raise LocksUnusable when this lock could not be taken for want of a usable file,
        whoever holds it now: said before a crawl starts, not as a crawler's traceback."""
        os.close(self.open())

    def acquire(self) -> "SourceLock":
        fd = self.open()
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
        raise LocksUnusable(db_path, exc, lock_dir(db_path) / f"{source_id}.lock") from None
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
