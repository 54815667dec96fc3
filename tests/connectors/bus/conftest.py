"""Fixtures of the bus tests: bus factories for both implementations, with clean-up.

``make_bus`` is parametrised over the in-memory bus and RabbitMQ, so every contract test runs
against both. RabbitMQ buses of one test share a unique name prefix (so tests never see each
other's queues) and the test's exchanges and queues are deleted afterwards.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Protocol

import aio_pika
import pytest

from connectors.bus import Bus, MemoryBus, RabbitBus, RetryPolicy
from connectors.bus.topology import Topology

FAST_RETRY = RetryPolicy((0.05, 0.05, 0.05))
"""Four attempts, 50 ms apart: the semantics of production delays at test speed."""

TOPICS = ("route", "notify")


class BusFactory(Protocol):
    """Makes a bus (not started) that the fixture closes and cleans up after the test."""

    def __call__(self, *, retry: RetryPolicy = ..., **kwargs: Any) -> Bus: ...


class RabbitFactory(Protocol):
    """Makes a RabbitBus on the test's prefix, optionally through another URL (a proxy)."""

    def __call__(
        self, url: str | None = None, *, retry: RetryPolicy = ..., **kwargs: Any
    ) -> RabbitBus: ...


async def delete_topology(url: str, spec: Topology) -> None:
    """Delete the queues and exchanges of ``spec`` (those that exist)."""
    connection = await aio_pika.connect(url, timeout=10)
    async with connection:
        channel = await connection.channel()
        for queue in spec["queues"]:
            await channel.queue_delete(queue["name"])
        for exchange in spec["exchanges"]:
            await channel.exchange_delete(exchange["name"])


@pytest.fixture
async def memory_factory() -> AsyncIterator[BusFactory]:
    """Factory of in-memory buses, closed after the test."""
    made: list[MemoryBus] = []

    def make(*, retry: RetryPolicy = FAST_RETRY, **kwargs: Any) -> Bus:
        bus = MemoryBus(topics=kwargs.pop("topics", TOPICS), retry=retry, **kwargs)
        made.append(bus)
        return bus

    yield make
    for bus in made:
        await bus.close()


@pytest.fixture
def prefix() -> str:
    """A name prefix of this test alone."""
    return f"test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
async def rabbit_factory(amqp_url: str, prefix: str) -> AsyncIterator[RabbitFactory]:
    """Factory of RabbitMQ buses on the test's prefix; closed, then their topology deleted."""
    made: list[RabbitBus] = []

    def make(
        url: str | None = None, *, retry: RetryPolicy = FAST_RETRY, **kwargs: Any
    ) -> RabbitBus:
        options: dict[str, Any] = {
            "topics": TOPICS,
            "connect_timeout": 5.0,
            "publish_timeout": 5.0,
            "close_timeout": 5.0,
            "reconnect_interval": 0.1,
            **kwargs,
        }
        bus = RabbitBus(url or amqp_url, prefix=prefix, retry=retry, **options)
        made.append(bus)
        return bus

    yield make
    try:
        for bus in made:
            await bus.close()
    finally:
        for spec in {bus.retry: bus.topology for bus in made}.values():
            await delete_topology(amqp_url, spec)


@pytest.fixture(params=["memory", pytest.param("rabbit", marks=pytest.mark.services)])
def make_bus(request: pytest.FixtureRequest) -> BusFactory:
    """Factory of buses of one implementation: each contract test runs once per implementation."""
    if request.param == "memory":
        factory: BusFactory = request.getfixturevalue("memory_factory")
        return factory
    rabbit: RabbitFactory = request.getfixturevalue("rabbit_factory")
    return rabbit


@pytest.fixture
async def bus(make_bus: BusFactory) -> Bus:
    """A started bus with the fast retry policy."""
    started = make_bus()
    await started.start()
    return started


@pytest.fixture
def backlog() -> Callable[[Bus, str], Awaitable[int]]:
    """How many messages of a topic wait in its queues (unacked ones not counted)."""

    async def count(bus: Bus, topic: str) -> int:
        if isinstance(bus, MemoryBus):
            return len(bus._lanes[topic])
        assert isinstance(bus, RabbitBus)
        connection = await aio_pika.connect(bus._url, timeout=10)
        async with connection:
            channel = await connection.channel()
            total = 0
            for urgent in (False, True):
                queue = await channel.get_queue(bus.names.queue(topic, urgent=urgent))
                total += queue.declaration_result.message_count or 0
            return total

    return count
