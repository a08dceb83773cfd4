"""Issue 30: the register of issued documents keeps each file as issued, so that every role of the region
reads it (the levels who sign a batch must read its agreements) without issuing it again. Documents
registered before keep no file: the screens say so.

The register is append-only (0018): on SQLite its guard lists the table's columns, so it is installed
again with the new one; on PostgreSQL it compares whole rows and needs nothing.

Revision ID: 0019
Revises: 0018
"""
import sqlalchemy as sa
from alembic import op

from accounting import guards

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    conn = op.get_bind()
    op.add_column("issued_document", sa.Column("content", sa.LargeBinary(), nullable=True))
    if conn.dialect.name == "sqlite":
        guards.unguard_table(conn, "issued_document")
        guards.guard_history(conn, "issued_document")


def downgrade() -> None:
    conn = op.get_bind()
    guards.unguard_table(conn, "issued_document")
    with op.batch_alter_table("issued_document", schema=None) as batch_op:
        batch_op.drop_column("content")
    guards.guard_history(conn, "issued_document")
