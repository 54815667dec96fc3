"""The work bus: one port, two implementations (RabbitMQ and in-process), one contract.

The node publishes outbox rows as :class:`Message` objects and workers handle them::

    from connectors.bus import Message, MemoryBus, RabbitBus, Retry, Reject

    bus = RabbitBus("amqp://guest:guest@127.0.0.1:5672/") if amqp_url else MemoryBus()
    await bus.start()
    await bus.subscribe("route", handle_route, on_dead=record_failure, concurrency=8)
    await bus.publish([Message("route", b'{"delivery": 42}', message_id="outbox-42")])
    ...
    await bus.close()

Handlers return to ack, raise :class:`Retry` for a transient failure and :class:`Reject` for a
permanent one. See ``docs/bus.md``.
"""

from connectors.bus.base import (
    DEFAULT_RETRY,
    DEFAULT_TOPICS,
    MAX_BODY_BYTES,
    Bus,
    DeadLetterHook,
    Handler,
    Message,
    Reject,
    Retry,
    RetryPolicy,
)
from connectors.bus.errors import (
    BusClosed,
    BusError,
    BusNotStarted,
    BusUnavailable,
    MessageInvalid,
    PublishFailed,
    PublishRefused,
    PublishTimeout,
    TopicUnknown,
    TopologyError,
)
from connectors.bus.memory import MemoryBus
from connectors.bus.rabbit import RabbitBus
from connectors.bus.topology import (
    DEFAULT_PREFIX,
    Names,
    Topology,
    definitions,
    definitions_json,
    topology,
)

__all__ = [
    "DEFAULT_PREFIX",
    "DEFAULT_RETRY",
    "DEFAULT_TOPICS",
    "MAX_BODY_BYTES",
    "Bus",
    "BusClosed",
    "BusError",
    "BusNotStarted",
    "BusUnavailable",
    "DeadLetterHook",
    "Handler",
    "MemoryBus",
    "Message",
    "MessageInvalid",
    "Names",
    "PublishFailed",
    "PublishRefused",
    "PublishTimeout",
    "RabbitBus",
    "Reject",
    "Retry",
    "RetryPolicy",
    "TopicUnknown",
    "Topology",
    "TopologyError",
    "definitions",
    "definitions_json",
    "topology",
]
