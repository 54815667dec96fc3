"""The statistics page (``/console/stats``): the figures of a period for the node or one agency
(its registry subtree rolled up), as charts, tables and files.

The figures come from :class:`gateway.core.stats.service.Statistics` built by
:func:`gateway.runtime.statistics`, and the tables and files from
:mod:`gateway.core.stats.answers`, exactly as ``/api/v1/stats`` builds them: a file downloaded
here has the numbers of the API's answer for the same period and scope. The files are served
under ``/console/stats/…`` with the session cookie (docs/console.md, "Statistics"). Everything
needs ``READ_STATS`` (the auditor role and up).

The period is ``period=`` (a preset such as ``2026-12``, ``2026-Q4``, ``2026-H2``, ``2026``) or
``from=``/``to=``, with the API's rule (one or the other, ``STATS_PERIOD`` otherwise); the form's
two buttons say which it means (``by=period`` or ``by=range``) so that a preset chosen while the
date fields still hold a range is not a conflict. No period: this month.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request, Response

from business_calendar.calendar import BusinessCalendar
from gateway.api.codes import MAX_CODE_LENGTH
from gateway.console.access import Visit, reader
from gateway.console.charts import Series, ShareRow, Stack, bars, heat_map, share_bars, stacked_bars
from gateway.console.errors import ConsoleRoute
from gateway.console.i18n import Translator
from gateway.console.pages import render
from gateway.core.actors import Capability
from gateway.core.clock import VN_TZ
from gateway.core.errors import BadRequest
from gateway.core.stats import answers, tables
from gateway.core.stats.figures import BACKLOG_CLASSES, BACKLOG_OLDER, OUTCOMES, Copies, Figures
from gateway.core.stats.periods import Period, parse_period
from gateway.core.stats.service import DAILY_MEASURES, AgencyLine, Statistics, Summary
from gateway.runtime import statistics
from identifiers import Registry
from identifiers.agency import AgencyStatus
from identifiers.code import as_code
from identifiers.errors import IdentifierError

router = APIRouter(route_class=ConsoleRoute)
Reader = Annotated[Visit, Depends(reader(Capability.READ_STATS))]

#: Colours of the copies' outcomes (the console's palette).
OUTCOME_COLORS = {
    "received": "#1b7f3a",
    "pending": "#1f5fa8",
    "failed": "#b3261e",
    "removed": "#8a94a3",
}
#: Longest series of months drawn when a period is too long for days.
MAX_MONTHS = 60
#: Most agencies drawn in the shares chart (the table lists them all).
MAX_SHARE_ROWS = 40
_MAX_PERIOD = 20
#: Columns of the per-agency table the page leaves out when no row has a value in them.
OPTIONAL_COLUMNS = frozenset({"parent", "merged"})


# -- the period and the scope asked for ------------------------------------------------------


def _value(request: Request, name: str, limit: int) -> str | None:
    raw = request.query_params.get(name, "").strip()
    if len(raw) > limit:
        raise BadRequest(f"{name} is longer than {limit} characters", field=name)
    return raw or None


def _day(raw: str | None, name: str) -> date | None:
    if raw is None:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise BadRequest(
            f"{name} {raw!r} is not a date (yyyy-mm-dd)", code="STATS_PERIOD", field=name
        ) from None


@dataclass(frozen=True)
class Asked:
    """What the page was asked for."""

    period: Period
    agency: str | None

    @property
    def is_range(self) -> bool:
        """The period is a from–to range (not a named one)."""
        return ".." in self.period.label

    def query(self, **more: str) -> str:
        """The query string naming this period and scope (for links and files)."""
        values: dict[str, str] = (
            {"from": self.period.start.isoformat(), "to": self.period.end.isoformat()}
            if self.is_range
            else {"period": self.period.label}
        )
        if self.agency:
            values["agency"] = self.agency
        return urlencode({**values, **more})


def asked(request: Request, today: date) -> Asked:
    """The period and agency of the request (this month and the whole node by default)."""
    period = _value(request, "period", _MAX_PERIOD)
    start = _day(_value(request, "from", _MAX_PERIOD), "from")
    end = _day(_value(request, "to", _MAX_PERIOD), "to")
    agency = _value(request, "agency", MAX_CODE_LENGTH)
    by = request.query_params.get("by")
    if by == "range":
        chosen = answers.period_of(None, start, end)
    elif by == "period":
        chosen = answers.period_of(period, None, None)
    elif period is None and start is None and end is None:
        chosen = parse_period(f"{today:%Y-%m}")
    else:
        chosen = answers.period_of(period, start, end)
    if agency is not None:
        try:
            as_code(agency)
        except IdentifierError as exc:
            raise BadRequest(exc.message, code=exc.code, field="agency") from None
    return Asked(chosen, agency)


def presets(today: date) -> list[tuple[str, str]]:
    """The preset periods around ``today``: (value, key of its words)."""
    month_before = today.replace(day=1) - timedelta(days=1)
    quarter = (today.month - 1) // 3 + 1
    last_quarter = (today.year, quarter - 1) if quarter > 1 else (today.year - 1, 4)
    half = 1 if today.month <= 6 else 2
    last_half = (today.year, 1) if half == 2 else (today.year - 1, 2)
    return [
        (f"{today:%Y-%m}", "stats.preset.this_month"),
        (f"{month_before:%Y-%m}", "stats.preset.last_month"),
        (f"{today.year}-Q{quarter}", "stats.preset.this_quarter"),
        (f"{last_quarter[0]}-Q{last_quarter[1]}", "stats.preset.last_quarter"),
        (f"{today.year}-H{half}", "stats.preset.this_half"),
        (f"{last_half[0]}-H{last_half[1]}", "stats.preset.last_half"),
        (f"{today.year}", "stats.preset.this_year"),
        (f"{today.year - 1}", "stats.preset.last_year"),
    ]


@dataclass(frozen=True)
class TreeItem:
    """One agency of the picker: its code, name, depth in the tree, and whether it is closed."""

    code: str
    name: str
    depth: int
    closed: bool


def agency_tree(registry: Registry) -> list[TreeItem]:
    """The registry as a tree (parent links, else the nearest registered structural parent),
    depth first, siblings by code."""
    records = {a.primary: a for a in registry.agencies()}
    children: dict[str | None, list[str]] = {}
    for code, agency in records.items():
        parent = registry.get(agency.parent) if agency.parent else None
        if parent is None:
            try:
                parents = as_code(code).parents
            except IdentifierError:
                parents = ()
            parent = next(filter(None, map(registry.get, parents)), None)
        key = parent.primary if parent is not None and parent.primary != code else None
        children.setdefault(key, []).append(code)
    out: list[TreeItem] = []
    seen: set[str] = set()

    def walk(key: str | None, depth: int) -> None:
        for code in sorted(children.get(key, ())):
            if code in seen:  # parent links may loop in bad data
                continue
            seen.add(code)
            agency = records[code]
            out.append(TreeItem(code, agency.name, depth, agency.status is AgencyStatus.CLOSED))
            walk(code, depth + 1)

    walk(None, 0)
    for code in sorted(set(records) - seen):  # a loop with no way in from a root
        out.append(
            TreeItem(code, records[code].name, 0, records[code].status is AgencyStatus.CLOSED)
        )
    return out


# -- numbers in words ----------------------------------------------------------------------------


def percent(value: float | None, language: str) -> str:
    """A share as ``85,3 %`` (Vietnamese) or ``85.3%``; ``—`` when there is none."""
    if value is None:
        return "—"
    if language == "vi":
        return f"{value * 100:.1f}".replace(".", ",") + " %"
    return f"{value * 100:.1f}%"


def office_hours(calendar: BusinessCalendar) -> set[tuple[int, int]]:
    """(ISO weekday, hour) of the hours any default office session touches, Monday to Friday."""
    found: set[tuple[int, int]] = set()
    for session in calendar.sessions:
        start = session.start.hour * 60 + session.start.minute
        end = session.end.hour * 60 + session.end.minute
        for hour in range(24):
            if start < (hour + 1) * 60 and end > hour * 60:
                found.update((day, hour) for day in range(1, 6))
    return found


@dataclass(frozen=True)
class Line:
    """A row of a headline table: its words, then the values (already in words)."""

    label: str
    values: tuple[str, ...]


def number(value: int | None, language: str) -> str:
    """A count as ``12.345`` (Vietnamese) or ``12,345``; ``—`` when there is none."""
    if value is None:
        return "—"
    return f"{value:,}".replace(",", ".") if language == "vi" else f"{value:,}"


def document_lines(f: Figures, t: Translator) -> list[Line]:
    """The headline figures of the documents sent."""
    d = f.documents
    p = t.language
    n = functools.partial(number, language=p)
    lines = [
        Line(t("stats.doc.sent"), (n(d.sent),)),
        Line(t("stats.doc.urgent"), (n(d.urgent),)),
        Line(t("stats.doc.urgent_share"), (percent(d.urgent_share, p),)),
        Line(t("stats.doc.send_on_time"), (n(d.send_on_time),)),
        Line(t("stats.doc.send_late"), (n(d.send_late),)),
        Line(t("stats.doc.send_unknown"), (n(d.send_unknown),)),
        Line(t("stats.doc.send_on_time_share"), (percent(d.send_on_time_share, p),)),
    ]
    total = sum(d.signatures.values())
    for key in sorted(d.signatures):
        share = d.signatures[key] / total if total else None
        label = f"{t('stats.doc.signatures')}: {t.signature(key)}"
        lines.append(Line(label, (f"{n(d.signatures[key])} ({percent(share, p)})",)))
    return lines


def copy_lines(f: Figures, t: Translator) -> list[Line]:
    """The headline figures of the copies, the scope as sender and as recipient."""
    s, r = f.as_sender, f.as_recipient
    p = t.language
    n = functools.partial(number, language=p)

    def both(label: str, get: Callable[[Copies], str]) -> Line:
        return Line(label, (get(s), get(r)))

    lines = [both(t("stats.copy.copies"), lambda c: n(c.copies))]
    for key in OUTCOMES:
        label = t(f"stats.outcome.{key}")
        lines.append(Line(label, (n(s.outcomes[key]), n(r.outcomes[key]))))
    lines += [
        both(t("stats.copy.technical_p50"), lambda c: n(c.technical_delay.p50)),
        both(t("stats.copy.technical_p95"), lambda c: n(c.technical_delay.p95)),
        both(t("stats.copy.legal_p50"), lambda c: n(c.legal_delay.p50)),
        both(t("stats.copy.legal_p95"), lambda c: n(c.legal_delay.p95)),
        both(t("stats.copy.out_of_hours"), lambda c: n(c.out_of_hours)),
        both(t("stats.copy.out_of_hours_share"), lambda c: percent(c.out_of_hours_share, p)),
        both(t("stats.copy.notice_on_time"), lambda c: n(c.notice.on_time)),
        both(t("stats.copy.notice_late"), lambda c: n(c.notice.late + c.notice.missing)),
        both(t("stats.copy.notice_share"), lambda c: percent(c.notice.share_on_time, p)),
        both(t("stats.copy.processing_on_time"), lambda c: n(c.processing.on_time)),
        both(t("stats.copy.processing_late"), lambda c: n(c.processing.late)),
        both(t("stats.copy.processing_overdue"), lambda c: n(c.processing.overdue_open)),
        both(t("stats.copy.processing_open"), lambda c: n(c.processing.open)),
        both(t("stats.copy.processing_share"), lambda c: percent(c.processing.share_on_time, p)),
    ]
    return lines


# -- charts --------------------------------------------------------------------------------------


def _outcome_series(t: Translator) -> list[Series]:
    return [
        Series(k, t(f"stats.outcome.{k}"), OUTCOME_COLORS[k])
        for k in ("received", "pending", "failed", "removed")
    ]


def _months(period: Period) -> list[Period]:
    out = []
    cursor = period.start.replace(day=1)
    while cursor <= period.end:
        following = (cursor + timedelta(days=32)).replace(day=1)
        start, end = max(cursor, period.start), min(following - timedelta(days=1), period.end)
        out.append(Period(start, end, f"{cursor:%Y-%m}", "month"))
        cursor = following
    return out


@dataclass(frozen=True)
class Volume:
    """The volume charts of the page (one per side: an agency's copies sent and received; the
    node's are the same copies), and the notice when they are by month or missing."""

    charts: list[tuple[str, str]]  # (heading, SVG)
    notice: str | None = None


async def _series(
    stats: Statistics, asked: Asked
) -> tuple[list[tuple[str, str, Figures]], bool] | None:
    """(axis label, tooltip name, figures) per day, or per month past a year (True); None past
    :data:`MAX_MONTHS`."""
    try:
        days = await stats.daily(asked.period, asked.agency)
    except BadRequest as exc:  # past DAILY_DAYS
        if exc.code != "STATS_PERIOD":
            raise
    else:
        return [(f"{day:%d/%m}", f"{day:%d/%m/%Y}", f) for day, f in days], False
    months = _months(asked.period)
    if len(months) > MAX_MONTHS:
        return None
    found = []
    for month in months:
        summary = await stats.summary(month, asked.agency, DAILY_MEASURES)
        found.append((f"{month.start:%m/%Y}", month.label, summary.figures))
    return found, True


async def volume_chart(stats: Statistics, asked: Asked, whole: bool, t: Translator) -> Volume:
    """Copies by outcome per day (per month past :data:`DAILY_DAYS`, none past
    :data:`MAX_MONTHS`): the node's copies, or an agency's as sender and as recipient."""
    found = await _series(stats, asked)
    if found is None:
        return Volume([], t("stats.notice.no_chart"))
    points, by_month = found
    sides: list[tuple[str, Callable[[Figures], dict[str, int]]]] = [
        ("sent", lambda f: f.as_sender.outcomes)
    ]
    if not whole:
        sides.append(("received", lambda f: f.as_recipient.outcomes))
    charts = []
    for side, outcomes in sides:
        heading = t(f"stats.chart.{'monthly' if by_month else 'daily'}")
        if not whole:
            heading = f"{heading}: {t(f'stats.side.{side}')}"
        stacks = [Stack(label, name, outcomes(f)) for label, name, f in points]
        svg = stacked_bars(
            "chart-daily" if side == "sent" else "chart-daily-received",
            heading,
            t(f"stats.chart.{'monthly' if by_month else 'daily'}_desc"),
            stacks,
            _outcome_series(t),
            empty=t("stats.empty"),
        )
        charts.append((heading, svg))
    return Volume(charts, t("stats.notice.monthly") if by_month else None)


def shares_chart(lines: Sequence[AgencyLine], t: Translator) -> str:
    """On-time shares per agency: documents sent on time, same-day receipt notices."""
    series = [
        Series("send_on_time", t("stats.doc.send_on_time_share"), "#1f5fa8"),
        Series("notice_same_day", t("stats.copy.notice_share"), "#1b7f3a"),
    ]
    rows = [
        ShareRow(
            f"{line.code} {line.name or ''}".strip(),
            f"{line.code} {line.name or ''}".strip(),
            [
                line.figures.documents.send_on_time_share,
                line.figures.as_recipient.notice.share_on_time,
            ],
        )
        for line in lines[:MAX_SHARE_ROWS]
    ]
    return share_bars(
        "chart-shares",
        t("stats.chart.shares"),
        t("stats.chart.shares_desc"),
        rows,
        series,
        empty=t("stats.empty"),
        unknown=t("stats.unknown"),
        percent=lambda v: percent(v, t.language),
    )


def hours_chart(f: Figures, calendar: BusinessCalendar, t: Translator) -> str:
    """Receipts by weekday and hour, out-of-office hours marked."""
    return heat_map(
        "chart-hours",
        t("stats.chart.hours"),
        t("stats.chart.hours_desc"),
        f.as_recipient.receipts_by_hour,
        t("stats.weekdays").split("|"),
        office_hours(calendar),
        office_label=t("stats.office"),
        out_label=t("stats.out_of_office"),
    )


def backlog_chart(f: Figures, t: Translator) -> str:
    """Copies waiting for their receiver, by working time waited (now)."""
    keys = [name for name, _ in BACKLOG_CLASSES] + [BACKLOG_OLDER]
    items = [(t(f"stats.backlog.{k}"), f.as_recipient.backlog.get(k, 0)) for k in keys]
    return bars(
        "chart-backlog",
        t("stats.chart.backlog"),
        t("stats.chart.backlog_desc"),
        items,
        "#a86400",
        empty=t("stats.empty"),
    )


# -- routes ----------------------------------------------------------------------------------


def _today(found: Visit) -> date:
    return found.runtime.clock.now().astimezone(VN_TZ).date()


def _age(now: datetime, summary: Summary) -> timedelta | None:
    at = summary.freshness.updated_at
    return None if at is None else max(timedelta(0), now - at)


@router.get("/stats")
async def stats_page(found: Reader) -> Response:
    """The figures of the period and scope asked for, as charts and tables, with the files."""
    runtime, t = found.runtime, found.t
    today = _today(found)
    chosen = asked(found.request, today)
    stats = statistics(runtime)
    summary = await stats.summary(chosen.period, chosen.agency)
    lines = await stats.agencies(chosen.period, chosen.agency)
    per_agency = tables.agencies(lines, summary.figures)
    shown = [
        i
        for i, c in enumerate(per_agency.columns)
        if c.key not in OPTIONAL_COLUMNS or any(row[i] for row in per_agency.rows)
    ]
    volume = await volume_chart(stats, chosen, chosen.agency is None, t)
    calendar = runtime.calendar.legal.calendar
    options = presets(today)
    if not chosen.is_range and chosen.period.label not in {v for v, _ in options}:
        options.insert(0, (chosen.period.label, ""))
    tree = agency_tree(runtime.registry)
    if chosen.agency and all(item.code != summary.scope.code for item in tree):
        tree.insert(0, TreeItem(summary.scope.code or chosen.agency, "", 0, False))
    return render(
        found,
        "stats.html",
        asked=chosen,
        summary=summary,
        figures=summary.figures,
        presets=options,
        tree=tree,
        documents=document_lines(summary.figures, t),
        copies=copy_lines(summary.figures, t),
        per_agency=per_agency,
        shown=shown,
        volume=volume,
        shares=shares_chart(lines, t),
        hours=hours_chart(summary.figures, calendar, t),
        backlog=backlog_chart(summary.figures, t),
        pct=lambda v: percent(v, t.language),
        num=lambda v: number(v, t.language) if isinstance(v, int) else v,
        age=_age(runtime.clock.now(), summary),
        table_names=tables.TABLE_NAMES,
    )


def _attachment(found: answers.File) -> Response:
    return Response(
        found.content,
        media_type=found.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{found.filename}"',
            "Cache-Control": "no-store",
        },
    )


def _file_format(request: Request) -> str:
    return request.query_params.get("format", "xlsx")


@router.get("/stats/tables/{name}")
async def stats_table_file(found: Reader, name: str) -> Response:
    """One table (``tables.TABLE_NAMES``) as CSV or XLSX, as ``/api/v1/stats/tables/{name}``."""
    chosen = asked(found.request, _today(found))
    summary, table = await answers.build_table(
        statistics(found.runtime), name, chosen.period, chosen.agency
    )
    node = found.runtime.settings.node_id
    return _attachment(answers.table_file(summary, table, node, _file_format(found.request)))


@router.get("/stats/summary")
async def stats_summary_file(found: Reader) -> Response:
    """Every section as one CSV or a workbook, as ``/api/v1/stats/summary?format=``."""
    chosen = asked(found.request, _today(found))
    summary = await statistics(found.runtime).summary(chosen.period, chosen.agency)
    node = found.runtime.settings.node_id
    return _attachment(answers.summary_file(summary, node, _file_format(found.request)))


@router.get("/stats/report")
async def stats_report_file(found: Reader) -> Response:
    """The 6-monthly report workbook, as ``/api/v1/stats/report``."""
    chosen = asked(found.request, _today(found))
    parts = await answers.report_parts(statistics(found.runtime), chosen.period, chosen.agency)
    return _attachment(answers.report_file(*parts, found.runtime.settings.node_id))
