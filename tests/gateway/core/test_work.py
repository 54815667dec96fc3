"""Work messages: one builder and one parser per topic, stable ids, one priority clamp."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.core import work
from gateway.core.model import DeliveryState


def test_each_topic_round_trips_through_its_parser() -> None:
    """What a builder writes, its parser reads back."""
    assert work.parse_route(work.route("d1", 0).body) == "d1"
    assert work.parse_forward(work.forward("doc", ["d1", "d2"], 1).body) == ("doc", ["d1", "d2"])
    report = work.report("d1", DeliveryState.FAILED, 0, code="RECEIVER_FAILED")
    assert work.parse_report(report.body) == ("d1", DeliveryState.FAILED, "RECEIVER_FAILED")
    notify = work.notify("doc", [("d1", "sys-b"), ("d2", "sys-c")], 0)
    assert work.parse_notify(notify.body) == [
        work.NotifyEvent("doc", [("d1", "sys-b"), ("d2", "sys-c")])
    ]


def test_notify_rows_travel_together_as_one_message_of_their_events() -> None:
    """The relay's deferred notify rows become one message: each row an event, with its request
    id; the highest priority; the first row's id and how many travel with it."""
    rows = [
        work.notify("doc1", [("d1", "sys-b")], 0, headers=work.request_headers("req-1")),
        work.notify("doc2", [("d2", "sys-c"), ("d3", "sys-b")], 2),
    ]
    together = work.notify_together(rows)
    assert (together.topic, together.message_id, together.priority) == ("notify", "notify:d1+1", 2)
    assert work.parse_notify(together.body) == [
        work.NotifyEvent("doc1", [("d1", "sys-b")], "req-1"),
        work.NotifyEvent("doc2", [("d2", "sys-c"), ("d3", "sys-b")]),
    ]


def test_message_ids_are_stable_and_tagged_repeats_differ() -> None:
    """The same work has the same id (consumers de-duplicate); a tag marks a deliberate repeat."""
    assert work.route("d1", 0).message_id == work.route("d1", 3).message_id == "route:d1"
    assert work.route("d1", 0, tag="sweep").message_id == "route:d1:sweep"
    assert work.report("d1", DeliveryState.RECEIVED, 0).message_id == "report:d1:received"
    assert work.notify("doc", [("d1", "s")], 0).message_id == "notify:d1"


@given(st.integers(min_value=-(10**6), max_value=10**6))
def test_every_priority_is_clamped_once_to_the_bus_range(priority: int) -> None:
    """Whatever a package says, the bus priority is 0..9, the same for every topic."""
    clamped = work.clamp_priority(priority)
    assert 0 <= clamped <= 9
    assert work.route("d", priority).priority == clamped
    assert work.forward("doc", ["d"], priority).priority == clamped


@pytest.mark.parametrize(
    ("parse", "body", "code"),
    [
        (work.parse_route, b"not json", "ROUTE_MESSAGE_INVALID"),
        (work.parse_route, b'{"delivery_id": ""}', "ROUTE_MESSAGE_INVALID"),
        (
            work.parse_forward,
            b'{"document_id": "x", "delivery_ids": [1]}',
            "FORWARD_MESSAGE_INVALID",
        ),
        (work.parse_report, b'{"delivery_id": "d", "state": "lost"}', "REPORT_MESSAGE_INVALID"),
        (work.parse_notify, b'{"document_id": "x", "copies": [{}]}', "NOTIFY_MESSAGE_INVALID"),
        (work.parse_notify, b"[]", "NOTIFY_MESSAGE_INVALID"),
        (work.parse_notify, b'{"events": []}', "NOTIFY_MESSAGE_INVALID"),
        (work.parse_notify, b'{"events": [1]}', "NOTIFY_MESSAGE_INVALID"),
        (work.parse_notify, b'{"events": [{"document_id": "x"}]}', "NOTIFY_MESSAGE_INVALID"),
    ],
)
def test_unreadable_bodies_are_coded_poison(parse: object, body: bytes, code: str) -> None:
    """A body that cannot be read raises WorkInvalid with the topic's code."""
    with pytest.raises(work.WorkInvalid) as caught:
        parse(body)  # type: ignore[operator]
    assert caught.value.code == code


def test_headers_carry_the_request_id() -> None:
    """The correlation id of the request goes with its work; none when there is none."""
    assert work.route("d", 0, headers=work.request_headers("r-1")).headers == {
        "x-request-id": "r-1"
    }
    assert work.request_headers(None) == {}
