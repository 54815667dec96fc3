"""The statistics page (``/console/stats``) over plain HTTP: the figures of real exchanges in
tiles, charts and tables; another period or agency changes them; a bad period is the coded error
page; the files are the API's for the same period; only roles with read_stats see any of it."""

from __future__ import annotations

import io
from datetime import date, timedelta

import openpyxl
import pytest
from lxml import html

from gateway.console.i18n import CATALOGS
from gateway.core import actors
from gateway.core.actors import Capability, Role
from gateway.core.clock import VN_TZ
from gateway.core.stats import tables
from tests.gateway.console.conftest import H14, H41, Console, exchanged

SENT = 3


def today(console: Console) -> date:
    """The node's day in +07:00 (the day of the test's exchanges)."""
    return console.node.runtime.clock.now().astimezone(VN_TZ).date()


def text_of(page: str, ident: str) -> str:
    """The text of the element with that id."""
    found = html.fromstring(page).get_element_by_id(ident)
    return " ".join(found.text_content().split())


def tile(page: str, ident: str) -> str:
    """The big number of a tile."""
    tree = html.fromstring(page)
    return tree.get_element_by_id(ident).find_class("value")[0].text_content().strip()


def total_row(page: str) -> dict[str, str]:
    """The per-agency table's total row, by column key."""
    row = html.fromstring(page).get_element_by_id("agency-total")
    return {td.get("data-key"): td.text_content().strip() for td in row.iter("td")}


@pytest.fixture
async def counted(embedded_console: Console) -> Console:
    """A node where H14 sent :data:`SENT` documents to H41, all received and counted."""
    await exchanged(embedded_console, SENT)
    return embedded_console


async def test_the_page_shows_the_figures_with_charts_and_tables(counted: Console) -> None:
    """This month by default: tiles, the four charts (SVG), both tables, the freshness."""
    http, _ = await counted.signed_in("kiemtoan")
    answer = await http.get("/console/stats")
    assert answer.status_code == 200, answer.text
    page = answer.text
    assert answer.headers["cache-control"] == "no-store"
    assert tile(page, "tile-sent") == str(SENT)
    assert tile(page, "tile-received") == str(SENT)
    for chart in ("chart-daily", "chart-shares", "chart-hours", "chart-backlog"):
        assert f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{chart}"' in page
    assert total_row(page)["sent"] == str(SENT)
    assert total_row(page)["received"] == str(SENT)
    assert total_row(page)["code"] == "Tổng cộng"
    assert "Toàn trục" in text_of(page, "scope-label")
    assert f"{today(counted):%m/%Y}" in text_of(page, "period-label")
    watermark = (await counted.node.runtime.store.stats_state())[0]
    assert text_of(page, "watermark") == f"#{watermark}"
    assert 'href="/console/stats" class="current"' in page  # the menu's entry
    assert 'id="chart-daily-received"' not in page  # the node's copies are counted once
    hours = html.fromstring(page).get_element_by_id("chart-hours")
    assert sum(int(r.get("data-value")) for r in hours.iter("rect") if r.get("data-cell")) == SENT


async def test_another_period_changes_the_figures(counted: Console) -> None:
    """Last year has nothing; today's range has everything; a preset chosen with the range's
    fields still filled (``by=period``) reads the preset."""
    http, _ = await counted.signed_in("kiemtoan")
    day = today(counted)
    last_year = await http.get("/console/stats", params={"period": str(day.year - 1)})
    assert tile(last_year.text, "tile-sent") == "0"
    assert total_row(last_year.text)["sent"] == "0"
    one_day = {"from": day.isoformat(), "to": day.isoformat(), "by": "range"}
    ranged = await http.get("/console/stats", params={**one_day, "period": str(day.year - 1)})
    assert tile(ranged.text, "tile-sent") == str(SENT)
    assert 'name="from" id="from" value="' + day.isoformat() in ranged.text
    preset = await http.get("/console/stats", params={**one_day, "by": "period", "period": "2020"})
    assert tile(preset.text, "tile-sent") == "0"
    week_before = day - timedelta(days=7)
    before = await http.get(
        "/console/stats", params={"from": week_before.isoformat(), "to": week_before.isoformat()}
    )
    assert tile(before.text, "tile-sent") == "0"


async def test_an_agency_scope_rolls_its_figures_up(counted: Console) -> None:
    """H41 received everything and sent nothing; H14 the other way round; both in the picker."""
    http, _ = await counted.signed_in("kiemtoan")
    period = f"{today(counted):%Y-%m}"
    receiver = (await http.get("/console/stats", params={"period": period, "agency": H41})).text
    assert tile(receiver, "tile-sent") == "0"
    assert tile(receiver, "tile-received") == str(SENT)
    assert "H41" in text_of(receiver, "scope-label")
    received = html.fromstring(receiver).get_element_by_id("chart-daily-received")
    assert sum(int(r.get("data-value")) for r in received.iter("rect") if r.get("data-key")) == SENT
    sent = html.fromstring(receiver).get_element_by_id("chart-daily")
    assert [r for r in sent.iter("rect") if r.get("data-key")] == []
    assert 'value="H41" selected' in receiver or f'value="{H41}" selected' in receiver
    sender = (await http.get("/console/stats", params={"period": period, "agency": H14})).text
    assert tile(sender, "tile-sent") == str(SENT)
    assert tile(sender, "tile-received") == "0"
    picker = html.fromstring(sender).get_element_by_id("agency")
    values = [o.get("value") for o in picker.iter("option")]
    assert values[0] == ""  # the whole node first
    assert {"H14", "G12", "G12.18.01"} <= set(values)
    assert values.index("G12") < values.index("G12.18.01")  # a child after its parent
    unknown = (await http.get("/console/stats", params={"period": period, "agency": "H99"})).text
    assert tile(unknown, "tile-sent") == "0"
    assert 'value="H99" selected' in unknown  # a code the registry does not list stays chosen


@pytest.mark.parametrize(
    "params",
    [
        {"period": "2026-H3"},
        {"period": "2026-H1", "from": "2026-01-01", "to": "2026-01-31"},
        {"from": "2026-02-30", "to": "2026-03-01"},
        {"from": "2026-03-01", "to": "2026-02-01", "by": "range"},
        {"from": "2026-03-01", "by": "range"},
    ],
)
async def test_a_bad_period_is_the_coded_error_page(
    embedded_console: Console, params: dict[str, str]
) -> None:
    """An unreadable, doubled, reversed or half period answers the 422 page naming STATS_PERIOD."""
    http, _ = await embedded_console.signed_in("kiemtoan")
    for path in ("/console/stats", "/console/stats/tables/agencies"):
        answer = await http.get(path, params=params)
        assert answer.status_code == 422, path
        assert "text/html" in answer.headers["content-type"]
        assert "STATS_PERIOD" in answer.text


async def test_a_period_past_a_year_draws_months_with_a_notice(counted: Console) -> None:
    """Daily series stop at 366 days: a longer period shows the months instead, or no chart."""
    http, _ = await counted.signed_in("kiemtoan")
    day = today(counted)
    two_years = {"from": (day - timedelta(days=700)).isoformat(), "to": day.isoformat()}
    months = await http.get("/console/stats", params=two_years)
    assert months.status_code == 200
    assert "theo tháng" in text_of(months.text, "volume-notice")
    assert 'id="chart-daily"' in months.text
    assert tile(months.text, "tile-sent") == str(SENT)
    decade = {"from": (day - timedelta(days=3600)).isoformat(), "to": day.isoformat()}
    none = await http.get("/console/stats", params=decade)
    assert none.status_code == 200
    assert 'id="chart-daily"' not in none.text
    assert "xem các bảng" in text_of(none.text, "volume-notice")


async def test_the_files_have_the_numbers_of_the_api(counted: Console) -> None:
    """The per-agency XLSX and CSV, the summary and the report read as the API answers them."""
    http, _ = await counted.signed_in("kiemtoan")
    token = await counted.node.runtime.people.create_token("kiemtoan")
    api = {"Authorization": f"Bearer {token}"}
    params = {"period": f"{today(counted):%Y-%m}"}
    table = (await http.get("/api/v1/stats/tables/agencies", params=params, headers=api)).json()
    keys = [c["key"] for c in table["columns"]]
    xlsx = await http.get("/console/stats/tables/agencies", params={**params, "format": "xlsx"})
    assert xlsx.status_code == 200
    assert "attachment" in xlsx.headers["content-disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    first = next(i for i, row in enumerate(rows) if row and row[0] == "Mã định danh")
    body = [list(row) for row in rows[first + 1 :]]
    assert body == [[v if v != "" else None for v in row] for row in table["rows"]]
    csv_console = await http.get(
        "/console/stats/tables/agencies", params={**params, "format": "csv"}
    )
    csv_api = await http.get(
        "/api/v1/stats/tables/agencies", params={**params, "format": "csv"}, headers=api
    )
    assert csv_console.content == csv_api.content
    assert csv_console.content.decode("utf-8-sig").splitlines()[0].split(",") == keys
    summary = await http.get("/console/stats/summary", params={**params, "format": "csv"})
    same = await http.get("/api/v1/stats/summary", params={**params, "format": "csv"}, headers=api)
    assert summary.content == same.content
    report = await http.get("/console/stats/report", params=params)
    book = openpyxl.load_workbook(io.BytesIO(report.content))
    assert book.sheetnames[:2] == ["Tổng hợp", "Theo cơ quan"]
    bad = await http.get("/console/stats/tables/nope", params=params)
    assert bad.status_code == 404
    assert "STATS_TABLE_UNKNOWN" in bad.text
    assert (
        await http.get("/console/stats/summary", params={**params, "format": "pdf"})
    ).status_code == 422


async def test_the_english_page(counted: Console) -> None:
    """?lang=en: the same figures in English."""
    http, _ = await counted.signed_in("kiemtoan")
    page = (await http.get("/console/stats", params={"lang": "en"})).text
    assert "<h1>Statistics</h1>" in page
    assert "Whole node" in text_of(page, "scope-label")
    assert total_row(page)["code"] == "Total"
    assert tile(page, "tile-sent") == str(SENT)


async def test_only_roles_with_read_stats_see_it(
    embedded_console: Console, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The auditor sees the entry and the page; a role without read_stats gets neither (403
    AUTH_ROLE on the page and on the files); nobody signed in is sent to sign in."""
    http, _ = await embedded_console.signed_in("kiemtoan")
    assert 'href="/console/stats"' in (await http.get("/console/audit")).text
    assert (await http.get("/console/stats")).status_code == 200
    reduced = actors.ROLE_CAPABILITIES[Role.AUDITOR] - {Capability.READ_STATS}
    monkeypatch.setitem(actors.ROLE_CAPABILITIES, Role.AUDITOR, reduced)  # type: ignore[arg-type]
    assert 'href="/console/stats"' not in (await http.get("/console/audit")).text
    for path in ("/console/stats", "/console/stats/report?period=2026", "/console/stats/summary"):
        refused = await http.get(path)
        assert refused.status_code == 403, path
        assert "AUTH_ROLE" in refused.text
    anonymous = await embedded_console.client().get("/console/stats?period=2026-H1")
    assert anonymous.status_code == 303
    assert "/console/login" in anonymous.headers["location"]


def test_the_words_are_those_of_the_tables() -> None:
    """The Vietnamese titles and headings of the page are the exported files' own."""
    vi = CATALOGS["vi"]
    titles = {
        **tables.SECTIONS,
        "agencies": tables.agencies([]).title,
        "daily": tables.daily([]).title,
    }
    assert set(titles) == set(tables.TABLE_NAMES)
    for name, title in titles.items():
        assert vi[f"stats.table.{name}"] == title
    for column in tables.AGENCY_COLUMNS:
        assert vi[f"stats.agency.{column.key}"] == column.heading
    assert vi["stats.weekdays"].split("|") == list(tables.WEEKDAYS)
    assert vi["nav.stats"] == "Thống kê"


def test_presets_around_a_day() -> None:
    """In January the previous month, quarter and half year are last year's."""
    from gateway.console.stats import presets

    assert [value for value, _ in presets(date(2026, 1, 15))] == [
        "2026-01", "2025-12", "2026-Q1", "2025-Q4", "2026-H1", "2025-H2", "2026", "2025",
    ]  # fmt: skip
    assert [value for value, _ in presets(date(2026, 8, 31))][:6] == [
        "2026-08", "2026-07", "2026-Q3", "2026-Q2", "2026-H2", "2026-H1",
    ]  # fmt: skip


def test_numbers_and_shares_in_each_language() -> None:
    """Vietnamese writes 12.345 and 85,3 %; English 12,345 and 85.3%; nothing is a dash."""
    from gateway.console.stats import number, percent

    assert (number(12345, "vi"), number(12345, "en"), number(None, "vi")) == (
        "12.345",
        "12,345",
        "—",
    )
    assert (percent(0.853, "vi"), percent(0.853, "en"), percent(None, "en")) == (
        "85,3 %",
        "85.3%",
        "—",
    )


def test_office_hours_follow_the_calendar_sessions() -> None:
    """07:30–11:30 and 13:30–17:00, Monday to Friday: 07–11 and 13–16 are office hours, the
    lunch hour 12, the evening and the weekend are not."""
    from business_calendar.calendar import BusinessCalendar
    from gateway.console.stats import office_hours

    found = office_hours(BusinessCalendar())
    assert {h for d, h in found if d == 1} == {7, 8, 9, 10, 11, 13, 14, 15, 16}
    assert {d for d, _ in found} == {1, 2, 3, 4, 5}
