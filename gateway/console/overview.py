"""The overview page: copies by state, failed in the last 24 h, stuck copies, the oldest copy
waiting for its receiver, and the upstream link."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Response

from gateway.console.access import Visit, reader
from gateway.console.errors import ConsoleRoute
from gateway.console.pages import render
from gateway.console.readings import upstream_health
from gateway.core.actors import Capability
from gateway.core.clock import VN_TZ
from gateway.core.model import DeliveryState
from gateway.settings import redact_url

router = APIRouter(route_class=ConsoleRoute)

#: Most failed copies counted one by one on the page (more shows as "500+").
FAILED_COUNT_LIMIT = 500


@router.get("/")
async def overview(found: Annotated[Visit, Depends(reader(Capability.READ_STATS))]) -> Response:
    """The node at a glance."""
    runtime = found.runtime
    now = runtime.clock.now()
    stats = await runtime.store.stats()
    by_state = [(state, stats.get(f"deliveries_{state.value}", 0)) for state in DeliveryState]
    failed = await runtime.store.list_deliveries(
        state=DeliveryState.FAILED,
        system_id=None,
        limit=FAILED_COUNT_LIMIT + 1,
        since=now - timedelta(hours=24),
    )
    oldest = await runtime.store.oldest_available_at()
    settings = runtime.settings
    return render(
        found,
        "overview.html",
        by_state=by_state,
        failed_24h=len(failed),
        failed_more=len(failed) > FAILED_COUNT_LIMIT,
        stuck=None,
        oldest=oldest,
        oldest_age=(now - oldest) if oldest is not None else None,
        documents=stats.get("documents", 0),
        outbox=stats.get("outbox_pending", 0),
        upstream=redact_url(settings.upstream_url) if settings.upstream_url else None,
        link=upstream_health(),
        since_param=(now - timedelta(hours=24)).astimezone(VN_TZ).strftime("%Y-%m-%dT%H:%M"),
    )
