"""The delivery state machine: the one place where a copy's transitions are written.

A **copy** (delivery) is one recipient's share of an accepted package. It is born in the state
:func:`initial_state` gives — ``available`` at once when the accept knows the recipient's system
(design.md §1 "visible at commit"), else ``queued`` for the router (system unknown yet) or the
forwarder (the national node will take it) — and then moves only by the :data:`TRANSITIONS` below.
Each row says, for one (from-state, event), the state reached, the guard the store checks besides
the state, and the history entries (:class:`EventKind`) the move appends.

Everything else derives from this table:

- the store's compare-and-set guards (``UPDATE … WHERE state IN sources(event)``,
  :func:`sources`) and its in-row moves (:func:`step`);
- the sender's view on the wire (:data:`PROJECTIONS`: VXP ``getSentEdocList`` send and receive
  status) and the native ``CopyState`` (the same values as :class:`DeliveryState`, tested);
- the metrics (copies by state) and the reports to the upstream node (:func:`reports_upstream`).

A repeated event that the table does not list for the current state changes nothing: that is what
makes ``updateStatus``, the router, the forwarder and the reports idempotent.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from gateway.core.model import DeliveryState, EventKind

Q, A, R, F, X, W = (
    DeliveryState.QUEUED,
    DeliveryState.AVAILABLE,
    DeliveryState.RECEIVED,
    DeliveryState.FAILED,
    DeliveryState.REMOVED,
    DeliveryState.FORWARDED,
)


class Event(StrEnum):
    """What can happen to a copy after it was created."""

    ROUTE = "route"  # the router found the system that serves the recipient
    DONE = "done"  # updateStatus done: the package entered the recipient's system
    RECEIVER_FAIL = "receiver_fail"  # updateStatus fail: offered again later
    RECEIVER_GIVE_UP = "receiver_give_up"  # updateStatus fail once too often
    FAIL = "fail"  # the node gives up: no system, dead-lettered, refused upstream
    FORWARD = "forward"  # the national node answered its DocId for the forwarded package
    HAND_ON = "hand_on"  # a downstream node took the copy on (done + nextDocId; node links)
    REPORT_RECEIVED = "report_received"  # the next node reports the final receipt (node links)
    REPORT_FAILED = "report_failed"  # the next node reports a failure, or refuses (node links)
    REMOVE = "remove"  # an update removed the recipient
    REPLAY = "replay"  # an operator replays a failed copy: offered again to the system serving it
    REPLAY_FORWARD = "replay_forward"  # an operator replays a failed upstream copy: sent up again


@dataclass(frozen=True, slots=True)
class Transition:
    """One row of the table: ``source`` --``event``--> ``target`` when ``guard`` holds."""

    source: DeliveryState
    event: Event
    target: DeliveryState
    guard: str
    appends: tuple[EventKind, ...]


def _rows(
    sources: tuple[DeliveryState, ...],
    event: Event,
    target: DeliveryState,
    guard: str,
    *appends: EventKind,
) -> list[Transition]:
    return [Transition(s, event, target, guard, appends) for s in sources]


#: Every transition a copy can make. Guards are checked by the store in the same statement or
#: locked row as the state; "-" means the state alone decides.
TRANSITIONS: tuple[Transition, ...] = tuple(
    _rows((Q,), Event.ROUTE, A, "an enabled system serves the code", EventKind.AVAILABLE)
    # A late "done" after the node gave up still tells the truth: the copy arrived.
    + _rows((A, F), Event.DONE, R, "the caller is the copy's system", EventKind.CONFIRMED)
    + _rows(
        (A,),
        Event.RECEIVER_FAIL,
        A,
        "not deferred already (a client's retry counts once); failures + 1 < limit",
        EventKind.RECEIVER_FAILED,
    )
    + _rows(
        (A,),
        Event.RECEIVER_GIVE_UP,
        F,
        "not deferred already; failures + 1 >= limit",
        EventKind.RECEIVER_FAILED,
        EventKind.FAILED,
    )
    + _rows((Q, A, W), Event.FAIL, F, "-", EventKind.FAILED)
    + _rows((Q,), Event.FORWARD, W, "the copy leaves by the upstream link", EventKind.FORWARDED)
    + _rows((A, F), Event.HAND_ON, W, "the caller is a node link", EventKind.FORWARDED)
    # A confirmed receipt is never rewritten: RECEIVED is not a source of any report.
    + _rows((A, F, W), Event.REPORT_RECEIVED, R, "the caller is a node link", EventKind.REPORTED)
    + _rows((A, W), Event.REPORT_FAILED, F, "the caller is a node link", EventKind.REPORTED)
    + _rows((Q, A), Event.REMOVE, X, "-", EventKind.REMOVED)
    # Replay (gateway/core/replay.py): an operator sends a failed copy back by the path it failed
    # on. A local copy is offered again at once (visible at commit) to the enabled system that
    # serves its code now (its own, or the one routing finds since it changed or was re-enabled),
    # its receiver failures reset; an upstream copy is queued for the forwarder again.
    + _rows(
        (F,),
        Event.REPLAY,
        A,
        "an enabled system serves the code; the caller holds the replay capability",
        EventKind.REPLAYED,
        EventKind.AVAILABLE,
    )
    + _rows(
        (F,),
        Event.REPLAY_FORWARD,
        Q,
        "the copy leaves by the upstream link; the caller holds the replay capability",
        EventKind.REPLAYED,
    )
)

_BY_KEY: dict[tuple[DeliveryState, Event], Transition] = {
    (t.source, t.event): t for t in TRANSITIONS
}

_TARGETS: dict[Event, DeliveryState] = {t.event: t.target for t in TRANSITIONS}

#: States in which a copy is finished: nothing moves it any more except an operator's replay
#: (:data:`REPLAY_EVENTS`, from ``failed`` only) and a late ``done`` or report telling that a
#: failed copy arrived after all.
FINAL_STATES = frozenset({R, F, X})

#: The events of an operator's replay (one per path back to work).
REPLAY_EVENTS = frozenset({Event.REPLAY, Event.REPLAY_FORWARD})


def replayable(state: DeliveryState) -> bool:
    """Whether an operator may replay a copy in ``state`` (the table has a replay row for it)."""
    return any(step(state, event) is not None for event in REPLAY_EVENTS)


#: States in which a copy sits in its system's pull list (when not deferred).
PULLABLE = frozenset({A})


def step(state: DeliveryState, event: Event) -> Transition | None:
    """The transition ``event`` makes from ``state``, or None (the event changes nothing)."""
    return _BY_KEY.get((state, event))


def target(event: Event) -> DeliveryState:
    """The state ``event`` moves a copy to (one per event: the table's rows of an event share
    their target), for the store's one-statement moves."""
    return _TARGETS[event]


def sources(event: Event) -> tuple[str, ...]:
    """The states ``event`` moves a copy out of, as stored strings (the store's SQL guard)."""
    return tuple(t.source.value for t in TRANSITIONS if t.event is event)


def initial_state(system_id: str | None, link: str | None) -> DeliveryState:
    """A new copy's state: ``available`` when its system is known and it stays on this node,
    else ``queued`` (the router resolves its system, or the forwarder sends it on)."""
    return A if system_id is not None and link is None else Q


#: The states of a pulled copy that are reported back to the upstream node.
REPORTED_STATES = frozenset({R, F})


def reports_upstream(state: DeliveryState) -> bool:
    """A copy pulled from the upstream node that reaches ``state`` is reported back to it."""
    return state in REPORTED_STATES


@dataclass(frozen=True, slots=True)
class Projection:
    """How a state reads in the sender's view (VXP ``getSentEdocList``, vxp-api.md §5.6)."""

    send_status: str
    send_desc: str
    receive_status: str
    receive_desc: str


PROJECTIONS: dict[DeliveryState, Projection] = {
    Q: Projection("processing", "accepted, being routed", "initial", "not yet available"),
    A: Projection(
        "done", "available to the receiving system", "initial", "waiting for the receiving system"
    ),
    R: Projection("done", "delivered", "done", "received by the receiving system"),
    F: Projection("fail", "delivery failed", "fail", "not received"),
    X: Projection(
        "done", "recipient removed by an update", "removed", "recipient removed by an update"
    ),
    W: Projection(
        "done",
        "handed on to the next node",
        "initial",
        "not yet received by the receiving system",
    ),
}
