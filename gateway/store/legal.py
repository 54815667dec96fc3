"""The store's side of the legal measures: operators' override rows, recompute's reads and writes.

Computing the measures at accept, confirm and status time writes them in the statements those
use cases already run (:mod:`gateway.store.accepting`, :meth:`SqlStore.confirm`); this module holds
what only operators call: the ``calendar_overrides`` table and the batches of
``calendar recompute``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from business_calendar.calendar import Override, OverrideKind
from gateway.core.errors import NotAllowed
from gateway.core.legal import DONE_CODE, NOTICE_CODES, StoredOverride
from gateway.core.model import CopyLegal, DocumentLegal, MessageType
from gateway.core.recompute import CopySubject, LegalSubject
from gateway.store.rows import document, view, view_query
from gateway.store.session import SessionScope, reconnecting
from gateway.store.stats_facts import chunks
from gateway.store.tables import (
    CalendarOverrideRow,
    DeliveryRow,
    DocumentRow,
    StatsMarkRow,
    StatusNoticeRow,
)

_SETTLING = sorted(NOTICE_CODES | {DONE_CODE})
#: The key under which the first receipt notice (01 or 03) of a copy is kept.
_NOTICE = "notice"


def _stored(row: CalendarOverrideRow) -> StoredOverride:
    override = Override(row.day, OverrideKind(row.kind), row.name, row.source, row.confidence)
    return StoredOverride(override, row.created_at, row.created_by)


class SqlLegal(SessionScope):
    """Override rows and recompute batches."""

    # ------------------------------------------------------------------ overrides

    @reconnecting
    async def calendar_overrides(self) -> list[StoredOverride]:
        """Every operator row, by date."""
        async with self._one() as s:
            rows = await s.scalars(select(CalendarOverrideRow).order_by(CalendarOverrideRow.day))
            return [_stored(row) for row in rows]

    async def add_calendar_override(self, row: StoredOverride) -> None:
        """Store a row; ``CALENDAR_OVERRIDE_EXISTS`` when its date has one already."""
        o = row.override
        try:
            async with self._one() as s:
                await s.execute(
                    insert(CalendarOverrideRow),
                    [
                        {
                            "day": o.day,
                            "kind": o.kind.value,
                            "name": o.name,
                            "source": o.source,
                            "confidence": o.confidence,
                            "created_at": row.created_at,
                            "created_by": row.created_by,
                        }
                    ],
                )
        except IntegrityError:
            raise NotAllowed(
                f"{o.day} already has an operator override: remove it first",
                code="CALENDAR_OVERRIDE_EXISTS",
                field="date",
            ) from None

    @reconnecting
    async def remove_calendar_override(self, day: date) -> StoredOverride | None:
        """Delete the row of ``day``; the deleted row or None."""
        async with self._tx() as s:
            row = await s.get(CalendarOverrideRow, day)
            if row is None:
                return None
            removed = _stored(row)
            await s.execute(delete(CalendarOverrideRow).where(CalendarOverrideRow.day == day))
            return removed

    # ------------------------------------------------------------------ recompute

    @reconnecting
    async def legal_subjects(
        self, since: datetime, after: tuple[datetime, str] | None, limit: int
    ) -> list[LegalSubject]:
        """Documents accepted since ``since`` (after ``after``), oldest first, with their copies
        and the acceptance of each copy's first 01/03 and first 06."""
        query = select(DocumentRow).where(DocumentRow.accepted_at >= since)
        if after is not None:
            at, document_id = after
            query = query.where(
                or_(
                    DocumentRow.accepted_at > at,
                    and_(DocumentRow.accepted_at == at, DocumentRow.document_id > document_id),
                )
            )
        query = query.order_by(DocumentRow.accepted_at, DocumentRow.document_id).limit(limit)
        async with self._tx() as s:
            documents = [document(row) for row in await s.scalars(query)]
            if not documents:
                return []
            ids = [d.document_id for d in documents]
            copies: dict[str, list[Any]] = {i: [] for i in ids}
            for row in await s.execute(
                view_query()
                .where(DeliveryRow.document_id.in_(ids))
                .order_by(DeliveryRow.created_at, DeliveryRow.delivery_id)
            ):
                found = view(row)
                copies[found.document_id].append(found)
            firsts: dict[tuple[str, str], datetime] = {}
            for delivery_id, code, first in await s.execute(
                select(
                    StatusNoticeRow.delivery_id,
                    StatusNoticeRow.code,
                    func.min(StatusNoticeRow.recorded_at),
                )
                .join(DeliveryRow, DeliveryRow.delivery_id == StatusNoticeRow.delivery_id)
                .where(DeliveryRow.document_id.in_(ids), StatusNoticeRow.code.in_(_SETTLING))
                .group_by(StatusNoticeRow.delivery_id, StatusNoticeRow.code)
            ):
                key = (delivery_id, DONE_CODE if code == DONE_CODE else _NOTICE)
                if key not in firsts or first < firsts[key]:
                    firsts[key] = first
        return [
            LegalSubject(
                d,
                tuple(
                    CopySubject(
                        c,
                        firsts.get((c.delivery_id, _NOTICE)),
                        firsts.get((c.delivery_id, DONE_CODE)),
                    )
                    for c in copies[d.document_id]
                ),
            )
            for d in documents
        ]

    @reconnecting
    async def save_legal(
        self,
        documents: Sequence[tuple[str, DocumentLegal]],
        copies: Sequence[tuple[str, CopyLegal]],
    ) -> int:
        """Write recomputed measures (one UPDATE per table, by primary key) and, in the same
        transaction, mark for the statistics worker every document copy written or of a document
        written (:class:`StatsMarkRow`); returns how many copies were marked."""
        async with self._tx() as s:
            marked = await self._mark(s, documents, copies)
            if documents:
                await s.execute(
                    update(DocumentRow),
                    [
                        {
                            "document_id": document_id,
                            "send_deadline": legal.send_deadline,
                            "sent_on_time": legal.sent_on_time,
                            "due_at": legal.due_at,
                            "calendar_version": legal.calendar_version,
                        }
                        for document_id, legal in documents
                    ],
                )
            if copies:
                await s.execute(
                    update(DeliveryRow),
                    [
                        {
                            "delivery_id": delivery_id,
                            "legal_received_at": legal.legal_received_at,
                            "received_out_of_hours": legal.received_out_of_hours,
                            "notice_deadline": legal.notice_deadline,
                            "notice_on_time": legal.notice_on_time,
                            "overdue": legal.overdue,
                            "urgent_handover_minutes": legal.urgent_handover_minutes,
                            "calendar_version": legal.calendar_version,
                        }
                        for delivery_id, legal in copies
                    ],
                )
        return marked

    async def _mark(
        self,
        s: AsyncSession,
        documents: Sequence[tuple[str, DocumentLegal]],
        copies: Sequence[tuple[str, CopyLegal]],
    ) -> int:
        """Mark the document copies among ``copies`` and those of ``documents`` with the
        calendar version they were written with (a recompute writes one version)."""
        written = [legal.calendar_version for _, legal in documents]
        written += [legal.calendar_version for _, legal in copies]
        version = next((v for v in written if v), None)
        if version is None:
            return 0
        ids = {delivery_id for delivery_id, _ in copies}
        for part in chunks(sorted({document_id for document_id, _ in documents})):
            ids.update(
                await s.scalars(
                    select(DeliveryRow.delivery_id).where(DeliveryRow.document_id.in_(part))
                )
            )
        edoc: list[str] = []
        for part in chunks(sorted(ids)):
            edoc.extend(
                await s.scalars(
                    select(DeliveryRow.delivery_id).where(
                        DeliveryRow.delivery_id.in_(part),
                        DeliveryRow.kind == MessageType.EDOC.value,
                    )
                )
            )
        if edoc:
            await s.execute(
                insert(StatsMarkRow),
                [{"delivery_id": i, "calendar_version": version} for i in sorted(edoc)],
            )
        return len(edoc)
