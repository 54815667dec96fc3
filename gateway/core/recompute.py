"""Recomputing stored legal measures with the current calendar, on an operator's request.

A change of the calendar (an override row, other office hours, a new ``holidays`` release) never
rewrites what is stored: each value keeps the version it was computed with. ``python -m gateway
calendar recompute --from DATE`` runs :func:`recompute`, which takes every document accepted since
the start of DATE (+07:00) with its copies, computes their measures again with the current
calendar, writes those that differ (and the new version on every one it looked at), and reports
how many changed with a few examples. The copies written (and those of the documents written) are
marked, in the same transactions, for the statistics worker to count again with the new calendar
(docs/statistics.md "Recompute"). The first 01/03 and 06 of each copy are read from the status
history, so ``notice_on_time`` and ``overdue`` follow a moved deadline too. Rows accepted before
the measures existed get them this way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime
from typing import Any, Protocol

from gateway.core.clock import VN_TZ
from gateway.core.legal import LegalTime, notice_on_time, overdue, start_of
from gateway.core.model import CopyLegal, DeliveryView, DocumentLegal, DocumentRecord

#: How many examples of changes a report keeps.
EXAMPLES = 5
#: Documents read and written per transaction.
BATCH = 200
#: The fields compared (the version is not a change of value).
_DOCUMENT_FIELDS = ("send_deadline", "sent_on_time", "due_at")
_COPY_FIELDS = tuple(
    f.name for f in fields(CopyLegal) if f.name not in ("calendar_version", "due_at")
)


@dataclass(frozen=True, slots=True)
class CopySubject:
    """A copy with the instants its statuses settle: the node's acceptance of its first 01/03
    and of its first 06 (None when there is none)."""

    copy: DeliveryView
    first_notice_at: datetime | None = None
    first_done_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class LegalSubject:
    """A document and its copies, as recompute reads them."""

    document: DocumentRecord
    copies: tuple[CopySubject, ...] = ()


class LegalStore(Protocol):
    """What recompute reads and writes."""

    async def legal_subjects(
        self, since: datetime, after: tuple[datetime, str] | None, limit: int
    ) -> list[LegalSubject]:
        """Documents accepted at or after ``since`` (and after ``after`` = (accepted_at,
        document_id) in that order), oldest first, with their copies and status instants."""
        ...

    async def save_legal(
        self,
        documents: Sequence[tuple[str, DocumentLegal]],
        copies: Sequence[tuple[str, CopyLegal]],
    ) -> int:
        """Write these documents' and copies' measures (``due_at`` of a copy is not stored) and
        mark their document copies for the statistics worker to count again; returns how many
        copies were marked."""
        ...


@dataclass
class RecomputeReport:
    """What a recompute found and did."""

    since: date
    version: str
    applied: bool
    documents: int = 0
    documents_changed: int = 0
    copies: int = 0
    copies_changed: int = 0
    restamped: int = 0  # rows whose values stayed and whose version was updated
    recount: int = 0  # document copies marked for the statistics worker to count again
    examples: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "since": self.since.isoformat(),
            "calendar_version": self.version,
            "applied": self.applied,
            "documents": self.documents,
            "documents_changed": self.documents_changed,
            "copies": self.copies,
            "copies_changed": self.copies_changed,
            "restamped": self.restamped,
            "stats_recount": self.recount,
            "examples": list(self.examples),
        }


def _show(value: object) -> str:
    if isinstance(value, datetime):
        return value.astimezone(VN_TZ).isoformat()
    if isinstance(value, bool):
        return str(value).lower()
    return "null" if value is None else str(value)


def _changes(old: object, new: object, names: Sequence[str]) -> list[str]:
    return [
        f"{name} {_show(getattr(old, name))} -> {_show(getattr(new, name))}"
        for name in names
        if getattr(old, name) != getattr(new, name)
    ]


def recomputed_copy(legal: LegalTime, subject: CopySubject, due_at: datetime | None) -> CopyLegal:
    """A copy's measures again with the current calendar and its document's new ``due_at``."""
    copy = subject.copy
    base = replace(copy.legal, due_at=due_at)
    if copy.received_at is not None:
        base = legal.receipt(replace(copy, legal=base), copy.received_at)
    notice = None
    if subject.first_notice_at is not None:
        notice = notice_on_time("01", copy.kind, base, copy.received_at, subject.first_notice_at)
    late = None
    if subject.first_done_at is not None:
        late = overdue("06", copy.kind, base, subject.first_done_at)
    return replace(base, notice_on_time=notice, overdue=late)


async def recompute(
    store: LegalStore,
    legal: LegalTime,
    since: date,
    *,
    apply: bool = True,
    batch: int = BATCH,
) -> RecomputeReport:
    """Recompute the measures of everything accepted since the start of ``since`` (+07:00)."""
    report = RecomputeReport(since, legal.version, apply)
    after: tuple[datetime, str] | None = None
    while True:
        subjects = await store.legal_subjects(start_of(since), after, batch)
        if not subjects:
            return report
        documents: list[tuple[str, DocumentLegal]] = []
        copies: list[tuple[str, CopyLegal]] = []
        for subject in subjects:
            doc = subject.document
            new_doc = legal.document(doc.kind, doc.accepted_at, doc.promulgation_date, doc.due_date)
            report.documents += 1
            changed = _changes(doc.legal, new_doc, _DOCUMENT_FIELDS)
            if changed:
                report.documents_changed += 1
                _example(report, f"document {doc.document_id}: " + "; ".join(changed))
            elif doc.legal.calendar_version != new_doc.calendar_version:
                report.restamped += 1
            if changed or doc.legal.calendar_version != new_doc.calendar_version:
                documents.append((doc.document_id, new_doc))
            for item in subject.copies:
                old = item.copy.legal
                new = recomputed_copy(legal, item, new_doc.due_at)
                report.copies += 1
                changed = _changes(old, new, _COPY_FIELDS)
                if changed:
                    report.copies_changed += 1
                    _example(
                        report,
                        f"copy {item.copy.delivery_id} ({item.copy.code}) of document "
                        f"{doc.document_id}: " + "; ".join(changed),
                    )
                elif old.calendar_version != new.calendar_version:
                    report.restamped += 1
                if changed or old.calendar_version != new.calendar_version:
                    copies.append((item.copy.delivery_id, new))
        if apply and (documents or copies):
            report.recount += await store.save_legal(documents, copies)
        last = subjects[-1].document
        after = (last.accepted_at, last.document_id)
        if len(subjects) < batch:
            return report


def _example(report: RecomputeReport, line: str) -> None:
    if len(report.examples) < EXAMPLES:
        report.examples.append(line)
