"""The statistics use case: figures of a period for the node or one agency, the per-agency
table, the recount, the freshness of the rollups.

Reads sum rollup cells only (:class:`gateway.core.stats.ports.StatsStore`): a 6-month figure
reads 6 month cells per agency and value, a day's figure one day cell, never the raw deliveries.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from business_calendar.calendar import BusinessCalendar
from gateway.core.clock import Clock
from gateway.core.errors import BadRequest
from gateway.core.stats import facts as f
from gateway.core.stats.figures import Figures, assemble
from gateway.core.stats.periods import Period, split
from gateway.core.stats.ports import StatsStore, Sums
from gateway.core.stats.recount import recount
from gateway.core.stats.scope import NODE_SCOPE, Scope, resolve_scope, successor_of
from identifiers import Registry

#: What the per-agency table reads of each agency: (role, measure) pairs (tables.agency_row).
AGENCY_PAIRS = (
    (f.SENDER, f.DOC),
    (f.SENDER, f.DOC_SEND),
    (f.SENDER, f.COPY),
    (f.SENDER, f.COPY_OUTCOME),
    (f.RECIPIENT, f.COPY_OUTCOME),
    (f.RECIPIENT, f.COPY_HOURS),
    (f.RECIPIENT, f.COPY_NOTICE),
    (f.RECIPIENT, f.COPY_STATUS),
    (f.RECIPIENT, f.COPY_PROCESSING),
)
#: Measures the per-agency table's total reads.
AGENCY_MEASURES = (
    f.DOC,
    f.DOC_SEND,
    f.DOC_PRIORITY,
    f.COPY,
    f.COPY_OUTCOME,
    f.COPY_HOURS,
    f.COPY_NOTICE,
    f.COPY_STATUS,
    f.COPY_PROCESSING,
)


#: Measures the daily series reads: volumes and outcomes.
DAILY_MEASURES = (f.DOC, f.COPY, f.COPY_OUTCOME)
#: Longest daily series (a year and a day: a leap year's whole year).
DAILY_DAYS = 366


def mirrored(sums: dict[tuple[str, str, str], int]) -> dict[tuple[str, str, str], int]:
    """The node-wide sums from the sender's cells only: node-wide, every copy counts once as
    sent and once as received, so the recipient side equals the sender side (half the read)."""
    for (_, measure, bucket), n in list(sums.items()):
        if measure.startswith(f.COPY):
            sums[(f.RECIPIENT, measure, bucket)] = n
    return sums


#: Scopes resolved lately, by registry, its revision, the code and the agencies seen.
_SCOPES: dict[tuple[int, int, str, tuple[str, ...]], tuple[Registry, Scope]] = {}
_SCOPES_KEPT = 256


@dataclass(frozen=True, slots=True)
class Freshness:
    """How far the rollups are: every history entry up to ``watermark`` is counted."""

    watermark: int
    newest: int  # the newest history entry's id
    updated_at: datetime | None  # when the watermark last moved
    recount: int = 0  # copies ``calendar recompute`` rewrote, not yet counted again


@dataclass(frozen=True, slots=True)
class Summary:
    """The figures of one period and scope."""

    period: Period
    scope: Scope
    figures: Figures
    generated_at: datetime
    freshness: Freshness


@dataclass(frozen=True, slots=True)
class AgencyLine:
    """One agency's row of the per-agency table (its own traffic, merged agencies included)."""

    code: str
    name: str | None
    parent: str | None
    level: int | None
    merged: tuple[str, ...]  # closed agencies whose history is counted here
    figures: Figures


class Statistics:
    """Figures from the rollups (module docstring)."""

    def __init__(
        self,
        store: StatsStore,
        registry: Registry,
        calendar: Callable[[], BusinessCalendar],
        clock: Clock,
        *,
        node_id: str = "",
    ) -> None:
        self.store = store
        self.registry = registry
        self.calendar = calendar
        self.clock = clock
        self.node_id = node_id

    async def scope(self, agency: str | None) -> Scope:
        """The scope of ``agency`` (None: the whole node), kept while neither the registry nor
        the agencies seen change (walking the registry costs tens of ms for hundreds of them)."""
        if agency is None or not agency.strip():
            return NODE_SCOPE
        known = tuple(await self.store.stats_agencies())
        key = (id(self.registry), self.registry.revision, agency.strip(), known)
        cached = _SCOPES.get(key)
        # The entry holds its registry, so no other registry can take its id meanwhile.
        if cached is not None and cached[0] is self.registry:
            return cached[1]
        if len(_SCOPES) >= _SCOPES_KEPT:
            _SCOPES.clear()
        found = resolve_scope(self.registry, agency, known)
        _SCOPES[key] = (self.registry, found)
        return found

    async def freshness(self) -> Freshness:
        """The rollups' watermark."""
        watermark, updated_at, newest, recount = await self.store.stats_state()
        return Freshness(watermark, newest, updated_at, recount)

    async def sums(
        self, period: Period, scope: Scope, measures: Sequence[str] | None = None
    ) -> Sums:
        """The summed cells of ``period`` and ``scope`` (of some measures only, when given)."""
        if not scope.whole:
            return await self.store.stats_sums(split(period), sorted(scope.keys), measures)
        return mirrored(await self.store.stats_sums(split(period), None, measures, (f.SENDER,)))

    async def summary(
        self, period: Period, agency: str | None = None, measures: Sequence[str] | None = None
    ) -> Summary:
        """Every figure of ``period`` for ``agency`` (rolled up) or the node; with ``measures``,
        only the figures of those (the others read as zero: a table needs no more)."""
        scope = await self.scope(agency)
        now = self.clock.now()
        figures = assemble(await self.sums(period, scope, measures), now, self.calendar())
        return Summary(period, scope, figures, now, await self.freshness())

    async def daily(self, period: Period, agency: str | None = None) -> list[tuple[date, Figures]]:
        """One :class:`Figures` per day of ``period`` (its volumes and outcomes only; the other
        figures read as zero), for ``agency`` (rolled up) or the node; refused past a year."""
        if period.days > DAILY_DAYS:
            raise BadRequest(
                f"a daily series covers at most {DAILY_DAYS} days, not {period.days}",
                code="STATS_PERIOD",
                field="period",
            )
        scope = await self.scope(agency)
        now, calendar = self.clock.now(), self.calendar()
        if scope.whole:
            found = {
                day: mirrored(sums)
                for day, sums in (
                    await self.store.stats_daily(
                        period.start, period.end, None, DAILY_MEASURES, (f.SENDER,)
                    )
                ).items()
            }
        else:
            found = await self.store.stats_daily(
                period.start, period.end, sorted(scope.keys), DAILY_MEASURES
            )
        days = (period.start + timedelta(days=i) for i in range(period.days))
        return [(day, assemble(found.get(day, {}), now, calendar)) for day in days]

    async def agencies(self, period: Period, agency: str | None = None) -> list[AgencyLine]:
        """One line per agency with traffic in ``period`` (within ``agency``'s scope), a merged
        agency's traffic on its successor's line; by code."""
        scope = await self.scope(agency)
        wanted = None if scope.whole else sorted(scope.keys)
        now, calendar = self.clock.now(), self.calendar()
        found = await self.store.stats_by_agency(split(period), AGENCY_PAIRS, wanted, now)
        merged: dict[str, dict[tuple[str, str, str], int]] = {}
        sources: dict[str, list[str]] = {}
        for key, sums in found.items():
            target, redirect = successor_of(self.registry, key)
            into = merged.setdefault(target, {})
            for cell, n in sums.items():
                into[cell] = into.get(cell, 0) + n
            if redirect is not None:
                sources.setdefault(target, []).append(redirect.source)
        lines = []
        for key in sorted(merged):
            record = self.registry.get(key)
            lines.append(
                AgencyLine(
                    code=record.primary if record is not None else key,
                    name=record.name if record is not None else None,
                    parent=record.parent if record is not None else None,
                    level=record.level if record is not None else None,
                    merged=tuple(sorted(sources.get(key, ()))),
                    figures=assemble(merged[key], now, calendar),
                )
            )
        return lines

    async def recount(self, period: Period, agency: str | None = None) -> Figures:
        """The brute-force figures of ``period`` from the raw tables (checks only)."""
        scope = await self.scope(agency)
        documents, copies = await self.store.stats_raw()
        return recount(documents, copies, period, scope, self.clock.now(), self.calendar())
