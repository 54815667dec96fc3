"""What the native exchange API shows: domain objects of :mod:`gateway.core.model` as the REST
models of :mod:`schemas.exchange` (conversions live at the edges, design.md §2), and the error
responses its routes document.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from gateway.api.errors import ERROR_RESPONSES
from gateway.core.legal import copy_measures
from gateway.core.model import (
    ConfirmOutcome,
    DeliveryView,
    DocumentRecord,
    DocumentTrace,
    EventKind,
    MessageType,
)
from schemas.calendar import CopyLegalInfo, DocumentLegalInfo
from schemas.errors import ErrorBody
from schemas.exchange import (
    AttachmentMeta,
    ConfirmResult,
    CopyState,
    DeliveryInfo,
    Direction,
    DocumentFacts,
    DocumentTraceReport,
    InboxItem,
    MessageKind,
    RecipientTrace,
    StatusNoticeInfo,
    TraceEvent,
)

#: Error responses every authenticated route of the native exchange API may answer.
AUTH_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {
        "model": ErrorBody,
        "description": "AUTH_TOKEN_MISSING, AUTH_SCHEME, AUTH_TOKEN or AUTH_DISABLED; "
        "with `WWW-Authenticate: Bearer`.",
    },
    **ERROR_RESPONSES,
    503: {
        "model": ErrorBody,
        "description": "STORE_UNAVAILABLE (nothing was stored) or NOT_READY (starting/stopping).",
    },
}
#: The 404 of routes that take a copy or document id.
UNKNOWN_RESPONSE: dict[int | str, dict[str, Any]] = {
    404: {
        "model": ErrorBody,
        "description": "DOCUMENT_UNKNOWN: no such id for the caller (another system's ids answer "
        "exactly like unknown ones).",
    }
}


def message_type(kind: MessageKind) -> MessageType:
    """The domain's message type of a wire kind."""
    return MessageType(kind.value)


def _kind(kind: MessageType) -> MessageKind:
    return MessageKind(kind.value)


def _state(copy: DeliveryView) -> CopyState:
    return CopyState(copy.state.value)


def inbox_item(copy: DeliveryView) -> InboxItem:
    """One item of the caller's pull list."""
    return InboxItem(
        delivery_id=copy.delivery_id,
        document_id=copy.document_id,
        kind=_kind(copy.kind),
        sender=copy.sender_code,
        to=copy.code,
        priority=copy.priority,
        created_at=copy.created_at,
        updated_at=copy.updated_at,
        subject=copy.subject,
        number=copy.code_number,
        notation=copy.code_notation,
        receiver_failures=copy.receiver_failures,
    )


def direction(copy: DeliveryView, system_id: str) -> Direction:
    """How ``copy`` concerns the system ``system_id``."""
    sent = copy.sender_system == system_id
    received = copy.system_id == system_id
    if sent and received:
        return Direction.BOTH
    return Direction.SENT if sent else Direction.RECEIVED


def document_legal(doc: DocumentRecord) -> DocumentLegalInfo | None:
    """A document's legal measures (none for status packages)."""
    if doc.kind is not MessageType.EDOC:
        return None
    legal = doc.legal
    return DocumentLegalInfo(
        sent_at=doc.accepted_at,
        send_deadline=legal.send_deadline,
        sent_on_time=legal.sent_on_time,
        due_at=legal.due_at,
        calendar_version=legal.calendar_version,
    )


def copy_legal(copy: DeliveryView, now: datetime) -> CopyLegalInfo:
    """A copy's legal measures as of ``now`` (the verdicts still awaiting a status)."""
    legal = copy_measures(copy, now)
    return CopyLegalInfo(
        sent_at=copy.created_at,
        received_at=copy.received_at,
        legal_received_at=legal.legal_received_at,
        received_out_of_hours=legal.received_out_of_hours,
        notice_deadline=legal.notice_deadline,
        notice_on_time=legal.notice_on_time,
        due_at=legal.due_at,
        overdue=legal.overdue,
        urgent_handover_minutes=legal.urgent_handover_minutes,
        calendar_version=legal.calendar_version,
    )


def delivery_info(copy: DeliveryView, system_id: str, now: datetime) -> DeliveryInfo:
    """A copy as the system ``system_id`` (its sender or its receiver) sees it at ``now``."""
    return DeliveryInfo(
        delivery_id=copy.delivery_id,
        document_id=copy.document_id,
        kind=_kind(copy.kind),
        direction=direction(copy, system_id),
        state=_state(copy),
        sender=copy.sender_code,
        to=copy.code,
        requested_to=copy.requested_code,
        subject=copy.subject,
        number=copy.code_number,
        notation=copy.code_notation,
        priority=copy.priority,
        created_at=copy.created_at,
        updated_at=copy.updated_at,
        available_at=copy.available_at,
        received_at=copy.received_at,
        next_attempt_at=copy.next_attempt_at,
        receiver_failures=copy.receiver_failures,
        last_error=copy.last_error,
        status_code=copy.status_code,
        status_at=copy.status_at,
        legal=copy_legal(copy, now),
    )


def confirm_result(outcome: ConfirmOutcome) -> ConfirmResult:
    """A copy after ``confirm``."""
    copy = outcome.delivery
    return ConfirmResult(
        delivery_id=copy.delivery_id,
        state=_state(copy),
        changed=outcome.changed,
        receiver_failures=copy.receiver_failures,
        updated_at=copy.updated_at,
        received_at=copy.received_at,
        next_attempt_at=copy.next_attempt_at,
    )


def _facts(doc: DocumentRecord, trace: DocumentTrace) -> DocumentFacts:
    return DocumentFacts(
        document_id=doc.document_id,
        kind=_kind(doc.kind),
        sender_system=doc.sender_system,
        sender=doc.sender_code,
        accepted_at=doc.accepted_at,
        size=doc.size,
        sha256=doc.sha256,
        edxml_document_id=doc.edxml_document_id,
        number=doc.code_number,
        notation=doc.code_notation,
        promulgation_date=doc.promulgation_date,
        subject=doc.subject,
        priority=doc.priority,
        business_type=doc.business_type,
        due_date=doc.due_date,
        status_code=doc.status_code,
        related_document_id=doc.related_document_id,
        duplicate_of=doc.duplicate_of,
        signature=dict(doc.signature),
        notes=[dict(note) for note in doc.notes],
        attachments=[
            AttachmentMeta(
                position=a.position,
                name=a.name,
                content_type=a.content_type,
                size=a.size,
                sha256=a.sha256,
                is_zip=a.is_zip,
            )
            for a in trace.attachments
        ],
        legal=document_legal(doc),
    )


def _recipient(copy: DeliveryView, trace: DocumentTrace, now: datetime) -> RecipientTrace:
    events = trace.events.get(copy.delivery_id, ())
    return RecipientTrace(
        delivery_id=copy.delivery_id,
        requested_code=copy.requested_code,
        code=copy.code,
        redirected=any(e.kind is EventKind.REDIRECTED for e in events),
        system_id=copy.system_id,
        state=_state(copy),
        created_at=copy.created_at,
        available_at=copy.available_at,
        received_at=copy.received_at,
        updated_at=copy.updated_at,
        next_attempt_at=copy.next_attempt_at,
        receiver_failures=copy.receiver_failures,
        last_error=copy.last_error,
        events=[
            TraceEvent(kind=e.kind.value, at=e.at, actor=e.actor, detail=dict(e.detail))
            for e in events
        ],
        statuses=[
            StatusNoticeInfo(
                code=n.code,
                description=n.description,
                issued_at=n.issued_at,
                recorded_at=n.recorded_at,
                sender=n.from_code,
                status_document_id=n.status_document_id,
            )
            for n in trace.statuses.get(copy.delivery_id, ())
        ],
        legal=copy_legal(copy, now),
    )


def trace_report(trace: DocumentTrace, now: datetime) -> DocumentTraceReport:
    """A document with every recipient copy, its events, statuses and legal measures."""
    return DocumentTraceReport(
        document=_facts(trace.document, trace),
        recipients=[_recipient(copy, trace, now) for copy in trace.deliveries],
    )
