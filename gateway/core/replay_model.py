"""What a replay is: its requests, plans and results, the store port, and the way back of one
failed copy (:func:`plan_for`). The use cases that act on them are :mod:`gateway.core.replay`
(its docstring tells the rules: the path back, idempotence, four eyes).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from gateway.core import work
from gateway.core.deliveries_admin import DeliveryFilter
from gateway.core.delivery import Event, step
from gateway.core.errors import ExchangeError
from gateway.core.model import DeliveryState, DeliveryView, OutboxItem
from gateway.core.routing import RoutingTable
from gateway.core.work import UPSTREAM

#: How long a replay request waits for its approval.
REQUEST_TTL = timedelta(hours=24)
#: Most copies one request may freeze.
MAX_REQUEST_ITEMS = 50_000
#: Longest reason kept.
MAX_REASON = 2000


class ReplayRefused(ExchangeError):
    """A replay request that cannot be decided any more (closed or expired: 409)."""

    code = "REPLAY_REQUEST_CLOSED"


class Outcome(StrEnum):
    """What a replay did to one copy."""

    REPLAYED = "replayed"
    SKIPPED = "skipped"


class RequestState(StrEnum):
    """Where a replay request stands (``expired`` is read from ``expires_at``, never stored)."""

    PENDING = "pending"
    APPROVED = "approved"  # running in the background
    REJECTED = "rejected"
    EXPIRED = "expired"
    DONE = "done"


@dataclass(frozen=True)
class ReplayPlan:
    """How one failed copy goes back to work: ``event`` with, for :data:`Event.REPLAY`, the
    system it is offered to; ``outbox`` the work the move writes in the same transaction."""

    delivery_id: str
    event: Event
    system_id: str | None = None
    outbox: tuple[OutboxItem, ...] = ()


@dataclass(frozen=True)
class ReplayResult:
    """What became of one copy: replayed (its new state), or skipped and why."""

    delivery_id: str
    outcome: Outcome
    state: DeliveryState | None = None
    reason: str | None = None
    system_id: str | None = None


@dataclass(frozen=True)
class Progress:
    """How far a request's run is."""

    total: int
    done: int = 0
    replayed: int = 0
    skipped: int = 0

    @property
    def fraction(self) -> float:
        """Done over total (1.0 for an empty set)."""
        return 1.0 if self.total == 0 else self.done / self.total


@dataclass(frozen=True)
class ReplayRequest:
    """A frozen set of copies to replay, and its decision."""

    request_id: str
    state: RequestState
    reason: str
    selection: Mapping[str, Any]
    total: int
    requested_by: str
    requested_at: datetime
    expires_at: datetime
    decided_by: str | None = None
    decided_at: datetime | None = None
    decision_reason: str | None = None
    finished_at: datetime | None = None
    progress: Progress = field(default_factory=lambda: Progress(0))

    def as_of(self, now: datetime) -> ReplayRequest:
        """The request as shown at ``now``: a pending one past its expiry reads ``expired``."""
        if self.state is RequestState.PENDING and now >= self.expires_at:
            return replace(self, state=RequestState.EXPIRED)
        return self


@dataclass(frozen=True)
class ReplayAnswer:
    """What :meth:`Replays.replay` did: ran the copies at once, or created a request."""

    results: tuple[ReplayResult, ...] = ()
    request: ReplayRequest | None = None


class ReplayStore(Protocol):
    """What the replay use cases need of the store (:class:`gateway.store.repository.SqlStore`)."""

    async def deliveries_by_id(self, delivery_ids: Sequence[str]) -> list[DeliveryView]:
        """The copies that exist among ``delivery_ids`` (any order)."""
        ...

    async def replay_copies(
        self,
        plans: Sequence[ReplayPlan],
        skipped: Sequence[ReplayResult],
        *,
        actor: str,
        reason: str,
        now: datetime,
        request_id: str | None = None,
        approved_by: str | None = None,
    ) -> list[ReplayResult]:
        """In one transaction: each planned copy still ``failed`` moves by its plan (the others
        are skipped), and with ``request_id`` every item of ``plans`` and ``skipped`` is marked
        done with its outcome. Returns every result, planned copies first."""
        ...

    async def failed_delivery_ids(self, criteria: DeliveryFilter, limit: int) -> list[str]:
        """Ids of the ``failed`` copies matching ``criteria`` (oldest change first)."""
        ...

    async def add_replay_request(self, request: ReplayRequest, delivery_ids: Sequence[str]) -> None:
        """Store a new request with its frozen items."""
        ...

    async def replay_request(self, request_id: str) -> ReplayRequest | None:
        """The request with its progress, or None."""
        ...

    async def replay_requests(self, limit: int) -> list[ReplayRequest]:
        """The latest requests, newest first, with their progress."""
        ...

    async def decide_replay_request(
        self,
        request_id: str,
        *,
        approve: bool,
        actor: str,
        reason: str | None,
        now: datetime,
        outbox: Sequence[OutboxItem] = (),
    ) -> bool:
        """pending (not expired at ``now``) → approved/rejected, with ``outbox`` in the same
        transaction; False when it was not pending any more."""
        ...

    async def pending_replay_items(self, request_id: str, limit: int) -> list[str]:
        """Ids of the request's copies not done yet, in request order."""
        ...

    async def finish_replay_request(self, request_id: str, now: datetime) -> bool:
        """approved → done; False when it was not approved (finished already)."""
        ...

    async def unfinished_replay_requests(self) -> list[str]:
        """Approved requests whose run has not finished (for the start-up sweep)."""
        ...

    async def grants(self) -> tuple[tuple[str, str], ...]:
        """(system id, granted code) of every enabled system."""
        ...


def plan_for(copy: DeliveryView, table: RoutingTable, *, tag: str) -> ReplayPlan | ReplayResult:
    """The way back for a ``failed`` copy, or why it is skipped (not failed; no system)."""
    if step(copy.state, Event.REPLAY) is None and step(copy.state, Event.REPLAY_FORWARD) is None:
        return ReplayResult(
            copy.delivery_id,
            Outcome.SKIPPED,
            copy.state,
            f"not failed (state {copy.state.value})",
        )
    if copy.link == UPSTREAM:
        item = work.forward(copy.document_id, [copy.delivery_id], copy.priority, tag=tag)
        return ReplayPlan(copy.delivery_id, Event.REPLAY_FORWARD, None, (item,))
    system_id = table.owner(copy.code)
    if system_id is None:
        return ReplayResult(
            copy.delivery_id,
            Outcome.SKIPPED,
            copy.state,
            f"no connected system serves {copy.code}",
        )
    return ReplayPlan(copy.delivery_id, Event.REPLAY, system_id)
