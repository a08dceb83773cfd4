"""Issue 31: how the published deposits stood against a run on a check's day, computed by the check and read by
the dashboard (a prefecture's 60,000 lines in force are judged once per check, not on every page).

Revision ID: 0026
Revises: 0025
"""
import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "deposit_standing",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("checked_on", sa.Date(), nullable=False),
        sa.Column("hospitals", sa.Integer(), nullable=False),
        sa.Column("publishing", sa.Integer(), nullable=False),
        sa.Column("lines", sa.Integer(), nullable=False),
        sa.Column("compliant", sa.Integer(), nullable=False),
        sa.Column("bins", sa.JSON(), nullable=False),
        sa.Column("silent", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["region_id"], ["region.id"], name=op.f("fk_deposit_standing_region_id_region")),
        sa.ForeignKeyConstraint(["run_id"], ["deposit_run.id"], name=op.f("fk_deposit_standing_run_id_deposit_run")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deposit_standing")),
        sa.UniqueConstraint("run_id", "checked_on", name=op.f("uq_deposit_standing_run_id_checked_on")),
    )
    op.create_index(op.f("ix_deposit_standing_region_id"), "deposit_standing", ["region_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_deposit_standing_region_id"), table_name="deposit_standing")
    op.drop_table("deposit_standing")
