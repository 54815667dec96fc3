"""What a reader asks of the statistics and how it is answered: a period from query values, one
named table, the parts of the 6-monthly report, the name of an exported file.

Shared by ``/api/v1/stats`` (gateway/api/stats.py) and the console's statistics page
(gateway/console/stats.py), so that a table, a CSV/XLSX file or the report workbook has the same
numbers whichever door it was asked through.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from gateway.core.errors import BadRequest, NotFound
from gateway.core.stats import exports, tables
from gateway.core.stats.periods import Period, date_range, parse_period
from gateway.core.stats.service import AGENCY_MEASURES, DAILY_MEASURES, Statistics, Summary


def period_of(period: str | None, start: date | None, end: date | None) -> Period:
    """``period``, or ``from``..``to``; ``STATS_PERIOD`` when neither or both are given."""
    if period is not None and (start is not None or end is not None):
        raise BadRequest(
            "give period, or from and to, not both", code="STATS_PERIOD", field="period"
        )
    if period is not None:
        return parse_period(period)
    if start is None or end is None:
        raise BadRequest(
            "give period (e.g. 2026-H1) or both from and to", code="STATS_PERIOD", field="period"
        )
    return date_range(start, end)


async def build_table(
    stats: Statistics, name: str, period: Period, agency: str | None
) -> tuple[Summary, tables.Table]:
    """One named table of a period and scope, with the summary it came from."""
    if name not in tables.TABLE_NAMES:
        raise NotFound(
            f"no statistics table {name!r}: one of {', '.join(tables.TABLE_NAMES)}",
            code="STATS_TABLE_UNKNOWN",
            field="name",
        )
    if name == tables.DAILY:
        summary = await stats.summary(period, agency, DAILY_MEASURES)
        return summary, tables.daily(await stats.daily(period, agency))
    if name == tables.AGENCIES:
        summary = await stats.summary(period, agency, AGENCY_MEASURES)
        lines = await stats.agencies(period, agency)
        return summary, tables.agencies(lines, summary.figures)
    summary = await stats.summary(period, agency, tables.MEASURES[name])
    return summary, tables.BUILDERS[name](summary.figures)


async def report_parts(
    stats: Statistics, period: Period, agency: str | None
) -> tuple[Summary, tables.Table, list[tables.Table]]:
    """What the 6-monthly report shows: the summary, the per-agency table, the sections."""
    summary = await stats.summary(period, agency)
    lines = await stats.agencies(period, agency)
    return summary, tables.agencies(lines, summary.figures), tables.sections(summary.figures)


def filename(name: str, period: Period, ext: str) -> str:
    """``thong-ke-<name>-<period>.<ext>``, the period's label made safe for a file name."""
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in period.label)
    return f"thong-ke-{name}-{safe}.{ext}"


@dataclass(frozen=True, slots=True)
class File:
    """An exported file: its bytes, media type and name."""

    content: bytes
    media_type: str
    filename: str


#: The formats a table or the summary is exported in.
FILE_FORMATS = ("csv", "xlsx")


def _format(fmt: str) -> str:
    if fmt not in FILE_FORMATS:
        raise BadRequest(f"format {fmt!r}: csv or xlsx", field="format")
    return fmt


def table_file(summary: Summary, table: tables.Table, node_id: str, fmt: str) -> File:
    """One table as CSV, or as XLSX with the title block of its summary."""
    period = summary.period
    if _format(fmt) == "csv":
        return File(exports.csv_bytes(table), exports.CSV_TYPE, filename(table.name, period, "csv"))
    header = exports.header_of(summary, node_id, table.title.upper())
    return File(
        exports.xlsx_bytes([table], header),
        exports.XLSX_TYPE,
        filename(table.name, period, "xlsx"),
    )


def summary_file(summary: Summary, node_id: str, fmt: str) -> File:
    """Every section of a summary: one CSV (:func:`tables.summary_table`) or a sheet each."""
    sections = tables.sections(summary.figures)
    if _format(fmt) == "xlsx":
        header = exports.header_of(summary, node_id, "THỐNG KÊ GỬI, NHẬN VĂN BẢN")
        return File(
            exports.xlsx_bytes(sections, header),
            exports.XLSX_TYPE,
            filename("tong-hop", summary.period, "xlsx"),
        )
    merged = tables.summary_table(sections)
    return File(
        exports.csv_bytes(merged), exports.CSV_TYPE, filename("tong-hop", summary.period, "csv")
    )


def report_file(
    summary: Summary, agencies: tables.Table, sections: list[tables.Table], node_id: str
) -> File:
    """The 6-monthly report workbook."""
    return File(
        exports.report_xlsx(summary, agencies, sections, node_id),
        exports.XLSX_TYPE,
        filename("bao-cao", summary.period, "xlsx"),
    )
