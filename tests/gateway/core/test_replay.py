"""The replay core's pure parts: the way back per copy, reasons, expiry, the filter as shown,
a copy's attempts and time in failure read from its history, working hours back from now."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from business_calendar.table import load_spec
from gateway.core import work
from gateway.core.actors import Actor, Role
from gateway.core.clock import VN_TZ, FrozenClock
from gateway.core.deliveries_admin import (
    DeliveryFilter,
    SortKey,
    attempts_of,
    time_in_failure,
    working_hours_before,
)
from gateway.core.delivery import Event
from gateway.core.errors import BadRequest, NotAllowed
from gateway.core.legal import LegalTime
from gateway.core.model import DeliveryEvent, DeliveryState, DeliveryView, EventKind, MessageType
from gateway.core.replay import Replays
from gateway.core.replay_model import (
    REQUEST_TTL,
    Outcome,
    Progress,
    ReplayPlan,
    ReplayRequest,
    ReplayResult,
    RequestState,
    plan_for,
)
from gateway.core.routing import RoutingTable
from identifiers import Registry

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # Monday 08:00 +07:00


def _copy(state: DeliveryState = DeliveryState.FAILED, **extra: object) -> DeliveryView:
    base = DeliveryView(
        delivery_id="d-1",
        document_id="doc-1",
        kind=MessageType.EDOC,
        state=state,
        priority=1,
        requested_code="000.00.01.H41",
        code="000.00.01.H41",
        system_id="sys-old",
        link=None,
        upstream_doc_id=None,
        sender_system="sys-a",
        sender_code="000.00.01.H14",
        sha256="0" * 64,
        created_at=T0,
        updated_at=T0,
    )
    return dataclasses.replace(base, **extra)  # type: ignore[arg-type]


def _table(*grants: tuple[str, str]) -> RoutingTable:
    return RoutingTable(Registry(), grants)


def test_a_local_copy_goes_to_the_system_serving_its_code_now() -> None:
    """The offer goes to the current owner of the code, not the system recorded on the copy."""
    planned = plan_for(_copy(), _table(("sys-new", "H41")), tag="t")
    assert planned == ReplayPlan("d-1", Event.REPLAY, "sys-new")


def test_a_copy_no_system_serves_is_skipped_with_the_reason() -> None:
    """No enabled system owns the code: skipped, staying failed, naming the code."""
    planned = plan_for(_copy(), _table(), tag="t")
    assert planned == ReplayResult(
        "d-1", Outcome.SKIPPED, DeliveryState.FAILED, "no connected system serves 000.00.01.H41"
    )


def test_an_upstream_copy_is_forwarded_again_with_a_tagged_work_item() -> None:
    """An upstream copy is queued with one forward item, its message id tagged (a repeat)."""
    planned = plan_for(_copy(link=work.UPSTREAM), _table(), tag="replay-1")
    assert isinstance(planned, ReplayPlan)
    assert planned.event is Event.REPLAY_FORWARD
    (item,) = planned.outbox
    assert item.message_id == "forward:doc-1:replay-1"
    assert work.parse_forward(item.body) == ("doc-1", ["d-1"])


@pytest.mark.parametrize("state", [s for s in DeliveryState if s is not DeliveryState.FAILED])
def test_only_failed_copies_are_planned(state: DeliveryState) -> None:
    """Any other state is skipped as not failed."""
    planned = plan_for(_copy(state), _table(("sys", "H41")), tag="t")
    assert isinstance(planned, ReplayResult)
    assert planned.reason == f"not failed (state {state.value})"


def test_a_pending_request_reads_expired_after_its_ttl() -> None:
    """Expiry is derived at read time; a decided request never expires."""
    request = ReplayRequest(
        "r", RequestState.PENDING, "x", {}, 1, "alice", T0, T0 + REQUEST_TTL, progress=Progress(1)
    )
    assert request.as_of(T0 + REQUEST_TTL - timedelta(seconds=1)).state is RequestState.PENDING
    assert request.as_of(T0 + REQUEST_TTL).state is RequestState.EXPIRED
    done = dataclasses.replace(request, state=RequestState.DONE)
    assert done.as_of(T0 + 2 * REQUEST_TTL).state is RequestState.DONE
    assert Progress(0).fraction == 1.0
    assert Progress(4, 1).fraction == 0.25


async def test_replays_refuse_before_touching_the_store() -> None:
    """No reason, no ids, no person or an auditor: coded refusals, nothing read or written."""
    replays = Replays(None, None, None, FrozenClock(T0), None)  # type: ignore[arg-type]
    operator = Actor("olga", Role.OPERATOR)
    with pytest.raises(BadRequest) as no_reason:
        await replays.replay(operator, ["d-1"], "  ")
    assert no_reason.value.code == "REPLAY_REASON_REQUIRED"
    with pytest.raises(BadRequest) as empty:
        await replays.replay(operator, [" "], "why")
    assert empty.value.code == "REPLAY_EMPTY"
    with pytest.raises(NotAllowed) as nobody:
        await replays.replay(None, ["d-1"], "why")
    assert nobody.value.code == "AUTH_REQUIRED"
    with pytest.raises(NotAllowed) as auditor:
        await replays.request(Actor("audrey", Role.AUDITOR), "why", delivery_ids=["d-1"])
    assert auditor.value.code == "AUTH_ROLE"
    with pytest.raises(NotAllowed) as many:
        await replays.run(operator, [f"d-{n}" for n in range(11)], "why")
    assert many.value.code == "REPLAY_NEEDS_APPROVAL"


def test_a_filter_describes_what_was_given() -> None:
    """The frozen selection shows the given fields only, times in ISO 8601."""
    since = datetime(2026, 3, 1, tzinfo=VN_TZ)
    criteria = DeliveryFilter(
        state=DeliveryState.FAILED, recipient="H41", subtree=True, since=since
    )
    assert criteria.described() == {
        "state": "failed",
        "recipient": "H41",
        "subtree": True,
        "since": "2026-03-01T00:00:00+07:00",
    }
    assert SortKey.CREATED_DESC.column == "created_at"
    assert SortKey.CREATED_DESC.descending
    assert not SortKey.UPDATED_ASC.descending


def _event(kind: EventKind, minutes: int, **detail: object) -> DeliveryEvent:
    return DeliveryEvent("d-1", kind, T0 + timedelta(minutes=minutes), "x", dict(detail))


def test_attempts_and_time_in_failure_are_read_from_the_history() -> None:
    """Attempts and the time spent failed are read from the copy's history."""
    history = [
        _event(EventKind.ACCEPTED, 0),
        _event(EventKind.AVAILABLE, 0, system_id="sys-b"),
        _event(EventKind.FETCHED, 1),
        _event(EventKind.RECEIVER_FAILED, 2, failures=1, reason="busy"),
        _event(EventKind.FETCHED, 3),
        _event(EventKind.RECEIVER_FAILED, 4, failures=2, reason="full"),
        _event(EventKind.FAILED, 4, code="RECEIVER_FAILED"),
        _event(EventKind.REPLAYED, 14, reason="fixed"),
        _event(EventKind.AVAILABLE, 14, system_id="sys-b"),
        _event(EventKind.CONFIRMED, 15),
    ]
    attempts = attempts_of(history)
    assert [(a.number, a.outcome, a.fetches) for a in attempts] == [
        (1, "receiver_failed", 1),
        (2, "receiver_failed", 1),
        (3, "received", 0),
    ]
    assert attempts[1].reason == "full"
    assert time_in_failure(history, T0 + timedelta(hours=1)) == timedelta(minutes=10)
    still = history[:7]
    assert time_in_failure(still, T0 + timedelta(minutes=34)) == timedelta(minutes=30)


def test_working_hours_back_skip_nights_and_lunch() -> None:
    """Working hours counted back from now skip the night and the lunch gap."""
    calendar = LegalTime(load_spec()).calendar
    tuesday = datetime(2026, 3, 3, 8, 30, tzinfo=VN_TZ)
    assert working_hours_before(calendar, tuesday, 2) == datetime(2026, 3, 2, 16, 0, tzinfo=VN_TZ)
    afternoon = datetime(2026, 3, 2, 14, 0, tzinfo=VN_TZ)
    assert working_hours_before(calendar, afternoon, 2) == datetime(2026, 3, 2, 10, 0, tzinfo=VN_TZ)
    assert working_hours_before(calendar, tuesday, 0) == tuesday
