"""The node's command line: ``python -m gateway <command>`` (also installed as ``truc-gateway``).

Commands: ``serve`` (run the node with uvicorn), ``version``, ``agencies lookup CODE``, ``demo``
(three nodes exchanging documents across provinces, :mod:`gateway.demo`),
``calendar legal-time INSTANT|-`` and ``calendar month YYYY-MM`` (these two read files and
options only), ``calendar override add|list|remove`` and ``calendar recompute --from DATE``
(:mod:`gateway.calendar_commands`, on the configured database). Each other command reads the
settings once with :func:`gateway.settings.get_settings`, so the ``GATEWAY_*`` variables and
``.env`` apply everywhere. Groups of commands are typer sub-apps added to :data:`app`. Heavy
imports happen inside the commands that need them, to keep ``version`` and lookups fast.

stdout carries a command's answer and nothing else (JSON for the ``systems`` commands, so that
``systems add X --agency H14 | jq -r .token`` works); log lines go to stderr, with +07:00
timestamps like every other output. Each command on the node's data (``serve``, ``worker``,
``migrate``, ``systems ...``, ``calendar override|recompute``) first names on stderr the data
directory and database it uses; only ``serve`` and ``migrate`` create them, the others exit
:data:`EXIT_NO_DATABASE` where there is no database (a command run from the wrong directory).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from pydantic import ValidationError

from gateway import package_version
from gateway.calendar_commands import add_calendar_commands
from gateway.exits import EXIT_BAD_INPUT, EXIT_CONFIG, EXIT_NO_DATABASE, EXIT_REGISTRY_ERROR
from gateway.settings import Settings, env_var, get_settings

app = typer.Typer(
    name="gateway",
    help="Axis node for Vietnam's inter-agency e-document exchange.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
agencies_app = typer.Typer(help="The agency registry the node routes by.", no_args_is_help=True)
app.add_typer(agencies_app, name="agencies")
systems_app = typer.Typer(help="Connected document systems and their grants.", no_args_is_help=True)
app.add_typer(systems_app, name="systems")
calendar_app = typer.Typer(
    help="The business calendar: office hours, working days, legal times.", no_args_is_help=True
)
app.add_typer(calendar_app, name="calendar")


def _fail(message: str, status: int) -> NoReturn:
    typer.echo(message, err=True)
    raise typer.Exit(status)


def _settings(**overrides: Any) -> Settings:
    """Read the settings, overridden by the options given; exit 2 naming each bad variable.

    Also routes the log lines to stderr (+07:00 timestamps): unconfigured, structlog would print
    them on stdout, into the command's answer.
    """
    from gateway.logging import configure_logging

    try:
        settings = get_settings(
            **{name: value for name, value in overrides.items() if value is not None}
        )
    except ValidationError as error:
        lines = []
        for problem in error.errors():
            name = ".".join(str(part) for part in problem["loc"])
            prefix = f"{env_var(name)}: " if name else ""
            lines.append(f"  {prefix}{problem['msg'].removeprefix('Value error, ')}")
        _fail("configuration refused:\n" + "\n".join(lines), EXIT_CONFIG)
    configure_logging(settings.log_level, json=settings.log_json)
    return settings


def _store_settings(**overrides: Any) -> Settings:
    """:func:`_settings` for a command on the node's data: names the data directory and the
    database it uses on stderr (the same command run elsewhere finds other data)."""
    from gateway.runtime import database_location

    settings = _settings(**overrides)
    typer.echo(
        f"data directory {settings.data_dir.resolve()}, database {database_location(settings)}",
        err=True,
    )
    return settings


@app.command()
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
    settings = _store_settings(host=host, port=port)
    from gateway.server import serve as run_server

    run_server(settings, workers=workers)


@app.command()
def worker() -> None:
    """Run the outbox relay and the router (production: beside `serve`, any number of them)."""
    settings = _store_settings()
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

    _run_store_command(run)


@app.command()
def migrate() -> None:
    """Create the database, or apply its migrations, up to the code's head."""
    settings = _store_settings()

    from gateway.store.database import create_engine, ensure_schema
    from gateway.store.database import migrate as apply

    async def run() -> None:
        engine = create_engine(settings.database_url, schema=settings.database_schema)
        try:
            await ensure_schema(engine, settings.database_schema)
            state = await apply(engine)
        finally:
            await engine.dispose()
        typer.echo(f"database at revision {state.current} (head {state.head})")

    _run_store_command(run)


def _run_store_command(run: Any) -> None:
    """Run an async command; coded failures exit 1 with their message (no traceback)."""
    import asyncio

    from gateway.core.errors import ExchangeError
    from gateway.store.database import StoreMissing, StoreNotMigrated

    try:
        asyncio.run(run())
    except StoreMissing as error:
        _fail(f"{error.code}: {error}", EXIT_NO_DATABASE)
    except StoreNotMigrated as error:
        _fail(f"{error.code}: {error}", EXIT_REGISTRY_ERROR)
    except ExchangeError as error:
        field = f" [{error.field}]" if error.field else ""
        _fail(f"{error.code}{field}: {error.message}", EXIT_REGISTRY_ERROR)
    except (OSError, ConnectionError) as error:
        _fail(f"STORE_UNAVAILABLE: {error}", EXIT_REGISTRY_ERROR)


def _systems(settings: Settings, action: Any) -> None:
    """Run ``action(admin)`` against the configured store (which it never creates)."""
    from gateway.core.clock import SystemClock
    from gateway.core.secrets import SecretBox
    from gateway.core.systems import SystemAdmin
    from gateway.directory import load_registry
    from gateway.runtime import open_store

    async def run() -> None:
        async with open_store(settings, create=False) as store:
            admin = SystemAdmin(
                store,
                SecretBox(settings.secret_key.get_secret_value()),
                load_registry(settings),
                SystemClock(),
            )
            await action(admin)

    _run_store_command(run)


def _system_json(system: Any) -> dict[str, Any]:
    from schemas.timestamps import in_vietnam

    created = system.created_at
    return {
        "system_id": system.system_id,
        "grants": list(system.grants),
        "enabled": system.enabled,
        "admin": system.admin,
        "node_link": system.node_link,
        "description": system.description,
        "created_at": in_vietnam(created).isoformat() if created else None,
    }


def _echo_json(value: Any) -> None:
    """Print ``value`` as the command's one JSON document on stdout."""
    import json

    typer.echo(json.dumps(value, ensure_ascii=False, indent=2))


@systems_app.command("add")
def systems_add(
    system_id: Annotated[str, typer.Argument(help="The systemid the SDK sends.")],
    agency: Annotated[
        list[str], typer.Option("--agency", help="Agency code or subtree (repeatable).")
    ],
    secret: Annotated[
        str | None, typer.Option(help="The VXP secret; generated and printed once when omitted.")
    ] = None,
    admin: Annotated[bool, typer.Option(help="May call registerAgency/deleteAgency.")] = False,
    description: Annotated[str, typer.Option(help="Free text for operators.")] = "",
    node_link: Annotated[
        bool,
        typer.Option(
            "--node-link",
            help="Another axis node (a provincial node at the national node): may use "
            "reportDelivery, nextDocId and failCode (docs/axes.md).",
        ),
    ] = False,
) -> None:
    """Register a connected system; prints its secret (when generated) and API token once."""
    settings = _store_settings()

    async def action(admin_: Any) -> None:
        done = await admin_.add(
            system_id,
            agency,
            secret=secret,
            admin=admin,
            description=description,
            node_link=node_link,
        )
        out = _system_json(done.system)
        if secret is None:
            out["secret"] = done.secret
        out["token"] = done.token
        _echo_json(out)

    _systems(settings, action)


@systems_app.command("list")
def systems_list() -> None:
    """List the connected systems as JSON (never their secrets)."""
    settings = _store_settings()

    async def action(admin_: Any) -> None:
        _echo_json([_system_json(s) for s in await admin_.list()])

    _systems(settings, action)


@systems_app.command("disable")
def systems_disable(system_id: Annotated[str, typer.Argument()]) -> None:
    """Disable a system: its calls fail authentication until enabled again."""
    _systems(_store_settings(), lambda a: _echo_system(a.set_enabled(system_id, False)))


@systems_app.command("enable")
def systems_enable(system_id: Annotated[str, typer.Argument()]) -> None:
    """Enable a disabled system."""
    _systems(_store_settings(), lambda a: _echo_system(a.set_enabled(system_id, True)))


async def _echo_system(pending: Any) -> None:
    _echo_json(_system_json(await pending))


@systems_app.command("rotate-secret")
def systems_rotate_secret(
    system_id: Annotated[str, typer.Argument()],
    secret: Annotated[
        str | None, typer.Option(help="The new secret; generated when omitted.")
    ] = None,
) -> None:
    """Replace a system's VXP secret; prints the system as JSON, with the generated secret once
    (like `add`)."""
    settings = _store_settings()

    async def action(admin_: Any) -> None:
        new = await admin_.rotate_secret(system_id, secret)
        out = _system_json(await admin_.store.get_system(system_id))
        if secret is None:
            out["secret"] = new
        _echo_json(out)

    _systems(settings, action)


@systems_app.command("rotate-token")
def systems_rotate_token(system_id: Annotated[str, typer.Argument()]) -> None:
    """Issue a new native-API bearer token; prints the system as JSON with its token once."""

    async def action(admin_: Any) -> None:
        token = await admin_.rotate_token(system_id)
        out = _system_json(await admin_.store.get_system(system_id))
        out["token"] = token
        _echo_json(out)

    _systems(_store_settings(), action)


@systems_app.command("grant")
def systems_grant(
    system_id: Annotated[str, typer.Argument()],
    agency: Annotated[
        list[str], typer.Option("--agency", help="Agency code or subtree (repeatable).")
    ],
    revoke: Annotated[bool, typer.Option(help="Remove these grants instead.")] = False,
    replace: Annotated[bool, typer.Option(help="Set exactly these grants.")] = False,
    admin: Annotated[
        bool | None, typer.Option("--admin/--no-admin", help="Give or take the registry grant.")
    ] = None,
    node_link: Annotated[
        bool | None,
        typer.Option("--node-link/--no-node-link", help="Mark or unmark as another axis node."),
    ] = None,
) -> None:
    """Add, remove or set the agency codes a system may act for."""

    async def action(admin_: Any) -> None:
        await admin_.grant(system_id, agency, revoke=revoke, replace=replace)
        if admin is not None:
            await admin_.set_admin(system_id, admin)
        if node_link is not None:
            await admin_.set_node_link(system_id, node_link)
        await _echo_system(admin_.store.get_system(system_id))

    _systems(_store_settings(), action)


@app.command()
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
        _fail("demo interrupted", 130)
    raise typer.Exit(status)


@app.command()
def version() -> None:
    """Print the node's version."""
    typer.echo(package_version())


@agencies_app.command("lookup")
def agencies_lookup(
    code: Annotated[str, typer.Argument(help="Agency code in either form: H14 or 000.00.00.H14.")],
    at: Annotated[
        datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="Resolve succession as of this date."),
    ] = None,
) -> None:
    """Print an agency and where its traffic goes, as JSON (exit 1 if it is not registered)."""
    from gateway.directory import AgencyDirectory, load_registry
    from identifiers import IdentifierError
    from schemas.errors import ErrorBody, ErrorDetail

    settings = _settings()
    try:
        directory = AgencyDirectory(load_registry(settings))
        found = directory.lookup(code, at.date() if at is not None else None)
    except IdentifierError as error:
        detail = ErrorDetail(code=error.code, message=error.message, field=error.field)
        _fail(ErrorBody(error=detail).model_dump_json(indent=2), EXIT_REGISTRY_ERROR)
    typer.echo(found.model_dump_json(indent=2))


# -- calendar ------------------------------------------------------------------------------------

CalendarFile = Annotated[
    Path | None,
    typer.Option(
        "--calendar",
        dir_okay=False,
        help="Override table to use instead of the shipped one (same CSV columns).",
    ),
]
Hours = Annotated[
    str | None,
    typer.Option(
        "--hours",
        help='Office sessions, e.g. "07:00-11:30,13:30-17:00"; seasons after ";" as '
        '"MM-DD..MM-DD=07:00-11:30,13:30-17:00" (default 07:30-11:30,13:30-17:00).',
    ),
]


def _calendar(table: Path | None, hours: str | None) -> Any:
    """The business calendar of the options; exit 2 with the coded error when it is refused."""
    from business_calendar.calendar import CalendarError
    from business_calendar.table import load_calendar

    try:
        return load_calendar(table, hours)
    except CalendarError as error:
        _fail(str(error), EXIT_CONFIG)


@calendar_app.command("legal-time")
def calendar_legal_time(
    instant: Annotated[
        str,
        typer.Argument(
            help="ISO 8601 instant (any offset; none means +07:00), or - to read one per line "
            "from stdin."
        ),
    ],
    calendar: CalendarFile = None,
    hours: Hours = None,
) -> None:
    """Print the legal receipt time (ISO 8601, +07:00) of each instant, one per line."""
    import sys

    from business_calendar.calendar import CalendarError
    from gateway.core.clock import VN_TZ

    legal = _calendar(calendar, hours).legal_receipt_time

    def convert(text: str) -> str:
        value = text.strip()
        try:
            # A date alone is not an instant; ISO 8601 separates the time with T (or a space).
            if "T" not in value and "t" not in value and " " not in value:
                raise ValueError(value)
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{value!r} is not an ISO 8601 instant (date and time)") from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=VN_TZ)
        try:
            return str(legal(moment).isoformat())
        except CalendarError as error:
            raise ValueError(f"{value!r}: {error}") from None

    if instant != "-":
        try:
            typer.echo(convert(instant))
        except ValueError as error:
            _fail(f"error: {error}", EXIT_BAD_INPUT)
        return
    out: list[str] = []
    number = 0
    try:
        for number, line in enumerate(sys.stdin, 1):  # noqa: B007 (named in the error)
            out.append(convert(line))
            if len(out) >= 4096:
                sys.stdout.write("\n".join(out) + "\n")
                out.clear()
    except ValueError as error:
        if out:
            sys.stdout.write("\n".join(out) + "\n")
        sys.stdout.flush()
        _fail(f"error: line {number}: {error}", EXIT_BAD_INPUT)
    if out:
        sys.stdout.write("\n".join(out) + "\n")


_MARKS = {"working": " ", "make_up": "+", "weekend": ".", "holiday": "*"}


@calendar_app.command("month")
def calendar_month(
    month: Annotated[str, typer.Argument(help="The month, YYYY-MM.")],
    calendar: CalendarFile = None,
    hours: Hours = None,
) -> None:
    """Print a month: its working days, holidays (with names and sources) and make-up days."""
    cal = _calendar(calendar, hours)
    year_text, sep, month_text = month.strip().partition("-")
    try:
        if not (sep and len(year_text) == 4 and len(month_text) == 2):
            raise ValueError(month)
        days = cal.month(int(year_text), int(month_text))
    except ValueError:
        _fail(f"error: month {month!r} is not YYYY-MM", EXIT_BAD_INPUT)
    first = days[0].day
    typer.echo(f"{first:%Y-%m}  calendar {cal.label} {cal.version}  Asia/Ho_Chi_Minh (+07:00)")
    typer.echo(" Mo  Tu  We  Th  Fr  Sa  Su")
    cells = ["    "] * first.weekday()
    for found in days:
        cells.append(f"{found.day.day:3d}{_MARKS[found.kind.value]}")
    for start in range(0, len(cells), 7):
        typer.echo("".join(cells[start : start + 7]).rstrip())
    typer.echo("(* holiday or day off, + make-up working day, . weekend)")
    typer.echo("")
    for found in days:
        if found.kind.value in ("working", "weekend"):
            continue
        line = f"{found.day:%Y-%m-%d %a}  {found.kind.value:<8} {found.name}"
        if found.source:
            line += f"  [{found.source}" + (
                f", {found.confidence} confidence]" if found.confidence not in ("", "high") else "]"
            )
        typer.echo(line)
    working = [found for found in days if found.working]
    make_up = sum(1 for found in working if found.kind.value == "make_up")
    holidays = sum(1 for found in days if found.kind.value == "holiday")
    typer.echo(
        f"working days: {len(working)} (make-up {make_up}); holidays and days off: {holidays}"
    )
    by_sessions: dict[str, list[int]] = {}
    for found in working:
        by_sessions.setdefault(",".join(map(str, found.sessions)), []).append(found.day.day)
    for sessions, numbers in by_sessions.items():
        which = "every working day" if len(by_sessions) == 1 else f"days {_runs(numbers)}"
        typer.echo(f"sessions {sessions}: {which}")


def _runs(numbers: list[int]) -> str:
    """``1-3,7`` for ``[1, 2, 3, 7]``."""
    runs: list[list[int]] = []
    for number in numbers:
        if runs and number == runs[-1][-1] + 1:
            runs[-1].append(number)
        else:
            runs.append([number])
    return ",".join(f"{r[0]}-{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs)


add_calendar_commands(calendar_app, _store_settings, _run_store_command)


def main() -> None:
    """Entry point of ``python -m gateway`` and the ``truc-gateway`` script."""
    app()
