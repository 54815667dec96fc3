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
from dataclasses import dataclass, field
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
    #: What the server's measured idle background (:meth:`Meter.idle`: its periodic workers,
    #: the broker's ticks) comes to over each batch's window, per call: included in the total.
    idle_ms: float = 0.0

    @property
    def total_ms(self) -> float:
        """Server + PostgreSQL + RabbitMQ CPU per call: what the targets compare."""
        return self.server_ms + self.postgres_ms + self.rabbitmq_ms


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
        #: The idle background of the server, PostgreSQL and RabbitMQ, ms of CPU per second
        #: (the last :meth:`idle`; zero before one ran).
        self.background = 0.0
        #: ``--profile``: called with ``"-"`` before each kind and with its key after it (the
        #: node's profiler restarts, then writes that kind's profile).
        self.marker: Callable[[str], Awaitable[None]] | None = None

    async def mark(self, name: str) -> None:
        """Tell :attr:`marker` (if any) that a kind starts (``"-"``) or ended (its key)."""
        if self.marker is not None:
            await self.marker(name)

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
        run = Run(self, label, calls, settle)
        await self.quiet()
        for start in run.starts:
            await run.batch(start)  # each starts as quiet as the last one ended
        run.finish()
        return run.results

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
        self.background = cost.total_ms
        return cost

    async def until_available(self, system_id: str, count: int) -> None:
        async with asyncio.timeout(120):
            while await self.available(system_id) < count:  # noqa: ASYNC110
                await asyncio.sleep(0.005)


class Run:
    """One kind of call measured in batches (:meth:`Meter.measure`, :func:`paired`)."""

    def __init__(
        self,
        meter: Meter,
        label: str,
        calls: Sequence[Callable[[], Awaitable[Any]]],
        settle: Callable[[int], Awaitable[None]] | None = None,
    ) -> None:
        self.meter, self.label, self.calls, self.settle = meter, label, calls, settle
        self.size = max(1, len(calls) // BATCHES)
        self.starts = list(range(0, len(calls), self.size))
        self.per_batch: dict[str, list[float]] = {g: [] for g in SERVER_GROUPS}
        self.latencies: list[float] = []
        #: The idle background over each batch's window (calls, settle, quiet), ms per call.
        self.idle: list[float] = []
        self.process = 0.0
        self.results: list[Any] = []

    async def batch(self, start: int) -> None:
        """The calls of the batch at ``start``, then the work they caused, then quiet."""
        server = self.meter.server_pid
        batch = self.calls[start : start + self.size]
        before = cpu.snapshot({"server": server})
        began = time.perf_counter()
        for call in batch:
            t0, c0 = time.perf_counter(), time.process_time()
            self.results.append(await call())
            self.process += time.process_time() - c0
            self.latencies.append(time.perf_counter() - t0)
        if self.settle is not None:
            await self.settle(start + len(batch))
        await self.meter.quiet()
        used = cpu.delta(before, cpu.snapshot({"server": server}))
        window = time.perf_counter() - began
        for group, values in self.per_batch.items():
            values.append(used.get(group, 0.0) / len(batch) * 1000)
        self.idle.append(self.meter.background * window / len(batch))

    def totals(self) -> list[float]:
        """Server + PostgreSQL + RabbitMQ CPU per call of each batch."""
        return [sum(cells) for cells in zip(*self.per_batch.values(), strict=True)]

    def net_totals(self) -> list[float]:
        """:meth:`totals` less the idle background over each batch's window (at least 0)."""
        return [max(t - i, 0.0) for t, i in zip(self.totals(), self.idle, strict=True)]

    def finish(self) -> CallCost:
        """The kind's cost (recorded in the meter's results)."""
        cost = CallCost(
            self.label,
            len(self.calls),
            statistics.median(self.per_batch["server"]),
            statistics.median(self.per_batch["postgres"]),
            # One broker for every session on the machine: others only ever add to it, so
            # the least batch is the best estimate of what these calls caused.
            min(self.per_batch["rabbitmq"]),
            self.process / len(self.calls) * 1000,
            pct(self.latencies, 50) * 1000,
            statistics.median(self.idle),
        )
        self.meter.results.append(cost)
        return cost


async def paired(a: Run, b: Run) -> tuple[float, float, CallCost, CallCost]:
    """Measure ``a`` and ``b`` in alternating batches (a's first batch, b's first, a's second…),
    each after its own server went quiet: the median of the batches' ``a / b`` total ratios, the
    same less each side's idle background over its windows (:attr:`CallCost.idle_ms`), and
    each kind's cost.
    Both servers run side by side, so a change of the machine's speed within a run reaches both
    sides of each pair alike (docs/benchmarks.md, "Round five")."""
    if len(a.starts) != len(b.starts):
        raise ValueError("paired kinds need the same number of batches")
    for start_a, start_b in zip(a.starts, b.starts, strict=True):
        await a.meter.quiet()
        await a.batch(start_a)
        await b.meter.quiet()
        await b.batch(start_b)
    cost_a, cost_b = a.finish(), b.finish()
    ratios = [x / y for x, y in zip(a.totals(), b.totals(), strict=True) if y > 0]
    net = [x / y for x, y in zip(a.net_totals(), b.net_totals(), strict=True) if y > 0]
    return statistics.median(ratios), statistics.median(net or [0.0]), cost_a, cost_b


@dataclass
class FloorSide:
    """The floor, running beside the node during the node's cost table: its meter and clients,
    and what the paired measurements found (costs by floor kind, node ÷ floor by node kind)."""

    meter: Meter
    fleet: Fleet
    out: dict[str, CallCost]
    ratios: dict[str, float]
    #: The same ratios less each side's idle background over its batches' windows.
    net: dict[str, float] = field(default_factory=dict)


async def _kind(
    meter: Meter,
    label: str,
    calls: Sequence[Callable[[], Awaitable[Any]]],
    settle: Callable[[int], Awaitable[None]] | None = None,
    *,
    floor: FloorSide | None = None,
    pair: tuple[str, str, str, Sequence[Callable[[], Awaitable[Any]]]] | None = None,
) -> CallCost:
    """One node kind, alone or (``floor`` and ``pair`` = node key, floor key, floor label,
    floor calls) in batches alternating with the floor's counterpart."""
    if floor is None or pair is None:
        return await _one(meter, label, calls, settle)
    key, floor_key, floor_label, floor_calls = pair
    run, other = Run(meter, label, calls, settle), Run(floor.meter, floor_label, floor_calls)
    await meter.mark("-")
    floor.ratios[key], floor.net[key], cost, floor.out[floor_key] = await paired(run, other)
    await meter.mark(key)
    return cost


async def node_costs(
    meter: Meter,
    fleet: Fleet,
    sender: Party,
    receiver: Party,
    attachment: bytes,
    n: int,
    floor: FloorSide | None = None,
) -> dict[str, CallCost]:
    """Each lifecycle call of the node alone, then whole lifecycle documents one at a time.
    With ``floor``: the kinds the targets compare (``/healthz``, the empty polls, the send, the
    lifecycle document) alternate batch by batch with the floor's counterpart (:func:`paired`)."""
    send, receive = fleet.client(sender), fleet.client(receiver)
    f_send = f_receive = None
    if floor is not None:
        f_send, f_receive = floor.fleet.client(sender), floor.fleet.client(receiver)
    out: dict[str, CallCost] = {}
    # What the load phases left behind (the statistics worker catching up on their history)
    # is not the cost of the first calls measured.
    await meter.quiet(limit=60)
    out["idle"] = await meter.idle(3.0)
    if floor is not None:
        floor.out["idle"] = await floor.meter.idle(3.0, "floor idle")
    # Warmed like the floor (targets.measure_node): the measured clients' polls, untimed.
    for client in (receive, send):
        for _ in range(20):
            await client.count_receive_edoc()
            await client.get_received_edoc_list("edoc")

    def floor_pair(
        key: str, floor_key: str, label: str, calls: Callable[[LeanClient, LeanClient], Any]
    ) -> tuple[str, str, str, Sequence[Callable[[], Awaitable[Any]]]] | None:
        if f_send is None or f_receive is None:
            return None
        return key, floor_key, label, calls(f_send, f_receive)

    out["healthz"] = await _kind(meter, "GET /healthz (HTTP stack only)", [
        lambda: receive.get("/healthz") for _ in range(4 * n)
    ], floor=floor, pair=floor_pair("healthz", "healthz", "floor GET /healthz (raw ASGI)",
        lambda _, r: [lambda: r.get("/healthz") for _ in range(4 * n)]))  # fmt: skip
    out["count"] = await _kind(meter, "countReceiveEdoc (empty)", [
        receive.count_receive_edoc for _ in range(4 * n)
    ], floor=floor, pair=floor_pair("count", "pull_count",
        "floor pull (auth + 1 indexed SELECT, empty), with count",
        lambda _, r: [lambda: r.get_received_edoc_list("edoc") for _ in range(4 * n)]))  # fmt: skip
    out["list"] = await _kind(meter, "getReceivedEdocList (empty)", [
        lambda: receive.get_received_edoc_list("edoc") for _ in range(4 * n)
    ], floor=floor, pair=floor_pair("list", "pull",
        "floor pull (auth + 1 indexed SELECT, empty), with list",
        lambda _, r: [lambda: r.get_received_edoc_list("edoc") for _ in range(4 * n)]))  # fmt: skip
    docs = make_docs("C", n, [sender], [receiver], attachment)
    f_docs = make_docs("F", n, [sender], [receiver], attachment)
    base = await meter.available(receiver.system_id)
    out["send"] = await _kind(
        meter,
        "sendEdoc 100 KB document, with the work it causes",
        [_send(send, d.data, sender.code, "edoc") for d in docs],
        lambda done: meter.until_available(receiver.system_id, base + done),
        floor=floor,
        pair=floor_pair("send", "send", "floor send (auth, parse, 1 insert transaction)",
            lambda s, _: [_send(s, d.data, sender.code, "edoc") for d in f_docs]),
    )  # fmt: skip
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
    g_docs = make_docs("G", n, [sender], [receiver], attachment)
    steps: list[Callable[[], Awaitable[Any]]] = []
    for doc in lifecycle_docs:
        steps.append(_lifecycle(send, receive, sender, receiver, doc.data, doc.status))
    out["lifecycle"] = await _kind(
        meter, "one full lifecycle document (8 calls)", steps, floor=floor,
        pair=floor_pair("lifecycle", "send_lifecycle",
            "floor send (auth, parse, 1 insert transaction), with lifecycle",
            lambda s, _: [_send(s, d.data, sender.code, "edoc") for d in g_docs]),
    )  # fmt: skip
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
