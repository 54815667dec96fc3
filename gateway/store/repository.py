"""The store port implemented with SQLAlchemy 2 async (PostgreSQL and SQLite alike).

:class:`SqlStore` is composed of one adapter per concept, all on one engine:

| module | what |
|---|---|
| :mod:`gateway.store.accepting` | one accept's reads and writes in one transaction |
| :mod:`gateway.store.deliveries` | copies changing state, by :mod:`gateway.core.delivery` |
| :mod:`gateway.store.reads` | pull lists, counts, fetch, the trace, the workers' look-ups |
| :mod:`gateway.store.outbox` | work committed with its use case, for the relay |
| :mod:`gateway.store.systems` | connected systems, credentials and grants (cached) |
| :mod:`gateway.store.legal` | calendar overrides and the recompute batches |

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

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from gateway.core.errors import Conflict
from gateway.core.model import DeliveryState, DeliveryView, DocumentRecord, MessageType
from gateway.store.accepting import SqlAcceptUnit
from gateway.store.deliveries import SqlDeliveries
from gateway.store.legal import SqlLegal
from gateway.store.outbox import SqlOutbox
from gateway.store.reads import SqlReads
from gateway.store.rows import document, view, view_query
from gateway.store.session import reconnecting
from gateway.store.systems import SqlSystems
from gateway.store.tables import DeliveryRow, DocumentRow


class SqlStore(SqlDeliveries, SqlReads, SqlOutbox, SqlLegal, SqlSystems):
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
        self, sender_system: str, document_id: str | None, kind: MessageType, limit: int
    ) -> list[tuple[DocumentRecord, DeliveryView]]:
        """One row per recipient copy of the sender's documents, newest first."""
        async with self._one() as s:
            docs = select(DocumentRow).where(
                DocumentRow.sender_system == sender_system, DocumentRow.kind == kind.value
            )
            if document_id is not None:
                docs = docs.where(DocumentRow.document_id == document_id)
            documents = list(
                await s.scalars(docs.order_by(DocumentRow.accepted_at.desc()).limit(limit))
            )
            if not documents:
                return []
            by_id = {d.document_id: document(d) for d in documents}
            result = await s.execute(
                view_query()
                .where(DeliveryRow.document_id.in_(list(by_id)))
                .order_by(DeliveryRow.created_at.desc(), DeliveryRow.delivery_id)
            )
            rows = [view(row) for row in result]
            order = {d.document_id: i for i, d in enumerate(documents)}
            rows.sort(key=lambda v: (order[v.document_id], v.delivery_id))
            return [(by_id[v.document_id], v) for v in rows]

    @reconnecting
    async def list_deliveries(
        self, *, state: DeliveryState | None, system_id: str | None, limit: int
    ) -> list[DeliveryView]:
        """Copies by state, newest change first."""
        query = view_query()
        if state is not None:
            query = query.where(DeliveryRow.state == state.value)
        if system_id is not None:
            query = query.where(
                or_(DeliveryRow.system_id == system_id, DocumentRow.sender_system == system_id)
            )
        async with self._one() as s:
            result = await s.execute(query.order_by(DeliveryRow.updated_at.desc()).limit(limit))
            return [view(row) for row in result]
