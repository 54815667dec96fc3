"""node links: systems that are other axis nodes

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 04:00:00.000000

Only a system registered as a node link (the downstream provincial node's system at a national
node) may call the node-to-node VXP extensions (``reportDelivery``, ``nextDocId``, ``failCode``:
docs/axes.md); an ordinary document system gets a coded FAIL. Existing systems are not links:
an operator marks the provincial nodes' systems with ``systems grant ID --node-link``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("systems", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("node_link", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("systems", schema=None) as batch_op:
        batch_op.drop_column("node_link")
