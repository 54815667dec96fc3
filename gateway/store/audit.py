"""The hash-chained audit log in the store (the port of gateway/core/audit.py).

An append is one transaction that takes the log's write lock first, reads the head (the last
``seq`` and hash), inserts the chained entry and moves the head. The lock:

- PostgreSQL: ``pg_advisory_xact_lock`` on a constant key, held until the transaction ends, so
  appends from every process of the node (``serve`` workers, ``worker``, the CLI) queue up;
- SQLite: the database has one writer; the transaction's first statement is a write on the head
  row, so it waits for the writer lock *before* it reads the head (a read first would let two
  appends read the same head).

``seq`` is the primary key and ``hash`` unique, so even a lock that failed to serialise two
appends could not fork the chain: the second insert fails and is retried on the new head.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.core.actors import AuditRecord
from gateway.core.audit import GENESIS, AuditEntry, chained
from gateway.store.session import SessionScope, reconnecting
from gateway.store.tables import AuditHeadRow, AuditRow

#: The advisory lock key of the audit log on PostgreSQL ("audit" in ASCII).
AUDIT_LOCK_KEY = 0x6175646974
#: How often an append is tried again after losing a race for the same ``seq``.
APPEND_ATTEMPTS = 5


def _entry(row: AuditRow) -> AuditEntry:
    return AuditEntry(
        seq=row.seq,
        at=row.at,
        actor=row.actor,
        action=row.action,
        target=row.target,
        reason=row.reason,
        before=row.before,
        after=row.after,
        channel=row.channel,
        extra=row.extra or {},
        prev_hash=row.prev_hash,
        hash=row.hash,
    )


class SqlAudit(SessionScope):
    """:class:`gateway.core.audit.AuditStore` over SQLAlchemy (PostgreSQL or SQLite)."""

    def __init__(self, engine: AsyncEngine) -> None:
        super().__init__(engine)
        # One append at a time within the process: no retries between this process's appends.
        self._lock = asyncio.Lock()

    async def append_audit(self, record: AuditRecord, at: datetime) -> AuditEntry:
        """Chain ``record`` onto the head and store it, with the new head, in one transaction."""
        async with self._lock:
            for attempt in range(APPEND_ATTEMPTS):
                try:
                    return await self._append(record, at)
                except IntegrityError:
                    if attempt == APPEND_ATTEMPTS - 1:
                        raise
            raise AssertionError("unreachable")  # pragma: no cover

    async def _append(self, record: AuditRecord, at: datetime) -> AuditEntry:
        async with self._tx() as s:
            if self._postgres:
                await s.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": AUDIT_LOCK_KEY})
            else:
                await s.execute(
                    update(AuditHeadRow).where(AuditHeadRow.id == 1).values(seq=AuditHeadRow.seq)
                )
            head = await s.get(AuditHeadRow, 1)
            seq, prev = (head.seq, head.hash) if head is not None else (0, GENESIS)
            entry = chained(record, seq=seq + 1, at=at, prev_hash=prev)
            s.add(
                AuditRow(
                    seq=entry.seq,
                    at=entry.at,
                    actor=entry.actor,
                    action=entry.action,
                    target=entry.target,
                    reason=entry.reason,
                    before=entry.before,
                    after=entry.after,
                    channel=entry.channel,
                    extra=entry.extra,
                    prev_hash=entry.prev_hash,
                    hash=entry.hash,
                )
            )
            if head is None:
                s.add(AuditHeadRow(id=1, seq=entry.seq, hash=entry.hash))
            else:
                head.seq, head.hash = entry.seq, entry.hash
            await s.flush()
            return entry

    @reconnecting
    async def audit_entries(
        self,
        *,
        limit: int,
        after_seq: int | None = None,
        before_seq: int | None = None,
        action: str | None = None,
        actor: str | None = None,
        since: datetime | None = None,
    ) -> list[AuditEntry]:
        """Entries ascending from ``after_seq``, or newest first (below ``before_seq``)."""
        query: Any = select(AuditRow)
        if action is not None:
            query = query.where(AuditRow.action == action)
        if actor is not None:
            query = query.where(AuditRow.actor == actor)
        if since is not None:
            query = query.where(AuditRow.at >= since)
        if after_seq is not None:
            query = query.where(AuditRow.seq > after_seq).order_by(AuditRow.seq)
        else:
            if before_seq is not None:
                query = query.where(AuditRow.seq < before_seq)
            query = query.order_by(AuditRow.seq.desc())
        async with self._one() as s:
            return [_entry(row) for row in await s.scalars(query.limit(limit))]

    @reconnecting
    async def audit_head(self) -> tuple[int, str] | None:
        """The recorded (seq, hash) of the last entry, or None."""
        async with self._one() as s:
            head = await s.get(AuditHeadRow, 1)
            return None if head is None else (head.seq, head.hash)
