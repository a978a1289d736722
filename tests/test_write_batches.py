"""When the pipeline stores its waiting items: ARCHIVE_WRITE_BATCH of them, or once the first has
waited ARCHIVE_WRITE_INTERVAL, or a quarter of that after the last when no other follows.

Only the timing is under test here, so the batches are recorded instead of stored; the crawls
of the other tests store through the same ``_write``."""

import asyncio

import pytest

from crawler.pipelines import ArchivePipeline


class _Recorded(ArchivePipeline):
    def __init__(self, batch_size: int, batch_seconds: float):
        super().__init__(":memory:", crawler=None, workers=0, batch_size=batch_size, batch_seconds=batch_seconds)
        self.batches: list[tuple[float, int]] = []
        self.writes: list[float] = []

    def _write(self, job):
        self.writes.append(asyncio.get_running_loop().time())
        return super()._write(job)

    def _flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        batch, self._batch = self._batch, []
        self.batches.append((asyncio.get_running_loop().time(), len(batch)))
        for _, future in batch:
            future.set_result(None)


def _run(pipeline: _Recorded, arrivals: list[float], wait: float) -> float:
    async def main() -> float:
        loop = asyncio.get_running_loop()
        start = loop.time()
        futures = []
        for at in arrivals:
            await asyncio.sleep(max(0.0, start + at - loop.time()))
            futures.append(pipeline._write(("item",)))
        await asyncio.sleep(wait)
        assert all(f.done() for f in futures)
        return start

    return asyncio.run(main())


def test_a_steady_flow_is_stored_when_its_first_item_has_waited_the_interval():
    # An item every 50 ms for 1.5 s: never a quiet 0.2 s, so only the interval stores them. A
    # loaded machine can hold the process still for longer, which makes a quiet 0.2 s that is
    # rightly stored: the flow is sent again until it arrives steady.
    for _ in range(3):
        pipeline = _Recorded(batch_size=1000, batch_seconds=0.8)
        start = _run(pipeline, [i * 0.05 for i in range(31)], wait=1.0)
        if max(b - a for a, b in zip(pipeline.writes, pipeline.writes[1:])) < 0.8 / 4:
            break
    else:
        pytest.skip("the machine never let the items arrive 50 ms apart")
    times = [at - start for at, _ in pipeline.batches]
    assert len(pipeline.batches) == 2, pipeline.batches
    assert 0.75 <= times[0] < 1.2
    assert sum(n for _, n in pipeline.batches) == 31


def test_the_last_items_wait_only_a_quarter_of_the_interval():
    pipeline = _Recorded(batch_size=1000, batch_seconds=2.0)
    start = _run(pipeline, [0.0, 0.05, 0.1], wait=1.5)
    (at, size), = pipeline.batches
    assert size == 3
    # 0.5 s after the last item, not 2 s after the first.
    assert 0.55 <= at - start < 1.4


def test_a_full_batch_is_stored_at_once():
    pipeline = _Recorded(batch_size=4, batch_seconds=5.0)
    start = _run(pipeline, [0.0, 0.0, 0.0, 0.0, 0.0], wait=1.5)
    assert [n for _, n in pipeline.batches] == [4, 1]
    assert pipeline.batches[0][0] - start < 0.3
