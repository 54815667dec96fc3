"""What only the RabbitMQ bus must do: the wire format, broker refusals and network failures."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import datetime

import aio_pika
import pytest
from aio_pika.abc import DeliveryMode

from connectors.bus import (
    BusError,
    BusUnavailable,
    Message,
    PublishFailed,
    PublishRefused,
    PublishTimeout,
    RabbitBus,
    Reject,
    TopologyError,
)
from tests.connectors.bus.conftest import RabbitFactory
from tests.connectors.bus.support import WAIT, Proxy, Recorder, handler_from, hook_from

pytestmark = pytest.mark.services


def work(n: int | str, *, priority: int = 0, body: bytes | None = None) -> Message:
    """A small ``route`` message whose id names it."""
    return Message(
        topic="route",
        body=body if body is not None else json.dumps({"delivery": str(n)}).encode(),
        message_id=f"m-{n}",
        priority=priority,
    )


@pytest.fixture
async def proxy(amqp_url: str) -> AsyncIterator[Proxy]:
    """A TCP proxy in front of the broker (request it before ``rabbit_factory``)."""
    tcp = Proxy(amqp_url)
    await tcp.start()
    yield tcp
    await tcp.close()


async def take(url: str, queue_name: str) -> aio_pika.abc.AbstractIncomingMessage:
    """Get one message from ``queue_name`` and requeue it (closing the channel without ack)."""
    connection = await aio_pika.connect(url, timeout=10)
    async with connection:
        channel = await connection.channel()
        queue = await channel.get_queue(queue_name)
        incoming = await queue.get(timeout=WAIT)
        assert incoming is not None
        return incoming


async def test_messages_travel_as_persistent_amqp_with_id_headers_and_priority(
    amqp_url: str, rabbit_factory: RabbitFactory
) -> None:
    """message_id, headers and priority are AMQP properties; urgent work has its own queue."""
    bus = rabbit_factory()
    await bus.start()
    normal = Message("route", b'{"d": 1}', "outbox-1", headers={"x-request-id": "req-1"})
    urgent = Message("route", b'{"d": 2}', "outbox-2", priority=3)
    await bus.publish([normal, urgent])

    got = await take(amqp_url, bus.names.queue("route"))
    assert (got.message_id, got.body, got.priority) == ("outbox-1", b'{"d": 1}', 0)
    assert {k: v for k, v in got.headers.items() if k != "x-delivery-count"} == {
        "x-request-id": "req-1"
    }
    assert got.delivery_mode == DeliveryMode.PERSISTENT
    assert got.content_type == "application/json"
    got = await take(amqp_url, bus.names.queue("route", urgent=True))
    assert (got.message_id, got.priority) == ("outbox-2", 3)


async def test_work_queues_are_quorum_queues(amqp_url: str, rabbit_factory: RabbitFactory) -> None:
    """Declaring a work queue as a classic queue conflicts: the bus made it a quorum queue."""
    bus = rabbit_factory()
    await bus.start()
    connection = await aio_pika.connect(amqp_url, timeout=10)
    async with connection:
        channel = await connection.channel()
        await channel.declare_queue(
            bus.names.queue("route"), durable=True, arguments={"x-queue-type": "quorum"}
        )
        with pytest.raises(aio_pika.exceptions.ChannelPreconditionFailed):
            await channel.declare_queue(bus.names.queue("route"), durable=True)


async def test_dead_letters_carry_their_reason_in_a_header(
    amqp_url: str, rabbit_factory: RabbitFactory
) -> None:
    """The dead-letter queue keeps the message with x-bus-dead-reason and a dated x-bus-dead-at."""
    bus = rabbit_factory()
    await bus.start()
    dead = Recorder()

    async def refuse(message: Message) -> None:
        raise Reject("recipient retired")

    await bus.subscribe("route", refuse, on_dead=hook_from(dead))
    await bus.publish([work(1)])
    await dead.wait_count(1)
    got = await take(amqp_url, bus.names.dead_queue("route"))
    assert got.message_id == "m-1"
    assert got.headers["x-bus-dead-reason"] == "recipient retired"
    dead_at = got.headers["x-bus-dead-at"]
    assert isinstance(dead_at, str)
    assert datetime.fromisoformat(dead_at).tzinfo is not None


async def test_publish_raises_when_the_connection_drops_mid_publish(
    proxy: Proxy, rabbit_factory: RabbitFactory
) -> None:
    """Publishes on the wire whose confirms are lost raise PublishFailed; later ones succeed."""
    reconnected = asyncio.Event()
    bus = rabbit_factory(proxy.url, on_reconnect=reconnected.set)
    await bus.start()
    proxy.hold()
    publishing = asyncio.create_task(bus.publish([work(n) for n in range(5)]))
    await asyncio.wait_for(proxy.client_sent.wait(), WAIT)  # on the broker, confirms held
    await proxy.cut()
    with pytest.raises(PublishFailed) as caught:
        await asyncio.wait_for(publishing, WAIT)
    assert caught.value.code.startswith("BUS_PUBLISH")
    await asyncio.wait_for(reconnected.wait(), WAIT)  # the robust connection came back
    assert await bus.ping()
    await bus.publish([work("after")])


async def test_publish_times_out_when_the_broker_does_not_confirm(
    proxy: Proxy, rabbit_factory: RabbitFactory
) -> None:
    """Without confirms, publish gives up after publish_timeout with PublishTimeout."""
    bus = rabbit_factory(proxy.url, publish_timeout=0.3)
    await bus.start()
    proxy.hold()
    with pytest.raises(PublishTimeout) as caught:
        await bus.publish([work(1)])
    assert caught.value.code == "BUS_PUBLISH_TIMEOUT"
    proxy.release()
    bus.publish_timeout = 5.0  # 0.3 s is too tight for a loaded machine
    await bus.publish([work(2)])


async def test_publish_raises_while_the_broker_is_unreachable(
    proxy: Proxy, rabbit_factory: RabbitFactory
) -> None:
    """With the connection lost and reconnects failing, publish raises and ping is false."""
    reconnected = asyncio.Event()
    bus = rabbit_factory(proxy.url, publish_timeout=1.0, on_reconnect=reconnected.set)
    await bus.start()
    seen = Recorder()
    await bus.subscribe("route", handler_from(seen), on_dead=hook_from(Recorder()))
    proxy.refuse()
    await proxy.cut()
    with pytest.raises(BusError):
        await bus.publish([work(1)])
    assert not await bus.ping()
    proxy.refuse(False)
    await asyncio.wait_for(reconnected.wait(), WAIT)
    assert await bus.ping()
    await bus.publish([work(2)])
    await seen.wait_for(lambda: "m-2" in seen.ids)  # the consumer was restored too


async def test_a_consumer_cut_off_mid_handling_gets_the_message_again(
    proxy: Proxy, rabbit_factory: RabbitFactory
) -> None:
    """A delivery unacked when the connection dies is redelivered (same attempt) on reconnect."""
    bus = rabbit_factory(proxy.url)
    await bus.start()
    seen = Recorder()
    stuck = asyncio.Event()

    async def first_hangs(message: Message) -> None:
        if len(seen.messages) == 1:
            await stuck.wait()

    await bus.subscribe("route", handler_from(seen, first_hangs), on_dead=hook_from(Recorder()))
    await bus.publish([work(1)])
    await seen.wait_count(1)
    await proxy.cut()
    await seen.wait_count(2)
    assert seen.ids == ["m-1", "m-1"]
    assert seen.attempts == [1, 1]
    stuck.set()  # the first handler now returns; its ack goes to a dead channel and is dropped
    await bus.close()
    assert seen.ids == ["m-1", "m-1"]


async def test_a_message_held_by_a_closed_channel_goes_to_another_consumer(
    proxy: Proxy, rabbit_factory: RabbitFactory
) -> None:
    """When a node dies mid-handling (its channel closes without ack), another node gets it."""
    crashed = rabbit_factory(proxy.url)
    await crashed.start()
    first, second = Recorder(), Recorder()
    never = asyncio.Event()

    async def hang(message: Message) -> None:
        await never.wait()

    await crashed.subscribe("route", handler_from(first, hang), on_dead=hook_from(Recorder()))
    await crashed.publish([work(1)])
    await first.wait_count(1)
    proxy.refuse()
    await proxy.cut()

    survivor = rabbit_factory()
    await survivor.start()
    await survivor.subscribe("route", handler_from(second), on_dead=hook_from(Recorder()))
    await second.wait_count(1)
    assert (second.ids, second.attempts) == (["m-1"], [1])
    never.set()


async def test_unroutable_messages_are_refused_not_dropped(
    amqp_url: str, rabbit_factory: RabbitFactory
) -> None:
    """If an operator deleted a work queue, publish raises PublishRefused (mandatory flag)."""
    bus = rabbit_factory()
    await bus.start()
    connection = await aio_pika.connect(amqp_url, timeout=10)
    async with connection:
        channel = await connection.channel()
        await channel.queue_delete(bus.names.queue("route"))
    with pytest.raises(PublishRefused) as caught:
        await bus.publish([work(1)])
    assert caught.value.code == "BUS_PUBLISH_REFUSED"
    assert "m-1" in caught.value.message


async def test_start_raises_bus_unavailable_when_nothing_listens(amqp_url: str) -> None:
    """No broker, or wrong credentials: start() fails at once with BUS_UNAVAILABLE."""
    for url in (
        "amqp://guest:guest@127.0.0.1:1/",
        amqp_url.replace("guest:guest@", "guest:wrong-password@"),
    ):
        bus = RabbitBus(url, prefix="never", connect_timeout=5.0)
        with pytest.raises(BusUnavailable) as caught:
            await bus.start()
        assert "wrong-password" not in str(caught.value)
        assert not await bus.ping()
        await bus.close()


async def test_start_refuses_a_conflicting_topology(
    amqp_url: str, rabbit_factory: RabbitFactory
) -> None:
    """A queue that exists with other arguments makes start() fail with BUS_TOPOLOGY."""
    bus = rabbit_factory()
    connection = await aio_pika.connect(amqp_url, timeout=10)
    async with connection:
        channel = await connection.channel()
        await channel.declare_queue(bus.names.queue("route"), durable=True)  # classic
    with pytest.raises(TopologyError) as caught:
        await bus.start()
    assert caught.value.code == "BUS_TOPOLOGY"


async def test_a_malformed_delivery_is_dead_lettered_without_the_hook(
    amqp_url: str, rabbit_factory: RabbitFactory
) -> None:
    """A message no bus could have published (too large) goes to the dead queue, coded."""
    bus = rabbit_factory()
    await bus.start()
    seen, dead = Recorder(), Recorder()
    await bus.subscribe("route", handler_from(seen), on_dead=hook_from(dead))
    connection = await aio_pika.connect(amqp_url, timeout=10)
    async with connection:
        channel = await connection.channel()
        exchange = await channel.get_exchange(bus.names.work_exchange)
        await exchange.publish(
            aio_pika.Message(b"x" * 70_000, message_id="huge"), routing_key="route.normal"
        )
    got = await take(amqp_url, bus.names.dead_queue("route"))
    assert got.message_id == "huge"
    reason = got.headers["x-bus-dead-reason"]
    assert isinstance(reason, str)
    assert reason.startswith("BUS_MESSAGE_INVALID")
    assert seen.messages == []
    assert dead.messages == []
