"""The store port implemented with SQLAlchemy 2 async (PostgreSQL and SQLite alike).

:class:`SqlStore` is composed of one adapter per concept, all on one engine:

| module | what |
|---|---|
| :mod:`gateway.store.accepting` | one accept's reads and writes in one transaction |
| :mod:`gateway.store.accepting_pg` | the same on PostgreSQL in two round trips of driver SQL |
| :mod:`gateway.store.deliveries` | copies changing state, by :mod:`gateway.core.delivery` |
| :mod:`gateway.store.reads` | pull lists, counts, fetch, the trace, the workers' look-ups |
| :mod:`gateway.store.queries` | the sender's and the operators' paged lists |
| :mod:`gateway.store.outbox` | work committed with its use case, for the relay |
| :mod:`gateway.store.systems` | connected systems, credentials and grants (cached) |
| :mod:`gateway.store.legal` | calendar overrides and the recompute batches |
| :mod:`gateway.store.admin` | the operators' node-wide lists, counts and stuck copies |
| :mod:`gateway.store.replays` | replayed copies, replay requests and their done marks |
| :mod:`gateway.store.alerts` | open/cleared alerts, the failed-copy watermark, the copy scans |
| :mod:`gateway.store.stats` | the statistics rollups: the worker's batches, the figures' sums |

Each public method is one transaction, and each use case on the hot path is one method (or one
:meth:`SqlStore.accepting` unit): database round trips are the node's largest cost
(docs/benchmarks.md). On PostgreSQL the hot ones (accept, poll, fetch, confirm) are
driver SQL in one or two statements that are each atomic, with no transaction around them
(:mod:`gateway.store.session`). Unique constraints settle races between identical concurrent
sends: the loser writes nothing and answers the winner's DocId. Connections are not pinged at
checkout; a transaction whose connection was found dead runs once more
(:func:`gateway.store.session.reconnecting`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.exc import IntegrityError

from gateway.core.errors import Conflict
from gateway.core.model import DeliveryState, DeliveryView, DocumentRecord, MessageType
from gateway.store import queries
from gateway.store.accepting import SqlAcceptUnit
from gateway.store.accepting_pg import PgAcceptUnit
from gateway.store.admin import SqlAdminDeliveries
from gateway.store.alerts import SqlAlerts
from gateway.store.deliveries import SqlDeliveries
from gateway.store.legal import SqlLegal
from gateway.store.outbox import SqlOutbox
from gateway.store.reads import SqlReads
from gateway.store.replays import SqlReplays
from gateway.store.session import reconnecting
from gateway.store.stats import SqlStats
from gateway.store.systems import SqlSystems


class SqlStore(
    SqlDeliveries,
    SqlReads,
    SqlOutbox,
    SqlLegal,
    SqlSystems,
    SqlAdminDeliveries,
    SqlReplays,
    SqlAlerts,
    SqlStats,
):
    """The store port over one async engine."""

    @asynccontextmanager
    async def accepting(self) -> AsyncIterator[SqlAcceptUnit]:
        """One accept's reads and writes in one transaction (``Conflict`` on a lost race).

        With a relay in this process (:meth:`SqlOutbox.hand_outbox_to`), the accept's outbox rows
        are inserted claimed and handed to it after the commit, never before: store first, then
        publish, without the relay's claiming statement per send.
        """
        handoff = self._handoff
        unit: SqlAcceptUnit
        try:
            if self._postgres:
                # Driver SQL: two round trips per accept (PgAcceptUnit).
                async with self._driver() as c:
                    pg = PgAcceptUnit(c, self._tx, claim=handoff is not None)
                    unit = pg
                    yield pg
                    await pg.commit()
            else:
                async with self._tx() as s:
                    unit = SqlAcceptUnit(s, self.dialect, claim=handoff is not None)
                    yield unit
        except (IntegrityError, asyncpg.IntegrityConstraintViolationError) as exc:
            raise Conflict("a concurrent request stored the same package first") from exc
        if handoff is not None and unit.claimed:
            handoff(unit.claimed)

    @reconnecting
    async def sent_rows(
        self,
        sender_system: str,
        document_id: str | None,
        kind: MessageType,
        limit: int,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        before: tuple[datetime, str] | None = None,
    ) -> list[tuple[DocumentRecord, DeliveryView]]:
        """One row per recipient copy of the sender's documents, newest first
        (:func:`gateway.store.queries.sent_rows`)."""
        async with self._one() as s:
            return await queries.sent_rows(
                s,
                sender_system,
                document_id=document_id,
                kind=kind,
                limit=limit,
                since=since,
                until=until,
                before=before,
            )

    @reconnecting
    async def list_deliveries(
        self,
        *,
        state: DeliveryState | None,
        system_id: str | None,
        limit: int,
        since: datetime | None = None,
        until: datetime | None = None,
        before: tuple[datetime, str] | None = None,
    ) -> list[DeliveryView]:
        """Copies by state, newest change first (:func:`gateway.store.queries.deliveries`)."""
        async with self._one() as s:
            return await queries.deliveries(
                s,
                state=state,
                system_id=system_id,
                limit=limit,
                since=since,
                until=until,
                before=before,
            )
