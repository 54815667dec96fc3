"""The delivery state machine's table: complete, closed and consistent with the wire enums."""

from __future__ import annotations

from gateway.core.delivery import (
    FINAL_STATES,
    PROJECTIONS,
    REPLAY_EVENTS,
    TRANSITIONS,
    Event,
    initial_state,
    replayable,
    reports_upstream,
    sources,
    step,
    target,
)
from gateway.core.model import DeliveryState, EventKind
from gateway.core.work import UPSTREAM


def test_one_row_per_state_and_event() -> None:
    """No (state, event) pair is written twice."""
    keys = [(t.source, t.event) for t in TRANSITIONS]
    assert len(keys) == len(set(keys))


def test_every_event_moves_some_state_and_appends_history() -> None:
    """Each event has a row, and each row appends at least one history entry."""
    assert {t.event for t in TRANSITIONS} == set(Event)
    assert all(t.appends for t in TRANSITIONS)


def test_every_state_is_reachable_from_a_new_copy() -> None:
    """From the initial states, the table reaches every state."""
    reached = {initial_state("sys", None), initial_state(None, None), initial_state(None, UPSTREAM)}
    frontier = set(reached)
    while frontier:
        state = frontier.pop()
        for t in TRANSITIONS:
            if t.source is state and t.target not in reached:
                reached.add(t.target)
                frontier.add(t.target)
    assert reached == set(DeliveryState)


def test_a_received_copy_never_moves() -> None:
    """No event leaves RECEIVED: a confirmed receipt is never rewritten or failed."""
    assert all(step(DeliveryState.RECEIVED, e) is None for e in Event)


def test_removed_is_terminal() -> None:
    """No event leaves REMOVED."""
    assert all(step(DeliveryState.REMOVED, e) is None for e in Event)


def test_a_failed_copy_moves_only_on_news_that_it_arrived_or_a_replay() -> None:
    """From FAILED only a late done, a hand-on, a receipt report or an operator's replay move."""
    moving = {e for e in Event if step(DeliveryState.FAILED, e) is not None}
    assert moving == {Event.DONE, Event.HAND_ON, Event.REPORT_RECEIVED, *REPLAY_EVENTS}
    assert DeliveryState.FAILED in FINAL_STATES


def test_only_a_failed_copy_is_replayable() -> None:
    """The replay rows leave FAILED only: to available (offered again) or queued (sent up)."""
    assert {s for s in DeliveryState if replayable(s)} == {DeliveryState.FAILED}
    offered = step(DeliveryState.FAILED, Event.REPLAY)
    sent_up = step(DeliveryState.FAILED, Event.REPLAY_FORWARD)
    assert offered is not None
    assert offered.target is DeliveryState.AVAILABLE
    assert offered.appends == (EventKind.REPLAYED, EventKind.AVAILABLE)
    assert sent_up is not None
    assert sent_up.target is DeliveryState.QUEUED
    assert sent_up.appends == (EventKind.REPLAYED,)
    assert sources(Event.REPLAY) == ("failed",)


def test_initial_state_is_available_when_the_system_is_known() -> None:
    """Visible at commit: a copy with its system is available; the others are queued."""
    assert initial_state("sys-b", None) is DeliveryState.AVAILABLE
    assert initial_state(None, None) is DeliveryState.QUEUED
    assert initial_state(None, UPSTREAM) is DeliveryState.QUEUED


def test_sources_are_the_rows_sources() -> None:
    """The store's SQL guard of an event lists exactly the states the table moves it from."""
    assert sources(Event.REMOVE) == ("queued", "available")
    assert set(sources(Event.FAIL)) == {"queued", "available", "forwarded"}


def test_reports_and_receiver_failures_append_their_entries() -> None:
    """A give-up appends the receiver failure and the failure; reports append ``reported``."""
    give_up = step(DeliveryState.AVAILABLE, Event.RECEIVER_GIVE_UP)
    assert give_up is not None
    assert give_up.appends == (EventKind.RECEIVER_FAILED, EventKind.FAILED)
    assert reports_upstream(DeliveryState.RECEIVED)
    assert reports_upstream(DeliveryState.FAILED)
    assert not reports_upstream(DeliveryState.FORWARDED)


def test_each_event_has_one_target() -> None:
    """The store's one-statement moves rely on every row of an event sharing its target."""
    for event in Event:
        assert {t.target for t in TRANSITIONS if t.event is event} == {target(event)}


def test_every_state_has_a_wire_projection() -> None:
    """getSentEdocList can show every state."""
    assert set(PROJECTIONS) == set(DeliveryState)
