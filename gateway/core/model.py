"""The exchange's domain model: connected systems, documents, recipient copies and their history.

Plain dataclasses (design.md §2: pydantic models are for REST bodies, SQLAlchemy tables for rows;
conversions live at the edges). Every ``datetime`` here is timezone-aware.

Vocabulary:

- a **document** is one accepted package (an edXML document *or* a status package), stored once
  with its original bytes; its id is the DocId the sender got back;
- a **delivery** is one recipient's copy of a document, with its own id (the docId the recipient
  pulls, fetches and confirms) and a state machine::

      queued ──router──► available ──updateStatus done──► received
                           │   ▲
             updateStatus fail │ (not before next_attempt_at, bounded count)
                           ▼   │
                        (available, deferred) ──too many fails──► failed
      queued ──no system serves the recipient / dead-lettered──► failed
      available ──update removed the recipient──► removed

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


#: States in which a copy is finished: nothing moves it any more except an operator's replay.
FINAL_STATES = frozenset({DeliveryState.RECEIVED, DeliveryState.FAILED, DeliveryState.REMOVED})


class EventKind(StrEnum):
    """The kinds of entry in a delivery's history."""

    ACCEPTED = "accepted"  # the node committed the document and this copy
    REDIRECTED = "redirected"  # the recipient code was closed: succession followed
    AVAILABLE = "available"  # the router put the copy in the recipient system's pull list
    FETCHED = "fetched"  # the recipient system downloaded the package
    CONFIRMED = "confirmed"  # updateStatus done: the package entered the recipient's system
    RECEIVER_FAILED = "receiver_failed"  # updateStatus fail: offered again later
    FAILED = "failed"  # given up (no route, dead-lettered, too many receiver failures)
    STATUS = "status"  # a status notice (01..16) about this copy was recorded
    LINKED = "linked"  # a revoke/update/replace concerning this copy was sent
    REMOVED = "removed"  # an update removed this recipient


@dataclass(frozen=True, slots=True)
class System:
    """A connected document system (iOffice, VOffice, ...) as the node knows it.

    ``grants`` are the agency codes (or level-1 subtrees such as ``H14``) the system may act for;
    ``admin`` allows the registry calls (registerAgency/deleteAgency). The secret never appears
    here: it is decrypted only where a signature is checked.
    """

    system_id: str
    grants: tuple[str, ...]
    enabled: bool = True
    admin: bool = False
    created_at: datetime | None = None
    description: str = ""


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


@dataclass(frozen=True, slots=True)
class StatusNoticePlan:
    """A status package recorded against the copy it concerns."""

    delivery_id: str
    code: str
    description: str | None
    issued_at: datetime | None
    from_code: str


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
