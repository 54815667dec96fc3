"""How ``python -m gateway serve`` serves the app: uvicorn on uvloop + httptools, 1..N processes.

The stack was chosen on measurements (docs/benchmarks.md, "Server stack"): uvloop and httptools
cost less CPU per request than asyncio and h11, and than granian, for the same app.

Every serving process binds its own listening socket with ``SO_REUSEPORT``, so several ``serve``
processes (``--workers N``, or separate commands) share one port and the kernel spreads the
connections over them. One socket shared by N processes would not: an event loop accepts every
pending connection in one go, so a burst of clients (SDK tenants reconnecting) lands on one
process and stays there on keep-alive. The socket is bound with ``proto=IPPROTO_TCP`` so that
every accepted connection gets ``TCP_NODELAY`` on the asyncio loop too: uvicorn's own
``bind_socket`` (proto 0, used by its ``--workers``) made every keep-alive answer written in two
parts wait ~40 ms for the client's delayed ACK (Nagle). uvloop sets ``TCP_NODELAY`` itself.

With ``workers > 1`` this process is a supervisor: it applies the migrations once (when the
settings ask for them at start), starts N worker processes (each a whole node: app, lifespan and,
when configured, relay and router), forwards SIGINT/SIGTERM to them, and stops them all when one
exits, with its exit status (a process manager restarts the service). Before the workers start
it prepares an empty metrics directory and names it in ``PROMETHEUS_MULTIPROC_DIR``, inherited by
the workers, so that prometheus-client keeps their values in files there and ``/metrics`` from any
worker answers the sum over all of them (:mod:`gateway.telemetry`); a worker that exits is marked
dead there, and the directory is removed when the supervisor stops.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import shutil
import signal
import socket
import sys
import tempfile
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from gateway.settings import Settings
from gateway.telemetry import MULTIPROC_ENV

#: The event loop and HTTP parser of every ``serve`` (and of the benchmark's floor app).
LOOP = "uvloop"
HTTP = "httptools"
#: VXP Q13: SDK clients leave keep-alive connections behind; close idle ones after this.
KEEP_ALIVE_SECONDS = 15
#: Seconds a worker has to stop after SIGTERM before it is killed.
STOP_TIMEOUT = 30.0


def uvicorn_options(log_level: str, *, loop: str = LOOP, http: str = HTTP) -> dict[str, Any]:
    """The ``uvicorn.Config`` keywords ``serve`` uses (the benchmark's floor app uses them too)."""
    return {
        "loop": loop,
        "http": http,
        "log_config": None,  # create_app configured logging; uvicorn's records go through it
        "log_level": log_level.lower(),
        "access_log": False,  # the request-context middleware logs each request with its id
        "server_header": False,
        "timeout_keep_alive": KEEP_ALIVE_SECONDS,
    }


def listen_socket(host: str, port: int, *, backlog: int = 2048) -> socket.socket:
    """A listening TCP socket (``SO_REUSEPORT``, ``TCP_NODELAY`` on accept; see the module)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if hasattr(socket, "SO_REUSEPORT"):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(backlog)
    return sock


def _run(settings: Settings) -> None:
    """One serving process: the app on its own listening socket."""
    import uvicorn

    from gateway.app import create_app

    config = uvicorn.Config(
        create_app(settings), lifespan="on", **uvicorn_options(settings.log_level)
    )
    uvicorn.Server(config).run(sockets=[listen_socket(settings.host, settings.port)])


async def _migrate(settings: Settings) -> None:
    from gateway.store.database import create_engine, ensure_schema, migrate

    engine = create_engine(settings.database_url, schema=settings.database_schema, pool_size=1)
    try:
        await ensure_schema(engine, settings.database_schema)
        await migrate(engine)
    finally:
        await engine.dispose()


def metrics_directory(path: Path | None = None) -> Path:
    """An empty directory for the workers' metric files (``path``, emptied, or a new temporary
    one), named in this process's environment so that the workers inherit it.

    Files a previous run left would add its counts to this one's: the directory starts empty.
    """
    if path is None:
        path = Path(tempfile.mkdtemp(prefix="gateway-metrics-"))
    else:
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.glob("*.db"):
            stale.unlink()
    os.environ[MULTIPROC_ENV] = str(path)
    return path


def _mark_dead(process: BaseProcess, directory: Path) -> None:
    from prometheus_client import multiprocess

    if process.pid is not None:
        multiprocess.mark_process_dead(process.pid, str(directory))  # type: ignore[no-untyped-call]


def serve(settings: Settings, *, workers: int = 1) -> None:
    """Serve the node on ``settings.host:settings.port`` with ``workers`` processes."""
    if workers <= 1:
        _run(settings)
        return
    if settings.migrate_on_start:
        # Once, before the workers start: N processes migrating one database at once would race.
        asyncio.run(_migrate(settings))
    given = os.environ.get(MULTIPROC_ENV)
    directory = metrics_directory(Path(given) if given else None)
    context = multiprocessing.get_context("spawn")  # a fresh interpreter: no inherited loop
    processes = [context.Process(target=_run, args=(settings,)) for _ in range(workers)]
    stopping = False

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        for process in processes:
            process.start()
        while not stopping and all(p.is_alive() for p in processes):
            processes[0].join(0.5)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        for process in processes:
            if process.is_alive():
                process.terminate()  # SIGTERM: uvicorn finishes the requests in flight
        for process in processes:
            process.join(STOP_TIMEOUT)
            if process.is_alive():
                process.kill()
                process.join()
            _mark_dead(process, directory)
        if given:
            os.environ[MULTIPROC_ENV] = given
        else:
            os.environ.pop(MULTIPROC_ENV, None)
            shutil.rmtree(directory, ignore_errors=True)
    failed = [p.exitcode for p in processes if p.exitcode not in (0, -signal.SIGTERM)]
    if failed and not stopping:
        sys.exit(failed[0] if failed[0] and failed[0] > 0 else 1)
