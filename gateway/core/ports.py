"""Ports: what the use cases need from the outside world, as Protocols.

The adapters are :class:`gateway.store.repository.SqlStore` (SQLAlchemy 2 async over PostgreSQL or
SQLite) and the buses of :mod:`connectors.bus` (used by the workers, not by the use cases: the use
cases write outbox rows in the same transaction as the document, design.md §1).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import date, datetime
from typing import Protocol

from gateway.core.alerts import AlertStore
from gateway.core.calendar_admin import OverrideStore
from gateway.core.model import (
    AcceptPlan,
    ConfirmOutcome,
    CopyLegal,
    DeliveryState,
    DeliveryView,
    DocumentRecord,
    DocumentTrace,
    MessageType,
    OutboxItem,
    StatusNotice,
    System,
)
from gateway.core.recompute import LegalStore


class SystemStore(Protocol):
    """Connected systems, their encrypted secrets, token hashes and grants."""

    async def get_system(self, system_id: str) -> System | None:
        """The system, or None."""
        ...

    async def credentials(self, system_id: str) -> tuple[System, bytes] | None:
        """The system and its secret as stored (encrypted), or None for an unknown system.

        Read on every VXP call, so an adapter may serve it from a short-lived cache: its own
        writes show at once, another process's within seconds.
        """
        ...

    async def system_by_token(self, token_hash: str) -> System | None:
        """The enabled or disabled system whose native-API token hashes to ``token_hash``."""
        ...

    async def list_systems(self) -> list[System]:
        """Every system, by id."""
        ...

    async def add_system(self, system: System, secret: bytes, token_hash: str | None) -> None:
        """Register a new system; raises ``NotAllowed`` (SYSTEM_EXISTS) if the id is taken."""
        ...

    async def update_system(
        self,
        system_id: str,
        *,
        enabled: bool | None = None,
        admin: bool | None = None,
        node_link: bool | None = None,
        grants: Sequence[str] | None = None,
        secret: bytes | None = None,
        token_hash: str | None = None,
        now: datetime | None = None,
    ) -> System:
        """Change what is given; raises ``NotFound`` (SYSTEM_UNKNOWN) for an unknown id."""
        ...

    async def grants(self) -> tuple[tuple[str, str], ...]:
        """(system id, granted code) of every enabled system, for routing (may be cached like
        :meth:`credentials`)."""
        ...


class AcceptUnit(Protocol):
    """The reads and the write of one accept, in one transaction (:meth:`DocumentStore.accepting`).

    The unit commits when its ``async with`` block ends without an error; a concurrent identical
    send that committed first makes the commit raise :class:`gateway.core.errors.Conflict`.
    """

    async def find_existing(
        self, sender_system: str, sha256: str, dedup_key: str | None
    ) -> str | None:
        """The DocId of an earlier identical send (same bytes or same dedup key), or None."""
        ...

    async def find_semantic_duplicate(
        self, sender_key: str, code_number: str, code_notation: str, promulgation_date: date
    ) -> str | None:
        """An earlier document of the same sender with the same number, notation and date."""
        ...

    async def find_document(
        self, sender_key: str, edxml_document_id: str, kind: MessageType = MessageType.EDOC
    ) -> DocumentRecord | None:
        """The latest new-document (BussinessDocType 0) package with that edXML DocumentId."""
        ...

    async def deliveries_of(self, document_id: str) -> list[DeliveryView]:
        """Every copy of a document."""
        ...

    async def store(self, plan: AcceptPlan, outbox: Sequence[OutboxItem]) -> None:
        """Write the package, its copies, events, statuses, links and outbox rows."""
        ...

    async def find_origin(self, origin_doc_id: str) -> str | None:
        """The DocId of the document whose copy was pulled as upstream item ``origin_doc_id``."""
        ...

    async def document(self, document_id: str) -> DocumentRecord | None:
        """One stored document."""
        ...

    async def add_copies(
        self, plan: AcceptPlan, now: datetime, actor: str, outbox: Sequence[OutboxItem]
    ) -> None:
        """Add ``plan.recipients`` as new copies of the already stored ``plan.document``."""
        ...


class DocumentStore(Protocol):
    """Documents, copies, their history, statuses, and the outbox."""

    def accepting(self) -> AbstractAsyncContextManager[AcceptUnit]:
        """A unit of work for one accept (see :class:`AcceptUnit`)."""
        ...

    async def get_document(self, document_id: str) -> DocumentRecord | None:
        """The document, or None."""
        ...

    async def deliveries_of(self, document_id: str) -> list[DeliveryView]:
        """Every copy of a document."""
        ...

    async def load_package(self, sha256: str) -> bytes:
        """The stored bytes of a package."""
        ...

    async def get_delivery(self, delivery_id: str) -> DeliveryView | None:
        """The copy, or None."""
        ...

    async def pull_list(
        self, system_id: str, kind: MessageType, now: datetime, limit: int
    ) -> list[DeliveryView]:
        """Copies waiting for ``system_id``: urgent first, then oldest first."""
        ...

    async def count_pending(self, system_id: str, kind: MessageType, now: datetime) -> int:
        """How many copies :meth:`pull_list` would return without a limit."""
        ...

    async def fetch(self, delivery_id: str, system_id: str, now: datetime) -> bytes | None:
        """The package of a copy handed to ``system_id`` (not ``queued``), recording a
        ``fetched`` event; None when there is no such copy for that system."""
        ...

    async def confirm(
        self,
        delivery_id: str,
        *,
        done: bool,
        actor: str,
        now: datetime,
        max_failures: int,
        retry_at: Callable[[int], datetime],
        reason: str | None,
        receipt: Callable[[DeliveryView, datetime], CopyLegal] | None = None,
        next_doc_id: str | None = None,
    ) -> ConfirmOutcome | None:
        """Apply ``updateStatus`` on a copy handed to ``actor`` (a system id); None when there is
        no such copy for it. Idempotent: repeating it changes nothing. ``retry_at(failures)``
        says when a copy the receiver failed on for the n-th time is offered again;
        ``receipt(copy, received_at)`` gives the legal measures a ``done`` stores with it."""
        ...

    async def make_available(
        self, delivery_id: str, now: datetime, system_id: str | None = None
    ) -> bool:
        """queued → available; False when the copy is not ``queued`` (idempotent) or, with
        ``system_id`` None, has no system recorded (the caller routes it again)."""
        ...

    async def mark_forwarded(
        self, delivery_ids: Sequence[str], upstream_doc_id: str, now: datetime
    ) -> int:
        """queued → forwarded with the upstream DocId (idempotent); returns how many moved."""
        ...

    async def fail_delivery(
        self, delivery_id: str, *, reason: str, code: str, actor: str, now: datetime
    ) -> bool:
        """Mark a non-final copy ``failed`` with the reason; False when already final."""
        ...

    async def report_delivery(
        self,
        delivery_id: str,
        *,
        received: bool,
        at: datetime,
        now: datetime,
        actor: str,
        system_id: str | None = None,
        code: str | None = None,
        reason: str | None = None,
        receipt: Callable[[DeliveryView, datetime], CopyLegal] | None = None,
    ) -> ConfirmOutcome | None:
        """Record what the next node reports of a copy: received at ``at``, or failed."""
        ...

    async def pulled_document(self, origin_doc_id: str) -> str | None:
        """The local DocId upstream item ``origin_doc_id`` was pulled into, or None."""
        ...

    async def forwarded_copies(
        self, limit: int, after: datetime | None = None
    ) -> list[DeliveryView]:
        """Forwarded copies whose fate upstream is not known yet, oldest first (after ``after``)."""
        ...

    async def sent_rows(
        self,
        sender_system: str,
        document_id: str | None,
        kind: MessageType,
        limit: int,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        before: tuple[datetime, str] | None = None,
    ) -> list[tuple[DocumentRecord, DeliveryView]]:
        """The copies (one row per recipient) of at most ``limit`` of the sender's documents,
        newest first by (accepted_at, document_id): accepted in [``since``, ``until``), strictly
        after the position ``before`` (the last document of the previous page)."""
        ...

    async def list_deliveries(
        self,
        *,
        state: DeliveryState | None,
        system_id: str | None,
        limit: int,
        since: datetime | None = None,
        until: datetime | None = None,
        before: tuple[datetime, str] | None = None,
    ) -> list[DeliveryView]:
        """Copies by state (e.g. the failed set for operators), most recently changed first by
        (updated_at, delivery_id): changed in [``since``, ``until``), strictly after ``before``.
        ``system_id`` keeps what it sent, and what it receives once routed (not ``queued``)."""
        ...

    async def trace(self, document_id: str) -> DocumentTrace | None:
        """The document with every copy, event and status."""
        ...

    async def queued_deliveries(self, older_than: datetime, limit: int) -> list[DeliveryView]:
        """Copies still ``queued`` since before ``older_than`` (start-up sweep)."""
        ...

    async def statuses_of(self, delivery_ids: Sequence[str]) -> dict[str, tuple[StatusNotice, ...]]:
        """The status notices recorded against each of these copies, in order."""
        ...

    async def mark_reported(self, delivery_id: str, now: datetime) -> None:
        """The upstream node acknowledged the report of this pulled copy's final state."""
        ...

    async def unreported(self, older_than: datetime, limit: int) -> list[DeliveryView]:
        """Pulled copies in a final state whose report is not acknowledged yet."""
        ...

    async def add_outbox(self, items: Sequence[OutboxItem], now: datetime) -> None:
        """Queue work for the relay on its own."""
        ...

    async def claim_outbox(self, limit: int, now: datetime) -> list[OutboxItem]:
        """Claim unpublished outbox rows no other relay holds, urgent first then oldest."""
        ...

    async def mark_published(self, outbox_ids: Sequence[int], now: datetime) -> None:
        """Mark rows published (after the broker confirmed them)."""
        ...

    async def note_publish_failure(self, outbox_ids: Sequence[int], error: str) -> None:
        """Count a failed publish attempt on the rows."""
        ...

    async def prune_outbox(self, published_before: datetime, limit: int) -> int:
        """Delete up to ``limit`` rows published before then; returns how many."""
        ...

    async def stats(self) -> dict[str, int]:
        """Counters for ``/metrics``: copies by state, outbox lag."""
        ...

    async def oldest_available_at(self) -> datetime | None:
        """When the oldest ``available`` copy (not yet confirmed) became available."""
        ...

    async def ping(self) -> bool:
        """True when the database answers."""
        ...


class Store(SystemStore, DocumentStore, LegalStore, OverrideStore, AlertStore, Protocol):
    """The whole store port."""
