"""How a :class:`Message` travels as an AMQP message, and back.

``message_id`` is the AMQP ``message_id``, ``priority`` the AMQP ``priority``, the application's
headers are AMQP headers, delivery is persistent and the body is the JSON as given. The bus adds
its own ``x-bus-*`` headers (attempt number, dead-letter reason); decoding drops them and the
headers RabbitMQ adds (``x-death``, ``x-delivery-count`` ...), so a handler sees exactly the
headers that were published, as with the in-memory bus.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import aio_pika
from aio_pika.abc import AbstractIncomingMessage, DeliveryMode

from connectors.bus.base import Message, is_reserved_header
from connectors.bus.errors import MessageInvalid

ATTEMPT = "x-bus-attempt"
"""The attempt number of the next delivery; absent means 1."""
DEAD_REASON = "x-bus-dead-reason"
"""Why the message was dead-lettered (on dead letters, and on messages whose hook runs again)."""
DEAD_AT = "x-bus-dead-at"
"""When the message was dead-lettered, ISO 8601 with offset."""
HOOK_FAILURES = "x-bus-hook-failures"
"""How often the dead-letter hook failed for this message so far."""

CONTENT_TYPE = "application/json"


@dataclass(frozen=True, slots=True)
class Received:
    """A decoded delivery: the message and the bus's own bookkeeping headers."""

    message: Message
    dead_reason: str | None = None
    hook_failures: int = 0


def encode(message: Message, **bus_headers: str | int) -> aio_pika.Message:
    """Return the AMQP message for ``message``; ``bus_headers`` are keyword-named ``x-bus-*``."""
    headers: dict[str, str | int] = dict(message.headers)
    if message.attempt > 1:
        headers[ATTEMPT] = message.attempt
    for key, value in bus_headers.items():
        headers[f"x-bus-{key.replace('_', '-')}"] = value
    return aio_pika.Message(
        body=message.body,
        message_id=message.message_id,
        priority=message.priority,
        headers=headers,  # type: ignore[arg-type]  # aio-pika's header type is invariant
        delivery_mode=DeliveryMode.PERSISTENT,
        content_type=CONTENT_TYPE,
        type=message.topic,
    )


def dead_letter(message: Message, reason: str) -> aio_pika.Message:
    """Return the AMQP copy kept in a dead-letter queue: the message plus reason and time."""
    return encode(message, dead_reason=reason, dead_at=datetime.now(UTC).isoformat())


def _text(value: object) -> str:
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("utf-8", errors="replace")
    return value if isinstance(value, str) else str(value)


def _int(value: object, default: int) -> int:
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        return value
    try:
        return int(_text(value))
    except ValueError:
        return default


def decode(incoming: AbstractIncomingMessage, topic: str) -> Received:
    """Return the message a delivery from ``topic``'s queues carries; raise MessageInvalid."""
    raw: Mapping[str, object] = incoming.headers or {}
    headers = {name: _text(value) for name, value in raw.items() if not is_reserved_header(name)}
    if not incoming.message_id:
        raise MessageInvalid("the AMQP message has no message_id")
    message = Message(
        topic=topic,
        body=incoming.body,
        message_id=incoming.message_id,
        priority=incoming.priority or 0,
        headers=headers,
        attempt=max(_int(raw.get(ATTEMPT), 1), 1),
    )
    reason = raw.get(DEAD_REASON)
    return Received(
        message=message,
        dead_reason=None if reason is None else _text(reason),
        hook_failures=max(_int(raw.get(HOOK_FAILURES), 0), 0),
    )
