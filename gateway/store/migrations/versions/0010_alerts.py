"""alerts: open/cleared alert keys and the watermark of the failed-copy scan

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 06:00:00.000000

The alert worker (gateway/workers/alerts.py) fires each alert once per key until it clears:
``alerts`` holds one row per (kind, key), open while ``cleared_at`` is NULL, so several worker
processes and restarts do not fire it twice. ``alert_marks`` keeps how far the scan of failed
copies has read. (Chained after 0007; the merger rechains it after 0008/0009.)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alerts",
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cleared_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("fired", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "key", name=op.f("pk_alerts")),
    )
    op.create_table(
        "alert_marks",
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_alert_marks")),
    )


def downgrade() -> None:
    op.drop_table("alert_marks")
    op.drop_table("alerts")
