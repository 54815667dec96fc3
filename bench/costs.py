"""Cost per call, one call at a time: the node's calls and the floor's, in CPU of every group.

Each kind of call is sent ``n`` times in a row by the lean load generator (no contention); the
CPU of the server (node or floor), PostgreSQL and RabbitMQ is read from /proc before the first
call and after the work the calls caused is over: the store shows every copy available and the
server's process has gone quiet (:data:`QUIET_WINDOWS` 100 ms windows in a row with under 1 ms
of its CPU: longer than the node's 0.25 s lingers, the relay's deferred publishes and marks), so
background work a send causes (outbox relay, broker consumers) is counted with it. The load
generator's own CPU is the benchmark process's ``process_time`` over the calls.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import cpu
from loadgen import Fleet, LeanClient, package_of
from workload import Party, edxml_id, make_docs

SERVER_GROUPS = ("server", "postgres", "rabbitmq")
#: Batches of one measurement (the median batch is reported).
BATCHES = 5
#: Quiet = this many calm 100 ms windows in a row: 0.4 s, more than the node's longest linger
#: (the relay publishes ``notify`` events and marks rows within 0.25 s) plus one window.
QUIET_WINDOWS = 4


@dataclass
class CallCost:
    """One kind of call sent one at a time: CPU ms per call by group, latency p50."""

    label: str
    calls: int
    server_ms: float
    postgres_ms: float
    rabbitmq_ms: float
    loadgen_ms: float
    p50_ms: float

    @property
    def total_ms(self) -> float:
        """Server + PostgreSQL + RabbitMQ CPU per call: what the targets compare."""
        return self.server_ms + self.postgres_ms + self.rabbitmq_ms


def mean_costs(rounds: Sequence[dict[str, CallCost]]) -> dict[str, CallCost]:
    """Each kind's cost as the mean of its rounds (the calls counted together). Measured
    before and after another server's calls, the mean cancels a steady change of the machine's
    speed between them (docs/benchmarks.md, "Round five")."""
    out: dict[str, CallCost] = {}
    for key in rounds[0] if rounds else ():
        kinds = [r[key] for r in rounds if key in r]
        out[key] = CallCost(
            kinds[0].label,
            sum(c.calls for c in kinds),
            statistics.fmean(c.server_ms for c in kinds),
            statistics.fmean(c.postgres_ms for c in kinds),
            statistics.fmean(c.rabbitmq_ms for c in kinds),
            statistics.fmean(c.loadgen_ms for c in kinds),
            statistics.fmean(c.p50_ms for c in kinds),
        )
    return out


def pct(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile ``q`` (0-100) of ``values``."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


class Meter:
    """Measures kinds of calls against one server process tree."""

    def __init__(self, server_pid: int, available: Callable[[str], Awaitable[int]]) -> None:
        self.server_pid = server_pid
        self.available = available
        self.results: list[CallCost] = []
        #: Waits for quiet that ran out of time (the measurement went on regardless).
        self.restless = 0

    async def quiet(self, limit: float = 5.0) -> None:
        """Wait until the server has used < 1 ms of CPU in each of :data:`QUIET_WINDOWS` 100 ms
        windows in a row (≤ ``limit`` seconds; counted in :attr:`restless` when it is not)."""
        pids = cpu.tree(self.server_pid)
        calm = 0
        last = cpu.seconds_of(pids)
        deadline = time.monotonic() + limit
        while calm < QUIET_WINDOWS and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
            now = cpu.seconds_of(pids)
            calm = calm + 1 if now - last < 0.001 else 0
            last = now
        if calm < QUIET_WINDOWS:
            self.restless += 1

    async def measure(
        self,
        label: str,
        calls: Sequence[Callable[[], Awaitable[Any]]],
        settle: Callable[[int], Awaitable[None]] | None = None,
    ) -> list[Any]:
        """Run ``calls`` one after the other in ``BATCHES`` batches; the CPU per call of the
        server and of its PostgreSQL backends is the median over the batches (a burst of other
        sessions hits one batch, not the figure), RabbitMQ's the least batch (see below).
        ``settle(done)`` waits for the work the first ``done`` calls caused."""
        results: list[Any] = []
        latencies: list[float] = []
        process = 0.0
        size = max(1, len(calls) // BATCHES)
        per_batch: dict[str, list[float]] = {g: [] for g in ("server", "postgres", "rabbitmq")}
        await self.quiet()
        for start in range(0, len(calls), size):
            batch = calls[start : start + size]  # each starts as quiet as the last one ended
            before = cpu.snapshot({"server": self.server_pid})
            for call in batch:
                t0, c0 = time.perf_counter(), time.process_time()
                results.append(await call())
                process += time.process_time() - c0
                latencies.append(time.perf_counter() - t0)
            if settle is not None:
                await settle(start + len(batch))
            await self.quiet()
            used = cpu.delta(before, cpu.snapshot({"server": self.server_pid}))
            for group, values in per_batch.items():
                values.append(used.get(group, 0.0) / len(batch) * 1000)
        self.results.append(
            CallCost(
                label,
                len(calls),
                statistics.median(per_batch["server"]),
                statistics.median(per_batch["postgres"]),
                # One broker for every session on the machine: others only ever add to it, so
                # the least batch is the best estimate of what these calls caused.
                min(per_batch["rabbitmq"]),
                process / len(calls) * 1000,
                pct(latencies, 50) * 1000,
            )
        )
        return results

    async def idle(self, seconds: float, label: str = "idle") -> CallCost:
        """The server left alone for ``seconds`` (after a quiet wait): its background work (the
        node's periodic workers, the broker's own ticks), as CPU ms per second."""
        await self.quiet()
        before = cpu.snapshot({"server": self.server_pid})
        await asyncio.sleep(seconds)
        used = cpu.delta(before, cpu.snapshot({"server": self.server_pid}))
        per = {g: used.get(g, 0.0) / seconds * 1000 for g in SERVER_GROUPS}
        cost = CallCost(
            f"{label}, per second (background work)",
            round(seconds),
            per["server"],
            per["postgres"],
            per["rabbitmq"],
            0.0,
            0.0,
        )
        self.results.append(cost)
        return cost

    async def until_available(self, system_id: str, count: int) -> None:
        async with asyncio.timeout(120):
            while await self.available(system_id) < count:  # noqa: ASYNC110
                await asyncio.sleep(0.005)


async def node_costs(
    meter: Meter, fleet: Fleet, sender: Party, receiver: Party, attachment: bytes, n: int
) -> dict[str, CallCost]:
    """Each lifecycle call of the node alone, then whole lifecycle documents one at a time."""
    send, receive = fleet.client(sender), fleet.client(receiver)
    out: dict[str, CallCost] = {}
    # What the load phases left behind (the statistics worker catching up on their history)
    # is not the cost of the first calls measured.
    await meter.quiet(limit=60)
    out["idle"] = await meter.idle(3.0)
    # Warmed like the floor (targets.measure_floor): the measured clients' polls, untimed.
    for client in (receive, send):
        for _ in range(20):
            await client.count_receive_edoc()
            await client.get_received_edoc_list("edoc")
    out["healthz"] = await _one(meter, "GET /healthz (HTTP stack only)", [
        lambda: receive.get("/healthz") for _ in range(4 * n)
    ])  # fmt: skip
    out["count"] = await _one(meter, "countReceiveEdoc (empty)", [
        receive.count_receive_edoc for _ in range(4 * n)
    ])  # fmt: skip
    out["list"] = await _one(meter, "getReceivedEdocList (empty)", [
        lambda: receive.get_received_edoc_list("edoc") for _ in range(4 * n)
    ])  # fmt: skip
    docs = make_docs("C", n, [sender], [receiver], attachment)
    base = await meter.available(receiver.system_id)
    out["send"] = await _one(
        meter,
        "sendEdoc 100 KB document, with the work it causes",
        [_send(send, d.data, sender.code, "edoc") for d in docs],
        lambda done: meter.until_available(receiver.system_id, base + done),
    )
    items = await receive.get_received_edoc_list("edoc")
    out["list_full"] = await _one(meter, f"getReceivedEdocList ({len(items)} items)", [
        lambda: receive.get_received_edoc_list("edoc") for _ in range(10)
    ])  # fmt: skip
    ids = [i["docId"] for i in items]
    out["get"] = await _one(meter, "getEdoc document (≈190 KB JSON)", [
        _get(receive, i) for i in ids
    ])  # fmt: skip
    out["done"] = await _one(meter, "updateStatus done (document)", [
        _done(receive, i) for i in ids
    ])  # fmt: skip
    base = await meter.available(sender.system_id)
    out["status"] = await _one(
        meter,
        "sendEdoc status 01, with the work it causes",
        [_send(receive, d.status, receiver.code, "status") for d in docs],
        lambda done: meter.until_available(sender.system_id, base + done),
    )
    statuses = await send.get_received_edoc_list("status")
    ids = [i["docId"] for i in statuses]
    out["status_get"] = await _one(meter, "getEdoc status", [_get(send, i) for i in ids])
    out["status_done"] = await _one(meter, "updateStatus done (status)", [
        _done(send, i) for i in ids
    ])  # fmt: skip

    # Whole documents, one at a time: send, list, get, confirm, status back, its list/get/confirm.
    lifecycle_docs = make_docs("D", n, [sender], [receiver], attachment)
    steps: list[Callable[[], Awaitable[Any]]] = []
    for doc in lifecycle_docs:
        steps.append(_lifecycle(send, receive, sender, receiver, doc.data, doc.status))
    out["lifecycle"] = await _one(meter, "one full lifecycle document (8 calls)", steps)
    return out


def _send(client: LeanClient, data: bytes, code: str, kind: str) -> Callable[[], Awaitable[str]]:
    return lambda: client.send_edoc(data, from_code=code, messagetype=kind)


def _get(client: LeanClient, doc_id: str) -> Callable[[], Awaitable[bytes]]:
    return lambda: client.get_edoc(doc_id)


def _done(client: LeanClient, doc_id: str) -> Callable[[], Awaitable[None]]:
    return lambda: client.update_status(doc_id, "done")


def _lifecycle(
    send: LeanClient,
    receive: LeanClient,
    sender: Party,
    receiver: Party,
    data: bytes,
    status: bytes,
) -> Callable[[], Awaitable[None]]:
    async def run() -> None:
        await send.send_edoc(data, from_code=sender.code)
        wanted = edxml_id(data)
        while True:  # the copy is available at commit on the node; a queued one is waited for
            items = await receive.get_received_edoc_list("edoc")
            if items:
                break
        item = items[0]
        await receive.get_edoc(item["docId"])
        await receive.update_status(item["docId"], "done")
        await receive.send_edoc(status, from_code=receiver.code, messagetype="status")
        while True:
            statuses = await send.get_received_edoc_list("status")
            if statuses:
                break
        answer = await send.get_edoc(statuses[0]["docId"])
        assert edxml_id(package_of(answer)) == wanted
        await send.update_status(statuses[0]["docId"], "done")

    return run


async def _one(
    meter: Meter,
    label: str,
    calls: Sequence[Callable[[], Awaitable[Any]]],
    settle: Callable[[int], Awaitable[None]] | None = None,
) -> CallCost:
    await meter.measure(label, calls, settle)
    return meter.results[-1]


async def floor_costs(
    meter: Meter, fleet: Fleet, sender: Party, receiver: Party, attachment: bytes, n: int
) -> dict[str, CallCost]:
    """The floor's send and pull, one call at a time."""
    send, receive = fleet.client(sender), fleet.client(receiver)
    out: dict[str, CallCost] = {}
    out["idle"] = await meter.idle(3.0, "floor idle")
    out["healthz"] = await _one(meter, "floor GET /healthz (raw ASGI)", [
        lambda: receive.get("/healthz") for _ in range(4 * n)
    ])  # fmt: skip
    out["pull"] = await _one(meter, "floor pull (auth + 1 indexed SELECT, empty)", [
        lambda: receive.get_received_edoc_list("edoc") for _ in range(4 * n)
    ])  # fmt: skip
    docs = make_docs("F", n, [sender], [receiver], attachment)
    out["send"] = await _one(meter, "floor send (auth, parse, 1 insert transaction)", [
        _send(send, d.data, sender.code, "edoc") for d in docs
    ])  # fmt: skip
    return out
