"""An archive that cannot be written for want of space is said to be so, not called unusable."""

import os
import resource
import signal
import subprocess
import sys
from pathlib import Path


def _no_room():
    # A file size limit of 0 bytes: every write the archive makes fails as on a full disk.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))


def test_a_new_archive_on_a_full_disk_is_not_called_unusable(tmp_path):
    (tmp_path / "sources.toml").write_text(
        '[[source]]\nid = "mau"\nname = "Mẫu"\nkind = "province-portal"\nhome = "http://127.0.0.1:9/"\n'
        'allowed_domains = ["127.0.0.1"]\narticle_pattern = \'/bai-\\d+\\.html$\'\nschedule = "0 * * * *"\n'
        '[source.discovery]\nfeeds = ["http://127.0.0.1:9/rss"]\n', encoding="utf-8")
    result = subprocess.run(
        [str(Path(sys.executable).with_name("govarchive")), "crawl", "--all", "--db", "archive.db"],
        cwd=tmp_path, preexec_fn=_no_room, capture_output=True, text=True, timeout=120,
        env={**os.environ, "SQLITE_TMPDIR": str(tmp_path)},
    )
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert "not a usable SQLite database" not in result.stderr, result.stderr
    assert "archive.db: the archive could not be opened for writing: " in result.stderr
    # SQLite's temporary files may be what filled a disk: their folder is named.
    assert (f"(is the disk full, the archive's or that of SQLite's temporary files in {tmp_path}, "
            "or a file size limit reached?)") in result.stderr, result.stderr
