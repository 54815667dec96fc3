"""Probes: liveness always answers; readiness checks the registry, the database and the bus."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from fastapi import FastAPI

from gateway.api import health
from gateway.runtime import Runtime


async def test_healthz_answers_ok(client: httpx.AsyncClient) -> None:
    """GET /healthz is 200 {"status": "ok"}."""
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_reports_the_loaded_registry(client: httpx.AsyncClient) -> None:
    """GET /readyz is 200 ready once the registry is loaded, with a per-component report."""
    response = await client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    assert body["components"]["registry"]["status"] == "ok"
    assert "agencies" in body["components"]["registry"]["detail"]


async def test_readyz_is_503_before_start_up(app: FastAPI) -> None:
    """Without the lifespan (nothing loaded) /readyz is 503 not_ready; /healthz still answers."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://node.test") as client:
        ready = await client.get("/readyz")
        alive = await client.get("/healthz")
    assert ready.status_code == 503
    assert ready.json()["status"] == "not_ready"
    assert ready.json()["components"]["registry"]["status"] == "unavailable"
    assert alive.status_code == 200


async def test_routes_needing_the_runtime_answer_not_ready_before_start_up(app: FastAPI) -> None:
    """Before start-up, API routes answer 503 with code NOT_READY."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://node.test") as client:
        response = await client.get("/api/v1/node")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "NOT_READY"


async def test_readyz_checks_the_database_and_the_bus(client: httpx.AsyncClient) -> None:
    """GET /readyz reports the database and the bus as ok once they answer their pings."""
    body = (await client.get("/readyz")).json()
    assert set(body["components"]) == {"registry", "database", "bus"}
    assert body["components"]["database"] == {"status": "ok", "detail": "sqlite answered"}
    assert body["components"]["bus"] == {"status": "ok", "detail": "MemoryBus answered"}
    assert "error" not in body


def _runtime(app: FastAPI) -> Runtime:
    runtime = app.state.runtime
    assert isinstance(runtime, Runtime)
    return runtime


async def _false() -> bool:
    return False


async def test_readyz_names_a_database_that_does_not_answer(
    app: FastAPI, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When store.ping() is False, /readyz is 503 with code STORE_UNAVAILABLE on `database`."""
    monkeypatch.setattr(_runtime(app).store, "ping", _false)
    response = await client.get("/readyz", headers={"X-Request-ID": "ready-1"})
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not_ready"
    assert body["components"]["database"]["status"] == "unavailable"
    assert body["components"]["bus"]["status"] == "ok"
    error = body["error"]
    assert (error["code"], error["field"], error["request_id"]) == (
        "STORE_UNAVAILABLE",
        "database",
        "ready-1",
    )
    assert "database" in error["message"]


async def test_readyz_names_a_bus_that_does_not_answer(
    app: FastAPI, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When bus.ping() is False, /readyz is 503 with code BUS_UNAVAILABLE on `bus`."""
    monkeypatch.setattr(_runtime(app).bus, "ping", _false)
    response = await client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["components"]["bus"]["status"] == "unavailable"
    assert body["components"]["database"]["status"] == "ok"
    assert (body["error"]["code"], body["error"]["field"]) == ("BUS_UNAVAILABLE", "bus")


async def test_readyz_reports_a_ping_that_raises(
    app: FastAPI, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A ping that raises makes its component unavailable (naming the error class), not a 500."""

    async def broken() -> bool:
        raise ConnectionResetError("gone")

    monkeypatch.setattr(_runtime(app).store, "ping", broken)
    monkeypatch.setattr(_runtime(app).bus, "ping", broken)
    response = await client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["components"]["database"]["detail"] == "ping failed: ConnectionResetError"
    assert body["components"]["bus"]["status"] == "unavailable"
    assert body["error"]["code"] == "STORE_UNAVAILABLE"
    assert "bus" in body["error"]["message"]


async def test_readyz_does_not_wait_for_a_hanging_ping(
    app: FastAPI, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A ping that never answers is unavailable after the check timeout."""
    monkeypatch.setattr(health, "CHECK_TIMEOUT", 0.05)

    async def hang() -> bool:
        await asyncio.Event().wait()
        return True

    monkeypatch.setattr(_runtime(app).bus, "ping", hang)
    response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["components"]["bus"]["detail"] == "no answer within 0.05s"


async def test_readyz_before_start_up_is_coded_not_ready(app: FastAPI) -> None:
    """Before start-up every component is unavailable and the error code is NOT_READY."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://node.test") as client:
        body = (await client.get("/readyz")).json()
    assert {check["status"] for check in body["components"].values()} == {"unavailable"}
    assert (body["error"]["code"], body["error"]["field"]) == ("NOT_READY", "registry")
