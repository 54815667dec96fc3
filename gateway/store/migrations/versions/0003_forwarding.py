"""forwarding between nodes: the link a copy leaves by, the upstream DocIds

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 12:00:00.000000

A copy no local system serves goes to the upstream (national) node: ``deliveries.link`` says
so, and ``deliveries.upstream_doc_id`` keeps the DocId the upstream node answered. A copy made
from an item pulled from the upstream node keeps that item's DocId in
``deliveries.origin_doc_id``, unique, so an item pulled twice makes one copy.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("link", sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column("upstream_doc_id", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("origin_doc_id", sa.String(length=100), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_deliveries_origin_doc_id"), ["origin_doc_id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_deliveries_origin_doc_id"), type_="unique")
        batch_op.drop_column("origin_doc_id")
        batch_op.drop_column("upstream_doc_id")
        batch_op.drop_column("link")
