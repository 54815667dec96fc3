"""The brute-force recount: every figure computed straight from the documents' and copies'
facts as the raw tables hold them, with the calendar library, no rollup involved.

Tests compare it with the rollups (:mod:`tests.gateway.stats`); operators can run it for one
period (``python -m gateway stats summary --recount``) when a figure is in doubt. It reads every
row, so it is for checks, never for serving requests.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime

from business_calendar.calendar import BusinessCalendar, CalendarError
from gateway.core.stats.facts import (
    COUNTED_STATUSES,
    CopyFact,
    DocumentFact,
    delay_step,
    document_type,
    reason_of,
    receipt_hour,
)
from gateway.core.stats.facts import scope as scope_of
from gateway.core.stats.figures import (
    BACKLOG_CLASSES,
    BACKLOG_OLDER,
    OPERATIONS,
    OUTCOMES,
    Copies,
    Delay,
    Documents,
    Figures,
    Notice,
    Processing,
    backlog_class,
    percentile,
    share,
    waiting_minutes,
)
from gateway.core.stats.periods import Period, local_day
from gateway.core.stats.scope import Scope


def _delay(values: Iterable[int]) -> Delay:
    histogram = Counter(delay_step(v) for v in values)
    return Delay(sum(histogram.values()), percentile(histogram, 50), percentile(histogram, 95))


def _documents(docs: Sequence[DocumentFact]) -> Documents:
    priority = Counter(str(d.priority) for d in docs)
    urgent = sum(1 for d in docs if d.priority >= 1)
    on_time = sum(1 for d in docs if d.sent_on_time is True)
    late = sum(1 for d in docs if d.sent_on_time is False)
    operations = Counter(str(d.business_type) for d in docs)
    return Documents(
        sent=len(docs),
        urgent=urgent,
        urgent_share=share(urgent, len(docs)),
        by_priority=dict(sorted(priority.items())),
        by_operation={OPERATIONS.get(k, k): v for k, v in sorted(operations.items())},
        by_type=dict(sorted(Counter(document_type(d.code_notation) for d in docs).items())),
        by_scope=dict(sorted(Counter(scope_of(d.upstream, d.pulled) for d in docs).items())),
        send_on_time=on_time,
        send_late=late,
        send_unknown=len(docs) - on_time - late,
        send_on_time_share=share(on_time, on_time + late),
        signatures=dict(sorted(Counter(d.signature_class or "unknown" for d in docs).items())),
    )


def _legal_minutes(calendar: BusinessCalendar, c: CopyFact) -> int | None:
    if c.received_at is None:
        return None
    try:
        return max(0, calendar.business_minutes(c.created_at, c.received_at))
    except CalendarError:
        return None


def _copies(copies: Sequence[CopyFact], now: datetime, calendar: BusinessCalendar) -> Copies:
    received = [c for c in copies if c.received_at is not None]
    state = Counter(
        c.state if c.state in ("received", "failed", "removed") else "pending" for c in copies
    )
    judged = [c for c in received if c.received_out_of_hours is not None]
    out_of_hours = sum(1 for c in judged if c.received_out_of_hours)
    notice = Counter[str]()
    for c in received:
        if c.notice_on_time is True:
            notice["on_time"] += 1
        elif c.notice_on_time is False:
            notice["late"] += 1
        elif c.notice_deadline is not None:
            notice["missing" if now > c.notice_deadline else "pending"] += 1
    processing = Counter[str]()
    for c in copies:
        if c.overdue is True:
            processing["late"] += 1
        elif c.overdue is False:
            processing["on_time"] += 1
        elif c.due_at is not None and c.state not in ("failed", "removed"):
            processing["overdue_open" if now > c.due_at else "open"] += 1
    backlog = Counter[str]()
    for c in copies:
        if c.state == "available" and c.available_at is not None:
            since = c.available_at.replace(second=0, microsecond=0)
            backlog[backlog_class(waiting_minutes(calendar, since, now))] += 1
    reasons = Counter[str]()
    statuses = Counter[str]()
    for c in copies:
        codes = {code for code, _ in c.statuses}
        statuses.update(code for code in COUNTED_STATUSES if code in codes)
        reasons.update({reason_of(d) for code, d in c.statuses if code == "02"})
    legal = [m for m in (_legal_minutes(calendar, c) for c in received) if m is not None]
    decided_notice = notice["on_time"] + notice["late"] + notice["missing"]
    decided_processing = processing["on_time"] + processing["late"] + processing["overdue_open"]
    return Copies(
        copies=len(copies),
        urgent=sum(1 for c in copies if c.priority >= 1),
        by_scope=dict(
            sorted(Counter(scope_of(c.link == "upstream", c.pulled) for c in copies).items())
        ),
        outcomes={name: state.get(name, 0) for name in OUTCOMES},
        failed_by_code=dict(
            sorted(
                Counter(c.failure_code or "UNKNOWN" for c in copies if c.state == "failed").items()
            )
        ),
        replayed=sum(
            1 for c in copies if c.replay_entry or (c.state != "failed" and c.failed_before)
        ),
        technical_delay=_delay(
            max(0, int((c.received_at - c.created_at).total_seconds() // 60))
            for c in received
            if c.received_at is not None
        ),
        legal_delay=_delay(legal),
        out_of_hours=out_of_hours,
        out_of_hours_share=share(out_of_hours, len(judged)),
        notice=Notice(
            on_time=notice["on_time"],
            late=notice["late"],
            missing=notice["missing"],
            pending=notice["pending"],
            share_on_time=share(notice["on_time"], decided_notice),
        ),
        statuses={code: statuses.get(code, 0) for code in COUNTED_STATUSES},
        rejection_reasons=dict(sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))),
        processing=Processing(
            on_time=processing["on_time"],
            late=processing["late"],
            overdue_open=processing["overdue_open"],
            open=processing["open"],
            share_on_time=share(processing["on_time"], decided_processing),
        ),
        backlog={name: backlog.get(name, 0) for name, _ in BACKLOG_CLASSES}
        | {BACKLOG_OLDER: backlog.get(BACKLOG_OLDER, 0)},
        receipts_by_hour=dict(
            sorted(Counter(receipt_hour(c.received_at) for c in received if c.received_at).items())
        ),
    )


def recount(
    documents: Sequence[DocumentFact],
    copies: Sequence[CopyFact],
    period: Period,
    scope: Scope,
    now: datetime,
    calendar: BusinessCalendar,
) -> Figures:
    """Every figure of ``period`` and ``scope`` from the facts, judged at ``now``."""

    def inside(key: str) -> bool:
        return scope.whole or key in scope.keys

    docs = [d for d in documents if period.contains(local_day(d.accepted_at)) and inside(d.sender)]
    dated = [c for c in copies if period.contains(local_day(c.created_at))]
    return Figures(
        documents=_documents(docs),
        as_sender=_copies([c for c in dated if inside(c.sender)], now, calendar),
        as_recipient=_copies([c for c in dated if inside(c.recipient)], now, calendar),
    )
