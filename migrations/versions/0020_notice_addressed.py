"""Issue 30: a notice is addressed to the region it is about and to the department that acts on it, so that
each role's to-do list (待办) shows its own region's notices and nobody reads another region's. Notices
written before are about no region and for everyone, as they were shown.

Revision ID: 0020
Revises: 0019
"""
import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("notice", schema=None) as batch_op:
        batch_op.add_column(sa.Column("region_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("department", sa.String(length=30), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_notice_region_id_region"), "region", ["region_id"], ["id"])
        batch_op.create_index(batch_op.f("ix_notice_region_id"), ["region_id"])


def downgrade() -> None:
    with op.batch_alter_table("notice", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notice_region_id"))
        batch_op.drop_constraint(batch_op.f("fk_notice_region_id_region"), type_="foreignkey")
        batch_op.drop_column("department")
        batch_op.drop_column("region_id")
