"""The store's reads: what a recipient pulls, what the trace and the workers look up.

The poll statements are built once (building one costs more than running it) and run in
autocommit on PostgreSQL: an empty poll is one round trip. A pull list is the database, never
the broker (design.md §1 "the inbox is the database"): copies are committed ``available`` by the
accept that creates them (:func:`gateway.core.delivery.initial_state`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Integer, and_, bindparam, func, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.core.delivery import PULLABLE, REPORTED_STATES
from gateway.core.errors import NotFound, StoreUnavailable
from gateway.core.model import (
    AttachmentInfo,
    DeliveryEvent,
    DeliveryState,
    DeliveryView,
    DocumentRecord,
    DocumentTrace,
    EventKind,
    MessageType,
    StatusNotice,
)
from gateway.store.accepting import deliveries_of, find_origin
from gateway.store.accepting_pg import VIEW_SQL, view_record
from gateway.store.deliveries import event
from gateway.store.rows import document, view, view_query
from gateway.store.session import SessionScope, reconnecting
from gateway.store.tables import (
    AttachmentRow,
    AwareDateTime,
    BlobRow,
    DeliveryRow,
    DocumentRow,
    EventRow,
    OutboxRow,
    StatusNoticeRow,
    core,
)

_PENDING = and_(
    DeliveryRow.system_id == bindparam("system_id"),
    DeliveryRow.kind == bindparam("kind"),
    DeliveryRow.state.in_([s.value for s in PULLABLE]),
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

#: The pullable states are written into the statement, not passed as an array: PostgreSQL
#: estimates ``state = ANY($3)`` for an array of unknown length, the generic plan of the
#: prepared statement then never beats the custom ones, and every poll was planned again
#: (pg_prepared_statements: 0 generic, 9 custom plans; docs/benchmarks.md, round six).
_PULLABLE_SQL = ", ".join(f"'{s.value}'" for s in sorted(PULLABLE))
_PENDING_SQL = (
    f" WHERE d.system_id = $1 AND d.kind = $2 AND d.state IN ({_PULLABLE_SQL})"
    " AND (d.next_attempt_at IS NULL OR d.next_attempt_at <= $3)"
)
_PULL_LIST_SQL = (
    VIEW_SQL + _PENDING_SQL + " ORDER BY d.priority DESC, d.created_at, d.delivery_id LIMIT $4"
)
_COUNT_PENDING_SQL = "SELECT count(*) FROM deliveries d" + _PENDING_SQL  # noqa: S608
#: The package of a copy handed to a system and its ``fetched`` event: one statement.
_FETCH_SQL = (
    "WITH p AS (SELECT b.data FROM deliveries d"  # noqa: S608
    " JOIN documents m ON m.document_id = d.document_id JOIN blobs b ON b.sha256 = m.sha256"
    " WHERE d.delivery_id = $1 AND d.system_id = $2"
    f" AND d.state <> '{DeliveryState.QUEUED.value}'),"
    " e AS (INSERT INTO delivery_events (delivery_id, kind, at, actor, detail)"
    f" SELECT $1, '{EventKind.FETCHED.value}', $3::timestamptz, $2, '{{}}'::json FROM p)"
    " SELECT data FROM p"
)


async def statuses(s: AsyncSession, ids: list[str]) -> dict[str, list[StatusNotice]]:
    """The status notices recorded against each copy, in the order their reporter issued them.

    Copies hop between nodes on concurrent consumers, so notices can arrive out of order; the
    reporter's time orders them, arrival breaks ties (and places notices without one last).
    """
    found: dict[str, list[StatusNotice]] = {i: [] for i in ids}
    for n in await s.scalars(
        select(StatusNoticeRow)
        .where(StatusNoticeRow.delivery_id.in_(ids))
        .order_by(
            StatusNoticeRow.issued_at.is_(None),
            StatusNoticeRow.issued_at,
            StatusNoticeRow.notice_id,
        )
    ):
        found[n.delivery_id].append(
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
    return found


class SqlReads(SessionScope):
    """The read side of the documents store port."""

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
        if self._postgres:
            async with self._driver() as c:
                rows = await c.fetch(_PULL_LIST_SQL, system_id, kind.value, now, limit)
            return [view_record(r) for r in rows]
        async with self._one() as s:
            params = {"system_id": system_id, "kind": kind.value, "now": now, "limit": limit}
            return [view(row) for row in await s.execute(_PULL_LIST, params)]

    @reconnecting
    async def count_pending(self, system_id: str, kind: MessageType, now: datetime) -> int:
        """The pull list's length."""
        if self._postgres:
            async with self._driver() as c:
                return int(await c.fetchval(_COUNT_PENDING_SQL, system_id, kind.value, now))
        async with self._one() as s:
            params = {"system_id": system_id, "kind": kind.value, "now": now}
            return int(await s.scalar(_COUNT_PENDING, params) or 0)

    @reconnecting
    async def fetch(self, delivery_id: str, system_id: str, now: datetime) -> bytes | None:
        """The package of a copy handed to ``system_id``, recording a ``fetched`` event."""
        if self._postgres:
            async with self._driver() as c:
                found: bytes | None = await c.fetchval(_FETCH_SQL, delivery_id, system_id, now)
            return found
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
                    insert(core(EventRow)),
                    [event(delivery_id, EventKind.FETCHED, now, system_id, {})],
                )
            return data

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
            notices = await statuses(s, ids)
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
                statuses={k: tuple(v) for k, v in notices.items()},
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
    async def unreported(self, older_than: datetime, limit: int) -> list[DeliveryView]:
        """Pulled copies in a final state whose report the upstream node has not acknowledged
        (for the start-up sweep)."""
        async with self._one() as s:
            result = await s.execute(
                view_query()
                .where(
                    DeliveryRow.origin_doc_id.is_not(None),
                    DeliveryRow.reported_at.is_(None),
                    DeliveryRow.state.in_([s.value for s in REPORTED_STATES]),
                    DeliveryRow.updated_at < older_than,
                )
                .order_by(DeliveryRow.updated_at)
                .limit(limit)
            )
            return [view(row) for row in result]

    @reconnecting
    async def statuses_of(self, delivery_ids: Sequence[str]) -> dict[str, tuple[StatusNotice, ...]]:
        """The status notices recorded against each of these copies, in order."""
        if not delivery_ids:
            return {}
        async with self._one() as s:
            found = await statuses(s, list(delivery_ids))
        return {k: tuple(v) for k, v in found.items()}

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

    async def oldest_available_at(self) -> datetime | None:
        """When the oldest copy still waiting for its receiving system became available
        (``available``, not yet confirmed), or None when none waits."""
        async with self._one() as s:
            return await s.scalar(
                select(func.min(DeliveryRow.available_at)).where(
                    DeliveryRow.state == DeliveryState.AVAILABLE.value
                )
            )

    async def ping(self) -> bool:
        """True when the database answers."""
        try:
            async with self._one() as s:
                await s.execute(select(1))
        except StoreUnavailable:
            return False
        return True
