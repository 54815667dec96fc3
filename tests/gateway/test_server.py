"""The serving socket of `python -m gateway serve` (gateway/server.py)."""

from __future__ import annotations

import asyncio
import os
import socket
from pathlib import Path

import pytest

from gateway.server import listen_socket, metrics_directory
from gateway.telemetry import MULTIPROC_ENV


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


def test_metrics_directory_starts_empty_and_is_inherited(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The workers' metrics directory loses a previous run's files and is named in the
    environment the workers inherit; without a path a new temporary directory is made."""
    monkeypatch.setenv(MULTIPROC_ENV, "")  # restored after the test: the function sets it
    given = tmp_path / "metrics"
    given.mkdir()
    (given / "counter_4242.db").write_bytes(b"stale")
    (given / "notes.txt").write_text("kept")
    assert metrics_directory(given) == given
    assert sorted(p.name for p in given.iterdir()) == ["notes.txt"]
    assert os.environ[MULTIPROC_ENV] == str(given)
    made = metrics_directory()
    assert made.is_dir()
    assert not any(made.iterdir())
    assert os.environ[MULTIPROC_ENV] == str(made)
    made.rmdir()
