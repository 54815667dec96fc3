"""Bodies of the operators' deliveries view (``/api/v1/admin/deliveries``, docs/console.md).

A copy here is seen by a person operating the node (any system's copies), not by a connected
system: it names its sender system, receiving system and link, its failure code, and, in the
detail, its whole history. Timestamps are ISO 8601 in +07:00; a package's content never appears
(attachments by name, size and SHA-256 only).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from schemas.calendar import CopyLegalInfo
from schemas.exchange import CopyState, DocumentFacts, MessageKind, StatusNoticeInfo, TraceEvent
from schemas.timestamps import VnDateTime


class _Body(BaseModel):
    model_config = ConfigDict(frozen=True, serialize_by_alias=True, validate_by_name=True)


class AdminCopy(_Body):
    """One recipient copy, node-wide."""

    delivery_id: str
    document_id: str
    kind: MessageKind
    state: CopyState
    sender: str = Field(
        validation_alias="from", serialization_alias="from", description="Sender agency code."
    )
    sender_system: str = Field(description="The connected system that sent the document.")
    to: str = Field(description="Agency code the copy goes to (after succession).")
    requested_to: str = Field(description="Agency code as the sender addressed it.")
    system_id: str | None = Field(
        default=None, description="The connected system that receives the copy, once known."
    )
    link: str | None = Field(default=None, description="`upstream`: the national node takes it.")
    priority: int
    subject: str | None = None
    number: str | None = None
    notation: str | None = None
    created_at: VnDateTime = Field(description="When the node accepted the document.")
    updated_at: VnDateTime = Field(description="The copy's last change.")
    available_at: VnDateTime | None = Field(
        default=None, description="When the copy last entered its receiver's pull list."
    )
    received_at: VnDateTime | None = None
    next_attempt_at: VnDateTime | None = None
    receiver_failures: int = 0
    last_error: str | None = None
    fail_code: str | None = Field(
        default=None, description="While failed: why (ROUTE_NO_SYSTEM, RECEIVER_FAILED, ...)."
    )


class StateCounts(_Body):
    """How many copies of the whole filter are in each state (the state filter ignored)."""

    queued: int = 0
    available: int = 0
    forwarded: int = 0
    received: int = 0
    failed: int = 0
    removed: int = 0


class AdminCopyPage(_Body):
    """One page of the node-wide list, where the next one starts, and the counts per state."""

    items: list[AdminCopy]
    next_cursor: str | None = Field(
        description="Pass as `cursor` (same filters and sort) for the next page; null on the last."
    )
    counts: StateCounts


class AttemptInfo(_Body):
    """One offer of the copy to its receiver (or one send upstream) and how it ended."""

    number: int
    started_at: VnDateTime
    system_id: str | None = None
    fetches: int = Field(default=0, description="Downloads of the package during the attempt.")
    ended_at: VnDateTime | None = None
    outcome: str | None = Field(
        default=None,
        description="received, receiver_failed, failed, forwarded, removed, superseded; null "
        "while open.",
    )
    reason: str | None = None


class HopInfo(_Body):
    """One ``TraceHeader`` of the package: a hop it passed (sender, provincial, national node)."""

    organ_id: str | None = None
    at: VnDateTime | None = None
    raw_time: str | None = Field(default=None, description="A time the package wrote oddly.")


class CopyDetailReport(_Body):
    """Everything about one copy (never the package's content)."""

    copy_: AdminCopy = Field(alias="copy", serialization_alias="copy")
    document: DocumentFacts = Field(
        description="The package's header facts, attachments (name, size, SHA-256) and its "
        "legal send measures."
    )
    events: list[TraceEvent] = Field(description="Every history entry, with its time and actor.")
    attempts: list[AttemptInfo]
    time_in_failure_seconds: int = Field(description="How long the copy has been failed, in all.")
    legal: CopyLegalInfo = Field(description="The copy's legal times (docs/calendar.md).")
    hops: list[HopInfo] = Field(description="The package's trace, one entry per hop.")
    statuses: list[StatusNoticeInfo]
    replayable: bool = Field(description="True while failed: an operator may replay it.")
    extra: dict[str, Any] = Field(default_factory=dict)
