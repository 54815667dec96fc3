"""blob storage: package bytes stored out of line without compression (PostgreSQL)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 04:00:00.000000

``blobs.data`` holds whole packages, almost always a base64-encoded PDF or signed archive that
pglz cannot shrink. With the default ``STORAGE EXTENDED`` PostgreSQL still tries to compress every
value before moving it out of line; measured by ``bench/blob_storage.py`` (docs/benchmarks.md,
"Blob storage"), that try cost ~3.5 ms of database CPU per 139 KB package against ~1.0 ms with
``STORAGE EXTERNAL`` (out of line, never compressed), for the same bytes stored. Only new values
are affected; existing rows stay as they are. SQLite has no such setting: a no-op there.
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE blobs ALTER COLUMN data SET STORAGE EXTERNAL")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE blobs ALTER COLUMN data SET STORAGE EXTENDED")
