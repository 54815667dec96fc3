"""What the console reads of this process's metrics (:mod:`gateway.telemetry`): the upstream
link's health and per-system counters.

These are the counters of the process serving the page (since it started); the store's numbers
(copies by state, the oldest waiting copy) are read from the database and are the node's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from prometheus_client import Counter, Gauge

from gateway import telemetry


def _samples(metric: Counter | Gauge, suffix: str = "") -> list[tuple[dict[str, str], float]]:
    found: list[tuple[dict[str, str], float]] = []
    for family in metric.collect():
        for sample in family.samples:
            if sample.name.endswith(suffix):
                found.append((dict(sample.labels), float(sample.value)))
    return found


def counter_total(metric: Counter, **labels: str) -> int:
    """The sum of a counter's samples whose labels include ``labels``."""
    return int(
        sum(
            value
            for found, value in _samples(metric, "_total")
            if all(found.get(k) == v for k, v in labels.items())
        )
    )


@dataclass(frozen=True)
class LinkHealth:
    """The upstream link as this process last saw it."""

    up: bool | None  # None: no poll round yet in this process
    last_success: datetime | None


def upstream_health() -> LinkHealth:
    """The health of the link to the national node (the puller's last rounds)."""
    up: bool | None = None
    last: datetime | None = None
    for labels, value in _samples(telemetry.LINK_UP):
        if labels.get("link") == telemetry.UPSTREAM_LINK:
            up = value >= 1
    for labels, value in _samples(telemetry.LINK_LAST_SUCCESS):
        if labels.get("link") == telemetry.UPSTREAM_LINK and value > 0:
            last = datetime.fromtimestamp(value, UTC)
    return LinkHealth(up, last)
