"""Issue 31: hospitals' published inpatient-deposit tables (imported) and what the checks find in them
(DEPOSIT.md rules 1, 3, 4), with their status.

Revision ID: 0023
Revises: 0022
"""
import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "published_deposit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("group_code", sa.String(length=30), nullable=False),
        sa.Column("insurance_class", sa.Enum("employee", "resident", "self_pay", name="insurance_class",
                                             native_enum=False, create_constraint=True, length=32), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("basis", sa.String(length=200), nullable=True),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("prior_standard", sa.BigInteger(), nullable=True),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_published_deposit_amount_not_negative")),
        sa.ForeignKeyConstraint(["institution_id"], ["institution.id"],
                                name=op.f("fk_published_deposit_institution_id_institution")),
        sa.ForeignKeyConstraint(["region_id"], ["region.id"], name=op.f("fk_published_deposit_region_id_region")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_published_deposit")),
        sa.UniqueConstraint("institution_id", "group_code", "insurance_class", "effective_on",
                            name=op.f("uq_published_deposit_institution_id_group_code_insurance_class_effective_on")),
    )
    with op.batch_alter_table("published_deposit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_published_deposit_region_id"), ["region_id"], unique=False)
    op.create_table(
        "deposit_finding",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("group_code", sa.String(length=30), nullable=False),
        sa.Column("insurance_class", sa.String(length=20), nullable=True),
        sa.Column("breach", sa.Boolean(), nullable=False),
        sa.Column("article", sa.String(length=40), nullable=False),
        sa.Column("published", sa.BigInteger(), nullable=True),
        sa.Column("reference", sa.BigInteger(), nullable=True),
        sa.Column("message", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("found_on", sa.Date(), nullable=False),
        sa.Column("last_seen_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(["institution_id"], ["institution.id"],
                                name=op.f("fk_deposit_finding_institution_id_institution")),
        sa.ForeignKeyConstraint(["region_id"], ["region.id"], name=op.f("fk_deposit_finding_region_id_region")),
        sa.ForeignKeyConstraint(["run_id"], ["deposit_run.id"], name=op.f("fk_deposit_finding_run_id_deposit_run")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deposit_finding")),
    )
    with op.batch_alter_table("deposit_finding", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_deposit_finding_institution_id"), ["institution_id"], unique=False)
    op.create_index("ix_deposit_finding_open", "deposit_finding", ["region_id", "status"])


def downgrade() -> None:
    op.drop_index("ix_deposit_finding_open", table_name="deposit_finding")
    with op.batch_alter_table("deposit_finding", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deposit_finding_institution_id"))
    op.drop_table("deposit_finding")
    with op.batch_alter_table("published_deposit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_published_deposit_region_id"))
    op.drop_table("published_deposit")
