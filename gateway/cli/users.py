"""``users add|list|disable|enable|passwd|token``: the people who operate the node.

People are not document systems (those are ``systems ...``). A password given on stdin (when
stdin is not a terminal) is used as it is; otherwise one is generated and printed **once**, like a
system's secret. A personal API token (``users token``) is printed once too; the node keeps only
the password's argon2id hash and the token's SHA-256. ``--as USERNAME`` signs that person in first
(their password is the first line of stdin off a terminal) and the audit log names them; without
it the command acts as ``cli``. Output follows gateway/cli/output.py (JSON with ``--json`` or off a
terminal, tables on one).
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable, Iterable
from typing import Annotated, Any

import typer

from gateway.cli.actor import AsOption, read_secret
from gateway.cli.context import run_store_command, store_settings
from gateway.cli.output import OutputOption, columns, emit, exit_with, record_lines
from gateway.exits import EXIT_BAD_INPUT

app = typer.Typer(
    help="People who operate the node: roles, passwords, tokens.", no_args_is_help=True
)

UserArgument = Annotated[str, typer.Argument(help="The username (a-z, 0-9, '.', '_', '-').")]
RoleOption = Annotated[str, typer.Option("--role", help="operator, auditor or admin.")]
#: Columns of ``users list`` as a table.
LIST_COLUMNS = ("username", "role", "enabled", "created_at", "password_changed_at")


def _with_people(action: Callable[[Any, Any], Awaitable[None]], acting: str | None = None) -> None:
    """Run ``action(people, by)`` on the configured store; ``by`` is the person ``acting``
    once signed in, or None (``cli``)."""
    from gateway.cli.actor import resolve_actor
    from gateway.core.clock import SystemClock
    from gateway.runtime import open_people, open_store

    settings = store_settings()

    async def run() -> None:
        async with open_store(settings, create=False) as store:
            people, _ = open_people(settings, store, SystemClock())
            by = None if acting is None else await resolve_actor(people, acting)
            await action(people, by)

    run_store_command(run)


def _given_password(prompt: str) -> str | None:
    """A password chosen by the person running the command: the next line of stdin when stdin
    is no terminal (None when empty: generate one), else typed twice at the terminal (empty:
    generate one)."""
    if not sys.stdin.isatty():
        return read_secret(prompt) or None
    first = read_secret(prompt + " (empty: generate one): ")
    if not first:
        return None
    if read_secret("again: ") != first:
        exit_with("the two passwords differ; nothing changed", EXIT_BAD_INPUT)
    return first


def _user_table(record: dict[str, Any]) -> Iterable[str]:
    yield from record_lines(record)
    if "password" in record or "token" in record:
        yield "(shown once: the node keeps only its hash and cannot show it again)"


@app.command("add")
def add(
    username: UserArgument,
    role: RoleOption,
    acting: AsOption = None,
    output: OutputOption = None,
) -> None:
    """Add a person; prints the generated password once (unless one is given on stdin)."""

    async def action(people: Any, by: Any) -> None:
        password = _given_password(f"password for {username}") if not sys.stdin.isatty() else None
        user, generated = await people.add(username, role, password=password, by=by)
        out = user.as_dict()
        if generated is not None:
            out["password"] = generated
        emit(out, output, _user_table)

    _with_people(action, acting)


@app.command("list")
def list_(acting: AsOption = None, output: OutputOption = None) -> None:
    """List the people (never their passwords)."""

    async def action(people: Any, by: Any) -> None:
        users = [u.as_dict() for u in await people.list(by=by)]
        emit(users, output, lambda rows: columns(rows, LIST_COLUMNS))

    _with_people(action, acting)


def _set_enabled(
    username: str, enabled: bool, reason: str | None, acting: str | None, output: bool | None
) -> None:
    async def action(people: Any, by: Any) -> None:
        user = await people.set_enabled(username, enabled, by=by, reason=reason)
        emit(user.as_dict(), output)

    _with_people(action, acting)


ReasonOption = Annotated[str | None, typer.Option(help="Why (kept in the audit log).")]


@app.command("disable")
def disable(
    username: UserArgument,
    reason: ReasonOption = None,
    acting: AsOption = None,
    output: OutputOption = None,
) -> None:
    """Disable a person: no sign-in, and their personal tokens stop working."""
    _set_enabled(username, False, reason, acting, output)


@app.command("enable")
def enable(
    username: UserArgument,
    reason: ReasonOption = None,
    acting: AsOption = None,
    output: OutputOption = None,
) -> None:
    """Enable a disabled person again (their tokens work again)."""
    _set_enabled(username, True, reason, acting, output)


@app.command("passwd")
def passwd(username: UserArgument, acting: AsOption = None, output: OutputOption = None) -> None:
    """Set a new password (typed twice, or a line of stdin; empty: generated and printed once);
    lifts a lock-out."""

    async def action(people: Any, by: Any) -> None:
        password = _given_password(f"new password for {username}")
        user, generated = await people.set_password(username, password, by=by)
        out = user.as_dict()
        if generated is not None:
            out["password"] = generated
        emit(out, output, _user_table)

    _with_people(action, acting)


@app.command("token")
def token(username: UserArgument, acting: AsOption = None, output: OutputOption = None) -> None:
    """Issue a personal API token (for scripts; `Authorization: Bearer ...`), printed once."""

    async def action(people: Any, by: Any) -> None:
        issued = await people.create_token(username, by=by)
        emit({"username": username.strip().lower(), "token": issued}, output, _user_table)

    _with_people(action, acting)
