"""Sign-in and regions: staff passwords, region grants, tokens, login attempts, audit events,
and the 管理员 department.

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

from accounting.schema import UtcDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

OLD = ("fund_settlement", "finance", "internal_audit", "inspection", "administration", "finance_bureau", "auditor")
NEW = OLD + ("administrator",)


def _department(values):
    return sa.Enum(*values, name="department", native_enum=False, create_constraint=True, length=32)


def upgrade() -> None:
    with op.batch_alter_table("staff", recreate="always") as batch_op:
        batch_op.alter_column("department", type_=_department(NEW), existing_type=_department(OLD),
                              existing_nullable=False)
        batch_op.add_column(sa.Column("password_hash", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("active", sa.Boolean(), server_default="1", nullable=False))
        batch_op.add_column(sa.Column("password_changed_at", UtcDateTime(), nullable=True))
    op.create_table(
        "staff_region",
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("granted_by", sa.String(length=60), nullable=False),
        sa.Column("granted_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], name=op.f("fk_staff_region_staff_id_staff")),
        sa.PrimaryKeyConstraint("staff_id", "region_code", name=op.f("pk_staff_region")),
    )
    op.create_table(
        "api_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=True),
        sa.Column("revoked_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], name=op.f("fk_api_token_staff_id_staff")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_token_token_hash")),
    )
    op.create_index(op.f("ix_api_token_staff_id"), "api_token", ["staff_id"], unique=False)
    op.create_table(
        "login_attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=60), nullable=False),
        sa.Column("remote", sa.String(length=64), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_attempt")),
    )
    op.create_index("ix_login_attempt_username_at", "login_attempt", ["username", "at"], unique=False)
    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=60), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("detail", sa.String(length=500), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
    )
    op.create_index("ix_audit_event_at", "audit_event", ["at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_audit_event_at", table_name="audit_event")
    op.drop_table("audit_event")
    op.drop_index("ix_login_attempt_username_at", table_name="login_attempt")
    op.drop_table("login_attempt")
    op.drop_index(op.f("ix_api_token_staff_id"), table_name="api_token")
    op.drop_table("api_token")
    op.drop_table("staff_region")
    op.execute("DELETE FROM staff WHERE department = 'administrator'")
    with op.batch_alter_table("staff", recreate="always") as batch_op:
        batch_op.drop_column("password_changed_at")
        batch_op.drop_column("active")
        batch_op.drop_column("password_hash")
        batch_op.alter_column("department", type_=_department(OLD), existing_type=_department(NEW),
                              existing_nullable=False)
