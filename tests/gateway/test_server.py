"""The serving socket of `python -m gateway serve` (gateway/server.py)."""

from __future__ import annotations

import asyncio
import socket

from gateway.server import listen_socket


async def test_accepted_connections_get_tcp_nodelay_on_asyncio() -> None:
    """A connection accepted on the asyncio loop has TCP_NODELAY (no ~40 ms keep-alive stall)."""
    sock = listen_socket("127.0.0.1", 0)
    loop = asyncio.get_running_loop()
    accepted: asyncio.Future[int] = loop.create_future()

    class Probe(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            raw = transport.get_extra_info("socket")
            accepted.set_result(raw.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))

    server = await loop.create_server(Probe, sock=sock)
    try:
        _, writer = await asyncio.open_connection(*sock.getsockname()[:2])
        assert await asyncio.wait_for(accepted, 5) != 0
        writer.close()
    finally:
        server.close()
        await server.wait_closed()


def test_several_processes_can_listen_on_one_port() -> None:
    """Two listening sockets bind the same port (SO_REUSEPORT): several serve processes share it."""
    first = listen_socket("127.0.0.1", 0)
    try:
        second = listen_socket("127.0.0.1", first.getsockname()[1])
        second.close()
    finally:
        first.close()
