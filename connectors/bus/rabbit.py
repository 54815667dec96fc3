"""The RabbitMQ bus (aio-pika): quorum queues, publisher confirms, delay queues, dead letters.

See ``docs/bus.md`` and :mod:`connectors.bus.topology` for the topology. In short: a message is
published to ``<prefix>.work`` and lands in its topic's queue, or in the topic's urgent queue when
its priority is 1 or more; a consumer process reads both queues through one
:class:`~connectors.bus.gate.UrgentFirstGate`. A retry is a new, confirmed publish to a delay queue
(TTL, then dead-lettered back to the work exchange) followed by the ack of the delivery; a dead
letter is a confirmed publish to ``<prefix>.<topic>.dead`` followed by the hook and the ack. So
nothing is acked away before its successor is safely in a queue.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aio_pika
import aiormq
from aio_pika.abc import (
    AbstractChannel,
    AbstractExchange,
    AbstractIncomingMessage,
    AbstractQueue,
    AbstractRobustChannel,
    AbstractRobustConnection,
    ConsumerTag,
    ExchangeType,
)
from aio_pika.connection import make_url

from connectors.bus.base import (
    DEFAULT_RETRY,
    DEFAULT_TOPICS,
    DeadLetterHook,
    Handler,
    Message,
    RetryPolicy,
)
from connectors.bus.disposition import Action, Disposition, describe, dispose
from connectors.bus.envelope import Received, dead_letter, decode, encode
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
from connectors.bus.gate import UrgentFirstGate
from connectors.bus.topology import DEFAULT_PREFIX, Names, Topology, delay_ms, topology

log = logging.getLogger("connectors.bus")

# What aio-pika/aiormq raise when the broker or the network fails us (aio_pika.exceptions does the
# same for its reconnect loop); programming errors are not in this list.
_BROKER_ERRORS: tuple[type[BaseException], ...] = (
    aio_pika.exceptions.AMQPError,
    aiormq.exceptions.AMQPError,
    ConnectionError,
    OSError,
    RuntimeError,
    TimeoutError,
)
_SETTLE_ERRORS: tuple[type[BaseException], ...] = (BusError, *_BROKER_ERRORS)


def redact(url: str) -> str:
    """Return ``url`` without its password, for logs and error messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username or ''}:***@{parts.hostname or ''}"
    if parts.port is not None:
        netloc += f":{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc))


@dataclass(eq=False)
class _Subscription:
    topic: str
    handler: Handler
    on_dead: DeadLetterHook
    gate: UrgentFirstGate
    consumers: list[tuple[AbstractRobustChannel, AbstractQueue, ConsumerTag]] = field(
        default_factory=list
    )


class RabbitBus:
    """:class:`connectors.bus.base.Bus` on RabbitMQ 3.10+, over a reconnecting connection."""

    def __init__(
        self,
        url: str,
        *,
        prefix: str = DEFAULT_PREFIX,
        topics: Sequence[str] = DEFAULT_TOPICS,
        retry: RetryPolicy = DEFAULT_RETRY,
        prefetch: int | None = None,
        connect_timeout: float = 10.0,
        publish_timeout: float = 10.0,
        close_timeout: float = 30.0,
        reconnect_interval: float = 5.0,
        name: str = "truc-gateway bus",
        on_reconnect: Callable[[], object] | None = None,
    ) -> None:
        """Configure the bus; nothing connects until :meth:`start`.

        ``prefetch`` is how many normal-queue messages each subscription holds unacked (default:
        its concurrency); the urgent queue always prefetches ``concurrency``. ``connect_timeout``
        bounds start-up and every topology or ping round trip; ``publish_timeout`` bounds the wait
        for the broker's confirms of one ``publish`` call; ``close_timeout`` bounds the wait for
        in-flight handlers on close. ``on_reconnect`` is called after a lost connection came back
        and its channels and consumers were restored (for logs, metrics and tests).
        """
        if prefetch is not None and prefetch < 1:
            raise ValueError("prefetch must be at least 1")
        self.names = Names(prefix)
        self.topics: tuple[str, ...] = tuple(dict.fromkeys(topics))
        self.retry = retry
        self.prefetch = prefetch
        self.connect_timeout = connect_timeout
        self.publish_timeout = publish_timeout
        self.close_timeout = close_timeout
        self.reconnect_interval = reconnect_interval
        self.name = name
        self.on_reconnect = on_reconnect
        self.topology: Topology = topology(prefix, self.topics, retry)
        self._url = url
        self._connection: AbstractRobustConnection | None = None
        self._channel: AbstractRobustChannel | None = None
        self._exchanges: dict[str, AbstractExchange] = {}
        self._subscriptions: list[_Subscription] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._closing = False
        self._starting = asyncio.Lock()

    def __repr__(self) -> str:
        return f"RabbitBus({redact(self._url)!r}, prefix={self.names.prefix!r})"

    # -- lifecycle -------------------------------------------------------------------------------

    async def start(self) -> None:
        """Connect (bounded by ``connect_timeout``) and declare the topology; idempotent."""
        async with self._starting:
            if self._closing:
                raise BusClosed("a closed bus cannot start again")
            if self._connection is None:
                await self._connect()

    async def _connect(self) -> None:
        url = make_url(self._url, reconnect_interval=self.reconnect_interval)
        connection = aio_pika.RobustConnection(
            url, client_properties={"connection_name": self.name}
        )
        try:
            async with asyncio.timeout(self.connect_timeout):
                await connection.connect(timeout=self.connect_timeout)
                channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
                await self._declare(channel)
        except aio_pika.exceptions.ChannelPreconditionFailed as exc:
            await self._discard(connection)
            raise TopologyError(f"the broker refused the bus topology: {exc}") from exc
        except _BROKER_ERRORS as exc:
            await self._discard(connection)
            raise BusUnavailable(f"cannot connect to {redact(self._url)}: {describe(exc)}") from exc
        except BaseException:
            await self._discard(connection)
            raise
        self._connection = connection
        self._channel = channel
        connection.reconnect_callbacks.add(self._reconnected)
        log.info("bus connected to %s (prefix %s)", redact(self._url), self.names.prefix)

    async def _discard(self, connection: AbstractRobustConnection) -> None:
        await self._quietly(connection.close(), "closing a failed connection")

    async def _declare(self, channel: AbstractRobustChannel) -> None:
        # Declared on the robust channel, so aio-pika declares them again after a reconnect.
        for spec in self.topology["exchanges"]:
            self._exchanges[spec["name"]] = await channel.declare_exchange(
                spec["name"],
                ExchangeType(spec["type"]),
                durable=spec["durable"],
                auto_delete=spec["auto_delete"],
                internal=spec["internal"],
                arguments=dict(spec["arguments"]),
            )
        queues: dict[str, AbstractQueue] = {}
        for queue_spec in self.topology["queues"]:
            queues[queue_spec["name"]] = await channel.declare_queue(
                queue_spec["name"],
                durable=queue_spec["durable"],
                auto_delete=queue_spec["auto_delete"],
                arguments=dict(queue_spec["arguments"]),
            )
        for binding in self.topology["bindings"]:
            await queues[binding["destination"]].bind(
                self._exchanges[binding["source"]],
                routing_key=binding["routing_key"],
                arguments=dict(binding["arguments"]),
            )

    def _open(self) -> tuple[AbstractRobustConnection, AbstractRobustChannel]:
        if self._closing:
            raise BusClosed("the bus is closed")
        if self._connection is None or self._channel is None:
            raise BusNotStarted("call start() first")
        return self._connection, self._channel

    def _check_topic(self, topic: str) -> None:
        if topic not in self.topics:
            raise TopicUnknown(f"topic {topic!r} is not one of {', '.join(self.topics)}")

    async def close(self) -> None:
        """Cancel the consumers, let in-flight handlers finish, then close; idempotent.

        Every step is bounded (``connect_timeout``, ``close_timeout``), so closing never hangs on
        a broker that is gone; with the connection down there are no consumers left to cancel.
        """
        if self._closing:
            return
        self._closing = True
        if self._online():
            for sub in self._subscriptions:
                for _channel, queue, tag in sub.consumers:
                    await self._quietly(queue.cancel(tag), "cancelling a consumer")
        await self._drain()
        channels: list[AbstractChannel] = [
            c for sub in self._subscriptions for c, _, _ in sub.consumers
        ]
        if self._channel is not None:
            channels.append(self._channel)
        if self._online():
            for channel in channels:
                await self._quietly(channel.close(), "closing a channel")
        if self._connection is not None:
            await self._quietly(self._connection.close(), "closing the connection")
        log.info("bus closed (prefix %s)", self.names.prefix)

    def _reconnected(self, *_: object) -> None:
        log.warning("bus reconnected to %s (prefix %s)", redact(self._url), self.names.prefix)
        if self.on_reconnect is not None:
            self.on_reconnect()

    def _online(self) -> bool:
        return self._connection is not None and self._connection.connected.is_set()

    async def _quietly(self, step: Awaitable[object], what: str) -> None:
        try:
            async with asyncio.timeout(self.connect_timeout):
                await step
        except _BROKER_ERRORS:
            log.debug("bus: %s failed", what, exc_info=True)

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.close_timeout
        # Deliveries already on the wire may still start tasks (they requeue themselves at once).
        while self._tasks:
            _, late = await asyncio.wait(set(self._tasks), timeout=max(deadline - loop.time(), 0))
            if late and loop.time() >= deadline:
                log.warning(
                    "%d bus handlers still running after %ss; cancelled (their messages return "
                    "to the queue)",
                    len(late),
                    self.close_timeout,
                )
                for task in late:
                    task.cancel()
                await asyncio.gather(*late, return_exceptions=True)

    async def ping(self) -> bool:
        """Open a channel and passively declare the work exchange: a real broker round trip."""
        if self._closing or self._connection is None:
            return False
        connection = self._connection
        if not connection.connected.is_set():
            return False
        try:
            async with asyncio.timeout(self.connect_timeout):
                channel = await connection.channel(publisher_confirms=False)
                try:
                    await channel.get_exchange(self.names.work_exchange, ensure=True)
                finally:
                    await channel.close()
        except _BROKER_ERRORS:
            log.info("bus ping failed", exc_info=True)
            return False
        return True

    # -- publishing ------------------------------------------------------------------------------

    async def publish(self, messages: Sequence[Message]) -> None:
        """Publish persistently and return once the broker confirmed every message.

        Raises :class:`PublishRefused` (nacked or unroutable), :class:`PublishTimeout` or
        :class:`PublishFailed` (connection lost), or :class:`BusUnavailable` while reconnecting.
        Some messages may have reached the broker anyway; publishing again is safe.
        """
        connection, _ = self._open()
        for message in messages:
            self._check_topic(message.topic)
        if not messages:
            return
        if not connection.connected.is_set():
            raise BusUnavailable("the connection to the broker is down; reconnecting")
        exchange = self._exchanges[self.names.work_exchange]
        await self._send(
            [
                (exchange, self.names.work_key(m.topic, urgent=m.urgent), m.with_attempt(1), None)
                for m in messages
            ]
        )

    async def _send(
        self,
        items: Sequence[tuple[AbstractExchange, str, Message, aio_pika.Message | None]],
    ) -> None:
        """Publish ``(exchange, key, message, AMQP form or None)`` items; await every confirm."""
        try:
            async with asyncio.timeout(self.publish_timeout):
                results = await asyncio.gather(
                    *(
                        exchange.publish(
                            amqp if amqp is not None else encode(message),
                            routing_key=key,
                            mandatory=True,  # unroutable must fail, never vanish
                        )
                        for exchange, key, message, amqp in items
                    ),
                    return_exceptions=True,
                )
        except TimeoutError as exc:
            raise PublishTimeout(
                f"the broker did not confirm {len(items)} message(s) within {self.publish_timeout}s"
            ) from exc
        failed: list[tuple[Message, object]] = [
            (message, result)
            for (_, _, message, _), result in zip(items, results, strict=True)
            if not isinstance(result, aiormq.spec.Basic.Ack)
        ]
        if not failed:
            return
        ids = ", ".join(message.message_id for message, _ in failed[:5])
        more = f" and {len(failed) - 5} more" if len(failed) > 5 else ""
        first = failed[0][1]
        refused = (aiormq.exceptions.DeliveryError, aiormq.exceptions.PublishError)
        if isinstance(first, refused) or not isinstance(first, BaseException):
            raise PublishRefused(f"the broker refused {ids}{more}: {first}")
        raise PublishFailed(f"not confirmed: {ids}{more}: {describe(first)}") from first

    # -- consuming -------------------------------------------------------------------------------

    async def subscribe(
        self, topic: str, handler: Handler, *, on_dead: DeadLetterHook, concurrency: int = 8
    ) -> None:
        """Consume ``topic``'s urgent and normal queues with at most ``concurrency`` handlers.

        Each queue gets its own channel (so its own prefetch): the urgent one ``concurrency``, the
        normal one ``prefetch`` (default ``concurrency``). Both feed one urgent-first gate.
        """
        connection, _ = self._open()
        self._check_topic(topic)
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        sub = _Subscription(topic, handler, on_dead, UrgentFirstGate(concurrency))
        self._subscriptions.append(sub)
        lanes = ((True, concurrency), (False, self.prefetch or concurrency))
        try:
            async with asyncio.timeout(self.connect_timeout):
                for urgent, prefetch in lanes:
                    channel = await connection.channel(publisher_confirms=False)
                    await channel.set_qos(prefetch_count=prefetch)
                    spec = next(
                        q
                        for q in self.topology["queues"]
                        if q["name"] == self.names.queue(topic, urgent=urgent)
                    )
                    queue = await channel.declare_queue(
                        spec["name"],
                        durable=spec["durable"],
                        auto_delete=spec["auto_delete"],
                        arguments=dict(spec["arguments"]),
                    )
                    callback: Callable[[AbstractIncomingMessage], Awaitable[None]] = partial(
                        self._on_delivery, sub, urgent
                    )
                    tag = await queue.consume(callback)
                    sub.consumers.append((channel, queue, tag))
        except _BROKER_ERRORS as exc:
            raise BusUnavailable(f"cannot consume {topic!r}: {describe(exc)}") from exc

    async def _on_delivery(
        self, sub: _Subscription, urgent: bool, incoming: AbstractIncomingMessage
    ) -> None:
        # Our own task: aiormq cancels its callback tasks when a channel closes, and a handler
        # must not be interrupted halfway by a network blip (the late ack then simply fails).
        task = asyncio.create_task(self._process(sub, urgent, incoming))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _process(
        self, sub: _Subscription, urgent: bool, incoming: AbstractIncomingMessage
    ) -> None:
        async with sub.gate.slot(urgent=urgent):
            if self._closing:
                await self._requeue(incoming)  # not started: back to the queue for another node
                return
            try:
                received = decode(incoming, sub.topic)
            except MessageInvalid as exc:
                await self._settle_invalid(sub.topic, incoming, exc)
                return
            if received.dead_reason is None:
                outcome = await dispose(sub.handler, received.message, self.retry)
            else:
                outcome = Disposition(Action.DEAD, received.dead_reason)
            try:
                if outcome.action is Action.RETRY:
                    await self._schedule(
                        received.message.with_attempt(received.message.attempt + 1), outcome.delay
                    )
                elif outcome.action is Action.DEAD and not await self._dead_letter(
                    sub, received, outcome.reason
                ):
                    await self._requeue(incoming)
                    return
                await incoming.ack()
            except _SETTLE_ERRORS:
                log.warning(
                    "bus could not settle a message; the broker will deliver it again",
                    exc_info=True,
                    extra={"topic": sub.topic, "message_id": received.message.message_id},
                )
                await self._requeue(incoming)

    async def _schedule(self, message: Message, delay: float, **bus_headers: str | int) -> None:
        """Publish ``message`` to the delay queue for ``delay``; it returns to its work queue."""
        key = self.names.retry_key(
            message.topic, urgent=message.urgent, milliseconds=delay_ms(delay)
        )
        exchange = self._exchanges[self.names.retry_exchange]
        await self._send([(exchange, key, message, encode(message, **bus_headers))])

    async def _dead_letter(self, sub: _Subscription, received: Received, reason: str) -> bool:
        """Store the dead letter, then run the hook; return whether the delivery may be acked."""
        message = received.message
        if received.dead_reason is None:
            # Store first, then notify: the dead-letter queue holds the message before the hook
            # runs, so a failing hook can never lose it.
            exchange = self._exchanges[self.names.dead_exchange]
            await self._send([(exchange, message.topic, message, dead_letter(message, reason))])
        try:
            await sub.on_dead(message, reason)
        except Exception:
            failures = received.hook_failures + 1
            log.exception(
                "bus dead-letter hook failed (%d times); will try again",
                failures,
                extra={"topic": message.topic, "message_id": message.message_id},
            )
            delay = self.retry.hook_delay(failures)
            if delay is None:
                return False  # no delay queue exists: requeue; the handler runs again
            await self._schedule(message, delay, dead_reason=reason, hook_failures=failures)
        return True

    async def _settle_invalid(
        self, topic: str, incoming: AbstractIncomingMessage, exc: MessageInvalid
    ) -> None:
        # Not published by a bus (no message_id ...): keep it for an operator, without the hook.
        log.error("bus dead-letters a malformed message: %s", exc, extra={"topic": topic})
        headers: dict[str, Any] = dict(incoming.headers or {})
        headers["x-bus-dead-reason"] = f"{exc.code}: {exc.message}"
        copy = aio_pika.Message(
            body=incoming.body,
            headers=headers,
            message_id=incoming.message_id,
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        )
        try:
            exchange = self._exchanges[self.names.dead_exchange]
            async with asyncio.timeout(self.publish_timeout):
                await exchange.publish(copy, routing_key=topic, mandatory=True)
            await incoming.ack()
        except _BROKER_ERRORS:
            log.warning("bus could not dead-letter a malformed message", exc_info=True)
            await self._requeue(incoming)

    @staticmethod
    async def _requeue(incoming: AbstractIncomingMessage) -> None:
        try:
            await incoming.nack(requeue=True)
        except _BROKER_ERRORS:
            # The channel is gone: the broker requeues every unacked message by itself.
            log.debug("bus could not nack; the channel is closed", exc_info=True)

    # -- dead letters ----------------------------------------------------------------------------

    async def dead_letters(self, topic: str, limit: int = 100) -> list[tuple[Message, str]]:
        """Peek at up to ``limit`` dead letters of ``topic`` without removing them.

        AMQP has no peek: this gets the messages unacked on a private channel and closes it, which
        returns them to the dead-letter queue in their order (each one's ``x-delivery-count`` goes
        up; dead-letter queues have no delivery limit). Messages another reader holds are not seen.
        """
        connection, _ = self._open()
        self._check_topic(topic)
        found: list[tuple[Message, str]] = []
        try:
            async with asyncio.timeout(self.connect_timeout):
                channel = await connection.channel(publisher_confirms=False)
                try:
                    queue = await channel.get_queue(self.names.dead_queue(topic), ensure=True)
                    while len(found) < limit:
                        incoming = await queue.get(no_ack=False, fail=False)
                        if incoming is None:
                            break
                        try:
                            received = decode(incoming, topic)
                        except MessageInvalid:
                            log.warning("skipping a malformed dead letter in %s", queue.name)
                            continue
                        found.append((received.message, received.dead_reason or ""))
                finally:
                    await channel.close()  # returns every message we got to the queue
        except _BROKER_ERRORS as exc:
            raise BusUnavailable(f"cannot read dead letters of {topic!r}: {describe(exc)}") from exc
        return found
