"""How ``python -m gateway serve`` serves the app: uvicorn on uvloop + httptools, 1..N processes.

The stack was chosen on measurements (docs/benchmarks.md, "Server stack"): uvloop and httptools
cost less CPU per request than asyncio and h11 for the same app. With ``workers > 1`` the
listening socket is bound here, once, and uvicorn's supervisor shares it with N worker processes
(each runs its own app, lifespan and workers). It is bound with ``proto=IPPROTO_TCP`` so that
every accepted connection gets ``TCP_NODELAY``: asyncio sets it only when the listening socket
says TCP, and uvicorn's own ``bind_socket`` (proto 0) made every keep-alive answer written in two
parts wait ~40 ms for the client's delayed ACK (Nagle).
"""

from __future__ import annotations

import asyncio
import functools
import socket
from typing import Any

from gateway.settings import Settings

#: The event loop and HTTP parser of every ``serve`` (and of the benchmark's floor app).
LOOP = "uvloop"
HTTP = "httptools"
#: VXP Q13: SDK clients leave keep-alive connections behind; close idle ones after this.
KEEP_ALIVE_SECONDS = 15


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
    """A listening TCP socket whose accepted connections get ``TCP_NODELAY`` (see the module)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(backlog)
    sock.set_inheritable(True)
    return sock


def _app(settings: Settings) -> Any:
    from gateway.app import create_app

    return create_app(settings)


async def _migrate(settings: Settings) -> None:
    from gateway.store.database import create_engine, ensure_schema, migrate

    engine = create_engine(settings.database_url, schema=settings.database_schema, pool_size=1)
    try:
        await ensure_schema(engine, settings.database_schema)
        await migrate(engine)
    finally:
        await engine.dispose()


def serve(settings: Settings, *, workers: int = 1) -> None:
    """Serve the node on ``settings.host:settings.port`` with ``workers`` processes."""
    import uvicorn

    options = uvicorn_options(settings.log_level)
    if workers <= 1:
        config = uvicorn.Config(_app(settings), lifespan="on", **options)
        uvicorn.Server(config).run(sockets=[listen_socket(settings.host, settings.port)])
        return
    from uvicorn.supervisors import Multiprocess

    if settings.migrate_on_start:
        # Once, before the workers start: N processes migrating one database at once would race.
        asyncio.run(_migrate(settings))
    # Each worker process builds its own app from the settings (a picklable factory).
    config = uvicorn.Config(
        functools.partial(_app, settings), factory=True, lifespan="on", workers=workers, **options
    )
    Multiprocess(config, sockets=[listen_socket(settings.host, settings.port)]).run()
