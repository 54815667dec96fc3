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
from gateway.core.deliveries_admin import DeliveryFilter
from gateway.core.model import DeliveryState
from gateway.settings import redact_url

router = APIRouter(route_class=ConsoleRoute)


@router.get("/")
async def overview(found: Annotated[Visit, Depends(reader(Capability.READ_STATS))]) -> Response:
    """The node at a glance."""
    runtime = found.runtime
    now = runtime.clock.now()
    stats = await runtime.store.stats()
    by_state = [(state, stats.get(f"deliveries_{state.value}", 0)) for state in DeliveryState]
    admin = runtime.deliveries_admin
    day_ago = now - timedelta(hours=24)
    recent = await admin.list(found.actor, DeliveryFilter(since=day_ago), limit=1)
    stuck = await admin.stuck(found.actor, limit=1)
    oldest = await runtime.store.oldest_available_at()
    settings = runtime.settings
    return render(
        found,
        "overview.html",
        by_state=by_state,
        failed_24h=recent.counts.get(DeliveryState.FAILED.value, 0),
        stuck=sum(stuck.counts.values()),
        oldest=oldest,
        oldest_age=(now - oldest) if oldest is not None else None,
        documents=stats.get("documents", 0),
        outbox=stats.get("outbox_pending", 0),
        upstream=redact_url(settings.upstream_url) if settings.upstream_url else None,
        link=upstream_health(),
        since_param=day_ago.astimezone(VN_TZ).strftime("%Y-%m-%dT%H:%M"),
    )
