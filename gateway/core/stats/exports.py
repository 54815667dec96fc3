"""Tables as CSV, XLSX and printable HTML; the 6-monthly report as one workbook.

CSV is UTF-8 with a byte-order mark (so that Excel shows Vietnamese as written, TCVN 6909:2001),
keys as the header row. XLSX (xlsxwriter) has the Vietnamese headings, one sheet per table. The
report (Cao Bằng 08/2021 Art. 14; Tuyên Quang 51/2024 Art. 19(9)) names the period and the node
in its title and the time it was generated, then the totals, the per-agency table and one sheet
per section.
"""

from __future__ import annotations

import csv
import html
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import xlsxwriter

from gateway.core.clock import VN_TZ
from gateway.core.stats.periods import Period
from gateway.core.stats.service import Summary
from gateway.core.stats.tables import Table, Value

#: Sources the report cites.
REPORT_SOURCES = (
    "Căn cứ: Quy chế Cao Bằng 08/2021 Điều 14; Quy chế Tuyên Quang 51/2024 Điều 19 khoản 9 "
    "(Sở TT&TT thống kê tình hình gửi, nhận văn bản điện tử và báo cáo 6 tháng một lần)."
)
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"


@dataclass(frozen=True, slots=True)
class ReportHeader:
    """What the title block of a report or export says."""

    title: str
    node_id: str
    period: Period
    scope: str
    generated_at: datetime
    watermark: int


_TITLE = "BÁO CÁO TÌNH HÌNH GỬI, NHẬN VĂN BẢN ĐIỆN TỬ"


def period_text(period: Period) -> str:
    """``từ 01/01/2026 đến 30/06/2026``."""
    return f"từ {period.start:%d/%m/%Y} đến {period.end:%d/%m/%Y}"


def report_title(period: Period) -> str:
    """The report's title for its period (6 tháng đầu/cuối năm for a half year)."""
    if period.kind == "half":
        half = "đầu" if period.start.month == 1 else "cuối"
        return f"{_TITLE} 6 THÁNG {half.upper()} NĂM {period.start.year}"
    return f"{_TITLE} KỲ {period.label}"


def header_of(summary: Summary, node_id: str, title: str | None = None) -> ReportHeader:
    """The title block of a summary."""
    scope = summary.scope
    who = "toàn trục" if scope.code is None else f"{scope.code} {scope.name or ''}".strip()
    return ReportHeader(
        title or report_title(summary.period),
        node_id,
        summary.period,
        who,
        summary.generated_at,
        summary.freshness.watermark,
    )


def _header_lines(header: ReportHeader) -> list[str]:
    generated = header.generated_at.astimezone(VN_TZ).isoformat(timespec="seconds")
    lines = [
        header.title,
        f"Trục liên thông: {header.node_id or '(chưa đặt mã nút)'} — phạm vi: {header.scope}",
        f"Kỳ báo cáo: {period_text(header.period)} (giờ Việt Nam, +07:00)",
        f"Thời điểm lập: {generated}; số liệu đến mục lịch sử #{header.watermark}",
    ]
    return lines


def csv_bytes(table: Table) -> bytes:
    """One table as CSV (UTF-8 with BOM, keys as the header)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([c.key for c in table.columns])
    writer.writerows(["" if v is None else v for v in row] for row in table.rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _sheet_name(title: str, used: set[str]) -> str:
    name = "".join(ch for ch in title if ch not in "[]:*?/\\")[:31]
    base, n = name, 2
    while name in used:
        name = f"{base[:28]} {n}"
        n += 1
    used.add(name)
    return name


class _Book:
    """An in-memory workbook with the report's formats."""

    def __init__(self) -> None:
        self.buffer = io.BytesIO()
        self.book = xlsxwriter.Workbook(self.buffer, {"in_memory": True})
        self.title = self.book.add_format({"bold": True, "font_size": 13})
        self.head = self.book.add_format(
            {"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True}
        )
        self.cell = self.book.add_format({"border": 1})
        self.share = self.book.add_format({"border": 1, "num_format": "0.00%"})
        self.total = self.book.add_format({"border": 1, "bold": True})
        self.used: set[str] = set()

    def sheet(
        self,
        table: Table,
        header: ReportHeader | None,
        *,
        total_last: bool = False,
        name: str | None = None,
    ) -> None:
        ws = self.book.add_worksheet(_sheet_name(name or table.title, self.used))
        row = 0
        if header is not None:
            for n, line in enumerate(_header_lines(header)):
                ws.write(row, 0, line, self.title if n == 0 else None)
                row += 1
            row += 1
        ws.write(row, 0, table.title, self.title)
        row += 1
        for col, column in enumerate(table.columns):
            ws.write(row, col, column.heading, self.head)
            ws.set_column(col, col, 48 if col == 0 else 18)
        row += 1
        for index, values in enumerate(table.rows):
            last = total_last and index == len(table.rows) - 1
            for col, value in enumerate(values):
                fmt = self.total if last else self.cell
                label = str(values[0] or "")
                if isinstance(value, float) and label.startswith("Tỷ lệ"):
                    fmt = self.share
                ws.write(row, col, value, fmt)
            row += 1

    def lines(self, name: str, lines: Sequence[str], header: ReportHeader) -> None:
        ws = self.book.add_worksheet(_sheet_name(name, self.used))
        ws.set_column(0, 0, 100)
        row = 0
        for n, line in enumerate(_header_lines(header)):
            ws.write(row, 0, line, self.title if n == 0 else None)
            row += 1
        row += 1
        for line in lines:
            ws.write(row, 0, line)
            row += 1

    def close(self) -> bytes:
        self.book.close()
        return self.buffer.getvalue()


def xlsx_bytes(tables: Sequence[Table], header: ReportHeader | None = None) -> bytes:
    """Tables as one workbook, one sheet each (the title block on each sheet when given)."""
    book = _Book()
    for table in tables:
        book.sheet(table, header, total_last=table.name == "agencies")
    return book.close()


def _fmt(value: Value) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.2%}"
    return str(value)


def totals_lines(summary: Summary) -> list[str]:
    """The report's key totals, as sentences an auditor reads first."""
    f = summary.figures
    r = f.as_recipient
    lines = [
        f"Số văn bản gửi đi: {f.documents.sent} (khẩn: {f.documents.urgent}).",
        f"Gửi đúng hạn: {f.documents.send_on_time}; gửi muộn: {f.documents.send_late}; "
        f"tỷ lệ đúng hạn: {_fmt(f.documents.send_on_time_share)}.",
        f"Số bản sao đã nhận: {r.outcomes['received']}; lỗi: {r.outcomes['failed']}; "
        f"đang chờ: {r.outcomes['pending']}.",
        f"Nhận ngoài giờ hành chính: {r.out_of_hours} ({_fmt(r.out_of_hours_share)}).",
        f"Thông báo đã nhận trong ngày: {r.notice.on_time}; muộn hoặc quá hạn: "
        f"{r.notice.late + r.notice.missing}; tỷ lệ: {_fmt(r.notice.share_on_time)}.",
        f"Thời gian nhận pháp lý (phút làm việc): p50 {_fmt(r.legal_delay.p50)}, "
        f"p95 {_fmt(r.legal_delay.p95)}.",
        "",
        REPORT_SOURCES,
        "Định nghĩa các chỉ tiêu: docs/statistics.md.",
    ]
    return lines


def report_xlsx(
    summary: Summary, agencies: Table, sections: Sequence[Table], node_id: str
) -> bytes:
    """The 6-monthly report: totals, the per-agency table, one sheet per section."""
    header = header_of(summary, node_id)
    book = _Book()
    book.lines("Tổng hợp", totals_lines(summary), header)
    book.sheet(agencies, header, total_last=True, name="Theo cơ quan")
    for table in sections:
        book.sheet(table, header)
    return book.close()


def _html_table(table: Table) -> str:
    head = "".join(f"<th>{html.escape(c.heading)}</th>" for c in table.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_fmt(v))}</td>" for v in row) + "</tr>"
        for row in table.rows
    )
    return (
        f"<h2>{html.escape(table.title)}</h2>"
        f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )


_STYLE = """
body { font-family: 'Times New Roman', serif; margin: 2em; }
h1 { font-size: 16pt; text-align: center; } h2 { font-size: 13pt; margin-top: 1.5em; }
table { border-collapse: collapse; width: 100%; font-size: 10pt; }
th, td { border: 1px solid #444; padding: 2px 6px; } th { background: #eee; }
td:not(:first-child) { text-align: right; }
@media print { body { margin: 0; } h2 { page-break-after: avoid; } }
"""


def report_html(summary: Summary, agencies: Table, sections: Sequence[Table], node_id: str) -> str:
    """The report as one printable HTML page (no script, no external resource)."""
    header = header_of(summary, node_id)
    title, *rest = _header_lines(header)
    parts = [
        "<!DOCTYPE html><html lang='vi'><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        *(f"<p>{html.escape(line)}</p>" for line in rest),
        "<h2>Tổng hợp</h2>",
        *(f"<p>{html.escape(line)}</p>" for line in totals_lines(summary) if line),
        _html_table(agencies),
        *(_html_table(t) for t in sections),
        "</body></html>",
    ]
    return "\n".join(parts)
