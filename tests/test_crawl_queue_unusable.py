"""A source's request queue folder (``<db name>-queues/<source>``) that cannot be emptied or
written is a one-line error naming it and what went wrong, from govarchive crawl and from the
crawler itself: it was a traceback ending in "File exists", the real error hidden."""

from tests.test_crawl_folders_unusable import _crawl, _crawler, folder  # noqa: F401 (a fixture)
from tests.test_schedule import _crawled


def test_a_queue_path_that_is_a_file_is_named_in_one_line(folder):
    queue = folder / "archive-queues" / "sample-portal"
    queue.parent.mkdir()
    queue.write_text("x\n", encoding="ascii")
    said = f"{queue}: cannot prepare this crawl's request queue folder: it is not a folder"
    result = _crawl(folder)
    assert (result.returncode, result.stderr) == (1, f"Error: {said}\n")
    crawler = _crawler(folder)
    assert crawler.returncode == 1 and "Traceback" not in crawler.stderr, crawler.stderr
    assert f"error: crawl of sample-portal failed: {said}\n" in crawler.stderr
    assert queue.read_text(encoding="ascii") == "x\n", "a file that is not the crawler's is left alone"
    assert _crawled(folder) == []


def test_a_queue_folder_that_cannot_be_emptied_says_why(folder):
    assert _crawl(folder).returncode == 0
    queue = folder / "archive-queues" / "sample-portal"
    assert any(queue.iterdir()), "a crawl leaves its queue's files behind"
    queue.chmod(0o555)
    try:
        result = _crawl(folder, unprivileged=True)
    finally:
        queue.chmod(0o755)
    assert (result.returncode, result.stderr) == (
        1, f"Error: {queue}: cannot prepare this crawl's request queue folder: Permission denied\n")
    assert _crawled(folder) == ["sample-portal"]


def test_the_crawler_names_what_it_could_not_remove_from_the_queue_folder(folder):
    assert _crawl(folder).returncode == 0
    queue = folder / "archive-queues" / "sample-portal"
    queue.chmod(0o555)
    try:
        crawler = _crawler(folder, unprivileged=True)
    finally:
        queue.chmod(0o755)
    assert crawler.returncode == 1 and "Traceback" not in crawler.stderr, crawler.stderr
    assert f"error: crawl of sample-portal failed: {queue}: cannot prepare this crawl's request queue folder: " \
           "Permission denied\n" in crawler.stderr, crawler.stderr

