"""``/api/v1/stats``: exchange figures in legal time (docs/statistics.md).

Every route needs a person whose role has ``read_stats`` (the ``auditor`` role and up): a
personal token, ``Authorization: Bearer gwp_...``. A period is ``period=2026-H1`` (any form of
:func:`gateway.core.stats.periods.parse_period`) or ``from=DATE&to=DATE``; ``agency=CODE`` rolls
that agency's registry subtree up (default: the whole node). Tables answer JSON, or CSV/XLSX with
``format=csv|xlsx``; the 6-monthly report is one workbook (``format=xlsx``) or a printable page
(``format=html``).
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import HTMLResponse, Response

from gateway.api.actor import requires
from gateway.api.codes import MAX_CODE_LENGTH
from gateway.api.dependencies import RuntimeDep
from gateway.api.errors import ERROR_RESPONSES
from gateway.core.actors import Actor, Capability
from gateway.core.stats import answers, exports, tables
from gateway.core.stats.answers import build_table, period_of, report_parts
from gateway.core.stats.periods import Period
from gateway.core.stats.service import Summary
from gateway.runtime import statistics
from schemas.stats import (
    StatsColumn,
    StatsFigures,
    StatsFreshness,
    StatsPeriod,
    StatsRedirect,
    StatsScope,
    StatsSummary,
    StatsTable,
)

router = APIRouter(prefix="/stats", tags=["statistics"], responses=ERROR_RESPONSES)

ReadStats = Annotated[Actor, Depends(requires(Capability.READ_STATS))]


class TableFormat(StrEnum):
    """How a table is answered."""

    JSON = "json"
    CSV = "csv"
    XLSX = "xlsx"


class ReportFormat(StrEnum):
    """How the report is answered."""

    XLSX = "xlsx"
    HTML = "html"


PeriodQuery = Annotated[
    str | None,
    Query(
        max_length=20,
        description="A day 2026-03-02, week 2026-W10, month 2026-03, quarter 2026-Q1, half "
        "year 2026-H1 or year 2026 (+07:00).",
        examples=["2026-H1"],
    ),
]
FromQuery = Annotated[date | None, Query(alias="from", description="First day (with to).")]
ToQuery = Annotated[date | None, Query(alias="to", description="Last day, included.")]
AgencyQuery = Annotated[
    str | None,
    Query(
        max_length=MAX_CODE_LENGTH,
        description="Roll this agency's registry subtree up (merged agencies included); "
        "default the whole node.",
        examples=["H14"],
    ),
]


def _period(p: Period) -> StatsPeriod:
    return StatsPeriod(label=p.label, kind=p.kind, start=p.start, end=p.end)


def _scope(summary: Summary) -> StatsScope:
    s = summary.scope
    return StatsScope(
        code=s.code,
        name=s.name,
        whole=s.whole,
        agencies=sorted(s.keys),
        redirects=[StatsRedirect(source=r.source, target=r.target) for r in s.redirects],
    )


def summary_body(summary: Summary) -> StatsSummary:
    """The API body of a summary."""
    f = summary.freshness
    return StatsSummary(
        period=_period(summary.period),
        scope=_scope(summary),
        generated_at=summary.generated_at,
        freshness=StatsFreshness(
            watermark=f.watermark, newest=f.newest, updated_at=f.updated_at, recount=f.recount
        ),
        figures=StatsFigures.model_validate(asdict(summary.figures)),
    )


def _file(found: answers.File) -> Response:
    return Response(
        found.content,
        media_type=found.media_type,
        headers={"Content-Disposition": f'attachment; filename="{found.filename}"'},
    )


@router.get("/summary", response_model=StatsSummary, summary="Every figure of a period")
async def get_summary(
    runtime: RuntimeDep,
    _actor: ReadStats,
    period: PeriodQuery = None,
    start: FromQuery = None,
    end: ToQuery = None,
    agency: AgencyQuery = None,
    format: Annotated[TableFormat, Query(description="json, or every section as csv/xlsx")] = (
        TableFormat.JSON
    ),
) -> StatsSummary | Response:
    """Documents, copies and their outcomes, delays, notices, processing, backlog and
    signatures of the period, for the node or one agency (as sender and as recipient)."""
    stats = statistics(runtime)
    chosen = period_of(period, start, end)
    summary = await stats.summary(chosen, agency)
    if format is TableFormat.JSON:
        return summary_body(summary)
    return _file(answers.summary_file(summary, runtime.settings.node_id, format.value))


@router.get("/tables/{name}", response_model=StatsTable, summary="One table of figures")
async def get_table(
    runtime: RuntimeDep,
    _actor: ReadStats,
    name: Annotated[
        str, Path(description=f"One of {', '.join(tables.TABLE_NAMES)}.", max_length=20)
    ],
    period: PeriodQuery = None,
    start: FromQuery = None,
    end: ToQuery = None,
    agency: AgencyQuery = None,
    format: Annotated[TableFormat, Query()] = TableFormat.JSON,
) -> StatsTable | Response:
    """A section of the figures, or the per-agency table (``agencies``: one row per agency with
    traffic, merged agencies on their successor's row, the total last), as JSON, CSV or XLSX."""
    stats = statistics(runtime)
    chosen = period_of(period, start, end)
    summary, table = await build_table(stats, name, chosen, agency)
    if format is not TableFormat.JSON:
        return _file(answers.table_file(summary, table, runtime.settings.node_id, format.value))
    return StatsTable(
        name=table.name,
        title=table.title,
        period=_period(chosen),
        scope=_scope(summary),
        generated_at=summary.generated_at,
        columns=[StatsColumn(key=c.key, heading=c.heading) for c in table.columns],
        rows=[list(row) for row in table.rows],
    )


@router.get(
    "/report",
    summary="The 6-monthly report (XLSX workbook or printable HTML)",
    response_class=Response,
    responses={200: {"content": {exports.XLSX_TYPE: {}, "text/html": {}}}},
)
async def get_report(
    runtime: RuntimeDep,
    _actor: ReadStats,
    period: PeriodQuery = None,
    start: FromQuery = None,
    end: ToQuery = None,
    agency: AgencyQuery = None,
    format: Annotated[ReportFormat, Query()] = ReportFormat.XLSX,
) -> Response:
    """The department's report (Cao Bằng 08/2021 Art. 14; Tuyên Quang 51/2024 Art. 19(9)):
    the period and the node in the title, the generated time, the totals, the per-agency table
    and one sheet per section; Vietnamese headings."""
    stats = statistics(runtime)
    chosen = period_of(period, start, end)
    summary, agencies, sections = await report_parts(stats, chosen, agency)
    node = runtime.settings.node_id
    if format is ReportFormat.HTML:
        return HTMLResponse(exports.report_html(summary, agencies, sections, node))
    return _file(answers.report_file(summary, agencies, sections, node))


@router.get("/freshness", response_model=StatsFreshness, summary="How far the rollups are")
async def get_freshness(runtime: RuntimeDep, _actor: ReadStats) -> StatsFreshness:
    """The rollups' watermark and the newest history entry (equal when everything is counted;
    the worker catches up within seconds)."""
    f = await statistics(runtime).freshness()
    return StatsFreshness(
        watermark=f.watermark, newest=f.newest, updated_at=f.updated_at, recount=f.recount
    )
