"""``stats summary|export|report|rebuild``: the exchange figures in legal time (docs/statistics.md).

Each command first brings the rollups up to date (what the node's worker does every few seconds),
so the figures are current even when no node runs, then reads them like the API does. Periods are
local (+07:00) dates; ``--agency CODE`` rolls that agency's registry subtree up.
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from gateway.cli.context import run_store_command, store_settings
from gateway.cli.output import OutputOption, emit, exit_with, note, record_lines
from gateway.exits import EXIT_BAD_INPUT, EXIT_CONFIG

app = typer.Typer(
    help="Exchange statistics in legal time, exports, the 6-monthly report.", no_args_is_help=True
)

FromOption = Annotated[str, typer.Option("--from", help="First day (YYYY-MM-DD, +07:00).")]
ToOption = Annotated[str, typer.Option("--to", help="Last day, included.")]
AgencyOption = Annotated[
    str | None, typer.Option("--agency", help="Roll this agency's subtree up (default: the node).")
]


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        exit_with(f"error: {text!r} is not a date (YYYY-MM-DD)", EXIT_BAD_INPUT)


def _with_stats(action: Callable[[Any, Any], Awaitable[None]], *, progress: bool = False) -> None:
    """Run ``action(statistics, settings)`` on the configured database, rollups caught up."""
    from business_calendar.calendar import CalendarError
    from gateway.core.clock import SystemClock
    from gateway.core.errors import ExchangeError
    from gateway.core.stats.service import Statistics
    from gateway.directory import load_registry
    from gateway.logging import configure_logging
    from gateway.runtime import open_calendar, open_people, open_store
    from gateway.workers.stats import StatsWorker

    settings = store_settings()
    configure_logging("WARNING", json=settings.log_json)

    async def run() -> None:
        async with open_store(settings, create=False) as store:
            clock = SystemClock()
            _, audit = open_people(settings, store, clock)
            try:
                calendar = await open_calendar(settings, store, clock, audit)
            except CalendarError as error:
                exit_with(str(error), EXIT_CONFIG)
            worker = StatsWorker(
                store, clock, lambda: calendar.legal.calendar, batch=5000, refresh=calendar.reload
            )
            watermark, _, newest, _ = await store.stats_state()
            behind = max(0, newest - watermark)
            if progress and behind > 20000:
                with typer.progressbar(
                    length=behind, label="counting history", file=sys.stderr
                ) as bar:
                    while True:
                        result = await worker.tick()
                        bar.update(result.events)
                        if result.events < worker.batch:
                            break
            await worker.catch_up()  # the rest, and copies a recompute marked
            stats = Statistics(
                store, load_registry(settings), lambda: calendar.legal.calendar, clock,
                node_id=settings.node_id,
            )  # fmt: skip
            try:
                await action(stats, settings)
            except ExchangeError as error:
                exit_with(f"{error.code}: {error.message}", EXIT_BAD_INPUT)

    run_store_command(run)


def _pairs(values: dict[str, Any]) -> str:
    return ", ".join(f"{k} {v}" for k, v in values.items())


def _summary_lines(body: dict[str, Any]) -> list[str]:
    f = body["figures"]
    d, s, r = f["documents"], f["as_sender"], f["as_recipient"]
    p, fresh = body["period"], body["freshness"]
    scope = body["scope"]["code"] or "the whole node"
    tech, legal, notice, done = r["technical_delay"], r["legal_delay"], r["notice"], r["processing"]
    st = r["statuses"]
    rows = {
        "period": f"{p['start']} .. {p['end']} ({p['label']})",
        "scope": scope + "".join(f" (+{x['source']} merged)" for x in body["scope"]["redirects"]),
        "documents sent": d["sent"],
        "urgent": f"{d['urgent']} ({d['urgent_share']})",
        "sent on time": f"{d['send_on_time']}, late {d['send_late']} ({d['send_on_time_share']})",
        "copies sent": f"{s['copies']}: {_pairs(s['outcomes'])}",
        "copies received": f"{r['copies']}: {_pairs(r['outcomes'])}",
        "failures": _pairs(s["failed_by_code"]) or "-",
        "technical delay": f"p50 {tech['p50']}, p95 {tech['p95']} min",
        "legal delay": f"p50 {legal['p50']}, p95 {legal['p95']} working min",
        "out of hours": f"{r['out_of_hours']} ({r['out_of_hours_share']})",
        "same-day notice": f"{notice['on_time']} on time, {notice['late']} late, "
        f"{notice['missing']} missing ({notice['share_on_time']})",
        "rejections (02)": st["02"],
        "revoke 13/15/16": f"{st['13']}/{st['15']}/{st['16']}",
        "processing": f"{done['on_time']} on time, {done['late']} late, "
        f"{done['overdue_open']} overdue open",
        "backlog": _pairs(r["backlog"]),
        "signatures": _pairs(d["signatures"]) or "-",
        "counted up to": f"entry #{fresh['watermark']} of {fresh['newest']}",
    }
    return record_lines(rows)


@app.command("summary")
def summary(
    start: FromOption,
    end: ToOption,
    agency: AgencyOption = None,
    recount: Annotated[
        bool, typer.Option("--recount", help="Also recount from the raw tables and compare (slow).")
    ] = False,
    output: OutputOption = None,
) -> None:
    """Print every figure of a period, for the node or one agency."""
    first, last = _day(start), _day(end)

    async def action(stats: Any, settings: Any) -> None:
        from gateway.api.stats import summary_body
        from gateway.core.stats.periods import date_range

        period = date_range(first, last)
        found = await stats.summary(period, agency)
        body = summary_body(found).model_dump(mode="json")
        if recount:
            counted = await stats.recount(period, agency)
            same = asdict(counted) == asdict(found.figures)
            body["recount_equal"] = same
            note("recount: " + ("equal to the rollups" if same else "DIFFERS from the rollups"))
        emit(body, output, _summary_lines)

    _with_stats(action)


@app.command("export")
def export(
    start: FromOption,
    end: ToOption,
    format: Annotated[str, typer.Option("--format", help="csv or xlsx.")],
    output_file: Annotated[Path, typer.Option("--output", help="The file to write.")],
    agency: AgencyOption = None,
    table: Annotated[
        str | None, typer.Option("--table", help="Only this table (default: every table).")
    ] = None,
) -> None:
    """Write the tables of a period as CSV (one file) or XLSX (one sheet per table)."""
    first, last = _day(start), _day(end)
    if format not in ("csv", "xlsx"):
        exit_with(f"error: --format is csv or xlsx, not {format!r}", EXIT_BAD_INPUT)

    async def action(stats: Any, settings: Any) -> None:
        from gateway.core.stats import exports, tables
        from gateway.core.stats.periods import date_range
        from gateway.core.stats.service import DAILY_DAYS

        period = date_range(first, last)
        names = [table] if table else list(tables.TABLE_NAMES)
        unknown = [n for n in names if n not in tables.TABLE_NAMES]
        if unknown:
            exit_with(
                f"error: no table {unknown[0]!r}: {', '.join(tables.TABLE_NAMES)}", EXIT_BAD_INPUT
            )
        built: list[tables.Table] = []
        with typer.progressbar(names, label="building tables", file=sys.stderr) as bar:
            found = await stats.summary(period, agency)
            for name in bar:
                if name == tables.AGENCIES:
                    built.append(
                        tables.agencies(await stats.agencies(period, agency), found.figures)
                    )
                elif name == tables.DAILY:
                    if table or period.days <= DAILY_DAYS:  # asked for, or short enough
                        built.append(tables.daily(await stats.daily(period, agency)))
                else:
                    built.append(tables.BUILDERS[name](found.figures))
        if format == "xlsx":
            header = exports.header_of(found, settings.node_id, "THỐNG KÊ GỬI, NHẬN VĂN BẢN")
            content = exports.xlsx_bytes(built, header)
        else:
            content = b"".join(
                exports.csv_bytes(t)[(3 if i else 0) :] + (b"\r\n" if i < len(built) - 1 else b"")
                for i, t in enumerate(built)
            )
        output_file.write_bytes(content)
        note(f"wrote {output_file} ({len(content)} bytes, {len(built)} tables)")

    _with_stats(action, progress=True)


@app.command("report")
def report(
    period: Annotated[str, typer.Option("--period", help="2026-H1, 2026-Q3, 2026-05, 2026...")],
    output_file: Annotated[Path, typer.Option("--output", help="FILE.xlsx (or FILE.html).")],
    agency: AgencyOption = None,
) -> None:
    """Write the 6-monthly report: one workbook (Vietnamese headings, one sheet per section)."""

    async def action(stats: Any, settings: Any) -> None:
        from gateway.core.stats import exports, tables
        from gateway.core.stats.periods import parse_period

        chosen = parse_period(period)
        found = await stats.summary(chosen, agency)
        agencies = tables.agencies(await stats.agencies(chosen, agency), found.figures)
        sections = tables.sections(found.figures)
        if output_file.suffix.lower() == ".html":
            text = exports.report_html(found, agencies, sections, settings.node_id)
            output_file.write_text(text, encoding="utf-8")
        else:
            output_file.write_bytes(
                exports.report_xlsx(found, agencies, sections, settings.node_id)
            )
        count = len(agencies.rows) - 1
        note(f"wrote {output_file}: {chosen.start} .. {chosen.end}, {count} agencies")

    _with_stats(action, progress=True)


@app.command("rebuild")
def rebuild(output: OutputOption = None) -> None:
    """Forget the rollups and count the whole history again (after ``calendar recompute``)."""

    async def action(stats: Any, settings: Any) -> None:
        f = await stats.freshness()
        emit({"watermark": f.watermark, "newest": f.newest}, output)

    from gateway.cli.context import load_settings

    async def reset() -> None:
        from gateway.core.clock import SystemClock
        from gateway.runtime import open_store

        async with open_store(load_settings(), create=False) as store:
            await store.stats_reset(SystemClock().now())

    run_store_command(reset)
    _with_stats(action, progress=True)
