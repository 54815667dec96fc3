"""legal time: calendar overrides, legal measures on documents and copies

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 09:00:00.000000

Adds the operators' calendar override rows and the legal measures of issue 5
(docs/calendar.md "Legal measures"): the send and due deadlines of a document, the legal
receipt time, receipt-notice deadline and urgent hand-over minutes of a copy, each with the
version of the calendar it was computed with. Every new column is nullable: rows accepted
before this migration have no measures until ``calendar recompute --from DATE``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calendar_overrides",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("confidence", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_calendar_overrides")),
    )
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("send_deadline", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("sent_on_time", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("due_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("calendar_version", sa.String(length=16), nullable=True))
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("legal_received_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("received_out_of_hours", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("notice_deadline", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("notice_on_time", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("overdue", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("urgent_handover_minutes", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("calendar_version", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_column("calendar_version")
        batch_op.drop_column("urgent_handover_minutes")
        batch_op.drop_column("overdue")
        batch_op.drop_column("notice_on_time")
        batch_op.drop_column("notice_deadline")
        batch_op.drop_column("received_out_of_hours")
        batch_op.drop_column("legal_received_at")
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_column("calendar_version")
        batch_op.drop_column("due_at")
        batch_op.drop_column("sent_on_time")
        batch_op.drop_column("send_deadline")
    op.drop_table("calendar_overrides")
