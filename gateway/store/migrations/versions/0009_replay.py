"""replay: the failure code of a failed copy, and replay requests awaiting a second operator

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 06:00:00.000000

- ``deliveries.fail_code``: why a ``failed`` copy failed (``ROUTE_NO_SYSTEM``,
  ``RECEIVER_FAILED``...), so that operators filter the node-wide list by it; filled here from
  the last ``failed`` history entry of the copies failed already, cleared by a replay.
- ``replay_requests`` / ``replay_items``: a bulk replay frozen when requested (the exact copies,
  with the reason), approved or rejected by another operator, run in the background with one
  done mark per copy so that a resumed run replays nothing twice (docs/console.md).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_AT = sa.DateTime(timezone=True)


def _backfill() -> None:
    """The failure code of every copy failed before this revision, from its history."""
    bind = op.get_bind()
    deliveries = sa.table(
        "deliveries",
        sa.column("delivery_id", sa.String),
        sa.column("state", sa.String),
        sa.column("fail_code", sa.String),
    )
    events = sa.table(
        "delivery_events",
        sa.column("event_id", sa.Integer),
        sa.column("delivery_id", sa.String),
        sa.column("kind", sa.String),
        sa.column("detail", sa.JSON),
    )
    failed = (
        sa.select(events.c.delivery_id, events.c.detail)
        .join(deliveries, deliveries.c.delivery_id == events.c.delivery_id)
        .where(deliveries.c.state == "failed", events.c.kind == "failed")
        .order_by(events.c.event_id)
    )
    codes: dict[str, str] = {}
    for delivery_id, detail in bind.execute(failed):
        code = detail.get("code") if isinstance(detail, dict) else None
        if isinstance(code, str) and code:
            codes[delivery_id] = code[:60]  # the last failure's code wins
    for delivery_id, code in codes.items():
        bind.execute(
            deliveries.update()
            .where(deliveries.c.delivery_id == delivery_id)
            .values(fail_code=code)
        )


def upgrade() -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("fail_code", sa.String(length=60), nullable=True))
    _backfill()

    op.create_table(
        "replay_requests",
        sa.Column("request_id", sa.String(length=36), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("selection", sa.JSON(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("requested_by", sa.String(length=100), nullable=False),
        sa.Column("requested_at", _AT, nullable=False),
        sa.Column("expires_at", _AT, nullable=False),
        sa.Column("decided_by", sa.String(length=100), nullable=True),
        sa.Column("decided_at", _AT, nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("finished_at", _AT, nullable=True),
        sa.PrimaryKeyConstraint("request_id", name=op.f("pk_replay_requests")),
    )
    op.create_table(
        "replay_items",
        sa.Column("request_id", sa.String(length=36), nullable=False),
        sa.Column("delivery_id", sa.String(length=36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("done_at", _AT, nullable=True),
        sa.Column("outcome", sa.String(length=12), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["replay_requests.request_id"],
            name=op.f("fk_replay_items_request_id_replay_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("request_id", "delivery_id", name=op.f("pk_replay_items")),
    )
    with op.batch_alter_table("replay_items", schema=None) as batch_op:
        batch_op.create_index(
            "ix_replay_items_pending", ["request_id", "done_at", "position"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("replay_items", schema=None) as batch_op:
        batch_op.drop_index("ix_replay_items_pending")
    op.drop_table("replay_items")
    op.drop_table("replay_requests")
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_column("fail_code")
