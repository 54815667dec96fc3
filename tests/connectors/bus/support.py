"""Test helpers for the bus: a recording handler, a dead-letter hook, and a TCP proxy.

Synchronisation is by events and conditions signalled by the code under test, each wait bounded
by a timeout; nothing sleeps to "let things settle" (design.md §3.9).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit, urlunsplit

from connectors.bus import Message

WAIT = 10.0
"""Upper bound of every wait in the bus tests; reached only when something is broken."""


class Recorder:
    """Remembers what a handler or hook saw and lets a test wait for a condition on it."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.reasons: list[str] = []
        self._changed = asyncio.Condition()

    async def record(self, message: Message, reason: str | None = None) -> None:
        """Append ``message`` (and a dead-letter reason) and wake the waiters."""
        async with self._changed:
            self.messages.append(message)
            if reason is not None:
                self.reasons.append(reason)
            self._changed.notify_all()

    async def wait_for(self, predicate: Callable[[], bool]) -> None:
        """Wait (at most WAIT seconds) until ``predicate()`` holds, checked after each call."""
        async with asyncio.timeout(WAIT), self._changed:
            await self._changed.wait_for(predicate)

    async def wait_count(self, count: int) -> None:
        """Wait until at least ``count`` calls were recorded."""
        await self.wait_for(lambda: len(self.messages) >= count)

    @property
    def ids(self) -> list[str]:
        """The message ids in call order."""
        return [m.message_id for m in self.messages]

    @property
    def attempts(self) -> list[int]:
        """The attempt numbers in call order."""
        return [m.attempt for m in self.messages]


def handler_from(
    recorder: Recorder, then: Callable[[Message], Awaitable[None]] | None = None
) -> Callable[[Message], Awaitable[None]]:
    """Return a handler that records each message, then runs ``then`` (which may raise)."""

    async def handle(message: Message) -> None:
        await recorder.record(message)
        if then is not None:
            await then(message)

    return handle


def hook_from(recorder: Recorder) -> Callable[[Message, str], Awaitable[None]]:
    """Return a dead-letter hook that records ``(message, reason)``."""

    async def on_dead(message: Message, reason: str) -> None:
        await recorder.record(message, reason)

    return on_dead


class Proxy:
    """A TCP proxy between the bus and RabbitMQ that can hold replies and cut connections.

    ``hold()`` stops forwarding broker-to-client bytes (confirms, deliveries) while client-to-broker
    bytes still flow, and ``client_sent`` then fires once the client has sent something, so a test
    knows a publish is on the broker but its confirm is not back. ``cut()`` aborts every proxied
    connection, as a network failure would; ``refuse()`` makes new connections fail at once.
    """

    def __init__(self, target_url: str) -> None:
        parts = urlsplit(target_url)
        self._target = (parts.hostname or "127.0.0.1", parts.port or 5672)
        self._parts = parts
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._flowing = asyncio.Event()
        self._flowing.set()
        self._refusing = False
        self.client_sent = asyncio.Event()
        self.connections = 0
        self.url = ""
        """The AMQP URL that goes through the proxy (set by :meth:`start`)."""

    async def start(self) -> str:
        """Listen on a free local port; return the AMQP URL that goes through the proxy."""
        if self._server is None:
            self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
            port = self._server.sockets[0].getsockname()[1]
            netloc = f"{self._parts.username}:{self._parts.password}@127.0.0.1:{port}"
            self.url = urlunsplit(self._parts._replace(netloc=netloc))
        return self.url

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._refusing:
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self._target)
        except OSError:
            writer.transport.abort()
            return
        self.connections += 1
        self._writers |= {writer, up_writer}
        for task in (
            asyncio.create_task(self._pipe(reader, up_writer, upstream=True)),
            asyncio.create_task(self._pipe(up_reader, writer, upstream=False)),
        ):
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _pipe(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, upstream: bool
    ) -> None:
        try:
            while data := await reader.read(65536):
                if not upstream:
                    await self._flowing.wait()
                writer.write(data)
                await writer.drain()
                if upstream and not self._flowing.is_set():
                    self.client_sent.set()
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.transport.abort()
            self._writers.discard(writer)

    def hold(self) -> None:
        """Stop forwarding broker replies; ``client_sent`` fires on the next client bytes."""
        self.client_sent.clear()
        self._flowing.clear()

    def release(self) -> None:
        """Forward broker replies again."""
        self._flowing.set()

    def refuse(self, refusing: bool = True) -> None:
        """Make new connections fail at once (``refuse(False)`` accepts them again)."""
        self._refusing = refusing

    async def cut(self) -> None:
        """Abort every proxied connection, both sides, as a network failure would."""
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._flowing.set()

    async def close(self) -> None:
        """Stop listening and cut every connection."""
        if self._server is not None:
            self._server.close()
        await self.cut()
        if self._server is not None:
            await self._server.wait_closed()
