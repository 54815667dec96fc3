"""The node's own commands: ``serve``, ``worker``, ``migrate``, ``version`` and ``demo``."""

from __future__ import annotations

from typing import Annotated

import typer

from gateway import package_version
from gateway.cli.context import run_store_command, store_settings
from gateway.cli.output import JsonOption, OutputOption, echo_json, emit, exit_with
from gateway.exits import EXIT_INTERRUPTED


def serve(
    host: Annotated[
        str | None, typer.Option(help="Interface to listen on (default: GATEWAY_HOST).")
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(min=1, max=65535, help="TCP port to listen on (default: GATEWAY_PORT)."),
    ] = None,
    workers: Annotated[
        int, typer.Option(min=1, max=64, help="Processes serving the port (each a full node).")
    ] = 1,
) -> None:
    """Run the node: the native API, its docs at /docs, probes at /healthz and /readyz."""
    settings = store_settings(host=host, port=port)
    from gateway.server import serve as run_server

    run_server(settings, workers=workers)


def worker() -> None:
    """Run the outbox relay and the router (production: beside `serve`, any number of them)."""
    settings = store_settings()
    import asyncio
    import signal

    from gateway.runtime import open_runtime

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        async with open_runtime(settings, workers=True, create=False):
            await stop.wait()

    run_store_command(run)


def migrate(output: OutputOption = None) -> None:
    """Create the database, or apply its migrations, up to the code's head."""
    settings = store_settings()

    from gateway.store.database import create_engine, ensure_schema
    from gateway.store.database import migrate as apply

    async def run() -> None:
        engine = create_engine(settings.database_url, schema=settings.database_schema)
        try:
            await ensure_schema(engine, settings.database_schema)
            state = await apply(engine)
        finally:
            await engine.dispose()
        emit(
            {"revision": state.current, "head": state.head},
            output,
            lambda r: [f"database at revision {r['revision']} (head {r['head']})"],
        )

    run_store_command(run)


def demo(
    base_port: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=65533,
            help="Port of the national node; Cao Bằng (H14) and Lạng Sơn (H37) take the next "
            "two (default: free ports).",
        ),
    ] = None,
    keep_running: Annotated[
        bool, typer.Option(help="Leave the nodes up, their URLs printed, until Ctrl-C.")
    ] = False,
    step_timeout: Annotated[
        float, typer.Option(min=1, help="Seconds a step may wait for the other nodes.")
    ] = 15.0,
) -> None:
    """Three nodes in one process exchange documents and statuses; prints the timelines."""
    import asyncio

    from gateway.demo import DemoOptions, run_demo

    options = DemoOptions(base_port=base_port, keep_running=keep_running, step_timeout=step_timeout)
    try:
        status = asyncio.run(
            run_demo(options, out=typer.echo, err=lambda line: typer.echo(line, err=True))
        )
    except KeyboardInterrupt:
        exit_with("demo interrupted", EXIT_INTERRUPTED)
    raise typer.Exit(status)


def version(as_json: JsonOption = False) -> None:
    """Print the node's version."""
    if as_json:
        echo_json({"version": package_version()})
    else:
        typer.echo(package_version())


#: The top-level commands, in the order ``--help`` lists them.
COMMANDS = (serve, worker, migrate, version, demo)
