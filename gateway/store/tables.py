"""The database tables (SQLAlchemy 2 declarative), the same on PostgreSQL and SQLite.

Rows only: the domain dataclasses of :mod:`gateway.core.model` are built from them in
:mod:`gateway.store.repository`. Every timestamp column is :class:`AwareDateTime`: written in UTC,
read back aware (SQLite keeps no zone, so the zone is re-attached on read). The schema itself is
created by the Alembic migrations in ``gateway/store/migrations``, never by ``create_all`` in the
node (tests compare the two).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar, cast

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Stable constraint names, so that migrations are reviewable and portable.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class AwareDateTime(TypeDecorator[datetime]):
    """A timezone-aware datetime stored in UTC; naive values are refused on write."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: every stored timestamp is aware")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


#: A 64-bit auto-increment key that SQLite also auto-increments (it needs INTEGER PRIMARY KEY).
AutoId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    """Declarative base with the naming convention."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: AwareDateTime, dict[str, Any]: JSON}


class SystemRow(Base):
    """A connected document system."""

    __tablename__ = "systems"

    system_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    secret: Mapped[bytes] = mapped_column(LargeBinary)  # encrypted (Fernet) with the node's key
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    admin: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Another axis node (docs/axes.md): may use the node-to-node VXP extensions.
    node_link: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    description: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class GrantRow(Base):
    """An agency code (or level-1 subtree) a system may act for."""

    __tablename__ = "system_grants"

    system_id: Mapped[str] = mapped_column(
        ForeignKey("systems.system_id", ondelete="CASCADE"), primary_key=True
    )
    code: Mapped[str] = mapped_column(String(50), primary_key=True)


class BlobRow(Base):
    """Stored package bytes, addressed by SHA-256: each distinct package is stored once."""

    __tablename__ = "blobs"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]


class DocumentRow(Base):
    """An accepted package (document or status), with the facts queries need."""

    __tablename__ = "documents"
    __table_args__ = (
        # The same bytes from the same system are the same send (client retries, VXP Q14).
        UniqueConstraint("sender_system", "sha256", name="uq_documents_sender_sha256"),
        Index("ix_documents_semantic", "sender_key", "code_number", "code_notation"),
        Index("ix_documents_edxml_id", "sender_key", "edxml_document_id"),
        Index("ix_documents_sender_time", "sender_system", "accepted_at"),
    )

    document_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    sender_system: Mapped[str] = mapped_column(String(100))
    sender_code: Mapped[str] = mapped_column(String(50))
    sender_key: Mapped[str] = mapped_column(String(50))
    sha256: Mapped[str] = mapped_column(ForeignKey("blobs.sha256"))
    size: Mapped[int] = mapped_column(BigInteger)
    accepted_at: Mapped[datetime]
    edxml_document_id: Mapped[str | None] = mapped_column(String(200))
    # Same sender + edXML DocumentId (+ operation) is the same send; NULL for updates/replaces.
    dedup_key: Mapped[str | None] = mapped_column(String(300), unique=True)
    code_number: Mapped[str | None] = mapped_column(String(50))
    code_notation: Mapped[str | None] = mapped_column(String(100))
    promulgation_date: Mapped[date | None] = mapped_column(Date)
    due_date: Mapped[date | None] = mapped_column(Date)
    subject: Mapped[str | None] = mapped_column(Text)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    business_type: Mapped[int] = mapped_column(Integer, default=0)
    status_code: Mapped[str | None] = mapped_column(String(2))
    related_document_id: Mapped[str | None] = mapped_column(String(36), index=True)
    duplicate_of: Mapped[str | None] = mapped_column(String(36))
    signature: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    notes: Mapped[list[Any]] = mapped_column(JSON, default=list)
    request_id: Mapped[str | None] = mapped_column(String(100))
    # Legal measures (migration 0002, docs/calendar.md): sent_at is accepted_at.
    send_deadline: Mapped[datetime | None]
    sent_on_time: Mapped[bool | None] = mapped_column(Boolean)
    due_at: Mapped[datetime | None]
    calendar_version: Mapped[str | None] = mapped_column(String(16))


class AttachmentRow(Base):
    """One attachment's metadata (its bytes are inside the package blob)."""

    __tablename__ = "attachments"

    document_id: Mapped[str] = mapped_column(
        ForeignKey("documents.document_id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str | None] = mapped_column(String(255))
    content_type: Mapped[str | None] = mapped_column(String(100))
    size: Mapped[int | None] = mapped_column(BigInteger)
    sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    is_zip: Mapped[bool] = mapped_column(Boolean, default=False)


class DeliveryRow(Base):
    """One recipient's copy of a document."""

    __tablename__ = "deliveries"
    __table_args__ = (
        # The pull list: the recipient system's available copies, urgent first, oldest first.
        Index("ix_deliveries_pull", "system_id", "kind", "state", "priority", "created_at"),
        Index("ix_deliveries_state_time", "state", "updated_at"),
    )

    delivery_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    document_id: Mapped[str] = mapped_column(
        ForeignKey("documents.document_id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(10))
    priority: Mapped[int] = mapped_column(Integer, default=0)
    requested_code: Mapped[str] = mapped_column(String(50))
    code: Mapped[str] = mapped_column(String(50))
    code_key: Mapped[str] = mapped_column(String(50))
    system_id: Mapped[str | None] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    available_at: Mapped[datetime | None]
    received_at: Mapped[datetime | None]
    next_attempt_at: Mapped[datetime | None]
    receiver_failures: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    concerns_delivery_id: Mapped[str | None] = mapped_column(String(36), index=True)
    # Forwarding between nodes (issue 4): "upstream" when the national node takes the copy on,
    # with the DocId it answered once it did.
    link: Mapped[str | None] = mapped_column(String(30))
    upstream_doc_id: Mapped[str | None] = mapped_column(String(100))
    # A copy pulled from the upstream node: the item's DocId there (each item makes one copy).
    origin_doc_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    # When the upstream node acknowledged the report of the copy's final state (migration 0004).
    reported_at: Mapped[datetime | None]
    status_code: Mapped[str | None] = mapped_column(String(2))
    status_at: Mapped[datetime | None]
    # Legal measures of the copy (migration 0002, docs/calendar.md), with their calendar version.
    legal_received_at: Mapped[datetime | None]
    received_out_of_hours: Mapped[bool | None] = mapped_column(Boolean)
    notice_deadline: Mapped[datetime | None]
    notice_on_time: Mapped[bool | None] = mapped_column(Boolean)
    overdue: Mapped[bool | None] = mapped_column(Boolean)
    urgent_handover_minutes: Mapped[int | None] = mapped_column(Integer)
    calendar_version: Mapped[str | None] = mapped_column(String(16))
    # The code of the copy's failure while it is ``failed`` (migration 0009: the operators'
    # filter), e.g. ROUTE_NO_SYSTEM, RECEIVER_FAILED; cleared by a replay.
    fail_code: Mapped[str | None] = mapped_column(String(60))


class EventRow(Base):
    """An append-only history entry of a copy."""

    __tablename__ = "delivery_events"

    event_id: Mapped[int] = mapped_column(AutoId, primary_key=True, autoincrement=True)
    delivery_id: Mapped[str] = mapped_column(
        ForeignKey("deliveries.delivery_id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(100))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class StatusNoticeRow(Base):
    """A status (01..16) recorded against the copy it concerns."""

    __tablename__ = "status_notices"

    notice_id: Mapped[int] = mapped_column(AutoId, primary_key=True, autoincrement=True)
    delivery_id: Mapped[str] = mapped_column(
        ForeignKey("deliveries.delivery_id", ondelete="CASCADE"), index=True
    )
    status_document_id: Mapped[str] = mapped_column(
        ForeignKey("documents.document_id", ondelete="CASCADE")
    )
    code: Mapped[str] = mapped_column(String(2))
    description: Mapped[str | None] = mapped_column(Text)
    issued_at: Mapped[datetime | None]
    recorded_at: Mapped[datetime]
    from_code: Mapped[str] = mapped_column(String(50))


class CalendarOverrideRow(Base):
    """A day off or make-up working day an operator added (wins over the override table)."""

    __tablename__ = "calendar_overrides"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(Text)
    confidence: Mapped[str] = mapped_column(String(10), default="high")
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(100))


class OutboxRow(Base):
    """Work to publish to the bus, written in the same transaction as what it is about."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_pending", "published_at", "priority", "outbox_id"),)

    outbox_id: Mapped[int] = mapped_column(AutoId, primary_key=True, autoincrement=True)
    topic: Mapped[str] = mapped_column(String(30))
    message_id: Mapped[str] = mapped_column(String(80), unique=True)
    body: Mapped[bytes] = mapped_column(LargeBinary)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    headers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime]
    published_at: Mapped[datetime | None]
    #: A relay claimed the row until then (several relays share the outbox: gateway/store/outbox.py)
    claimed_until: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)


class ReplayRequestRow(Base):
    """A request to replay a frozen set of failed copies, awaiting a second operator (0009)."""

    __tablename__ = "replay_requests"

    request_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    #: pending, approved, rejected, done (expired is derived from ``expires_at`` at read time).
    state: Mapped[str] = mapped_column(String(12))
    reason: Mapped[str] = mapped_column(Text)
    #: The filter the set was frozen from, or the ids given (for people; never re-run).
    selection: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    total: Mapped[int] = mapped_column(Integer)
    requested_by: Mapped[str] = mapped_column(String(100))
    requested_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decided_at: Mapped[datetime | None]
    decision_reason: Mapped[str | None] = mapped_column(Text)
    finished_at: Mapped[datetime | None]


class ReplayItemRow(Base):
    """One copy of a replay request; ``done_at`` marks it handled (a resumed run skips it)."""

    __tablename__ = "replay_items"
    __table_args__ = (Index("ix_replay_items_pending", "request_id", "done_at", "position"),)

    request_id: Mapped[str] = mapped_column(
        ForeignKey("replay_requests.request_id", ondelete="CASCADE"), primary_key=True
    )
    delivery_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    done_at: Mapped[datetime | None]
    #: replayed, or skipped (the copy was no longer failed, or no system serves it).
    outcome: Mapped[str | None] = mapped_column(String(12))
    detail: Mapped[str | None] = mapped_column(Text)


class UserRow(Base):
    """A person who operates the node (gateway/core/people.py): never a document system."""

    __tablename__ = "users"

    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    role: Mapped[str] = mapped_column(String(10))
    password_hash: Mapped[str] = mapped_column(String(255))  # argon2id, PHC string
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    password_changed_at: Mapped[datetime | None]


class PersonalTokenRow(Base):
    """A person's API token, kept as its SHA-256 (the token is shown once)."""

    __tablename__ = "personal_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(
        ForeignKey("users.username", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime]


class SignInThrottleRow(Base):
    """Failed sign-ins of a username in a row (known or not: lock-outs reveal no names)."""

    __tablename__ = "sign_in_throttle"

    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime]
    locked_until: Mapped[datetime | None]


class AuditRow(Base):
    """One entry of the hash-chained audit log (gateway/core/audit.py): appended, never changed."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_action", "action", "seq"),
        Index("ix_audit_log_actor", "actor", "seq"),
        Index("ix_audit_log_at", "at"),
    )

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(Text)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    channel: Mapped[str | None] = mapped_column(String(10))
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditHeadRow(Base):
    """The last entry appended to the audit log (one row, ``id`` 1): removing the newest
    entries then breaks the chain too."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))


class AlertRow(Base):
    """One alert key (kind, key): open while ``cleared_at`` is NULL (gateway/core/alerts.py).

    One row per key, not per occurrence: the key fires again only after it cleared, and
    ``fired`` counts how many times it opened (the webhook message of each opening is its own).
    """

    __tablename__ = "alerts"

    kind: Mapped[str] = mapped_column(String(30), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    subject: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    raised_at: Mapped[datetime]
    cleared_at: Mapped[datetime | None]
    fired: Mapped[int] = mapped_column(Integer, default=1)


class AlertMarkRow(Base):
    """A watermark of an alert scan (how far the failed copies were read)."""

    __tablename__ = "alert_marks"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    at: Mapped[datetime]


def core(model: type[Base]) -> Table:
    """The Core table of a row class: bulk inserts through it skip the ORM's bulk-persistence
    machinery (about 1 ms of CPU per accept, docs/benchmarks.md)."""
    return cast(Table, model.__table__)


# ---------------------------------------------------------------------------- statistics rollups
# Migrations 0011-0013 (docs/statistics.md): maintained by the statistics worker from the copies'
# history (delivery_events.event_id as its watermark), never written by the accept path.


class StatsCellRow(Base):
    """One rollup cell: how many documents or copies of an agency (or ``*``, the whole node),
    as sender or recipient, on a day or in a month, have one value of one measure."""

    __tablename__ = "stats_cells"
    __table_args__ = (
        # The per-agency table reads a few measures of every agency: by measure, not by agency;
        # on PostgreSQL the index covers what it reads (index-only scans; migration 0012).
        Index(
            "ix_stats_cells_measure",
            "grain",
            "measure",
            "period",
            postgresql_include=["agency", "role", "bucket", "n"],
        ),
    )

    # Key order: a read names the agency (or ``*``), the grain and the periods, then takes every
    # role, measure and value of them, one index range per agency and period.
    agency: Mapped[str] = mapped_column(String(50), primary_key=True)
    grain: Mapped[str] = mapped_column(String(1), primary_key=True)
    period: Mapped[date] = mapped_column(Date, primary_key=True)
    role: Mapped[str] = mapped_column(String(1), primary_key=True)
    measure: Mapped[str] = mapped_column(String(20), primary_key=True)
    bucket: Mapped[str] = mapped_column(String(220), primary_key=True)
    n: Mapped[int] = mapped_column(BigInteger, default=0)


class StatsFactRow(Base):
    """The cells one document or copy counts in now, so that a change subtracts them."""

    __tablename__ = "stats_facts"

    subject: Mapped[str] = mapped_column(String(40), primary_key=True)
    cells: Mapped[str] = mapped_column(Text)


class StatsAgencyRow(Base):
    """An agency code seen in the rollups (the scope of a code includes unregistered ones)."""

    __tablename__ = "stats_agencies"

    agency: Mapped[str] = mapped_column(String(50), primary_key=True)
    first_day: Mapped[date] = mapped_column(Date)


class StatsMarkRow(Base):
    """A copy whose stored legal measures ``calendar recompute`` rewrote (with the calendar
    version it used): the statistics worker counts it again by difference, then deletes the
    mark. Marks are not unique: a copy marked again while a tick reads it is counted again."""

    __tablename__ = "stats_marks"

    mark_id: Mapped[int] = mapped_column(AutoId, primary_key=True, autoincrement=True)
    delivery_id: Mapped[str] = mapped_column(String(36))
    calendar_version: Mapped[str] = mapped_column(String(16))


class StatsStateRow(Base):
    """The worker's watermark: every history entry up to ``watermark`` is counted."""

    __tablename__ = "stats_state"

    name: Mapped[str] = mapped_column(String(30), primary_key=True)
    watermark: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime]
