"""Accepting a package in one transaction: the idempotency and linking reads, then the writes.

:class:`SqlAcceptUnit` is the store side of :meth:`gateway.core.accept.Acceptor.accept`: the
acceptor opens one unit (:meth:`gateway.store.repository.SqlStore.accepting`), asks it whether the
package was already accepted, what it links to, and then stores the plan, all on one connection
in one transaction (one ``BEGIN``/``COMMIT`` instead of one per question: the round trips were the
node's largest cost, docs/benchmarks.md). The writes are bulk Core-style inserts, one statement per
table, in foreign-key order.

On PostgreSQL, :class:`gateway.store.accepting_pg.PgAcceptUnit` does the same in two round trips
of driver SQL (its module docstring).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, and_, case, func, insert, literal, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from edxml import BusinessDocType
from gateway.core.delivery import Event, initial_state, sources, target
from gateway.core.model import (
    AcceptPlan,
    DeliveryState,
    DeliveryView,
    DocumentRecord,
    EventKind,
    MessageType,
    OutboxItem,
    StatusNoticePlan,
)
from gateway.core.statuses import PROCESSING_CODES, status_rank
from gateway.store.deliveries import event
from gateway.store.outbox import insert_outbox
from gateway.store.rows import document, view, view_query
from gateway.store.tables import (
    AttachmentRow,
    AwareDateTime,
    BlobRow,
    DeliveryRow,
    DocumentRow,
    EventRow,
    StatusNoticeRow,
    core,
)

#: Status codes by rank, to advance a copy's current status only forwards in SQL.
LOWER_RANKED = {
    code: [c for c in PROCESSING_CODES if status_rank(c) < status_rank(code)]
    for code in PROCESSING_CODES
}


async def find_existing(
    s: AsyncSession, sender_system: str, sha256: str, dedup_key: str | None
) -> str | None:
    """The DocId of an identical earlier send (same bytes, or same dedup key), or None."""
    condition = and_(DocumentRow.sender_system == sender_system, DocumentRow.sha256 == sha256)
    if dedup_key is not None:
        condition = or_(condition, DocumentRow.dedup_key == dedup_key)
    found: str | None = await s.scalar(select(DocumentRow.document_id).where(condition).limit(1))
    return found


async def find_semantic_duplicate(
    s: AsyncSession, sender_key: str, code_number: str, code_notation: str, promulgated: date
) -> str | None:
    """An earlier new document with the same number, notation and date from that sender."""
    found: str | None = await s.scalar(
        select(DocumentRow.document_id)
        .where(
            DocumentRow.sender_key == sender_key,
            DocumentRow.code_number == code_number,
            DocumentRow.code_notation == code_notation,
            DocumentRow.promulgation_date == promulgated,
            DocumentRow.kind == MessageType.EDOC.value,
            DocumentRow.business_type == BusinessDocType.NEW.value,
        )
        .order_by(DocumentRow.accepted_at)
        .limit(1)
    )
    return found


async def find_document(
    s: AsyncSession, sender_key: str, edxml_document_id: str, kind: MessageType
) -> DocumentRecord | None:
    """The latest new-document package with that edXML DocumentId from that sender."""
    row = await s.scalar(
        select(DocumentRow)
        .where(
            DocumentRow.sender_key == sender_key,
            DocumentRow.edxml_document_id == edxml_document_id,
            DocumentRow.kind == kind.value,
            DocumentRow.business_type == BusinessDocType.NEW.value,
        )
        .order_by(DocumentRow.accepted_at.desc())
        .limit(1)
    )
    return None if row is None else document(row)


async def find_origin(s: AsyncSession, origin_doc_id: str) -> str | None:
    """The DocId of the document whose copy was pulled as upstream item ``origin_doc_id``."""
    found: str | None = await s.scalar(
        select(DeliveryRow.document_id).where(DeliveryRow.origin_doc_id == origin_doc_id)
    )
    return found


async def deliveries_of(s: AsyncSession, document_id: str) -> list[DeliveryView]:
    """Every copy of a document, in creation order."""
    result = await s.execute(
        view_query()
        .where(DeliveryRow.document_id == document_id)
        .order_by(DeliveryRow.created_at, DeliveryRow.delivery_id)
    )
    return [view(row) for row in result]


def _insert_blob(dialect: str) -> Any:
    """INSERT of a blob that does nothing when the same bytes are already stored."""
    if dialect == "postgresql":
        return postgresql.insert(core(BlobRow)).on_conflict_do_nothing(index_elements=["sha256"])
    return sqlite.insert(core(BlobRow)).on_conflict_do_nothing(index_elements=["sha256"])


async def store_plan(
    s: AsyncSession,
    dialect: str,
    plan: AcceptPlan,
    outbox: Sequence[OutboxItem],
    *,
    claim: bool = False,
) -> list[OutboxItem]:
    """Write the package, its copies, their first events, statuses, links and outbox rows;
    returns the outbox rows inserted claimed (``claim``, :func:`gateway.store.outbox.
    insert_outbox`)."""
    doc = plan.document
    now = doc.accepted_at
    actor = doc.sender_system
    await s.execute(
        _insert_blob(dialect),
        [{"sha256": doc.sha256, "size": doc.size, "data": plan.data, "created_at": now}],
    )
    await s.execute(
        insert(core(DocumentRow)),
        [
            {
                "document_id": doc.document_id,
                "kind": doc.kind.value,
                "sender_system": doc.sender_system,
                "sender_code": doc.sender_code,
                "sender_key": doc.sender_key,
                "sha256": doc.sha256,
                "size": doc.size,
                "accepted_at": now,
                "edxml_document_id": doc.edxml_document_id,
                "dedup_key": doc.dedup_key,
                "code_number": doc.code_number,
                "code_notation": doc.code_notation,
                "promulgation_date": doc.promulgation_date,
                "due_date": doc.due_date,
                "subject": doc.subject,
                "priority": doc.priority,
                "business_type": doc.business_type,
                "status_code": doc.status_code,
                "related_document_id": doc.related_document_id,
                "duplicate_of": doc.duplicate_of,
                "signature": doc.signature,
                "notes": list(doc.notes),
                "request_id": doc.request_id,
                "send_deadline": doc.legal.send_deadline,
                "sent_on_time": doc.legal.sent_on_time,
                "due_at": doc.legal.due_at,
                "calendar_version": doc.legal.calendar_version,
            }
        ],
    )
    if plan.attachments:
        await s.execute(
            insert(core(AttachmentRow)),
            [
                {
                    "document_id": doc.document_id,
                    "position": a.position,
                    "name": a.name,
                    "content_type": a.content_type,
                    "size": a.size,
                    "sha256": a.sha256,
                    "is_zip": a.is_zip,
                }
                for a in plan.attachments
            ],
        )
    await _insert_copies(s, plan, now)
    events = accepted_events(plan, now, actor)
    link = {"document_id": doc.document_id, "business_type": doc.business_type}
    events += [event(d, EventKind.LINKED, now, actor, link) for d in plan.linked_deliveries]
    if plan.removed_deliveries:
        # Event.REMOVE: only the copies the table lets go (a received copy stays received).
        removed = await s.scalars(
            update(DeliveryRow)
            .where(
                DeliveryRow.delivery_id.in_(list(plan.removed_deliveries)),
                DeliveryRow.state.in_(sources(Event.REMOVE)),
            )
            .values(state=target(Event.REMOVE).value, updated_at=now)
            .returning(DeliveryRow.delivery_id)
        )
        events += [event(d, EventKind.REMOVED, now, actor, link) for d in removed]
    events += await _record_status(s, plan, now)
    if events:
        await s.execute(insert(core(EventRow)), events)
    return await insert_outbox(s, outbox, now, claim=claim)


async def add_copies(
    s: AsyncSession,
    plan: AcceptPlan,
    now: datetime,
    actor: str,
    outbox: Sequence[OutboxItem],
    *,
    claim: bool = False,
) -> list[OutboxItem]:
    """New copies of a stored document (a pulled package's next recipient), with their first
    events and outbox rows (returned when inserted claimed, as :func:`store_plan`)."""
    await _insert_copies(s, plan, now)
    events = accepted_events(plan, now, actor)
    if events:
        await s.execute(insert(core(EventRow)), events)
    return await insert_outbox(s, outbox, now, claim=claim)


async def _insert_copies(s: AsyncSession, plan: AcceptPlan, now: datetime) -> None:
    """One row per copy, in its initial state: ``available`` at once when its system is known
    (visible at commit, :func:`gateway.core.delivery.initial_state`)."""
    doc = plan.document
    if not plan.recipients:
        return
    rows = []
    for r in plan.recipients:
        state = initial_state(r.system_id, r.link)
        rows.append(
            {
                "delivery_id": r.delivery_id,
                "document_id": doc.document_id,
                "kind": doc.kind.value,
                "priority": doc.priority,
                "requested_code": r.requested_code,
                "code": r.code,
                "code_key": r.code_key,
                "system_id": r.system_id,
                "state": state.value,
                "created_at": now,
                "updated_at": now,
                "available_at": now if state is DeliveryState.AVAILABLE else None,
                "receiver_failures": 0,
                "concerns_delivery_id": r.concerns_delivery_id,
                "link": r.link,
                "origin_doc_id": r.origin_doc_id,
            }
        )
    await s.execute(insert(core(DeliveryRow)), rows)


def accepted_events(plan: AcceptPlan, now: datetime, actor: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    document_id = plan.document.document_id
    for r in plan.recipients:
        detail: dict[str, Any] = {"code": r.code, "document_id": document_id}
        if r.origin_doc_id is not None:
            detail["origin_doc_id"] = r.origin_doc_id
        events.append(event(r.delivery_id, EventKind.ACCEPTED, now, actor, detail))
        if r.redirects:
            redirects = {"redirects": list(r.redirects)}
            events.append(event(r.delivery_id, EventKind.REDIRECTED, now, actor, redirects))
        if initial_state(r.system_id, r.link) is DeliveryState.AVAILABLE:
            offered = {"system_id": r.system_id}
            events.append(event(r.delivery_id, EventKind.AVAILABLE, now, actor, offered))
    return events


def _settled(notice: StatusNoticePlan) -> dict[str, Any]:
    """The copy's legal measures a status settles; the first 01/03 and the first 06 win."""
    values: dict[str, Any] = {}
    if notice.notice_on_time is not None:
        values["notice_on_time"] = func.coalesce(
            DeliveryRow.notice_on_time, literal(notice.notice_on_time, Boolean)
        )
    if notice.overdue is not None:
        values["overdue"] = func.coalesce(DeliveryRow.overdue, literal(notice.overdue, Boolean))
    return values


async def _record_status(s: AsyncSession, plan: AcceptPlan, now: datetime) -> list[dict[str, Any]]:
    """Record a status notice against its copy; returns the copy's ``status`` event."""
    notice = plan.status_notice
    if notice is None:
        return []
    await s.execute(
        insert(core(StatusNoticeRow)),
        [
            {
                "delivery_id": notice.delivery_id,
                "status_document_id": plan.document.document_id,
                "code": notice.code,
                "description": notice.description,
                "issued_at": notice.issued_at,
                "recorded_at": now,
                "from_code": notice.from_code,
            }
        ],
    )
    lower = LOWER_RANKED.get(notice.code)
    settled = _settled(notice)
    if lower is not None:
        # Out-of-order statuses keep their history; the current state is the furthest reached.
        advance = or_(DeliveryRow.status_code.is_(None), DeliveryRow.status_code.in_(lower))
        if not settled:
            await s.execute(
                update(DeliveryRow)
                .where(DeliveryRow.delivery_id == notice.delivery_id, advance)
                .values(status_code=notice.code, status_at=notice.issued_at or now, updated_at=now)
            )
        else:
            # Same statement (no extra round trip): the legal measure is settled even when the
            # status arrives out of order and does not advance the copy.
            at = literal(notice.issued_at or now, AwareDateTime)
            await s.execute(
                update(DeliveryRow)
                .where(DeliveryRow.delivery_id == notice.delivery_id)
                .values(
                    status_code=case((advance, notice.code), else_=DeliveryRow.status_code),
                    status_at=case((advance, at), else_=DeliveryRow.status_at),
                    updated_at=case(
                        (advance, literal(now, AwareDateTime)), else_=DeliveryRow.updated_at
                    ),
                    **settled,
                )
            )
    return status_event(plan, notice, now)


def status_event(plan: AcceptPlan, notice: StatusNoticePlan, now: datetime) -> list[dict[str, Any]]:
    """The ``status`` event of the copy a status notice concerns."""
    detail = {
        "status": notice.code,
        "description": notice.description,
        "issued_at": notice.issued_at.isoformat() if notice.issued_at else None,
        "status_document_id": plan.document.document_id,
    }
    return [event(notice.delivery_id, EventKind.STATUS, now, plan.document.sender_system, detail)]


class SqlAcceptUnit:
    """The reads and the write of one accept, on one session in one transaction.

    ``claim``: the outbox rows are inserted claimed for this process's relay and collected in
    :attr:`claimed`, handed to the relay once the transaction committed
    (:meth:`gateway.store.repository.SqlStore.accepting`).
    """

    def __init__(self, session: AsyncSession, dialect: str, *, claim: bool = False) -> None:
        self._s = session
        self._dialect = dialect
        self._claim = claim
        self.claimed: list[OutboxItem] = []

    async def find_existing(
        self, sender_system: str, sha256: str, dedup_key: str | None
    ) -> str | None:
        """The DocId of an identical earlier send, or None."""
        return await find_existing(self._s, sender_system, sha256, dedup_key)

    async def find_semantic_duplicate(
        self, sender_key: str, code_number: str, code_notation: str, promulgation_date: date
    ) -> str | None:
        """An earlier document of the same sender with the same number, notation and date."""
        return await find_semantic_duplicate(
            self._s, sender_key, code_number, code_notation, promulgation_date
        )

    async def find_document(
        self, sender_key: str, edxml_document_id: str, kind: MessageType = MessageType.EDOC
    ) -> DocumentRecord | None:
        """The latest new-document package with that edXML DocumentId."""
        return await find_document(self._s, sender_key, edxml_document_id, kind)

    async def deliveries_of(self, document_id: str) -> list[DeliveryView]:
        """Every copy of a document."""
        return await deliveries_of(self._s, document_id)

    async def store(self, plan: AcceptPlan, outbox: Sequence[OutboxItem]) -> None:
        """Write the plan (committed when the unit closes without an error)."""
        self.claimed += await store_plan(self._s, self._dialect, plan, outbox, claim=self._claim)

    async def find_origin(self, origin_doc_id: str) -> str | None:
        """The DocId whose copy came from upstream item ``origin_doc_id``, or None."""
        return await find_origin(self._s, origin_doc_id)

    async def document(self, document_id: str) -> DocumentRecord | None:
        """One stored document."""
        row = await self._s.get(DocumentRow, document_id)
        return None if row is None else document(row)

    async def add_copies(
        self, plan: AcceptPlan, now: datetime, actor: str, outbox: Sequence[OutboxItem]
    ) -> None:
        """New copies of the stored ``plan.document`` (see :func:`add_copies`)."""
        self.claimed += await add_copies(self._s, plan, now, actor, outbox, claim=self._claim)
