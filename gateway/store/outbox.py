"""The outbox: work committed with the use case that causes it, published later by the relay.

Store first, then publish (design.md §1): a use case writes its work messages
(:mod:`gateway.core.work`) as rows here in its own transaction; :class:`gateway.workers.relay.
OutboxRelay` reads the pending rows, publishes them with confirms and marks them published.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.core.model import OutboxItem
from gateway.store.session import SessionScope, reconnecting
from gateway.store.tables import OutboxRow, core


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


async def insert_outbox(s: AsyncSession, outbox: Sequence[OutboxItem], now: datetime) -> None:
    """Insert work items in one statement."""
    if outbox:
        await s.execute(
            insert(core(OutboxRow)),
            [
                {
                    "topic": item.topic,
                    "message_id": item.message_id,
                    "body": item.body,
                    "priority": item.priority,
                    "headers": dict(item.headers),
                    "created_at": now,
                    "attempts": 0,
                }
                for item in outbox
            ],
        )


class SqlOutbox(SessionScope):
    """The outbox part of the store port."""

    @reconnecting
    async def add_outbox(self, items: Sequence[OutboxItem], now: datetime) -> None:
        """Queue work for the relay on its own (work that is not part of a use case's write,
        e.g. a report the bus gave up on, queued again)."""
        async with self._tx() as s:
            await insert_outbox(s, items, now)

    @reconnecting
    async def outbox_pending(self, limit: int) -> list[OutboxItem]:
        """Unpublished rows, urgent first then oldest."""
        async with self._one() as s:
            rows = await s.scalars(
                select(OutboxRow)
                .where(OutboxRow.published_at.is_(None))
                .order_by(OutboxRow.priority.desc(), OutboxRow.outbox_id)
                .limit(limit)
            )
            return [
                OutboxItem(
                    r.outbox_id,
                    r.topic,
                    r.message_id,
                    r.body,
                    r.priority,
                    {str(k): str(v) for k, v in (r.headers or {}).items()},
                    r.attempts,
                )
                for r in rows
            ]

    @reconnecting
    async def mark_published(self, outbox_ids: Sequence[int], now: datetime) -> None:
        """Mark rows published (after the broker confirmed them)."""
        if not outbox_ids:
            return
        async with self._one() as s:
            await s.execute(
                update(OutboxRow)
                .where(OutboxRow.outbox_id.in_(list(outbox_ids)))
                .values(published_at=now)
            )

    @reconnecting
    async def note_publish_failure(self, outbox_ids: Sequence[int], error: str) -> None:
        """Count a failed publish attempt on the rows."""
        if not outbox_ids:
            return
        async with self._one() as s:
            await s.execute(
                update(OutboxRow)
                .where(OutboxRow.outbox_id.in_(list(outbox_ids)))
                .values(attempts=OutboxRow.attempts + 1, last_error=error[:500])
            )
