"""outbox claims: several relays share the outbox without publishing a row twice

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 05:00:00.000000

A relay claims the pending rows it is about to publish (``claimed_until``, a short lease) in the
same statement that reads them; another relay skips claimed rows until the lease ends, so a row
is published by one relay (docs/benchmarks.md measured two relays publishing every row twice). A
relay that dies with rows claimed leaves them to the others when the lease ends.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("claimed_until")
