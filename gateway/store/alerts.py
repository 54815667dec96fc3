"""Alerts in the store: one row per (kind, key), the failed-copy watermark, the copy scans.

The store is what makes an alert fire once (gateway/core/alerts.py): :meth:`SqlAlerts.open_alerts`
is one ``INSERT … ON CONFLICT (kind, key) DO UPDATE … WHERE cleared_at IS NOT NULL RETURNING``
(PostgreSQL and SQLite alike), so a key already open is left alone and only the process whose
statement opened it logs, counts and posts it. The webhook's outbox row is written in the same
transaction (store first, then publish: an opened alert is never lost to a crash).

The scans are small on purpose: failed copies are read by ``(state, updated_at)`` from a
watermark (the ``ix_deliveries_state_time`` index), stuck copies by state and age, both leaving
out copies whose alert is already open; clearing is one correlated ``NOT EXISTS`` per kind.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, func, not_, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from gateway.core.alerts import WAITING_STATES, Alert, AlertKind, FailedCopy, OutboxFor
from gateway.core.model import DeliveryState, DeliveryView, EventKind
from gateway.store.outbox import insert_outbox
from gateway.store.rows import view, view_query
from gateway.store.session import SessionScope, reconnecting
from gateway.store.tables import AlertMarkRow, AlertRow, DeliveryRow, EventRow, core

#: Alerts per upsert statement: 7 parameters each, well under SQLite's and asyncpg's limits.
OPEN_CHUNK = 500
_FAILED = DeliveryState.FAILED.value
_IN_TRANSIT = (DeliveryState.QUEUED.value, DeliveryState.FORWARDED.value)


def _open(kind: AlertKind) -> Any:
    return and_(AlertRow.kind == kind.value, AlertRow.cleared_at.is_(None))


class SqlAlerts(SessionScope):
    """The alerts part of the store port (:class:`gateway.core.alerts.AlertStore`)."""

    def _insert(self, model: type[AlertRow] | type[AlertMarkRow]) -> Any:
        dialect = postgresql if self._postgres else sqlite
        return dialect.insert(core(model))

    @reconnecting
    async def failed_copies(
        self, since: datetime, after: tuple[datetime, str] | None, limit: int
    ) -> list[FailedCopy]:
        """Failed copies changed at or after ``since``, by (updated_at, delivery_id), after
        ``after``; with the code of each one's last ``failed`` history entry."""
        condition = [DeliveryRow.state == _FAILED, DeliveryRow.updated_at >= since]
        if after is not None:
            at, delivery_id = after
            condition.append(
                or_(
                    DeliveryRow.updated_at > at,
                    and_(DeliveryRow.updated_at == at, DeliveryRow.delivery_id > delivery_id),
                )
            )
        async with self._one() as s:
            copies = [
                view(row)
                for row in await s.execute(
                    view_query()
                    .where(*condition)
                    .order_by(DeliveryRow.updated_at, DeliveryRow.delivery_id)
                    .limit(limit)
                )
            ]
            codes: dict[str, str | None] = {}
            if copies:
                for delivery_id, detail in await s.execute(
                    select(EventRow.delivery_id, EventRow.detail)
                    .where(
                        EventRow.delivery_id.in_([c.delivery_id for c in copies]),
                        EventRow.kind == EventKind.FAILED.value,
                    )
                    .order_by(EventRow.event_id)
                ):
                    code = (detail or {}).get("code")
                    codes[delivery_id] = code if isinstance(code, str) else None
        return [FailedCopy(c, codes.get(c.delivery_id)) for c in copies]

    @reconnecting
    async def stuck_copies(
        self, available_before: datetime, in_transit_before: datetime, limit: int
    ) -> list[DeliveryView]:
        """Copies waiting since before the cutoffs, without an open stuck alert, oldest first."""
        alerted = select(AlertRow.key).where(_open(AlertKind.COPY_STUCK))
        query = (
            view_query()
            .where(
                or_(
                    and_(
                        DeliveryRow.state == DeliveryState.AVAILABLE.value,
                        DeliveryRow.available_at < available_before,
                    ),
                    and_(
                        DeliveryRow.state.in_(_IN_TRANSIT),
                        DeliveryRow.updated_at < in_transit_before,
                    ),
                ),
                DeliveryRow.delivery_id.not_in(alerted),
            )
            .order_by(DeliveryRow.updated_at, DeliveryRow.delivery_id)
            .limit(limit)
        )
        async with self._one() as s:
            return [view(row) for row in await s.execute(query)]

    @reconnecting
    async def alert_mark(self, name: str) -> datetime | None:
        """The watermark ``name``, or None."""
        async with self._one() as s:
            at: datetime | None = await s.scalar(
                select(AlertMarkRow.at).where(AlertMarkRow.name == name)
            )
            return at

    @reconnecting
    async def set_alert_mark(self, name: str, at: datetime) -> None:
        """Move the watermark forward to ``at`` (a later one, set by another process, stays)."""
        insert = self._insert(AlertMarkRow).values(name=name, at=at)
        statement = insert.on_conflict_do_update(
            index_elements=["name"],
            set_={"at": insert.excluded.at},
            where=core(AlertMarkRow).c.at < insert.excluded.at,
        )
        async with self._one() as s:
            await s.execute(statement)

    def _opening(self, alerts: Sequence[Alert], now: datetime) -> Any:
        """The upsert opening ``alerts`` (module docstring), returning (kind, key, fired) of
        the rows it inserted or re-opened."""
        insert = self._insert(AlertRow).values(
            [
                {
                    "kind": a.kind.value,
                    "key": a.key,
                    "subject": a.subject,
                    "details": dict(a.details),
                    "raised_at": a.at or now,
                    "cleared_at": None,
                    "fired": 1,
                }
                for a in alerts
            ]
        )
        table = core(AlertRow)
        return insert.on_conflict_do_update(
            index_elements=["kind", "key"],
            set_={
                "subject": insert.excluded.subject,
                "details": insert.excluded.details,
                "raised_at": insert.excluded.raised_at,
                "cleared_at": None,
                "fired": table.c.fired + 1,
            },
            where=table.c.cleared_at.is_not(None),
        ).returning(table.c.kind, table.c.key, table.c.fired)

    @reconnecting
    async def open_alerts(
        self, alerts: Sequence[Alert], now: datetime, outbox: OutboxFor | None = None
    ) -> list[Alert]:
        """Open the alerts not open already (module docstring); returns those opened."""
        unique = {(a.kind, a.key): a for a in alerts}  # one statement may not touch a row twice
        if not unique:
            return []
        items = list(unique.values())
        opened: list[tuple[Alert, int]] = []
        async with self._tx() as s:
            for start in range(0, len(items), OPEN_CHUNK):
                statement = self._opening(items[start : start + OPEN_CHUNK], now)
                opened += [
                    (unique[(AlertKind(kind), key)], fired)
                    for kind, key, fired in await s.execute(statement)
                ]
            if outbox is not None and opened:
                await insert_outbox(s, [outbox(alert, fired) for alert, fired in opened], now)
        order = {k: i for i, k in enumerate(unique)}
        return sorted((a for a, _ in opened), key=lambda a: order[(a.kind, a.key)])

    @reconnecting
    async def clear_alerts(
        self,
        kind: AlertKind,
        keep: Collection[str],
        now: datetime,
        among: Collection[str] | None = None,
    ) -> list[str]:
        """Clear the open alerts of ``kind`` whose key is not in ``keep`` (and is in ``among``,
        when given)."""
        condition = [_open(kind)]
        if keep:
            condition.append(AlertRow.key.not_in(list(keep)))
        if among is not None:
            condition.append(AlertRow.key.in_(list(among)))
        statement = (
            update(AlertRow)
            .where(*condition)
            .values(cleared_at=now)
            .returning(AlertRow.key)
            .execution_options(synchronize_session=False)
        )
        async with self._one() as s:
            return sorted(await s.scalars(statement))

    @reconnecting
    async def clear_copy_alerts(self, now: datetime) -> list[tuple[AlertKind, str]]:
        """Clear failed alerts of copies no longer failed, stuck alerts of settled copies."""
        rules = (
            (AlertKind.COPY_FAILED, (_FAILED,)),
            (AlertKind.COPY_STUCK, tuple(s.value for s in WAITING_STATES)),
        )
        cleared: list[tuple[AlertKind, str]] = []
        async with self._tx() as s:
            for kind, states in rules:
                still = exists().where(
                    DeliveryRow.delivery_id == AlertRow.key, DeliveryRow.state.in_(states)
                )
                statement = (
                    update(AlertRow)
                    .where(_open(kind), not_(still))
                    .values(cleared_at=now)
                    .returning(AlertRow.key)
                    .execution_options(synchronize_session=False)
                )
                cleared.extend((kind, key) for key in sorted(await s.scalars(statement)))
        return cleared

    @reconnecting
    async def open_alert_counts(self) -> dict[AlertKind, int]:
        """Open alerts per kind (every kind present, zero when none)."""
        async with self._one() as s:
            rows = await s.execute(
                select(AlertRow.kind, func.count())
                .where(AlertRow.cleared_at.is_(None))
                .group_by(AlertRow.kind)
            )
            found = {str(kind): int(count) for kind, count in rows}
        return {kind: found.get(kind.value, 0) for kind in AlertKind}
