"""Replay and four-eyes replay requests (gateway/core/replay.py over gateway/store/replays.py), on
SQLite and PostgreSQL: the path back per failure, idempotence, races, approval rules, expiry,
rejection, and a background run resumed after a crash without replaying anything twice."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from business_calendar.table import load_spec
from gateway.core.actors import Action, Actor, AuditRecord, Role
from gateway.core.clock import FrozenClock
from gateway.core.deliveries_admin import DeliveriesAdmin, DeliveryFilter
from gateway.core.errors import BadRequest, ExchangeError, NotAllowed, StoreUnavailable
from gateway.core.legal import LegalTime
from gateway.core.model import DeliveryState, EventKind, MessageType
from gateway.core.replay import ReplayConfig, Replays
from gateway.core.replay_model import Outcome, ReplayPlan, ReplayResult, RequestState
from gateway.core.routing import Routes
from gateway.core.work import UPSTREAM
from gateway.store.repository import SqlStore
from gateway.store.tables import OutboxRow
from identifiers import Registry
from tests.gateway.store.conftest import NOW, accepted, add_system, plan

ALICE = Actor("alice", Role.OPERATOR)
BOB = Actor("bob", Role.OPERATOR)
AUDREY = Actor("audrey", Role.AUDITOR)
LATER = NOW + timedelta(minutes=5)


class RecordingAudit:
    """An audit sink that keeps what it is given."""

    def __init__(self) -> None:
        self.records: list[AuditRecord] = []

    async def append(self, record: AuditRecord) -> None:
        """Keep ``record``."""
        self.records.append(record)

    def actions(self) -> list[Action]:
        """The actions recorded, in order."""
        return [r.action for r in self.records]


@pytest.fixture(scope="module")
def legal() -> LegalTime:
    """The shipped business calendar (built once)."""
    return LegalTime(load_spec())


def _replays(
    store: Any,
    legal: LegalTime,
    clock: FrozenClock,
    audit: RecordingAudit,
    *,
    threshold: int = 3,
    batch: int = 100,
) -> Replays:
    registry = Registry()
    admin = DeliveriesAdmin(store, registry, clock, legal)
    config = ReplayConfig(threshold=threshold, batch=batch)
    return Replays(store, Routes(registry, store), admin, clock, audit, config)


async def _failed_copies(store: SqlStore, count: int = 1, code: str = "000.00.01.H41") -> list[str]:
    """``count`` copies for sys-b that the receiver failed on for good (one failure: limit 1)."""
    codes = [code] if count == 1 else [f"000.00.{n + 10:02d}.H41" for n in range(count)]
    recipients = tuple((c, "sys-b") for c in codes)
    p = await accepted(store, plan(recipients=recipients))
    ids = [r.delivery_id for r in p.recipients]
    for copy_id in ids:
        await store.confirm(
            copy_id,
            done=False,
            actor="sys-b",
            now=NOW + timedelta(minutes=1),
            max_failures=1,
            retry_at=lambda _: NOW,
            reason="disk full",
        )
    return ids


async def _events(store: SqlStore, copy_id: str) -> list[Any]:
    copy = await store.get_delivery(copy_id)
    assert copy is not None
    trace = await store.trace(copy.document_id)
    assert trace is not None
    return list(trace.events[copy_id])


async def _pulled(store: SqlStore, system_id: str = "sys-b") -> list[str]:
    rows = await store.pull_list(system_id, MessageType.EDOC, LATER + timedelta(days=1), 500)
    return [r.delivery_id for r in rows]


async def test_a_replayed_copy_is_offered_again_once(store: SqlStore, legal: LegalTime) -> None:
    """A replayed copy is offered again once, failures reset, its send time kept."""
    await add_system(store, "sys-b", "000.00.01.H41")
    audit = RecordingAudit()
    replays = _replays(store, legal, FrozenClock(LATER), audit)
    (copy_id,) = await _failed_copies(store)
    before = await store.get_delivery(copy_id)
    assert before is not None
    assert before.state is DeliveryState.FAILED
    assert before.fail_code == "RECEIVER_FAILED"
    answer = await replays.replay(ALICE, [copy_id], "disk replaced")
    assert [r.outcome for r in answer.results] == [Outcome.REPLAYED]
    after = await store.get_delivery(copy_id)
    assert after is not None
    assert after.state is DeliveryState.AVAILABLE
    assert after.receiver_failures == 0
    assert after.created_at == before.created_at
    assert after.available_at == LATER
    assert after.fail_code is None
    replayed = [e for e in await _events(store, copy_id) if e.kind is EventKind.REPLAYED]
    assert len(replayed) == 1
    assert replayed[0].actor == "alice"
    assert replayed[0].detail["reason"] == "disk replaced"
    assert replayed[0].detail["previous_code"] == "RECEIVER_FAILED"
    again = await replays.replay(ALICE, [copy_id], "again")
    assert again.results[0].outcome is Outcome.SKIPPED
    assert await _pulled(store) == [copy_id]
    assert audit.actions() == [Action.REPLAY_RUN, Action.REPLAY_RUN]
    assert audit.records[0].target == f"delivery:{copy_id}"


async def test_a_copy_no_system_served_is_rerouted_once_one_does(
    store: SqlStore, legal: LegalTime
) -> None:
    """A copy no system served is skipped until one serves its code, then offered to it."""
    replays = _replays(store, legal, FrozenClock(LATER), RecordingAudit())
    p = await accepted(store, plan(recipients=(("000.00.01.H41", None),)))
    copy_id = p.recipients[0].delivery_id
    await store.fail_delivery(
        copy_id,
        reason="no connected system serves it",
        code="ROUTE_NO_SYSTEM",
        actor="router",
        now=NOW,
    )
    skipped = (await replays.replay(ALICE, [copy_id], "try")).results[0]
    assert skipped.outcome is Outcome.SKIPPED
    assert skipped.reason == "no connected system serves 000.00.01.H41"
    await add_system(store, "sys-b", "000.00.01.H41")
    done = (await replays.replay(ALICE, [copy_id], "system enabled")).results[0]
    assert done.outcome is Outcome.REPLAYED
    assert done.system_id == "sys-b"
    assert await _pulled(store) == [copy_id]


async def test_an_upstream_copy_is_queued_for_the_forwarder(
    store: SqlStore, legal: LegalTime
) -> None:
    """A failed upstream copy goes back to queued with a forward work item in the outbox."""
    replays = _replays(store, legal, FrozenClock(LATER), RecordingAudit())
    base = plan(recipients=(("000.00.01.G22", None),))
    recipient = dataclasses.replace(base.recipients[0], link=UPSTREAM)
    p = await accepted(store, dataclasses.replace(base, recipients=(recipient,)))
    copy_id = recipient.delivery_id
    await store.fail_delivery(
        copy_id, reason="refused", code="UPSTREAM_X", actor="forwarder", now=NOW
    )
    result = (await replays.replay(ALICE, [copy_id], "national node fixed")).results[0]
    assert result.state is DeliveryState.QUEUED
    async with store._tx() as s:  # the outbox row written with the move
        rows = list(await s.scalars(select(OutboxRow).where(OutboxRow.topic == "forward")))
    assert [json.loads(r.body)["delivery_ids"] for r in rows] == [[copy_id]]
    assert json.loads(rows[0].body)["document_id"] == p.document.document_id


async def test_a_replay_racing_a_confirmation_never_lists_the_copy_twice(
    store: SqlStore, legal: LegalTime
) -> None:
    """A replay racing a late done leaves the copy received and out of every pull list."""
    await add_system(store, "sys-b", "000.00.01.H41")
    replays = _replays(store, legal, FrozenClock(LATER), RecordingAudit())
    for _ in range(3):
        (copy_id,) = await _failed_copies(store)
        confirm = store.confirm(
            copy_id,
            done=True,
            actor="sys-b",
            now=LATER,
            max_failures=1,
            retry_at=lambda _: NOW,
            reason=None,
        )
        await asyncio.gather(replays.replay(ALICE, [copy_id], "race"), confirm)
        copy = await store.get_delivery(copy_id)
        assert copy is not None
        assert copy.state is DeliveryState.RECEIVED
        assert copy_id not in await _pulled(store)
        kinds = [e.kind for e in await _events(store, copy_id)]
        assert kinds.count(EventKind.REPLAYED) <= 1
        assert kinds.count(EventKind.CONFIRMED) == 1


async def test_more_than_the_threshold_becomes_a_request_another_person_approves(
    store: SqlStore, legal: LegalTime
) -> None:
    """Above the threshold a request is made that only another operator may approve."""
    await add_system(store, "sys-b", "H41")
    audit = RecordingAudit()
    replays = _replays(store, legal, FrozenClock(LATER), audit)
    ids = await _failed_copies(store, 4)
    answer = await replays.replay(ALICE, ids, "receiver back")
    request = answer.request
    assert request is not None
    assert not answer.results
    assert request.state is RequestState.PENDING
    assert request.total == 4
    assert request.expires_at == LATER + timedelta(hours=24)
    with pytest.raises(NotAllowed) as own:
        await replays.approve(ALICE, request.request_id)
    assert own.value.code == "REPLAY_SELF_APPROVAL"
    with pytest.raises(NotAllowed) as role:
        await replays.approve(AUDREY, request.request_id)
    assert role.value.code == "AUTH_ROLE"
    approved = await replays.approve(BOB, request.request_id)
    assert approved.state is RequestState.APPROVED
    assert approved.decided_by == "bob"
    with pytest.raises(ExchangeError) as twice:
        await replays.approve(BOB, request.request_id)
    assert twice.value.code == "REPLAY_REQUEST_CLOSED"
    finished = await replays.run_all(request.request_id)
    assert finished is not None
    assert finished.state is RequestState.DONE
    assert finished.progress.done == finished.progress.replayed == 4
    assert sorted(await _pulled(store)) == sorted(ids)
    assert audit.actions() == [
        Action.REPLAY_REQUESTED,
        Action.REPLAY_APPROVED,
        Action.REPLAY_COMPLETED,
    ]
    listed = await replays.list_requests(AUDREY)
    assert [r.request_id for r in listed] == [request.request_id]


async def test_a_request_expires_after_a_day_and_can_be_rejected(
    store: SqlStore, legal: LegalTime
) -> None:
    """A request expires unapproved after 24 h; a rejected one keeps its reason."""
    clock = FrozenClock(LATER)
    replays = _replays(store, legal, clock, RecordingAudit())
    ids = await _failed_copies(store, 2)
    first = await replays.request(ALICE, "bulk", delivery_ids=ids)
    second = await replays.request(ALICE, "bulk", delivery_ids=ids)
    with pytest.raises(BadRequest) as no_reason:
        await replays.reject(BOB, second.request_id, " ")
    assert no_reason.value.code == "REPLAY_REASON_REQUIRED"
    rejected = await replays.reject(BOB, second.request_id, "wrong set")
    assert rejected.state is RequestState.REJECTED
    assert rejected.decision_reason == "wrong set"
    with pytest.raises(ExchangeError) as closed:
        await replays.approve(BOB, second.request_id)
    assert closed.value.code == "REPLAY_REQUEST_CLOSED"
    clock.advance(timedelta(hours=24))
    assert (await replays.get(AUDREY, first.request_id)).state is RequestState.EXPIRED
    with pytest.raises(ExchangeError) as expired:
        await replays.approve(BOB, first.request_id)
    assert expired.value.code == "REPLAY_REQUEST_EXPIRED"
    copy = await store.get_delivery(ids[0])
    assert copy is not None
    assert copy.state is DeliveryState.FAILED


async def test_a_filter_request_freezes_the_failed_copies_when_requested(
    store: SqlStore, legal: LegalTime
) -> None:
    """A filter request freezes the copies failed when requested, no later ones."""
    replays = _replays(store, legal, FrozenClock(LATER), RecordingAudit())
    ids = await _failed_copies(store, 2)
    request = await replays.request(ALICE, "bulk", criteria=DeliveryFilter(system="sys-b"))
    await _failed_copies(store, 1)
    assert request.total == 2
    assert sorted(await store.pending_replay_items(request.request_id, 10)) == sorted(ids)
    assert request.selection == {"filter": {"state": "failed", "system": "sys-b"}}
    with pytest.raises(BadRequest) as empty:
        await replays.request(ALICE, "bulk", criteria=DeliveryFilter(system="nobody"))
    assert empty.value.code == "REPLAY_EMPTY"


class CrashingStore:
    """The store, whose replay transaction fails once after ``ok`` batches (a crash)."""

    def __init__(self, store: SqlStore, ok: int) -> None:
        self._store = store
        self.ok = ok

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    async def replay_copies(
        self, plans: Sequence[ReplayPlan], skipped: Sequence[ReplayResult], **kw: Any
    ) -> list[ReplayResult]:
        """The real transaction, or a database failure instead of the batch after ``ok``."""
        if self.ok == 0:
            raise StoreUnavailable("database error: the node crashed")
        self.ok -= 1
        return await self._store.replay_copies(plans, skipped, **kw)


async def test_a_run_resumed_after_a_crash_replays_nothing_twice(
    store: SqlStore, legal: LegalTime
) -> None:
    """A run resumed after a crash replays every copy exactly once, and completes once."""
    await add_system(store, "sys-b", "H41")
    clock = FrozenClock(LATER)
    audit = RecordingAudit()
    ids = await _failed_copies(store, 7)
    replays = _replays(store, legal, clock, audit, batch=3)
    request = await replays.request(ALICE, "bulk", delivery_ids=ids)
    await replays.approve(BOB, request.request_id)
    crashing = _replays(CrashingStore(store, ok=1), legal, clock, audit, batch=3)
    with pytest.raises(StoreUnavailable):
        await crashing.run_all(request.request_id)
    halfway = await replays.get(AUDREY, request.request_id)
    assert halfway.state is RequestState.APPROVED
    assert halfway.progress.done == 3
    assert await store.unfinished_replay_requests() == [request.request_id]
    # A copy replayed before the crash that fails again must not be replayed by the resume.
    first = ids[0]
    await store.confirm(
        first,
        done=False,
        actor="sys-b",
        now=LATER,
        max_failures=1,
        retry_at=lambda _: NOW,
        reason="again",
    )
    resumed = _replays(store, legal, clock, audit, batch=3)
    done = await resumed.run_all(request.request_id)
    assert done is not None
    assert done.state is RequestState.DONE
    assert done.progress.replayed == 7
    assert await resumed.run_all(request.request_id) == done  # a repeated message
    for copy_id in ids:
        kinds = [e.kind for e in await _events(store, copy_id)]
        assert kinds.count(EventKind.REPLAYED) == 1, copy_id
    assert sorted(await _pulled(store)) == sorted(ids[1:])
    assert audit.actions().count(Action.REPLAY_COMPLETED) == 1
    assert await store.unfinished_replay_requests() == []
