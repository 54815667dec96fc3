"""Fixtures of the console's tests: a node with people of every role, signed-in HTTP clients.

The node runs on the parametrised ``backend`` of the exchange scenarios (``embedded``: SQLite and
the in-process bus; ``services``: PostgreSQL and RabbitMQ, a fresh schema and prefix per test).
"""

from __future__ import annotations

import asyncio
import re
import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn

from gateway.core.actors import Role
from gateway.core.model import DeliveryState
from gateway.workers.stats import StatsWorker
from tests.gateway.console.browser import BrowserThread
from tests.scenarios.exchange.conftest import Node, eventually, node_settings, start_node
from tests.scenarios.exchange.packages import document

#: (username, role, password) of the people on every console test node.
PEOPLE = (
    ("quantri", Role.ADMIN, "mat-khau-quan-tri-1"),
    ("vanhanh1", Role.OPERATOR, "mat-khau-van-hanh-1"),
    ("vanhanh2", Role.OPERATOR, "mat-khau-van-hanh-2"),
    ("kiemtoan", Role.AUDITOR, "mat-khau-kiem-toan-1"),
)
PASSWORDS = {name: password for name, _, password in PEOPLE}
BY_ROLE = {role: name for name, role, _ in reversed(PEOPLE)}

_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


H14, H41 = "000.00.00.H14", "000.00.00.H41"


def csrf_of(html: str) -> str:
    """The CSRF token a page's forms carry."""
    found = _CSRF.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


@dataclass
class Console:
    """A started node with its people."""

    node: Node

    def client(self) -> httpx.AsyncClient:
        """An HTTP client on the node (cookies kept, redirects not followed)."""
        return self.node.http()

    async def signed_in(self, username: str) -> tuple[httpx.AsyncClient, str]:
        """A client signed in as ``username`` and its session's CSRF token."""
        http = self.client()
        page = await http.get("/console/login")
        answer = await http.post(
            "/console/login",
            data={
                "csrf": csrf_of(page.text),
                "username": username,
                "password": PASSWORDS[username],
            },
        )
        assert answer.status_code == 303, answer.text
        home = await http.get("/console/")
        assert home.status_code == 200, home.text
        return http, csrf_of(home.text)


async def failed_copies(console: Console, count: int) -> list[str]:
    """``count`` copies H14 sent to H41 that H41 failed on until the node gave up."""
    sender, receiver = console.node.client(H14), console.node.client(H41)
    limit = console.node.settings.max_receiver_failures
    ids: list[str] = []
    for number in range(count):
        await sender.send_edoc(
            document(H14, (H41,), number=f"{100 + number}", subject=f"Công văn thử {number + 1}"),
            from_code=H14,
        )
        for _ in range(limit):
            items = await eventually(
                lambda: receiver.get_received_edoc_list("edoc"), lambda v: len(v) == 1
            )
            await receiver.update_status(items[0].doc_id, "fail")
        ids.append(items[0].doc_id)
    store = console.node.runtime.store
    for delivery_id in ids:
        await eventually(
            lambda d=delivery_id: store.get_delivery(d),  # type: ignore[misc]
            lambda copy: copy is not None and copy.state is DeliveryState.FAILED,
        )
    return ids


async def count_stats(console: Console) -> None:
    """Bring the statistics rollups up to date (as the node's worker does every few seconds)."""
    runtime = console.node.runtime
    await StatsWorker(
        runtime.store, runtime.clock, lambda: runtime.calendar.legal.calendar
    ).catch_up()


async def exchanged(console: Console, count: int) -> None:
    """``count`` documents H14 sent to H41 and H41 received, counted in the statistics."""
    sender, receiver = console.node.client(H14), console.node.client(H41)
    for number in range(count):
        await sender.send_edoc(
            document(H14, (H41,), number=f"{200 + number}", subject=f"Công văn {number + 1}"),
            from_code=H14,
        )
    items = await eventually(
        lambda: receiver.get_received_edoc_list("edoc"), lambda v: len(v) == count
    )
    for item in items:
        await receiver.update_status(item.doc_id, "done")
    await count_stats(console)


async def pull_list(console: Console) -> set[str]:
    """The copies waiting in H41's VXP pull list."""
    items = await console.node.client(H41).get_received_edoc_list("edoc")
    return {item.doc_id for item in items}


async def add_people(node: Node) -> None:
    """Create the test people (their passwords hashed by the people use case)."""
    for name, role, password in PEOPLE:
        await node.runtime.people.add(name, role, password=password)


@pytest.fixture(params=["embedded", "services"])
def backend(request: pytest.FixtureRequest) -> str:
    """Which store and bus the node runs on."""
    return str(request.param)


@pytest.fixture
async def console(backend: str, tmp_path: Path) -> AsyncIterator[Console]:
    """A started node on the parametrised backend, with :data:`PEOPLE`."""
    async for node in start_node(node_settings(backend, tmp_path)):
        await add_people(node)
        yield Console(node)


@pytest.fixture
async def embedded_console(tmp_path: Path) -> AsyncIterator[Console]:
    """A started node on the embedded backend only, with :data:`PEOPLE`."""
    async for node in start_node(node_settings("embedded", tmp_path)):
        await add_people(node)
        yield Console(node)


@pytest.fixture(scope="session")
def browser(chromium: Path) -> Iterator[BrowserThread]:
    """One headless Chromium shared by every browser test of the session."""
    thread = BrowserThread(chromium)
    thread.start()
    try:
        yield thread
    finally:
        thread.stop()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
async def served(console: Console) -> AsyncIterator[str]:
    """The started console node served by uvicorn on a free loopback port: its base URL."""
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            console.node.app, host="127.0.0.1", port=port, log_config=None, lifespan="off"
        )
    )
    task = asyncio.create_task(server.serve())
    for _ in range(200):
        if server.started:
            break
        await asyncio.sleep(0.05)
    assert server.started, "the node did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
