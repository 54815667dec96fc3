"""The bus port: the message, the handler outcomes, the retry policy and the ``Bus`` protocol.

The bus carries *work* (route a delivery, forward it upstream, notify), never state: a message is a
small JSON body naming rows of the store, and ``message_id`` is the outbox row id, so that handlers
can be idempotent. Two implementations share this port and one contract test suite:
:class:`connectors.bus.rabbit.RabbitBus` (production) and :class:`connectors.bus.memory.MemoryBus`
(the embedded default).
"""

from __future__ import annotations

import math
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Protocol

from connectors.bus.errors import MessageInvalid

DEFAULT_TOPICS: tuple[str, ...] = ("route", "forward", "notify")
"""The work kinds of the node; the shipped RabbitMQ definitions are generated for these."""

TOPIC_PATTERN = re.compile(r"[a-z][a-z0-9_-]{0,62}")
"""A topic is one lower-case word: it becomes part of queue names and routing keys (no dots)."""

MAX_BODY_BYTES = 64 * 1024
"""Bodies are small JSON naming rows; attachments never travel on the bus (design.md §1)."""

MAX_MESSAGE_ID_BYTES = 255
"""AMQP ``message_id`` is a short string."""

MAX_PRIORITY = 255
"""AMQP ``priority`` is an octet; the node uses 0-4 (edxml ``Priority``: thường ... hỏa tốc)."""

BUS_HEADER_PREFIX = "x-bus-"
"""Headers the bus itself sets (attempt number, dead-letter reason); handlers never see them."""

BROKER_HEADERS = frozenset({"x-death", "x-delivery-count"})
BROKER_HEADER_PREFIXES = ("x-first-death-", "x-last-death-")
"""Headers RabbitMQ adds when it dead-letters or redelivers a message; handlers never see them."""


def is_reserved_header(name: str) -> bool:
    """Return whether ``name`` belongs to the bus or the broker rather than to the application."""
    lowered = name.lower()
    return (
        lowered.startswith(BUS_HEADER_PREFIX)
        or lowered in BROKER_HEADERS
        or lowered.startswith(BROKER_HEADER_PREFIXES)
    )


@dataclass(frozen=True)
class Message:
    """One unit of work on the bus.

    ``topic`` is the work kind (``route``, ``forward``, ``notify``); ``body`` is small JSON;
    ``message_id`` is stable (the outbox row id) so handlers can deduplicate; ``priority`` 0 is
    normal and 1 or more is urgent (khẩn, thượng khẩn, hỏa tốc); ``headers`` carry e.g. the
    correlation id ``x-request-id``; ``attempt`` is set by the bus on delivery: 1 for the first
    delivery, one more for each retry. A redelivery after a crash keeps the attempt number.
    """

    topic: str
    body: bytes
    message_id: str
    priority: int = 0
    headers: Mapping[str, str] = field(default_factory=dict, hash=False)
    attempt: int = 1

    def __post_init__(self) -> None:
        if not isinstance(self.topic, str) or not TOPIC_PATTERN.fullmatch(self.topic):
            raise MessageInvalid(
                f"topic {self.topic!r} is not one lower-case word ([a-z][a-z0-9_-]*, at most 63)"
            )
        if not isinstance(self.body, bytes):
            raise MessageInvalid(f"body must be bytes, not {type(self.body).__name__}")
        if len(self.body) > MAX_BODY_BYTES:
            raise MessageInvalid(
                f"body has {len(self.body)} bytes, more than {MAX_BODY_BYTES}: "
                "the bus carries ids, never documents or attachments"
            )
        if not isinstance(self.message_id, str) or not self.message_id:
            raise MessageInvalid("message_id must be a non-empty string")
        if len(self.message_id.encode("utf-8")) > MAX_MESSAGE_ID_BYTES:
            raise MessageInvalid(f"message_id is longer than {MAX_MESSAGE_ID_BYTES} bytes")
        if (
            isinstance(self.priority, bool)
            or not isinstance(self.priority, int)
            or not 0 <= self.priority <= MAX_PRIORITY
        ):
            raise MessageInvalid(f"priority must be an int in 0..{MAX_PRIORITY}")
        if isinstance(self.attempt, bool) or not isinstance(self.attempt, int) or self.attempt < 1:
            raise MessageInvalid("attempt must be an int of at least 1")
        headers: dict[str, str] = {}
        for name, value in self.headers.items():
            if not isinstance(name, str) or not isinstance(value, str):
                raise MessageInvalid(f"header {name!r}: names and values must be strings")
            if is_reserved_header(name):
                raise MessageInvalid(f"header {name!r} is reserved for the bus or the broker")
            headers[name] = value
        # Frozen all the way down: a handler cannot change what another handler sees.
        object.__setattr__(self, "headers", MappingProxyType(headers))

    @property
    def urgent(self) -> bool:
        """Whether the message overtakes the normal backlog (priority 1 or more)."""
        return self.priority >= 1

    def with_attempt(self, attempt: int) -> Message:
        """Return a copy of the message with another attempt number."""
        return replace(self, attempt=attempt)


class Retry(Exception):
    """Raised by a handler: a transient failure; deliver the message again after a delay."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Reject(Exception):
    """Raised by a handler: a permanent failure; dead-letter the message now."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


Handler = Callable[[Message], Awaitable[None]]
"""Handles one message. Returning acks it; see :class:`Retry` and :class:`Reject`."""

DeadLetterHook = Callable[[Message, str], Awaitable[None]]
"""Awaited with ``(message, reason)`` before a message is dead-lettered and acked away."""


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how late a failing message is tried again.

    ``delays[i]`` is the wait in seconds before attempt ``i + 2``; a message is tried at most
    ``len(delays) + 1`` times and then dead-lettered with the last reason.
    """

    delays: tuple[float, ...] = (1, 5, 30, 120, 600)

    def __post_init__(self) -> None:
        for delay in self.delays:
            if (
                isinstance(delay, bool)
                or not isinstance(delay, int | float)
                or not math.isfinite(delay)
                or delay < 0
            ):
                raise ValueError(f"retry delays must be finite seconds >= 0, got {delay!r}")

    @property
    def max_attempts(self) -> int:
        """How many times a message is handled at most before it is dead-lettered."""
        return len(self.delays) + 1

    def delay_before(self, attempt: int) -> float | None:
        """Return the wait before ``attempt`` (2 or more), or None when attempts are exhausted."""
        if attempt < 2:
            raise ValueError("attempt 1 is the first delivery; it has no delay")
        if attempt > self.max_attempts:
            return None
        return float(self.delays[attempt - 2])

    def hook_delay(self, failures: int) -> float | None:
        """Return the wait before the dead-letter hook is tried again after ``failures`` failures.

        The hook is retried until it succeeds, backing off along the same delays and then staying
        at the longest; None (no delays configured) means "requeue at once".
        """
        if not self.delays:
            return None
        return float(self.delays[min(max(failures, 1), len(self.delays)) - 1])


DEFAULT_RETRY = RetryPolicy()
"""Retry after 1 s, 5 s, 30 s, 2 min and 10 min, then dead-letter (six attempts)."""


class Bus(Protocol):
    """The port the node talks to; RabbitMQ in production, in-process by default."""

    async def start(self) -> None:
        """Connect and declare the topology for the known topics."""
        ...

    async def publish(self, messages: Sequence[Message]) -> None:
        """Return only after every message is confirmed by the broker; else raise a BusError."""
        ...

    async def subscribe(
        self, topic: str, handler: Handler, *, on_dead: DeadLetterHook, concurrency: int = 8
    ) -> None:
        """Consume ``topic`` with at most ``concurrency`` handlers running at once."""
        ...

    async def dead_letters(self, topic: str, limit: int = 100) -> list[tuple[Message, str]]:
        """Return up to ``limit`` dead-lettered messages of ``topic`` with their reasons."""
        ...

    async def close(self) -> None:
        """Stop consuming, let in-flight handlers finish, then close the connection."""
        ...

    async def ping(self) -> bool:
        """Return whether the bus is ready, by a real round trip where there is a broker."""
        ...
