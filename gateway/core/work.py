"""Work messages: the one place their topics, bodies, ids and priorities are written.

The broker carries work, never state a client queries (design.md §1). Use cases write work as
outbox rows in their own transaction (:class:`gateway.core.model.OutboxItem`); the relay publishes
them; the workers parse them back with the ``parse_*`` functions here. Message ids are stable
(``topic:key[:tag]``) so that consumers de-duplicate a redelivery; a ``tag`` marks a deliberate
repeat (the start-up sweep, the puller's resend, a report queued again).

- ``route`` ``{"delivery_id"}``: accept (a copy whose system was unknown), sweep → router;
- ``forward`` ``{"document_id", "delivery_ids"}``: accept (upstream copies), sweep, puller →
  forwarder;
- ``report`` ``{"delivery_id", "state", "code"?}``: store (a pulled copy's final state), sweep →
  reporter;
- ``notify`` ``{"document_id", "copies": [{"delivery_id", "system_id"}]}``: accept → notifier; the
  relay sends its deferred rows as one message ``{"events": [...]}`` (:func:`notify_together`);
- ``replay`` ``{"request_id"}``: an approved replay request (gateway/core/replay.py), the
  start-up sweep → replay runner;
- ``alert`` ``{"kind", "key", "subject", "details", "at", "node"}``: the alert worker (an alert
  opened, in the same transaction) → the webhook poster, which posts the body as it is.

Bodies are compact JSON; priorities are clamped once (:func:`clamp_priority`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from gateway.core.model import DeliveryState, DeliveryView, OutboxItem


class Topic(StrEnum):
    """The kinds of work on the bus (queue names derive from them)."""

    ROUTE = "route"
    FORWARD = "forward"
    REPORT = "report"
    NOTIFY = "notify"
    REPLAY = "replay"
    ALERT = "alert"


#: Topics whose messages may wait a moment in the relay to travel with others (its
#: ``publish_linger``), as one message (:func:`notify_together`): nothing a client queries or
#: waits for depends on them. ``notify`` is counted by the notifier (push notifications will
#: tolerate a quarter of a second).
DEFERRABLE: frozenset[str] = frozenset({Topic.NOTIFY.value})

#: The link a copy leaves by when the national node takes it on.
UPSTREAM = "upstream"


class WorkInvalid(ValueError):
    """A work message whose body cannot be read: poison, dead-lettered at once."""

    def __init__(self, topic: Topic, detail: str) -> None:
        # One code per topic (``FORWARD_MESSAGE_INVALID``...): tests/test_error_codes.py lists it.
        self.code = f"{topic.value.upper()}_MESSAGE_INVALID"
        self.message = detail
        self.field: str | None = None
        super().__init__(f"{self.code}: {detail}")


def clamp_priority(priority: int) -> int:
    """A document's priority (0..3 in edXML, anything from a bad package) as a bus priority."""
    return min(max(int(priority), 0), 9)


def _item(
    topic: Topic,
    key: str,
    body: Mapping[str, Any],
    priority: int,
    *,
    tag: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> OutboxItem:
    message_id = f"{topic.value}:{key}" + (f":{tag}" if tag else "")
    return OutboxItem(
        0,
        topic.value,
        message_id[:80],
        json.dumps(body, separators=(",", ":")).encode(),
        clamp_priority(priority),
        dict(headers or {}),
    )


#: The header carrying a request's correlation id (kept per event in a combined ``notify``).
_REQUEST_ID = "x-request-id"


def request_headers(request_id: str | None) -> dict[str, str]:
    """The headers carrying a request's correlation id into the workers (design.md habit 8)."""
    return {_REQUEST_ID: request_id} if request_id else {}


def route(
    delivery_id: str,
    priority: int,
    *,
    tag: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> OutboxItem:
    """Find the system that serves a copy's recipient and make the copy available."""
    return _item(
        Topic.ROUTE, delivery_id, {"delivery_id": delivery_id}, priority, tag=tag, headers=headers
    )


def forward(
    document_id: str,
    delivery_ids: Sequence[str],
    priority: int,
    *,
    tag: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> OutboxItem:
    """Send a package's upstream copies to the national node (one send per package)."""
    body = {"document_id": document_id, "delivery_ids": list(delivery_ids)}
    return _item(Topic.FORWARD, document_id, body, priority, tag=tag, headers=headers)


def report(
    delivery_id: str,
    state: DeliveryState,
    priority: int,
    *,
    code: str | None = None,
    tag: str | None = None,
) -> OutboxItem:
    """Tell the upstream node what became of a copy pulled from it."""
    body: dict[str, Any] = {"delivery_id": delivery_id, "state": state.value}
    if code is not None:
        body["code"] = code
    key = f"{delivery_id}:{state.value}"
    return _item(Topic.REPORT, key, body, priority, tag=tag)


def notify(
    document_id: str,
    copies: Sequence[tuple[str, str]],
    priority: int,
    *,
    headers: Mapping[str, str] | None = None,
) -> OutboxItem:
    """New copies are in their systems' pull lists: one event per accept, one entry per copy
    (``(delivery_id, system_id)``), for notifications and metrics."""
    body = {
        "document_id": document_id,
        "copies": [{"delivery_id": d, "system_id": s} for d, s in copies],
    }
    # Keyed by the first copy: a pulled package's later items add copies to the same document.
    return _item(Topic.NOTIFY, copies[0][0], body, priority, headers=headers)


def notify_together(items: Sequence[OutboxItem]) -> OutboxItem:
    """Several ``notify`` rows as one message (the relay's deferred rows, docs/exchange.md):
    ``{"events": [...]}``, each event the row's own body with its request id, if any. One
    broker message instead of one per accept; :func:`parse_notify` reads both forms. The id is
    the first row's, with the number of rows that travel with it; a lone row goes as it is."""
    if len(items) == 1:
        return items[0]
    events = []
    for item in items:
        event = _body(Topic.NOTIFY, item.body)
        if request_id := item.headers.get(_REQUEST_ID):
            event["request_id"] = request_id
        events.append(event)
    return OutboxItem(
        0,
        Topic.NOTIFY.value,
        f"{items[0].message_id}+{len(items) - 1}"[:80],
        json.dumps({"events": events}, separators=(",", ":")).encode(),
        max(item.priority for item in items),
        {},
    )


def replay(request_id: str, *, tag: str | None = None) -> OutboxItem:
    """Run an approved replay request's copies in the background (the replay runner)."""
    return _item(Topic.REPLAY, request_id, {"request_id": request_id}, 0, tag=tag)


#: The fields of an ``alert`` body (the webhook's JSON, docs/console.md "Alerts").
ALERT_FIELDS = ("kind", "key", "subject", "details", "at", "node")


def alert(body: Mapping[str, Any], occurrence: int) -> OutboxItem:
    """Post an opened alert to the webhook: ``body`` is the JSON posted, ``occurrence`` counts
    the times this (kind, key) was opened, so that an alert that cleared and fired again is a
    new message while a redelivery of the same one keeps its id."""
    digest = hashlib.sha256(f"{body['kind']}:{body['key']}".encode()).hexdigest()[:32]
    return _item(Topic.ALERT, digest, body, 0, tag=str(occurrence))


def forwards_of(copies: Sequence[DeliveryView], *, tag: str) -> list[OutboxItem]:
    """One ``forward`` item per document for its upstream copies among ``copies``, in their
    order (the store lists queued copies urgent first, then oldest)."""
    upstream: dict[str, list[DeliveryView]] = {}
    for copy in copies:
        if copy.link == UPSTREAM:
            upstream.setdefault(copy.document_id, []).append(copy)
    return [
        forward(document_id, [c.delivery_id for c in group], group[0].priority, tag=tag)
        for document_id, group in upstream.items()
    ]


def _body(topic: Topic, data: bytes) -> dict[str, Any]:
    try:
        body = json.loads(data)
    except ValueError as exc:
        raise WorkInvalid(topic, type(exc).__name__) from exc
    if not isinstance(body, dict):
        raise WorkInvalid(topic, "not an object")
    return body


def _text(topic: Topic, body: Mapping[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise WorkInvalid(topic, name)
    return value


def parse_route(data: bytes) -> str:
    """The copy a ``route`` message names."""
    return _text(Topic.ROUTE, _body(Topic.ROUTE, data), "delivery_id")


def parse_forward(data: bytes) -> tuple[str, list[str]]:
    """The document and the copies a ``forward`` message names."""
    body = _body(Topic.FORWARD, data)
    ids = body.get("delivery_ids")
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise WorkInvalid(Topic.FORWARD, "delivery_ids")
    return _text(Topic.FORWARD, body, "document_id"), list(ids)


def parse_report(data: bytes) -> tuple[str, DeliveryState, str | None]:
    """The copy, its final state and the failure's code of a ``report`` message."""
    body = _body(Topic.REPORT, data)
    state = body.get("state")
    if state not in (DeliveryState.RECEIVED.value, DeliveryState.FAILED.value):
        raise WorkInvalid(Topic.REPORT, "state")
    code = body.get("code")
    return (
        _text(Topic.REPORT, body, "delivery_id"),
        DeliveryState(state),
        code if isinstance(code, str) else None,
    )


def parse_replay(data: bytes) -> str:
    """The request a ``replay`` message names."""
    return _text(Topic.REPLAY, _body(Topic.REPLAY, data), "request_id")


@dataclass(frozen=True)
class NotifyEvent:
    """One accept's new copies, as a ``notify`` message carries them."""

    document_id: str
    copies: list[tuple[str, str]]  # (delivery_id, system_id)
    request_id: str | None = None


def parse_notify(data: bytes) -> list[NotifyEvent]:
    """The events of a ``notify`` message: one (a row's own body) or several
    (:func:`notify_together`)."""
    body = _body(Topic.NOTIFY, data)
    if "events" not in body:
        return [_notify_event(body)]
    events = body["events"]
    if not isinstance(events, list) or not events:
        raise WorkInvalid(Topic.NOTIFY, "events")
    return [_notify_event(event) for event in events]


def _notify_event(body: object) -> NotifyEvent:
    if not isinstance(body, dict):
        raise WorkInvalid(Topic.NOTIFY, "events")
    copies = body.get("copies")
    if not isinstance(copies, list):
        raise WorkInvalid(Topic.NOTIFY, "copies")
    out: list[tuple[str, str]] = []
    for entry in copies:
        if not isinstance(entry, dict):
            raise WorkInvalid(Topic.NOTIFY, "copies")
        out.append(
            (_text(Topic.NOTIFY, entry, "delivery_id"), _text(Topic.NOTIFY, entry, "system_id"))
        )
    request_id = body.get("request_id")
    return NotifyEvent(
        _text(Topic.NOTIFY, body, "document_id"),
        out,
        request_id if isinstance(request_id, str) else None,
    )


def parse_alert(data: bytes) -> dict[str, Any]:
    """The body of an ``alert`` message, checked to hold every field of :data:`ALERT_FIELDS`."""
    body = _body(Topic.ALERT, data)
    for name in ALERT_FIELDS:
        if name == "details":
            if not isinstance(body.get(name), dict):
                raise WorkInvalid(Topic.ALERT, name)
        else:
            _text(Topic.ALERT, body, name)
    return body
