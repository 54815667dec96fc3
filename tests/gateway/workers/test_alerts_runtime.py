"""A running node (workers started by the supervisor) posts an alert to a real local webhook."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from pathlib import Path

from connectors.webhook import SIGNATURE_HEADER, verify
from gateway.runtime import open_runtime
from gateway.settings import Settings
from tests.connectors.webhook_server import serving
from tests.gateway.store.conftest import accepted, plan

SECRET = "runtime-webhook-secret-0123456789"


async def test_a_running_node_posts_a_failed_copy_to_its_webhook(tmp_path: Path) -> None:
    """A failed copy reaches the webhook signed via worker, outbox, bus; a first 500 is retried."""
    async with serving([500]) as server:
        settings = Settings(
            data_dir=tmp_path / "data",
            webhook_url=server.url,
            webhook_secret=SECRET,
            alert_interval_seconds=0.05,
            calendar_refresh_seconds=0,
        )
        async with open_runtime(settings, workers=True) as runtime:
            # Accepted now: dated in March (the plan's default), an alert round between its
            # accept and its failure opens a stuck alert first (this test is about the failed one).
            fresh = plan()
            fresh = replace(
                fresh, document=replace(fresh.document, accepted_at=runtime.clock.now())
            )
            copy = (await accepted(runtime.store, fresh)).recipients[0].delivery_id
            await runtime.store.fail_delivery(
                copy, reason="gave up", code="ROUTE_DEAD_LETTER", actor="t", now=runtime.clock.now()
            )
            await asyncio.wait_for(server.arrived.wait(), 20)
    (body,) = server.accepted
    assert json.loads(body)["key"] == copy
    assert json.loads(body)["kind"] == "copy_failed"
    assert len(server.received) == 2
    headers, posted = server.received[-1]
    assert verify(SECRET.encode(), posted, headers[SIGNATURE_HEADER.lower()])
