"""Issue 31: patients' inpatient deposits (DEPOSIT.md). The inpatient settlements the bureau holds
(``discharge``: no names nor ID numbers, the settlement and visit ids kept as keyed hashes, the fen
identities checked by the database), the reference runs computed from them (``deposit_run``, frozen with
their inputs' hash and profile version; a recomputation supersedes) and their cells, and the deposit
profile a region runs under.

Revision ID: 0022
Revises: 0021
"""
import sqlalchemy as sa
from alembic import op

import accounting.schema

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def _class() -> sa.Enum:
    return sa.Enum("employee", "resident", "self_pay", name="insurance_class", native_enum=False,
                   create_constraint=True, length=32)


def upgrade() -> None:
    with op.batch_alter_table("region", schema=None) as batch_op:
        batch_op.add_column(sa.Column("deposit_profile", sa.String(length=40), server_default="national-2025",
                                      nullable=False))
    op.create_table(
        "discharge",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("settlement_key", sa.String(length=64), nullable=False),
        sa.Column("visit_key", sa.String(length=64), nullable=False),
        sa.Column("original_key", sa.String(length=64), nullable=True),
        sa.Column("refund", sa.Boolean(), nullable=False),
        sa.Column("insurance_class", _class(), nullable=False),
        sa.Column("insured_region", sa.String(length=6), nullable=False),
        sa.Column("out_of_region", sa.Boolean(), nullable=False),
        sa.Column("medical_category", sa.String(length=20), nullable=True),
        sa.Column("admitted_on", sa.Date(), nullable=False),
        sa.Column("discharged_on", sa.Date(), nullable=False),
        sa.Column("settled_at", accounting.schema.UtcDateTime(), nullable=False),
        sa.Column("department", sa.String(length=60), nullable=True),
        sa.Column("diagnosis", sa.String(length=20), nullable=True),
        sa.Column("procedure", sa.String(length=20), nullable=True),
        sa.Column("group_code", sa.String(length=30), nullable=False),
        sa.Column("group_version", sa.String(length=30), nullable=True),
        *(sa.Column(name, sa.BigInteger(), nullable=False) for name in (
            "total", "fund_paid", "personal_burden", "copay", "self_pay", "account_paid", "cash_paid",
            "hospital_borne")),
        sa.CheckConstraint("total = fund_paid + personal_burden + hospital_borne",
                           name=op.f("ck_discharge_total_identity")),
        sa.CheckConstraint("personal_burden = copay + self_pay", name=op.f("ck_discharge_burden_identity")),
        sa.ForeignKeyConstraint(["institution_id"], ["institution.id"],
                                name=op.f("fk_discharge_institution_id_institution")),
        sa.ForeignKeyConstraint(["region_id"], ["region.id"], name=op.f("fk_discharge_region_id_region")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_discharge")),
        sa.UniqueConstraint("settlement_key", name=op.f("uq_discharge_settlement_key")),
    )
    op.create_index("ix_discharge_region_discharged", "discharge", ["region_id", "discharged_on"])
    op.create_index("ix_discharge_institution_group", "discharge", ["institution_id", "group_code"])
    op.create_table(
        "deposit_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("window_from", sa.Date(), nullable=False),
        sa.Column("window_to", sa.Date(), nullable=False),
        sa.Column("profile_name", sa.String(length=60), nullable=False),
        sa.Column("profile_version", sa.Integer(), nullable=False),
        sa.Column("measure", sa.String(length=20), nullable=False),
        sa.Column("inputs_sha256", sa.String(length=64), nullable=False),
        sa.Column("settlements", sa.Integer(), nullable=False),
        sa.Column("admissions", sa.Integer(), nullable=False),
        sa.Column("out_of_region", sa.Integer(), nullable=False),
        sa.Column("cells", sa.Integer(), nullable=False),
        sa.Column("computed_by", sa.String(length=60), nullable=False),
        sa.Column("computed_at", accounting.schema.UtcDateTime(), nullable=False),
        sa.Column("superseded_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["region_id"], ["region.id"], name=op.f("fk_deposit_run_region_id_region")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deposit_run")),
    )
    with op.batch_alter_table("deposit_run", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_deposit_run_region_id"), ["region_id"], unique=False)
    op.create_table(
        "deposit_cell",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("group_code", sa.String(length=30), nullable=False),
        sa.Column("insurance_class", _class(), nullable=False),
        sa.Column("cases", sa.Integer(), nullable=False),
        *(sa.Column(name, sa.BigInteger(), nullable=False) for name in (
            "mean_cost", "mean_fund", "mean_copay", "mean_self_pay", "mean_cash", "reference", "median", "p75")),
        sa.Column("last_year_cases", sa.Integer(), nullable=False),
        sa.Column("last_year_reference", sa.BigInteger(), nullable=True),
        sa.Column("small", sa.Boolean(), nullable=False),
        sa.Column("proxy", sa.Boolean(), nullable=False),
        sa.Column("out_of_region_cases", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["institution_id"], ["institution.id"],
                                name=op.f("fk_deposit_cell_institution_id_institution")),
        sa.ForeignKeyConstraint(["run_id"], ["deposit_run.id"], name=op.f("fk_deposit_cell_run_id_deposit_run")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deposit_cell")),
        sa.UniqueConstraint("run_id", "institution_id", "group_code", "insurance_class",
                            name=op.f("uq_deposit_cell_run_id_institution_id_group_code_insurance_class")),
    )
    op.create_index("ix_deposit_cell_run_group", "deposit_cell", ["run_id", "group_code"])


def downgrade() -> None:
    op.drop_index("ix_deposit_cell_run_group", table_name="deposit_cell")
    op.drop_table("deposit_cell")
    with op.batch_alter_table("deposit_run", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deposit_run_region_id"))
    op.drop_table("deposit_run")
    op.drop_index("ix_discharge_institution_group", table_name="discharge")
    op.drop_index("ix_discharge_region_discharged", table_name="discharge")
    op.drop_table("discharge")
    with op.batch_alter_table("region", schema=None) as batch_op:
        batch_op.drop_column("deposit_profile")
