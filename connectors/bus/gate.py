"""A concurrency limit that hands a freed slot to urgent work first.

RabbitMQ 3.10 quorum queues have no priorities, so the RabbitMQ bus keeps urgent messages in their
own queue. Both queues of a topic deliver into the same process; this gate decides which delivery
runs next. With every slot busy, an urgent delivery waits for the next free slot and gets it ahead
of any normal delivery already waiting, so it overtakes the normal backlog and waits at most for
the handlers already running.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class UrgentFirstGate:
    """At most ``slots`` holders at once; waiting urgent holders are admitted before normal ones."""

    def __init__(self, slots: int) -> None:
        """Create a gate with ``slots`` free slots (at least 1)."""
        if slots < 1:
            raise ValueError("slots must be at least 1")
        self._free = slots
        self._urgent: deque[asyncio.Future[None]] = deque()
        self._normal: deque[asyncio.Future[None]] = deque()

    @property
    def free(self) -> int:
        """How many slots are free right now."""
        return self._free

    @property
    def waiting(self) -> int:
        """How many holders wait for a slot."""
        return sum(not w.done() for w in (*self._urgent, *self._normal))

    async def acquire(self, *, urgent: bool) -> None:
        """Wait for a slot; urgent callers go ahead of normal ones that are still waiting."""
        if self._free > 0:
            self._free -= 1
            return
        waiter = asyncio.get_running_loop().create_future()
        queue = self._urgent if urgent else self._normal
        queue.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.release()  # the slot was handed over just as we were cancelled: pass it on
            elif waiter in queue:
                queue.remove(waiter)
            raise

    def release(self) -> None:
        """Give the slot to the oldest urgent waiter, else the oldest normal one, else free it."""
        for queue in (self._urgent, self._normal):
            while queue:
                waiter = queue.popleft()
                if not waiter.done():
                    waiter.set_result(None)  # the slot passes directly: _free stays as it is
                    return
        self._free += 1

    @asynccontextmanager
    async def slot(self, *, urgent: bool) -> AsyncIterator[None]:
        """Hold a slot for the duration of the ``async with`` block."""
        await self.acquire(urgent=urgent)
        try:
            yield
        finally:
            self.release()
