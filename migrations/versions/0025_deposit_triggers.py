"""Issue 31: the recompute triggers (DEPOSIT.md rule 5, XJ 24) — the groups' payment standards by year, the
hospitals' verified complaints by month, a finding's deadline, the notice that carried it and why it was cleared.

Revision ID: 0025
Revises: 0024
"""
import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "payment_standard",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("group_code", sa.String(length=30), nullable=False),
        sa.Column("insurance_class", sa.Enum("employee", "resident", "self_pay", name="insurance_class",
                                             native_enum=False, create_constraint=True, length=32), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("standard", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("standard > 0", name=op.f("ck_payment_standard_standard_positive")),
        sa.ForeignKeyConstraint(["region_id"], ["region.id"], name=op.f("fk_payment_standard_region_id_region")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_standard")),
        sa.UniqueConstraint("region_id", "group_code", "insurance_class", "year",
                            name=op.f("uq_payment_standard_region_id_group_code_insurance_class_year")),
    )
    op.create_table(
        "deposit_complaint",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("verified", sa.Integer(), nullable=False),
        sa.CheckConstraint("verified >= 0", name=op.f("ck_deposit_complaint_verified_count")),
        sa.ForeignKeyConstraint(["institution_id"], ["institution.id"],
                                name=op.f("fk_deposit_complaint_institution_id_institution")),
        sa.ForeignKeyConstraint(["region_id"], ["region.id"], name=op.f("fk_deposit_complaint_region_id_region")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deposit_complaint")),
        sa.UniqueConstraint("institution_id", "month", name=op.f("uq_deposit_complaint_institution_id_month")),
    )
    with op.batch_alter_table("deposit_complaint", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_deposit_complaint_region_id"), ["region_id"], unique=False)
    op.create_table(
        "deposit_billing",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("settlements", sa.Integer(), nullable=False),
        sa.Column("within", sa.Integer(), nullable=False),
        sa.Column("working_days", sa.Integer(), nullable=False),
        sa.CheckConstraint("within <= settlements", name=op.f("ck_deposit_billing_within_settlements")),
        sa.ForeignKeyConstraint(["institution_id"], ["institution.id"],
                                name=op.f("fk_deposit_billing_institution_id_institution")),
        sa.ForeignKeyConstraint(["region_id"], ["region.id"], name=op.f("fk_deposit_billing_region_id_region")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deposit_billing")),
        sa.UniqueConstraint("institution_id", "month", name=op.f("uq_deposit_billing_institution_id_month")),
    )
    with op.batch_alter_table("deposit_billing", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_deposit_billing_region_id"), ["region_id"], unique=False)
    op.create_table(
        "grassroots_table",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("area", sa.String(length=20), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("lines", sa.Integer(), nullable=False),
        sa.Column("proposed_by", sa.String(length=60), nullable=False),
        sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(length=60), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(["region_id"], ["region.id"], name=op.f("fk_grassroots_table_region_id_region")),
        sa.ForeignKeyConstraint(["run_id"], ["deposit_run.id"], name=op.f("fk_grassroots_table_run_id_deposit_run")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grassroots_table")),
    )
    with op.batch_alter_table("grassroots_table", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_grassroots_table_region_id"), ["region_id"], unique=False)
    op.create_table(
        "grassroots_amount",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("table_id", sa.Integer(), nullable=False),
        sa.Column("area", sa.String(length=6), nullable=False),
        sa.Column("group_code", sa.String(length=30), nullable=False),
        sa.Column("insurance_class", sa.Enum("employee", "resident", "self_pay", name="insurance_class",
                                             native_enum=False, create_constraint=True, length=32), nullable=False),
        sa.Column("institutions", sa.Integer(), nullable=False),
        sa.Column("cases", sa.Integer(), nullable=False),
        sa.Column("mean", sa.BigInteger(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("small", sa.Boolean(), nullable=False),
        sa.Column("proxy", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["table_id"], ["grassroots_table.id"],
                                name=op.f("fk_grassroots_amount_table_id_grassroots_table")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grassroots_amount")),
        sa.UniqueConstraint("table_id", "area", "group_code", "insurance_class",
                            name=op.f("uq_grassroots_amount_table_id_area_group_code_insurance_class")),
    )
    with op.batch_alter_table("deposit_finding", schema=None) as batch_op:
        batch_op.add_column(sa.Column("due_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("notice_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("cleared_note", sa.String(length=200), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_deposit_finding_notice_id_issued_document"), "issued_document",
                                    ["notice_id"], ["id"])


    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        # timestamps the bulk writers wrote before were spelt "… 16:00:00+00:00" where the ORM spells
        # "… 16:00:00.000000": the same instant, but SQL compares them as text (rule 7's deadlines, the ledger's
        # periods); every UTC timestamp column of every table is spelt as the ORM does — but the append-only
        # ledger and history tables, which their triggers keep as written (their chain hashes the instant, not
        # the text, and they are compared as text only to the second)
        guarded = {r[0] for r in bind.exec_driver_sql("SELECT tbl_name FROM sqlite_master WHERE type = 'trigger'")}
        tables = [r[0] for r in bind.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'table'")
                  if r[0] not in guarded]
        for table in tables:
            for column in bind.exec_driver_sql(f'PRAGMA table_info("{table}")'):
                name, kind = column[1], (column[2] or "").upper()
                if "DATETIME" not in kind and "TIMESTAMP" not in kind:
                    continue
                op.execute(f'UPDATE "{table}" SET "{name}" = substr("{name}", 1, length("{name}") - 6) '
                           f"WHERE \"{name}\" LIKE '%+00:00'")
                op.execute(f'UPDATE "{table}" SET "{name}" = "{name}" || \'.000000\' WHERE length("{name}") = 19')


def downgrade() -> None:
    with op.batch_alter_table("deposit_finding", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_deposit_finding_notice_id_issued_document"), type_="foreignkey")
        batch_op.drop_column("cleared_note")
        batch_op.drop_column("notice_id")
        batch_op.drop_column("due_on")
    op.drop_table("payment_standard")
    op.drop_table("grassroots_amount")
    with op.batch_alter_table("grassroots_table", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_grassroots_table_region_id"))
    op.drop_table("grassroots_table")
    with op.batch_alter_table("deposit_complaint", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deposit_complaint_region_id"))
    op.drop_table("deposit_complaint")
    with op.batch_alter_table("deposit_billing", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deposit_billing_region_id"))
    op.drop_table("deposit_billing")
