"""statistics cells: the (grain, measure, period) index covers the cells on PostgreSQL

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 16:00:00.000000

The per-agency table of the whole node reads a few measures of every agency over months; the
month cells lie scattered among the day cells of the heap (one heap page per cell read: 45 000
pages for 6 months at 1 M copies, ~0.5 s). The index now carries the columns those reads take
(``INCLUDE (agency, role, bucket, n)``), so they are index-only scans (~0.12 s; docs/statistics.md
"Limits"). SQLite has no ``INCLUDE``: the same key index, as before.
"""

from __future__ import annotations

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

COVERED = ["agency", "role", "bucket", "n"]


def upgrade() -> None:
    op.drop_index("ix_stats_cells_measure", table_name="stats_cells")
    op.create_index(
        "ix_stats_cells_measure",
        "stats_cells",
        ["grain", "measure", "period"],
        unique=False,
        postgresql_include=COVERED,
    )


def downgrade() -> None:
    op.drop_index("ix_stats_cells_measure", table_name="stats_cells")
    op.create_index(
        "ix_stats_cells_measure", "stats_cells", ["grain", "measure", "period"], unique=False
    )
