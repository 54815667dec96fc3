"""Replay: an operator sends failed copies back to work, by the path each failed on, and the
four-eyes rule for large replays (issue 13, docs/console.md "Replay and four-eyes approval").

The path back (:func:`plan_for`, the table's :data:`~gateway.core.delivery.Event.REPLAY` rows):

- a local copy is offered again at once (``failed`` → ``available``, visible at commit) to the
  enabled system that serves its code **now**: its own, or the one routing finds since its
  system was re-enabled or its grants changed (the example: a receiving system was disabled, the
  copy failed ``ROUTE_NO_SYSTEM``; after ``systems enable`` it is replayable); its receiver
  failures are reset; when still no enabled system serves the code the copy is skipped (and
  stays ``failed``: nothing is re-queued to fail again);
- an upstream copy (it failed at or on the way to the national node) is queued again with a
  ``forward`` work item (``failed`` → ``queued``; store first, then publish).

Each appends a ``replayed`` history entry carrying the actor, the reason (and the request), so the
copy's detail shows who replayed it and why. A replay changes only the copy's state, system and
attempt counters: ``created_at`` (its legal send time, with the document's ``accepted_at``) is
kept. Replays are idempotent: the store moves only a copy that is still ``failed`` (row locked),
so a second replay, or a replay racing a confirmation, finds it moved and skips it; a copy is one
row, so it is never twice in a pull list.

Four eyes: replaying more than ``threshold`` copies at once (setting
``replay_approval_threshold``, default 10), or everything matching a filter, creates a
:class:`ReplayRequest` instead: the exact set is frozen when requested, with the reason; another
person must approve it (the requester cannot: ``REPLAY_SELF_APPROVAL``); it expires after
:data:`REQUEST_TTL`; it can be rejected with a reason. An approved request runs in the
background (:mod:`gateway.workers.replayer`): a ``replay`` work item written with the approval,
then :meth:`Replays.run_batch` over the request's items, each batch one transaction that replays
the copies and marks their items done, so a run resumed after a crash replays nothing twice.
Every action appends an :class:`~gateway.core.actors.AuditRecord`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from gateway.core import work
from gateway.core.actors import Action, Actor, AuditRecord, AuditSink, Capability, require
from gateway.core.clock import Clock
from gateway.core.deliveries_admin import DeliveriesAdmin, DeliveryFilter
from gateway.core.errors import BadRequest, NotAllowed, NotFound
from gateway.core.model import DeliveryState, DeliveryView
from gateway.core.replay_model import (
    MAX_REASON,
    MAX_REQUEST_ITEMS,
    REQUEST_TTL,
    Outcome,
    Progress,
    ReplayAnswer,
    ReplayPlan,
    ReplayRefused,
    ReplayRequest,
    ReplayResult,
    ReplayStore,
    RequestState,
    plan_for,
)
from gateway.core.routing import Routes


@dataclass(frozen=True)
class ReplayConfig:
    """Settings of the replay use cases."""

    #: Replaying more copies than this at once needs a second person's approval.
    threshold: int = 10
    #: Copies per background transaction.
    batch: int = 100


class Replays:
    """Replay copies now, request a bulk replay, decide requests, run approved ones."""

    def __init__(
        self,
        store: ReplayStore,
        routes: Routes,
        deliveries: DeliveriesAdmin,
        clock: Clock,
        audit: AuditSink,
        config: ReplayConfig | None = None,
        *,
        on_work: Callable[[], None] | None = None,
    ) -> None:
        self.store = store
        self.routes = routes
        self.deliveries = deliveries
        self.clock = clock
        self.audit = audit
        self.config = config or ReplayConfig()
        self._on_work = on_work

    # ---------------------------------------------------------------- checks

    @staticmethod
    def _reason(reason: str | None) -> str:
        text = (reason or "").strip()
        if not text:
            raise BadRequest(
                "say why: a replay needs a reason", code="REPLAY_REASON_REQUIRED", field="reason"
            )
        return text[:MAX_REASON]

    def _woken(self) -> None:
        if self._on_work is not None:
            self._on_work()

    @staticmethod
    def _tag() -> str:
        # Outbox message ids are unique: every replay's work item is a deliberate repeat.
        return "replay-" + uuid.uuid4().hex[:12]

    async def _known(self, delivery_ids: Sequence[str]) -> list[DeliveryView]:
        found = {c.delivery_id: c for c in await self.store.deliveries_by_id(delivery_ids)}
        for delivery_id in delivery_ids:
            if delivery_id not in found:
                raise NotFound(
                    f"no copy {delivery_id!r}", code="DELIVERY_UNKNOWN", field="delivery_ids"
                )
        return [found[d] for d in delivery_ids]

    # ---------------------------------------------------------------- replay now, or request

    async def replay(
        self, actor: Actor | None, delivery_ids: Sequence[str], reason: str | None
    ) -> ReplayAnswer:
        """Replay these copies at once when they are at most ``threshold``, else create a
        request for them (``REPLAY``)."""
        who = require(actor, Capability.REPLAY)
        ids = list(dict.fromkeys(d.strip() for d in delivery_ids if d and d.strip()))
        text = self._reason(reason)
        if not ids:
            raise BadRequest("name at least one copy", code="REPLAY_EMPTY", field="delivery_ids")
        if len(ids) > self.config.threshold:
            return ReplayAnswer(request=await self._request(who, ids, {"delivery_ids": ids}, text))
        return ReplayAnswer(results=tuple(await self.run(who, ids, text)))

    async def run(
        self, actor: Actor | None, delivery_ids: Sequence[str], reason: str | None
    ) -> list[ReplayResult]:
        """Replay copies now (at most ``threshold``: more need a request), one audit record each."""
        who = require(actor, Capability.REPLAY)
        text = self._reason(reason)
        ids = list(dict.fromkeys(delivery_ids))
        if len(ids) > self.config.threshold:
            raise NotAllowed(
                f"more than {self.config.threshold} copies need a second person's approval: "
                "request the replay",
                code="REPLAY_NEEDS_APPROVAL",
                field="delivery_ids",
            )
        copies = await self._known(ids)
        results = await self._apply(copies, actor=who.username, reason=text)
        for result in results:
            await self.audit.append(
                AuditRecord(
                    actor=who.username,
                    action=Action.REPLAY_RUN,
                    target=f"delivery:{result.delivery_id}",
                    reason=text,
                    after={"outcome": result.outcome.value, "state": _value(result.state)},
                    channel=who.channel,
                    extra={"skipped": result.reason} if result.reason else {},
                )
            )
        return results

    async def _apply(
        self,
        copies: Sequence[DeliveryView],
        *,
        actor: str,
        reason: str,
        request_id: str | None = None,
        approved_by: str | None = None,
        missing: Sequence[str] = (),
    ) -> list[ReplayResult]:
        table = await self.routes.table()
        tag = self._tag()
        plans: list[ReplayPlan] = []
        skipped: list[ReplayResult] = [
            ReplayResult(d, Outcome.SKIPPED, None, "no such copy") for d in missing
        ]
        for copy in copies:
            planned = plan_for(copy, table, tag=tag)
            if isinstance(planned, ReplayPlan):
                plans.append(planned)
            else:
                skipped.append(planned)
        results = await self.store.replay_copies(
            plans,
            skipped,
            actor=actor,
            reason=reason,
            now=self.clock.now(),
            request_id=request_id,
            approved_by=approved_by,
        )
        if any(p.outbox for p in plans):
            self._woken()
        return results

    async def request(
        self,
        actor: Actor | None,
        reason: str | None,
        *,
        delivery_ids: Sequence[str] = (),
        criteria: DeliveryFilter | None = None,
    ) -> ReplayRequest:
        """Create a replay request for these copies, or for every ``failed`` copy matching
        ``criteria`` (frozen now); it waits for another person's approval (``REPLAY``)."""
        who = require(actor, Capability.REPLAY)
        text = self._reason(reason)
        if criteria is not None:
            wanted = self.deliveries.resolve(replace(criteria, state=DeliveryState.FAILED))
            ids = await self.store.failed_delivery_ids(wanted, MAX_REQUEST_ITEMS + 1)
            selection: dict[str, Any] = {"filter": wanted.described()}
        else:
            ids = list(dict.fromkeys(d.strip() for d in delivery_ids if d and d.strip()))
            await self._known(ids)
            selection = {"delivery_ids": ids}
        if not ids:
            raise BadRequest(
                "no failed copy matches: nothing to replay"
                if criteria is not None
                else "name at least one copy",
                code="REPLAY_EMPTY",
                field="filter" if criteria is not None else "delivery_ids",
            )
        return await self._request(who, ids, selection, text)

    async def _request(
        self, who: Actor, ids: Sequence[str], selection: Mapping[str, Any], reason: str
    ) -> ReplayRequest:
        if len(ids) > MAX_REQUEST_ITEMS:
            raise BadRequest(
                f"more than {MAX_REQUEST_ITEMS} copies: narrow the filter",
                code="REPLAY_TOO_MANY",
                field="state",
            )
        now = self.clock.now()
        request = ReplayRequest(
            request_id=str(uuid.uuid4()),
            state=RequestState.PENDING,
            reason=reason,
            selection=dict(selection),
            total=len(ids),
            requested_by=who.username,
            requested_at=now,
            expires_at=now + REQUEST_TTL,
            progress=Progress(len(ids)),
        )
        await self.store.add_replay_request(request, ids)
        await self.audit.append(
            AuditRecord(
                actor=who.username,
                action=Action.REPLAY_REQUESTED,
                target=f"replay:{request.request_id}",
                reason=reason,
                after={"total": request.total, "expires_at": request.expires_at.isoformat()},
                channel=who.channel,
                extra={"selection": _short(selection)},
            )
        )
        return request

    # ---------------------------------------------------------------- decide

    async def get(self, actor: Actor | None, request_id: str) -> ReplayRequest:
        """One request with its progress (``READ_DELIVERIES``)."""
        require(actor, Capability.READ_DELIVERIES)
        return await self._get(request_id)

    async def _get(self, request_id: str) -> ReplayRequest:
        found = await self.store.replay_request(request_id) if request_id else None
        if found is None:
            raise NotFound(
                f"no replay request {request_id!r}",
                code="REPLAY_REQUEST_UNKNOWN",
                field="request_id",
            )
        return found.as_of(self.clock.now())

    async def list_requests(self, actor: Actor | None, limit: int = 100) -> list[ReplayRequest]:
        """The latest requests, newest first (``READ_DELIVERIES``)."""
        require(actor, Capability.READ_DELIVERIES)
        now = self.clock.now()
        return [r.as_of(now) for r in await self.store.replay_requests(min(max(limit, 1), 500))]

    @staticmethod
    def _still_open(request: ReplayRequest) -> None:
        if request.state is RequestState.EXPIRED:
            raise ReplayRefused(
                f"replay request {request.request_id} expired at "
                f"{request.expires_at.isoformat()}: request it again",
                code="REPLAY_REQUEST_EXPIRED",
                field="request_id",
            )
        if request.state is not RequestState.PENDING:
            raise ReplayRefused(
                f"replay request {request.request_id} is {request.state.value} already",
                field="request_id",
            )

    async def approve(self, actor: Actor | None, request_id: str) -> ReplayRequest:
        """Approve another person's pending request: its run starts in the background
        (``APPROVE_REPLAY``; the requester cannot: ``REPLAY_SELF_APPROVAL``)."""
        who = require(actor, Capability.APPROVE_REPLAY)
        request = await self._get(request_id)
        if request.requested_by == who.username:
            raise NotAllowed(
                "four eyes: another person must approve your replay request",
                code="REPLAY_SELF_APPROVAL",
                field="request_id",
            )
        self._still_open(request)
        item = work.replay(request.request_id)
        if not await self.store.decide_replay_request(
            request.request_id,
            approve=True,
            actor=who.username,
            reason=None,
            now=self.clock.now(),
            outbox=(item,),
        ):
            self._still_open(await self._get(request_id))  # decided or expired meanwhile
        self._woken()
        await self.audit.append(
            AuditRecord(
                actor=who.username,
                action=Action.REPLAY_APPROVED,
                target=f"replay:{request.request_id}",
                reason=request.reason,
                before={"state": RequestState.PENDING.value},
                after={"state": RequestState.APPROVED.value, "total": request.total},
                channel=who.channel,
                extra={"requested_by": request.requested_by},
            )
        )
        return await self._get(request_id)

    async def reject(
        self, actor: Actor | None, request_id: str, reason: str | None
    ) -> ReplayRequest:
        """Reject a pending request with a reason (``APPROVE_REPLAY``; the requester may
        withdraw their own this way)."""
        who = require(actor, Capability.APPROVE_REPLAY)
        text = self._reason(reason)
        request = await self._get(request_id)
        self._still_open(request)
        if not await self.store.decide_replay_request(
            request.request_id, approve=False, actor=who.username, reason=text, now=self.clock.now()
        ):
            self._still_open(await self._get(request_id))
        await self.audit.append(
            AuditRecord(
                actor=who.username,
                action=Action.REPLAY_REJECTED,
                target=f"replay:{request.request_id}",
                reason=text,
                before={"state": RequestState.PENDING.value},
                after={"state": RequestState.REJECTED.value},
                channel=who.channel,
                extra={"requested_by": request.requested_by},
            )
        )
        return await self._get(request_id)

    # ---------------------------------------------------------------- background run

    async def run_batch(self, request_id: str) -> ReplayRequest | None:
        """Replay the next batch of an approved request's copies (one transaction: the copies
        and their done marks), or finish it when none is left. None for an unknown request;
        a request that is not approved (or finished already) is returned unchanged."""
        request = await self.store.replay_request(request_id)
        if request is None or request.state is not RequestState.APPROVED:
            return request
        ids = await self.store.pending_replay_items(request_id, self.config.batch)
        if not ids:
            if await self.store.finish_replay_request(request_id, self.clock.now()):
                finished = await self.store.replay_request(request_id)
                progress = finished.progress if finished else request.progress
                await self.audit.append(
                    AuditRecord(
                        actor="node",
                        action=Action.REPLAY_COMPLETED,
                        target=f"replay:{request_id}",
                        reason=request.reason,
                        after={
                            "total": progress.total,
                            "replayed": progress.replayed,
                            "skipped": progress.skipped,
                        },
                        extra={
                            "requested_by": request.requested_by,
                            "approved_by": request.decided_by,
                        },
                    )
                )
            return await self.store.replay_request(request_id)
        copies = await self.store.deliveries_by_id(ids)
        present = {c.delivery_id for c in copies}
        await self._apply(
            copies,
            actor=request.requested_by,
            reason=request.reason,
            request_id=request_id,
            approved_by=request.decided_by,
            missing=[d for d in ids if d not in present],
        )
        return await self.store.replay_request(request_id)

    async def run_all(self, request_id: str) -> ReplayRequest | None:
        """Run an approved request to its end, batch after batch."""
        while True:
            request = await self.run_batch(request_id)
            if request is None or request.state is not RequestState.APPROVED:
                return request

    async def unfinished(self) -> list[str]:
        """Approved requests whose run has not finished (the start-up sweep resumes them)."""
        return await self.store.unfinished_replay_requests()


def _value(state: DeliveryState | None) -> str | None:
    return state.value if state is not None else None


def _short(selection: Mapping[str, Any]) -> dict[str, Any]:
    """A selection for the audit log: a long id list is cut to its count and first ids."""
    ids = selection.get("delivery_ids")
    if isinstance(ids, list) and len(ids) > 20:
        return {"delivery_ids": ids[:20], "count": len(ids)}
    return dict(selection)
