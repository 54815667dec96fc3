"""The bus contract: every test runs against the in-memory bus and against RabbitMQ."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Awaitable, Callable

import pytest

from connectors.bus import (
    Bus,
    BusClosed,
    BusNotStarted,
    Message,
    Reject,
    Retry,
    RetryPolicy,
    TopicUnknown,
)
from tests.connectors.bus.conftest import BusFactory
from tests.connectors.bus.support import WAIT, Recorder, handler_from, hook_from


def work(n: int | str, *, priority: int = 0, topic: str = "route") -> Message:
    """A small work message whose id names it."""
    return Message(
        topic=topic,
        body=json.dumps({"delivery": str(n)}).encode(),
        message_id=f"m-{n}",
        priority=priority,
    )


async def test_a_handler_that_returns_acks_the_message(
    bus: Bus, backlog: Callable[[Bus, str], Awaitable[int]]
) -> None:
    """A message whose handler returns is handled once and leaves the queue."""
    seen, dead = Recorder(), Recorder()
    await bus.subscribe("route", handler_from(seen), on_dead=hook_from(dead))
    await bus.publish([work(1)])
    await seen.wait_count(1)
    await bus.close()  # unacked messages would return to the queue now
    assert seen.ids == ["m-1"]
    assert seen.attempts == [1]
    assert await backlog(bus, "route") == 0
    assert dead.messages == []


async def test_retry_delivers_again_with_the_next_attempt_number(bus: Bus) -> None:
    """Retry redelivers after the delay with attempt + 1; success then stops the retries."""
    seen, dead = Recorder(), Recorder()
    loop = asyncio.get_running_loop()
    times: list[float] = []

    async def flaky(message: Message) -> None:
        times.append(loop.time())
        if message.attempt < 3:
            raise Retry("upstream busy")

    await bus.subscribe("route", handler_from(seen, flaky), on_dead=hook_from(dead))
    await bus.publish([work(1)])
    await seen.wait_count(3)
    assert seen.attempts == [1, 2, 3]
    # Each retry waited for its delay (50 ms; a little less for timer and clock rounding).
    assert all(later - earlier >= 0.045 for earlier, later in itertools.pairwise(times)), times
    assert await bus.dead_letters("route") == []
    assert dead.messages == []


async def test_exhausted_retries_dead_letter_with_the_last_reason(bus: Bus) -> None:
    """After len(delays) + 1 attempts the message is dead-lettered with the handler's reason."""
    seen, dead = Recorder(), Recorder()

    async def always(message: Message) -> None:
        raise Retry(f"upstream down at attempt {message.attempt}")

    await bus.subscribe("route", handler_from(seen, always), on_dead=hook_from(dead))
    await bus.publish([work(1)])
    await dead.wait_count(1)
    assert seen.attempts == [1, 2, 3, 4]
    assert dead.reasons == ["upstream down at attempt 4"]
    assert dead.messages[0].attempt == 4
    [(message, reason)] = await bus.dead_letters("route")
    assert (message.message_id, message.attempt, reason) == ("m-1", 4, "upstream down at attempt 4")


async def test_reject_dead_letters_at_once(bus: Bus) -> None:
    """Reject skips the retries: one attempt, then the hook and the dead-letter queue."""
    seen, dead = Recorder(), Recorder()

    async def refuse(message: Message) -> None:
        raise Reject("recipient unknown: 000.00.99.H99")

    await bus.subscribe("route", handler_from(seen, refuse), on_dead=hook_from(dead))
    await bus.publish([work(1)])
    await dead.wait_count(1)
    assert seen.attempts == [1]
    assert dead.reasons == ["recipient unknown: 000.00.99.H99"]
    assert [(m.message_id, r) for m, r in await bus.dead_letters("route")] == [
        ("m-1", "recipient unknown: 000.00.99.H99")
    ]


async def test_any_other_exception_is_retried_and_named_in_the_reason(make_bus: BusFactory) -> None:
    """An unexpected exception counts as Retry; the reason is its type name and text."""
    bus = make_bus(retry=RetryPolicy((0.05,)))
    await bus.start()
    seen, dead = Recorder(), Recorder()

    async def broken(message: Message) -> None:
        raise ValueError("no delivery 1")

    await bus.subscribe("route", handler_from(seen, broken), on_dead=hook_from(dead))
    await bus.publish([work(1)])
    await dead.wait_count(1)
    assert seen.attempts == [1, 2]
    assert dead.reasons == ["ValueError: no delivery 1"]


async def test_a_failing_dead_letter_hook_does_not_lose_the_message(bus: Bus) -> None:
    """When on_dead raises, the message stays dead-lettered and the hook runs again later."""
    seen, dead = Recorder(), Recorder()

    async def refuse(message: Message) -> None:
        raise Reject("malformed body")

    async def flaky_hook(message: Message, reason: str) -> None:
        await dead.record(message, reason)
        if len(dead.messages) == 1:
            raise ConnectionError("database unavailable")

    await bus.subscribe("route", handler_from(seen, refuse), on_dead=flaky_hook)
    await bus.publish([work(1)])
    await dead.wait_count(2)
    assert [(m.message_id, m.attempt) for m in dead.messages] == [("m-1", 1), ("m-1", 1)]
    assert dead.reasons == ["malformed body", "malformed body"]
    assert seen.attempts == [1]  # the decision stands: only the hook is run again
    assert [(m.message_id, r) for m, r in await bus.dead_letters("route")] == [
        ("m-1", "malformed body")
    ]


async def test_the_hook_runs_before_the_message_is_acked_away(
    bus: Bus, backlog: Callable[[Bus, str], Awaitable[int]]
) -> None:
    """While on_dead runs, the message is already kept in the dead-letter queue."""
    seen: list[list[tuple[Message, str]]] = []

    async def refuse(message: Message) -> None:
        raise Reject("no route")

    done = asyncio.Event()

    async def hook(message: Message, reason: str) -> None:
        seen.append(await bus.dead_letters("route"))
        done.set()

    await bus.subscribe("route", refuse, on_dead=hook)
    await bus.publish([work(1)])
    await asyncio.wait_for(done.wait(), WAIT)
    assert [(m.message_id, r) for m, r in seen[0]] == [("m-1", "no route")]


async def test_urgent_work_overtakes_the_normal_backlog(bus: Bus) -> None:
    """An urgent message published behind a normal backlog is handled before that backlog."""
    seen, dead = Recorder(), Recorder()
    gate = asyncio.Event()

    async def slow_first(message: Message) -> None:
        if message.message_id == "m-0":
            await gate.wait()

    await bus.publish([work(n) for n in range(10)])
    await bus.subscribe(
        "route", handler_from(seen, slow_first), on_dead=hook_from(dead), concurrency=1
    )
    await seen.wait_count(1)  # m-0 is in flight and holds the only slot
    await bus.publish([work("urgent", priority=3)])
    gate.set()
    await seen.wait_count(11)
    order = seen.ids
    assert order[0] == "m-0"
    # In flight when it arrived: m-0 surely, m-1 at most (a delivery racing the urgent one).
    assert order.index("m-urgent") <= 2, order
    assert sorted(order) == sorted(["m-urgent", *(f"m-{n}" for n in range(10))])
    assert [n for n in order if n != "m-urgent"] == [f"m-{n}" for n in range(10)]


async def test_headers_id_priority_and_body_travel_unchanged(bus: Bus) -> None:
    """What the handler gets equals what was published, on the first delivery and on retries."""
    seen, dead = Recorder(), Recorder()

    async def once_more(message: Message) -> None:
        if message.attempt == 1:
            raise Retry("again")

    sent = Message(
        topic="notify",
        body='{"document": "123/QĐ-UBND", "to": "000.00.18.G12"}'.encode(),
        message_id="outbox-00042",
        priority=2,
        headers={"x-request-id": "req-7f3a", "x-note": "Thượng khẩn"},
    )
    await bus.subscribe("notify", handler_from(seen, once_more), on_dead=hook_from(dead))
    await bus.publish([sent])
    await seen.wait_count(2)
    first, second = seen.messages
    assert first == sent
    assert second == sent.with_attempt(2)
    assert dict(second.headers) == {"x-request-id": "req-7f3a", "x-note": "Thượng khẩn"}


async def test_many_messages_are_all_handled(bus: Bus) -> None:
    """Publishing 300 messages in one call gets each one handled (deduplicated by message_id)."""
    seen, dead = Recorder(), Recorder()
    handled: set[str] = set()

    async def dedup(message: Message) -> None:
        handled.add(message.message_id)  # at-least-once: a real handler would skip a repeat

    await bus.subscribe("route", handler_from(seen, dedup), on_dead=hook_from(dead), concurrency=8)
    messages = [work(n, priority=int(n % 4 == 0)) for n in range(300)]
    await bus.publish(messages)
    await seen.wait_for(lambda: len(handled) == 300)
    assert handled == {m.message_id for m in messages}
    assert dead.messages == []


async def test_concurrency_bounds_the_running_handlers(bus: Bus) -> None:
    """No more than ``concurrency`` handlers of a subscription run at once."""
    seen, dead = Recorder(), Recorder()
    running, peak = 0, 0
    release = asyncio.Event()

    async def track(message: Message) -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await release.wait()
        running -= 1

    await bus.subscribe("route", handler_from(seen, track), on_dead=hook_from(dead), concurrency=3)
    await bus.publish([work(n) for n in range(8)])
    await seen.wait_count(3)
    release.set()
    await seen.wait_count(8)
    assert peak == 3


async def test_close_lets_in_flight_handlers_finish(
    bus: Bus, backlog: Callable[[Bus, str], Awaitable[int]]
) -> None:
    """close() waits for the running handler, whose message is then acked, not redelivered."""
    seen, dead = Recorder(), Recorder()
    release, finished = asyncio.Event(), asyncio.Event()

    async def slow(message: Message) -> None:
        await release.wait()
        finished.set()

    await bus.subscribe("route", handler_from(seen, slow), on_dead=hook_from(dead))
    await bus.publish([work(1)])
    await seen.wait_count(1)
    closing = asyncio.create_task(bus.close())
    await asyncio.sleep(0)  # one turn of the loop: close() has begun
    assert not await bus.ping()
    assert not closing.done()
    release.set()
    await asyncio.wait_for(closing, WAIT)
    assert finished.is_set()
    assert seen.attempts == [1]
    assert await backlog(bus, "route") == 0


async def test_dead_letters_peek_without_consuming(bus: Bus) -> None:
    """dead_letters() returns the same messages each time, oldest first, at most ``limit``."""
    dead = Recorder()

    async def refuse(message: Message) -> None:
        raise Reject(f"bad {message.message_id}")

    await bus.subscribe("route", refuse, on_dead=hook_from(dead), concurrency=1)
    await bus.publish([work(n) for n in range(3)])
    await dead.wait_count(3)
    first = await bus.dead_letters("route")
    assert [(m.message_id, r) for m, r in first] == [(f"m-{n}", f"bad m-{n}") for n in range(3)]
    assert await bus.dead_letters("route") == first
    assert await bus.dead_letters("route", limit=2) == first[:2]
    assert await bus.dead_letters("notify") == []


async def test_ping_answers_only_between_start_and_close(make_bus: BusFactory) -> None:
    """ping() is false before start, true while running, false after close."""
    bus = make_bus()
    assert not await bus.ping()
    await bus.start()
    assert await bus.ping()
    await bus.close()
    assert not await bus.ping()


async def test_publish_refuses_unknown_topics_and_sends_nothing(
    bus: Bus, backlog: Callable[[Bus, str], Awaitable[int]]
) -> None:
    """A batch naming a topic the bus was not configured with fails as a whole."""
    with pytest.raises(TopicUnknown) as caught:
        await bus.publish([work(1), work(2, topic="archive")])
    assert caught.value.code == "BUS_TOPIC_UNKNOWN"
    assert await backlog(bus, "route") == 0
    with pytest.raises(TopicUnknown):
        await bus.subscribe("archive", handler_from(Recorder()), on_dead=hook_from(Recorder()))


async def test_publish_needs_a_started_open_bus(make_bus: BusFactory) -> None:
    """publish() before start() or after close() raises a coded error instead of dropping."""
    bus = make_bus()
    with pytest.raises(BusNotStarted):
        await bus.publish([work(1)])
    await bus.start()
    await bus.close()
    with pytest.raises(BusClosed) as caught:
        await bus.publish([work(1)])
    assert caught.value.code == "BUS_CLOSED"
