"""The RabbitMQ topology of the bus, as data: names, exchanges, queues and bindings.

One description serves three users, so they cannot drift apart: :class:`RabbitBus` declares it at
start-up, :func:`definitions` renders it in the format ``rabbitmqctl import_definitions`` reads, and
a test checks that the shipped ``deploy/rabbitmq/definitions.json`` equals the generated file.
Regenerate that file with::

    python -m connectors.bus > deploy/rabbitmq/definitions.json

For prefix ``gw``, topic ``route`` and delays 1 s and 5 s::

    gw.work  (topic)  --route.normal.#-->  gw.route          quorum, consumed
                      --route.urgent.#-->  gw.route.urgent   quorum, consumed first
    gw.retry (topic)  --*.*.delay-1000-->  gw.delay.1000     quorum, TTL 1 s, DLX gw.work
                      --*.*.delay-5000-->  gw.delay.5000     quorum, TTL 5 s, DLX gw.work
    gw.dead  (direct) --route----------->  gw.route.dead     quorum, no consumer; reason in header

A retried message is published to ``gw.retry`` with routing key ``route.normal.delay-1000``; when
its TTL runs out the delay queue dead-letters it (at-least-once) to ``gw.work`` with the same
routing key, which ``route.normal.#`` matches, so it returns to the queue it came from.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypedDict

from connectors.bus.base import DEFAULT_RETRY, DEFAULT_TOPICS, TOPIC_PATTERN, RetryPolicy

DEFAULT_PREFIX = "gw"
PREFIX_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")

Arguments = dict[str, str | int]


class ExchangeSpec(TypedDict):
    """An exchange as ``rabbitmqctl import_definitions`` reads it (without the vhost)."""

    name: str
    type: str
    durable: bool
    auto_delete: bool
    internal: bool
    arguments: Arguments


class QueueSpec(TypedDict):
    """A queue as ``rabbitmqctl import_definitions`` reads it (without the vhost)."""

    name: str
    durable: bool
    auto_delete: bool
    arguments: Arguments


class BindingSpec(TypedDict):
    """A binding of a queue to an exchange, as ``rabbitmqctl import_definitions`` reads it."""

    source: str
    destination: str
    destination_type: str
    routing_key: str
    arguments: Arguments


class Topology(TypedDict):
    """Everything the bus declares, in declaration order."""

    exchanges: list[ExchangeSpec]
    queues: list[QueueSpec]
    bindings: list[BindingSpec]


def delay_ms(seconds: float) -> int:
    """Return a retry delay in whole milliseconds, as queue TTLs and names use it."""
    return round(seconds * 1000)


@dataclass(frozen=True)
class Names:
    """The naming scheme: every name derives from the prefix, so nodes and tests can coexist."""

    prefix: str = DEFAULT_PREFIX

    def __post_init__(self) -> None:
        if not PREFIX_PATTERN.fullmatch(self.prefix):
            raise ValueError(
                f"prefix {self.prefix!r} must be 1-100 letters, digits, '_', '.' or '-' "
                "and start with a letter or digit"
            )

    @property
    def work_exchange(self) -> str:
        """Where messages are published (topic exchange)."""
        return f"{self.prefix}.work"

    @property
    def retry_exchange(self) -> str:
        """Where retries are published, to wait in a delay queue (topic exchange)."""
        return f"{self.prefix}.retry"

    @property
    def dead_exchange(self) -> str:
        """Where dead letters are published (direct exchange, routing key = topic)."""
        return f"{self.prefix}.dead"

    def queue(self, topic: str, *, urgent: bool = False) -> str:
        """Return the work queue of ``topic`` (its urgent one when ``urgent``)."""
        return f"{self.prefix}.{topic}.urgent" if urgent else f"{self.prefix}.{topic}"

    def dead_queue(self, topic: str) -> str:
        """Return the dead-letter queue of ``topic``."""
        return f"{self.prefix}.{topic}.dead"

    def delay_queue(self, milliseconds: int) -> str:
        """Return the delay queue whose messages wait ``milliseconds`` (shared by all topics)."""
        return f"{self.prefix}.delay.{milliseconds}"

    @staticmethod
    def work_key(topic: str, *, urgent: bool) -> str:
        """Return the routing key of a message of ``topic`` on the work exchange."""
        return f"{topic}.{'urgent' if urgent else 'normal'}"

    @staticmethod
    def retry_key(topic: str, *, urgent: bool, milliseconds: int) -> str:
        """Return the routing key that sends a retry to the delay queue and then back home."""
        return f"{Names.work_key(topic, urgent=urgent)}.delay-{milliseconds}"


def _exchange(name: str, kind: str) -> ExchangeSpec:
    return {
        "name": name,
        "type": kind,
        "durable": True,
        "auto_delete": False,
        "internal": False,
        "arguments": {},
    }


def _queue(name: str, arguments: Arguments | None = None) -> QueueSpec:
    # Quorum queues: replicated, durable, and poison-safe; they are the production default.
    return {
        "name": name,
        "durable": True,
        "auto_delete": False,
        "arguments": {"x-queue-type": "quorum", **(arguments or {})},
    }


def _binding(source: str, destination: str, key: str) -> BindingSpec:
    return {
        "source": source,
        "destination": destination,
        "destination_type": "queue",
        "routing_key": key,
        "arguments": {},
    }


def topology(
    prefix: str = DEFAULT_PREFIX,
    topics: Sequence[str] = DEFAULT_TOPICS,
    retry: RetryPolicy = DEFAULT_RETRY,
) -> Topology:
    """Return the exchanges, queues and bindings for ``topics`` under ``prefix``."""
    names = Names(prefix)
    topics = tuple(dict.fromkeys(topics))
    for topic in topics:
        if not TOPIC_PATTERN.fullmatch(topic):
            raise ValueError(f"topic {topic!r} is not one lower-case word")
    delays = sorted({delay_ms(delay) for delay in retry.delays})
    exchanges = [
        _exchange(names.work_exchange, "topic"),
        _exchange(names.retry_exchange, "topic"),
        _exchange(names.dead_exchange, "direct"),
    ]
    queues: list[QueueSpec] = []
    bindings: list[BindingSpec] = []
    for topic in topics:
        for urgent in (False, True):
            queue = names.queue(topic, urgent=urgent)
            queues.append(_queue(queue))
            key = f"{Names.work_key(topic, urgent=urgent)}.#"
            bindings.append(_binding(names.work_exchange, queue, key))
        queues.append(_queue(names.dead_queue(topic)))
        bindings.append(_binding(names.dead_exchange, names.dead_queue(topic), topic))
    for milliseconds in delays:
        queue = names.delay_queue(milliseconds)
        queues.append(
            _queue(
                queue,
                {
                    "x-message-ttl": milliseconds,
                    "x-dead-letter-exchange": names.work_exchange,
                    # At-least-once dead-lettering (quorum queues, RabbitMQ >= 3.10): the message
                    # leaves the delay queue only once the work queue has confirmed it.
                    "x-dead-letter-strategy": "at-least-once",
                    "x-overflow": "reject-publish",
                },
            )
        )
        bindings.append(_binding(names.retry_exchange, queue, f"*.*.delay-{milliseconds}"))
    return {"exchanges": exchanges, "queues": queues, "bindings": bindings}


def definitions(
    prefix: str = DEFAULT_PREFIX,
    topics: Sequence[str] = DEFAULT_TOPICS,
    retry: RetryPolicy = DEFAULT_RETRY,
    *,
    vhost: str = "/",
) -> dict[str, list[dict[str, object]]]:
    """Return the topology as RabbitMQ definitions of ``vhost`` (``import_definitions`` format)."""
    spec = topology(prefix, topics, retry)
    return {
        kind: [{**item, "vhost": vhost} for item in items]
        for kind, items in (
            ("exchanges", spec["exchanges"]),
            ("queues", spec["queues"]),
            ("bindings", spec["bindings"]),
        )
    }


def definitions_json(
    prefix: str = DEFAULT_PREFIX,
    topics: Sequence[str] = DEFAULT_TOPICS,
    retry: RetryPolicy = DEFAULT_RETRY,
    *,
    vhost: str = "/",
) -> str:
    """Return :func:`definitions` as the text of a definitions file (stable key order)."""
    data = definitions(prefix, topics, retry, vhost=vhost)
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
