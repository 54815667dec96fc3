"""Probes: liveness always answers; readiness reports each component."""

from __future__ import annotations

import httpx
from fastapi import FastAPI


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
