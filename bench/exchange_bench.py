"""Exchange benchmark: one node on PostgreSQL + RabbitMQ driven over HTTP (docs/benchmarks.md).

Run from the project root: ``scripts/bench exchange [--quick] [--senders N] [--receivers M]
[--docs D] [--embedded] [--profile]``.

One node is started as ``create_app(settings)`` with its workers in-process (``run_workers=True``)
on a fresh PostgreSQL schema ``bench_<random>`` and a fresh RabbitMQ prefix, served by uvicorn on
a free loopback port in a child process (the benchmark's internal ``--_node`` mode) with the
options of ``python -m gateway serve`` (:mod:`gateway.server`); the schema, queues and exchanges
are dropped at the end. The connected systems are the lean load generator's clients
(:mod:`loadgen`: SDK-identical requests, precomputed where the SDK reuses values). A child
process rather than a thread: on 2 cores, clients sharing the node's GIL would be measured as
node time. Modules: :mod:`workload` (agencies, packages), :mod:`loadgen` (clients and the two
load phases), :mod:`cpu` (/proc accounting), :mod:`costs` (calls one at a time), :mod:`floor`
(the minimal app), :mod:`served` (``gateway serve`` and the floor as child processes),
:mod:`targets` (floor, scaling, PASS/MISS), :mod:`blob_storage`.

Phases (after an untimed warm-up through the whole lifecycle):

- *ingest*: N senders (one ``sendEdoc`` in flight each) push D packages (a ~5 KB header and one
  100 KB PDF, one recipient each) to M receivers that do not pull. Measured from the store after
  the phase: accept→available docs/s = D / (last ``deliveries.available_at`` − first send) and
  the latency ``available_at − documents.accepted_at`` (p50/p99);
- *lifecycle*: the same senders push D more packages to M other receivers, which pull
  (``getReceivedEdocList``), fetch (``getEdoc``), confirm (``updateStatus done``) and send status
  01 back (``sendEdoc``, messagetype status); the senders pull their statuses, fetch and confirm
  them. Full-lifecycle docs/s = D / (last status confirmed by its sender − first send); the
  client-side time from a ``sendEdoc`` answer to the first receiver's list that holds it;
- *cost per call*: every lifecycle call alone, one at a time, and whole documents one at a time:
  server + PostgreSQL + RabbitMQ CPU per call (:mod:`costs`);
- *floor*: the same for :mod:`floor`'s send and pull, on the same server stack, running beside
  the node: the kinds the targets compare alternate batch by batch (:func:`costs.paired`);
- *scaling*: ingest through ``python -m gateway serve --workers 1`` and ``--workers 2``;
- *baseline* (before and after, information only): raw aio-pika, N publishers with publisher
  confirms and M consumers acking, 5 KB persistent messages, one quorum queue.

Targets (issue 11 §3, :mod:`targets`): send ≤ 2 × the floor's send, empty polls ≤ 1.5 × the
floor's pull, a lifecycle document ≤ 8 × the floor's send (the four judged on the paired
ratios), first seen p50 ≤ poll + 50 ms, 2 processes ≥ 1.7 × 1 when the node saturates, load
generator ≤ 1 ms per call. A missed target
prints MISS but never changes the exit status; only errors do. ``--embedded`` runs the load
phases on SQLite + the in-process bus (information only, no floor, no targets).

Where the node's time goes: ``--stages`` wraps the node's API actions, use cases, store methods,
relay, bus and router with wall-clock timers (in the node process only) and samples the event-loop
lag and pool occupancy; ``--py-spy BIN`` samples the node per phase; ``--profile`` runs cProfile
(misleading across SQLAlchemy's greenlet switches); ``--patch FILE`` runs FILE in the node process
before it starts, to measure a proposed change without editing ``gateway/``.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import cProfile
import gc
import io
import json
import os
import platform
import pstats
import random
import runpy
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

import blob_storage
import cpu
import targets
from loadgen import Fleet, Phase, run_ingest, run_lifecycle
from served import analyze_schema
from sqlalchemy import bindparam, text
from workload import (
    KB,
    MAX_CHILDREN,
    RECEIVER_PARENT,
    SENDER_PARENT,
    make_docs,
    party,
    pdf_bytes,
    registry_csv,
)

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = os.environ.get(
    "GATEWAY_TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
DEFAULT_AMQP_URL = os.environ.get("GATEWAY_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")

# ------------------------------------------------------------------------------------------------
# The node, in a child process: create_app + lifespan + systems + uvicorn on a loopback socket


class StageTimers:
    """``--stages``: wall-clock timers around the node's stages, installed in the node process.

    cProfile attributes time wrongly across SQLAlchemy's greenlet switches and counts every
    coroutine resumption as a call; these wrappers time each call from entry to return, awaits
    included (so a slow stage may be waiting: for a pool connection, the broker, the loop). The
    node's code is not changed: its functions are wrapped at start-up, in this process only.
    Also sampled every 10 ms: the event-loop lag and the connections checked out of the pool.
    """

    def __init__(self) -> None:
        self.calls: dict[str, list[float]] = {}
        self.values: dict[str, list[float]] = {}
        self.missing: list[str] = []

    def record(self, name: str, seconds: float) -> None:
        self.calls.setdefault(name, []).append(seconds)

    def value(self, name: str, value: float) -> None:
        self.values.setdefault(name, []).append(value)

    def wrap(self, owner: Any, attr: str, name: str) -> None:
        fn = owner.get(attr) if isinstance(owner, dict) else getattr(owner, attr, None)
        if fn is None:  # renamed or moved by a refactoring: say so instead of failing the run
            self.missing.append(f"{getattr(owner, '__name__', type(owner).__name__)}.{attr}")
            return
        timers = self
        if asyncio.iscoroutinefunction(fn):

            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                t0 = time.perf_counter()
                try:
                    return await fn(*args, **kwargs)
                finally:
                    timers.record(name, time.perf_counter() - t0)

            wrapper: Any = async_wrapper
        else:

            def sync_wrapper(*args: Any, **kwargs: Any) -> Any:
                t0 = time.perf_counter()
                try:
                    return fn(*args, **kwargs)
                finally:
                    timers.record(name, time.perf_counter() - t0)

            wrapper = sync_wrapper
        wrapper.__name__ = getattr(fn, "__name__", attr)
        wrapper.__wrapped__ = fn
        if isinstance(owner, dict):
            owner[attr] = wrapper
        else:
            setattr(owner, attr, wrapper)

    def install(self) -> None:
        """Wrap the stages of the VXP API, the use cases, the store, the relay and the router."""
        from connectors.bus.memory import MemoryBus
        from connectors.bus.rabbit import RabbitBus
        from gateway.api.vxp import auth, routes
        from gateway.core import accept, exchange, secrets
        from gateway.store.accepting import SqlAcceptUnit
        from gateway.store.repository import SqlStore
        from gateway.workers.relay import OutboxRelay
        from gateway.workers.router import Router

        for action in list(routes.ACTIONS):
            self.wrap(routes.ACTIONS, action, f"api {action} (whole action)")
        self.wrap(routes, "authenticate", "api authenticate (HMAC + cached credentials)")
        self.wrap(auth, "verify_signed_headers", "api verify_signed_headers (HMAC)")
        self.wrap(routes, "extract_document", "api extract_document (hash-file check)")
        self.wrap(routes, "read_body", "api read_body")
        for name in ("send", "pull_list", "fetch", "confirm", "vxp_secret", "sent"):
            self.wrap(exchange.Exchange, name, f"core Exchange.{name}")
        self.wrap(exchange, "append_trace", "core append_trace (fetch)")
        self.wrap(secrets.SecretBox, "open", "core SecretBox.open (Fernet)")
        self.wrap(accept.Acceptor, "accept", "core Acceptor.accept")
        self.wrap(accept.Acceptor, "_check_package", "core Acceptor._check_package")
        self.wrap(accept, "read_package", "core read_package")
        self.wrap(accept, "validate", "core validate (deep)")
        self.wrap(accept, "classify", "core classify")
        for name in ("_document_plan", "_status_plan", "_concerned_copy"):
            self.wrap(accept.Acceptor, name, f"core Acceptor.{name}")
        for name in (
            "credentials", "grants", "get_delivery", "pull_list", "count_pending", "fetch",
            "confirm", "make_available", "sent_rows", "claim_outbox", "mark_published",
        ):  # fmt: skip
            self.wrap(SqlStore, name, f"store {name}")
        for name in ("find_existing", "find_semantic_duplicate", "find_document", "deliveries_of",
                     "store"):  # fmt: skip
            self.wrap(SqlAcceptUnit, name, f"store accept unit {name}")
        self.wrap(OutboxRelay, "drain_once", "relay drain_once")
        self.wrap(RabbitBus, "publish", "bus RabbitBus.publish (confirmed)")
        self.wrap(MemoryBus, "publish", "bus MemoryBus.publish")
        self.wrap(Router, "handle", "router handle")

        timers = self
        original = OutboxRelay.drain_once

        async def counting_drain(relay: Any) -> int:
            count: int = await original(relay)
            if count:
                timers.value("relay rows per non-empty drain", count)
            return count

        OutboxRelay.drain_once = counting_drain  # type: ignore[method-assign]

    async def sample(self, engine: Any) -> None:
        """Every 10 ms: how late the loop wakes us, and how many pool connections are out."""
        loop = asyncio.get_running_loop()
        while True:
            t0 = loop.time()
            await asyncio.sleep(0.01)
            self.value("event-loop lag (ms)", (loop.time() - t0 - 0.01) * 1000)
            pool = engine.pool
            if hasattr(pool, "checkedout"):
                self.value("pool connections checked out", pool.checkedout())

    def dump(self, path: Path) -> None:
        report = {
            "calls": {k: v for k, v in self.calls.items()},
            "values": {k: v for k, v in self.values.items()},
            "missing": self.missing,
        }
        path.write_text(json.dumps(report), encoding="utf-8")
        self.calls, self.values = {}, {}


def stages_report(path: Path, seconds: float, docs: int) -> str:
    """The stage timers of one phase as a table, largest total first."""
    data = json.loads(path.read_text(encoding="utf-8"))
    lines = [
        f"{'stage (wall clock per call, awaits included)':<52} {'calls':>6} {'total s':>8} "
        f"{'ms/doc':>7} {'mean ms':>8} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7}"
    ]
    rows = sorted(data["calls"].items(), key=lambda kv: -sum(kv[1]))
    for name, values in rows:
        total = sum(values)
        lines.append(
            f"{name:<52} {len(values):>6} {total:>8.2f} {total / docs * 1000:>7.1f} "
            f"{total / len(values) * 1000:>8.2f} {pct(values, 50) * 1000:>7.2f} "
            f"{pct(values, 99) * 1000:>7.2f} {max(values) * 1000:>7.2f}"
        )
    for name, values in data["values"].items():
        lines.append(
            f"{name:<52} {len(values):>6} samples: mean {statistics.mean(values):.1f}, "
            f"p50 {pct(values, 50):.1f}, p99 {pct(values, 99):.1f}, max {max(values):.1f}"
        )
    lines.append(f"(phase {seconds:.1f} s, {docs} documents)")
    if data.get("missing"):
        lines.append("not found in this node (not timed): " + ", ".join(data["missing"]))
    return "\n".join(lines)


def node_main(config_path: str) -> None:
    """``--_node CONFIG``: serve one node; commands on stdin (``profile NAME``, ``stop``)."""
    config = json.loads(Path(config_path).read_text(encoding="utf-8"))
    if config["loop"] == "uvloop":
        import uvloop

        uvloop.run(_serve_node(config))
    else:
        asyncio.run(_serve_node(config))


async def _serve_node(config: dict[str, Any]) -> None:
    import uvicorn

    from gateway.app import create_app
    from gateway.core.clock import SystemClock
    from gateway.core.secrets import SecretBox
    from gateway.core.systems import SystemAdmin
    from gateway.server import listen_socket, uvicorn_options
    from gateway.settings import Settings

    if config.get("patch"):
        # --patch: an experiment (a proposed fix) applied in this process only, gateway/ untouched.
        runpy.run_path(config["patch"])
    profile_dir = config.get("profile_dir")
    profiler = cProfile.Profile() if profile_dir and config.get("cprofile") else None
    timers = StageTimers() if profile_dir and config.get("stages") else None
    if timers is not None:
        timers.install()
    settings = Settings(_env_file=None, **config["settings"])  # type: ignore[call-arg]
    app = create_app(settings)
    # gateway.server binds as `serve` does: proto=IPPROTO_TCP, so accepted connections get
    # TCP_NODELAY (docs/benchmarks.md finding 9).
    sock = listen_socket("127.0.0.1", 0)
    port = sock.getsockname()[1]
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)

    async with app.router.lifespan_context(app):
        runtime = app.state.runtime
        admin = SystemAdmin(
            runtime.store,
            SecretBox(settings.secret_key.get_secret_value()),
            runtime.registry,
            SystemClock(),
        )
        for system_id, secret, grant in config["systems"]:
            await admin.add(system_id, [grant], secret=secret)
        options = uvicorn_options(settings.log_level, loop=config["loop"], http=config["http"])
        options["loop"] = "none"  # running already (uvloop.run or asyncio.run above)
        # lifespan off: entered above, so that the systems exist before serving
        server = uvicorn.Server(uvicorn.Config(app, lifespan="off", **options))

        async def commands() -> None:
            nonlocal profiler
            while True:
                line = (await reader.readline()).decode().strip()
                if not line or line == "stop":
                    server.should_exit = True
                    return
                name = line.partition(" ")[2]
                if profiler is not None and profile_dir:
                    profiler.disable()
                    if name != "-":
                        profiler.dump_stats(str(Path(profile_dir) / f"{name}.pstats"))
                    profiler = cProfile.Profile()
                    profiler.enable()
                if timers is not None and profile_dir:
                    timers.dump(Path(profile_dir) / f"{name}.stages.json")
                print("OK", flush=True)

        task = asyncio.create_task(commands())
        sampler = (
            asyncio.create_task(timers.sample(runtime.store.engine)) if timers is not None else None
        )
        print(f"READY {port}", flush=True)
        if profiler is not None:
            profiler.enable()
        await server.serve(sockets=[sock])
        if profiler is not None:
            profiler.disable()
        for background in (task, sampler):
            if background is not None:
                background.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await background
    print("STOPPED", flush=True)


class NodeProcess:
    """The child process serving the node, and its stdin/stdout command channel."""

    def __init__(self, proc: asyncio.subprocess.Process, port: int) -> None:
        self.proc = proc
        self.port = port

    @property
    def pid(self) -> int:
        return self.proc.pid

    @classmethod
    async def start(cls, config_path: Path, log_path: Path) -> NodeProcess:
        env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
        with log_path.open("wb") as log:
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                __file__,
                "--_node",
                str(config_path),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=log,
                env=env,
                cwd=str(ROOT),
            )
        try:
            line = await asyncio.wait_for(cls._line(proc), 120)
        except TimeoutError:
            proc.kill()
            raise SystemExit(
                f"error: the node did not start within 120 s; see {log_path}"
            ) from None
        if not line.startswith("READY "):
            await proc.wait()
            raise SystemExit(f"error: the node failed to start ({line!r}); log:\n{_tail(log_path)}")
        return cls(proc, int(line.split()[1]))

    @staticmethod
    async def _line(proc: asyncio.subprocess.Process) -> str:
        assert proc.stdout is not None
        return (await proc.stdout.readline()).decode().strip()

    async def command(self, line: str) -> str:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line.encode() + b"\n")
        await self.proc.stdin.drain()
        return await asyncio.wait_for(self._line(self.proc), 120)

    async def stop(self) -> None:
        if self.proc.returncode is not None:
            return
        with contextlib.suppress(ConnectionError, TimeoutError):
            await self.command("stop")
        try:
            await asyncio.wait_for(self.proc.wait(), 60)
        except TimeoutError:
            self.proc.kill()
            await self.proc.wait()


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


# ------------------------------------------------------------------------------------------------
# Store and broker: facts, polling, results, clean-up


class StoreReader:
    """Read-only queries on the node's database from the benchmark process."""

    def __init__(self, url: str, schema: str | None) -> None:
        from gateway.store.database import create_engine

        self.engine = create_engine(url, schema=schema, pool_size=2)

    async def version(self) -> str:
        async with self.engine.connect() as c:
            if self.engine.dialect.name == "postgresql":
                return "PostgreSQL " + str(await c.scalar(text("SHOW server_version")))
            return "SQLite " + str(await c.scalar(text("SELECT sqlite_version()")))

    async def available(self, system_ids: Sequence[str]) -> int:
        query = text(
            "SELECT count(*) FROM deliveries WHERE state = 'available' AND system_id IN :ids"
        ).bindparams(bindparam("ids", expanding=True))
        async with self.engine.connect() as c:
            return int(await c.scalar(query, {"ids": list(system_ids)}) or 0)

    async def copies(self, document_ids: Sequence[str]) -> list[tuple[datetime, datetime | None]]:
        """(documents.accepted_at, deliveries.available_at) of each copy of the documents."""
        from gateway.store.tables import DeliveryRow, DocumentRow

        query = text(
            "SELECT d.accepted_at, c.available_at FROM deliveries c "
            "JOIN documents d ON d.document_id = c.document_id WHERE d.document_id IN :ids"
        ).bindparams(bindparam("ids", expanding=True))
        accepted_type = DocumentRow.__table__.c.accepted_at.type
        available_type = DeliveryRow.__table__.c.available_at.type
        query = query.columns(accepted_at=accepted_type, available_at=available_type)
        async with self.engine.connect() as c:
            rows = await c.execute(query, {"ids": list(document_ids)})
            return [(r[0], r[1]) for r in rows]

    async def stats_behind(self) -> int:
        """History entries the statistics worker has not applied yet."""
        query = text(
            "SELECT (SELECT coalesce(max(event_id), 0) FROM delivery_events)"
            " - (SELECT coalesce(max(watermark), 0) FROM stats_state)"
        )
        async with self.engine.connect() as c:
            return int(await c.scalar(query) or 0)

    async def drop(self, schema: str | None) -> None:
        if schema:
            async with self.engine.begin() as c:
                await c.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))

    async def close(self) -> None:
        await self.engine.dispose()


async def rabbit_version(url: str) -> str:
    import aio_pika

    connection = await aio_pika.connect(url)
    try:
        props = connection.transport.connection.server_properties
        return f"RabbitMQ {props.get('version', '?')}"
    finally:
        await connection.close()


async def drop_bus(url: str, prefix: str, delays: tuple[float, ...]) -> None:
    """Delete the queues and exchanges the node declared under ``prefix``."""
    import aio_pika

    from connectors.bus import RetryPolicy, topology
    from gateway.runtime import TOPICS

    described = topology(prefix, TOPICS, RetryPolicy(delays=delays))
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel()
        for queue in described["queues"]:
            await channel.queue_delete(queue["name"])
        for exchange in described["exchanges"]:
            await channel.exchange_delete(exchange["name"])


class PySpy:
    """``--py-spy BIN``: sample the node process during a phase (collapsed stacks, no idle)."""

    def __init__(self, binary: str, pid: int, out: Path) -> None:
        self.binary, self.pid, self.out = binary, pid, out
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self.proc = await asyncio.create_subprocess_exec(
            self.binary, "record", "--pid", str(self.pid), "--rate", "200", "--format", "raw",
            "--output", str(self.out), "--nonblocking",
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip

    async def stop(self) -> None:
        if self.proc is None or self.proc.returncode is not None:
            return
        self.proc.send_signal(2)  # SIGINT: py-spy writes its output and exits
        try:
            await asyncio.wait_for(self.proc.wait(), 30)
        except TimeoutError:
            self.proc.kill()


#: Where a frame's file says the time went (first match wins), for the py-spy summary.
LIBRARIES = (
    ("sqlalchemy/", "SQLAlchemy (ORM, Core, asyncio adapter)"),
    ("asyncpg/", "asyncpg"),
    ("greenlet", "greenlet"),
    ("aiosqlite/", "aiosqlite"),
    ("sqlite3/", "sqlite3"),
    ("uvicorn/", "uvicorn (h11 protocol)"),
    ("h11/", "h11"),
    ("starlette/", "Starlette"),
    ("fastapi/", "FastAPI"),
    ("pydantic", "pydantic"),
    ("structlog/", "structlog"),
    ("logging/", "logging"),
    ("aio_pika/", "aio-pika"),
    ("aiormq/", "aiormq"),
    ("pamqp/", "pamqp"),
    ("cryptography/", "cryptography"),
    ("lxml", "lxml"),
    ("/edxml/", "edxml"),
    ("/identifiers/", "identifiers"),
    ("/connectors/", "connectors"),
    ("/gateway/", "gateway"),
    ("asyncio/", "asyncio event loop"),
    ("json/", "json"),
)


def _library(frame: str) -> str:
    for needle, label in LIBRARIES:
        if needle in frame:
            return label
    return "other (stdlib, C)"


def py_spy_report(path: Path, top: int) -> str:
    """Self time by library, and the functions with the most self and inclusive samples."""
    self_by_lib: dict[str, int] = {}
    self_by_fn: dict[str, int] = {}
    incl_by_fn: dict[str, int] = {}
    total = 0
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        # py-spy writes paths under the working directory relative ("gateway/store/...").
        stack = stack.replace(" (gateway/", " (/gateway/").replace(" (edxml/", " (/edxml/")
        stack = stack.replace(" (connectors/", " (/connectors/")
        stack = stack.replace(" (identifiers/", " (/identifiers/")
        frames = [f.split(" (", 1) for f in stack.split(";") if not f.startswith("process ")]
        names = [f"{fn} ({where.rsplit(':', 1)[0][-60:]}" for fn, where in (
            (pair[0], pair[1] if len(pair) > 1 else "?)") for pair in frames
        )]  # fmt: skip
        if not names:
            continue
        self_by_fn[names[-1]] = self_by_fn.get(names[-1], 0) + count
        self_by_lib[_library(stack.split(";")[-1])] = (
            self_by_lib.get(_library(stack.split(";")[-1]), 0) + count
        )
        for name in set(names):
            incl_by_fn[name] = incl_by_fn.get(name, 0) + count
    if not total:
        return "(no samples)"
    lines = [f"{total} samples at 200 Hz while the node ran Python (idle not sampled)"]
    lines.append("self time by library:")
    for lib, count in sorted(self_by_lib.items(), key=lambda kv: -kv[1]):
        lines.append(f"  {count / total * 100:5.1f} %  {lib}")
    lines.append("functions by self time:")
    for fn, count in sorted(self_by_fn.items(), key=lambda kv: -kv[1])[:top]:
        lines.append(f"  {count / total * 100:5.1f} %  {fn}")
    lines.append("functions by inclusive time (gateway, connectors, edxml and entry points):")
    shown = 0
    for fn, count in sorted(incl_by_fn.items(), key=lambda kv: -kv[1]):
        if any(k in fn for k in ("/gateway/", "/connectors/", "/edxml/", "/identifiers/")) or (
            any(k in fn for k in ("sqlalchemy/", "asyncpg/", "uvicorn/", "structlog/", "logging/"))
            and count / total > 0.05
        ):
            lines.append(f"  {count / total * 100:5.1f} %  {fn}")
            shown += 1
            if shown >= top:
                break
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------------
# The raw aio-pika baseline


@dataclass
class Baseline:
    messages: int
    seconds: float
    latencies: list[float]

    @property
    def rate(self) -> float:
        return self.messages / self.seconds


async def baseline(url: str, queue_name: str, args: argparse.Namespace, messages: int) -> Baseline:
    """N publishers (confirm each) and M consumers (ack each) on one quorum queue, 5 KB bodies."""
    import aio_pika

    body = random.Random(7).randbytes(5 * KB)  # noqa: S311
    publishers_conn = await aio_pika.connect(url)
    consumers_conn = await aio_pika.connect(url)
    try:
        setup = await publishers_conn.channel()
        declared = await setup.declare_queue(
            queue_name, durable=True, arguments={"x-queue-type": "quorum"}
        )
        await declared.purge()
        received = [0]
        latencies: list[float] = []
        last = [0.0]
        done = asyncio.Event()

        async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            await message.ack()
            now = time.time()
            latencies.append(now - float(str((message.headers or {}).get("t", now))))
            received[0] += 1
            if received[0] == messages:
                last[0] = now
                done.set()

        tags = []
        for _ in range(args.receivers):
            channel = await consumers_conn.channel()
            await channel.set_qos(prefetch_count=args.concurrency)
            queue = await channel.get_queue(queue_name)
            tags.append((queue, await queue.consume(on_message)))

        channels = [
            await publishers_conn.channel(publisher_confirms=True) for _ in range(args.senders)
        ]

        async def publish(channel: aio_pika.abc.AbstractChannel, count: int) -> None:
            for _ in range(count):
                await channel.default_exchange.publish(
                    aio_pika.Message(
                        body,
                        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                        headers={"t": repr(time.time())},  # a str: AMQP floats are 32-bit
                    ),
                    routing_key=queue_name,
                )

        share = [
            messages // args.senders + (i < messages % args.senders) for i in range(len(channels))
        ]
        started = time.time()
        async with asyncio.timeout(120):
            await asyncio.gather(*(publish(ch, n) for ch, n in zip(channels, share, strict=True)))
            await done.wait()
        for queue, tag in tags:
            await queue.cancel(tag)
        return Baseline(messages, last[0] - started, latencies)
    finally:
        with contextlib.suppress(Exception):
            channel = await publishers_conn.channel()
            await channel.queue_delete(queue_name)
        await consumers_conn.close()
        await publishers_conn.close()


# ------------------------------------------------------------------------------------------------
# Report


def pct(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile ``q`` (0-100) of ``values``."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def _revision() -> str:
    try:
        rev = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--", "gateway", "connectors",
             "edxml", "identifiers", "schemas"],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return "unknown revision"
    return rev + (" plus uncommitted work" if dirty else "")


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in (
            Path("/proc/cpuinfo").read_text(encoding="ascii", errors="replace").splitlines()
        ):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def _row(phase: str, what: str, count: str, seconds: float, rate: str, p50: str, p99: str) -> str:
    return f"{phase:<10} {what:<58} {count:>6} {seconds:>8.2f} {rate:>9} {p50:>8} {p99:>8}"


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f}"


def _lifecycle_rows(
    name: str, title: str, phase: Phase, seen_title: str, *, store: bool = False
) -> list[str]:
    """A lifecycle phase's rows: whole lifecycle, accept→available (``store``), first seen."""
    seconds = phase.finished - phase.started
    whole = [d.done_at - d.sent_at for d in phase.docs]
    seen = [d.seen_at - d.answered_at for d in phase.docs if d.seen_at]
    rows = [
        _row(
            name,
            title,
            str(len(whole)),
            seconds,
            f"{len(whole) / seconds:.1f}",
            _ms(pct(whole, 50)),
            _ms(pct(whole, 99)),
        )
    ]
    if store:
        available = [(av - ac).total_seconds() for ac, av in phase.copies if av is not None]
        rows.append(
            _row(
                "",
                "accept→available under full load (store)",
                str(len(available)),
                seconds,
                "",
                _ms(pct(available, 50)),
                _ms(pct(available, 99)),
            )
        )
    rows.append(
        _row("", seen_title, str(len(seen)), seconds, "", _ms(pct(seen, 50)), _ms(pct(seen, 99)))
    )
    return rows


def profile_report(path: Path, top: int) -> str:
    out = io.StringIO()
    stats = pstats.Stats(str(path), stream=out)
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    return out.getvalue()


# ------------------------------------------------------------------------------------------------
# Main


async def run(args: argparse.Namespace) -> None:
    t_start = time.perf_counter()

    def note(msg: str) -> None:
        print(f"[{time.perf_counter() - t_start:5.1f}s] {msg}", file=sys.stderr, flush=True)

    senders = [party("s", SENDER_PARENT, i + 1) for i in range(args.senders)]
    receivers = [party("r", RECEIVER_PARENT, i + 1) for i in range(args.receivers)]
    sinks = [party("i", RECEIVER_PARENT, args.receivers + i + 1) for i in range(args.receivers)]
    everyone = [*senders, *receivers, *sinks]
    run_id = uuid.uuid4().hex[:10]
    schema = None if args.embedded else f"bench_{run_id}"
    prefix = f"bench{run_id}"
    delays = (1.0, 5.0, 30.0, 120.0, 600.0)

    note("building packages")
    attachment = pdf_bytes(100 * KB, seed=2026)
    warm = make_docs("W", args.warmup, senders, receivers, attachment)
    ingest = Phase("ingest", make_docs("I", args.docs, senders, sinks, attachment))
    lifecycle = Phase("lifecycle", make_docs("L", args.docs, senders, receivers, attachment))
    paced = Phase("paced", make_docs("P", args.docs // 2 if args.paced else 0, senders, receivers,
                                     attachment))  # fmt: skip
    sample = ingest.docs[0].data
    # The load generator's own CPU is a target: keep the set-up's objects out of its collections.
    gc.collect()
    gc.freeze()
    payload = len(base64.b64encode(attachment))
    header_bytes = len(sample) - payload

    baselines: list[Baseline] = []
    bqueue = f"{prefix}.baseline"
    if not args.embedded:
        note("baseline: warm-up")
        await baseline(args.amqp_url, bqueue, args, min(500, args.baseline_msgs))
        note(f"baseline: {args.baseline_msgs} messages (1/2)")
        baselines.append(await baseline(args.amqp_url, bqueue, args, args.baseline_msgs))

    tmp = Path(tempfile.mkdtemp(prefix="exchange-bench-"))
    settings: dict[str, Any] = {
        "env": "dev",
        "data_dir": str(tmp / "var"),
        "secret_key": secrets.token_urlsafe(32),
        "registry_file": str(tmp / "registry.csv"),
        "log_level": args.log_level,
        "bus_retry_delays": ",".join(f"{d:g}" for d in delays),
    }
    libpq_url = args.database_url.replace("postgresql+asyncpg://", "postgresql://")
    if args.embedded:
        database_url = f"sqlite+aiosqlite:///{(tmp / 'var' / 'gateway.db').as_posix()}"
    else:
        database_url = args.database_url
        settings.update(
            database_url=database_url,
            database_schema=schema,
            amqp_url=args.amqp_url,
            amqp_prefix=prefix,
            auto_migrate=True,
            run_workers=True,
        )
    (tmp / "registry.csv").write_text(registry_csv(everyone), encoding="utf-8")
    profile_dir = tmp / "profiles" if args.profile or args.stages else None
    if profile_dir:
        profile_dir.mkdir()
    config = {
        "settings": settings,
        "systems": [(p.system_id, p.secret, p.code) for p in everyone],
        "profile_dir": str(profile_dir) if profile_dir else None,
        "cprofile": args.profile,
        "stages": args.stages,
        "patch": args.patch,
        "loop": args.loop,
        "http": args.http,
    }
    (tmp / "node.json").write_text(json.dumps(config), encoding="utf-8")

    node: NodeProcess | None = None
    node_port = 0
    store: StoreReader | None = None
    fleet: Fleet | None = None
    facts: dict[str, str] = {}
    profiles: dict[str, str] = {}
    results = targets.Results()
    try:
        note(f"starting the node (schema {schema}, prefix {prefix})")
        node = await NodeProcess.start(tmp / "node.json", tmp / "node.log")
        store = StoreReader(database_url, schema)
        facts["db"] = await store.version()
        facts["mq"] = "in-process bus" if args.embedded else await rabbit_version(args.amqp_url)
        fleet = Fleet("127.0.0.1", node.port)
        count = await fleet.client(senders[0]).count_receive_edoc()  # a real round trip
        assert count == 0
        timeout = 120 + args.docs * 1.0

        note(f"warm-up: {len(warm)} documents through the whole lifecycle")
        warm_phase = Phase("warm-up", warm)
        await run_lifecycle(
            fleet, warm_phase, senders, receivers, args.concurrency, args.poll, timeout
        )
        await node.command("profile -")
        if schema:
            # What autovacuum does in service: planner statistics for the plans the node's
            # connections cache from here on (docs/benchmarks.md, round six).
            tables = await analyze_schema(libpq_url, schema)
            note(f"ANALYZE: {tables} tables of {schema}")

        note(f"ingest: {args.docs} documents, receivers not pulling")
        spy = PySpy(args.py_spy, node.pid, tmp / "ingest.spy") if args.py_spy else None
        if spy:
            await spy.start()
        before = cpu.snapshot({"node": node.pid})
        sink_ids = [p.system_id for p in sinks]
        await run_ingest(fleet, ingest, lambda: store.available(sink_ids), timeout)
        ingest.cpu = cpu.delta(before, cpu.snapshot({"node": node.pid}))
        if spy:
            await spy.stop()
        await node.command("profile ingest")
        ingest.copies = await store.copies([d.doc_id for d in ingest.docs])
        ingest.finished = max(av for _, av in ingest.copies if av is not None).timestamp()

        note(f"lifecycle: {args.docs} documents, full lifecycle")
        spy = PySpy(args.py_spy, node.pid, tmp / "lifecycle.spy") if args.py_spy else None
        if spy:
            await spy.start()
        before = cpu.snapshot({"node": node.pid})
        await run_lifecycle(
            fleet, lifecycle, senders, receivers, args.concurrency, args.poll, timeout
        )
        lifecycle.cpu = cpu.delta(before, cpu.snapshot({"node": node.pid}))
        if spy:
            await spy.stop()
        await node.command("profile lifecycle")
        lifecycle.copies = await store.copies([d.doc_id for d in lifecycle.docs])

        if paced.docs:
            # First seen is a latency: measured below saturation. Under the lifecycle phase's
            # flood the senders outrun the receivers, and "first seen" is the receivers' backlog.
            paced.rate = args.paced * len(lifecycle.docs) / (lifecycle.finished - lifecycle.started)
            note(f"paced lifecycle: {len(paced.docs)} documents offered at {paced.rate:.1f}/s")
            before = cpu.snapshot({"node": node.pid})
            await run_lifecycle(
                fleet, paced, senders, receivers, args.concurrency, args.poll, timeout, paced.rate
            )
            paced.cpu = cpu.delta(before, cpu.snapshot({"node": node.pid}))

        floor_config = {
            "dsn": libpq_url,
            "schema": f"floor_{run_id}",
            "storage": args.floor_storage,
            "loop": args.loop,
            "http": args.http,
            "secrets": {p.system_id: p.secret for p in everyone},
            "owners": {p.code: p.system_id for p in everyone},
        }
        if args.calls:
            note(f"cost per call: {args.calls} sequential calls of each kind")
            reader = store

            async def available(system_id: str) -> int:
                return await reader.available([system_id])

            # The statistics worker catches up on the load phases' history in its own time:
            # that work is theirs, not the cost of the first calls measured.
            waited = time.monotonic()
            behind = await reader.stats_behind()
            while behind > 0 and time.monotonic() - waited < 60:
                await asyncio.sleep(0.5)
                behind = await reader.stats_behind()
            note(
                f"statistics caught up on the load phases in {time.monotonic() - waited:.1f} s"
                if behind <= 0
                else f"statistics still {behind} history entries behind after 60 s"
            )
            if schema:
                await analyze_schema(libpq_url, schema)  # the tables grew by two phases
            if not args.embedded:
                # The floor runs beside the node for its cost table, batches alternating with
                # the node's (costs.paired): the machine's speed drifts within a run, and one
                # side of a ratio must not take it alone. Each server's process and backends
                # count as "other" while the other one is measured.
                note("the floor beside the node: the minimal app on the same stack")
            live = node

            async def profile_kind(name: str) -> None:
                await live.command(f"profile {name if name == '-' else 'cost-' + name}")

            spy = PySpy(args.py_spy, node.pid, tmp / "cost.spy") if args.py_spy else None
            if spy:
                await spy.start()
            await targets.measure_node(
                results, node.pid, fleet, available, senders[0], receivers[0], attachment,
                args.calls, None if args.embedded else floor_config, tmp, everyone,
                profile_kind if profile_dir else None,
            )  # fmt: skip
            if spy:
                await spy.stop()
        await fleet.close()
        fleet = None
        await node.stop()
        node_port = node.port
        node = None
        if not args.embedded and args.calls:
            note("blob storage: EXTENDED vs EXTERNAL")
            results.storage = await blob_storage.measure(
                floor_config["dsn"], [d.data for d in ingest.docs[:50]]
            )
        if not args.embedded and args.scaling:
            note(f"gateway serve --workers 1 and 2: {args.scaling} documents each")
            await targets.measure_scaling(
                results, settings, tmp, senders, sinks, attachment, args.scaling,
                lambda: store.available(sink_ids), not args.scaling_in_serve,
                args.scaling_in_flight,
            )  # fmt: skip
    finally:
        if fleet is not None:
            await fleet.close()
        if node is not None:
            await node.stop()
        if store is not None:
            if not args.keep:
                await store.drop(schema)
            await store.close()
        if not args.embedded and not args.keep:
            with contextlib.suppress(Exception):
                await drop_bus(args.amqp_url, prefix, delays)
        for name in ("ingest", "lifecycle", "cost"):
            if (tmp / f"{name}.spy").exists():
                profiles[f"py-spy of the node, {name} phase"] = py_spy_report(
                    tmp / f"{name}.spy", args.profile_top
                )
        if profile_dir:  # read before the files go
            for path in sorted(profile_dir.glob("cost-*.pstats")):
                title = f"cProfile of the node's event-loop thread, cost table: {path.stem[5:]}"
                profiles[title] = profile_report(path, args.profile_top)
            for ph in (ingest, lifecycle):
                path = profile_dir / f"{ph.name}.pstats"
                if path.exists():
                    profiles[f"cProfile of the node's event-loop thread, {ph.name} phase"] = (
                        profile_report(path, args.profile_top)
                    )
                path = profile_dir / f"{ph.name}.stages.json"
                if path.exists() and ph.finished:
                    profiles[f"node stage timers, {ph.name} phase"] = stages_report(
                        path, ph.finished - ph.started, len(ph.docs)
                    )
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)

    if not args.embedded:
        note(f"baseline: {args.baseline_msgs} messages (2/2)")
        baselines.append(await baseline(args.amqp_url, bqueue, args, args.baseline_msgs))

    # ---- print
    mode = "embedded (SQLite + in-process bus), info only" if args.embedded else "services"
    print(
        f"Exchange benchmark: node @ {_revision()}, {datetime.now(UTC):%Y-%m-%d}, "
        f"{'quick' if args.quick else 'full'} run, {mode}"
    )
    print(
        f"machine: {os.cpu_count()} CPUs ({_cpu_model()}), Python {platform.python_version()}, "
        f"{facts['db']}, {facts['mq']}"
    )
    print(
        f"node: one process (create_app, relay + router in-process), uvicorn {version('uvicorn')} "
        f"({args.http}, {args.loop}) on 127.0.0.1:{node_port}, log level {args.log_level}; "
        "clients: the lean load generator (bench/loadgen.py), one process"
    )
    if not args.embedded:
        print(f"  schema {schema}, RabbitMQ prefix {prefix} (both dropped)")
    if args.patch:
        print(f"  EXPERIMENT: node patched at start-up with {args.patch}")
    print(
        f"load: {args.senders} senders (one sendEdoc in flight each), {args.receivers} receivers; "
        f"receivers and senders handle a pulled list {args.concurrency} items at a time, "
        f"idle poll {args.poll * 1000:.0f} ms"
    )
    print(
        f"packages: {args.docs} per phase, header {header_bytes / KB:.1f} KB + one 100 KB PDF "
        f"(base64) = {len(sample) / KB:.1f} KB, one recipient each; status 01 package "
        f"{len(ingest.docs[0].status) / KB:.1f} KB; warm-up {len(warm)} documents (untimed)"
    )
    print()
    print(
        f"{'phase':<10} {'measure':<58} {'count':>6} {'seconds':>8} {'rate/s':>9} "
        f"{'p50 ms':>8} {'p99 ms':>8}"
    )
    first_ingest = min(d.sent_at for d in ingest.docs)
    last_available = ingest.finished
    ingest_rate = len(ingest.docs) / (last_available - first_ingest)
    lat_ingest = [(av - ac).total_seconds() for ac, av in ingest.copies if av is not None]
    answers = [d.answered_at - d.sent_at for d in ingest.docs]
    print(
        _row(
            "ingest",
            "accept→available (store: available_at − accepted_at)",
            str(len(lat_ingest)),
            last_available - first_ingest,
            f"{ingest_rate:.1f}",
            _ms(pct(lat_ingest, 50)),
            _ms(pct(lat_ingest, 99)),
        )
    )
    print(
        _row(
            "",
            "sendEdoc (request → answer, as the senders saw it)",
            str(len(answers)),
            ingest.sent - first_ingest,
            f"{len(answers) / (ingest.sent - first_ingest):.1f}",
            _ms(pct(answers, 50)),
            _ms(pct(answers, 99)),
        )
    )
    life_seconds = lifecycle.finished - lifecycle.started
    for row in _lifecycle_rows(
        "lifecycle",
        "full lifecycle (send → … → status confirmed by the sender)",
        lifecycle,
        "sendEdoc answer → first seen in a pull list (client, info)",
        store=True,
    ):
        print(row)
    if paced.docs:
        title = f"full lifecycle, {paced.rate:.1f}/s offered = {args.paced:.0%} of the above"
        for row in _lifecycle_rows(
            "paced", title, paced, "sendEdoc answer → first seen in a pull list (client)"
        ):
            print(row)
    base_rate = 0.0
    if baselines:
        for i, b in enumerate(baselines, 1):
            print(
                _row(
                    "baseline" if i == 1 else "",
                    f"aio-pika confirm + ack, 5 KB persistent, quorum ({i}/{len(baselines)})",
                    str(b.messages),
                    b.seconds,
                    f"{b.rate:.1f}",
                    _ms(pct(b.latencies, 50)),
                    _ms(pct(b.latencies, 99)),
                )
            )
        base_rate = statistics.mean(b.rate for b in baselines)
    print()
    print("CPU seconds by process group during each phase (% = share of one core over the phase):")
    groups = ("node", "clients", "postgres", "rabbitmq", "other")
    print(f"{'phase':<10} " + " ".join(f"{g:>17}" for g in groups) + f" {'node ms/doc':>12}")
    shown = [(ingest, last_available - first_ingest), (lifecycle, life_seconds)]
    if paced.docs:
        shown.append((paced, paced.finished - paced.started))
    for ph, seconds in shown:
        cells = " ".join(
            f"{ph.cpu.get(g, 0.0):>7.2f} s ({ph.cpu.get(g, 0.0) / seconds * 100:>3.0f} %)"
            for g in groups
        )
        print(f"{ph.name:<10} {cells} {ph.cpu.get('node', 0.0) / len(ph.docs) * 1000:>12.2f}")
    print(
        f"lifecycle pull-list calls: {lifecycle.polls} ({lifecycle.empty_polls} empty) for "
        f"{len(lifecycle.docs)} documents"
    )
    busy = max(
        ph.cpu.get("other", 0.0) / seconds
        for ph, seconds in ((ingest, last_available - first_ingest), (lifecycle, life_seconds))
    )
    if busy > 0.2:
        print(
            f"WARNING: other processes used up to {busy * 100:.0f} % of a core during a phase: "
            "the machine was shared, the numbers are pessimistic"
        )
    print()
    targets.print_costs(results)
    targets.print_scaling(results, os.cpu_count() or 1)
    if results.storage:
        print(blob_storage.report(results.storage, len(sample) / KB) + "\n")
    if args.embedded:
        print("embedded run: information only, no floor and no targets")
    else:
        if baselines:
            ratio = ingest_rate / base_rate
            print(
                f"info (old target, retired): accept→available docs/s ÷ aio-pika baseline msgs/s "
                f"= {ratio:.3f} (baseline {base_rate:.1f} msgs/s)"
            )
        loadgen_ms = lifecycle.loadgen_cpu / max(1, lifecycle.calls) * 1000
        print(
            f"load generator: {lifecycle.calls} calls in the lifecycle phase, "
            f"{lifecycle.loadgen_cpu:.2f} s of its CPU = {loadgen_ms:.3f} ms per call; ingest "
            f"{ingest.loadgen_cpu / max(1, ingest.calls) * 1000:.3f} ms per sendEdoc"
        )
        targets.print_targets(
            results, paced if paced.docs else lifecycle, args.poll, os.cpu_count() or 1, loadgen_ms
        )
    print(f"(run took {time.perf_counter() - t_start:.0f} s)")
    for title, report in profiles.items():
        print(f"\n==== {title} ====")
        print(report)
    if args.keep:
        print(f"kept: schema {schema}, prefix {prefix}, files in {tmp}")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--_node":
        node_main(sys.argv[2])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--senders", type=int, default=8, help="sending systems (default 8)")
    parser.add_argument("--receivers", type=int, default=4, help="receiving systems (default 4)")
    parser.add_argument("--docs", type=int, default=0, help="documents per phase (default 600)")
    parser.add_argument("--quick", action="store_true", help="fewer documents (200 per phase)")
    parser.add_argument(
        "--embedded", action="store_true", help="SQLite + in-process bus (information only)"
    )
    parser.add_argument(
        "--concurrency", type=int, default=4, help="items of a pulled list handled at once"
    )
    parser.add_argument(
        "--poll", type=float, default=0.2, help="seconds between polls of an empty list (0.2)"
    )
    parser.add_argument(
        "--paced", type=float, default=0.75,
        help="the paced lifecycle phase (docs/2 documents) offers this fraction of the lifecycle "
        "phase's rate; first seen is judged there (0: skip, judge the flood)",
    )  # fmt: skip
    parser.add_argument("--warmup", type=int, default=0, help="warm-up documents (default 4 N)")
    parser.add_argument("--baseline-msgs", type=int, default=0, help="baseline messages per run")
    parser.add_argument("--log-level", default="INFO", help="the node's log level (INFO)")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--amqp-url", default=DEFAULT_AMQP_URL)
    parser.add_argument("--profile", action="store_true", help="cProfile the node per phase")
    parser.add_argument("--profile-top", type=int, default=35, help="functions shown per list")
    parser.add_argument(
        "--stages", action="store_true", help="time the node's stages (wrappers) per phase"
    )
    parser.add_argument(
        "--py-spy", metavar="BIN", help="sample the node with this py-spy binary per phase"
    )
    parser.add_argument(
        "--calls", type=int, default=-1, help="sequential calls per kind for the cost table"
    )
    parser.add_argument(
        "--patch",
        metavar="FILE",
        help="run this Python file in the node process before it starts (measure a proposed "
        "change without editing gateway/); the report says so",
    )
    parser.add_argument("--keep", action="store_true", help="keep the schema, queues and files")
    parser.add_argument(
        "--loop", default="uvloop", choices=("uvloop", "asyncio"), help="node + floor"
    )
    parser.add_argument("--http", default="httptools", choices=("httptools", "h11"), help="ditto")
    parser.add_argument(
        "--floor-storage", default="EXTERNAL", choices=("EXTERNAL", "EXTENDED"),
        help="STORAGE of the floor's blob column (the node's after migration 0006)",
    )  # fmt: skip
    parser.add_argument(
        "--scaling-in-flight", type=int, default=4,
        help="scaling runs: sendEdoc calls in flight per sender (4)",
    )  # fmt: skip
    parser.add_argument(
        "--scaling-in-serve", action="store_true",
        help="scaling runs: relay and router in every serve process (default: in one `gateway "
        "worker` beside serve, the production layout)",
    )  # fmt: skip
    parser.add_argument(
        "--scaling", type=int, default=-1,
        help="documents per `serve --workers 1|2` ingest run (0: skip; default 300, quick 150)",
    )  # fmt: skip
    args = parser.parse_args()
    args.docs = args.docs or (200 if args.quick else 600)
    args.warmup = args.warmup or 4 * args.senders
    args.baseline_msgs = args.baseline_msgs or (1000 if args.quick else 3000)
    if args.calls < 0:
        args.calls = 20 if args.quick else 50
    if args.scaling < 0:
        args.scaling = 150 if args.quick else 300
    if args.patch:
        args.patch = os.path.abspath(args.patch)
    if not 1 <= args.senders <= MAX_CHILDREN:
        parser.error(f"--senders must be 1..{MAX_CHILDREN}")
    if not 1 <= args.receivers <= MAX_CHILDREN // 2:
        parser.error(f"--receivers must be 1..{MAX_CHILDREN // 2}")
    if args.docs < 1 or args.concurrency < 1 or args.poll <= 0:
        parser.error("--docs, --concurrency and --poll must be positive")
    import uvloop

    uvloop.run(run(args))  # the load generator's loop: the cheaper one (it shares the cores)


if __name__ == "__main__":
    main()
