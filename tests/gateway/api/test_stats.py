"""``/api/v1/stats``: figures of real exchanges through the API, as JSON, CSV and XLSX, the
6-monthly report workbook and its HTML view; only people with read_stats may read them."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path

import openpyxl
import pytest

from gateway.core.actors import Role
from gateway.workers.stats import StatsWorker
from tests.gateway.api.native_support import RECEIVER, SENDER, edoc, status
from tests.gateway.api.people_support import PeopleNode, open_people_node


@pytest.fixture
async def node(tmp_path: Path) -> AsyncIterator[PeopleNode]:
    """A node where the sample was sent, received, answered 03, and counted."""
    async with open_people_node(tmp_path) as opened:
        native = opened.native
        _, delivery_id = await native.send_routed()
        assert (await native.confirm(RECEIVER, delivery_id, "done")).status_code == 200
        sent = await native.send(RECEIVER, status("03"), params={"messagetype": "status"})
        assert sent.status_code == 201, sent.text
        runtime = opened.runtime
        await StatsWorker(
            runtime.store, runtime.clock, lambda: runtime.calendar.legal.calendar
        ).catch_up()
        yield opened


def today(node: PeopleNode) -> str:
    """Today's date in +07:00, as the period of the exchange."""
    from gateway.core.clock import VN_TZ

    return node.runtime.clock.now().astimezone(VN_TZ).date().isoformat()


async def test_the_summary_counts_the_exchange(node: PeopleNode) -> None:
    """The auditor reads one document sent, one copy received and notified the same day."""
    answer = await node.client.get(
        "/api/v1/stats/summary", params={"period": today(node)}, headers=node.auth(Role.AUDITOR)
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    figures = body["figures"]
    assert figures["documents"]["sent"] == 1
    assert figures["as_recipient"]["outcomes"]["received"] == 1
    assert (
        figures["as_recipient"]["notice"]["on_time"] + figures["as_recipient"]["notice"]["late"]
        == 1
    )
    assert body["freshness"]["watermark"] == body["freshness"]["newest"]
    assert body["generated_at"].endswith("+07:00")
    one = await node.client.get(
        "/api/v1/stats/summary",
        params={"period": today(node), "agency": "H13"},
        headers=node.auth(Role.AUDITOR),
    )
    assert one.json()["figures"]["documents"]["sent"] == 1
    assert one.json()["figures"]["as_recipient"]["copies"] == 0


async def test_tables_as_json_csv_and_xlsx_agree(node: PeopleNode) -> None:
    """The per-agency table reads the same numbers as JSON, CSV and XLSX."""
    params = {"from": today(node), "to": today(node)}
    headers = node.auth(Role.AUDITOR)
    table = (
        await node.client.get("/api/v1/stats/tables/agencies", params=params, headers=headers)
    ).json()
    keys = [c["key"] for c in table["columns"]]
    total = dict(zip(keys, table["rows"][-1], strict=True))
    assert total["code"] == "Tổng cộng"
    assert total["sent"] == 1
    assert total["received"] == 1
    csv = await node.client.get(
        "/api/v1/stats/tables/agencies", params={**params, "format": "csv"}, headers=headers
    )
    assert csv.headers["content-type"].startswith("text/csv")
    lines = csv.content.decode("utf-8-sig").splitlines()
    assert lines[0].split(",") == keys
    assert len(lines) == len(table["rows"]) + 1
    xlsx = await node.client.get(
        "/api/v1/stats/tables/agencies", params={**params, "format": "xlsx"}, headers=headers
    )
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    values = [row for row in sheet.iter_rows(values_only=True) if row and row[0] == "Tổng cộng"]
    assert values[0][keys.index("sent")] == 1
    assert values[0][keys.index("received")] == 1


async def test_the_report_is_one_workbook_with_vietnamese_sheets(node: PeopleNode) -> None:
    """The half-year report names period and node, has the per-agency table and the sections."""
    period = "2026-H1" if today(node) < "2026-07-01" else "2026-H2"
    headers = node.auth(Role.AUDITOR)
    answer = await node.client.get(
        "/api/v1/stats/report", params={"period": period}, headers=headers
    )
    assert answer.status_code == 200, answer.text
    book = openpyxl.load_workbook(io.BytesIO(answer.content))
    assert book.sheetnames[:2] == ["Tổng hợp", "Theo cơ quan"]
    assert "Văn bản gửi đi" in book.sheetnames
    assert "Chữ ký số của văn bản" in book.sheetnames
    title = book["Tổng hợp"]["A1"].value
    assert title.startswith("BÁO CÁO TÌNH HÌNH GỬI, NHẬN VĂN BẢN ĐIỆN TỬ 6 THÁNG")
    assert "Thời điểm lập" in book["Tổng hợp"]["A4"].value
    page = await node.client.get(
        "/api/v1/stats/report", params={"period": period, "format": "html"}, headers=headers
    )
    assert page.headers["content-type"].startswith("text/html")
    assert "Theo cơ quan" not in page.text
    assert "Thống kê theo cơ quan" in page.text
    assert "@media print" in page.text


async def test_the_daily_series_and_the_receipt_grid(node: PeopleNode) -> None:
    """``daily`` has one row per day of the period, ``receipts`` one per weekday with 24 hours;
    the day of the exchange and the hour of its receipt hold its copy."""
    headers = node.auth(Role.AUDITOR)
    day = today(node)
    week = await node.client.get(
        "/api/v1/stats/tables/daily", params={"period": day[:7]}, headers=headers
    )
    assert week.status_code == 200, week.text
    body = week.json()
    keys = [c["key"] for c in body["columns"]]
    assert keys == ["day", "sent", "copies", "received", "pending", "failed", "removed"]
    rows = {row[0]: dict(zip(keys, row, strict=True)) for row in body["rows"]}
    assert rows[day]["sent"] == 1
    assert rows[day]["received"] == 1
    assert sum(r["sent"] for r in rows.values()) == 1
    assert min(rows) == day[:7] + "-01"
    grid = await node.client.get(
        "/api/v1/stats/tables/receipts", params={"period": day}, headers=headers
    )
    grid_rows = grid.json()["rows"]
    assert [r[0] for r in grid_rows][:2] == ["Thứ Hai", "Thứ Ba"]
    assert len(grid_rows) == 7
    assert all(len(r) == 25 for r in grid_rows)
    assert sum(sum(r[1:]) for r in grid_rows) == 1
    summary = await node.client.get(
        "/api/v1/stats/summary", params={"period": day}, headers=headers
    )
    (cell,) = summary.json()["figures"]["as_recipient"]["receipts_by_hour"].items()
    assert cell[1] == 1
    weekday, hour = (int(x) for x in cell[0].split("-"))
    assert grid_rows[weekday - 1][1 + hour] == 1
    csv = await node.client.get(
        "/api/v1/stats/summary", params={"period": day, "format": "csv"}, headers=headers
    )
    assert csv.status_code == 200
    too_long = await node.client.get(
        "/api/v1/stats/tables/daily",
        params={"from": "2024-01-01", "to": "2026-01-01"},
        headers=headers,
    )
    assert too_long.status_code == 422
    assert too_long.json()["error"]["code"] == "STATS_PERIOD"


@pytest.mark.parametrize(
    ("who", "status_code"),
    [(None, 401), (Role.AUDITOR, 200), (Role.OPERATOR, 200), (Role.ADMIN, 200)],
)
async def test_reading_needs_read_stats(
    node: PeopleNode, who: Role | None, status_code: int
) -> None:
    """Anonymous callers are refused; the auditor role and up read the figures."""
    answer = await node.client.get("/api/v1/stats/freshness", headers=node.auth(who))
    assert answer.status_code == status_code, answer.text


async def test_a_system_token_is_no_person(node: PeopleNode) -> None:
    """A connected system's token does not read statistics (AUTH_TOKEN)."""
    answer = await node.client.get("/api/v1/stats/freshness", headers=node.native.auth(SENDER))
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "AUTH_TOKEN"


async def test_bad_periods_and_tables_are_coded(node: PeopleNode) -> None:
    """An unreadable period is STATS_PERIOD (422), an unknown table STATS_TABLE_UNKNOWN (404)."""
    headers = node.auth(Role.AUDITOR)
    bad = await node.client.get(
        "/api/v1/stats/summary", params={"period": "2026-H3"}, headers=headers
    )
    assert bad.status_code == 422
    assert bad.json()["error"]["code"] == "STATS_PERIOD"
    none = await node.client.get("/api/v1/stats/summary", headers=headers)
    assert none.json()["error"]["code"] == "STATS_PERIOD"
    unknown = await node.client.get(
        "/api/v1/stats/tables/nope", params={"period": "2026"}, headers=headers
    )
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "STATS_TABLE_UNKNOWN"
    _ = edoc  # the fixture's exchange is the SDK sample
