"""The crawler's extraction pool (worker processes driven by the event loop) and its batched
writes: results equal inline extraction, a dead worker costs no page (one that kills two
workers fails alone), a storage failure costs one item, not the batch it was written with."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys

import pytest

from archive import ingest
from archive.db import open_db
from conftest import crawl_into, query
from crawler.extraction_pool import HELD, ExtractionPool, WorkerDied

PAGE = (
    "<html lang='vi'><head><meta charset='utf-8'><title>Sở Thông tin và Truyền thông ra mắt Zalo OA</title>"
    "</head><body><article><h1>Sở Thông tin và Truyền thông ra mắt Zalo OA</h1><p>{}</p></article></body></html>"
)
TEXT = "Kênh Zalo OA của thành phố tiếp nhận phản ánh của người dân theo Kế hoạch 174/KH-UBND. " * 8


def _page(n: int = 1) -> bytes:
    return PAGE.format(TEXT * n).encode("utf-8")


def test_pool_results_equal_inline_extraction():
    async def run():
        pool = ExtractionPool(2, ingest.extract_for_storage)
        try:
            return await asyncio.gather(*(pool.run(_page(), f"http://127.0.0.1/bai-{i}.html", {}, None) for i in range(6)))
        finally:
            pool.close()

    results = asyncio.run(run())
    inline = ingest.extract_for_storage(_page(), "http://127.0.0.1/bai-0.html", {}, None)
    assert results[0]["text"] == inline["text"] and results[0]["folded"] == inline["folded"]
    assert "ke hoach 174/kh-ubnd" in results[0]["folded"][2]
    assert [r["url"] for r in results] == [f"http://127.0.0.1/bai-{i}.html" for i in range(6)]


def test_an_exception_in_a_job_reaches_its_caller_and_the_worker_goes_on():
    async def run():
        pool = ExtractionPool(1, ingest.extract_for_storage)
        try:
            with pytest.raises(Exception):
                await pool.run(_page(), "http://127.0.0.1/a.html", "not headers", {"body": 42})
            return await pool.run(_page(), "http://127.0.0.1/b.html", {}, None)
        finally:
            pool.close()

    assert asyncio.run(run())["title"].startswith("Sở Thông tin")


async def _slow_page_then_others(pool: ExtractionPool, room: int, behind: int = 1):
    """Give the pool's one worker ``room`` bytes of pipe, a slow page, and ``behind`` pages after it."""
    await pool.run(_page(), "http://127.0.0.1/warm.html", {}, None)
    pool.workers[0].room = room
    slow = asyncio.ensure_future(pool.run(_page(3000), "http://127.0.0.1/big.html", {}, None))
    following = [
        asyncio.ensure_future(pool.run(_page(), f"http://127.0.0.1/next-{n}.html", {}, None)) for n in range(behind)
    ]
    await asyncio.sleep(0.3)
    return slow, following


def test_a_killed_worker_is_replaced_and_its_pages_extracted_by_the_next():
    async def run():
        pool = ExtractionPool(1, ingest.extract_for_storage)
        try:
            # Whatever the system's pipe buffers, the next pages go ahead.
            slow, ahead = await _slow_page_then_others(pool, room=10**9, behind=HELD - 1)
            worker = pool.workers[0]
            assert len(worker.jobs) == HELD and not pool._waiting
            os.kill(worker.process.pid, signal.SIGKILL)
            # An OOM kill or a signal is no fault of the page: the next worker extracts it.
            records = await asyncio.gather(slow, *ahead)
            return worker.process.pid, pool.workers[0].process.pid, records
        finally:
            pool.close()

    victim, replacement, records = asyncio.run(run())
    assert replacement != victim
    assert [r["url"] for r in records] == [
        "http://127.0.0.1/big.html", *(f"http://127.0.0.1/next-{n}.html" for n in range(HELD - 1))]
    assert all(r["text"] for r in records)


def test_a_page_that_kills_two_workers_fails_alone():
    async def run():
        pool = ExtractionPool(1, ingest.extract_for_storage)
        try:
            slow, ahead = await _slow_page_then_others(pool, room=10**9, behind=HELD - 1)
            for _ in range(2):
                worker = pool.workers[0]
                assert len(worker.jobs[0].data) > len(_page(3000))
                os.kill(worker.process.pid, signal.SIGKILL)
                await asyncio.sleep(0.5)  # the next worker starts on the slow page again
            with pytest.raises(WorkerDied, match="two extraction workers exited on it, the last with code -9"):
                await slow
            return await asyncio.gather(*ahead)
        finally:
            pool.close()

    after = asyncio.run(run())
    # The pages sent ahead were never started: a third worker extracts them.
    assert [r["url"] for r in after] == [f"http://127.0.0.1/next-{n}.html" for n in range(HELD - 1)]
    assert all(r["text"] for r in after)


def test_a_worker_holds_at_most_held_pages():
    async def run():
        pool = ExtractionPool(1, ingest.extract_for_storage)
        try:
            slow, following = await _slow_page_then_others(pool, room=10**9, behind=HELD)
            assert len(pool.workers[0].jobs) == HELD and len(pool._waiting) == 1
            return [r["url"] for r in await asyncio.gather(slow, *following)]
        finally:
            pool.close()

    urls = asyncio.run(run())
    assert urls == ["http://127.0.0.1/big.html", *(f"http://127.0.0.1/next-{n}.html" for n in range(HELD))]


def test_a_page_the_pipe_cannot_hold_waits_for_the_worker_to_be_free():
    async def run():
        pool = ExtractionPool(1, ingest.extract_for_storage)
        try:
            slow, waiting = await _slow_page_then_others(pool, room=len(_page(3000)) + len(_page()) // 2)
            assert len(pool.workers[0].jobs) == 1 and len(pool._waiting) == 1
            return [r["url"] for r in await asyncio.gather(slow, *waiting)]
        finally:
            pool.close()

    assert asyncio.run(run()) == ["http://127.0.0.1/big.html", "http://127.0.0.1/next-0.html"]


def test_a_page_goes_to_the_worker_holding_fewest():
    async def run():
        pool = ExtractionPool(2, ingest.extract_for_storage)
        try:
            await asyncio.gather(*(pool.run(_page(), f"http://127.0.0.1/warm-{n}.html", {}, None) for n in range(2)))
            # Room beside a slow page for the small ones, not for a second slow one.
            for worker in pool.workers:
                worker.room = len(_page(3000)) + 10 * len(_page())
            # A slow page for each worker, then two pages to send ahead: one each, not both to the first.
            jobs = [asyncio.ensure_future(pool.run(_page(3000), f"http://127.0.0.1/big-{n}.html", {}, None))
                    for n in range(2)]
            jobs += [asyncio.ensure_future(pool.run(_page(), f"http://127.0.0.1/next-{n}.html", {}, None))
                     for n in range(2)]
            await asyncio.sleep(0.3)
            held = [len(w.jobs) for w in pool.workers]
            await asyncio.gather(*jobs)
            return held
        finally:
            pool.close()

    assert asyncio.run(run()) == [2, 2]


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_and_sigterm_are_left_to_the_crawler_and_the_page_in_flight_is_extracted(signum):
    """Both reach the whole process group (timeout, systemctl stop and docker stop send SIGTERM);
    the crawler stops gracefully and closes its workers itself."""

    async def run():
        pool = ExtractionPool(1, ingest.extract_for_storage)
        try:
            await pool.run(_page(), "http://127.0.0.1/warm.html", {}, None)
            worker = pool.workers[0].process.pid
            job = asyncio.ensure_future(pool.run(_page(1000), "http://127.0.0.1/big.html", {}, None))
            await asyncio.sleep(0.2)
            os.kill(worker, signum)
            return worker, await job, pool.workers[0].process.pid
        finally:
            pool.close()

    before, record, after = asyncio.run(run())
    assert record["url"] == "http://127.0.0.1/big.html" and record["text"]
    assert before == after


def test_a_pool_needs_a_worker():
    with pytest.raises(ValueError, match="at least one worker"):
        ExtractionPool(0, ingest.extract_for_storage)


def test_a_storage_failure_costs_one_item_not_its_batch(sample_site, tmp_path):
    """One article the database refuses (a trigger raising, as a full disk or a constraint
    would) is written as a fetch with the error; the items batched with it are archived."""
    (tmp_path / "sources.toml").write_text(sample_site.sources_toml(), encoding="utf-8")
    victim = sorted(sample_site.expected_article_urls())[0]
    db = open_db(tmp_path / "archive.db")
    db.execute(
        "create trigger refuse_one before insert on articles when new.url = '{}' "
        "begin select raise(abort, 'refused by test trigger'); end".format(victim.replace("'", "''"))
    )
    db.close()
    result = crawl_into(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    archived = {r["url"] for r in query(tmp_path, "select url from articles")}
    assert archived == sample_site.expected_article_urls() - {victim}
    rows = query(tmp_path, "select error from fetches where url = ?", [victim])
    assert len(rows) == 1 and rows[0]["error"].startswith("storage failed: IntegrityError: refused by test trigger")
    assert "one at a time" in result.stderr + result.stdout


def test_the_pool_starts_under_a_temporary_directory_too_long_for_a_socket(tmp_path):
    # The fork server's socket would go in TMPDIR, past the 107 bytes a socket's path may have.
    long_tmp = tmp_path / ("thu-muc-tam-" * 8)
    long_tmp.mkdir()
    script = (
        "import asyncio\n"
        "from archive import ingest\n"
        "from crawler.extraction_pool import ExtractionPool\n"
        "async def run():\n"
        "    pool = ExtractionPool(1, ingest.extract_for_storage)\n"
        "    try:\n"
        f"        return await pool.run({_page()!r}, 'http://127.0.0.1/a.html', {{}}, None)\n"
        "    finally:\n"
        "        pool.close()\n"
        "print(asyncio.run(run())['title'])\n"
    )
    result = subprocess.run([sys.executable, "-c", script], env={**os.environ, "TMPDIR": str(long_tmp)},
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.startswith("Sở Thông tin và Truyền thông")
