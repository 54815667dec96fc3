"""The puller's rounds set the upstream link's health in the metrics (up, last success)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, cast

from prometheus_client import REGISTRY

from connectors.vxp.client import VxpClient
from connectors.vxp.errors import VxpTransportError
from gateway import telemetry
from gateway.core.clock import FrozenClock
from gateway.core.exchange import Exchange
from gateway.core.ports import Store
from gateway.workers.puller import Puller

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


class _Client:
    """A national node that lists nothing, or cannot be reached."""

    def __init__(self) -> None:
        self.down = False

    async def get_received_edoc_list(self, kind: str) -> list[Any]:
        """Nothing pending; raises while ``down``."""
        if self.down:
            raise VxpTransportError("connection refused", action="getReceivedEdocList")
        return []


class _Store:
    """No copy forwarded upstream waits for its fate."""

    async def forwarded_copies(self, limit: int, *, after: datetime | None = None) -> list[Any]:
        """No forwarded copies."""
        return []


def _sample(name: str) -> float | None:
    return REGISTRY.get_sample_value(name, {"link": "upstream"})


async def test_a_failed_round_sets_the_link_down_and_keeps_the_last_success() -> None:
    """A round that works sets up 1 and the success time; a failed one sets up 0 only."""
    telemetry.reset()
    client = _Client()
    clock = FrozenClock(NOW)
    puller = Puller(
        cast(Exchange, None),
        cast(Store, _Store()),
        cast(VxpClient, client),
        clock,
        interval=60,
    )
    assert await puller.poll() is True
    assert _sample("gateway_link_up") == 1
    assert _sample("gateway_link_last_success_timestamp_seconds") == NOW.timestamp()
    client.down = True
    clock.advance(timedelta(minutes=1))
    assert await puller.poll() is False
    assert _sample("gateway_link_up") == 0
    assert _sample("gateway_link_last_success_timestamp_seconds") == NOW.timestamp()
    pulled = {"link": "upstream", "kind": "edoc"}
    assert REGISTRY.get_sample_value("gateway_link_items_pulled_total", pulled) == 0
    telemetry.reset()
