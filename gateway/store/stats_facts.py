"""The current facts of copies and documents, loaded from the raw tables for the statistics.

:func:`load_facts` is what a tick of the statistics worker reads of the copies its history
entries (or ``calendar recompute``'s marks) name, and :meth:`SqlStats.stats_raw
<gateway.store.stats.SqlStats.stats_raw>` of every copy for the brute-force recount: the copy's
row with its document's, its counted statuses, its failures and replays.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import BigInteger, String, any_, bindparam, case, func, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.core.stats.facts import COUNTED_STATUSES, CopyFact, DocumentFact
from gateway.store.tables import DeliveryRow, DocumentRow, EventRow, StatusNoticeRow

#: Ids per ``IN (...)`` list (SQLite allows 32 766 parameters per statement).
CHUNK = 500
_EDOC = "edoc"
#: The history entry of an operator's replay (the replay use case of the operator console).
REPLAYED = "replayed"
#: History entries the facts read: failures (with their code), reports, replays.
_HISTORY_KINDS = ("failed", "reported", REPLAYED)


def chunks(items: Sequence[str]) -> Iterable[list[str]]:
    """``items`` in lists of :data:`CHUNK`."""
    for start in range(0, len(items), CHUNK):
        yield list(items[start : start + CHUNK])


def among(s: AsyncSession, column: Any, values: Sequence[Any]) -> Any:
    """``column IN values``: on PostgreSQL one array parameter (``= ANY($1)``), compiled once
    and parsed once whatever the count; an expanding ``IN`` list elsewhere. A worker's tick
    names hundreds of ids per statement: the expanding list cost most of its CPU."""
    bind = s.bind
    if bind is not None and bind.dialect.name == "postgresql":
        kind = BigInteger() if values and isinstance(values[0], int) else String()
        array = bindparam(None, list(values), type_=postgresql.ARRAY(kind), unique=True)
        return column == any_(array)
    return column.in_(list(values))


async def load_facts(
    s: AsyncSession, delivery_ids: Sequence[str]
) -> tuple[list[DocumentFact], list[CopyFact]]:
    """The current facts of these copies (document copies only) and of their documents."""
    copies: list[CopyFact] = []
    document_ids: set[str] = set()
    for ids in chunks(sorted(set(delivery_ids))):
        statuses: dict[str, list[tuple[str, str | None]]] = {}
        for delivery_id, code, description in await s.execute(
            select(StatusNoticeRow.delivery_id, StatusNoticeRow.code, StatusNoticeRow.description)
            .where(
                among(s, StatusNoticeRow.delivery_id, ids),
                StatusNoticeRow.code.in_(COUNTED_STATUSES),
            )
            .order_by(StatusNoticeRow.notice_id)
        ):
            statuses.setdefault(delivery_id, []).append((code, description))
        failures: dict[str, str | None] = {}
        replays: set[str] = set()
        for delivery_id, kind, detail in await s.execute(
            select(EventRow.delivery_id, EventRow.kind, EventRow.detail)
            .where(among(s, EventRow.delivery_id, ids), EventRow.kind.in_(_HISTORY_KINDS))
            .order_by(EventRow.event_id)
        ):
            detail = detail or {}
            if kind == REPLAYED:
                replays.add(delivery_id)
            elif kind == "failed" or detail.get("state") == "failed":
                failure = detail.get("code")
                failures[delivery_id] = failure if isinstance(failure, str) and failure else None
        rows = await s.execute(
            select(
                DeliveryRow.delivery_id,
                DeliveryRow.document_id,
                DeliveryRow.code_key,
                DeliveryRow.created_at,
                DeliveryRow.priority,
                DeliveryRow.state,
                DeliveryRow.link,
                DeliveryRow.origin_doc_id,
                DeliveryRow.available_at,
                DeliveryRow.received_at,
                DeliveryRow.received_out_of_hours,
                DeliveryRow.notice_deadline,
                DeliveryRow.notice_on_time,
                DeliveryRow.overdue,
                DocumentRow.sender_key,
                DocumentRow.due_at,
            )
            .join(DocumentRow, DocumentRow.document_id == DeliveryRow.document_id)
            .where(among(s, DeliveryRow.delivery_id, ids), DeliveryRow.kind == _EDOC)
        )
        for r in rows:
            document_ids.add(r.document_id)
            copies.append(
                CopyFact(
                    delivery_id=r.delivery_id,
                    sender=r.sender_key,
                    recipient=r.code_key,
                    created_at=r.created_at,
                    priority=r.priority,
                    state=r.state,
                    link=r.link,
                    pulled=r.origin_doc_id is not None,
                    available_at=r.available_at,
                    received_at=r.received_at,
                    received_out_of_hours=r.received_out_of_hours,
                    notice_deadline=r.notice_deadline,
                    notice_on_time=r.notice_on_time,
                    overdue=r.overdue,
                    due_at=r.due_at,
                    failure_code=failures.get(r.delivery_id),
                    failed_before=r.delivery_id in failures,
                    statuses=tuple(statuses.get(r.delivery_id, ())),
                    replay_entry=r.delivery_id in replays,
                )
            )
    return await load_documents(s, sorted(document_ids)), copies


async def load_documents(s: AsyncSession, document_ids: Sequence[str]) -> list[DocumentFact]:
    """The current facts of these documents (edXML documents only)."""
    out: list[DocumentFact] = []
    for ids in chunks(document_ids):
        links = {
            document_id: (bool(upstream), bool(pulled))
            for document_id, upstream, pulled in await s.execute(
                select(
                    DeliveryRow.document_id,
                    func.max(case((DeliveryRow.link == "upstream", 1), else_=0)),
                    func.max(case((DeliveryRow.origin_doc_id.is_not(None), 1), else_=0)),
                )
                .where(among(s, DeliveryRow.document_id, ids))
                .group_by(DeliveryRow.document_id)
            )
        }
        for r in await s.execute(
            select(
                DocumentRow.document_id,
                DocumentRow.sender_key,
                DocumentRow.accepted_at,
                DocumentRow.priority,
                DocumentRow.business_type,
                DocumentRow.code_notation,
                DocumentRow.signature,
                DocumentRow.sent_on_time,
            ).where(among(s, DocumentRow.document_id, ids), DocumentRow.kind == _EDOC)
        ):
            upstream, pulled = links.get(r.document_id, (False, False))
            klass = (r.signature or {}).get("class")
            out.append(
                DocumentFact(
                    document_id=r.document_id,
                    sender=r.sender_key,
                    accepted_at=r.accepted_at,
                    priority=r.priority,
                    business_type=r.business_type,
                    code_notation=r.code_notation,
                    signature_class=klass if isinstance(klass, str) else None,
                    sent_on_time=r.sent_on_time,
                    upstream=upstream,
                    pulled=pulled,
                )
            )
    return out
