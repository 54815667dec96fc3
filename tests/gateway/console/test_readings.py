"""What the console reads of the process's metrics: the upstream link's health, system counters."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from gateway import telemetry
from gateway.console.readings import counter_total, upstream_health


@pytest.fixture(autouse=True)
def clean_metrics() -> Iterator[None]:
    """Each test starts from, and leaves, a process with no metric values."""
    telemetry.reset()
    yield
    telemetry.reset()


def test_upstream_health_follows_the_pullers_rounds() -> None:
    """A successful round reads as up with its time; a failed one as down, keeping that time."""
    at = datetime(2026, 9, 1, 1, 0, tzinfo=UTC)
    telemetry.record_link_round(telemetry.UPSTREAM_LINK, ok=True, at=at)
    health = upstream_health()
    assert health.up is True
    assert health.last_success == at
    telemetry.record_link_round(telemetry.UPSTREAM_LINK, ok=False, at=datetime.now(UTC))
    down = upstream_health()
    assert down.up is False
    assert down.last_success == at


def test_counter_total_sums_the_matching_samples() -> None:
    """The packages a system sent are summed over kinds."""
    telemetry.SYSTEM_ACCEPTED.labels("sys-readings", "edoc").inc(2)
    telemetry.SYSTEM_ACCEPTED.labels("sys-readings", "status").inc()
    assert counter_total(telemetry.SYSTEM_ACCEPTED, system="sys-readings") == 3
