"""The in-process bus: the embedded default, same port and contract as the RabbitMQ bus.

One priority queue per topic ordered by ``(-priority, sequence)``, so urgent work overtakes the
normal backlog and equal priorities stay in publish order; retries wait on asyncio timers; dead
letters are kept in a list per topic. Nothing is durable: what is queued or waiting for a retry is
gone when the process stops. The node does not rely on the bus for durability: the outbox rows are
committed with the document and a start-up sweep publishes again whatever was not finished.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial

from connectors.bus.base import (
    DEFAULT_RETRY,
    DEFAULT_TOPICS,
    DeadLetterHook,
    Handler,
    Message,
    RetryPolicy,
)
from connectors.bus.disposition import Action, Disposition, dispose
from connectors.bus.errors import BusClosed, BusNotStarted, TopicUnknown

log = logging.getLogger("connectors.bus")


@dataclass(frozen=True, slots=True)
class _Envelope:
    """A queued message; ``dead_reason`` is set when only the dead-letter hook is left to run."""

    message: Message
    dead_reason: str | None = None
    hook_failures: int = 0


class _Lane:
    """A priority queue with fair wake-ups: urgent first, then publish order."""

    def __init__(self) -> None:
        self._heap: list[tuple[int, int, _Envelope]] = []
        self._sequence = itertools.count()
        self._waiters: deque[asyncio.Future[None]] = deque()

    def __len__(self) -> int:
        return len(self._heap)

    def put(self, envelope: _Envelope) -> None:
        heapq.heappush(self._heap, (-envelope.message.priority, next(self._sequence), envelope))
        self._wake()

    def _wake(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    async def get(self) -> _Envelope:
        while not self._heap:
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                await waiter
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled():
                    self._wake()  # pass the wake-up on: another getter takes the message
                elif waiter in self._waiters:
                    self._waiters.remove(waiter)
                raise
        return heapq.heappop(self._heap)[2]


@dataclass(eq=False)
class _Subscription:
    topic: str
    handler: Handler
    on_dead: DeadLetterHook
    slots: asyncio.Semaphore
    dispatcher: asyncio.Task[None] | None = None
    running: set[asyncio.Task[None]] = field(default_factory=set)


class MemoryBus:
    """In-process :class:`connectors.bus.base.Bus`: asyncio only, same semantics, not durable."""

    def __init__(
        self,
        *,
        topics: Sequence[str] = DEFAULT_TOPICS,
        retry: RetryPolicy = DEFAULT_RETRY,
        close_timeout: float = 30.0,
    ) -> None:
        """Configure the bus; nothing runs until :meth:`start`."""
        for topic in topics:
            Message(topic=topic, body=b"", message_id="-")  # validates the topic name
        self.topics: tuple[str, ...] = tuple(dict.fromkeys(topics))
        self.retry = retry
        self.close_timeout = close_timeout
        self._lanes = {topic: _Lane() for topic in self.topics}
        self._dead: dict[str, list[tuple[Message, str]]] = {topic: [] for topic in self.topics}
        self._subscriptions: list[_Subscription] = []
        self._timers: set[asyncio.TimerHandle] = set()
        self._started = False
        self._closed = False

    def __repr__(self) -> str:
        return f"MemoryBus(topics={self.topics!r})"

    def _check_open(self) -> None:
        if self._closed:
            raise BusClosed("the bus is closed")
        if not self._started:
            raise BusNotStarted("call start() first")

    def _check_topic(self, topic: str) -> None:
        if topic not in self._lanes:
            raise TopicUnknown(f"topic {topic!r} is not one of {', '.join(self.topics)}")

    async def start(self) -> None:
        """Mark the bus ready (there is nothing to connect to)."""
        if self._closed:
            raise BusClosed("a closed bus cannot start again")
        self._started = True

    async def publish(self, messages: Sequence[Message]) -> None:
        """Queue every message (attempt 1), or none when one names an unknown topic."""
        self._check_open()
        for message in messages:
            self._check_topic(message.topic)
        for message in messages:
            self._lanes[message.topic].put(_Envelope(message.with_attempt(1)))

    async def subscribe(
        self, topic: str, handler: Handler, *, on_dead: DeadLetterHook, concurrency: int = 8
    ) -> None:
        """Handle ``topic`` with at most ``concurrency`` handlers at once, urgent work first."""
        self._check_open()
        self._check_topic(topic)
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        sub = _Subscription(topic, handler, on_dead, asyncio.Semaphore(concurrency))
        sub.dispatcher = asyncio.create_task(self._dispatch(sub), name=f"bus-dispatch-{topic}")
        self._subscriptions.append(sub)

    async def _dispatch(self, sub: _Subscription) -> None:
        lane = self._lanes[sub.topic]
        while True:
            # A free slot first, then the best message: what waits is chosen as late as possible.
            await sub.slots.acquire()
            try:
                envelope = await lane.get()
            except BaseException:
                sub.slots.release()
                raise
            task = asyncio.create_task(self._process(sub, envelope))
            sub.running.add(task)
            task.add_done_callback(partial(self._finished, sub))

    @staticmethod
    def _finished(sub: _Subscription, task: asyncio.Task[None]) -> None:
        sub.running.discard(task)
        sub.slots.release()
        if not task.cancelled() and task.exception() is not None:
            log.error("bus message processing failed", exc_info=task.exception())

    async def _process(self, sub: _Subscription, envelope: _Envelope) -> None:
        message = envelope.message
        if envelope.dead_reason is None:
            outcome = await dispose(sub.handler, message, self.retry)
        else:
            outcome = Disposition(Action.DEAD, envelope.dead_reason)
        if outcome.action is Action.RETRY:
            self._later(outcome.delay, _Envelope(message.with_attempt(message.attempt + 1)))
        elif outcome.action is Action.DEAD:
            await self._dead_letter(sub, envelope, outcome.reason)

    async def _dead_letter(self, sub: _Subscription, envelope: _Envelope, reason: str) -> None:
        message = envelope.message
        if envelope.dead_reason is None:
            # Store first, then notify: a failing hook can never lose the dead letter.
            self._dead[message.topic].append((message, reason))
        try:
            await sub.on_dead(message, reason)
        except Exception:
            # The hook did not record the failure: keep the message and try the hook again later.
            failures = envelope.hook_failures + 1
            log.exception(
                "bus dead-letter hook failed (%d times); will try again",
                failures,
                extra={"topic": message.topic, "message_id": message.message_id},
            )
            again = _Envelope(message, dead_reason=reason, hook_failures=failures)
            delay = self.retry.hook_delay(failures)
            if delay is None:
                self._lanes[message.topic].put(again)
            else:
                self._later(delay, again)

    def _later(self, delay: float, envelope: _Envelope) -> None:
        lane = self._lanes[envelope.message.topic]

        def fire() -> None:
            self._timers.discard(handle)
            if not self._closed:
                lane.put(envelope)

        handle = asyncio.get_running_loop().call_later(delay, fire)
        self._timers.add(handle)

    async def dead_letters(self, topic: str, limit: int = 100) -> list[tuple[Message, str]]:
        """Return up to ``limit`` dead letters of ``topic``, oldest first, with their reasons."""
        self._check_topic(topic)
        return list(self._dead[topic][: max(limit, 0)])

    async def close(self) -> None:
        """Stop taking messages, let running handlers finish, drop timers; idempotent."""
        if self._closed:
            return
        self._closed = True
        dispatchers = [sub.dispatcher for sub in self._subscriptions if sub.dispatcher]
        for dispatcher in dispatchers:
            dispatcher.cancel()
        await asyncio.gather(*dispatchers, return_exceptions=True)
        running = {task for sub in self._subscriptions for task in sub.running}
        if running:
            _, late = await asyncio.wait(running, timeout=self.close_timeout)
            for task in late:
                log.warning("bus handler still running after %ss; cancelled", self.close_timeout)
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()

    async def ping(self) -> bool:
        """Return whether the bus is started and not closed."""
        return self._started and not self._closed
