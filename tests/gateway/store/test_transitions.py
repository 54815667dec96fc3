"""The store's guards agree with the delivery state machine (gateway/core/delivery.py).

Random sequences of events are applied to fresh copies through the store's own methods, on
SQLite and on PostgreSQL; after each event the copy's state must be what the table says (the
state is unchanged when the table has no row for it, or the row's guard does not hold), and the
history entries it appended must be the row's.
"""

from __future__ import annotations

import dataclasses
import uuid
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.core.delivery import Event, initial_state, step
from gateway.core.model import DeliveryState, EventKind
from gateway.core.replay_model import ReplayPlan
from gateway.core.work import UPSTREAM
from gateway.store.repository import SqlStore
from tests.gateway.store.conftest import NOW, accepted, plan

SYSTEM = "sys-b"
LIMIT = 3
LATER = NOW + timedelta(minutes=1)


async def _kinds(store: SqlStore, document_id: str, delivery_id: str) -> list[EventKind]:
    trace = await store.trace(document_id)
    assert trace is not None
    return [e.kind for e in trace.events[delivery_id]]


async def _apply(store: SqlStore, event: Event, copy_id: str) -> Event | None:
    """Apply ``event`` with the store method that performs it; returns the event the table
    should be asked about (a receiver failure becomes a give-up at the limit), or None when the
    caller's guard does not hold (the copy must not change)."""
    copy = await store.get_delivery(copy_id)
    assert copy is not None
    own = copy.system_id == SYSTEM

    async def confirm(done: bool, next_doc_id: str | None = None) -> None:
        await store.confirm(
            copy_id,
            done=done,
            actor=SYSTEM,
            now=LATER,
            max_failures=LIMIT,
            retry_at=lambda n: NOW,  # offered again at once: every fail counts
            reason="busy",
            next_doc_id=next_doc_id,
        )

    if event is Event.ROUTE:
        if copy.link is not None:
            return None  # the router never routes the forwarder's copies
        await store.make_available(copy_id, LATER, SYSTEM)
    elif event is Event.DONE:
        await confirm(True)
    elif event in (Event.RECEIVER_FAIL, Event.RECEIVER_GIVE_UP):
        await confirm(False)
        if not own:
            return None
        failures = copy.receiver_failures + 1
        return Event.RECEIVER_GIVE_UP if failures >= LIMIT else Event.RECEIVER_FAIL
    elif event is Event.HAND_ON:
        await confirm(True, next_doc_id="downstream-1")
    elif event is Event.FAIL:
        await store.fail_delivery(copy_id, reason="r", code="TEST", actor="test", now=LATER)
    elif event is Event.FORWARD:
        if copy.link != UPSTREAM:
            return None  # the forwarder sends only upstream copies
        await store.mark_forwarded([copy_id], "upstream-1", LATER)
    elif event in (Event.REPORT_RECEIVED, Event.REPORT_FAILED):
        await store.report_delivery(
            copy_id,
            received=event is Event.REPORT_RECEIVED,
            at=LATER,
            now=LATER,
            actor="link",
            system_id=copy.system_id,
            code="TEST",
            reason="r",
        )
        return event
    elif event in (Event.REPLAY, Event.REPLAY_FORWARD):
        # The replay core plans the forward for upstream copies, the offer for the others.
        if (event is Event.REPLAY_FORWARD) != (copy.link == UPSTREAM):
            return None
        replay = ReplayPlan(copy_id, event, SYSTEM if event is Event.REPLAY else None)
        await store.replay_copies([replay], [], actor="alice", reason="test", now=LATER)
        return event
    elif event is Event.REMOVE:
        update = plan()
        await accepted(store, dataclasses.replace(update, removed_deliveries=(copy_id,)))
    if event in (Event.DONE, Event.HAND_ON) and not own:
        return None  # another system's copy: updateStatus finds nothing
    return event


starts = st.sampled_from([(SYSTEM, None), (None, None), (None, UPSTREAM)])
events = st.lists(st.sampled_from(list(Event)), min_size=1, max_size=12)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(start=starts, sequence=events)
async def test_random_events_make_only_the_tables_transitions(
    store: SqlStore, start: tuple[str | None, str | None], sequence: list[Event]
) -> None:
    """Every state reached and every history entry appended is the table's, on both backends."""
    system_id, link = start
    base = plan(recipients=((f"000.00.{uuid.uuid4().int % 90 + 10}.H41", system_id),))
    recipient = dataclasses.replace(base.recipients[0], link=link)
    p = await accepted(store, dataclasses.replace(base, recipients=(recipient,)))
    copy_id = recipient.delivery_id
    document_id = p.document.document_id
    copy = await store.get_delivery(copy_id)
    assert copy is not None
    assert copy.state is initial_state(system_id, link)
    for event in sequence:
        before = await store.get_delivery(copy_id)
        assert before is not None
        seen = await _kinds(store, document_id, copy_id)
        asked = await _apply(store, event, copy_id)
        after = await store.get_delivery(copy_id)
        assert after is not None
        transition = step(before.state, asked) if asked is not None else None
        expected = transition.target if transition is not None else before.state
        assert after.state is expected, (before.state, event, after.state)
        appended = (await _kinds(store, document_id, copy_id))[len(seen) :]
        assert appended == list(transition.appends if transition else ()), (event, appended)
        if after.state is DeliveryState.RECEIVED and before.state is DeliveryState.RECEIVED:
            assert after.received_at == before.received_at  # never rewritten
        assert after.created_at == before.created_at  # the legal send time is never moved
        if transition is not None and transition.event in (Event.REPLAY, Event.REPLAY_FORWARD):
            assert after.receiver_failures == 0
