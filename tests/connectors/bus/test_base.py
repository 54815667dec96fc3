"""The port's value types: message validation, the retry policy, coded errors."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connectors.bus import MAX_BODY_BYTES, BusError, Message, MessageInvalid, RetryPolicy
from connectors.bus.base import is_reserved_header
from connectors.bus.errors import PublishRefused, PublishTimeout


def test_a_message_has_the_documented_defaults() -> None:
    """Priority 0, no headers and attempt 1 unless given; urgent means priority >= 1."""
    message = Message("route", b"{}", "outbox-1")
    assert (message.priority, dict(message.headers), message.attempt) == (0, {}, 1)
    assert not message.urgent
    assert Message("route", b"{}", "outbox-1", priority=1).urgent


def test_a_message_is_immutable_including_its_headers() -> None:
    """Neither fields nor headers can be changed after construction; it is hashable."""
    source = {"x-request-id": "a"}
    message = Message("route", b"{}", "outbox-1", headers=source)
    source["x-request-id"] = "b"
    assert message.headers["x-request-id"] == "a"
    with pytest.raises(TypeError):
        message.headers["x-request-id"] = "c"  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        message.attempt = 2  # type: ignore[misc]
    assert hash(message) == hash(Message("route", b"{}", "outbox-1"))


@pytest.mark.parametrize(
    ("changes", "complaint"),
    [
        ({"topic": "Route"}, "topic"),
        ({"topic": "route.urgent"}, "topic"),
        ({"topic": ""}, "topic"),
        ({"body": "{}"}, "bytes"),
        ({"body": b"x" * (MAX_BODY_BYTES + 1)}, "attachments"),
        ({"message_id": ""}, "message_id"),
        ({"message_id": "ợ" * 100}, "255"),
        ({"priority": -1}, "priority"),
        ({"priority": 256}, "priority"),
        ({"priority": True}, "priority"),
        ({"attempt": 0}, "attempt"),
        ({"headers": {"x-bus-attempt": "3"}}, "reserved"),
        ({"headers": {"x-death": "[]"}}, "reserved"),
        ({"headers": {"X-First-Death-Reason": "expired"}}, "reserved"),
        ({"headers": {"x-request-id": 7}}, "strings"),
    ],
)
def test_invalid_messages_are_refused_with_a_code(
    changes: dict[str, object], complaint: str
) -> None:
    """Each broken rule raises MessageInvalid (code BUS_MESSAGE_INVALID) naming the rule."""
    fields: dict[str, object] = {"topic": "route", "body": b"{}", "message_id": "m-1", **changes}
    with pytest.raises(MessageInvalid, match=complaint) as caught:
        Message(**fields)  # type: ignore[arg-type]
    assert caught.value.code == "BUS_MESSAGE_INVALID"
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    ("name", "reserved"),
    [
        ("x-request-id", False),
        ("x-bus-attempt", True),
        ("x-delivery-count", True),
        ("x-last-death-queue", True),
        ("traceparent", False),
    ],
)
def test_reserved_headers_are_the_bus_and_broker_ones(name: str, reserved: bool) -> None:
    """Only x-bus-* and RabbitMQ's own dead-letter/redelivery headers are reserved."""
    assert is_reserved_header(name) is reserved


def test_the_default_policy_tries_six_times_over_about_thirteen_minutes() -> None:
    """Delays 1, 5, 30, 120, 600 s before attempts 2..6; attempt 7 does not exist."""
    policy = RetryPolicy()
    assert policy.max_attempts == 6
    assert [policy.delay_before(n) for n in range(2, 8)] == [1, 5, 30, 120, 600, None]
    with pytest.raises(ValueError, match="first delivery"):
        policy.delay_before(1)


def test_no_delays_means_one_attempt_and_an_immediate_hook_retry() -> None:
    """RetryPolicy(()) dead-letters on the first failure; a failing hook is requeued at once."""
    policy = RetryPolicy(())
    assert policy.max_attempts == 1
    assert policy.delay_before(2) is None
    assert policy.hook_delay(1) is None


@given(st.integers(min_value=1, max_value=50))
def test_the_hook_backs_off_along_the_delays_and_stays_at_the_longest(failures: int) -> None:
    """After n hook failures the wait is delays[n-1], capped at the last delay."""
    delays = (1.0, 5.0, 30.0)
    assert RetryPolicy(delays).hook_delay(failures) == delays[min(failures, 3) - 1]


@pytest.mark.parametrize("bad", [-1, float("nan"), float("inf"), True])
def test_bad_delays_are_refused(bad: float) -> None:
    """Delays are finite, non-negative numbers of seconds."""
    with pytest.raises(ValueError, match="delays"):
        RetryPolicy((1, bad))


def test_errors_render_their_code() -> None:
    """Coded errors print and serialise with their stable code; subclasses refine it."""
    error = PublishRefused("the broker refused m-1")
    assert str(error) == "BUS_PUBLISH_REFUSED: the broker refused m-1"
    assert error.to_dict() == {"code": "BUS_PUBLISH_REFUSED", "message": "the broker refused m-1"}
    assert isinstance(PublishTimeout("x"), BusError)
    assert BusError("x", code="BUS_CUSTOM").code == "BUS_CUSTOM"
