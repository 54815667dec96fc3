"""reports upstream: when the national node heard what became of a pulled copy

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 15:00:00.000000

A copy pulled from the upstream node that reaches a final state (received or failed) is
reported back to it (``reportDelivery``); ``deliveries.reported_at`` is when the upstream node
acknowledged the report, so that the start-up sweep can send again the reports a non-durable bus
lost when the node stopped.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reported_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_column("reported_at")
