"""Bodies of replay and four-eyes replay requests (``/api/v1/admin/deliveries/replay``,
``/api/v1/admin/replays``, docs/console.md "Replay and four-eyes approval")."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from schemas.exchange import CopyState
from schemas.timestamps import VnDateTime

#: Longest reason (characters).
MAX_REASON_LENGTH = 2000
#: Most ids in one body.
MAX_IDS = 10_000


class _Body(BaseModel):
    model_config = ConfigDict(frozen=True, serialize_by_alias=True, validate_by_name=True)


Reason = Field(
    min_length=1, max_length=MAX_REASON_LENGTH, description="Why (kept in the audit log)."
)


class ReplayCopies(_Body):
    """Body of ``POST /admin/deliveries/replay``: these copies, now or as a request."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    delivery_ids: list[str] = Field(min_length=1, max_length=MAX_IDS)
    reason: str = Reason


class ReplayFilter(_Body):
    """Which failed copies a request freezes (every field given narrows the set)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    fail_code: str | None = Field(default=None, max_length=60)
    sender: str | None = Field(default=None, max_length=50, description="Sender agency code.")
    recipient: str | None = Field(default=None, max_length=50)
    subtree: bool = Field(default=False, description="Also every agency under `recipient`.")
    system: str | None = Field(default=None, max_length=100)
    link: str | None = Field(default=None, max_length=30)
    priority: int | None = Field(default=None, ge=0, le=9)
    number: str | None = Field(default=None, max_length=50)
    notation: str | None = Field(default=None, max_length=100)
    since: AwareDatetime | None = Field(default=None, description="Failed at or after (ISO 8601).")
    until: AwareDatetime | None = None


class ReplayRequestBody(_Body):
    """Body of ``POST /admin/replays``: the copies by id, or every failed copy of a filter."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    delivery_ids: list[str] | None = Field(default=None, min_length=1, max_length=MAX_IDS)
    filter: ReplayFilter | None = None
    reason: str = Reason

    @model_validator(mode="after")
    def _one_selection(self) -> ReplayRequestBody:
        if (self.delivery_ids is None) == (self.filter is None):
            raise ValueError("give either delivery_ids or filter")
        return self


class RejectBody(_Body):
    """Body of ``POST /admin/replays/{id}/reject``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    reason: str = Reason


class Outcome(StrEnum):
    """What a replay did to one copy."""

    REPLAYED = "replayed"
    SKIPPED = "skipped"


class ReplayItemResult(_Body):
    """One copy replayed at once."""

    delivery_id: str
    outcome: Outcome
    state: CopyState | None = Field(default=None, description="The copy's state afterwards.")
    reason: str | None = Field(default=None, description="Why it was skipped.")
    system_id: str | None = Field(default=None, description="Where a replayed copy is offered.")


class RequestState(StrEnum):
    """Where a replay request stands."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXPIRED = "expired"
    DONE = "done"


class ReplayProgress(_Body):
    """How far an approved request's background run is."""

    total: int
    done: int
    replayed: int
    skipped: int
    percent: float = Field(description="done / total, 0-100.")


class ReplayRequestInfo(_Body):
    """A frozen set of copies to replay and its decision."""

    request_id: str
    state: RequestState
    reason: str
    selection: dict[str, Any] = Field(description="The filter or ids the set was frozen from.")
    total: int
    requested_by: str
    requested_at: VnDateTime
    expires_at: VnDateTime
    decided_by: str | None = None
    decided_at: VnDateTime | None = None
    decision_reason: str | None = None
    finished_at: VnDateTime | None = None
    progress: ReplayProgress


class ReplayAnswer(_Body):
    """What ``POST /admin/deliveries/replay`` did: the copies replayed at once (200), or the
    request created for a set above the approval threshold (202)."""

    results: list[ReplayItemResult] = Field(default_factory=list)
    request: ReplayRequestInfo | None = None


class ReplayRequestList(_Body):
    """The latest replay requests, newest first."""

    items: list[ReplayRequestInfo]
