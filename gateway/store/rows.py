"""Rows to domain records, and the query every view of a copy starts from.

The domain dataclasses of :mod:`gateway.core.model` are built here from rows (design.md §2: three
kinds of model, conversions at the edges).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select

from gateway.core.model import (
    CopyLegal,
    DeliveryState,
    DeliveryView,
    DocumentLegal,
    DocumentRecord,
    MessageType,
    System,
)
from gateway.store.tables import DeliveryRow, DocumentRow, SystemRow

#: Columns of a copy's view: the copy plus what it needs of its document.
VIEW_COLUMNS = (
    DeliveryRow,
    DocumentRow.sender_system,
    DocumentRow.sender_code,
    DocumentRow.sha256,
    DocumentRow.subject,
    DocumentRow.code_number,
    DocumentRow.code_notation,
    DocumentRow.due_at,  # read by name (``row.due_at``): the copy's ``overdue`` needs it
)


def view_query() -> Any:  # a Select of the view columns

    return select(*VIEW_COLUMNS).join(
        DocumentRow, DocumentRow.document_id == DeliveryRow.document_id
    )


def view(row: Any) -> DeliveryView:
    d: DeliveryRow = row[0]
    return DeliveryView(
        delivery_id=d.delivery_id,
        document_id=d.document_id,
        kind=MessageType(d.kind),
        state=DeliveryState(d.state),
        priority=d.priority,
        requested_code=d.requested_code,
        code=d.code,
        system_id=d.system_id,
        link=d.link,
        upstream_doc_id=d.upstream_doc_id,
        origin_doc_id=d.origin_doc_id,
        sender_system=row[1],
        sender_code=row[2],
        sha256=row[3],
        created_at=d.created_at,
        updated_at=d.updated_at,
        available_at=d.available_at,
        received_at=d.received_at,
        next_attempt_at=d.next_attempt_at,
        receiver_failures=d.receiver_failures,
        last_error=d.last_error,
        status_code=d.status_code,
        status_at=d.status_at,
        subject=row[4],
        code_number=row[5],
        code_notation=row[6],
        legal=copy_legal(d, row.due_at),
        fail_code=d.fail_code,
    )


def copy_legal(d: DeliveryRow, due_at: datetime | None) -> CopyLegal:
    """A copy's stored legal measures, with its document's due time."""
    return CopyLegal(
        legal_received_at=d.legal_received_at,
        received_out_of_hours=d.received_out_of_hours,
        notice_deadline=d.notice_deadline,
        notice_on_time=d.notice_on_time,
        overdue=d.overdue,
        urgent_handover_minutes=d.urgent_handover_minutes,
        calendar_version=d.calendar_version,
        due_at=due_at,
    )


def document(row: DocumentRow) -> DocumentRecord:
    return DocumentRecord(
        document_id=row.document_id,
        kind=MessageType(row.kind),
        sender_system=row.sender_system,
        sender_code=row.sender_code,
        sender_key=row.sender_key,
        sha256=row.sha256,
        size=row.size,
        accepted_at=row.accepted_at,
        edxml_document_id=row.edxml_document_id,
        code_number=row.code_number,
        code_notation=row.code_notation,
        promulgation_date=row.promulgation_date,
        subject=row.subject,
        priority=row.priority,
        business_type=row.business_type,
        due_date=row.due_date,
        status_code=row.status_code,
        related_document_id=row.related_document_id,
        duplicate_of=row.duplicate_of,
        dedup_key=row.dedup_key,
        signature=dict(row.signature or {}),
        notes=tuple(row.notes or ()),
        request_id=row.request_id,
        legal=DocumentLegal(
            send_deadline=row.send_deadline,
            sent_on_time=row.sent_on_time,
            due_at=row.due_at,
            calendar_version=row.calendar_version,
        ),
    )


def system(row: SystemRow, grants: Sequence[str]) -> System:
    return System(
        system_id=row.system_id,
        grants=tuple(sorted(grants)),
        enabled=row.enabled,
        admin=row.admin,
        node_link=row.node_link,
        created_at=row.created_at,
        description=row.description,
    )
