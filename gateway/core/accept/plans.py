"""The plan one accept commits (document, copies, links, status) and the work it leaves.

Everything a plan writes goes into one transaction (:meth:`gateway.core.ports.AcceptUnit.store`):
the document and its attachments' metadata, one copy per recipient in its initial state (the
delivery state machine's, :func:`gateway.core.delivery.initial_state`: ``available`` at once when
the recipient's system is known), their first events, the links of a revoke/update/replace, the
status notice, and the outbox rows of :func:`outbox`.
"""

from __future__ import annotations

from edxml import BusinessDocType, DocumentPackage, StatusCode, StatusPackage
from gateway.core import work
from gateway.core.accept.checks import as_aware, as_date, business_type, clean, priority
from gateway.core.accept.links import concerned_copy, link
from gateway.core.accept.recipients import Recipients
from gateway.core.accept.request import Incoming
from gateway.core.delivery import initial_state
from gateway.core.errors import NotFound, PackageRefused
from gateway.core.legal import LegalTime, notice_on_time, overdue
from gateway.core.model import (
    AcceptPlan,
    DeliveryState,
    DocumentLegal,
    DocumentRecord,
    MessageType,
    OutboxItem,
    StatusNoticePlan,
)
from gateway.core.ports import AcceptUnit
from gateway.core.routing import RoutingTable, code_key

_ORIGINAL_UNKNOWN = {
    "code": "LINK_ORIGINAL_UNKNOWN",
    "severity": "warning",
    "path": "Bussiness/DocumentId",
    "message": "the document this operation concerns is not known to this node: delivered to "
    "To only",
}


async def document_plan(
    unit: AcceptUnit,
    incoming: Incoming,
    pkg: DocumentPackage,
    recipients: Recipients,
    table: RoutingTable,
    legal: LegalTime | None,
) -> AcceptPlan:
    """The plan of a document package (new, revoke, update or replace)."""
    request, now = incoming.request, incoming.now
    header = pkg.header
    sender_key = code_key(incoming.sender_code)
    business = business_type(pkg)
    codes = list(request.to) if request.to else [o.organ_id or "" for o in header.to]
    found = None
    notes = [n.as_dict() for n in incoming.notes]
    if business is not BusinessDocType.NEW:
        found = await link(unit, pkg, sender_key, business)
        if request.origin_doc_id is None:
            # A pulled item names its one recipient: the upstream node already fanned out.
            codes.extend(found.extra)
        if found.related is None:
            notes.append(dict(_ORIGINAL_UNKNOWN))
    resolved = recipients.resolve(codes, now, table)
    code_number = clean(header.code.code_number) if header.code else None
    code_notation = clean(header.code.code_notation) if header.code else None
    promulgated = as_date(header.promulgation.promulgation_date) if header.promulgation else None
    due = as_date(header.due_date)
    duplicate_of = None
    if business is BusinessDocType.NEW and code_number and code_notation and promulgated:
        duplicate_of = await unit.find_semantic_duplicate(
            sender_key, code_number, code_notation, promulgated
        )
        if duplicate_of is not None:
            notes.append(
                {
                    "code": "DOCUMENT_SEMANTIC_DUPLICATE",
                    "severity": "warning",
                    "path": "Code",
                    "message": f"same number, notation and date as document {duplicate_of}",
                }
            )
    record = DocumentRecord(
        document_id=incoming.document_id,
        kind=MessageType.EDOC,
        sender_system=incoming.caller.system_id,
        sender_code=incoming.sender_code,
        sender_key=sender_key,
        sha256=incoming.sha256,
        size=len(request.data),
        accepted_at=now,
        edxml_document_id=clean(header.document_id),
        code_number=code_number,
        code_notation=code_notation,
        promulgation_date=promulgated,
        subject=header.subject,
        priority=priority(pkg),
        business_type=business.value,
        due_date=due,
        related_document_id=found.related if found else None,
        duplicate_of=duplicate_of,
        dedup_key=incoming.dedup_key,
        signature=dict(incoming.verdict.to_dict()),
        notes=tuple(notes),
        request_id=request.request_id,
        legal=legal.document(MessageType.EDOC, now, promulgated, due)
        if legal is not None
        else DocumentLegal(),
    )
    return AcceptPlan(
        document=record,
        data=request.data,
        attachments=incoming.attachments,
        recipients=recipients.plans(table, resolved, origin_doc_id=request.origin_doc_id),
        removed_deliveries=tuple(found.removed) if found else (),
        linked_deliveries=tuple(found.linked) if found else (),
    )


async def status_plan(
    unit: AcceptUnit,
    incoming: Incoming,
    pkg: StatusPackage,
    recipients: Recipients,
    table: RoutingTable,
) -> AcceptPlan:
    """The plan of a status package: recorded against the copy it concerns, routed back."""
    request, now, sender_code = incoming.request, incoming.now, incoming.sender_code
    rf = pkg.response_for
    other = clean(rf.organ_id if rf else None)
    target = clean(rf.document_id if rf else None)
    if other is None or target is None:
        raise PackageRefused(
            "ResponseFor needs OrganId and DocumentId", code="EDXML_REQUIRED", field="ResponseFor"
        )
    concerned = await concerned_copy(unit, sender_code, other, target)
    if concerned is None:
        raise NotFound(
            f"no document {target} between {other} and {sender_code} is known to this node",
            code="STATUS_UNKNOWN_DOCUMENT",
            field="ResponseFor/DocumentId",
        )
    original, copy = concerned
    resolved = recipients.resolve(list(request.to) if request.to else [other], now, table)
    status = pkg.status_code
    code_value = status.value if isinstance(status, StatusCode) else str(status or "")
    record = DocumentRecord(
        document_id=incoming.document_id,
        kind=MessageType.STATUS,
        sender_system=incoming.caller.system_id,
        sender_code=sender_code,
        sender_key=code_key(sender_code),
        sha256=incoming.sha256,
        size=len(request.data),
        accepted_at=now,
        edxml_document_id=target,
        code_number=original.code_number,
        code_notation=original.code_notation,
        promulgation_date=original.promulgation_date,
        subject=original.subject,
        priority=original.priority,
        status_code=code_value,
        related_document_id=original.document_id,
        signature=dict(incoming.verdict.to_dict()),
        notes=tuple(n.as_dict() for n in incoming.notes),
        request_id=request.request_id,
    )
    notice = StatusNoticePlan(
        delivery_id=copy.delivery_id,
        code=code_value,
        description=pkg.description,
        issued_at=as_aware(pkg.timestamp),
        from_code=sender_code,
        # The node's acceptance is the status's legal send time (docs/calendar.md).
        notice_on_time=notice_on_time(code_value, copy.kind, copy.legal, copy.received_at, now),
        overdue=overdue(code_value, copy.kind, copy.legal, now),
    )
    concerns = {code_key(other): copy.delivery_id}
    return AcceptPlan(
        document=record,
        data=request.data,
        attachments=(),
        recipients=recipients.plans(table, resolved, concerns, origin_doc_id=request.origin_doc_id),
        status_notice=notice,
    )


def outbox(plan: AcceptPlan, request_id: str | None) -> list[OutboxItem]:
    """The work an accept leaves for the broker (:mod:`gateway.core.work`): a ``route`` item per
    local copy whose system is not known yet, one ``forward`` item for the upstream copies (one
    send per package per link, listing its remote recipients), and one ``notify`` event listing
    the copies that are available at commit."""
    headers = work.request_headers(request_id)
    document_id = plan.document.document_id
    urgency = plan.document.priority
    items = [
        work.route(r.delivery_id, urgency, headers=headers)
        for r in plan.recipients
        if r.link is None and r.system_id is None
    ]
    upstream = [r.delivery_id for r in plan.recipients if r.link == work.UPSTREAM]
    if upstream:
        items.append(work.forward(document_id, upstream, urgency, headers=headers))
    offered = [
        (r.delivery_id, r.system_id)
        for r in plan.recipients
        if r.system_id is not None and initial_state(r.system_id, r.link) is DeliveryState.AVAILABLE
    ]
    if offered:
        items.append(work.notify(document_id, offered, urgency, headers=headers))
    return items
