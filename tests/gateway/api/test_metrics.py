"""GET /metrics: in-process counters and store gauges in the Prometheus text format."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from gateway.api import metrics
from gateway.core.errors import StoreUnavailable
from tests.gateway.api.native_support import RECEIVER, SENDER, NativeNode, edoc, open_node

# One sample line: name, optional {label="value",...}, a number (text format 0.0.4).
SAMPLE = re.compile(
    r"^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)"
    r'(?:\{(?P<labels>[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"'
    r'(?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*")*)\})?'
    r" (?P<value>[-+]?(?:\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|NaN|[-+]?Inf))$"
)
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


@pytest.fixture(autouse=True)
def fresh_counters() -> Iterator[None]:
    """Start every test from zeroed counters (they are per process)."""
    metrics.COUNTERS.reset()
    yield
    metrics.COUNTERS.reset()


@pytest.fixture
async def node(tmp_path: Path) -> AsyncIterator[NativeNode]:
    """A started node with three connected systems."""
    async with open_node(tmp_path) as started:
        yield started


def parse(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """The samples of an exposition, checking every line and the HELP/TYPE of each family."""
    samples: dict[tuple[str, frozenset[tuple[str, str]]], float] = {}
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
            assert kind in {"counter", "gauge"}, line
            assert name not in typed, line
            assert name in helped, f"TYPE before HELP: {line}"
            typed[name] = kind
        else:
            match = SAMPLE.match(line)
            assert match is not None, f"not a sample line: {line!r}"
            name = match["name"]
            assert name in typed, f"sample before its TYPE: {line}"
            if typed[name] == "counter":
                assert name.endswith("_total")
            labels = frozenset(LABEL.findall(match["labels"] or ""))
            key = (name, labels)
            assert key not in samples, f"duplicate sample: {line}"
            samples[key] = float(match["value"])
    return samples


def value(
    samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
) -> float:
    """One sample's value (0 when absent)."""
    return samples.get((name, frozenset(labels.items())), 0.0)


async def test_metrics_text_parses(client: httpx.AsyncClient) -> None:
    """/metrics answers the 0.0.4 text format: HELP, TYPE, then `name{labels} value` lines."""
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    samples = parse(response.text)
    assert value(samples, "gateway_store_up") == 1
    assert value(samples, "gateway_packages_accepted_total", kind="edoc", api="vxp") == 0
    assert {labels for name, labels in samples if name == "gateway_deliveries"} == {
        frozenset({("state", state)})
        for state in ("queued", "available", "received", "failed", "removed", "forwarded")
    }


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
    samples = parse(metrics.render(metrics.COUNTERS.families()))
    assert value(samples, "gateway_packages_accepted_total", kind="status", api="vxp") == 1
    assert value(samples, "gateway_packages_repeated_total", kind="status", api="vxp") == 1
    assert value(samples, "gateway_packages_rejected_total", code="AUTH_SIGNATURE", api="vxp") == 1
    assert value(samples, "gateway_confirmations_total", status="fail", api="vxp") == 1


def test_label_values_and_help_are_escaped() -> None:
    """Backslashes, quotes and newlines in label values and help text are escaped."""
    family = metrics.Family("x_total", "a\\b\nc", "counter", ("code",))
    family.inc('q"u\\o\nte')
    text = metrics.render([family])
    assert text == (
        '# HELP x_total a\\\\b\\nc\n# TYPE x_total counter\nx_total{code="q\\"u\\\\o\\nte"} 1\n'
    )
    assert parse(text) == {("x_total", frozenset({("code", 'q\\"u\\\\o\\nte')})): 1.0}


def test_label_cardinality_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """Past MAX_LABEL_VALUES distinct values, new ones are counted under `other`."""
    monkeypatch.setattr(metrics, "MAX_LABEL_VALUES", 2)
    family = metrics.Family("y_total", "help", "counter", ("code",))
    for code in ("A", "B", "C", "D", "A"):
        family.inc(code)
    assert family.values == {("A",): 2, ("B",): 1, ("other",): 2}
