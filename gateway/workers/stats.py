"""The statistics worker: keeps the rollups fresh from the copies' history.

Every :attr:`StatsWorker.interval` seconds (default 5) it applies the history entries written
since its watermark (:meth:`gateway.store.stats.SqlStats.stats_tick`), batch after batch while
there are more, so a document accepted a few seconds ago is counted well within the 60 s the
statistics promise (docs/statistics.md "Freshness"). Several node processes may run it: one at a
time applies a batch (the watermark row is locked), the others find nothing new.

The copies ``calendar recompute`` rewrote (it marks them: history entries are not written for a
recompute) are counted again in the same batches, by difference, with this node's calendar. When
they were written with another calendar version than the worker's, the worker first reloads its
calendar (``refresh``: the operators' rows changed by the CLI are otherwise picked up within
``GATEWAY_CALENDAR_REFRESH_SECONDS``), then counts them whatever the version is: the node's
calendar is the one its figures use.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from business_calendar.calendar import BusinessCalendar
from gateway.core.clock import Clock
from gateway.core.errors import StoreUnavailable
from gateway.core.stats.ports import StatsStore
from gateway.core.stats.rollup import Batch, TickPlan, TickResult, Watermark, subject_cells
from gateway.logging import get_logger

log = get_logger(__name__)


@dataclass
class StatsProgress:
    """What the worker did since it started."""

    ticks: int = 0
    events: int = 0
    changed: int = 0
    watermark: int = 0
    recounted: int = 0  # copies marked by ``calendar recompute`` counted again


class StatsWorker:
    """Applies new history entries to the rollups (module docstring)."""

    def __init__(
        self,
        store: StatsStore,
        clock: Clock,
        calendar: Callable[[], BusinessCalendar],
        *,
        interval: float = 5.0,
        batch: int = 1000,
        refresh: Callable[[], Awaitable[object]] | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.calendar = calendar
        self.interval = interval
        self.batch = batch
        self.refresh = refresh
        self.mark = Watermark(value=-1)
        self.progress = StatsProgress()
        self._refreshed: frozenset[str] = frozenset()  # versions it reloaded its calendar for

    def _admit(self, versions: frozenset[str]) -> bool:
        """Count the marked copies now: written with this calendar's version, or the calendar
        was reloaded for those versions already (or cannot be)."""
        return (
            versions <= {self.calendar().version}
            or versions <= self._refreshed
            or self.refresh is None
        )

    async def _reload(self, versions: frozenset[str]) -> None:
        if self.refresh is not None:
            await self.refresh()
        self._refreshed = self._refreshed | versions
        if not versions <= {self.calendar().version}:
            log.warning(
                "statistics recount with this node's calendar, not the one recompute used",
                node_version=self.calendar().version,
                recompute_versions=sorted(versions),
            )

    def _plan(self, batch: Batch) -> TickPlan:
        now = self.clock.now()
        cells = subject_cells(batch.documents, batch.copies, self.calendar())
        seen = [(e.event_id, e.at) for e in batch.events]
        return TickPlan(cells, self.mark.advance(batch.watermark, seen, now))

    async def tick(self) -> TickResult:
        """Apply one batch."""
        after, missing = self.mark.reading() if self.mark.value >= 0 else (None, ())
        try:
            result = await self.store.stats_tick(
                self.clock.now(),
                self.batch,
                self._plan,
                after=after,
                missing=missing,
                skip=self.mark.skip,
                base=self.mark.value if self.mark.value >= 0 else None,
                admit=self._admit,
            )
        except BaseException:
            self.mark.forget()
            raise
        p = self.progress
        p.ticks, p.events, p.changed = (
            p.ticks + 1,
            p.events + result.events,
            p.changed + result.changed,
        )
        p.watermark = result.watermark
        p.recounted += result.marks
        if result.deferred:
            await self._reload(result.deferred)
        return result

    async def catch_up(self) -> int:
        """Apply batches until one reads nothing new past what was applied; returns entries
        read."""
        read = 0
        while True:
            result = await self.tick()
            read += result.events
            if result.events < self.batch and result.marks < self.batch and not result.deferred:
                return read
            # Catching up a long history: let the process's requests run between batches.
            await asyncio.sleep(0)

    async def run(self) -> None:
        """Keep the rollups fresh until cancelled."""
        while True:
            try:
                await self.catch_up()
            except StoreUnavailable as exc:
                log.warning("statistics rollup failed; retrying", error=str(exc))
            await asyncio.sleep(self.interval)
