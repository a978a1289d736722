"""A crawl whose lock or request queue cannot be used (a file of the wrong kind, no right to
write it) is a one-line error naming the file or folder at fault, from govarchive crawl, from the
crawler itself and in the scheduler's log: never a traceback.

Without the right to write, as the root user is not refused: run as root, the commands run
without its file-access capabilities."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_schedule import _crawled, _sources

GOVARCHIVE = str(Path(sys.executable).with_name("govarchive"))
NO_BYPASS = "-dac_override,-dac_read_search,-fowner"


def _as_user(command):
    """``command`` as a user whom file modes refuse: as it is, or as root without the
    capabilities that pass over them."""
    if os.geteuid() != 0:
        return command
    if not shutil.which("setpriv"):
        pytest.skip("run as root, and no setpriv to drop the file-access capabilities")
    return ["setpriv", "--bounding-set", NO_BYPASS, "--inh-caps", NO_BYPASS, "--", *command]


def _run(folder, *args, unprivileged=False):
    command = [GOVARCHIVE, *args]
    return subprocess.run(_as_user(command) if unprivileged else command, cwd=folder, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=300)


def _crawl(folder, source_id="sample-portal", unprivileged=False):
    return _run(folder, "crawl", source_id, "--sources", "s.toml", "--db", "archive.db", "--max-pages", "3",
                unprivileged=unprivileged)


def _crawler(folder, source_id="sample-portal", unprivileged=False):
    """The crawler run by itself, as govarchive crawl runs it, without the checks made before."""
    command = [sys.executable, "-P", "-m", "crawler", "--db", "archive.db", "--sources", "s.toml", "--max-pages", "3",
               "--log-level", "WARNING", source_id]
    return subprocess.run(_as_user(command) if unprivileged else command, cwd=folder, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture
def folder(sample_site, tmp_path):
    (tmp_path / "s.toml").write_text(_sources(sample_site, ["portal", "news"]), encoding="utf-8")
    return tmp_path


def test_a_lock_file_that_is_a_folder_is_named_in_one_line(folder):
    lock = folder / "archive-locks" / "sample-portal.lock"
    lock.mkdir(parents=True)
    result = _crawl(folder)
    assert (result.returncode, result.stderr) == (1, f"Error: {lock}: cannot write this source's crawl lock: "
                                                     "it is not a file\n")
    assert _crawled(folder) == []
    crawler = _crawler(folder)
    assert crawler.returncode == 1 and "Traceback" not in crawler.stderr, crawler.stderr
    assert f"error: crawl of sample-portal failed: {lock}: cannot write this source's crawl lock: it is not a file\n" \
        in crawler.stderr


def test_a_lock_file_that_cannot_be_written_is_named_not_its_folder(folder):
    lock = folder / "archive-locks" / "sample-portal.lock"
    lock.parent.mkdir()
    lock.write_text("", encoding="ascii")
    lock.chmod(0o444)
    result = _crawl(folder, unprivileged=True)
    assert (result.returncode, result.stderr) == (1, f"Error: {lock}: cannot write this source's crawl lock: "
                                                     "Permission denied\n")
    assert _crawled(folder) == []


def test_a_lock_folder_that_cannot_be_written_is_one_line(folder):
    locks = folder / "archive-locks"
    locks.mkdir()
    locks.chmod(0o555)
    result = _crawl(folder, unprivileged=True)
    assert (result.returncode, result.stderr) == (1, f"Error: {locks}: cannot write the archive's crawl locks "
                                                     "there: Permission denied\n")
    once = _run(folder, "schedule", "--once", "--sources", "s.toml", "--db", "archive.db", "--max-pages", "3",
                unprivileged=True)
    assert once.returncode == 1
    (line,) = once.stderr.splitlines()
    assert line.endswith(f" ERROR checking for due sources failed: {locks}: cannot write the archive's crawl locks "
                         "there: Permission denied"), once.stderr
    assert _crawled(folder) == []


def test_the_scheduler_names_a_lock_file_it_cannot_use_once_and_crawls_the_other_sources(folder):
    lock = folder / "archive-locks" / "sample-portal.lock"
    lock.mkdir(parents=True)
    once = _run(folder, "schedule", "--once", "--sources", "s.toml", "--db", "archive.db", "--max-pages", "3")
    assert once.returncode == 1, once.stderr[-6000:]
    assert "Traceback" not in once.stderr and "Nothing is due." not in once.stderr
    errors = [line for line in once.stderr.splitlines() if " ERROR " in line]
    assert len(errors) == 1 and errors[0].endswith(
        f" ERROR sample-portal is due but its crawl cannot start: {lock}: cannot write this source's crawl lock: "
        "it is not a file"), once.stderr[-6000:]
    assert "sample-news: crawl finished" in once.stderr
    assert _crawled(folder) == ["sample-news"]


def test_crawl_all_names_a_source_it_cannot_lock_and_crawls_the_others(folder):
    lock = folder / "archive-locks" / "sample-portal.lock"
    lock.mkdir(parents=True)
    result = _run(folder, "crawl", "--all", "--sources", "s.toml", "--db", "archive.db", "--max-pages", "3")
    assert result.returncode == 1, result.stderr[-6000:]
    assert "Traceback" not in result.stderr
    reason = f"{lock}: cannot write this source's crawl lock: it is not a file"
    # Said once, with the summary, as a source another crawl holds is.
    assert result.stderr.count(reason) == 1 and f"sample-portal: not started: {reason}\n" in result.stderr, \
        result.stderr[-6000:]
    assert _crawled(folder) == ["sample-news"]


def test_crawl_all_names_each_source_when_none_can_be_crawled(folder):
    for source_id in ("sample-portal", "sample-news"):
        (folder / "archive-locks" / f"{source_id}.lock").mkdir(parents=True)
    result = _run(folder, "crawl", "--all", "--sources", "s.toml", "--db", "archive.db", "--max-pages", "3")
    assert result.returncode == 1
    assert result.stderr == "Error: no source can be crawled:\n" + "".join(
        f"  {folder / 'archive-locks' / f'{source_id}.lock'}: cannot write this source's crawl lock: it is not a file\n"
        for source_id in ("sample-portal", "sample-news")), result.stderr
    assert _crawled(folder) == []
