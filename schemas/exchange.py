"""Bodies of the native exchange API (``/api/v1/documents``, ``/inbox``, ``/sent``, ...).

The native API offers what the VXP-compatible API offers (send, pull list, fetch, confirm, sent
list, trace), with typed JSON bodies instead of the SDK's envelopes. Every timestamp is ISO 8601 in
+07:00 (:data:`schemas.timestamps.VnDateTime`); dates of the document itself (promulgation, due
date) are plain ISO dates. Field names of these models are the wire names, except ``from``, a
Python keyword, which the models spell ``sender`` and serialise as ``from``.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from schemas.calendar import CopyLegalInfo, DocumentLegalInfo
from schemas.timestamps import VnDateTime

#: Longest reason a receiving system may give with ``confirm`` (characters).
MAX_REASON_LENGTH = 2000


class MessageKind(StrEnum):
    """What a package is: an edXML document or a status package (VXP ``messagetype``)."""

    EDOC = "edoc"
    STATUS = "status"


class CopyState(StrEnum):
    """Where one recipient's copy stands.

    ``queued`` (accepted, being routed) → ``available`` (in the recipient's inbox) → ``received``
    (the recipient confirmed ``done``); ``failed`` when the node gave up (no system serves the
    recipient, too many ``fail`` confirmations); ``removed`` when an update dropped the recipient;
    ``forwarded`` when the copy was handed on to another node (docs/axes.md: a provincial node's
    copy for outside its province, a national node's copy a provincial node pulled), until the
    final recipient's confirmation comes back (``received``) or a refusal (``failed``).
    """

    QUEUED = "queued"
    AVAILABLE = "available"
    RECEIVED = "received"
    FAILED = "failed"
    REMOVED = "removed"
    FORWARDED = "forwarded"


class ConfirmStatus(StrEnum):
    """What a receiving system reports about a copy it fetched."""

    DONE = "done"
    FAIL = "fail"


class Direction(StrEnum):
    """How a copy concerns the caller: it sent the document, receives the copy, or both."""

    SENT = "sent"
    RECEIVED = "received"
    BOTH = "both"


class _Body(BaseModel):
    model_config = ConfigDict(frozen=True, serialize_by_alias=True, validate_by_name=True)


class SendResult(_Body):
    """What ``POST /api/v1/documents`` answers."""

    document_id: str = Field(
        description="The node's id of the accepted document (the VXP DocId).",
        examples=["5f9f7df6-2dd3-4e1f-8d82-d04b1590ca39"],
    )
    created: bool = Field(
        description="False when the same package was sent before: the original id is returned "
        "and nothing new is stored (sends are idempotent)."
    )


class InboxItem(_Body):
    """One copy waiting in the caller's inbox (the VXP pull list, typed)."""

    delivery_id: str = Field(description="Id of this copy: fetch and confirm it by this id.")
    document_id: str = Field(description="The node's id of the document (the sender's DocId).")
    kind: MessageKind
    sender: str = Field(
        validation_alias="from",
        serialization_alias="from",
        description="Agency code of the sender (From/OrganId).",
    )
    to: str = Field(description="Agency code this copy is addressed to (after succession).")
    priority: int = Field(description="edXML Priority: 0 normal ... 4 most urgent.")
    created_at: VnDateTime = Field(description="When the node accepted the document.")
    updated_at: VnDateTime = Field(description="Last change of this copy.")
    subject: str | None = Field(default=None, description="Trích yếu (Subject).")
    number: str | None = Field(default=None, description="Số (CodeNumber).")
    notation: str | None = Field(default=None, description="Ký hiệu (CodeNotation).")
    receiver_failures: int = Field(
        description="How many times the caller confirmed ``fail`` on this copy (offered again)."
    )


class InboxCount(_Body):
    """How many copies of one kind wait for the caller."""

    kind: MessageKind
    count: int = Field(ge=0)


class ConfirmRequest(_Body):
    """Body of ``POST /api/v1/inbox/{delivery_id}/confirm``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    status: ConfirmStatus = Field(
        description="``done``: the package entered the caller's system; ``fail``: it could not, "
        "offer it again later (a bounded number of times, then the copy is ``failed``)."
    )
    reason: str | None = Field(
        default=None,
        max_length=MAX_REASON_LENGTH,
        description="Why the caller failed on the package (recorded in the trace).",
    )


class ConfirmResult(_Body):
    """The copy after a confirmation."""

    delivery_id: str
    state: CopyState
    changed: bool = Field(
        description="False when the call repeated an earlier confirmation (idempotent)."
    )
    receiver_failures: int
    updated_at: VnDateTime
    received_at: VnDateTime | None = None
    next_attempt_at: VnDateTime | None = Field(
        default=None, description="After ``fail``: when the copy is offered again."
    )


class DeliveryInfo(_Body):
    """One recipient copy as its sender or its receiver may see it."""

    delivery_id: str
    document_id: str
    kind: MessageKind
    direction: Direction = Field(description="How the copy concerns the caller.")
    state: CopyState
    sender: str = Field(
        validation_alias="from",
        serialization_alias="from",
        description="Agency code of the sender.",
    )
    to: str = Field(description="Agency code the copy goes to (after succession).")
    requested_to: str = Field(description="Agency code as the sender addressed it.")
    subject: str | None = None
    number: str | None = None
    notation: str | None = None
    priority: int
    created_at: VnDateTime = Field(description="When the node accepted the document.")
    updated_at: VnDateTime
    available_at: VnDateTime | None = Field(
        default=None, description="When the copy entered the recipient's inbox."
    )
    received_at: VnDateTime | None = Field(
        default=None, description="When the recipient confirmed ``done``."
    )
    next_attempt_at: VnDateTime | None = None
    receiver_failures: int = 0
    last_error: str | None = Field(
        default=None, description="Why the copy failed or was last offered again."
    )
    status_code: str | None = Field(
        default=None, description="Latest status (01..16) reported about this copy."
    )
    status_at: VnDateTime | None = None
    legal: CopyLegalInfo | None = Field(
        default=None, description="The copy's legal measures (docs/calendar.md)."
    )


class DeliveryPage(_Body):
    """One page of ``/sent`` or ``/deliveries``: its rows and where the next page starts."""

    items: list[DeliveryInfo]
    next_cursor: str | None = Field(
        description="Pass as `cursor` (with the same filters) for the next page; null on the "
        "last page."
    )


class AttachmentMeta(_Body):
    """One attachment of a document; its bytes stay inside the stored package."""

    position: int
    name: str | None = None
    content_type: str | None = None
    size: int | None = Field(default=None, description="Decoded size in bytes.")
    sha256: str | None = Field(default=None, description="SHA-256 of the decoded bytes.")
    is_zip: bool = False


class DocumentFacts(_Body):
    """What the node recorded about an accepted package."""

    document_id: str
    kind: MessageKind
    sender_system: str = Field(description="The connected system that sent it.")
    sender: str = Field(
        validation_alias="from",
        serialization_alias="from",
        description="Agency code of the sender (From/OrganId).",
    )
    accepted_at: VnDateTime
    size: int = Field(description="Size of the package in bytes.")
    sha256: str = Field(description="SHA-256 of the package as sent.")
    edxml_document_id: str | None = Field(
        default=None, description="The sender's edXML DocumentId (status: the one it is about)."
    )
    number: str | None = None
    notation: str | None = None
    promulgation_date: date | None = None
    subject: str | None = None
    priority: int = 0
    business_type: int = Field(
        default=0, description="BussinessDocType: 0 new, 1 revoke, 2 update, 3 replace."
    )
    due_date: date | None = None
    status_code: str | None = Field(default=None, description="Status packages: the code.")
    related_document_id: str | None = Field(
        default=None, description="The document a revoke/update/replace/status concerns."
    )
    duplicate_of: str | None = Field(
        default=None, description="An earlier document with the same number, notation and date."
    )
    signature: dict[str, Any] = Field(
        default_factory=dict, description="The node's verdict on the package's signature."
    )
    notes: list[dict[str, Any]] = Field(
        default_factory=list, description="Validation warnings kept with the document."
    )
    attachments: list[AttachmentMeta] = Field(default_factory=list)
    legal: DocumentLegalInfo | None = Field(
        default=None, description="Send deadline and due time (documents; docs/calendar.md)."
    )


class TraceEvent(_Body):
    """One entry of a copy's append-only history."""

    kind: str = Field(
        description="accepted, redirected, available, fetched, confirmed, receiver_failed, "
        "failed, status, linked or removed.",
        examples=["confirmed"],
    )
    at: VnDateTime
    actor: str = Field(description="Who caused it: a system id, 'node', 'router', ...")
    detail: dict[str, Any] = Field(default_factory=dict)


class StatusNoticeInfo(_Body):
    """A status (01..16) reported about a copy."""

    code: str = Field(examples=["03"])
    description: str | None = None
    issued_at: VnDateTime | None = Field(
        default=None, description="When the reporting system says it issued the status."
    )
    recorded_at: VnDateTime = Field(description="When the node recorded it.")
    sender: str = Field(
        validation_alias="from",
        serialization_alias="from",
        description="Agency code that reported the status.",
    )
    status_document_id: str = Field(description="The node's id of the status package.")


class RecipientTrace(_Body):
    """One recipient copy with its whole history."""

    delivery_id: str
    requested_code: str = Field(description="The recipient as the sender addressed it.")
    code: str = Field(description="Where the copy went, after succession redirects.")
    redirected: bool = Field(description="True when succession changed the recipient.")
    system_id: str | None = Field(
        default=None, description="The connected system serving the recipient, once routed."
    )
    state: CopyState
    created_at: VnDateTime
    available_at: VnDateTime | None = None
    received_at: VnDateTime | None = None
    updated_at: VnDateTime
    next_attempt_at: VnDateTime | None = None
    receiver_failures: int = 0
    last_error: str | None = None
    events: list[TraceEvent] = Field(default_factory=list)
    statuses: list[StatusNoticeInfo] = Field(default_factory=list)
    legal: CopyLegalInfo | None = Field(
        default=None, description="The copy's legal measures (docs/calendar.md)."
    )


class DocumentTraceReport(_Body):
    """A document the caller sent, with every recipient copy and its history."""

    document: DocumentFacts
    recipients: list[RecipientTrace]
