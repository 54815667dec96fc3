"""The ``calendar`` group: the business calendar of office hours, working days and legal times.

``legal-time`` and ``month`` read files and options only. ``override add|list|remove`` and
``recompute`` work on the configured database (``GATEWAY_DATABASE_URL``), which they never
create (run ``python -m gateway migrate`` first), with the node's calendar as the settings build
it (``GATEWAY_CALENDAR_FILE``, ``GATEWAY_OFFICE_HOURS``, the stored rows). A running node picks
up rows changed here within ``GATEWAY_CALENDAR_REFRESH_SECONDS``; stored legal times change only
with ``recompute``.
"""

from __future__ import annotations

import getpass
import sys
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from gateway.cli.context import run_store_command, store_settings
from gateway.cli.output import (
    JsonOption,
    OutputOption,
    columns,
    emit,
    exit_with,
    json_line,
    note,
    record_lines,
)
from gateway.exits import EXIT_BAD_INPUT, EXIT_CONFIG

app = typer.Typer(
    help="The business calendar: office hours, working days, legal times.", no_args_is_help=True
)
override_app = typer.Typer(
    help="Operators' days off and make-up working days, stored in the database.",
    no_args_is_help=True,
)
app.add_typer(override_app, name="override")

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
DateArgument = Annotated[str, typer.Argument(help="The day, YYYY-MM-DD.")]


# -- from files and options ----------------------------------------------------------------------


def _calendar(table: Path | None, hours: str | None) -> Any:
    """The business calendar of the options; exit 2 with the coded error when it is refused."""
    from business_calendar.calendar import CalendarError
    from business_calendar.table import load_calendar

    try:
        return load_calendar(table, hours)
    except CalendarError as error:
        exit_with(str(error), EXIT_CONFIG)


@app.command("legal-time")
def legal_time(
    instant: Annotated[
        str,
        typer.Argument(
            help="ISO 8601 instant (any offset; none means +07:00), or - to read one per line "
            "from stdin."
        ),
    ],
    calendar: CalendarFile = None,
    hours: Hours = None,
    as_json: JsonOption = False,
) -> None:
    """Print the legal receipt time (ISO 8601, +07:00) of each instant, one per line (with
    --json, one JSON object per line: instant and legal_receipt_time)."""
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
            answer = str(legal(moment).isoformat())
        except CalendarError as error:
            raise ValueError(f"{value!r}: {error}") from None
        if as_json:
            return json_line({"instant": value, "legal_receipt_time": answer})
        return answer

    if instant != "-":
        try:
            typer.echo(convert(instant))
        except ValueError as error:
            exit_with(f"error: {error}", EXIT_BAD_INPUT)
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
        exit_with(f"error: line {number}: {error}", EXIT_BAD_INPUT)
    if out:
        sys.stdout.write("\n".join(out) + "\n")


_MARKS = {"working": " ", "make_up": "+", "weekend": ".", "holiday": "*"}


def _month_json(cal: Any, days: list[Any]) -> dict[str, Any]:
    working = [found for found in days if found.working]
    return {
        "month": f"{days[0].day:%Y-%m}",
        "calendar": cal.label,
        "calendar_version": cal.version,
        "timezone": "Asia/Ho_Chi_Minh",
        "working_days": len(working),
        "make_up_days": sum(1 for found in working if found.kind.value == "make_up"),
        "holidays": sum(1 for found in days if found.kind.value == "holiday"),
        "days": [
            {
                "date": found.day.isoformat(),
                "kind": found.kind.value,
                "working": found.working,
                "name": found.name,
                "source": found.source,
                "confidence": found.confidence,
                "sessions": [str(session) for session in found.sessions],
            }
            for found in days
        ],
    }


def _month_table(month: dict[str, Any]) -> list[str]:
    """The month as a grid, then its named days, counts and sessions."""
    days = month["days"]
    first = date.fromisoformat(days[0]["date"])
    lines = [
        f"{month['month']}  calendar {month['calendar']} {month['calendar_version']}  "
        "Asia/Ho_Chi_Minh (+07:00)",
        " Mo  Tu  We  Th  Fr  Sa  Su",
    ]
    cells = ["    "] * first.weekday()
    cells += [f"{date.fromisoformat(d['date']).day:3d}{_MARKS[d['kind']]}" for d in days]
    lines += ["".join(cells[start : start + 7]).rstrip() for start in range(0, len(cells), 7)]
    lines += ["(* holiday or day off, + make-up working day, . weekend)", ""]
    for found in days:
        if found["kind"] in ("working", "weekend"):
            continue
        line = (
            f"{date.fromisoformat(found['date']):%Y-%m-%d %a}  {found['kind']:<8} {found['name']}"
        )
        if found["source"]:
            confidence = found["confidence"]
            line += f"  [{found['source']}" + (
                f", {confidence} confidence]" if confidence not in ("", "high") else "]"
            )
        lines.append(line)
    lines.append(
        f"working days: {month['working_days']} (make-up {month['make_up_days']}); "
        f"holidays and days off: {month['holidays']}"
    )
    by_sessions: dict[str, list[int]] = {}
    for found in days:
        if found["working"]:
            day = date.fromisoformat(found["date"]).day
            by_sessions.setdefault(",".join(found["sessions"]), []).append(day)
    for sessions, numbers in by_sessions.items():
        which = "every working day" if len(by_sessions) == 1 else f"days {_runs(numbers)}"
        lines.append(f"sessions {sessions}: {which}")
    return lines


@app.command("month")
def month(
    month: Annotated[str, typer.Argument(help="The month, YYYY-MM.")],
    calendar: CalendarFile = None,
    hours: Hours = None,
    output: OutputOption = None,
) -> None:
    """Print a month: its working days, holidays (with names and sources) and make-up days."""
    cal = _calendar(calendar, hours)
    year_text, sep, month_text = month.strip().partition("-")
    try:
        if not (sep and len(year_text) == 4 and len(month_text) == 2):
            raise ValueError(month)
        days = cal.month(int(year_text), int(month_text))
    except ValueError:
        exit_with(f"error: month {month!r} is not YYYY-MM", EXIT_BAD_INPUT)
    emit(_month_json(cal, days), output, _month_table)


def _runs(numbers: list[int]) -> str:
    """``1-3,7`` for ``[1, 2, 3, 7]``."""
    runs: list[list[int]] = []
    for number in numbers:
        if runs and number == runs[-1][-1] + 1:
            runs[-1].append(number)
        else:
            runs.append([number])
    return ",".join(f"{r[0]}-{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs)


# -- on the configured database ------------------------------------------------------------------


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        exit_with(f"error: {text!r} is not a date (YYYY-MM-DD)", EXIT_BAD_INPUT)


def _operator() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no user name in the environment or password database
        return "cli"


def _row_json(stored: Any) -> dict[str, Any]:
    from gateway.core.clock import VN_TZ

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


def _change_table(change: dict[str, Any]) -> list[str]:
    return [*record_lines(change["override"]), f"calendar version now {change['calendar_version']}"]


def _with_calendar(action: Callable[[Any, Any], Awaitable[None]]) -> None:
    """Run ``action(calendar_admin, store)`` on the configured database."""
    from business_calendar.calendar import CalendarError
    from gateway.core.clock import SystemClock
    from gateway.logging import configure_logging
    from gateway.runtime import open_calendar, open_people, open_store

    settings = store_settings()
    # stdout carries the command's answer; only warnings and errors are logged (stderr).
    configure_logging("WARNING", json=settings.log_json)

    async def run() -> None:
        async with open_store(settings, create=False) as store:
            clock = SystemClock()
            _, audit = open_people(settings, store, clock)  # changes audited as `cli`
            try:
                admin = await open_calendar(settings, store, clock, audit)
            except CalendarError as error:
                exit_with(str(error), EXIT_CONFIG)
            await action(admin, store)

    run_store_command(run)


@override_app.command("add")
def override_add(
    day: DateArgument,
    kind: Annotated[str, typer.Option(help="day_off or make_up_workday.")],
    source: Annotated[str, typer.Option(help="The notice that sets the day (required).")],
    name: Annotated[str, typer.Option(help="The day's name.")] = "",
    confidence: Annotated[str, typer.Option(help="high, medium or low.")] = "high",
    output: OutputOption = None,
) -> None:
    """Add a day off or make-up working day from a published notice."""
    from gateway.core.calendar_admin import checked_override

    when = _day(day)

    async def action(admin: Any, store: Any) -> None:
        row = checked_override(when, kind, name, source, confidence)  # coded refusal: exit 1
        stored = await admin.add(None, row, _operator())
        out = {"override": _row_json(stored), "calendar_version": admin.legal.version}
        emit(out, output, _change_table)
        note(
            "stored legal times keep their version: run `python -m gateway calendar "
            f"recompute --from {row.day}` to recompute them"
        )

    _with_calendar(action)


@override_app.command("list")
def override_list(output: OutputOption = None) -> None:
    """List the operators' rows, by date."""

    async def action(admin: Any, store: Any) -> None:
        emit([_row_json(r) for r in await admin.list()], output, columns)

    _with_calendar(action)


@override_app.command("remove")
def override_remove(day: DateArgument, output: OutputOption = None) -> None:
    """Remove the operators' row of a day."""
    when = _day(day)

    async def action(admin: Any, store: Any) -> None:
        removed = await admin.remove(None, when)
        out = {"override": _row_json(removed), "calendar_version": admin.legal.version}
        emit(out, output, _change_table)

    _with_calendar(action)


def _report_table(report: dict[str, Any]) -> list[str]:
    verb = "changed" if report["applied"] else "would change"
    return [
        f"recomputed since {report['since']} with calendar {report['calendar_version']}",
        f"documents: {report['documents']} ({verb} {report['documents_changed']})",
        f"copies: {report['copies']} ({verb} {report['copies_changed']})",
        f"same values, new calendar version: {report['restamped']}",
        *(
            [f"statistics: {report['stats_recount']} copies to count again (the node's worker)"]
            if report["applied"]
            else []
        ),
        *(f"  {line}" for line in report["examples"]),
    ]


@app.command("recompute")
def recompute(
    since: Annotated[
        str, typer.Option("--from", help="Documents accepted since this day (+07:00).")
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Report what would change; write nothing.")
    ] = False,
    output: OutputOption = None,
) -> None:
    """Recompute the stored legal times since a day with the current calendar."""
    from gateway.core.recompute import recompute as run_recompute

    first = _day(since)

    async def action(admin: Any, store: Any) -> None:
        report = await run_recompute(store, admin.legal, first, apply=not dry_run)
        emit(report.as_dict(), output, _report_table)

    _with_calendar(action)
