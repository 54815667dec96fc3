"""The statistics worker keeps running: a document accepted while it runs is counted within a
few of its intervals (the 60 s freshness promise, docs/statistics.md)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from datetime import timedelta
from pathlib import Path

from gateway.core.clock import FrozenClock
from gateway.core.stats.periods import date_range
from gateway.core.stats.service import Statistics
from gateway.workers.stats import StatsWorker
from tests.gateway.store.conftest import open_store
from tests.gateway.store.stats_history import CopySpec, DocSpec, History, legal_time, registry


async def test_a_running_worker_counts_a_new_document(tmp_path: Path) -> None:
    """Accepted while the worker loops every 50 ms, the document shows in the figures soon."""
    async with open_store("sqlite", tmp_path) as store:
        legal = legal_time()
        writer = History(store, legal)
        spec = DocSpec(0, 4, 10 * 60, 0, 0, 0, 0, 0, None, [CopySpec(2, "local")])
        clock = FrozenClock(writer.latest)
        worker = StatsWorker(store, clock, lambda: legal.calendar, interval=0.05)
        task = asyncio.create_task(worker.run())
        try:
            _, _, at = await writer.document(spec)
            clock.at = at + timedelta(seconds=1)
            stats = Statistics(store, registry(), lambda: legal.calendar, clock)
            day = date_range(at.date(), at.date())
            deadline = time.monotonic() + 10
            while (await stats.summary(day)).figures.documents.sent == 0:
                assert time.monotonic() < deadline, "not counted within 10 s"
                await asyncio.sleep(0.05)
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        assert worker.progress.events >= 2


async def test_rollups_of_an_older_version_are_counted_again(tmp_path: Path) -> None:
    """A node upgraded to a release that measures more forgets the older rollups on the
    worker's next tick and counts the whole history again: no cell misses the new measure."""
    from sqlalchemy import update

    from gateway.store.tables import StatsStateRow

    async with open_store("sqlite", tmp_path) as store:
        legal = legal_time()
        writer = History(store, legal)
        spec = DocSpec(0, 4, 10 * 60, 0, 0, 0, 0, 0, None, [CopySpec(2, "local")])
        _, _, at = await writer.document(spec)
        clock = FrozenClock(at + timedelta(seconds=1))
        worker = StatsWorker(store, clock, lambda: legal.calendar)
        await worker.catch_up()
        stats = Statistics(store, registry(), lambda: legal.calendar, clock)
        day = date_range(at.date(), at.date())
        counted = (await stats.summary(day)).figures
        # As an older release left it: its watermark row under an older name, past every event.
        async with store._tx() as s:
            await s.execute(update(StatsStateRow).values(name="rollup"))
        await worker.catch_up()
        assert (await stats.summary(day)).figures == counted  # counted once, not twice
