"""The exchange's domain model: connected systems, documents, recipient copies and their history.

Plain dataclasses (design.md §2: pydantic models are for REST bodies, SQLAlchemy tables for rows;
conversions live at the edges). Every ``datetime`` here is timezone-aware.

Vocabulary:

- a **document** is one accepted package (an edXML document *or* a status package), stored once
  with its original bytes; its id is the DocId the sender got back;
- a **delivery** is one recipient's copy of a document, with its own id (the docId the recipient
  pulls, fetches and confirms); its states and every transition between them are written once, in
  :mod:`gateway.core.delivery`;
- every change of a delivery appends a :class:`DeliveryEvent` (never updated, never deleted), so
  the full history with its timestamps is kept for the replay console and the statistics.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any


class MessageType(StrEnum):
    """What a package is, as the VXP ``messagetype`` parameter names it."""

    EDOC = "edoc"
    STATUS = "status"


class DeliveryState(StrEnum):
    """Where one recipient's copy stands (values are stored and shown as they are)."""

    QUEUED = "queued"
    AVAILABLE = "available"
    RECEIVED = "received"
    FAILED = "failed"
    REMOVED = "removed"
    FORWARDED = "forwarded"  # handed to the upstream node, which answered its DocId


class EventKind(StrEnum):
    """The kinds of entry in a delivery's history."""

    ACCEPTED = "accepted"  # the node committed the document and this copy
    REDIRECTED = "redirected"  # the recipient code was closed: succession followed
    AVAILABLE = "available"  # the copy entered the recipient system's pull list
    FETCHED = "fetched"  # the recipient system downloaded the package
    CONFIRMED = "confirmed"  # updateStatus done: the package entered the recipient's system
    RECEIVER_FAILED = "receiver_failed"  # updateStatus fail: offered again later
    FAILED = "failed"  # given up (no route, dead-lettered, too many receiver failures)
    STATUS = "status"  # a status notice (01..16) about this copy was recorded
    LINKED = "linked"  # a revoke/update/replace concerning this copy was sent
    REMOVED = "removed"  # an update removed this recipient
    FORWARDED = "forwarded"  # sent on to the upstream node (its DocId in the detail)
    REPORTED = "reported"  # the next node reported the copy's receipt (or failure) downstream
    REPLAYED = "replayed"  # an operator sent a failed copy back to work (actor, reason in detail)


@dataclass(frozen=True, slots=True)
class System:
    """A connected document system (iOffice, VOffice, ...) as the node knows it.

    ``grants`` are the agency codes (or level-1 subtrees such as ``H14``) the system may act for;
    ``admin`` allows the registry calls (registerAgency/deleteAgency); ``node_link`` marks the
    system as another axis node (a provincial node's system at the national node): only a node
    link may use the node-to-node extensions (``reportDelivery``, ``nextDocId``, ``failCode``,
    docs/axes.md). The secret never appears here: it is decrypted only where a signature is
    checked.
    """

    system_id: str
    grants: tuple[str, ...]
    enabled: bool = True
    admin: bool = False
    created_at: datetime | None = None
    description: str = ""
    node_link: bool = False
    #: The upstream node seen as a sender (not stored): it relays for agencies outside the
    #: province, so it may send as any of them.
    relay: bool = False


@dataclass(frozen=True, slots=True)
class AttachmentInfo:
    """One attachment's metadata; its bytes stay inside the stored package (stored once)."""

    position: int
    name: str | None
    content_type: str | None
    size: int | None
    sha256: str | None
    is_zip: bool


@dataclass(frozen=True, slots=True)
class RecipientPlan:
    """One recipient copy the accept use case decided to create."""

    delivery_id: str
    requested_code: str  # as addressed by the sender
    code: str  # where the copy goes after succession
    code_key: str  # normalised key of ``code`` (both code forms compare equal)
    system_id: str | None  # the local system that will pull it; None: no system serves it yet
    redirects: tuple[dict[str, Any], ...] = ()
    concerns_delivery_id: str | None = None  # statuses/linked packages: the copy they are about
    link: str | None = None  # "upstream": no local system serves it, the national node will
    origin_doc_id: str | None = None  # pulled from the upstream node: the item's DocId there


@dataclass(frozen=True, slots=True)
class DocumentLegal:
    """A document's legal measures as stored (docs/calendar.md "Legal measures").

    ``sent_at`` is the document's ``accepted_at``. ``calendar_version`` is the version of the
    business calendar the deadlines were computed with (None: never computed, e.g. a status
    package or a row older than the measures).
    """

    send_deadline: datetime | None = None  # QĐ 28/2018; NĐ 30/2020 Art. 18(1)
    sent_on_time: bool | None = None  # accepted_at <= send_deadline
    due_at: datetime | None = None  # end of business on DueDate (Civil Code 2015 Art. 148(5))
    calendar_version: str | None = None


@dataclass(frozen=True, slots=True)
class CopyLegal:
    """A copy's legal measures as stored; :mod:`gateway.core.legal` derives the time-dependent
    ones (a notice or a 06 still missing past its deadline) at read time.

    ``due_at`` is the copy's document's (read with the copy, for ``overdue``);
    ``calendar_version`` is the version the receipt measures were computed with.
    """

    legal_received_at: datetime | None = None  # NĐ 64/2007 Art. 36
    received_out_of_hours: bool | None = None
    notice_deadline: datetime | None = None  # NĐ 30/2020 Art. 21(2)(c)
    notice_on_time: bool | None = None  # set by the recipient's first 01/03
    overdue: bool | None = None  # set by the first 06
    urgent_handover_minutes: int | None = None  # Priority >= 1: business minutes sent → received
    calendar_version: str | None = None
    due_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class DocumentRecord:
    """An accepted package: what the store keeps about it (the bytes live in the blob store)."""

    document_id: str
    kind: MessageType
    sender_system: str
    sender_code: str
    sender_key: str
    sha256: str
    size: int
    accepted_at: datetime
    edxml_document_id: str | None = None
    code_number: str | None = None
    code_notation: str | None = None
    promulgation_date: date | None = None
    subject: str | None = None
    priority: int = 0
    business_type: int = 0
    due_date: date | None = None
    status_code: str | None = None
    related_document_id: str | None = None
    duplicate_of: str | None = None
    dedup_key: str | None = None
    signature: dict[str, Any] = field(default_factory=dict)
    notes: tuple[dict[str, Any], ...] = ()
    request_id: str | None = None
    legal: DocumentLegal = field(default_factory=DocumentLegal)


@dataclass(frozen=True, slots=True)
class StatusNoticePlan:
    """A status package recorded against the copy it concerns."""

    delivery_id: str
    code: str
    description: str | None
    issued_at: datetime | None
    from_code: str
    # The copy's legal measures this notice settles (the first one wins, in the store):
    notice_on_time: bool | None = None  # a 01/03: issued by the copy's notice deadline
    overdue: bool | None = None  # a 06: issued after the document's due time


@dataclass(frozen=True, slots=True)
class AcceptPlan:
    """Everything one accepted package writes, in one transaction."""

    document: DocumentRecord
    data: bytes
    attachments: tuple[AttachmentInfo, ...]
    recipients: tuple[RecipientPlan, ...]
    status_notice: StatusNoticePlan | None = None
    removed_deliveries: tuple[str, ...] = ()  # update: copies whose recipient was removed
    linked_deliveries: tuple[str, ...] = ()  # revoke/update/replace: the original's copies


@dataclass(frozen=True, slots=True)
class AcceptOutcome:
    """What the store did with a plan: the DocId to answer, and whether it was new."""

    document_id: str
    created: bool


@dataclass(frozen=True, slots=True)
class DeliveryView:
    """One copy with what a recipient or the trace needs to know about it."""

    delivery_id: str
    document_id: str
    kind: MessageType
    state: DeliveryState
    priority: int
    requested_code: str
    code: str
    system_id: str | None
    link: str | None
    upstream_doc_id: str | None
    sender_system: str
    sender_code: str
    sha256: str
    created_at: datetime
    updated_at: datetime
    available_at: datetime | None = None
    received_at: datetime | None = None
    next_attempt_at: datetime | None = None
    receiver_failures: int = 0
    last_error: str | None = None
    status_code: str | None = None
    status_at: datetime | None = None
    subject: str | None = None
    code_number: str | None = None
    code_notation: str | None = None
    legal: CopyLegal = field(default_factory=CopyLegal)
    #: Pulled from the upstream node: the item's DocId there.
    origin_doc_id: str | None = None
    #: While ``failed``: the failure's code (ROUTE_NO_SYSTEM, RECEIVER_FAILED...).
    fail_code: str | None = None


@dataclass(frozen=True, slots=True)
class DeliveryEvent:
    """One entry of a copy's append-only history."""

    delivery_id: str
    kind: EventKind
    at: datetime
    actor: str
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class StatusNotice:
    """A status (01..16) recorded against a copy, with when it was issued and seen."""

    delivery_id: str
    code: str
    description: str | None
    issued_at: datetime | None
    recorded_at: datetime
    from_code: str
    status_document_id: str


@dataclass(frozen=True, slots=True)
class DocumentTrace:
    """A document with every copy, each copy's history and statuses."""

    document: DocumentRecord
    deliveries: tuple[DeliveryView, ...]
    events: dict[str, tuple[DeliveryEvent, ...]]
    statuses: dict[str, tuple[StatusNotice, ...]]
    attachments: tuple[AttachmentInfo, ...] = ()


@dataclass(frozen=True, slots=True)
class ConfirmOutcome:
    """What ``updateStatus`` did to a copy."""

    delivery: DeliveryView
    changed: bool  # False when the call repeated an earlier one (idempotent)


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """A unit of work waiting to be published to the bus."""

    outbox_id: int
    topic: str
    message_id: str
    body: bytes
    priority: int
    headers: dict[str, str]
    attempts: int = 0
