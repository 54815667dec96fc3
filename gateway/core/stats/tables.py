"""The figures as tables with Vietnamese headings: what the API's ``?format=csv|xlsx``, the CLI
export and the 6-monthly report print.

Each table is a title, columns (a key and a heading) and rows of plain values; the section
tables of one scope put the agency as sender and as recipient side by side.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from gateway.core.stats import facts as M
from gateway.core.stats.figures import Copies, Delay, Figures
from gateway.core.stats.service import AgencyLine

Value = str | int | float | None


@dataclass(frozen=True, slots=True)
class Column:
    """A column: its key (CSV header, JSON field) and its heading (XLSX, HTML)."""

    key: str
    heading: str


@dataclass(frozen=True, slots=True)
class Table:
    """One table of figures."""

    name: str
    title: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Value, ...], ...]


#: The tables of a scope, by name, with their Vietnamese titles.
SECTIONS = {
    "documents": "Văn bản gửi đi",
    "copies": "Kết quả chuyển văn bản",
    "delays": "Thời gian nhận văn bản",
    "notices": "Thông báo đã nhận và phản hồi",
    "processing": "Xử lý văn bản theo hạn",
    "backlog": "Văn bản chờ nhận",
    "signatures": "Chữ ký số của văn bản",
    "receipts": "Văn bản nhận theo thứ và giờ",
}
AGENCIES = "agencies"
DAILY = "daily"
TABLE_NAMES = (*SECTIONS, AGENCIES, DAILY)
_TITLES = {AGENCIES: "Thống kê theo cơ quan", DAILY: "Số lượng văn bản theo ngày"}

_METRIC = Column("metric", "Chỉ tiêu")
_SIDES = (_METRIC, Column("as_sender", "Cơ quan gửi"), Column("as_recipient", "Cơ quan nhận"))
_VALUE = (_METRIC, Column("value", "Giá trị"))

_OPERATIONS = {"new": "mới", "revoke": "thu hồi", "update": "cập nhật", "replace": "thay thế"}
_SCOPES = {
    "inside": "trong tỉnh",
    "to_national": "gửi lên trục quốc gia",
    "from_national": "nhận từ trục quốc gia",
}
_SIGNATURES = {
    "valid": "hợp lệ",
    "invalid": "không hợp lệ",
    "untrusted": "không tin cậy",
    "placeholder": "chữ ký giả (placeholder)",
    "absent": "không có chữ ký",
    "unknown": "chưa xác định",
}
_BACKLOG = {
    "under_4h": "dưới 4 giờ làm việc",
    "under_1d": "dưới 1 ngày làm việc",
    "under_3d": "dưới 3 ngày làm việc",
    "older": "từ 3 ngày làm việc trở lên",
}


def _table(name: str, columns: tuple[Column, ...], rows: Sequence[tuple[Value, ...]]) -> Table:
    return Table(name, SECTIONS.get(name) or _TITLES[name], columns, tuple(rows))


def _pair(label: str, sender: Value, recipient: Value) -> tuple[Value, ...]:
    return (label, sender, recipient)


def _keys(a: dict[str, int], b: dict[str, int]) -> list[str]:
    return sorted(set(a) | set(b))


def documents(figures: Figures) -> Table:
    """Documents sent: totals, urgent share, operations, types, scope, send timeliness."""
    d = figures.documents
    rows: list[tuple[Value, ...]] = [
        ("Số văn bản gửi đi", d.sent),
        ("Văn bản khẩn (độ khẩn ≥ 1)", d.urgent),
        ("Tỷ lệ văn bản khẩn", d.urgent_share),
    ]
    rows += [(f"Độ khẩn {k}", v) for k, v in d.by_priority.items()]
    rows += [(f"Nghiệp vụ: {_OPERATIONS.get(k, k)}", v) for k, v in d.by_operation.items()]
    rows += [(f"Loại văn bản: {k}", v) for k, v in d.by_type.items()]
    rows += [(f"Phạm vi: {_SCOPES.get(k, k)}", v) for k, v in d.by_scope.items()]
    rows += [
        ("Gửi đúng hạn (QĐ 28/2018; NĐ 30/2020 Đ.18(1))", d.send_on_time),
        ("Gửi muộn", d.send_late),
        ("Không xác định được hạn gửi", d.send_unknown),
        ("Tỷ lệ gửi đúng hạn", d.send_on_time_share),
    ]
    return _table("documents", _VALUE, rows)


def copies(figures: Figures) -> Table:
    """The outcome of every copy, as sender and as recipient."""
    s, r = figures.as_sender, figures.as_recipient
    labels = {"received": "Đã nhận", "failed": "Lỗi", "pending": "Đang chờ", "removed": "Đã gỡ"}
    rows = [_pair("Số bản sao", s.copies, r.copies), _pair("Bản sao khẩn", s.urgent, r.urgent)]
    rows += [_pair(labels[k], s.outcomes[k], r.outcomes[k]) for k in labels]
    rows += [
        _pair(f"Lỗi mã {code}", s.failed_by_code.get(code, 0), r.failed_by_code.get(code, 0))
        for code in _keys(s.failed_by_code, r.failed_by_code)
    ]
    rows += [_pair("Gửi lại sau lỗi (đã phát lại)", s.replayed, r.replayed)]
    rows += [
        _pair(f"Phạm vi: {_SCOPES.get(k, k)}", s.by_scope.get(k, 0), r.by_scope.get(k, 0))
        for k in _keys(s.by_scope, r.by_scope)
    ]
    return _table("copies", _SIDES, rows)


def _delays(label: str, s: Delay, r: Delay) -> list[tuple[Value, ...]]:
    return [
        _pair(f"{label}: số bản sao", s.count, r.count),
        _pair(f"{label}: trung vị (p50, phút)", s.p50, r.p50),
        _pair(f"{label}: p95 (phút)", s.p95, r.p95),
    ]


def delays(figures: Figures) -> Table:
    """Technical and legal receipt delays, receipts out of office hours."""
    s, r = figures.as_sender, figures.as_recipient
    rows = _delays("Thời gian kỹ thuật (gửi → xác nhận)", s.technical_delay, r.technical_delay)
    rows += _delays("Thời gian pháp lý (phút làm việc)", s.legal_delay, r.legal_delay)
    rows += [
        _pair("Nhận ngoài giờ hành chính", s.out_of_hours, r.out_of_hours),
        _pair("Tỷ lệ nhận ngoài giờ", s.out_of_hours_share, r.out_of_hours_share),
    ]
    return _table("delays", _SIDES, rows)


def notices(figures: Figures) -> Table:
    """Same-day receipt notices, rejections with reasons, revoke requests and answers."""
    s, r = figures.as_sender, figures.as_recipient
    rows = [
        _pair("Thông báo đã nhận trong ngày (01/03)", s.notice.on_time, r.notice.on_time),
        _pair("Thông báo muộn", s.notice.late, r.notice.late),
        _pair("Quá hạn chưa thông báo", s.notice.missing, r.notice.missing),
        _pair("Chưa đến hạn thông báo", s.notice.pending, r.notice.pending),
        _pair("Tỷ lệ thông báo trong ngày", s.notice.share_on_time, r.notice.share_on_time),
        _pair("Từ chối (02)", s.statuses["02"], r.statuses["02"]),
        _pair("Yêu cầu thu hồi (13)", s.statuses["13"], r.statuses["13"]),
        _pair("Đồng ý thu hồi/cập nhật (15)", s.statuses["15"], r.statuses["15"]),
        _pair("Không đồng ý (16)", s.statuses["16"], r.statuses["16"]),
    ]
    rows += [
        _pair(
            f"Lý do từ chối: {reason}",
            s.rejection_reasons.get(reason, 0),
            r.rejection_reasons.get(reason, 0),
        )
        for reason in _keys(s.rejection_reasons, r.rejection_reasons)
    ]
    return _table("notices", _SIDES, rows)


def processing(figures: Figures) -> Table:
    """Processing finished (06) by the DueDate, overdue copies still open."""
    s, r = figures.as_sender.processing, figures.as_recipient.processing
    rows = [
        _pair("Hoàn thành đúng hạn (06)", s.on_time, r.on_time),
        _pair("Hoàn thành quá hạn", s.late, r.late),
        _pair("Quá hạn chưa hoàn thành", s.overdue_open, r.overdue_open),
        _pair("Chưa đến hạn", s.open, r.open),
        _pair("Tỷ lệ hoàn thành đúng hạn", s.share_on_time, r.share_on_time),
    ]
    return _table("processing", _SIDES, rows)


def backlog(figures: Figures) -> Table:
    """Copies available but not confirmed, by age in working hours."""
    s, r = figures.as_sender.backlog, figures.as_recipient.backlog
    rows = [_pair(f"Chờ {label}", s[k], r[k]) for k, label in _BACKLOG.items()]
    return _table("backlog", _SIDES, rows)


def signatures(figures: Figures) -> Table:
    """Documents by XML signature class."""
    d = figures.documents.signatures
    total = sum(d.values())
    rows: list[tuple[Value, ...]] = []
    for k in sorted(d):
        rows.append((f"{_SIGNATURES.get(k, k)} ({k})", d[k]))
        rows.append((f"Tỷ lệ {_SIGNATURES.get(k, k)}", round(d[k] / total, 4) if total else None))
    return _table("signatures", _VALUE, rows)


WEEKDAYS = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật")
_HOURS = tuple(Column(f"h{h:02d}", f"{h:02d} giờ") for h in range(24))


def receipts(figures: Figures) -> Table:
    """Copies received by the agency (as recipient), by weekday and local hour: the
    out-of-hours traffic (before 7:30 or after 17:00, weekends) stands out."""
    by = figures.as_recipient.receipts_by_hour
    rows: list[tuple[Value, ...]] = [
        (name, *(by.get(f"{day}-{h:02d}", 0) for h in range(24)))
        for day, name in enumerate(WEEKDAYS, start=1)
    ]
    return _table("receipts", (Column("weekday", "Thứ"), *_HOURS), rows)


DAILY_COLUMNS = (
    Column("day", "Ngày"),
    Column("sent", "Văn bản gửi đi"),
    Column("copies", "Bản sao"),
    Column("received", "Đã nhận"),
    Column("pending", "Đang chờ"),
    Column("failed", "Lỗi"),
    Column("removed", "Đã thu hồi"),
)


def daily(days: Sequence[tuple[date, Figures]]) -> Table:
    """Volumes and outcomes per day (copies counted on the sender side)."""
    rows: list[tuple[Value, ...]] = [
        (
            day.isoformat(),
            f.documents.sent,
            f.as_sender.copies,
            *(f.as_sender.outcomes[k] for k in ("received", "pending", "failed", "removed")),
        )
        for day, f in days
    ]
    return _table(DAILY, DAILY_COLUMNS, rows)


BUILDERS = {
    "documents": documents,
    "copies": copies,
    "delays": delays,
    "notices": notices,
    "processing": processing,
    "backlog": backlog,
    "signatures": signatures,
    "receipts": receipts,
}

AGENCY_COLUMNS = (
    Column("code", "Mã định danh"),
    Column("name", "Tên cơ quan"),
    Column("parent", "Cơ quan cấp trên"),
    Column("merged", "Gồm cơ quan đã sáp nhập"),
    Column("sent", "Văn bản gửi đi"),
    Column("sent_on_time", "Gửi đúng hạn"),
    Column("sent_late", "Gửi muộn"),
    Column("copies_sent", "Bản sao gửi đi"),
    Column("failed", "Bản sao gửi lỗi"),
    Column("received", "Văn bản đã nhận"),
    Column("received_out_of_hours", "Nhận ngoài giờ"),
    Column("notice_on_time", "Thông báo đã nhận trong ngày"),
    Column("notice_late", "Thông báo muộn hoặc quá hạn"),
    Column("rejected", "Từ chối (02)"),
    Column("overdue_open", "Quá hạn xử lý chưa hoàn thành"),
)


def agency_row(
    code: str, name: str | None, parent: str | None, merged: str, f: Figures
) -> tuple[Value, ...]:
    """One row of the per-agency table."""
    s: Copies = f.as_sender
    r: Copies = f.as_recipient
    return (
        code,
        name,
        parent,
        merged,
        f.documents.sent,
        f.documents.send_on_time,
        f.documents.send_late,
        s.copies,
        s.outcomes["failed"],
        r.outcomes["received"],
        r.out_of_hours,
        r.notice.on_time,
        r.notice.late + r.notice.missing,
        r.statuses["02"],
        r.processing.overdue_open,
    )


def agencies(lines: Sequence[AgencyLine], total: Figures | None = None) -> Table:
    """The per-agency table, with the scope's total as the last row when given."""
    rows = [
        agency_row(line.code, line.name, line.parent, ", ".join(line.merged), line.figures)
        for line in lines
    ]
    if total is not None:
        rows.append(agency_row("Tổng cộng", None, None, "", total))
    return _table(AGENCIES, AGENCY_COLUMNS, rows)


#: The measures each section table reads (the cells of the others are not summed for it).
MEASURES: dict[str, tuple[str, ...]] = {
    "documents": (M.DOC, M.DOC_PRIORITY, M.DOC_OPERATION, M.DOC_TYPE, M.DOC_SCOPE, M.DOC_SEND),
    "copies": (
        M.COPY,
        M.COPY_PRIORITY,
        M.COPY_SCOPE,
        M.COPY_OUTCOME,
        M.COPY_FAILURE,
        M.COPY_REPLAYED,
    ),
    "delays": (M.COPY_TECHNICAL, M.COPY_LEGAL, M.COPY_HOURS),
    "notices": (M.COPY_NOTICE, M.COPY_STATUS, M.COPY_REJECTION),
    "processing": (M.COPY_PROCESSING,),
    "backlog": (M.COPY_BACKLOG,),
    "signatures": (M.DOC_SIGNATURE,),
    "receipts": (M.COPY_RECEIPT_HOUR,),
}


def sections(figures: Figures) -> list[Table]:
    """Every section table of one scope."""
    return [build(figures) for build in BUILDERS.values()]


def summary_table(tables: Sequence[Table]) -> Table:
    """The section tables as one (a column naming each row's table), for one CSV file; the
    weekday × hour grid has a file of its own."""
    return Table(
        "summary",
        "Tổng hợp",
        (Column("table", "Bảng"), *_SIDES),
        tuple(
            (t.name, *row, *([None] * (3 - len(row))))
            for t in tables
            if len(t.columns) <= 3
            for row in t.rows
        ),
    )
