"""The store port implemented with SQLAlchemy 2 async (PostgreSQL and SQLite alike).

Each public method is one transaction, and each use case on the hot path is one method (or one
:meth:`SqlStore.accepting` unit): database round trips are the node's largest cost
(docs/benchmarks.md), so a use case reads and writes what it needs in one ``BEGIN``/``COMMIT``,
with ``UPDATE … WHERE state = …`` doing the compare-and-set. An accept writes a package, its
copies, their first events and the outbox rows together, or nothing: a package is accepted only
once that commit returned (design.md §1). Unique constraints settle races between identical
concurrent sends: the loser writes nothing and answers the winner's DocId.

Connections are not pinged at checkout (3 round trips each); a transaction that fails because its
connection was dropped (a database restart) is run once more on a fresh connection
(:func:`_reconnecting`). The systems' credentials and grants, read on every call, are cached for
``cache_seconds``; this store's own writes clear the cache at once.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, and_, bindparam, func, insert, literal, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.core.errors import Conflict, NotFound, StoreUnavailable
from gateway.core.model import (
    FINAL_STATES,
    REPORT_TOPIC,
    AttachmentInfo,
    ConfirmOutcome,
    CopyLegal,
    DeliveryEvent,
    DeliveryState,
    DeliveryView,
    DocumentRecord,
    DocumentTrace,
    EventKind,
    MessageType,
    OutboxItem,
    StatusNotice,
)
from gateway.store import queries
from gateway.store.accepting import (
    SqlAcceptUnit,
    deliveries_of,
    event,
    find_origin,
    insert_outbox,
)
from gateway.store.legal import SqlLegal
from gateway.store.rows import document, view, view_query
from gateway.store.session import reconnecting
from gateway.store.systems import SqlSystems
from gateway.store.tables import (
    AttachmentRow,
    AwareDateTime,
    BlobRow,
    DeliveryRow,
    DocumentRow,
    EventRow,
    OutboxRow,
    StatusNoticeRow,
)

# The statements every poll runs, built once (building one costs more than running it).
_PENDING = and_(
    DeliveryRow.system_id == bindparam("system_id"),
    DeliveryRow.kind == bindparam("kind"),
    DeliveryRow.state == DeliveryState.AVAILABLE.value,
    or_(
        DeliveryRow.next_attempt_at.is_(None),
        DeliveryRow.next_attempt_at <= bindparam("now", type_=AwareDateTime),
    ),
)
_PULL_LIST = (
    view_query()
    .where(_PENDING)
    .order_by(DeliveryRow.priority.desc(), DeliveryRow.created_at, DeliveryRow.delivery_id)
    .limit(bindparam("limit", type_=Integer))
)
_COUNT_PENDING = select(func.count()).select_from(DeliveryRow).where(_PENDING)


#: States in which ``done`` changes nothing (see :meth:`SqlStore._apply_confirm`).
_CONFIRMED = frozenset({DeliveryState.RECEIVED.value, DeliveryState.REMOVED.value})


def _received(row: DeliveryRow, at: datetime, now: datetime, legal: CopyLegal | None) -> None:
    """Set a copy received at ``at`` with its receipt measures."""
    row.state = DeliveryState.RECEIVED.value
    row.received_at = at
    row.next_attempt_at = None
    row.updated_at = now
    if legal is not None:
        row.legal_received_at = legal.legal_received_at
        row.received_out_of_hours = legal.received_out_of_hours
        row.notice_deadline = legal.notice_deadline
        row.urgent_handover_minutes = legal.urgent_handover_minutes
        row.calendar_version = legal.calendar_version


async def _statuses(s: AsyncSession, ids: list[str]) -> dict[str, list[StatusNotice]]:
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
    return statuses


def _relayed(
    s: AsyncSession, row: DeliveryRow, next_doc_id: str, actor: str, now: datetime
) -> bool:
    """A downstream node took the copy on (``updateStatus done`` with its DocId there)."""
    state = DeliveryState(row.state)
    if state in (DeliveryState.RECEIVED, DeliveryState.REMOVED, DeliveryState.FORWARDED):
        return False
    row.state = DeliveryState.FORWARDED.value
    row.upstream_doc_id = next_doc_id
    row.next_attempt_at = None
    row.updated_at = now
    detail = {"next_doc_id": next_doc_id, "from_state": state.value}
    s.add(
        EventRow(
            delivery_id=row.delivery_id,
            kind=EventKind.FORWARDED,
            at=now,
            actor=actor,
            detail=detail,
        )
    )
    return True


def _report_row(
    delivery_id: str, state: DeliveryState, priority: int, now: datetime, code: str | None = None
) -> OutboxRow:
    """The outbox row of a ``report`` (gateway.workers.reporter): the copy and its final state,
    with the failure's code."""
    values = {"delivery_id": delivery_id, "state": state.value}
    if code is not None:
        values["code"] = code
    body = json.dumps(values).encode()
    return OutboxRow(
        topic=REPORT_TOPIC,
        message_id=f"{REPORT_TOPIC}:{delivery_id}:{state.value}",
        body=body,
        priority=min(max(priority, 0), 9),
        headers={},
        created_at=now,
        attempts=0,
    )


def _report_upstream(
    s: AsyncSession, row: DeliveryRow, now: datetime, code: str | None = None
) -> None:
    """A copy pulled from the upstream node reached a final state: tell that node (outbox)."""
    if row.origin_doc_id is None:
        return
    state = DeliveryState(row.state)
    if state in (DeliveryState.RECEIVED, DeliveryState.FAILED):
        row.reported_at = None  # a new final state: not reported yet
        s.add(_report_row(row.delivery_id, state, row.priority, now, code))


class SqlStore(SqlLegal, SqlSystems):
    """The store port over one async engine."""

    # ------------------------------------------------------------------ documents

    @asynccontextmanager
    async def accepting(self) -> AsyncIterator[SqlAcceptUnit]:
        """One accept's reads and writes in one transaction (``Conflict`` on a lost race)."""
        try:
            async with self._tx() as s:
                yield SqlAcceptUnit(s, self.dialect)
        except IntegrityError as exc:
            raise Conflict("a concurrent request stored the same package first") from exc

    @reconnecting
    async def get_document(self, document_id: str) -> DocumentRecord | None:
        """The document, or None."""
        async with self._one() as s:
            row = await s.get(DocumentRow, document_id)
            return None if row is None else document(row)

    @reconnecting
    async def deliveries_of(self, document_id: str) -> list[DeliveryView]:
        """Every copy of a document, in creation order."""
        async with self._one() as s:
            return await deliveries_of(s, document_id)

    @reconnecting
    async def load_package(self, sha256: str) -> bytes:
        """The stored bytes."""
        async with self._one() as s:
            data: bytes | None = await s.scalar(
                select(BlobRow.data).where(BlobRow.sha256 == sha256)
            )
        if data is None:
            raise NotFound(f"no stored package {sha256}", code="BLOB_MISSING")
        return data

    @reconnecting
    async def get_delivery(self, delivery_id: str) -> DeliveryView | None:
        """The copy, or None."""
        async with self._one() as s:
            row = (
                await s.execute(view_query().where(DeliveryRow.delivery_id == delivery_id))
            ).first()
            return None if row is None else view(row)

    @reconnecting
    async def pull_list(
        self, system_id: str, kind: MessageType, now: datetime, limit: int
    ) -> list[DeliveryView]:
        """Urgent first, then oldest first."""
        async with self._one() as s:
            params = {"system_id": system_id, "kind": kind.value, "now": now, "limit": limit}
            return [view(row) for row in await s.execute(_PULL_LIST, params)]

    @reconnecting
    async def count_pending(self, system_id: str, kind: MessageType, now: datetime) -> int:
        """The pull list's length."""
        async with self._one() as s:
            params = {"system_id": system_id, "kind": kind.value, "now": now}
            return int(await s.scalar(_COUNT_PENDING, params) or 0)

    @reconnecting
    async def fetch(self, delivery_id: str, system_id: str, now: datetime) -> bytes | None:
        """The package of a copy handed to ``system_id``, recording a ``fetched`` event."""
        async with self._tx() as s:
            data: bytes | None = await s.scalar(
                select(BlobRow.data)
                .join(DocumentRow, DocumentRow.sha256 == BlobRow.sha256)
                .join(DeliveryRow, DeliveryRow.document_id == DocumentRow.document_id)
                .where(
                    DeliveryRow.delivery_id == delivery_id,
                    DeliveryRow.system_id == system_id,
                    DeliveryRow.state != DeliveryState.QUEUED.value,
                )
            )
            if data is not None:
                await s.execute(
                    insert(EventRow),
                    [event(delivery_id, EventKind.FETCHED, now, system_id, {})],
                )
            return data

    @reconnecting
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
        """Apply updateStatus done|fail on the actor's copy, idempotently; a ``done`` stores the
        legal measures ``receipt`` gives in the same UPDATE (no extra round trip). A ``done``
        with ``next_doc_id`` is a downstream node taking the copy on: it becomes ``forwarded``
        (its DocId there recorded) until that node reports the final receipt."""
        async with self._tx() as s:
            found = (await s.execute(self._copy_for_update(delivery_id, actor))).first()
            if found is None:
                return None
            row: DeliveryRow = found[0]
            legal = None
            if done and next_doc_id is not None:
                changed = _relayed(s, row, next_doc_id, actor, now)
                await s.flush()
                return ConfirmOutcome(view(found), changed)
            if done and receipt is not None and row.state not in _CONFIRMED:
                legal = receipt(view(found), now)
            changed = self._apply_confirm(
                s,
                row,
                done=done,
                actor=actor,
                now=now,
                max_failures=max_failures,
                retry_at=retry_at,
                reason=reason,
                legal=legal,
            )
            await s.flush()
            return ConfirmOutcome(view(found), changed)

    def _copy_for_update(self, delivery_id: str, system_id: str | None) -> Any:
        """The copy (locked on PostgreSQL), restricted to ``system_id``'s offered copies."""
        query = view_query().where(DeliveryRow.delivery_id == delivery_id)
        if system_id is not None:
            query = query.where(
                DeliveryRow.system_id == system_id,
                DeliveryRow.state != DeliveryState.QUEUED.value,
            )
        if self._postgres:
            query = query.with_for_update(of=DeliveryRow)
        return query

    @staticmethod
    def _apply_confirm(
        s: AsyncSession,
        row: DeliveryRow,
        *,
        done: bool,
        actor: str,
        now: datetime,
        max_failures: int,
        retry_at: Callable[[int], datetime],
        reason: str | None,
        legal: CopyLegal | None = None,
    ) -> bool:
        state = DeliveryState(row.state)
        if done:
            # A late "done" after the node gave up still tells the truth: the copy arrived.
            if state in (DeliveryState.RECEIVED, DeliveryState.REMOVED, DeliveryState.FORWARDED):
                return False  # (forwarded: the downstream node reports the receipt itself)
            _received(row, now, now, legal)
            s.add(
                EventRow(
                    delivery_id=row.delivery_id,
                    kind=EventKind.CONFIRMED,
                    at=now,
                    actor=actor,
                    detail={"from_state": state.value},
                )
            )
            _report_upstream(s, row, now)
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
            _report_upstream(s, row, now, "RECEIVER_FAILED")
        else:
            row.next_attempt_at = retry_at(row.receiver_failures)
        return True

    @reconnecting
    async def make_available(
        self, delivery_id: str, now: datetime, system_id: str | None = None
    ) -> bool:
        """queued → available, to ``system_id`` or to the system recorded on the copy."""
        values: dict[str, Any] = {
            "state": DeliveryState.AVAILABLE.value,
            "available_at": now,
            "updated_at": now,
        }
        condition = [
            DeliveryRow.delivery_id == delivery_id,
            DeliveryRow.state == DeliveryState.QUEUED.value,
        ]
        if system_id is None:
            condition.append(DeliveryRow.system_id.is_not(None))
        else:
            values["system_id"] = system_id
        if self._postgres:
            # One round trip: the state change and its history entry in one statement.
            routed = (
                update(DeliveryRow)
                .where(*condition)
                .values(**values)
                .returning(DeliveryRow.delivery_id, DeliveryRow.system_id)
                .cte("routed")
            )
            entry = (
                insert(EventRow)
                .from_select(
                    ["delivery_id", "kind", "at", "actor", "detail"],
                    select(
                        routed.c.delivery_id,
                        literal(EventKind.AVAILABLE.value),
                        literal(now, AwareDateTime),
                        literal("router"),
                        func.json_build_object("system_id", routed.c.system_id),
                    ),
                )
                .returning(EventRow.event_id)
            )
            async with self._one() as s:
                return (await s.scalar(entry)) is not None
        async with self._tx() as s:
            chosen = await s.scalar(
                update(DeliveryRow)
                .where(*condition)
                .values(**values)
                .returning(DeliveryRow.system_id)
            )
            if chosen is None:
                return False
            detail = {"system_id": chosen}
            await s.execute(
                insert(EventRow), [event(delivery_id, EventKind.AVAILABLE, now, "router", detail)]
            )
            return True

    @reconnecting
    async def mark_forwarded(
        self, delivery_ids: Sequence[str], upstream_doc_id: str, now: datetime
    ) -> int:
        """queued → forwarded with the upstream DocId, each with a ``forwarded`` event."""
        async with self._tx() as s:
            moved = list(
                await s.scalars(
                    update(DeliveryRow)
                    .where(
                        DeliveryRow.delivery_id.in_(list(delivery_ids)),
                        DeliveryRow.state == DeliveryState.QUEUED.value,
                    )
                    .values(
                        state=DeliveryState.FORWARDED.value,
                        upstream_doc_id=upstream_doc_id,
                        updated_at=now,
                    )
                    .returning(DeliveryRow.delivery_id)
                )
            )
            if moved:
                detail = {"upstream_doc_id": upstream_doc_id}
                await s.execute(
                    insert(EventRow),
                    [event(d, EventKind.FORWARDED, now, "forwarder", detail) for d in moved],
                )
            return len(moved)

    @reconnecting
    async def fail_delivery(
        self, delivery_id: str, *, reason: str, code: str, actor: str, now: datetime
    ) -> bool:
        """Mark a non-final copy failed."""
        finals = [state.value for state in FINAL_STATES]
        async with self._tx() as s:
            found = (
                await s.execute(
                    update(DeliveryRow)
                    .where(DeliveryRow.delivery_id == delivery_id, DeliveryRow.state.not_in(finals))
                    .values(
                        state=DeliveryState.FAILED.value,
                        last_error=reason,
                        updated_at=now,
                        reported_at=None,
                    )
                    .returning(DeliveryRow.origin_doc_id, DeliveryRow.priority)
                )
            ).first()
            if found is None:
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
            if found.origin_doc_id is not None:
                s.add(_report_row(delivery_id, DeliveryState.FAILED, found.priority, now, code))
            return True

    @reconnecting
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
        """What became of a copy further on, as the next node reports it: ``received`` at
        ``at`` (the final recipient's confirmation: ``received_at`` and the receipt measures are
        set from it), or failed with ``code``. ``system_id`` restricts it to that system's copy.
        Idempotent; None when no such copy."""
        async with self._tx() as s:
            found = (await s.execute(self._copy_for_update(delivery_id, system_id))).first()
            if found is None:
                return None
            row: DeliveryRow = found[0]
            state = DeliveryState(row.state)
            if received:
                if state is DeliveryState.REMOVED or (
                    state is DeliveryState.RECEIVED and row.received_at == at
                ):
                    return ConfirmOutcome(view(found), False)
                legal = receipt(view(found), at) if receipt is not None else None
                _received(row, at, now, legal)
                detail: dict[str, Any] = {
                    "state": DeliveryState.RECEIVED.value,
                    "received_at": at.isoformat(),
                    "from_state": state.value,
                }
            else:
                if state in (DeliveryState.FAILED, DeliveryState.REMOVED):
                    return ConfirmOutcome(view(found), False)
                row.state = DeliveryState.FAILED.value
                row.next_attempt_at = None
                row.updated_at = now
                row.last_error = f"{code}: {reason}" if code and reason else (reason or code)
                detail = {"state": DeliveryState.FAILED.value, "code": code, "reason": reason}
            s.add(
                EventRow(
                    delivery_id=delivery_id,
                    kind=EventKind.REPORTED,
                    at=now,
                    actor=actor,
                    detail=detail,
                )
            )
            _report_upstream(s, row, now, code)
            await s.flush()
            return ConfirmOutcome(view(found), True)

    @reconnecting
    async def pulled_document(self, origin_doc_id: str) -> str | None:
        """The DocId of the local document upstream item ``origin_doc_id`` was pulled into."""
        async with self._one() as s:
            return await find_origin(s, origin_doc_id)

    @reconnecting
    async def forwarded_copies(
        self, limit: int, after: datetime | None = None
    ) -> list[DeliveryView]:
        """Copies forwarded upstream whose fate is not known yet, oldest first, created after
        ``after`` (the caller's cursor, so that every copy gets its turn)."""
        condition = [
            DeliveryRow.state == DeliveryState.FORWARDED.value,
            DeliveryRow.upstream_doc_id.is_not(None),
        ]
        if after is not None:
            condition.append(DeliveryRow.created_at > after)
        async with self._one() as s:
            result = await s.execute(
                view_query()
                .where(*condition)
                .order_by(DeliveryRow.created_at, DeliveryRow.delivery_id)
                .limit(limit)
            )
            return [view(r) for r in result]

    @reconnecting
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
        """One row per recipient copy of the sender's documents, newest first
        (:func:`gateway.store.queries.sent_rows`)."""
        async with self._one() as s:
            return await queries.sent_rows(
                s,
                sender_system,
                document_id=document_id,
                kind=kind,
                limit=limit,
                since=since,
                until=until,
                before=before,
            )

    @reconnecting
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
        """Copies by state, newest change first (:func:`gateway.store.queries.deliveries`)."""
        async with self._one() as s:
            return await queries.deliveries(
                s,
                state=state,
                system_id=system_id,
                limit=limit,
                since=since,
                until=until,
                before=before,
            )

    @reconnecting
    async def trace(self, document_id: str) -> DocumentTrace | None:
        """The document with its copies, events and statuses."""
        async with self._one() as s:
            doc = await s.get(DocumentRow, document_id)
            if doc is None:
                return None
            views = [
                view(row)
                for row in await s.execute(
                    view_query()
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
            statuses = await _statuses(s, ids)
            attachments = tuple(
                AttachmentInfo(a.position, a.name, a.content_type, a.size, a.sha256, a.is_zip)
                for a in await s.scalars(
                    select(AttachmentRow)
                    .where(AttachmentRow.document_id == document_id)
                    .order_by(AttachmentRow.position)
                )
            )
            return DocumentTrace(
                document=document(doc),
                deliveries=tuple(views),
                events={k: tuple(v) for k, v in events.items()},
                statuses={k: tuple(v) for k, v in statuses.items()},
                attachments=attachments,
            )

    @reconnecting
    async def queued_deliveries(self, older_than: datetime, limit: int) -> list[DeliveryView]:
        """Copies stuck in ``queued`` (for the start-up sweep)."""
        async with self._one() as s:
            result = await s.execute(
                view_query()
                .where(
                    DeliveryRow.state == DeliveryState.QUEUED.value,
                    DeliveryRow.created_at < older_than,
                )
                .order_by(DeliveryRow.priority.desc(), DeliveryRow.created_at)
                .limit(limit)
            )
            return [view(row) for row in result]

    @reconnecting
    async def mark_reported(self, delivery_id: str, now: datetime) -> None:
        """The upstream node acknowledged the report of this pulled copy's final state."""
        async with self._tx() as s:
            await s.execute(
                update(DeliveryRow)
                .where(DeliveryRow.delivery_id == delivery_id)
                .values(reported_at=now)
            )

    @reconnecting
    async def unreported(self, older_than: datetime, limit: int) -> list[DeliveryView]:
        """Pulled copies in a final state whose report the upstream node has not acknowledged
        (for the start-up sweep)."""
        async with self._one() as s:
            result = await s.execute(
                view_query()
                .where(
                    DeliveryRow.origin_doc_id.is_not(None),
                    DeliveryRow.reported_at.is_(None),
                    DeliveryRow.state.in_(
                        [DeliveryState.RECEIVED.value, DeliveryState.FAILED.value]
                    ),
                    DeliveryRow.updated_at < older_than,
                )
                .order_by(DeliveryRow.updated_at)
                .limit(limit)
            )
            return [view(row) for row in result]

    # ------------------------------------------------------------------ outbox

    @reconnecting
    async def statuses_of(self, delivery_ids: Sequence[str]) -> dict[str, tuple[StatusNotice, ...]]:
        """The status notices recorded against each of these copies, in order."""
        if not delivery_ids:
            return {}
        async with self._one() as s:
            found = await _statuses(s, list(delivery_ids))
        return {k: tuple(v) for k, v in found.items()}

    @reconnecting
    async def add_outbox(self, items: Sequence[OutboxItem], now: datetime) -> None:
        """Queue work for the relay on its own (work that is not part of a use case's write,
        e.g. a report the bus gave up on, queued again)."""
        async with self._tx() as s:
            await insert_outbox(s, items, now)

    @reconnecting
    async def outbox_pending(self, limit: int) -> list[OutboxItem]:
        """Unpublished rows, urgent first then oldest."""
        async with self._one() as s:
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

    @reconnecting
    async def mark_published(self, outbox_ids: Sequence[int], now: datetime) -> None:
        """Mark rows published."""
        if not outbox_ids:
            return
        async with self._one() as s:
            await s.execute(
                update(OutboxRow)
                .where(OutboxRow.outbox_id.in_(list(outbox_ids)))
                .values(published_at=now)
            )

    @reconnecting
    async def note_publish_failure(self, outbox_ids: Sequence[int], error: str) -> None:
        """Count a failed publish attempt."""
        if not outbox_ids:
            return
        async with self._one() as s:
            await s.execute(
                update(OutboxRow)
                .where(OutboxRow.outbox_id.in_(list(outbox_ids)))
                .values(attempts=OutboxRow.attempts + 1, last_error=error[:500])
            )

    @reconnecting
    async def stats(self) -> dict[str, int]:
        """Copies by state and outbox lag."""
        async with self._one() as s:
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
            async with self._one() as s:
                await s.execute(select(1))
        except StoreUnavailable:
            return False
        return True


def dumps(value: Any) -> bytes:
    """Compact JSON bytes for outbox bodies."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
