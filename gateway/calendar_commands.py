"""The ``calendar override ...`` and ``calendar recompute`` commands (added to the CLI's
``calendar`` group by :func:`add_calendar_commands`).

They work on the configured database (``GATEWAY_DATABASE_URL``), which they never create (run
``python -m gateway migrate`` first), with the node's calendar as the settings build it
(``GATEWAY_CALENDAR_FILE``, ``GATEWAY_OFFICE_HOURS``, the stored rows). A running node picks up
rows changed here within ``GATEWAY_CALENDAR_REFRESH_SECONDS``; stored legal times change only
with ``recompute``.
"""

from __future__ import annotations

import getpass
import json
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Annotated, Any

import typer

from gateway.core.clock import VN_TZ
from gateway.exits import EXIT_BAD_INPUT, EXIT_CONFIG
from gateway.settings import Settings

DateArgument = Annotated[str, typer.Argument(help="The day, YYYY-MM-DD.")]


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        typer.echo(f"error: {text!r} is not a date (YYYY-MM-DD)", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None


def _operator() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no user name in the environment or password database
        return "cli"


def _row_json(stored: Any) -> dict[str, Any]:
    o = stored.override
    return {
        "date": o.day.isoformat(),
        "kind": o.kind.value,
        "name": o.name,
        "source": o.source,
        "confidence": o.confidence,
        "created_at": stored.created_at.astimezone(VN_TZ).isoformat(),
        "created_by": stored.created_by,
    }


def add_calendar_commands(
    calendar_app: typer.Typer,
    settings_of: Callable[[], Settings],
    run_store_command: Callable[[Callable[[], Awaitable[None]]], None],
) -> None:
    """Add ``override add|list|remove`` and ``recompute`` to the ``calendar`` group."""
    override_app = typer.Typer(
        help="Operators' days off and make-up working days, stored in the database.",
        no_args_is_help=True,
    )
    calendar_app.add_typer(override_app, name="override")

    def with_calendar(action: Callable[[Any, Any], Awaitable[None]]) -> None:
        """Run ``action(calendar_admin, store)`` on the configured database."""
        from gateway.core.calendar import CalendarError
        from gateway.core.clock import SystemClock
        from gateway.logging import configure_logging
        from gateway.runtime import open_calendar, open_store

        settings = settings_of()
        # stdout carries the command's answer; only warnings and errors are logged (stderr).
        configure_logging("WARNING", json=settings.log_json)

        async def run() -> None:
            async with open_store(settings, create=False) as store:
                try:
                    admin = await open_calendar(settings, store, SystemClock())
                except CalendarError as error:
                    typer.echo(str(error), err=True)
                    raise typer.Exit(EXIT_CONFIG) from None
                await action(admin, store)

        run_store_command(run)

    @override_app.command("add")
    def override_add(
        day: DateArgument,
        kind: Annotated[str, typer.Option(help="day_off or make_up_workday.")],
        source: Annotated[str, typer.Option(help="The notice that sets the day (required).")],
        name: Annotated[str, typer.Option(help="The day's name.")] = "",
        confidence: Annotated[str, typer.Option(help="high, medium or low.")] = "high",
    ) -> None:
        """Add a day off or make-up working day from a published notice."""
        from gateway.core.calendar_admin import checked_override

        when = _day(day)

        async def action(admin: Any, store: Any) -> None:
            row = checked_override(when, kind, name, source, confidence)  # coded refusal: exit 1
            stored = await admin.add(None, row, _operator())
            out = {"override": _row_json(stored), "calendar_version": admin.legal.version}
            typer.echo(json.dumps(out, ensure_ascii=False, indent=2))
            typer.echo(
                "stored legal times keep their version: run `python -m gateway calendar "
                f"recompute --from {row.day}` to recompute them",
                err=True,
            )

        with_calendar(action)

    @override_app.command("list")
    def override_list() -> None:
        """List the operators' rows as JSON, by date."""

        async def action(admin: Any, store: Any) -> None:
            rows = await admin.list()
            typer.echo(json.dumps([_row_json(r) for r in rows], ensure_ascii=False, indent=2))

        with_calendar(action)

    @override_app.command("remove")
    def override_remove(day: DateArgument) -> None:
        """Remove the operators' row of a day."""
        when = _day(day)

        async def action(admin: Any, store: Any) -> None:
            removed = await admin.remove(None, when)
            out = {"override": _row_json(removed), "calendar_version": admin.legal.version}
            typer.echo(json.dumps(out, ensure_ascii=False, indent=2))

        with_calendar(action)

    @calendar_app.command("recompute")
    def recompute(
        since: Annotated[
            str, typer.Option("--from", help="Documents accepted since this day (+07:00).")
        ],
        dry_run: Annotated[
            bool, typer.Option("--dry-run", help="Report what would change; write nothing.")
        ] = False,
        as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    ) -> None:
        """Recompute the stored legal times since a day with the current calendar."""
        from gateway.core.recompute import recompute as run_recompute

        first = _day(since)

        async def action(admin: Any, store: Any) -> None:
            report = await run_recompute(store, admin.legal, first, apply=not dry_run)
            if as_json:
                typer.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
                return
            verb = "would change" if dry_run else "changed"
            typer.echo(f"recomputed since {first} with calendar {report.version}")
            typer.echo(f"documents: {report.documents} ({verb} {report.documents_changed})")
            typer.echo(f"copies: {report.copies} ({verb} {report.copies_changed})")
            typer.echo(f"same values, new calendar version: {report.restamped}")
            for line in report.examples:
                typer.echo(f"  {line}")

        with_calendar(action)
