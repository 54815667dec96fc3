"""A running node for the exchange tests, on the embedded default and on PostgreSQL + RabbitMQ.

The ``node`` fixture is parametrised: ``embedded`` (SQLite + in-process bus) always runs;
``services`` uses a fresh PostgreSQL schema and a fresh RabbitMQ prefix per test (skipped locally
when a service is down, a failure under CI=true). Clients are the project's SDK-faithful
:class:`connectors.vxp.client.VxpClient` over an in-process transport.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from fastapi import FastAPI

from connectors.vxp.client import VxpClient
from connectors.vxp.retry import RetryPolicy as ClientRetry
from gateway.app import create_app
from gateway.core.clock import SystemClock
from gateway.core.secrets import SecretBox
from gateway.core.systems import SystemAdmin
from gateway.runtime import Runtime
from gateway.settings import Settings
from tests.conftest import TEST_AMQP_URL, TEST_DATABASE_URL, require_service, seeded

T = TypeVar("T")

#: (system id, secret, grants, admin) registered on every test node.
SYSTEMS = (
    ("000.00.00.H14", "test-secret", ("H14",), True),
    ("000.00.00.H41", "test-secret-b", ("H41",), False),
    ("sdk-test", "sdk-test-secret", ("002.00.20.H13", "000.00.15.H51"), False),
)
SECRETS = {system_id: secret for system_id, secret, _, _ in SYSTEMS}


@dataclass
class Node:
    """A started node and helpers to talk to it."""

    app: FastAPI
    settings: Settings
    clients: list[VxpClient] = field(default_factory=list)
    https: list[httpx.AsyncClient] = field(default_factory=list)

    @property
    def runtime(self) -> Runtime:
        runtime = self.app.state.runtime
        assert isinstance(runtime, Runtime)
        return runtime

    def client(self, system_id: str, secret: str | None = None, **options: Any) -> VxpClient:
        """An SDK-like client of ``system_id`` (its registered secret unless given)."""
        http = httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), timeout=30)
        self.https.append(http)
        options.setdefault("retry", ClientRetry(attempts=1))
        client = VxpClient(
            "http://node.test/vxp", system_id, secret or SECRETS[system_id], http=http, **options
        )
        self.clients.append(client)
        return client

    def http(self) -> httpx.AsyncClient:
        """A raw HTTP client on the app."""
        http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url="http://node.test"
        )
        self.https.append(http)
        return http


async def eventually(
    probe: Callable[[], Awaitable[T]], check: Callable[[T], bool], within: float = 15.0
) -> T:
    """Poll ``probe`` until ``check`` holds (the router works asynchronously)."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        value = await probe()
        if check(value):
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not reached within {within}s; last value {value!r}")
        await asyncio.sleep(0.02)


def node_settings(backend: str, tmp_path: Path, **overrides: Any) -> Settings:
    """Settings of a test node on ``backend``."""
    values: dict[str, Any] = {
        "data_dir": tmp_path / "var",
        "secret_key": "k" * 40,
        "bus_retry_delays": "0.05,0.1",
        "receiver_retry_seconds": 0.05,
        "max_receiver_failures": 3,
    }
    if backend == "services":
        suffix = uuid.uuid4().hex[:10]
        values.update(
            database_url=require_service("PostgreSQL", TEST_DATABASE_URL, 5432),
            database_schema=f"t_{suffix}",
            amqp_url=require_service("RabbitMQ", TEST_AMQP_URL, 5672),
            amqp_prefix=f"t{suffix}",
            auto_migrate=True,
            run_workers=True,
        )
    values.update(overrides)
    return seeded(Settings(**values))


async def drop_services(settings: Settings) -> None:
    """Remove the schema and the queues a services-backed test node created."""
    if settings.database_schema:
        from sqlalchemy import text

        from gateway.store.database import create_engine

        engine = create_engine(settings.database_url)
        try:
            async with engine.begin() as connection:
                await connection.execute(
                    text(f'DROP SCHEMA IF EXISTS "{settings.database_schema}" CASCADE')
                )
        finally:
            await engine.dispose()
    if settings.amqp_url:
        import aio_pika

        from connectors.bus.topology import topology
        from gateway.runtime import TOPICS

        described = topology(settings.amqp_prefix, TOPICS, _retry(settings))
        connection = await aio_pika.connect(settings.amqp_url)
        async with connection:
            channel = await connection.channel()
            for queue in described.get("queues", []):
                await channel.queue_delete(queue["name"])
            for exchange in described.get("exchanges", []):
                await channel.exchange_delete(exchange["name"])


def _retry(settings: Settings) -> Any:
    from connectors.bus import RetryPolicy

    return RetryPolicy(delays=settings.retry_delays)


@pytest.fixture(params=["embedded", "services"])
def backend(request: pytest.FixtureRequest) -> str:
    """Which store and bus the node runs on."""
    return str(request.param)


async def start_node(
    settings: Settings, *, register: bool = True, cleanup: bool = True
) -> AsyncIterator[Node]:
    """Start a node on ``settings`` (registering the test systems); stop and clean up after."""
    app = create_app(settings)
    node = Node(app, settings)
    try:
        async with app.router.lifespan_context(app):
            runtime = node.runtime
            admin = SystemAdmin(
                runtime.store,
                SecretBox(settings.secret_key.get_secret_value()),
                runtime.registry,
                SystemClock(),
            )
            for system_id, secret, grants, is_admin in SYSTEMS if register else ():
                await admin.add(system_id, grants, secret=secret, admin=is_admin)
            yield node
            for client in node.clients:
                await client.aclose()
            for http in node.https:
                await http.aclose()
    finally:
        if cleanup:
            await drop_services(settings)


@pytest.fixture
async def node(backend: str, tmp_path: Path) -> AsyncIterator[Node]:
    """A started node on the parametrised backend."""
    async for started in start_node(node_settings(backend, tmp_path)):
        yield started
