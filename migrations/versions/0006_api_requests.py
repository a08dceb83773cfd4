"""API idempotency: a mutating call's first answer under its key.

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

from accounting.schema import UtcDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=100), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("response_json", sa.Text(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], name=op.f("fk_api_request_staff_id_staff")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_request")),
        sa.UniqueConstraint("staff_id", "idempotency_key", name=op.f("uq_api_request_staff_id_idempotency_key")),
    )


def downgrade() -> None:
    op.drop_table("api_request")
