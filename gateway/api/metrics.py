"""``GET /metrics``: the node's metrics in the Prometheus text format (0.0.4), by prometheus-client.

What the APIs, the middleware and the workers count lives in :mod:`gateway.telemetry` (the
``record_*`` functions are re-exported here for the API routes). Under ``serve --workers N`` a
scrape answers the sum over every worker process (prometheus-client's multiprocess mode). The
store's gauges are read from the database at each scrape (:meth:`gateway.store.reads.SqlReads.stats`
and the oldest copy waiting for its receiver), so they are the same from every process; when the
store does not answer, ``gateway_store_up`` is 0 and the counters are still served.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from fastapi import APIRouter, Request, Response
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric

from gateway import telemetry
from gateway.api.dependencies import current_runtime
from gateway.core.errors import StoreUnavailable
from gateway.core.model import DeliveryState
from gateway.logging import get_logger
from gateway.telemetry import (
    CONTENT_TYPE,
    MAX_LABEL_VALUES,
    record_accepted,
    record_confirmed,
    record_rejected,
)

__all__ = [
    "CONTENT_TYPE",
    "MAX_LABEL_VALUES",
    "record_accepted",
    "record_confirmed",
    "record_rejected",
    "router",
    "store_gauges",
]

log = get_logger(__name__)
router = APIRouter(tags=["probes"])

#: Longest wait for the store's statistics during a scrape (seconds).
STATS_TIMEOUT = 5.0


def store_gauges(stats: dict[str, int] | None, oldest_age: float | None = None) -> list[Metric]:
    """Gauges from the store's statistics; ``stats`` None means the store did not answer.

    ``oldest_age``: seconds since the oldest unconfirmed copy became available (0: none waits).
    """
    up = GaugeMetricFamily("gateway_store_up", "1 when the store answered this scrape, else 0.")
    up.add_metric([], 0 if stats is None else 1)
    if stats is None:
        return [up]
    deliveries = GaugeMetricFamily(
        "gateway_deliveries",
        "Recipient copies by state (" + ", ".join(s.value for s in DeliveryState) + ").",
        labels=("state",),
    )
    outbox = GaugeMetricFamily(
        "gateway_outbox_pending",
        "Outbox rows committed but not yet published to the bus (queue lag).",
    )
    documents = GaugeMetricFamily("gateway_documents", "Packages stored.")
    for key, value in sorted(stats.items()):
        if key.startswith("deliveries_"):
            deliveries.add_metric([key.removeprefix("deliveries_")], value)
        elif key == "outbox_pending":
            outbox.add_metric([], value)
        elif key == "documents":
            documents.add_metric([], value)
    families: list[Metric] = [up, deliveries, outbox, documents]
    if oldest_age is not None:
        oldest = GaugeMetricFamily(
            "gateway_oldest_unconfirmed_copy_age_seconds",
            "Seconds since the oldest copy still waiting for its receiving system (available, "
            "not confirmed) became available; 0 when none waits.",
        )
        oldest.add_metric([], max(oldest_age, 0.0))
        families.append(oldest)
    return families


async def _read_store(request: Request) -> tuple[dict[str, int] | None, float | None]:
    runtime = current_runtime(request)
    if runtime is None:
        return None, None
    try:
        async with asyncio.timeout(STATS_TIMEOUT):
            stats = await runtime.store.stats()
            oldest: datetime | None = await runtime.store.oldest_available_at()
    except (StoreUnavailable, TimeoutError) as exc:
        log.warning("metrics: store statistics unavailable", error=str(exc))
        return None, None
    age = 0.0 if oldest is None else (runtime.clock.now() - oldest).total_seconds()
    return stats, age


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE: {}}, "description": "Prometheus text format."}},
)
async def metrics(request: Request) -> Response:
    """Counters of every serving process and gauges read from the store, in the text format."""
    stats, age = await _read_store(request)
    body = telemetry.exposition(store_gauges(stats, age), directory=telemetry.multiproc_dir())
    return Response(body, media_type=CONTENT_TYPE)
