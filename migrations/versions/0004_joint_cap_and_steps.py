"""Joint security cap, security validity, override history, payment checks.

- determination: ``notes_json`` (security_pending); determination_advance: ``uncapped``
  (the amount before the security, which registering one caps again, both funds together);
- security_pledge: ``replaces_id`` (renewals and replacements);
- payment_instruction: ``issued_on`` and ``paying_account``, a bank reference unique per paying account;
- policy_override: every override kept (the unique key per parameter goes; the latest is in force).

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

from accounting.schema import FixedPoint

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("determination") as batch_op:
        batch_op.add_column(sa.Column("notes_json", sa.Text(), server_default="[]", nullable=False))
    with op.batch_alter_table("determination_advance") as batch_op:
        batch_op.add_column(sa.Column("uncapped", FixedPoint(places=2), nullable=True))
    # earlier rows: a fund that paid, or was capped to nothing, had its rounded amount before the cap
    op.execute("UPDATE determination_advance SET uncapped = CASE WHEN amount > 0 OR reasons_json LIKE "
               "'%capped_below_minimum%' THEN rounded ELSE 0 END")
    with op.batch_alter_table("determination_advance") as batch_op:
        batch_op.alter_column("uncapped", existing_type=FixedPoint(places=2), nullable=False)
    with op.batch_alter_table("security_pledge") as batch_op:
        batch_op.add_column(sa.Column("replaces_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_security_pledge_replaces_id_security_pledge"),
                                    "security_pledge", ["replaces_id"], ["id"])
    with op.batch_alter_table("payment_instruction") as batch_op:
        batch_op.add_column(sa.Column("issued_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("paying_account", sa.String(length=60), nullable=True))
    op.execute("UPDATE payment_instruction SET issued_on = COALESCE(paid_on, CURRENT_DATE)")
    op.execute("UPDATE payment_instruction SET paying_account = 'legacy/' || CAST(id AS VARCHAR(20)) "
               "WHERE bank_ref IS NOT NULL")
    with op.batch_alter_table("payment_instruction") as batch_op:
        batch_op.alter_column("issued_on", existing_type=sa.Date(), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_payment_instruction_paying_account_bank_ref"),
                                          ["paying_account", "bank_ref"])
    with op.batch_alter_table("policy_override") as batch_op:
        batch_op.drop_constraint("uq_policy_override_region_id_year_parameter", type_="unique")
        batch_op.create_index("ix_policy_override_region_id_year", ["region_id", "year"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("policy_override") as batch_op:
        batch_op.drop_index("ix_policy_override_region_id_year")
    # keep only the override in force per parameter, as the old schema allowed one
    op.execute("DELETE FROM policy_override WHERE id NOT IN (SELECT MAX(id) FROM policy_override "
               "GROUP BY region_id, year, parameter)")
    with op.batch_alter_table("policy_override") as batch_op:
        batch_op.create_unique_constraint("uq_policy_override_region_id_year_parameter",
                                          ["region_id", "year", "parameter"])
    with op.batch_alter_table("payment_instruction") as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_payment_instruction_paying_account_bank_ref"), type_="unique")
        batch_op.drop_column("paying_account")
        batch_op.drop_column("issued_on")
    with op.batch_alter_table("security_pledge") as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_security_pledge_replaces_id_security_pledge"), type_="foreignkey")
        batch_op.drop_column("replaces_id")
    with op.batch_alter_table("determination_advance") as batch_op:
        batch_op.drop_column("uncapped")
    with op.batch_alter_table("determination") as batch_op:
        batch_op.drop_column("notes_json")
