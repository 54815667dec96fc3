"""The store port implemented with SQLAlchemy 2 async (PostgreSQL and SQLite alike).

Each public method is one transaction. :meth:`SqlStore.accept` writes a package, its copies, their
first events and the outbox rows together, or nothing: a package is accepted only once that commit
returned (design.md §1). Unique constraints settle races between identical concurrent sends: the
loser writes nothing and answers the winner's DocId.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from gateway.core.errors import NotAllowed, NotFound, StoreUnavailable
from gateway.core.model import (
    FINAL_STATES,
    AcceptOutcome,
    AcceptPlan,
    AttachmentInfo,
    ConfirmOutcome,
    DeliveryEvent,
    DeliveryState,
    DeliveryView,
    DocumentRecord,
    DocumentTrace,
    EventKind,
    MessageType,
    OutboxItem,
    StatusNotice,
    System,
)
from gateway.core.statuses import status_rank
from gateway.store.tables import (
    AttachmentRow,
    BlobRow,
    DeliveryRow,
    DocumentRow,
    EventRow,
    GrantRow,
    OutboxRow,
    StatusNoticeRow,
    SystemRow,
)

#: Columns of a copy's view: the copy plus what it needs of its document.
_VIEW_COLUMNS = (
    DeliveryRow,
    DocumentRow.sender_system,
    DocumentRow.sender_code,
    DocumentRow.sha256,
    DocumentRow.subject,
    DocumentRow.code_number,
    DocumentRow.code_notation,
)


def _view_query() -> Any:  # a Select of the view columns

    return select(*_VIEW_COLUMNS).join(
        DocumentRow, DocumentRow.document_id == DeliveryRow.document_id
    )


def _view(row: Any) -> DeliveryView:
    d: DeliveryRow = row[0]
    return DeliveryView(
        delivery_id=d.delivery_id,
        document_id=d.document_id,
        kind=MessageType(d.kind),
        state=DeliveryState(d.state),
        priority=d.priority,
        requested_code=d.requested_code,
        code=d.code,
        system_id=d.system_id,
        sender_system=row[1],
        sender_code=row[2],
        sha256=row[3],
        created_at=d.created_at,
        updated_at=d.updated_at,
        available_at=d.available_at,
        received_at=d.received_at,
        next_attempt_at=d.next_attempt_at,
        receiver_failures=d.receiver_failures,
        last_error=d.last_error,
        status_code=d.status_code,
        status_at=d.status_at,
        subject=row[4],
        code_number=row[5],
        code_notation=row[6],
    )


def _document(row: DocumentRow) -> DocumentRecord:
    return DocumentRecord(
        document_id=row.document_id,
        kind=MessageType(row.kind),
        sender_system=row.sender_system,
        sender_code=row.sender_code,
        sender_key=row.sender_key,
        sha256=row.sha256,
        size=row.size,
        accepted_at=row.accepted_at,
        edxml_document_id=row.edxml_document_id,
        code_number=row.code_number,
        code_notation=row.code_notation,
        promulgation_date=row.promulgation_date,
        subject=row.subject,
        priority=row.priority,
        business_type=row.business_type,
        due_date=row.due_date,
        status_code=row.status_code,
        related_document_id=row.related_document_id,
        duplicate_of=row.duplicate_of,
        dedup_key=row.dedup_key,
        signature=dict(row.signature or {}),
        notes=tuple(row.notes or ()),
        request_id=row.request_id,
    )


def _system(row: SystemRow, grants: Sequence[str]) -> System:
    return System(
        system_id=row.system_id,
        grants=tuple(sorted(grants)),
        enabled=row.enabled,
        admin=row.admin,
        created_at=row.created_at,
        description=row.description,
    )


class SqlStore:
    """The store port over one async engine."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        self._postgres = engine.dialect.name == "postgresql"

    @asynccontextmanager
    async def _tx(self) -> AsyncIterator[AsyncSession]:
        """A session in a transaction; database failures become ``StoreUnavailable``."""
        try:
            async with self._sessions() as session, session.begin():
                yield session
        except (IntegrityError, NotFound, NotAllowed):
            raise
        except (DBAPIError, OSError) as exc:
            raise StoreUnavailable(f"database error: {type(exc).__name__}") from exc

    # ------------------------------------------------------------------ systems

    async def _grants_of(self, session: AsyncSession, system_id: str) -> list[str]:
        result = await session.scalars(select(GrantRow.code).where(GrantRow.system_id == system_id))
        return list(result)

    async def get_system(self, system_id: str) -> System | None:
        """The system, or None."""
        async with self._tx() as s:
            row = await s.get(SystemRow, system_id)
            return None if row is None else _system(row, await self._grants_of(s, system_id))

    async def system_secret(self, system_id: str) -> bytes | None:
        """The encrypted secret, or None."""
        async with self._tx() as s:
            secret: bytes | None = await s.scalar(
                select(SystemRow.secret).where(SystemRow.system_id == system_id)
            )
            return secret

    async def system_by_token(self, token_hash: str) -> System | None:
        """The system holding the token, or None."""
        async with self._tx() as s:
            row = await s.scalar(select(SystemRow).where(SystemRow.token_hash == token_hash))
            return None if row is None else _system(row, await self._grants_of(s, row.system_id))

    async def list_systems(self) -> list[System]:
        """Every system, by id."""
        async with self._tx() as s:
            rows = list(await s.scalars(select(SystemRow).order_by(SystemRow.system_id)))
            grants: dict[str, list[str]] = {}
            for system_id, code in await s.execute(select(GrantRow.system_id, GrantRow.code)):
                grants.setdefault(system_id, []).append(code)
            return [_system(row, grants.get(row.system_id, [])) for row in rows]

    async def add_system(self, system: System, secret: bytes, token_hash: str | None) -> None:
        """Register a system with its grants."""
        now = system.created_at
        if now is None:
            raise ValueError("system.created_at is required")
        try:
            async with self._tx() as s:
                if await s.get(SystemRow, system.system_id) is not None:
                    raise NotAllowed(
                        f"system {system.system_id!r} already exists",
                        code="SYSTEM_EXISTS",
                        field="system_id",
                    )
                s.add(
                    SystemRow(
                        system_id=system.system_id,
                        secret=secret,
                        token_hash=token_hash,
                        enabled=system.enabled,
                        admin=system.admin,
                        description=system.description,
                        created_at=now,
                        updated_at=now,
                    )
                )
                await s.flush()
                s.add_all(GrantRow(system_id=system.system_id, code=c) for c in set(system.grants))
        except IntegrityError as exc:
            raise NotAllowed(
                f"system {system.system_id!r} already exists", code="SYSTEM_EXISTS"
            ) from exc

    async def update_system(
        self,
        system_id: str,
        *,
        enabled: bool | None = None,
        admin: bool | None = None,
        grants: Sequence[str] | None = None,
        secret: bytes | None = None,
        token_hash: str | None = None,
        now: datetime | None = None,
    ) -> System:
        """Change what is given."""
        async with self._tx() as s:
            row = await s.get(SystemRow, system_id, with_for_update=self._postgres)
            if row is None:
                raise NotFound(f"no system {system_id!r}", code="SYSTEM_UNKNOWN", field="system_id")
            if enabled is not None:
                row.enabled = enabled
            if admin is not None:
                row.admin = admin
            if secret is not None:
                row.secret = secret
            if token_hash is not None:
                row.token_hash = token_hash
            if now is not None:
                row.updated_at = now
            if grants is not None:
                await s.execute(delete(GrantRow).where(GrantRow.system_id == system_id))
                s.add_all(GrantRow(system_id=system_id, code=c) for c in set(grants))
            await s.flush()
            return _system(row, await self._grants_of(s, system_id))

    async def grants(self) -> list[tuple[str, str]]:
        """(system id, code) of enabled systems."""
        async with self._tx() as s:
            result = await s.execute(
                select(GrantRow.system_id, GrantRow.code)
                .join(SystemRow, SystemRow.system_id == GrantRow.system_id)
                .where(SystemRow.enabled.is_(True))
            )
            return [(system_id, code) for system_id, code in result]

    # ------------------------------------------------------------------ documents

    async def find_existing(
        self, sender_system: str, sha256: str, dedup_key: str | None
    ) -> str | None:
        """The DocId of an identical earlier send."""
        condition = and_(DocumentRow.sender_system == sender_system, DocumentRow.sha256 == sha256)
        if dedup_key is not None:
            condition = or_(condition, DocumentRow.dedup_key == dedup_key)
        async with self._tx() as s:
            found: str | None = await s.scalar(
                select(DocumentRow.document_id).where(condition).limit(1)
            )
            return found

    async def find_semantic_duplicate(
        self, sender_key: str, code_number: str, code_notation: str, promulgation_date: date
    ) -> str | None:
        """An earlier new document with the same number, notation and date from that sender."""
        async with self._tx() as s:
            found: str | None = await s.scalar(
                select(DocumentRow.document_id)
                .where(
                    DocumentRow.sender_key == sender_key,
                    DocumentRow.code_number == code_number,
                    DocumentRow.code_notation == code_notation,
                    DocumentRow.promulgation_date == promulgation_date,
                    DocumentRow.kind == MessageType.EDOC.value,
                    DocumentRow.business_type == 0,
                )
                .order_by(DocumentRow.accepted_at)
                .limit(1)
            )
            return found

    async def find_document(
        self, sender_key: str, edxml_document_id: str, kind: MessageType = MessageType.EDOC
    ) -> DocumentRecord | None:
        """The latest new-document package with that edXML DocumentId from that sender."""
        async with self._tx() as s:
            row = await s.scalar(
                select(DocumentRow)
                .where(
                    DocumentRow.sender_key == sender_key,
                    DocumentRow.edxml_document_id == edxml_document_id,
                    DocumentRow.kind == kind.value,
                    DocumentRow.business_type == 0,
                )
                .order_by(DocumentRow.accepted_at.desc())
                .limit(1)
            )
            return None if row is None else _document(row)

    async def get_document(self, document_id: str) -> DocumentRecord | None:
        """The document, or None."""
        async with self._tx() as s:
            row = await s.get(DocumentRow, document_id)
            return None if row is None else _document(row)

    async def deliveries_of(self, document_id: str) -> list[DeliveryView]:
        """Every copy of a document, in creation order."""
        async with self._tx() as s:
            result = await s.execute(
                _view_query()
                .where(DeliveryRow.document_id == document_id)
                .order_by(DeliveryRow.created_at, DeliveryRow.delivery_id)
            )
            return [_view(row) for row in result]

    async def accept(self, plan: AcceptPlan, outbox: Sequence[OutboxItem]) -> AcceptOutcome:
        """Store everything of an accepted package in one transaction (see the port)."""
        doc = plan.document
        for attempt in (1, 2):
            try:
                await self._accept_once(plan, outbox)
                return AcceptOutcome(doc.document_id, created=True)
            except IntegrityError:
                # A concurrent identical send won, or the same bytes were stored as a blob by
                # another system in between (then one more try finds the blob present).
                existing = await self.find_existing(doc.sender_system, doc.sha256, doc.dedup_key)
                if existing is not None:
                    return AcceptOutcome(existing, created=False)
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    async def _accept_once(self, plan: AcceptPlan, outbox: Sequence[OutboxItem]) -> None:
        doc = plan.document
        now = doc.accepted_at
        async with self._tx() as s:
            blob = await s.scalar(select(BlobRow.sha256).where(BlobRow.sha256 == doc.sha256))
            if blob is None:
                s.add(BlobRow(sha256=doc.sha256, size=doc.size, data=plan.data, created_at=now))
                await s.flush()
            s.add(
                DocumentRow(
                    document_id=doc.document_id,
                    kind=doc.kind.value,
                    sender_system=doc.sender_system,
                    sender_code=doc.sender_code,
                    sender_key=doc.sender_key,
                    sha256=doc.sha256,
                    size=doc.size,
                    accepted_at=now,
                    edxml_document_id=doc.edxml_document_id,
                    dedup_key=doc.dedup_key,
                    code_number=doc.code_number,
                    code_notation=doc.code_notation,
                    promulgation_date=doc.promulgation_date,
                    due_date=doc.due_date,
                    subject=doc.subject,
                    priority=doc.priority,
                    business_type=doc.business_type,
                    status_code=doc.status_code,
                    related_document_id=doc.related_document_id,
                    duplicate_of=doc.duplicate_of,
                    signature=doc.signature,
                    notes=list(doc.notes),
                    request_id=doc.request_id,
                )
            )
            await s.flush()
            s.add_all(
                AttachmentRow(
                    document_id=doc.document_id,
                    position=a.position,
                    name=a.name,
                    content_type=a.content_type,
                    size=a.size,
                    sha256=a.sha256,
                    is_zip=a.is_zip,
                )
                for a in plan.attachments
            )
            actor = doc.sender_system
            for r in plan.recipients:
                s.add(
                    DeliveryRow(
                        delivery_id=r.delivery_id,
                        document_id=doc.document_id,
                        kind=doc.kind.value,
                        priority=doc.priority,
                        requested_code=r.requested_code,
                        code=r.code,
                        code_key=r.code_key,
                        system_id=r.system_id,
                        state=DeliveryState.QUEUED.value,
                        created_at=now,
                        updated_at=now,
                        concerns_delivery_id=r.concerns_delivery_id,
                    )
                )
            await s.flush()
            for r in plan.recipients:
                detail: dict[str, Any] = {"code": r.code, "document_id": doc.document_id}
                s.add(
                    EventRow(
                        delivery_id=r.delivery_id,
                        kind=EventKind.ACCEPTED,
                        at=now,
                        actor=actor,
                        detail=detail,
                    )
                )
                if r.redirects:
                    s.add(
                        EventRow(
                            delivery_id=r.delivery_id,
                            kind=EventKind.REDIRECTED,
                            at=now,
                            actor=actor,
                            detail={"redirects": list(r.redirects)},
                        )
                    )
            await self._record_status(s, plan, now)
            await self._record_links(s, plan, now)
            s.add_all(
                OutboxRow(
                    topic=item.topic,
                    message_id=item.message_id,
                    body=item.body,
                    priority=item.priority,
                    headers=dict(item.headers),
                    created_at=now,
                    attempts=0,
                )
                for item in outbox
            )

    async def _record_status(self, s: AsyncSession, plan: AcceptPlan, now: datetime) -> None:
        notice = plan.status_notice
        if notice is None:
            return
        s.add(
            StatusNoticeRow(
                delivery_id=notice.delivery_id,
                status_document_id=plan.document.document_id,
                code=notice.code,
                description=notice.description,
                issued_at=notice.issued_at,
                recorded_at=now,
                from_code=notice.from_code,
            )
        )
        s.add(
            EventRow(
                delivery_id=notice.delivery_id,
                kind=EventKind.STATUS,
                at=now,
                actor=plan.document.sender_system,
                detail={
                    "status": notice.code,
                    "description": notice.description,
                    "issued_at": notice.issued_at.isoformat() if notice.issued_at else None,
                    "status_document_id": plan.document.document_id,
                },
            )
        )
        row = await s.get(DeliveryRow, notice.delivery_id, with_for_update=self._postgres)
        # Out-of-order statuses keep their history; the current state is the furthest reached.
        if row is not None and status_rank(notice.code) > status_rank(row.status_code):
            row.status_code = notice.code
            row.status_at = notice.issued_at or now
            row.updated_at = now

    async def _record_links(self, s: AsyncSession, plan: AcceptPlan, now: datetime) -> None:
        doc = plan.document
        detail = {"document_id": doc.document_id, "business_type": doc.business_type}
        for delivery_id in plan.linked_deliveries:
            s.add(
                EventRow(
                    delivery_id=delivery_id,
                    kind=EventKind.LINKED,
                    at=now,
                    actor=doc.sender_system,
                    detail=detail,
                )
            )
        for delivery_id in plan.removed_deliveries:
            s.add(
                EventRow(
                    delivery_id=delivery_id,
                    kind=EventKind.REMOVED,
                    at=now,
                    actor=doc.sender_system,
                    detail=detail,
                )
            )
            await s.execute(
                update(DeliveryRow)
                .where(
                    DeliveryRow.delivery_id == delivery_id,
                    DeliveryRow.state.in_([DeliveryState.QUEUED, DeliveryState.AVAILABLE]),
                )
                .values(state=DeliveryState.REMOVED.value, updated_at=now)
            )

    async def load_package(self, sha256: str) -> bytes:
        """The stored bytes."""
        async with self._tx() as s:
            data: bytes | None = await s.scalar(
                select(BlobRow.data).where(BlobRow.sha256 == sha256)
            )
        if data is None:
            raise NotFound(f"no stored package {sha256}", code="BLOB_MISSING")
        return data

    async def get_delivery(self, delivery_id: str) -> DeliveryView | None:
        """The copy, or None."""
        async with self._tx() as s:
            row = (
                await s.execute(_view_query().where(DeliveryRow.delivery_id == delivery_id))
            ).first()
            return None if row is None else _view(row)

    def _pending(self, system_id: str, kind: MessageType, now: datetime) -> Any:
        return and_(
            DeliveryRow.system_id == system_id,
            DeliveryRow.kind == kind.value,
            DeliveryRow.state == DeliveryState.AVAILABLE.value,
            or_(DeliveryRow.next_attempt_at.is_(None), DeliveryRow.next_attempt_at <= now),
        )

    async def pull_list(
        self, system_id: str, kind: MessageType, now: datetime, limit: int
    ) -> list[DeliveryView]:
        """Urgent first, then oldest first."""
        async with self._tx() as s:
            result = await s.execute(
                _view_query()
                .where(self._pending(system_id, kind, now))
                .order_by(
                    DeliveryRow.priority.desc(), DeliveryRow.created_at, DeliveryRow.delivery_id
                )
                .limit(limit)
            )
            return [_view(row) for row in result]

    async def count_pending(self, system_id: str, kind: MessageType, now: datetime) -> int:
        """The pull list's length."""
        async with self._tx() as s:
            count = await s.scalar(
                select(func.count())
                .select_from(DeliveryRow)
                .where(self._pending(system_id, kind, now))
            )
            return int(count or 0)

    async def record_fetch(self, delivery_id: str, actor: str, now: datetime) -> None:
        """Append a fetched event."""
        async with self._tx() as s:
            s.add(
                EventRow(
                    delivery_id=delivery_id, kind=EventKind.FETCHED, at=now, actor=actor, detail={}
                )
            )

    async def confirm(
        self,
        delivery_id: str,
        *,
        done: bool,
        actor: str,
        now: datetime,
        max_failures: int,
        retry_at: datetime,
        reason: str | None,
    ) -> ConfirmOutcome:
        """Apply updateStatus done|fail, idempotently."""
        async with self._tx() as s:
            row = await s.get(DeliveryRow, delivery_id, with_for_update=self._postgres)
            if row is None:
                raise NotFound(f"no copy {delivery_id!r}", field="docId")
            changed = self._apply_confirm(
                s,
                row,
                done=done,
                actor=actor,
                now=now,
                max_failures=max_failures,
                retry_at=retry_at,
                reason=reason,
            )
            await s.flush()
            view = (
                await s.execute(_view_query().where(DeliveryRow.delivery_id == delivery_id))
            ).one()
            return ConfirmOutcome(_view(view), changed)

    @staticmethod
    def _apply_confirm(
        s: AsyncSession,
        row: DeliveryRow,
        *,
        done: bool,
        actor: str,
        now: datetime,
        max_failures: int,
        retry_at: datetime,
        reason: str | None,
    ) -> bool:
        state = DeliveryState(row.state)
        if done:
            # A late "done" after the node gave up still tells the truth: the copy arrived.
            if state in (DeliveryState.RECEIVED, DeliveryState.REMOVED):
                return False
            row.state = DeliveryState.RECEIVED.value
            row.received_at = now
            row.next_attempt_at = None
            row.updated_at = now
            s.add(
                EventRow(
                    delivery_id=row.delivery_id,
                    kind=EventKind.CONFIRMED,
                    at=now,
                    actor=actor,
                    detail={"from_state": state.value},
                )
            )
            return True
        if state is not DeliveryState.AVAILABLE:
            return False
        if row.next_attempt_at is not None and row.next_attempt_at > now:
            return False  # a repeated "fail" for the same offer (client retry): counted once
        row.receiver_failures += 1
        row.updated_at = now
        row.last_error = reason or "the receiving system reported a failure"
        detail = {"failures": row.receiver_failures, "reason": row.last_error}
        s.add(
            EventRow(
                delivery_id=row.delivery_id,
                kind=EventKind.RECEIVER_FAILED,
                at=now,
                actor=actor,
                detail=detail,
            )
        )
        if row.receiver_failures >= max_failures:
            row.state = DeliveryState.FAILED.value
            row.next_attempt_at = None
            s.add(
                EventRow(
                    delivery_id=row.delivery_id,
                    kind=EventKind.FAILED,
                    at=now,
                    actor=actor,
                    detail={"code": "RECEIVER_FAILED", "reason": row.last_error},
                )
            )
        else:
            row.next_attempt_at = retry_at
        return True

    async def make_available(self, delivery_id: str, system_id: str, now: datetime) -> bool:
        """queued → available (idempotent)."""
        async with self._tx() as s:
            result = await s.execute(
                update(DeliveryRow)
                .where(
                    DeliveryRow.delivery_id == delivery_id,
                    DeliveryRow.state == DeliveryState.QUEUED.value,
                )
                .values(
                    state=DeliveryState.AVAILABLE.value,
                    system_id=system_id,
                    available_at=now,
                    updated_at=now,
                )
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                return False
            s.add(
                EventRow(
                    delivery_id=delivery_id,
                    kind=EventKind.AVAILABLE,
                    at=now,
                    actor="router",
                    detail={"system_id": system_id},
                )
            )
            return True

    async def fail_delivery(
        self, delivery_id: str, *, reason: str, code: str, actor: str, now: datetime
    ) -> bool:
        """Mark a non-final copy failed."""
        finals = [state.value for state in FINAL_STATES]
        async with self._tx() as s:
            result = await s.execute(
                update(DeliveryRow)
                .where(DeliveryRow.delivery_id == delivery_id, DeliveryRow.state.not_in(finals))
                .values(state=DeliveryState.FAILED.value, last_error=reason, updated_at=now)
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                return False
            s.add(
                EventRow(
                    delivery_id=delivery_id,
                    kind=EventKind.FAILED,
                    at=now,
                    actor=actor,
                    detail={"code": code, "reason": reason},
                )
            )
            return True

    async def sent_rows(
        self, sender_system: str, document_id: str | None, kind: MessageType, limit: int
    ) -> list[tuple[DocumentRecord, DeliveryView]]:
        """One row per recipient copy of the sender's documents, newest first."""
        async with self._tx() as s:
            docs = select(DocumentRow).where(
                DocumentRow.sender_system == sender_system, DocumentRow.kind == kind.value
            )
            if document_id is not None:
                docs = docs.where(DocumentRow.document_id == document_id)
            documents = list(
                await s.scalars(docs.order_by(DocumentRow.accepted_at.desc()).limit(limit))
            )
            if not documents:
                return []
            by_id = {d.document_id: _document(d) for d in documents}
            result = await s.execute(
                _view_query()
                .where(DeliveryRow.document_id.in_(list(by_id)))
                .order_by(DeliveryRow.created_at.desc(), DeliveryRow.delivery_id)
            )
            rows = [_view(row) for row in result]
            order = {d.document_id: i for i, d in enumerate(documents)}
            rows.sort(key=lambda v: (order[v.document_id], v.delivery_id))
            return [(by_id[v.document_id], v) for v in rows]

    async def list_deliveries(
        self, *, state: DeliveryState | None, system_id: str | None, limit: int
    ) -> list[DeliveryView]:
        """Copies by state, newest change first."""
        query = _view_query()
        if state is not None:
            query = query.where(DeliveryRow.state == state.value)
        if system_id is not None:
            query = query.where(
                or_(DeliveryRow.system_id == system_id, DocumentRow.sender_system == system_id)
            )
        async with self._tx() as s:
            result = await s.execute(query.order_by(DeliveryRow.updated_at.desc()).limit(limit))
            return [_view(row) for row in result]

    async def trace(self, document_id: str) -> DocumentTrace | None:
        """The document with its copies, events and statuses."""
        async with self._tx() as s:
            doc = await s.get(DocumentRow, document_id)
            if doc is None:
                return None
            views = [
                _view(row)
                for row in await s.execute(
                    _view_query()
                    .where(DeliveryRow.document_id == document_id)
                    .order_by(DeliveryRow.created_at, DeliveryRow.delivery_id)
                )
            ]
            ids = [v.delivery_id for v in views]
            events: dict[str, list[DeliveryEvent]] = {i: [] for i in ids}
            for e in await s.scalars(
                select(EventRow).where(EventRow.delivery_id.in_(ids)).order_by(EventRow.event_id)
            ):
                events[e.delivery_id].append(
                    DeliveryEvent(e.delivery_id, EventKind(e.kind), e.at, e.actor, dict(e.detail))
                )
            statuses: dict[str, list[StatusNotice]] = {i: [] for i in ids}
            for n in await s.scalars(
                select(StatusNoticeRow)
                .where(StatusNoticeRow.delivery_id.in_(ids))
                .order_by(StatusNoticeRow.notice_id)
            ):
                statuses[n.delivery_id].append(
                    StatusNotice(
                        n.delivery_id,
                        n.code,
                        n.description,
                        n.issued_at,
                        n.recorded_at,
                        n.from_code,
                        n.status_document_id,
                    )
                )
            attachments = tuple(
                AttachmentInfo(a.position, a.name, a.content_type, a.size, a.sha256, a.is_zip)
                for a in await s.scalars(
                    select(AttachmentRow)
                    .where(AttachmentRow.document_id == document_id)
                    .order_by(AttachmentRow.position)
                )
            )
            return DocumentTrace(
                document=_document(doc),
                deliveries=tuple(views),
                events={k: tuple(v) for k, v in events.items()},
                statuses={k: tuple(v) for k, v in statuses.items()},
                attachments=attachments,
            )

    async def queued_deliveries(self, older_than: datetime, limit: int) -> list[DeliveryView]:
        """Copies stuck in ``queued`` (for the start-up sweep)."""
        async with self._tx() as s:
            result = await s.execute(
                _view_query()
                .where(
                    DeliveryRow.state == DeliveryState.QUEUED.value,
                    DeliveryRow.created_at < older_than,
                )
                .order_by(DeliveryRow.priority.desc(), DeliveryRow.created_at)
                .limit(limit)
            )
            return [_view(row) for row in result]

    # ------------------------------------------------------------------ outbox

    async def outbox_pending(self, limit: int) -> list[OutboxItem]:
        """Unpublished rows, urgent first then oldest."""
        async with self._tx() as s:
            rows = await s.scalars(
                select(OutboxRow)
                .where(OutboxRow.published_at.is_(None))
                .order_by(OutboxRow.priority.desc(), OutboxRow.outbox_id)
                .limit(limit)
            )
            return [
                OutboxItem(
                    r.outbox_id,
                    r.topic,
                    r.message_id,
                    r.body,
                    r.priority,
                    {str(k): str(v) for k, v in (r.headers or {}).items()},
                    r.attempts,
                )
                for r in rows
            ]

    async def mark_published(self, outbox_ids: Sequence[int], now: datetime) -> None:
        """Mark rows published."""
        if not outbox_ids:
            return
        async with self._tx() as s:
            await s.execute(
                update(OutboxRow)
                .where(OutboxRow.outbox_id.in_(list(outbox_ids)))
                .values(published_at=now)
            )

    async def note_publish_failure(self, outbox_ids: Sequence[int], error: str) -> None:
        """Count a failed publish attempt."""
        if not outbox_ids:
            return
        async with self._tx() as s:
            await s.execute(
                update(OutboxRow)
                .where(OutboxRow.outbox_id.in_(list(outbox_ids)))
                .values(attempts=OutboxRow.attempts + 1, last_error=error[:500])
            )

    async def stats(self) -> dict[str, int]:
        """Copies by state and outbox lag."""
        async with self._tx() as s:
            out = {f"deliveries_{state.value}": 0 for state in DeliveryState}
            for state, count in await s.execute(
                select(DeliveryRow.state, func.count()).group_by(DeliveryRow.state)
            ):
                out[f"deliveries_{state}"] = int(count)
            pending = await s.scalar(
                select(func.count()).select_from(OutboxRow).where(OutboxRow.published_at.is_(None))
            )
            out["outbox_pending"] = int(pending or 0)
            out["documents"] = int(
                await s.scalar(select(func.count()).select_from(DocumentRow)) or 0
            )
            return out

    async def ping(self) -> bool:
        """True when the database answers."""
        try:
            async with self._tx() as s:
                await s.execute(select(1))
        except StoreUnavailable:
            return False
        return True


def dumps(value: Any) -> bytes:
    """Compact JSON bytes for outbox bodies."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
