"""statistics marks: copies ``calendar recompute`` rewrote, for the worker to count again

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 06:00:00.000000

``calendar recompute`` rewrites stored legal measures without history entries, so the statistics
worker (which follows ``delivery_events``) would not see them. It now marks each copy it wrote, in
the same transaction, with the calendar version it used; the worker counts the marked copies again
by difference and deletes their marks (docs/statistics.md "Recompute"). Created empty.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stats_marks",
        sa.Column(
            "mark_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("delivery_id", sa.String(length=36), nullable=False),
        sa.Column("calendar_version", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("mark_id", name=op.f("pk_stats_marks")),
    )


def downgrade() -> None:
    op.drop_table("stats_marks")
