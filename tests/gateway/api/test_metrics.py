"""GET /metrics: prometheus-client's exposition of the counters, histograms and store gauges."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client import multiprocess

from gateway import telemetry
from gateway.api import metrics
from gateway.core.clock import FrozenClock
from gateway.core.errors import StoreUnavailable
from tests.conftest import ROOT
from tests.gateway.api.native_support import RECEIVER, SENDER, NativeNode, edoc, open_node

# One sample line: name, optional {label="value",...}, a number (text format 0.0.4).
SAMPLE = re.compile(
    r"^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)"
    r'(?:\{(?P<labels>[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"'
    r'(?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*")*)\})?'
    r" (?P<value>[-+]?(?:\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|NaN|[-+]?Inf))$"
)
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')
#: The samples a histogram family writes besides its name.
HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")


@pytest.fixture(autouse=True)
def fresh_counters() -> Iterator[None]:
    """Start every test from zeroed counters (they are per process)."""
    telemetry.reset()
    yield
    telemetry.reset()


@pytest.fixture
async def node(tmp_path: Path) -> AsyncIterator[NativeNode]:
    """A started node with three connected systems."""
    async with open_node(tmp_path) as started:
        yield started


Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def _family(name: str, typed: dict[str, str]) -> str | None:
    """The family a sample belongs to: its own name, or a histogram's name before the suffix."""
    if name in typed:
        return name
    for suffix in HISTOGRAM_SUFFIXES:
        base = name.removesuffix(suffix)
        if base != name and typed.get(base) == "histogram":
            return base
    return None


def parse(text: str) -> Samples:
    """The samples of an exposition, checking every line and the HELP/TYPE of each family."""
    samples: Samples = {}
    typed: dict[str, str] = {}
    helped: set[str] = set()
    assert text.endswith("\n")
    for line in text.splitlines():
        if line.startswith("# HELP "):
            name, _, help_text = line[7:].partition(" ")
            assert help_text, line
            assert name not in helped, line
            helped.add(name)
        elif line.startswith("# TYPE "):
            name, _, kind = line[7:].partition(" ")
            assert kind in {"counter", "gauge", "histogram"}, line
            assert name not in typed, line
            assert name in helped, f"TYPE before HELP: {line}"
            typed[name] = kind
        else:
            match = SAMPLE.match(line)
            assert match is not None, f"not a sample line: {line!r}"
            name = match["name"]
            family = _family(name, typed)
            assert family is not None, f"sample before its TYPE: {line}"
            if typed[family] == "counter":
                assert name.endswith("_total"), line
            labels = frozenset(LABEL.findall(match["labels"] or ""))
            key = (name, labels)
            assert key not in samples, f"duplicate sample: {line}"
            samples[key] = float(match["value"])
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    """One sample's value (0 when absent)."""
    return samples.get((name, frozenset(labels.items())), 0.0)


def families(samples: Samples, name: str) -> set[frozenset[tuple[str, str]]]:
    """The label sets of the samples called ``name``."""
    return {labels for sample, labels in samples if sample == name}


async def test_metrics_text_parses(client: httpx.AsyncClient) -> None:
    """/metrics answers the 0.0.4 text format: HELP, TYPE, then `name{labels} value` lines."""
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    assert "_created" not in response.text  # disabled: they double every counter's series
    samples = parse(response.text)
    assert value(samples, "gateway_store_up") == 1
    assert value(samples, "gateway_packages_accepted_total", kind="edoc", api="vxp") == 0
    assert families(samples, "gateway_deliveries") == {
        frozenset({("state", state)})
        for state in ("queued", "available", "received", "failed", "removed", "forwarded")
    }
    assert value(samples, "gateway_oldest_unconfirmed_copy_age_seconds") == 0


async def test_native_sends_and_confirms_are_counted(node: NativeNode) -> None:
    """Accepted, repeated, rejected and confirmed native calls show in the counters."""
    _, delivery_id = await node.send_routed()
    await node.send(SENDER, edoc())  # a repeat
    await node.send(SENDER, edoc("other"), params={"to": "000.00.00.X99"})
    await node.client.post("/api/v1/documents", content=edoc())  # no token
    await node.confirm(RECEIVER, delivery_id, "done")
    await node.confirm(RECEIVER, delivery_id, "done")  # a repeat: not counted
    samples = parse((await node.client.get("/metrics")).text)
    native = {"api": "native"}
    assert value(samples, "gateway_packages_accepted_total", kind="edoc", **native) == 1
    assert value(samples, "gateway_packages_repeated_total", kind="edoc", **native) == 1
    assert (
        value(samples, "gateway_packages_rejected_total", code="RECIPIENT_UNKNOWN", **native) == 1
    )
    assert (
        value(samples, "gateway_packages_rejected_total", code="AUTH_TOKEN_MISSING", **native) == 1
    )
    assert value(samples, "gateway_confirmations_total", status="done", **native) == 1
    assert value(samples, "gateway_confirmations_total", status="fail", **native) == 0


async def test_per_system_counters_name_the_authenticated_sender(node: NativeNode) -> None:
    """Accepts (repeats included) and refusals count per sending system; an unauthenticated
    refusal names no system."""
    await node.send(SENDER, edoc())
    await node.send(SENDER, edoc())  # a repeat
    await node.send(SENDER, edoc("other"), params={"to": "000.00.00.X99"})
    await node.client.post("/api/v1/documents", content=edoc())  # no token
    samples = parse((await node.client.get("/metrics")).text)
    accepted = "gateway_system_packages_accepted_total"
    assert value(samples, accepted, system=SENDER, kind="edoc") == 2
    rejected = "gateway_system_packages_rejected_total"
    assert families(samples, rejected) == {
        frozenset({("system", SENDER), ("code", "RECIPIENT_UNKNOWN")})
    }


async def test_request_latency_is_observed_per_route_template(node: NativeNode) -> None:
    """Each request is timed under its route template and method, not its raw path; a path no
    route serves is `unmatched`."""
    _, delivery_id = await node.send_routed()
    await node.confirm(RECEIVER, delivery_id, "done")
    await node.client.get(f"/no-such-page/{delivery_id}")
    samples = parse((await node.client.get("/metrics")).text)
    count = "gateway_http_request_duration_seconds_count"
    confirm = {"method": "POST", "route": "/api/v1/inbox/{delivery_id}/confirm"}
    assert value(samples, count, **confirm) == 1
    assert value(samples, count, method="POST", route="/api/v1/documents") == 1
    assert value(samples, count, method="GET", route="unmatched") == 1
    buckets = [
        labels
        for name, labels in samples
        if name == "gateway_http_request_duration_seconds_bucket" and ("le", "+Inf") in labels
    ]
    assert frozenset({*confirm.items(), ("le", "+Inf")}) in buckets
    assert not any(delivery_id in dict(labels).get("route", "") for _, labels in samples)
    requests = "gateway_http_requests_total"
    assert value(samples, requests, status="404", method="GET", route="unmatched") == 1


async def test_vxp_calls_are_timed_per_action(client: httpx.AsyncClient) -> None:
    """The one VXP route is labelled by the action called; an unknown action keeps the route's
    template (no label per made-up name)."""
    await client.post("/vxp/getReceivedEdocList")  # refused (no credentials): still timed
    await client.post("/vxp/anything/madeUpAction")
    samples = parse((await client.get("/metrics")).text)
    count = "gateway_http_request_duration_seconds_count"
    assert value(samples, count, method="POST", route="/vxp/getReceivedEdocList") == 1
    assert value(samples, count, method="POST", route="/vxp/{path:path}") == 1
    assert not any("madeUpAction" in dict(labels).get("route", "") for _, labels in samples)


async def test_gauges_are_read_from_the_store(node: NativeNode) -> None:
    """Deliveries by state and the outbox lag come from store.stats() at scrape time."""
    await node.send(SENDER, edoc())
    before = parse((await node.client.get("/metrics")).text)
    assert value(before, "gateway_outbox_pending") == 1  # the notify event
    assert value(before, "gateway_deliveries", state="queued") == 0
    assert value(before, "gateway_deliveries", state="available") == 1  # at commit
    assert value(before, "gateway_deliveries", state="forwarded") == 0
    assert value(before, "gateway_documents") == 1
    await node.route()
    after = parse((await node.client.get("/metrics")).text)
    assert value(after, "gateway_outbox_pending") == 0


async def test_oldest_unconfirmed_copy_age_follows_the_clock(
    node: NativeNode, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The age is the time since the oldest available copy became available; 0 once confirmed."""
    _, delivery_id = await node.send_routed()
    later = FrozenClock(node.runtime.clock.now() + timedelta(minutes=5))
    monkeypatch.setattr(node.runtime.clock, "now", later.now)
    age = "gateway_oldest_unconfirmed_copy_age_seconds"
    waiting = value(parse((await node.client.get("/metrics")).text), age)
    assert 300 <= waiting < 360
    await node.confirm(RECEIVER, delivery_id, "done")
    assert value(parse((await node.client.get("/metrics")).text), age) == 0


async def test_store_failure_keeps_the_counters(
    app: FastAPI, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When store.stats() fails, /metrics still answers: store_up 0, counters, no store gauges."""

    async def failing() -> dict[str, int]:
        raise StoreUnavailable("database error: OperationalError")

    monkeypatch.setattr(app.state.runtime.store, "stats", failing)
    metrics.record_accepted("vxp", "edoc", created=True)
    response = await client.get("/metrics")
    assert response.status_code == 200
    samples = parse(response.text)
    assert value(samples, "gateway_store_up") == 0
    assert value(samples, "gateway_packages_accepted_total", kind="edoc", api="vxp") == 1
    assert not any(name == "gateway_deliveries" for name, _ in samples)
    assert not any(name == "gateway_oldest_unconfirmed_copy_age_seconds" for name, _ in samples)


async def test_metrics_answer_before_start_up(app: FastAPI) -> None:
    """Before the lifespan runs, /metrics answers the counters with store_up 0."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://node.test") as client:
        response = await client.get("/metrics")
    assert response.status_code == 200
    assert value(parse(response.text), "gateway_store_up") == 0


def test_recording_functions_for_the_vxp_api() -> None:
    """record_* count per API label; a repeated confirmation is not counted."""
    metrics.record_accepted("vxp", "status", created=True)
    metrics.record_accepted("vxp", "status", created=False)
    metrics.record_rejected("vxp", "AUTH_SIGNATURE")
    metrics.record_confirmed("vxp", "fail")
    metrics.record_confirmed("vxp", "fail", changed=False)
    samples = parse(telemetry.exposition().decode())
    assert value(samples, "gateway_packages_accepted_total", kind="status", api="vxp") == 1
    assert value(samples, "gateway_packages_repeated_total", kind="status", api="vxp") == 1
    assert value(samples, "gateway_packages_rejected_total", code="AUTH_SIGNATURE", api="vxp") == 1
    assert value(samples, "gateway_confirmations_total", status="fail", api="vxp") == 1


def test_label_values_are_escaped() -> None:
    """Backslashes, quotes and newlines in a label value are escaped in the exposition."""
    metrics.record_rejected("vxp", 'q"u\\o\nte')
    text = telemetry.exposition().decode()
    samples = parse(text)  # every line is still one valid sample line
    escaped = 'q\\"u\\\\o\\nte'
    assert value(samples, "gateway_packages_rejected_total", code=escaped, api="vxp") == 1


def test_label_cardinality_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """Past MAX_LABEL_VALUES distinct values, new ones are counted under `other`."""
    monkeypatch.setattr(telemetry, "MAX_LABEL_VALUES", 2)
    for code in ("A", "B", "C", "D", "A"):
        metrics.record_rejected("vxp", code, system="sys-a")
    samples = parse(telemetry.exposition().decode())
    assert families(samples, "gateway_packages_rejected_total") == {
        frozenset({("api", "vxp"), ("code", code)}) for code in ("A", "B", "other")
    }
    assert value(samples, "gateway_packages_rejected_total", api="vxp", code="A") == 2
    assert value(samples, "gateway_packages_rejected_total", api="vxp", code="other") == 2
    assert value(samples, "gateway_system_packages_rejected_total", system="sys-a", code="A") == 2


# A worker process of `serve --workers N`: it records, then exits (its files stay behind).
CHILD = """
import sys
from datetime import UTC, datetime
from gateway import telemetry
telemetry.record_accepted("vxp", "edoc", created=True, system="sys-a")
telemetry.record_request("POST", "/vxp/{path:path}", 200, 0.02)
ok = sys.argv[1] == "ok"
telemetry.record_link_round("upstream", ok=ok, at=datetime.fromtimestamp(int(sys.argv[2]), UTC))
"""


def _worker(directory: Path, outcome: str, at: int) -> None:
    """Run one simulated worker process in multiprocess mode until it exits."""
    env = {telemetry.MULTIPROC_ENV: str(directory), "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, outcome, str(at)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr


async def test_multiprocess_scrape_adds_up_the_workers(
    tmp_path: Path, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With PROMETHEUS_MULTIPROC_DIR set, /metrics sums every worker's counters and histograms;
    the link is up as its latest round says, until that worker is marked dead."""
    directory = tmp_path / "metrics"
    directory.mkdir()
    _worker(directory, "ok", 1_700_000_000)
    first = {p.name for p in directory.glob("gauge_livemostrecent_*")}
    _worker(directory, "down", 1_700_000_060)
    second = next(p for p in directory.glob("gauge_livemostrecent_*") if p.name not in first)
    with monkeypatch.context() as env:  # undone before the counters are reset
        env.setenv(telemetry.MULTIPROC_ENV, str(directory))
        samples = parse((await client.get("/metrics")).text)
        assert value(samples, "gateway_packages_accepted_total", kind="edoc", api="vxp") == 2
        assert (
            value(samples, "gateway_system_packages_accepted_total", system="sys-a", kind="edoc")
            == 2
        )
        route = {"method": "POST", "route": "/vxp/{path:path}"}
        assert value(samples, "gateway_http_request_duration_seconds_count", **route) == 2
        assert value(samples, "gateway_link_up", link="upstream") == 0  # the later round failed
        success = "gateway_link_last_success_timestamp_seconds"
        assert value(samples, success, link="upstream") == 1_700_000_000
        assert value(samples, "gateway_store_up") == 1  # store gauges: read at scrape, once
        multiprocess.mark_process_dead(int(second.stem.rsplit("_", 1)[1]), str(directory))
        samples = parse((await client.get("/metrics")).text)
        assert value(samples, "gateway_link_up", link="upstream") == 1
