"""The outbox: work committed with the use case that causes it, published later by the relay.

Store first, then publish (design.md §1): a use case writes its work messages
(:mod:`gateway.core.work`) as rows here in its own transaction; :class:`gateway.workers.relay.
OutboxRelay` claims the pending rows, publishes them with confirms and marks them published.

Several relays (``worker`` processes, or ``serve --workers N`` running the workers) share one
outbox: :meth:`SqlOutbox.claim_outbox` reads and claims rows in one statement for
:data:`CLAIM_SECONDS` (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite has one writer at a
time), so each row is published by one relay. A relay that dies with rows claimed leaves them to
the others when the claim ends; a failed publish releases its rows at once.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.core.model import OutboxItem
from gateway.store.session import SessionScope, reconnecting
from gateway.store.tables import OutboxRow, core

#: How long a relay's claim on the rows it is publishing lasts.
CLAIM_SECONDS = 30.0

_INSERT_OUTBOX = insert(core(OutboxRow))
_INSERT_OUTBOX_RETURNING = insert(core(OutboxRow)).returning(
    core(OutboxRow).c.outbox_id, sort_by_parameter_order=True
)


def outbox_row(item: OutboxItem, now: datetime) -> OutboxRow:
    """The row of one work item (for a session that adds ORM objects)."""
    return OutboxRow(
        topic=item.topic,
        message_id=item.message_id,
        body=item.body,
        priority=item.priority,
        headers=dict(item.headers),
        created_at=now,
        attempts=0,
    )


async def insert_outbox(
    s: AsyncSession, outbox: Sequence[OutboxItem], now: datetime, *, claim: bool = False
) -> list[OutboxItem]:
    """Insert work items in one statement.

    ``claim``: the rows are inserted already claimed by this process's relay (for
    :data:`CLAIM_SECONDS`), which the caller hands them to after the commit
    (:meth:`SqlOutbox.hand_outbox_to`): the relay publishes them without a claiming statement,
    and if this process dies first, another relay claims them when the claim ends. Returns the
    items with their row ids (claimed rows only; ``[]`` otherwise).
    """
    if not outbox:
        return []
    claimed_until = now + timedelta(seconds=CLAIM_SECONDS) if claim else None
    rows = [
        {
            "topic": item.topic,
            "message_id": item.message_id,
            "body": item.body,
            "priority": item.priority,
            "headers": dict(item.headers),
            "created_at": now,
            "claimed_until": claimed_until,
            "attempts": 0,
        }
        for item in outbox
    ]
    if not claim:
        await s.execute(_INSERT_OUTBOX, rows)
        return []
    ids = list(await s.scalars(_INSERT_OUTBOX_RETURNING, rows))
    return [
        OutboxItem(outbox_id, i.topic, i.message_id, i.body, i.priority, dict(i.headers), 0)
        for outbox_id, i in zip(ids, outbox, strict=True)
    ]


_MARK_SQL = "UPDATE outbox SET published_at = $2 WHERE outbox_id = ANY($1::bigint[])"
#: The claim as driver SQL (PostgreSQL): a running relay asks every ``idle_interval`` (1 s) even
#: when nothing is pending, so an idle node pays it once a second (1.7 → 0.3 ms of CPU).
_CLAIM_SQL = (
    "UPDATE outbox SET claimed_until = $2 WHERE outbox_id IN (SELECT outbox_id FROM outbox"
    " WHERE published_at IS NULL AND (claimed_until IS NULL OR claimed_until < $1)"
    " ORDER BY priority DESC, outbox_id LIMIT $3 FOR UPDATE SKIP LOCKED)"
    " RETURNING outbox_id, topic, message_id, body, priority, headers, attempts"
)

#: What a relay in this process is handed: the just-committed rows it claimed at insert.
Handoff = Callable[[Sequence[OutboxItem]], None]


def _headers(value: Any) -> dict[str, str]:
    """A row's headers as the driver gives them (SQLAlchemy's asyncpg connections decode JSON;
    a bare connection would give the text)."""
    if isinstance(value, str):
        value = json.loads(value)
    return {str(k): str(v) for k, v in (value or {}).items()}


class SqlOutbox(SessionScope):
    """The outbox part of the store port."""

    #: The relay of this process, if one runs (:meth:`hand_outbox_to`).
    _handoff: Handoff | None = None

    def hand_outbox_to(self, handoff: Handoff | None) -> None:
        """Give the outbox rows an accept commits straight to ``handoff`` (this process's relay),
        claimed at insert, instead of leaving them for the relay's next claiming statement; None
        stops it. The relay publishes them and marks them like claimed rows."""
        self._handoff = handoff

    @reconnecting
    async def add_outbox(self, items: Sequence[OutboxItem], now: datetime) -> None:
        """Queue work for the relay on its own (work that is not part of a use case's write,
        e.g. a report the bus gave up on, queued again)."""
        async with self._tx() as s:
            await insert_outbox(s, items, now)

    @reconnecting
    async def claim_outbox(self, limit: int, now: datetime) -> list[OutboxItem]:
        """Claim up to ``limit`` unpublished rows nobody else holds, urgent first then oldest,
        for :data:`CLAIM_SECONDS` (one statement)."""
        if self._postgres:
            until = now + timedelta(seconds=CLAIM_SECONDS)
            async with self._driver() as c:
                found = await c.fetch(_CLAIM_SQL, now, until, limit)
            return [
                OutboxItem(
                    r[0],
                    r[1],
                    r[2],
                    r[3],
                    r[4],
                    _headers(r[5]),
                    r[6],
                )
                for r in sorted(found, key=lambda r: (-r[4], r[0]))
            ]
        free = (
            select(OutboxRow.outbox_id)
            .where(
                OutboxRow.published_at.is_(None),
                or_(OutboxRow.claimed_until.is_(None), OutboxRow.claimed_until < now),
            )
            .order_by(OutboxRow.priority.desc(), OutboxRow.outbox_id)
            .limit(limit)
        )
        claim = (
            update(OutboxRow)
            .where(OutboxRow.outbox_id.in_(free.scalar_subquery()))
            .values(claimed_until=now + timedelta(seconds=CLAIM_SECONDS))
            .returning(OutboxRow)
            .execution_options(synchronize_session=False)
        )
        async with self._one() as s:
            rows = sorted(await s.scalars(claim), key=lambda r: (-r.priority, r.outbox_id))
            return [
                OutboxItem(
                    r.outbox_id,
                    r.topic,
                    r.message_id,
                    r.body,
                    r.priority,
                    _headers(r.headers),
                    r.attempts,
                )
                for r in rows
            ]

    @reconnecting
    async def mark_published(self, outbox_ids: Sequence[int], now: datetime) -> None:
        """Mark rows published (after the broker confirmed them)."""
        if not outbox_ids:
            return
        if self._postgres:  # once per published batch: driver SQL (gateway/store/session.py)
            async with self._driver() as c:
                await c.execute(_MARK_SQL, list(outbox_ids), now)
            return
        async with self._one() as s:
            await s.execute(
                update(OutboxRow)
                .where(OutboxRow.outbox_id.in_(list(outbox_ids)))
                .values(published_at=now)
            )

    @reconnecting
    async def prune_outbox(self, published_before: datetime, limit: int) -> int:
        """Delete up to ``limit`` rows published before ``published_before`` (oldest first, one
        statement; relays pruning at the same time skip each other's rows); returns how many.

        A published row is never read again: the broker confirmed its message, and consumers are
        idempotent on what a message names (a copy's state), not on this table. Unpublished rows
        are never deleted, however old.
        """
        old = (
            select(OutboxRow.outbox_id)
            .where(OutboxRow.published_at < published_before)
            .order_by(OutboxRow.published_at)
            .limit(limit)
        )
        if self._postgres:
            old = old.with_for_update(skip_locked=True)
        prune = (
            delete(OutboxRow)
            .where(OutboxRow.outbox_id.in_(old.scalar_subquery()))
            .execution_options(synchronize_session=False)
        )
        async with self._one() as s:
            result = await s.execute(prune)
            return int(result.rowcount or 0)  # type: ignore[attr-defined]

    @reconnecting
    async def note_publish_failure(self, outbox_ids: Sequence[int], error: str) -> None:
        """Count a failed publish attempt on the rows and release their claim."""
        if not outbox_ids:
            return
        async with self._one() as s:
            await s.execute(
                update(OutboxRow)
                .where(OutboxRow.outbox_id.in_(list(outbox_ids)))
                .values(attempts=OutboxRow.attempts + 1, last_error=error[:500], claimed_until=None)
            )
