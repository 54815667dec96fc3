"""What each document and copy contributes to the rollups: the cells it counts in.

A **cell** is ``(role, agency, day, measure, bucket)``: the agency counted as sender (``S``) or as
recipient (``R``), the local day the document was sent (its ``accepted_at``; a copy's
``created_at``), a measure of docs/statistics.md and one value of it. Every figure of a period
is a sum of cells, so the worker maintains them by differences: when a copy changes it computes
the copy's cells again, subtracts the ones stored with it (:mod:`gateway.store.stats` keeps them)
and adds the new ones. Only edXML documents count: status packages are counted as the statuses
recorded against the copies they concern.

Values that change with the clock while a status is missing are stored as the instant that
decides them (``due@<ISO instant>``, ``at@<ISO minute>``) and judged at read time
(:mod:`gateway.core.stats.figures`), so a cell never needs rewriting because time passed.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime

from business_calendar.calendar import BusinessCalendar, CalendarError
from gateway.core.clock import VN_TZ
from gateway.core.stats.periods import local_day

SENDER = "S"
RECIPIENT = "R"
#: The agency of the node-wide cells (every agency together).
NODE = "*"

# Measures (docs/statistics.md, "Figures"): document ones count once per document, as sender.
DOC = "doc"
DOC_PRIORITY = "doc.pri"
DOC_OPERATION = "doc.op"
DOC_TYPE = "doc.type"
DOC_SCOPE = "doc.scope"
DOC_SEND = "doc.send"
DOC_SIGNATURE = "doc.sig"
# Copy measures count once per copy, for its sender and for its recipient.
COPY = "cp"
COPY_PRIORITY = "cp.pri"
COPY_SCOPE = "cp.scope"
COPY_OUTCOME = "cp.out"
COPY_FAILURE = "cp.fail"
COPY_REPLAYED = "cp.replay"
COPY_HOURS = "cp.ooh"
COPY_RECEIPT_HOUR = "cp.rhw"
COPY_TECHNICAL = "cp.tech"
COPY_LEGAL = "cp.legal"
COPY_NOTICE = "cp.notice"
COPY_PROCESSING = "cp.proc"
COPY_BACKLOG = "cp.backlog"
COPY_STATUS = "cp.st"
COPY_REJECTION = "cp.rej"

#: Statuses counted per copy (NĐ 30/2020 Art. 21(2)(c), Lạng Sơn 2020 Art. 6(4), Art. 9(3)).
COUNTED_STATUSES = ("02", "13", "15", "16")
#: A bucket decided at read time: the instant of the deadline, the instant the copy waits since.
DUE = "due@"
SINCE = "at@"
#: Longest stored reason of a rejection.
REASON_LENGTH = 200
#: Significant bits a delay keeps (docs/statistics.md, "Percentiles"): exact below
#: ``2 ** DELAY_BITS`` minutes, then ``2 ** (DELAY_BITS - 1)`` steps per doubling, each at most
#: ``1 / 2 ** (DELAY_BITS - 1)`` of its value, as HDR histograms bound theirs.
DELAY_BITS = 6

#: Type abbreviations of NĐ 30/2020 App. III (the first group of a notation such as
#: ``QĐ-UBND``); a notation without one (``UBND-VP``) is an official letter (công văn, ``CV``).
DOCUMENT_TYPES = frozenset(
    {"NQ", "QĐ", "CT", "QC", "QYĐ", "TC", "HD", "CTR", "KH", "PA", "ĐA", "DA", "BC", "BB", "TTR",
     "HĐ", "CĐ", "TB", "GUQ", "GM", "GGT", "GNP", "PG", "PC", "PB", "TH", "PL", "GXN", "GNV",
     "BGN", "BN", "PĐ", "TĐ"}
)  # fmt: skip

Cell = tuple[str, str, date, str, str]


@dataclass(frozen=True, slots=True)
class DocumentFact:
    """What the rollups read of one document (an edXML package, not a status)."""

    document_id: str
    sender: str  # the sender's code key
    accepted_at: datetime
    priority: int
    business_type: int
    code_notation: str | None
    signature_class: str | None
    sent_on_time: bool | None
    upstream: bool  # some copy leaves by the upstream link (to the national node)
    pulled: bool  # the document came from the upstream node


@dataclass(frozen=True, slots=True)
class CopyFact:
    """What the rollups read of one copy of a document, with its history's relevant part."""

    delivery_id: str
    sender: str
    recipient: str  # the copy's code key (after succession)
    created_at: datetime
    priority: int
    state: str
    link: str | None
    pulled: bool
    available_at: datetime | None
    received_at: datetime | None
    received_out_of_hours: bool | None
    notice_deadline: datetime | None
    notice_on_time: bool | None
    overdue: bool | None
    due_at: datetime | None
    failure_code: str | None  # the code of its last failure
    failed_before: bool  # its history has a failure
    statuses: tuple[tuple[str, str | None], ...] = ()  # (code, description) recorded against it
    replay_entry: bool = False  # its history has an operator's ``replayed`` entry


def replayed(fact: CopyFact) -> bool:
    """A copy an operator replayed (a ``replayed`` entry), or that failed and is no longer
    failed (a late ``done``, a next node's late receipt)."""
    return fact.replay_entry or (fact.failed_before and fact.state != "failed")


def document_type(notation: str | None) -> str:
    """The type abbreviation of a notation (``QĐ-UBND`` → ``QĐ``), ``CV`` for none."""
    if not notation:
        return "CV"
    head = notation.split("-", 1)[0].strip().upper()
    return head if head in DOCUMENT_TYPES else "CV"


def scope(upstream: bool, pulled: bool) -> str:
    """Inside the province, to the national node or from it."""
    return "to_national" if upstream else "from_national" if pulled else "inside"


def outcome(state: str) -> str:
    """A copy's outcome from its state: received, failed, removed, or still pending."""
    return state if state in ("received", "failed", "removed") else "pending"


def receipt_hour(at: datetime) -> str:
    """The weekday and local hour of a receipt as a bucket: ``W-HH``, W the ISO weekday (Monday
    1), HH the hour in +07:00."""
    local = at.astimezone(VN_TZ)
    return f"{local.isoweekday()}-{local.hour:02d}"


def instant(at: datetime) -> str:
    """An instant as a bucket value (UTC ISO 8601, whole seconds)."""
    return at.astimezone(UTC).replace(microsecond=0).isoformat()


def minute(at: datetime) -> str:
    """An instant floored to its minute, as a bucket value."""
    return instant(at.replace(second=0, microsecond=0))


def delay_step(minutes: int) -> int:
    """A delay in whole minutes floored to its step: itself below 64 minutes; above, its first
    ``DELAY_BITS`` binary digits (steps of 2 minutes from 64, 4 from 128, ... 64 from 2 048):
    at most 3.1 % below it. A histogram then holds at most 32 values per doubling, whatever the
    number of copies, and the sum of a period's cells stays small."""
    shift = max(0, minutes.bit_length() - DELAY_BITS)
    return (minutes >> shift) << shift


def document_cells(fact: DocumentFact) -> Counter[Cell]:
    """The cells of one document (role ``S``)."""
    day, who = local_day(fact.accepted_at), fact.sender
    send = {True: "on_time", False: "late", None: "unknown"}[fact.sent_on_time]
    values = (
        (DOC, ""),
        (DOC_PRIORITY, str(fact.priority)),
        (DOC_OPERATION, str(fact.business_type)),
        (DOC_TYPE, document_type(fact.code_notation)),
        (DOC_SCOPE, scope(fact.upstream, fact.pulled)),
        (DOC_SEND, send),
        (DOC_SIGNATURE, fact.signature_class or "unknown"),
    )
    return Counter((SENDER, who, day, m, b) for m, b in values)


def copy_values(fact: CopyFact, calendar: BusinessCalendar) -> list[tuple[str, str]]:
    """The (measure, bucket) pairs of one copy (docs/statistics.md)."""
    out = [
        (COPY, ""),
        (COPY_PRIORITY, str(fact.priority)),
        (COPY_SCOPE, scope(fact.link == "upstream", fact.pulled)),
        (COPY_OUTCOME, outcome(fact.state)),
    ]
    if fact.state == "failed":
        out.append((COPY_FAILURE, fact.failure_code or "UNKNOWN"))
    if replayed(fact):
        out.append((COPY_REPLAYED, ""))
    received = fact.received_at
    if received is not None:
        if fact.received_out_of_hours is not None:
            out.append((COPY_HOURS, "out" if fact.received_out_of_hours else "in"))
        out.append((COPY_RECEIPT_HOUR, receipt_hour(received)))
        seconds = (received - fact.created_at).total_seconds()
        out.append((COPY_TECHNICAL, str(delay_step(max(0, int(seconds // 60))))))
        try:
            legal = calendar.business_minutes(fact.created_at, received)
        except CalendarError:
            pass
        else:
            out.append((COPY_LEGAL, str(delay_step(max(0, legal)))))
        # NĐ 30/2020 Art. 21(2)(b): a received copy is answered (01/03) the same working day.
        if fact.notice_on_time is not None:
            out.append((COPY_NOTICE, "on_time" if fact.notice_on_time else "late"))
        elif fact.notice_deadline is not None:
            out.append((COPY_NOTICE, DUE + instant(fact.notice_deadline)))
    if fact.overdue is not None:
        out.append((COPY_PROCESSING, "late" if fact.overdue else "on_time"))
    elif fact.due_at is not None and fact.state not in ("failed", "removed"):
        out.append((COPY_PROCESSING, DUE + instant(fact.due_at)))
    if fact.state == "available" and fact.available_at is not None:
        out.append((COPY_BACKLOG, SINCE + minute(fact.available_at)))
    codes = {code for code, _ in fact.statuses}
    out.extend((COPY_STATUS, code) for code in COUNTED_STATUSES if code in codes)
    reasons = {reason_of(description) for code, description in fact.statuses if code == "02"}
    out.extend((COPY_REJECTION, reason) for reason in sorted(reasons))
    return out


def reason_of(description: str | None) -> str:
    """A rejection's reason as counted: its text, trimmed, or ``(none)``."""
    text = " ".join((description or "").split())
    return text[:REASON_LENGTH] or "(none)"


def copy_cells(fact: CopyFact, calendar: BusinessCalendar) -> Counter[Cell]:
    """The cells of one copy: each value for its sender (``S``) and for its recipient (``R``)."""
    day = local_day(fact.created_at)
    cells: Counter[Cell] = Counter()
    for measure, bucket in copy_values(fact, calendar):
        cells[(SENDER, fact.sender, day, measure, bucket)] += 1
        cells[(RECIPIENT, fact.recipient, day, measure, bucket)] += 1
    return cells


def encode(cells: Mapping[Cell, int]) -> str:
    """The cells of one subject as the compact JSON kept with it (grouped by role/agency/day)."""
    groups: dict[tuple[str, str, str], list[list[object]]] = {}
    for (role, agency, day, measure, bucket), n in sorted(cells.items()):
        groups.setdefault((role, agency, day.isoformat()), []).append([measure, bucket, n])
    return json.dumps(
        [[r, a, d, values] for (r, a, d), values in groups.items()],
        ensure_ascii=False,
        separators=(",", ":"),
    )


def decode(text: str | None) -> Counter[Cell]:
    """The cells :func:`encode` wrote."""
    cells: Counter[Cell] = Counter()
    if not text:
        return cells
    for role, agency, day, values in json.loads(text):
        d = date.fromisoformat(day)
        for measure, bucket, n in values:
            cells[(role, agency, d, measure, bucket)] += int(n)
    return cells


def difference(old: Mapping[Cell, int], new: Mapping[Cell, int]) -> Counter[Cell]:
    """``new - old`` cell by cell, zeros left out (negative counts kept)."""
    delta: Counter[Cell] = Counter()
    for cell in set(old) | set(new):
        change = new.get(cell, 0) - old.get(cell, 0)
        if change:
            delta[cell] = change
    return delta


def total(cells: Iterable[Mapping[Cell, int]]) -> Counter[Cell]:
    """The sum of several subjects' cells."""
    out: Counter[Cell] = Counter()
    for one in cells:
        out.update(one)
    return out
