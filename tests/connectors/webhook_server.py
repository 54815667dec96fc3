"""A tiny HTTP/1.1 server on a local socket, standing for an operator's webhook receiver."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field


@dataclass
class WebhookServer:
    """Answers the statuses of ``script`` in turn (then 200) and records each request, and the
    bodies it accepted (2xx)."""

    script: list[int]
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    accepted: list[bytes] = field(default_factory=list)
    port: int = 0
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def url(self) -> str:
        """The receiver's URL."""
        return f"http://127.0.0.1:{self.port}/hook"

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Read one request (headers, Content-Length body) and answer the next status."""
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")[1:]
        headers = {
            k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines if x)
        }
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        status = self.script.pop(0) if self.script else 200
        self.received.append((headers, body))
        if status < 300:
            self.accepted.append(body)
            self.arrived.set()
        writer.write(
            f"HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode()
        )
        await writer.drain()
        writer.close()


@asynccontextmanager
async def serving(script: list[int]) -> AsyncIterator[WebhookServer]:
    """A :class:`WebhookServer` listening on a free local port while the block runs."""
    state = WebhookServer(list(script))
    listening = await asyncio.start_server(state.handle, "127.0.0.1", 0)
    state.port = listening.sockets[0].getsockname()[1]
    async with listening:
        yield state
