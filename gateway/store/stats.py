"""The store side of the statistics: the rollup cells, their maintenance batches, their reads.

:meth:`SqlStats.stats_tick` is one batch of the statistics worker, in one transaction: it reads
the history entries after the watermark (``delivery_events.event_id``), loads the current facts of
the copies they concern and of their documents, lets the caller compute their cells
(:mod:`gateway.core.stats.facts`), subtracts the cells stored with each subject, adds the new ones
(day and month cells, for the agency and for the whole node ``*``) and moves the watermark. The
accept path is untouched. Reads sum cells only: never the raw deliveries.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    and_,
    bindparam,
    case,
    delete,
    func,
    insert,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.core.stats.facts import (
    DUE,
    NODE,
    SENDER,
    Cell,
    CopyFact,
    DocumentFact,
    decode,
    difference,
    encode,
    instant,
)
from gateway.core.stats.periods import DAY, MONTH, Split, month_start
from gateway.core.stats.rollup import Batch, Seen, TickPlan, TickResult
from gateway.store.session import SessionScope, reconnecting
from gateway.store.stats_facts import CHUNK, among, chunks, load_facts
from gateway.store.tables import (
    DeliveryRow,
    EventRow,
    StatsAgencyRow,
    StatsCellRow,
    StatsFactRow,
    StatsMarkRow,
    StatsStateRow,
    core,
)

#: The one watermark row, named with the version of what the facts measure: a release that adds
#: a measure bumps it, and the worker's next tick forgets the older rollups and counts the whole
#: history again (as ``stats rebuild`` does), so no cell misses the new measure.
ROLLUP = "rollup.3"
#: Both roles, named in reads so that a measure list is part of the index range.
_ROLES = ("R", "S")


@functools.cache
def _upsert(dialect: str) -> Any:
    """The cells' upsert (adds to ``n``), built once per dialect: building it cost a tenth of a
    tick's CPU."""
    table = core(StatsCellRow)
    stmt = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
    return stmt.on_conflict_do_update(
        index_elements=["agency", "role", "grain", "period", "measure", "bucket"],
        set_={"n": table.c.n + stmt.excluded.n},
    )


@functools.cache
def _facts_upsert(dialect: str) -> Any:
    """The facts' upsert (replaces ``cells``), built once per dialect."""
    stmt = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(core(StatsFactRow))
    return stmt.on_conflict_do_update(
        index_elements=["subject"], set_={"cells": stmt.excluded.cells}
    )


def expand(delta: Mapping[Cell, int]) -> Counter[tuple[str, str, str, date, str, str]]:
    """Each cell's change for its agency and, as sender, for the whole node, on its day and its
    month. The node keeps no recipient cells: node-wide every copy counts once as sent and once
    as received, on the same day with the same values, so its reads mirror the sender cells
    (:func:`gateway.core.stats.service.mirrored`) and recipient cells would never be read."""
    rows: Counter[tuple[str, str, str, date, str, str]] = Counter()
    for (role, agency, day, measure, bucket), n in delta.items():
        month = month_start(day)
        rows[(agency, role, DAY, day, measure, bucket)] += n
        rows[(agency, role, MONTH, month, measure, bucket)] += n
        if role == SENDER:
            rows[(NODE, role, DAY, day, measure, bucket)] += n
            rows[(NODE, role, MONTH, month, measure, bucket)] += n
    return rows


def document_subject(document_id: str) -> str:
    """The facts key of a document (a copy's is its delivery id)."""
    return "d:" + document_id


class SqlStats(SessionScope):
    """Rollup maintenance and reads."""

    # ------------------------------------------------------------------ maintenance

    async def _lock_state(self, s: AsyncSession, now: datetime) -> int:
        if not getattr(self, "_rollup_version_checked", False):
            # Once per process: rollups of an older version (its watermark row under another
            # name) are forgotten and counted again from 0. Only a release changes the name.
            older = await s.execute(delete(StatsStateRow).where(StatsStateRow.name != ROLLUP))
            if getattr(older, "rowcount", 0):
                for table in (StatsCellRow, StatsFactRow, StatsAgencyRow, StatsMarkRow):
                    await s.execute(delete(table))
        query = select(StatsStateRow.watermark).where(StatsStateRow.name == ROLLUP)
        if self._postgres:
            query = query.with_for_update()  # one worker at a time applies a batch
        found = await s.scalar(query)
        if found is None:  # the first tick, or after a reset: the row, then lock it
            insert_state = (postgresql.insert if self._postgres else sqlite.insert)(
                core(StatsStateRow)
            ).on_conflict_do_nothing(index_elements=["name"])
            await s.execute(insert_state, [{"name": ROLLUP, "watermark": 0, "updated_at": now}])
            found = await s.scalar(query)
        return int(found or 0)

    @reconnecting
    async def stats_tick(
        self,
        now: datetime,
        limit: int,
        plan: Callable[[Batch], TickPlan],
        *,
        after: int | None = None,
        missing: Sequence[int] = (),
        skip: Callable[[int], bool] = lambda _: False,
        base: int | None = None,
        admit: Callable[[frozenset[str]], bool] = lambda _: True,
    ) -> TickResult:
        """One batch of the worker (module docstring): the entries after ``after`` (default:
        the watermark) and the ``missing`` ids below it; ``skip`` names entries applied already
        (the worker holds the watermark at a gap); ``plan`` computes the cells of what was
        loaded and the new watermark. ``base`` is the watermark the worker believes stored:
        when the stored one differs (another worker moved it, or the rollups were reset), the
        batch reads on from the stored watermark and skips nothing (applying is idempotent).

        The copies ``calendar recompute`` marked (:class:`StatsMarkRow`, at most ``limit``) are
        counted again in the same batch, and their marks deleted, when ``admit`` accepts the
        calendar versions they were written with; otherwise they wait (the result names those
        versions in ``deferred``: the caller refreshes its calendar first)."""
        async with self._tx() as s:
            watermark = await self._lock_state(s, now)
            if base is not None and base != watermark:
                after, missing, skip = None, (), lambda _: False
            start = watermark if after is None or after < watermark else after
            condition = EventRow.event_id > start
            wanted = [i for i in missing if i > watermark]
            if wanted:
                condition = or_(condition, among(s, EventRow.event_id, wanted))
            seen = tuple(
                Seen(event_id, delivery_id, at)
                for event_id, delivery_id, at in await s.execute(
                    select(EventRow.event_id, EventRow.delivery_id, EventRow.at)
                    .where(condition)
                    .order_by(EventRow.event_id)
                    .limit(limit)
                )
            )
            fresh = [e.delivery_id for e in seen if not skip(e.event_id)]
            marks = (
                await s.execute(
                    select(
                        StatsMarkRow.mark_id,
                        StatsMarkRow.delivery_id,
                        StatsMarkRow.calendar_version,
                    )
                    .order_by(StatsMarkRow.mark_id)
                    .limit(limit)
                )
            ).all()
            versions = frozenset(version for _, _, version in marks)
            deferred = bool(marks) and not admit(versions)
            if marks and not deferred:
                fresh.extend(delivery_id for _, delivery_id, _ in marks)
            documents, copies = await load_facts(s, fresh)
            decided = plan(Batch(seen, tuple(documents), tuple(copies), watermark))
            changed, written = await self._apply(s, decided.cells)
            if marks and not deferred:
                done = [mark_id for mark_id, _, _ in marks]
                for start in range(0, len(done), CHUNK):
                    await s.execute(
                        delete(StatsMarkRow).where(
                            among(s, StatsMarkRow.mark_id, done[start : start + CHUNK])
                        )
                    )
            if decided.watermark != watermark:
                await s.execute(
                    update(StatsStateRow)
                    .where(StatsStateRow.name == ROLLUP)
                    .values(watermark=decided.watermark, updated_at=now)
                )
            result = TickResult(
                len(seen),
                len(decided.cells),
                changed,
                written,
                decided.watermark,
                marks=0 if deferred else len(marks),
                deferred=versions if deferred else frozenset(),
            )
        self._rollup_version_checked = True  # the batch, and any forgetting, committed
        return result

    async def _apply(self, s: AsyncSession, cells: Mapping[str, Counter[Cell]]) -> tuple[int, int]:
        subjects = sorted(cells)
        old: dict[str, str] = {}
        for ids in chunks(subjects):
            for subject, stored in await s.execute(
                select(StatsFactRow.subject, StatsFactRow.cells).where(
                    among(s, StatsFactRow.subject, ids)
                )
            ):
                old[subject] = stored
        delta: Counter[Cell] = Counter()
        upserts: list[dict[str, Any]] = []
        removed: list[str] = []
        for subject in subjects:
            new = cells[subject]
            text = encode(new) if new else None
            if text == old.get(subject):
                continue  # unchanged (most documents at each of their copies' steps)
            change = difference(decode(old.get(subject)), new)
            if not change:
                continue
            delta.update(change)
            if text is not None:
                upserts.append({"subject": subject, "cells": text})
            else:
                removed.append(subject)
        rows: list[dict[str, Any]] = [
            {
                "agency": agency,
                "role": role,
                "grain": grain,
                "period": period,
                "measure": measure,
                "bucket": bucket,
                "n": n,
            }
            for (agency, role, grain, period, measure, bucket), n in sorted(expand(delta).items())
            if n
        ]
        if rows:
            await s.execute(_upsert(self.dialect), rows)
            # Cells a change emptied go (a copy's backlog minute, a pending deadline).
            emptied = [r for r in rows if r["n"] < 0]
            if emptied:
                c = core(StatsCellRow).c
                await s.execute(
                    delete(core(StatsCellRow)).where(
                        c.agency == _bind("agency"),
                        c.role == _bind("role"),
                        c.grain == _bind("grain"),
                        c.period == _bind("period"),
                        c.measure == _bind("measure"),
                        c.bucket == _bind("bucket"),
                        c.n == 0,
                    ),
                    [{f"b_{k}": v for k, v in r.items() if k != "n"} for r in emptied],
                )
            agencies: set[tuple[str, date]] = {
                (r["agency"], r["period"]) for r in rows if r["grain"] == DAY
            }
            first: dict[str, date] = {}
            for agency, day in agencies:
                if agency != NODE and (agency not in first or day < first[agency]):
                    first[agency] = day
            if first:
                stmt = (postgresql.insert if self._postgres else sqlite.insert)(
                    core(StatsAgencyRow)
                )
                await s.execute(
                    stmt.on_conflict_do_update(
                        index_elements=["agency"],
                        # least() on PostgreSQL, the two-argument min() on SQLite.
                        set_={
                            "first_day": (func.least if self._postgres else func.min)(
                                core(StatsAgencyRow).c.first_day, stmt.excluded.first_day
                            )
                        },
                    ),
                    [{"agency": a, "first_day": d} for a, d in sorted(first.items())],
                )
        if upserts:
            await s.execute(_facts_upsert(self.dialect), upserts)
        for ids in chunks(removed):
            await s.execute(delete(StatsFactRow).where(among(s, StatsFactRow.subject, ids)))
        return len(upserts) + len(removed), len(rows)

    @reconnecting
    async def stats_reset(self, now: datetime) -> None:
        """Forget every rollup: the worker counts the whole history again from watermark 0
        (``stats rebuild``)."""
        async with self._tx() as s:
            for table in (StatsCellRow, StatsFactRow, StatsAgencyRow, StatsMarkRow, StatsStateRow):
                await s.execute(delete(table))

    # ------------------------------------------------------------------ reads

    @reconnecting
    async def stats_state(self) -> tuple[int, datetime | None, int, int]:
        """The watermark, when it last moved, the newest history entry's id, and how many
        copies ``calendar recompute`` marked are still to be counted again."""
        async with self._one() as s:
            row = (
                await s.execute(
                    select(StatsStateRow.watermark, StatsStateRow.updated_at).where(
                        StatsStateRow.name == ROLLUP
                    )
                )
            ).first()
            newest = await s.scalar(select(func.max(EventRow.event_id)))
            marked = await s.scalar(select(func.count()).select_from(StatsMarkRow))
        if row is None:
            return 0, None, int(newest or 0), int(marked or 0)
        return int(row[0]), row[1], int(newest or 0), int(marked or 0)

    @reconnecting
    async def stats_agencies(self) -> list[str]:
        """Every agency key the rollups hold."""
        async with self._one() as s:
            return list(await s.scalars(select(StatsAgencyRow.agency).order_by("agency")))

    @staticmethod
    def _where(split: Split, agencies: Sequence[str] | None) -> Any:
        """The cells of the period: of ``agencies``, or of the node (None)."""
        c = core(StatsCellRow).c
        who = c.agency == NODE if agencies is None else c.agency.in_(list(agencies))
        return and_(who, SqlStats._spans(split))

    @staticmethod
    def _spans(split: Split) -> Any:
        """The cells of the period, of anyone."""
        c = core(StatsCellRow).c
        spans = []
        if split.months:
            spans.append(and_(c.grain == MONTH, c.period.in_(list(split.months))))
        for start, end in split.days:
            spans.append(and_(c.grain == DAY, c.period >= start, c.period <= end))
        if not spans:
            spans.append(c.grain == "-")
        return or_(*spans)

    @reconnecting
    async def stats_sums(
        self,
        split: Split,
        agencies: Sequence[str] | None,
        measures: Sequence[str] | None = None,
        roles: Sequence[str] | None = None,
    ) -> dict[tuple[str, str, str], int]:
        """``(role, measure, bucket) -> n`` summed over the period's cells of ``agencies``
        (None: the node-wide cells), optionally of some measures and roles only."""
        c = core(StatsCellRow).c
        where = self._where(split, agencies)
        if measures is not None:
            # The role named too, so that the measures are a condition of the index range.
            where = and_(where, c.role.in_(list(roles or _ROLES)), c.measure.in_(list(measures)))
        elif roles is not None:
            where = and_(where, c.role.in_(list(roles)))
        query = (
            select(c.role, c.measure, c.bucket, func.sum(c.n))
            .where(where)
            .group_by(c.role, c.measure, c.bucket)
        )
        async with self._one() as s:
            return {
                (role, measure, bucket): int(n)
                for role, measure, bucket, n in await s.execute(query)
                if n
            }

    @reconnecting
    async def stats_daily(
        self,
        start: date,
        end: date,
        agencies: Sequence[str] | None,
        measures: Sequence[str],
        roles: Sequence[str] = _ROLES,
    ) -> dict[date, dict[tuple[str, str, str], int]]:
        """Per local day from ``start`` to ``end``: ``(role, measure, bucket) -> n`` of the day
        cells of ``agencies`` (None: the node-wide cells), for ``measures`` and ``roles``."""
        c = core(StatsCellRow).c
        who = c.agency == NODE if agencies is None else c.agency.in_(list(agencies))
        query = (
            select(c.period, c.role, c.measure, c.bucket, func.sum(c.n))
            .where(
                who,
                c.grain == DAY,
                c.period >= start,
                c.period <= end,
                c.role.in_(list(roles)),
                c.measure.in_(list(measures)),
            )
            .group_by(c.period, c.role, c.measure, c.bucket)
        )
        out: dict[date, dict[tuple[str, str, str], int]] = {}
        async with self._one() as s:
            for day, role, measure, bucket, n in await s.execute(query):
                if n:
                    out.setdefault(day, {})[(role, measure, bucket)] = int(n)
        return out

    @reconnecting
    async def stats_by_agency(
        self,
        split: Split,
        pairs: Sequence[tuple[str, str]],
        agencies: Sequence[str] | None = None,
        now: datetime | None = None,
    ) -> dict[str, dict[tuple[str, str, str], int]]:
        """Per agency key: ``(role, measure, bucket) -> n`` over the period, for the ``(role,
        measure)`` pairs (every agency, or those given). With ``now``, the deadline buckets
        (``due@<instant>``) of each agency and measure are summed into three: those before
        ``now``, at it and after it, each named by its earliest deadline, which judges alike (a
        deadline is missed or not yet due as of ``now``): a few rows per agency instead of one
        per distinct deadline."""
        c = core(StatsCellRow).c
        if agencies is None:
            # Every agency: the (grain, measure, period) index finds the cells, and the node's
            # own are left out. Naming the few hundred agencies instead costs a comparison with
            # each of them per cell read (most of the time of this table at 1 M copies).
            where = and_(c.agency != NODE, self._spans(split))
        else:
            where = self._where(split, agencies)
        roles = sorted({role for role, _ in pairs})
        measures = sorted({measure for _, measure in pairs})
        where = and_(
            where,
            c.role.in_(roles),
            c.measure.in_(measures),
            tuple_(c.role, c.measure).in_([tuple(p) for p in pairs]),
        )
        bucket: Any = c.bucket
        if now is not None:
            cut = DUE + instant(now)
            bucket = case(
                (c.bucket.like(DUE + "%"), case((c.bucket < cut, "<"), (c.bucket == cut, "="))),
                else_=c.bucket,
            )
        query = (
            select(c.agency, c.role, c.measure, func.min(c.bucket), func.sum(c.n))
            .where(where)
            .group_by(c.agency, c.role, c.measure, bucket)
        )
        out: dict[str, dict[tuple[str, str, str], int]] = {}
        async with self._one() as s:
            for agency, role, measure, first, n in await s.execute(query):
                if n:
                    out.setdefault(agency, {})[(role, measure, first)] = int(n)
        return out

    @reconnecting
    async def stats_raw(self) -> tuple[list[DocumentFact], list[CopyFact]]:
        """Every document's and copy's facts from the raw tables (the brute-force recount)."""
        async with self._tx() as s:
            ids = list(await s.scalars(select(DeliveryRow.delivery_id)))
            documents, copies = await load_facts(s, ids)
            return documents, copies

    @reconnecting
    async def stats_insert_cells(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Add cell rows as they are (the benchmark's seed)."""
        async with self._tx() as s:
            if rows:
                await s.execute(insert(core(StatsCellRow)), list(rows))


def _bind(name: str) -> Any:
    return bindparam(f"b_{name}")
