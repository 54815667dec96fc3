"""The statistics worker's CPU beside the node's own for the same documents (``scripts/bench
stats``, docs/statistics.md).

A node runs in this process on the seeded schema: the FastAPI app of ``gateway serve`` over
httpx's ASGI transport (no socket, no HTTP server), PostgreSQL, the in-process bus, its own
statistics worker held off. The SDK-faithful :class:`connectors.vxp.client.VxpClient` takes
``docs`` documents through their whole lifecycle, a group at a time (:data:`GROUPS`):
``sendEdoc`` (a 100 KB PDF package, as in ``scripts/bench exchange``), the receiver's
``getReceivedEdocList``, ``getEdoc``, ``updateStatus done``, its status 01 sent back, the
sender's list, ``getEdoc`` and ``done``. The statistics worker ticks after each step of a group
(as a running node's does between requests), so every copy is counted again after each change.
CPU is this process's (``time.process_time``) plus that of the PostgreSQL backends serving it
(:mod:`cpu`), read around each step and each tick, so the two are apart, and the meter's own
reading of /proc is left out of both. The node's figure includes the in-process
client's signing and parsing and excludes the HTTP server's: the two are of the same order
(docs/benchmarks.md, "Exchange").
"""

from __future__ import annotations

import asyncio
import os
import secrets
import tempfile
import time
from collections.abc import Awaitable
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import cpu
import httpx
from workload import make_docs, party, pdf_bytes, registry_csv

from connectors.vxp.client import VxpClient
from connectors.vxp.retry import RetryPolicy
from gateway.app import create_app
from gateway.core.clock import SystemClock
from gateway.core.secrets import SecretBox
from gateway.core.systems import SystemAdmin
from gateway.settings import Settings

T = TypeVar("T")
#: Documents per step between two ticks: ~10 documents/s under a 5 s tick, and ~50/s, about
#: what saturates this machine's two cores (the worker's fixed cost per tick is shared by more).
GROUPS = (50, 250)
#: What the CPU is spent on: the two accepts of a document (its sendEdoc, its status's), the
#: other calls of its lifecycle, the statistics worker.
SPENT = ("accept", "other", "worker")


class Meter:
    """CPU seconds of this process and its PostgreSQL backends, by what they were spent on."""

    def __init__(self) -> None:
        self.spent: dict[str, float] = dict.fromkeys(SPENT, 0.0)
        self.pid = os.getpid()

    def _postgres(self) -> float:
        """CPU seconds so far of the PostgreSQL backends serving this process (:mod:`cpu` puts
        them in this process's group)."""
        return sum(
            seconds
            for pid, (group, seconds) in cpu.snapshot({"clients": self.pid}).items()
            if pid != self.pid and group in ("clients", "postgres")
        )

    async def timed(self, what: str, work: Awaitable[T]) -> T:
        """Run ``work``, adding its CPU to ``what`` (measured around a whole step, so that
        reading /proc costs nothing per call). This process's CPU is read with
        ``time.process_time()`` inside the two readings of /proc, so that the meter's own work
        (a /proc walk costs a few milliseconds) is never charged to the step it measures."""
        postgres = self._postgres()
        own = time.process_time()
        result = await work
        own = time.process_time() - own
        self.spent[what] += own + self._postgres() - postgres
        return result


async def lifecycle_cost(
    url: str, schema: str, docs: int, group_size: int
) -> tuple[dict[str, float], int]:
    """CPU seconds by :data:`SPENT` for ``docs`` documents, and the history entries applied."""
    from gateway.workers import supervisor

    class Idle:  # the app's own statistics worker, held off: this module ticks one itself
        def __init__(self, *_: Any, **__: Any) -> None:
            pass

        async def run(self) -> None:
            await asyncio.Event().wait()

    # Fresh systems and agencies for each run on the schema (a kept schema is measured again).
    conn = await asyncpg.connect(
        url.replace("postgresql+asyncpg", "postgresql"), server_settings={"search_path": schema}
    )
    try:
        taken = {row[0] for row in await conn.fetch("select system_id from systems")}
    finally:
        await conn.close()
    number = next(n for n in range(1, 100) if party("s", "H14", n).system_id not in taken)
    sender, receiver = party("s", "H14", number), party("r", "H41", number)
    attachment = pdf_bytes(100 * 1024, 1)
    tmp = Path(tempfile.mkdtemp(prefix="stats-cost-"))
    (tmp / "registry.csv").write_text(registry_csv([sender, receiver]), encoding="utf-8")
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        env="dev",
        data_dir=tmp / "var",
        secret_key=secrets.token_urlsafe(32),
        registry_file=tmp / "registry.csv",
        database_url=url,
        database_schema=schema,
        auto_migrate=False,
        run_workers=True,
        log_level="warning",
    )
    # The app's own statistics worker and alert rounds are held off: this module ticks the
    # first itself, and the second would sweep the seeded history inside the measurement.
    real, alerts = supervisor.StatsWorker, supervisor.AlertWorker
    supervisor.StatsWorker = supervisor.AlertWorker = Idle  # type: ignore[assignment,misc]
    app = create_app(settings)
    meter = Meter()
    read = 0
    try:
        async with app.router.lifespan_context(app):
            runtime = app.state.runtime
            admin = SystemAdmin(
                runtime.store,
                SecretBox(settings.secret_key.get_secret_value()),
                runtime.registry,
                SystemClock(),
            )
            for p in (sender, receiver):
                await admin.add(p.system_id, [p.code], secret=p.secret)
            worker = real(runtime.store, runtime.clock, lambda: runtime.calendar.legal.calendar)
            await worker.catch_up()  # what the seed and the start left: not this run's
            http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), timeout=60)
            clients = {
                p.system_id: VxpClient(
                    "http://node.test/vxp",
                    p.system_id,
                    p.secret,
                    http=http,
                    retry=RetryPolicy(attempts=1),
                )
                for p in (sender, receiver)
            }
            out, back = clients[sender.system_id], clients[receiver.system_id]

            async def tick() -> None:
                nonlocal read
                read += await meter.timed("worker", worker.catch_up())

            warm = make_docs("W", 5, [sender], [receiver], attachment)
            work = make_docs("C", docs, [sender], [receiver], attachment)
            for label, batch in (("warm", warm), ("work", work)):
                if label == "work":
                    await tick()
                    meter.spent = dict.fromkeys(SPENT, 0.0)
                    read = 0
                for start in range(0, len(batch), group_size):
                    group = batch[start : start + group_size]
                    await meter.timed("accept", _send(out, sender.code, [d.data for d in group]))
                    await tick()
                    await meter.timed("other", _take(back))
                    await tick()
                    statuses = [d.status for d in group]
                    await meter.timed("accept", _send(back, receiver.code, statuses, "status"))
                    await meter.timed("other", _take(out, "status"))
                    await tick()
            await http.aclose()
    finally:
        supervisor.StatsWorker, supervisor.AlertWorker = real, alerts  # type: ignore[misc]
    return meter.spent, read


async def _send(client: VxpClient, code: str, packages: list[bytes], kind: str = "edoc") -> None:
    """``sendEdoc`` each package, one after the other."""
    for data in packages:
        await client.send_edoc(data, from_code=code, messagetype=kind)


async def _take(client: VxpClient, kind: str = "edoc") -> None:
    """What a document system does with its pull list: list, ``getEdoc`` and ``done`` each."""
    deadline = time.monotonic() + 30
    while not (rows := await client.get_received_edoc_list(kind)):
        if time.monotonic() > deadline:
            raise RuntimeError(f"nothing in the {kind} list of {client.system_id}")
        await asyncio.sleep(0.01)
    for row in rows:
        await client.get_edoc(row.doc_id)
        await client.update_status(row.doc_id, "done")
