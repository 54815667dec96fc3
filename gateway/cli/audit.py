"""``audit verify|list``: the hash-chained audit log (gateway/core/audit.py).

``audit verify`` walks the whole chain: it prints the number of entries and exits 0 when every
entry chains onto the one before and the recorded head matches; it exits
:data:`~gateway.exits.EXIT_AUDIT_BROKEN` (1) naming the first broken entry (its ``seq``) when a
row was changed, removed or inserted outside the log. ``audit list`` pages the entries, newest
first, times in +07:00.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time
from typing import Annotated, Any

import typer

from gateway.cli.context import run_store_command, store_settings
from gateway.cli.output import OutputOption, columns, emit, exit_with, note
from gateway.exits import EXIT_AUDIT_BROKEN, EXIT_BAD_INPUT

app = typer.Typer(help="The hash-chained audit log: verify it, list it.", no_args_is_help=True)

#: Columns of ``audit list`` as a table (the JSON has every field, hashes included).
LIST_COLUMNS = ("seq", "at", "actor", "action", "target", "reason", "channel")


def _with_log(action: Any) -> None:
    from gateway.core.clock import SystemClock
    from gateway.runtime import open_people, open_store

    settings = store_settings()

    async def run() -> None:
        async with open_store(settings, create=False) as store:
            _, audit = open_people(settings, store, SystemClock())
            await action(audit)

    run_store_command(run)


def _verdict_lines(verdict: dict[str, Any]) -> Iterable[str]:
    if verdict["ok"]:
        yield f"audit log intact: {verdict['entries']} entries"
    else:
        yield f"audit log BROKEN at entry {verdict['broken_seq']}: {verdict['problem']}"
        yield f"({verdict['entries']} entries before it verified)"


@app.command("verify")
def verify(output: OutputOption = None) -> None:
    """Check the whole chain: exit 0 with the number of entries, or 1 naming the first broken
    entry."""

    async def action(audit: Any) -> None:
        verdict = await audit.verify()
        emit(verdict.as_dict(), output, _verdict_lines)
        if not verdict.ok:
            exit_with(
                f"AUDIT_BROKEN: entry {verdict.broken_seq}: {verdict.problem}", EXIT_AUDIT_BROKEN
            )

    _with_log(action)


def _since(text: str | None) -> datetime | None:
    """``--since``: an ISO date (midnight +07:00) or instant (+07:00 without an offset)."""
    from gateway.core.clock import VN_TZ

    if text is None:
        return None
    try:
        if "T" in text or " " in text:
            moment = datetime.fromisoformat(text)
        else:
            moment = datetime.combine(date.fromisoformat(text), time())
    except ValueError:
        exit_with(f"--since {text!r} is not an ISO date or instant", EXIT_BAD_INPUT)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=VN_TZ)


@app.command("list")
def list_(
    action_: Annotated[
        str | None, typer.Option("--action", help="Only this action (e.g. sign_in_failed).")
    ] = None,
    actor: Annotated[
        str | None, typer.Option(help="Only this actor (a username, cli, system:ID).")
    ] = None,
    since: Annotated[
        str | None, typer.Option(help="From this date or instant on (+07:00 when no offset).")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="Entries per page.")] = 50,
    before: Annotated[
        int | None,
        typer.Option(help="The page below this seq (the last seq of the previous page)."),
    ] = None,
    output: OutputOption = None,
) -> None:
    """List entries, newest first (a page of --limit; --before SEQ for the next page)."""
    from gateway.core.actors import Action

    if action_ is not None and action_ not in {a.value for a in Action}:
        exit_with(
            f"--action {action_!r} is none of: {', '.join(a.value for a in Action)}", EXIT_BAD_INPUT
        )
    start = _since(since)

    async def action(audit: Any) -> None:
        page = await audit.page(
            limit=limit, before_seq=before, action=action_, actor=actor, since=start
        )
        rows = [entry.as_dict() for entry in page]
        emit(rows, output, lambda found: columns(found, LIST_COLUMNS))
        if len(page) == limit:
            note(f"more: --before {page[-1].seq}")

    _with_log(action)
