"""``systems add|list|enable|disable|rotate-secret|rotate-token|grant``: the connected document
systems and their grants, on the configured store (which these commands never create).

A secret or token generated here is printed once, in the JSON and in the table alike (the node
keeps the secret encrypted and only the token's hash). Every change is appended to the audit log,
by ``cli`` or, with ``--as USERNAME``, by that person once signed in (gateway/cli/actor.py).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Annotated, Any

import typer

from gateway.cli.actor import AsOption
from gateway.cli.context import run_store_command, store_settings
from gateway.cli.output import OutputOption, columns, emit, record_lines
from gateway.settings import Settings

app = typer.Typer(help="Connected document systems and their grants.", no_args_is_help=True)

SystemArgument = Annotated[str, typer.Argument(help="The systemid the SDK sends.")]
AgencyOption = Annotated[
    list[str], typer.Option("--agency", help="Agency code or subtree (repeatable).")
]
#: ``--agency`` where it may be left out: an admin system needs no grant, ``grant --admin`` none.
OptionalAgencyOption = Annotated[
    list[str] | None,
    typer.Option(
        "--agency",
        help="Agency code or subtree (repeatable): what the system sends as and receives for. "
        "An --admin system that only calls registerAgency/deleteAgency needs none.",
    ),
]
#: Columns of ``systems list`` as a table (``created_at`` and ``description`` in the JSON).
LIST_COLUMNS = ("system_id", "enabled", "admin", "node_link", "grants")


def _with_admin(
    settings: Settings, action: Callable[[Any, Any], Awaitable[None]], acting: str | None = None
) -> None:
    """Run ``action(admin, by)`` against the configured store (which it never creates): ``by``
    is the person ``acting`` once signed in, or None (``cli``), whom the audit log names."""
    from gateway.cli.actor import resolve_actor
    from gateway.core.clock import SystemClock
    from gateway.core.secrets import SecretBox
    from gateway.core.systems import SystemAdmin
    from gateway.directory import load_registry
    from gateway.runtime import open_people, open_store

    async def run() -> None:
        async with open_store(settings, create=False) as store:
            clock = SystemClock()
            people, audit = open_people(settings, store, clock)
            by = None if acting is None else await resolve_actor(people, acting)
            admin = SystemAdmin(
                store,
                SecretBox(settings.secret_key.get_secret_value()),
                load_registry(settings),
                clock,
                audit,
            )
            await action(admin, by)

    run_store_command(run)


def system_json(system: Any) -> dict[str, Any]:
    """A system as the commands print it (never its secret or token hash)."""
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


def _system_table(record: dict[str, Any]) -> Iterable[str]:
    yield from record_lines(record)
    if "secret" in record or "token" in record:
        yield "(shown once: the node cannot show this secret or token again)"


def _emit_system(record: dict[str, Any], output: bool | None) -> None:
    emit(record, output, _system_table)


@app.command("add")
def add(
    system_id: SystemArgument,
    agency: OptionalAgencyOption = None,
    secret: Annotated[
        str | None, typer.Option(help="The VXP secret; generated and printed once when omitted.")
    ] = None,
    admin: Annotated[
        bool, typer.Option(help="May call registerAgency/deleteAgency (no routing grant).")
    ] = False,
    description: Annotated[str, typer.Option(help="Free text for operators.")] = "",
    node_link: Annotated[
        bool,
        typer.Option(
            "--node-link",
            help="Another axis node (a provincial node at the national node): may use "
            "reportDelivery, nextDocId and failCode (docs/axes.md).",
        ),
    ] = False,
    acting: AsOption = None,
    output: OutputOption = None,
) -> None:
    """Register a connected system; prints its secret (when generated) and API token once."""
    settings = store_settings()

    async def action(admin_: Any, by: Any) -> None:
        done = await admin_.add(
            system_id,
            agency or [],
            secret=secret,
            admin=admin,
            description=description,
            node_link=node_link,
            by=by,
        )
        out = system_json(done.system)
        if secret is None:
            out["secret"] = done.secret
        out["token"] = done.token
        _emit_system(out, output)

    _with_admin(settings, action, acting)


@app.command("list")
def list_(output: OutputOption = None) -> None:
    """List the connected systems (never their secrets)."""
    settings = store_settings()

    async def action(admin_: Any, by: Any) -> None:
        systems = [system_json(s) for s in await admin_.list()]
        emit(systems, output, lambda rows: columns(rows, LIST_COLUMNS))

    _with_admin(settings, action)


async def _show(pending: Awaitable[Any], output: bool | None) -> None:
    _emit_system(system_json(await pending), output)


@app.command("disable")
def disable(
    system_id: SystemArgument, acting: AsOption = None, output: OutputOption = None
) -> None:
    """Disable a system: its calls fail authentication until enabled again."""
    _with_admin(
        store_settings(),
        lambda a, by: _show(a.set_enabled(system_id, False, by=by), output),
        acting,
    )


@app.command("enable")
def enable(system_id: SystemArgument, acting: AsOption = None, output: OutputOption = None) -> None:
    """Enable a disabled system."""
    _with_admin(
        store_settings(),
        lambda a, by: _show(a.set_enabled(system_id, True, by=by), output),
        acting,
    )


@app.command("rotate-secret")
def rotate_secret(
    system_id: SystemArgument,
    secret: Annotated[
        str | None, typer.Option(help="The new secret; generated when omitted.")
    ] = None,
    acting: AsOption = None,
    output: OutputOption = None,
) -> None:
    """Replace a system's VXP secret; prints the system with the generated secret once (like
    `add`)."""
    settings = store_settings()

    async def action(admin_: Any, by: Any) -> None:
        new = await admin_.rotate_secret(system_id, secret, by=by)
        out = system_json(await admin_.store.get_system(system_id))
        if secret is None:
            out["secret"] = new
        _emit_system(out, output)

    _with_admin(settings, action, acting)


@app.command("rotate-token")
def rotate_token(
    system_id: SystemArgument, acting: AsOption = None, output: OutputOption = None
) -> None:
    """Issue a new native-API bearer token; prints the system with its token once."""

    async def action(admin_: Any, by: Any) -> None:
        token = await admin_.rotate_token(system_id, by=by)
        out = system_json(await admin_.store.get_system(system_id))
        out["token"] = token
        _emit_system(out, output)

    _with_admin(store_settings(), action, acting)


@app.command("grant")
def grant(
    system_id: SystemArgument,
    agency: OptionalAgencyOption = None,
    revoke: Annotated[bool, typer.Option(help="Remove these grants instead.")] = False,
    replace: Annotated[bool, typer.Option(help="Set exactly these grants.")] = False,
    admin: Annotated[
        bool | None, typer.Option("--admin/--no-admin", help="Give or take the registry grant.")
    ] = None,
    node_link: Annotated[
        bool | None,
        typer.Option("--node-link/--no-node-link", help="Mark or unmark as another axis node."),
    ] = None,
    acting: AsOption = None,
    output: OutputOption = None,
) -> None:
    """Add, remove or set the agency codes a system may act for (and receives for)."""

    async def action(admin_: Any, by: Any) -> None:
        await admin_.grant(system_id, agency or [], revoke=revoke, replace=replace, by=by)
        if admin is not None:
            await admin_.set_admin(system_id, admin, by=by)
        if node_link is not None:
            await admin_.set_node_link(system_id, node_link, by=by)
        await _show(admin_.store.get_system(system_id), output)

    _with_admin(store_settings(), action, acting)
