"""The mapping of the exchange's coded errors to HTTP statuses and bodies (gateway.api.errors)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from gateway.api.errors import exchange_status
from gateway.core.errors import (
    AuthError,
    BadRequest,
    ExchangeError,
    NotAllowed,
    NotFound,
    PackageRefused,
    RecipientRefused,
    StoreUnavailable,
)
from gateway.core.model import MessageType, System
from tests.gateway.api.native_support import RECEIVER, NativeNode, open_node


@pytest.fixture
async def node(tmp_path: Path) -> AsyncIterator[NativeNode]:
    """A started node with three connected systems."""
    async with open_node(tmp_path) as started:
        yield started


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (AuthError("x"), 401),
        (NotAllowed("x", code="SENDER_NOT_GRANTED"), 403),
        (NotFound("x"), 404),
        (NotFound("x", code="STATUS_UNKNOWN_DOCUMENT"), 404),
        (BadRequest("x"), 422),
        (PackageRefused("x", code="EDXML_SCHEMA"), 422),
        (PackageRefused("x", code="EDXML_TOO_LARGE"), 413),
        (ExchangeError("x", code="EDXML_TOO_LARGE"), 413),
        (ExchangeError("x", code="PACKAGE_EMPTY"), 422),
        (RecipientRefused("x", code="RECIPIENT_CLOSED", codes=["H14.94"]), 422),
        (StoreUnavailable("x"), 503),
    ],
)
def test_each_exchange_error_has_its_status(error: ExchangeError, status: int) -> None:
    """Classes map to 401/403/404/422/503; EDXML_TOO_LARGE is 413 whatever its class."""
    assert exchange_status(error) == status


async def test_store_failure_is_a_coded_503(
    node: NativeNode, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database failure during a call answers 503 STORE_UNAVAILABLE, not a 500."""

    async def failing(caller: System, kind: MessageType) -> list[object]:
        raise StoreUnavailable("database error: OperationalError")

    monkeypatch.setattr(node.runtime.exchange, "pull_list", failing)
    response = await node.get(RECEIVER, "/api/v1/inbox")
    assert response.status_code == 503
    error = response.json()["error"]
    assert error["code"] == "STORE_UNAVAILABLE"
    assert "WWW-Authenticate" not in response.headers
