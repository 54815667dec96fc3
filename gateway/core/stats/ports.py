"""What the statistics need from the store (implemented by :mod:`gateway.store.stats`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Protocol

from gateway.core.stats.facts import CopyFact, DocumentFact
from gateway.core.stats.periods import Split
from gateway.core.stats.rollup import Batch, TickPlan, TickResult

Sums = dict[tuple[str, str, str], int]


class StatsStore(Protocol):
    """Rollup maintenance (the worker) and reads (the figures)."""

    async def stats_tick(
        self,
        now: datetime,
        limit: int,
        plan: Callable[[Batch], TickPlan],
        *,
        after: int | None = None,
        missing: Sequence[int] = (),
        skip: Callable[[int], bool] = ...,
        base: int | None = None,
        admit: Callable[[frozenset[str]], bool] = ...,
    ) -> TickResult:
        """One batch of the worker, in one transaction, with the copies ``calendar recompute``
        marked when ``admit`` accepts their calendar versions."""
        ...

    async def stats_reset(self, now: datetime) -> None:
        """Forget every rollup (the worker counts everything again)."""
        ...

    async def stats_state(self) -> tuple[int, datetime | None, int, int]:
        """The watermark, when it moved, the newest history entry's id, and the copies marked
        by ``calendar recompute`` still to count again."""
        ...

    async def stats_agencies(self) -> list[str]:
        """Every agency key the rollups hold."""
        ...

    async def stats_sums(
        self,
        split: Split,
        agencies: Sequence[str] | None,
        measures: Sequence[str] | None = None,
        roles: Sequence[str] | None = None,
    ) -> Sums:
        """Summed cells of the period, of ``agencies`` (None: the whole node)."""
        ...

    async def stats_daily(
        self,
        start: date,
        end: date,
        agencies: Sequence[str] | None,
        measures: Sequence[str],
        roles: Sequence[str] = ...,
    ) -> dict[date, Sums]:
        """Summed day cells per local day of ``start``..``end`` (None agencies: the node)."""
        ...

    async def stats_by_agency(
        self,
        split: Split,
        pairs: Sequence[tuple[str, str]],
        agencies: Sequence[str] | None = None,
        now: datetime | None = None,
    ) -> dict[str, Sums]:
        """Summed cells of the period per agency key."""
        ...

    async def stats_raw(self) -> tuple[list[DocumentFact], list[CopyFact]]:
        """Every document's and copy's facts from the raw tables (the recount)."""
        ...
