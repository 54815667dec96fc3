"""Coded error bodies: unknown routes, wrong methods, validation, unexpected exceptions."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from schemas.errors import ErrorBody


@pytest.fixture
async def failing_client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app with one extra route that fails with an unexpected exception."""

    async def explode() -> None:
        raise RuntimeError("database password is hunter2")

    app.add_api_route("/boom", explode)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://node.test") as client:
            yield client


async def test_unknown_route_is_a_coded_404(client: httpx.AsyncClient) -> None:
    """A path no route serves answers 404 NOT_FOUND in the error body."""
    response = await client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    body = ErrorBody.model_validate(response.json())
    assert body.error.code == "NOT_FOUND"
    assert "/api/v1/nothing-here" in body.error.message


async def test_wrong_method_is_a_coded_405(client: httpx.AsyncClient) -> None:
    """A known path with the wrong method answers 405 METHOD_NOT_ALLOWED and keeps Allow."""
    response = await client.post("/healthz")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "METHOD_NOT_ALLOWED"
    assert "GET" in response.headers["Allow"]


async def test_unexpected_exception_is_a_bare_500(
    failing_client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    """An unexpected exception answers 500 INTERNAL with no internals, and is logged with the id."""
    response = await failing_client.get("/boom", headers={"X-Request-ID": "trace-500"})
    assert response.status_code == 500
    assert response.headers["X-Request-ID"] == "trace-500"
    error = response.json()["error"]
    assert (error["code"], error["request_id"], error["field"]) == ("INTERNAL", "trace-500", None)
    assert "hunter2" not in response.text
    assert "RuntimeError" not in response.text
    logged = [record for record in caplog.records if record.levelno == logging.ERROR]
    events = [record.msg for record in logged if isinstance(record.msg, dict)]
    assert [event["request_id"] for event in events] == ["trace-500"]
    assert logged[0].exc_info is not None
    assert logged[0].exc_info[0] is RuntimeError


async def test_every_error_body_has_the_same_shape(client: httpx.AsyncClient) -> None:
    """404, 405, 422 and AGENCY_UNKNOWN bodies all parse as ErrorBody with a request id."""
    responses = [
        await client.get("/nope"),
        await client.delete("/api/v1/node"),
        await client.get("/api/v1/agencies", params={"limit": "many"}),
        await client.get("/api/v1/agencies/H99.99"),
    ]
    for response in responses:
        body = ErrorBody.model_validate(response.json())
        assert set(response.json()["error"]) == {"code", "message", "field", "request_id"}
        assert body.error.request_id == response.headers["X-Request-ID"]
