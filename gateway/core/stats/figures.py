"""The figures of a period, assembled from summed cells (or, in the recount, from raw rows).

:func:`assemble` takes the sums of the cells of one scope (``(role, measure, bucket) -> n``) and
judges the clock-dependent buckets at ``now``: a receipt notice still missing after its deadline
is ``missing``, a copy not finished by its due time is ``overdue_open``, a copy waiting in its
system's pull list has an age in working minutes. Percentiles are nearest-rank over histograms of
delays in minutes floored to their step (:func:`~gateway.core.stats.facts.delay_step`: exact
below an hour, within 3.1 % above), so they equal a recount that floors alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from business_calendar.calendar import BusinessCalendar, CalendarError
from gateway.core.stats import facts as f

#: Backlog classes in working minutes (docs/statistics.md: a working day counts 8 hours).
BACKLOG_CLASSES = (("under_4h", 4 * 60), ("under_1d", 8 * 60), ("under_3d", 3 * 8 * 60))
BACKLOG_OLDER = "older"
#: Business operations (edXML BussinessDocType) by their wire value.
OPERATIONS = {"0": "new", "1": "revoke", "2": "update", "3": "replace"}
OUTCOMES = ("received", "failed", "pending", "removed")


def share(part: int, whole: int) -> float | None:
    """``part / whole`` rounded to 4 places; None when ``whole`` is 0 (nothing to judge)."""
    return None if whole == 0 else round(part / whole, 4)


def percentile(histogram: Mapping[int, int], p: int) -> int | None:
    """The nearest-rank ``p``-th percentile (the smallest value with at least ``p`` % of the
    counts at or below it) of an integer histogram; None when it is empty."""
    count = sum(histogram.values())
    if count <= 0:
        return None
    rank = max(1, -(-p * count // 100))
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        if seen >= rank:
            return value
    return max(histogram)  # pragma: no cover - rank <= count


@dataclass(frozen=True, slots=True)
class Delay:
    """p50/p95 of a delay in minutes, over ``count`` copies."""

    count: int = 0
    p50: int | None = None
    p95: int | None = None


@dataclass(frozen=True, slots=True)
class Notice:
    """Same-day receipt notices of received copies (NĐ 30/2020 Art. 21(2)(b))."""

    on_time: int = 0  # a 01/03 by the end of the legal receipt's working day
    late: int = 0  # a 01/03 after it
    missing: int = 0  # none, and the deadline passed
    pending: int = 0  # none yet, the deadline not passed
    share_on_time: float | None = None  # on_time / (on_time + late + missing)


@dataclass(frozen=True, slots=True)
class Processing:
    """Processing by the document's DueDate: finished (06) on time or late, still open."""

    on_time: int = 0
    late: int = 0
    overdue_open: int = 0
    open: int = 0
    share_on_time: float | None = None  # on_time / (on_time + late + overdue_open)


@dataclass(frozen=True, slots=True)
class Copies:
    """The copies of one side (the agency as sender, or as recipient)."""

    copies: int = 0
    urgent: int = 0
    by_scope: dict[str, int] = field(default_factory=dict)
    outcomes: dict[str, int] = field(default_factory=dict)
    failed_by_code: dict[str, int] = field(default_factory=dict)
    replayed: int = 0
    technical_delay: Delay = field(default_factory=Delay)
    legal_delay: Delay = field(default_factory=Delay)
    out_of_hours: int = 0
    out_of_hours_share: float | None = None
    notice: Notice = field(default_factory=Notice)
    statuses: dict[str, int] = field(default_factory=dict)
    rejection_reasons: dict[str, int] = field(default_factory=dict)
    processing: Processing = field(default_factory=Processing)
    backlog: dict[str, int] = field(default_factory=dict)
    # Receipts by ISO weekday and local hour, ``W-HH`` -> n (received copies only).
    receipts_by_hour: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Documents:
    """The documents sent (once each, however many recipients)."""

    sent: int = 0
    urgent: int = 0
    urgent_share: float | None = None
    by_priority: dict[str, int] = field(default_factory=dict)
    by_operation: dict[str, int] = field(default_factory=dict)
    by_type: dict[str, int] = field(default_factory=dict)
    by_scope: dict[str, int] = field(default_factory=dict)
    send_on_time: int = 0
    send_late: int = 0
    send_unknown: int = 0
    send_on_time_share: float | None = None
    signatures: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Figures:
    """Every figure of one scope and period."""

    documents: Documents
    as_sender: Copies
    as_recipient: Copies


Sums = Mapping[tuple[str, str, str], int]
#: Sums grouped once by (role, measure): bucket -> n.
Grouped = Mapping[tuple[str, str], Mapping[str, int]]


def group(sums: Sums) -> dict[tuple[str, str], dict[str, int]]:
    """``(role, measure) -> {bucket: n}`` of summed cells (zeros left out)."""
    out: dict[tuple[str, str], dict[str, int]] = {}
    for (role, measure, bucket), n in sums.items():
        if n:
            out.setdefault((role, measure), {})[bucket] = n
    return out


def _by(sums: Grouped, role: str, measure: str) -> dict[str, int]:
    return dict(sums.get((role, measure), {}))


def _histogram(values: Mapping[str, int]) -> dict[int, int]:
    return {int(k): v for k, v in values.items() if v > 0}


def _delay(values: Mapping[str, int]) -> Delay:
    histogram = _histogram(values)
    return Delay(sum(histogram.values()), percentile(histogram, 50), percentile(histogram, 95))


def _due(bucket: str) -> datetime:
    return datetime.fromisoformat(bucket.removeprefix(f.DUE))


def backlog_class(minutes: int) -> str:
    """The age class of a copy waiting ``minutes`` working minutes."""
    for name, limit in BACKLOG_CLASSES:
        if minutes < limit:
            return name
    return BACKLOG_OLDER


def waiting_minutes(calendar: BusinessCalendar, since: datetime, now: datetime) -> int:
    """Working minutes a copy available since ``since`` has waited at ``now``."""
    try:
        return max(0, calendar.business_minutes(since, now))
    except CalendarError:
        return int(max(0.0, (now - since).total_seconds()) // 60)


def _copies(sums: Grouped, role: str, now: datetime, calendar: BusinessCalendar) -> Copies:
    outcomes = _by(sums, role, f.COPY_OUTCOME)
    hours = _by(sums, role, f.COPY_HOURS)
    notice = {"on_time": 0, "late": 0, "missing": 0, "pending": 0}
    for bucket, n in _by(sums, role, f.COPY_NOTICE).items():
        if bucket.startswith(f.DUE):
            notice["missing" if now > _due(bucket) else "pending"] += n
        else:
            notice[bucket] += n
    processing = {"on_time": 0, "late": 0, "overdue_open": 0, "open": 0}
    for bucket, n in _by(sums, role, f.COPY_PROCESSING).items():
        if bucket.startswith(f.DUE):
            processing["overdue_open" if now > _due(bucket) else "open"] += n
        else:
            processing[bucket] += n
    backlog = {name: 0 for name, _ in BACKLOG_CLASSES} | {BACKLOG_OLDER: 0}
    for bucket, n in _by(sums, role, f.COPY_BACKLOG).items():
        since = datetime.fromisoformat(bucket.removeprefix(f.SINCE))
        backlog[backlog_class(waiting_minutes(calendar, since, now))] += n
    received_hours = hours.get("in", 0) + hours.get("out", 0)
    statuses = _by(sums, role, f.COPY_STATUS)
    return Copies(
        copies=sum(_by(sums, role, f.COPY).values()),
        urgent=sum(n for p, n in _by(sums, role, f.COPY_PRIORITY).items() if int(p) >= 1),
        by_scope=dict(sorted(_by(sums, role, f.COPY_SCOPE).items())),
        outcomes={name: outcomes.get(name, 0) for name in OUTCOMES},
        failed_by_code=dict(sorted(_by(sums, role, f.COPY_FAILURE).items())),
        replayed=sum(_by(sums, role, f.COPY_REPLAYED).values()),
        technical_delay=_delay(_by(sums, role, f.COPY_TECHNICAL)),
        legal_delay=_delay(_by(sums, role, f.COPY_LEGAL)),
        out_of_hours=hours.get("out", 0),
        out_of_hours_share=share(hours.get("out", 0), received_hours),
        notice=Notice(
            **notice,
            share_on_time=share(
                notice["on_time"], notice["on_time"] + notice["late"] + notice["missing"]
            ),
        ),
        statuses={code: statuses.get(code, 0) for code in f.COUNTED_STATUSES},
        rejection_reasons=dict(
            sorted(_by(sums, role, f.COPY_REJECTION).items(), key=lambda kv: (-kv[1], kv[0]))
        ),
        processing=Processing(
            **processing,
            share_on_time=share(
                processing["on_time"],
                processing["on_time"] + processing["late"] + processing["overdue_open"],
            ),
        ),
        backlog=backlog,
        receipts_by_hour=dict(sorted(_by(sums, role, f.COPY_RECEIPT_HOUR).items())),
    )


def _documents(sums: Grouped) -> Documents:
    role = f.SENDER
    sent = sum(_by(sums, role, f.DOC).values())
    priority = _by(sums, role, f.DOC_PRIORITY)
    urgent = sum(n for p, n in priority.items() if int(p) >= 1)
    send = _by(sums, role, f.DOC_SEND)
    decided = send.get("on_time", 0) + send.get("late", 0)
    return Documents(
        sent=sent,
        urgent=urgent,
        urgent_share=share(urgent, sent),
        by_priority=dict(sorted(priority.items())),
        by_operation={
            OPERATIONS.get(k, k): v for k, v in sorted(_by(sums, role, f.DOC_OPERATION).items())
        },
        by_type=dict(sorted(_by(sums, role, f.DOC_TYPE).items())),
        by_scope=dict(sorted(_by(sums, role, f.DOC_SCOPE).items())),
        send_on_time=send.get("on_time", 0),
        send_late=send.get("late", 0),
        send_unknown=send.get("unknown", 0),
        send_on_time_share=share(send.get("on_time", 0), decided),
        signatures=dict(sorted(_by(sums, role, f.DOC_SIGNATURE).items())),
    )


def assemble(sums: Sums, now: datetime, calendar: BusinessCalendar) -> Figures:
    """The figures of summed cells, judged at ``now``."""
    grouped = group(sums)
    return Figures(
        documents=_documents(grouped),
        as_sender=_copies(grouped, f.SENDER, now, calendar),
        as_recipient=_copies(grouped, f.RECIPIENT, now, calendar),
    )
