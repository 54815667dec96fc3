"""The store port implemented with SQLAlchemy 2 async (PostgreSQL and SQLite alike).

:class:`SqlStore` is composed of one adapter per concept, all on one engine:

| module | what |
|---|---|
| :mod:`gateway.store.accepting` | one accept's reads and writes in one transaction |
| :mod:`gateway.store.deliveries` | copies changing state, by :mod:`gateway.core.delivery` |
| :mod:`gateway.store.reads` | pull lists, counts, fetch, the trace, the workers' look-ups |
| :mod:`gateway.store.queries` | the sender's and the operators' paged lists |
| :mod:`gateway.store.outbox` | work committed with its use case, for the relay |
| :mod:`gateway.store.systems` | connected systems, credentials and grants (cached) |
| :mod:`gateway.store.legal` | calendar overrides and the recompute batches |
| :mod:`gateway.store.admin` | the operators' node-wide lists, counts and stuck copies |
| :mod:`gateway.store.replays` | replayed copies, replay requests and their done marks |

Each public method is one transaction, and each use case on the hot path is one method (or one
:meth:`SqlStore.accepting` unit): database round trips are the node's largest cost
(docs/benchmarks.md). Unique constraints settle races between identical concurrent sends: the
loser writes nothing and answers the winner's DocId. Connections are not pinged at checkout; a
transaction whose connection was found dead runs once more (:func:`gateway.store.session.
reconnecting`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from gateway.core.errors import Conflict
from gateway.core.model import DeliveryState, DeliveryView, DocumentRecord, MessageType
from gateway.store import queries
from gateway.store.accepting import SqlAcceptUnit
from gateway.store.admin import SqlAdminDeliveries
from gateway.store.deliveries import SqlDeliveries
from gateway.store.legal import SqlLegal
from gateway.store.outbox import SqlOutbox
from gateway.store.reads import SqlReads
from gateway.store.replays import SqlReplays
from gateway.store.session import reconnecting
from gateway.store.systems import SqlSystems


class SqlStore(
    SqlDeliveries, SqlReads, SqlOutbox, SqlLegal, SqlSystems, SqlAdminDeliveries, SqlReplays
):
    """The store port over one async engine."""

    @asynccontextmanager
    async def accepting(self) -> AsyncIterator[SqlAcceptUnit]:
        """One accept's reads and writes in one transaction (``Conflict`` on a lost race)."""
        try:
            async with self._tx() as s:
                yield SqlAcceptUnit(s, self.dialect)
        except IntegrityError as exc:
            raise Conflict("a concurrent request stored the same package first") from exc

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
