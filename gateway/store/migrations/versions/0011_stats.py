"""statistics rollups: cells per agency, role, day/month, measure and value; facts; watermark

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 06:15:00.000000

The statistics worker (gateway/workers/stats.py, docs/statistics.md) keeps these from the copies'
history, after each accept has committed: the accept path writes nothing here. ``stats_cells``
answers every figure by summing cells; ``stats_facts`` remembers what each document and copy
counts in, so that a change is applied as a difference; ``stats_state`` is the worker's
watermark over ``delivery_events.event_id``. Created empty: ``python -m gateway stats rebuild``
(or the worker, from watermark 0) counts the existing history.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stats_cells",
        sa.Column("agency", sa.String(length=50), nullable=False),
        sa.Column("grain", sa.String(length=1), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("role", sa.String(length=1), nullable=False),
        sa.Column("measure", sa.String(length=20), nullable=False),
        sa.Column("bucket", sa.String(length=220), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "agency", "grain", "period", "role", "measure", "bucket", name=op.f("pk_stats_cells")
        ),
    )
    op.create_index(
        "ix_stats_cells_measure", "stats_cells", ["grain", "measure", "period"], unique=False
    )
    op.create_table(
        "stats_facts",
        sa.Column("subject", sa.String(length=40), nullable=False),
        sa.Column("cells", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("subject", name=op.f("pk_stats_facts")),
    )
    op.create_table(
        "stats_agencies",
        sa.Column("agency", sa.String(length=50), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("agency", name=op.f("pk_stats_agencies")),
    )
    op.create_table(
        "stats_state",
        sa.Column("name", sa.String(length=30), nullable=False),
        sa.Column("watermark", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_stats_state")),
    )


def downgrade() -> None:
    op.drop_table("stats_state")
    op.drop_table("stats_agencies")
    op.drop_table("stats_facts")
    op.drop_index("ix_stats_cells_measure", table_name="stats_cells")
    op.drop_table("stats_cells")
