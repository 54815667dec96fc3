"""The listing queries of the native API and ``getSentEdocList``: keyset pages over copies.

Each function takes an open :class:`AsyncSession` (the store's methods are thin delegations) and
lists newest first by a (time, id) key, the id breaking ties between equal times. A page after a
``before`` position continues strictly past it, so rows committed meanwhile never shift a page
(no ``OFFSET``) and a row is never listed twice. ``since`` (inclusive) and ``until`` (exclusive)
bound the same time.

- :func:`sent_rows`: the sender's documents by ``(accepted_at, document_id)``, each with all its
  copies (one row per recipient); ``limit`` counts documents.
- :func:`deliveries`: copies by ``(updated_at, delivery_id)``: most recently changed first.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.core.model import DeliveryState, DeliveryView, DocumentRecord, MessageType
from gateway.store.rows import document, view, view_query
from gateway.store.tables import DeliveryRow, DocumentRow

#: A position in a listing: the time and id of the last row of the previous page.
Position = tuple[datetime, str]


def _window(
    time: Any, key: Any, since: datetime | None, until: datetime | None, before: Position | None
) -> list[Any]:
    """Conditions on the (time, key) ordering: inside [since, until), strictly past ``before``."""
    conditions = []
    if since is not None:
        conditions.append(time >= since)
    if until is not None:
        conditions.append(time < until)
    if before is not None:
        at, last = before
        # Spelled out rather than a row-value comparison: the same SQL on SQLite and PostgreSQL,
        # each side bound with its column's type; ``time <= at`` lets an index range scan.
        conditions.append(time <= at)
        conditions.append(or_(time < at, and_(time == at, key < last)))
    return conditions


async def sent_rows(
    s: AsyncSession,
    sender_system: str,
    *,
    document_id: str | None,
    kind: MessageType,
    limit: int,
    since: datetime | None = None,
    until: datetime | None = None,
    before: Position | None = None,
) -> list[tuple[DocumentRecord, DeliveryView]]:
    """One row per recipient copy of at most ``limit`` of the sender's documents, newest
    documents first (by ``accepted_at`` then ``document_id``), copies by ``delivery_id``."""
    docs = select(DocumentRow).where(
        DocumentRow.sender_system == sender_system,
        DocumentRow.kind == kind.value,
        *_window(DocumentRow.accepted_at, DocumentRow.document_id, since, until, before),
    )
    if document_id is not None:
        docs = docs.where(DocumentRow.document_id == document_id)
    ordered = docs.order_by(DocumentRow.accepted_at.desc(), DocumentRow.document_id.desc())
    documents = list(await s.scalars(ordered.limit(limit)))
    if not documents:
        return []
    by_id = {d.document_id: document(d) for d in documents}
    result = await s.execute(view_query().where(DeliveryRow.document_id.in_(list(by_id))))
    rows = [view(row) for row in result]
    order = {d.document_id: i for i, d in enumerate(documents)}
    rows.sort(key=lambda v: (order[v.document_id], v.delivery_id))
    return [(by_id[v.document_id], v) for v in rows]


async def deliveries(
    s: AsyncSession,
    *,
    state: DeliveryState | None,
    system_id: str | None,
    limit: int,
    since: datetime | None = None,
    until: datetime | None = None,
    before: Position | None = None,
) -> list[DeliveryView]:
    """At most ``limit`` copies, most recently changed first (``updated_at``, then
    ``delivery_id``); ``system_id`` keeps the copies that system sent or receives. A copy still
    ``queued`` is not its receiver's yet (routing may still change the system): only its sender
    sees it."""
    query = view_query().where(
        *_window(DeliveryRow.updated_at, DeliveryRow.delivery_id, since, until, before)
    )
    if state is not None:
        query = query.where(DeliveryRow.state == state.value)
    if system_id is not None:
        query = query.where(
            or_(
                DocumentRow.sender_system == system_id,
                and_(
                    DeliveryRow.system_id == system_id,
                    DeliveryRow.state != DeliveryState.QUEUED.value,
                ),
            )
        )
    ordered = query.order_by(DeliveryRow.updated_at.desc(), DeliveryRow.delivery_id.desc())
    return [view(row) for row in await s.execute(ordered.limit(limit))]
