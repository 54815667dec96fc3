"""What only the in-process bus does: finer priority order and no durability."""

from __future__ import annotations

import asyncio

from connectors.bus import Bus, MemoryBus, Message
from tests.connectors.bus.support import Recorder, handler_from, hook_from


async def test_higher_priorities_go_first_and_equal_ones_keep_their_order() -> None:
    """The heap orders by (-priority, publish order): hỏa tốc, then thượng khẩn, khẩn, thường."""
    bus: Bus = MemoryBus(topics=("route",))
    await bus.start()
    seen = Recorder()
    levels = [0, 1, 3, 0, 2, 3, 1]
    await bus.publish([Message("route", b"{}", f"m-{i}", priority=p) for i, p in enumerate(levels)])
    await bus.subscribe("route", handler_from(seen), on_dead=hook_from(Recorder()), concurrency=1)
    await seen.wait_count(len(levels))
    await bus.close()
    assert seen.ids == ["m-2", "m-5", "m-4", "m-1", "m-6", "m-0", "m-3"]


async def test_a_published_attempt_number_is_reset_to_one() -> None:
    """The bus, not the publisher, counts attempts."""
    bus = MemoryBus(topics=("route",))
    await bus.start()
    seen = Recorder()
    await bus.subscribe("route", handler_from(seen), on_dead=hook_from(Recorder()))
    await bus.publish([Message("route", b"{}", "m-1", attempt=5)])
    await seen.wait_count(1)
    await bus.close()
    assert seen.attempts == [1]


async def test_close_drops_what_is_queued_or_waiting_for_a_retry() -> None:
    """Not durable: queued messages and pending retries vanish on close (the outbox covers it)."""
    bus = MemoryBus(topics=("route",))
    await bus.start()
    await bus.publish([Message("route", b"{}", f"m-{i}") for i in range(3)])
    await bus.close()
    assert len(bus._lanes["route"]) == 3  # still in memory, never delivered
    assert not bus._timers
    assert await bus.dead_letters("route") == []


async def test_close_cancels_a_handler_that_outlives_the_close_timeout() -> None:
    """A handler still running after close_timeout is cancelled, so shutdown is bounded."""
    bus = MemoryBus(topics=("route",), close_timeout=0.05)
    await bus.start()
    seen, cancelled = Recorder(), asyncio.Event()

    async def forever(message: Message) -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise

    await bus.subscribe("route", handler_from(seen, forever), on_dead=hook_from(Recorder()))
    await bus.publish([Message("route", b"{}", "m-1")])
    await seen.wait_count(1)
    await bus.close()
    assert cancelled.is_set()
