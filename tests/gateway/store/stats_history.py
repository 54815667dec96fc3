"""Histories of documents, copies and statuses written through the store's own methods (accept
units, confirm, fail, status packages), for the statistics tests; and a registry with a merger."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta

from business_calendar.table import load_spec
from gateway.core.clock import VN_TZ
from gateway.core.legal import LegalTime, notice_on_time, overdue
from gateway.core.model import (
    AcceptPlan,
    DeliveryView,
    DocumentRecord,
    MessageType,
    RecipientPlan,
    StatusNoticePlan,
)
from gateway.core.routing import code_key
from gateway.store.repository import SqlStore
from identifiers import Agency, Registry

#: Agencies of the histories: a province, its departments, a ministry, another province, a code
#: the registry does not know, and a province closed into H14 (a 2025 merger).
AGENCIES = ("H14", "H14.91", "H14.91.01", "H14.92", "G22", "H37", "vxp.saas.03", "H99")
#: Days that matter: a swapped day off, a make-up Saturday, Tết 2026, 30 Apr, 1 May, National
#: Day 2025, ordinary days, a weekend, a make-up Saturday of 2025.
DAYS = (
    date(2026, 1, 2),
    date(2026, 1, 10),
    date(2026, 2, 16),
    date(2026, 2, 20),
    date(2026, 3, 2),
    date(2026, 3, 6),
    date(2026, 3, 7),
    date(2026, 4, 30),
    date(2026, 5, 1),
    date(2025, 9, 1),
    date(2025, 4, 26),
    date(2026, 6, 30),
    date(2026, 7, 1),
)
NOTATIONS = ("QĐ-UBND", "UBND-VP", "KH-SYT", None, "TB-VP", "CV-X")
SIGNATURES = ("valid", "invalid", "untrusted", "placeholder", "absent")
STATUS_CODES = ("01", "02", "03", "04", "05", "06", "13", "15", "16")


def registry() -> Registry:
    """The bundled registry plus ``H99``, closed into ``H14`` on 1 Jul 2025."""
    found = Registry.load_default()
    found.add(Agency(code="H99", name="Tỉnh đã sáp nhập", level=1), on=date(2020, 1, 1))
    found.add(Agency(code="H99.01", name="Sở của tỉnh đã sáp nhập", parent="H99", level=2))
    found.close("H99", "H14", date(2025, 7, 1))
    return found


def legal_time() -> LegalTime:
    """The shipped calendar."""
    return LegalTime(load_spec())


def instant(day: date, minutes: int) -> datetime:
    """``minutes`` after local midnight of ``day`` (+07:00)."""
    return datetime.combine(day, time(0), VN_TZ) + timedelta(minutes=minutes)


@dataclass
class CopySpec:
    """One recipient and what happens to its copy: (action, minutes later, status code)."""

    agency: int
    mode: str  # local, upstream (the national node takes it), unrouted (no system yet)
    actions: list[tuple[str, int, str]] = field(default_factory=list)


@dataclass
class DocSpec:
    """One document of a history."""

    sender: int
    day: int
    minute: int
    priority: int
    business_type: int
    notation: int
    signature: int
    promulgated: int | None  # days before the send
    due: int | None  # days after the send
    copies: list[CopySpec]


class History:
    """Writes documents and what happens to their copies through the store."""

    def __init__(self, store: SqlStore, legal: LegalTime) -> None:
        self.store = store
        self.legal = legal
        self.latest = instant(DAYS[0], 0)

    async def document(self, spec: DocSpec) -> tuple[str, list[str], datetime]:
        """Accept the document; its id, its copies' ids and the accept instant."""
        at = instant(DAYS[spec.day % len(DAYS)], spec.minute)
        self.latest = max(self.latest, at)
        data = uuid.uuid4().bytes * 4
        sender = AGENCIES[spec.sender % len(AGENCIES)]
        promulgated = (
            at.date() - timedelta(days=spec.promulgated) if spec.promulgated is not None else None
        )
        due = at.date() + timedelta(days=spec.due) if spec.due is not None else None
        record = DocumentRecord(
            document_id=str(uuid.uuid4()),
            kind=MessageType.EDOC,
            sender_system="sys-a",
            sender_code=sender,
            sender_key=code_key(sender),
            sha256=hashlib.sha256(data).hexdigest(),
            size=len(data),
            accepted_at=at,
            code_number=str(spec.minute),
            code_notation=NOTATIONS[spec.notation % len(NOTATIONS)],
            promulgation_date=promulgated,
            due_date=due,
            priority=spec.priority,
            business_type=spec.business_type,
            signature={"class": SIGNATURES[spec.signature % len(SIGNATURES)]},
            legal=self.legal.document(MessageType.EDOC, at, promulgated, due),
        )
        recipients = []
        for copy in spec.copies:
            code = AGENCIES[copy.agency % len(AGENCIES)]
            system = "sys-b" if copy.mode == "local" else None
            link = "upstream" if copy.mode == "upstream" else None
            recipients.append(
                RecipientPlan(str(uuid.uuid4()), code, code, code_key(code), system, link=link)
            )
        plan = AcceptPlan(document=record, data=data, attachments=(), recipients=tuple(recipients))
        async with self.store.accepting() as unit:
            await unit.store(plan, ())
        return record.document_id, [r.delivery_id for r in recipients], at

    async def view(self, document_id: str, delivery_id: str) -> DeliveryView:
        """The copy as the store shows it now."""
        async with self.store.accepting() as unit:
            views = await unit.deliveries_of(document_id)
        return next(v for v in views if v.delivery_id == delivery_id)

    async def act(
        self, document_id: str, delivery_id: str, action: str, at: datetime, code: str
    ) -> None:
        """Apply one action to a copy at ``at`` (an action its state does not allow does
        nothing, as in the node)."""
        self.latest = max(self.latest, at)
        store = self.store
        if action == "route":
            await store.make_available(delivery_id, at, "sys-b")
        elif action == "confirm":
            await store.confirm(
                delivery_id, done=True, actor="sys-b", now=at, max_failures=2,
                retry_at=lambda _: at, reason=None, receipt=self.legal.receipt,
            )  # fmt: skip
        elif action == "receiver_fail":
            await store.confirm(
                delivery_id, done=False, actor="sys-b", now=at, max_failures=2,
                retry_at=lambda _: at, reason="không mở được tệp",
            )  # fmt: skip
        elif action == "fail":
            await store.fail_delivery(
                delivery_id, reason="no route", code=f"E_{code}", actor="router", now=at
            )
        elif action == "status":
            await self.status(document_id, delivery_id, code, at)

    async def status(self, document_id: str, delivery_id: str, code: str, at: datetime) -> None:
        """The recipient (or, for 13, the sender) sends status ``code`` about the copy."""
        copy = await self.view(document_id, delivery_id)
        data = uuid.uuid4().bytes * 2
        record = DocumentRecord(
            document_id=str(uuid.uuid4()),
            kind=MessageType.STATUS,
            sender_system="sys-b",
            sender_code=copy.code,
            sender_key=code_key(copy.code),
            sha256=hashlib.sha256(data).hexdigest(),
            size=len(data),
            accepted_at=at,
            status_code=code,
            related_document_id=document_id,
        )
        notice = StatusNoticePlan(
            delivery_id=delivery_id,
            code=code,
            description=f"lý do {code}" if code == "02" else None,
            issued_at=at,
            from_code=copy.code,
            notice_on_time=notice_on_time(code, copy.kind, copy.legal, copy.received_at, at),
            overdue=overdue(code, copy.kind, copy.legal, at),
        )
        back = RecipientPlan(
            str(uuid.uuid4()), copy.sender_code, copy.sender_code, code_key(copy.sender_code),
            "sys-a", concerns_delivery_id=delivery_id,
        )  # fmt: skip
        plan = AcceptPlan(
            document=record, data=data, attachments=(), recipients=(back,), status_notice=notice
        )
        async with self.store.accepting() as unit:
            await unit.store(plan, ())


def with_day(spec: DocSpec, day: int) -> DocSpec:
    """The same document on another day."""
    return replace(spec, day=day)
