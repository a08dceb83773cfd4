"""The advance position (RULES §5, §7): each receivable names the qualification year whose annual
advance it claims (``advance_year``; none for a monthly pre-settlement), a batch line's ``held`` is the
part of the new advance rolled over (never above the amount determined), and a region's year end is
recorded once per year (``year_end_run``); a 多退 difference keeps its refund date
(``refund_due_on``); 稽核's evidence that a self-declared or trigger-borne condition does not apply is
kept (``condition_lift``, RULES §2).

Existing data moves into the positions: a year end's receivable claims its own year; a trigger's the
latest year whose issued batch carried the institution's advance by the trigger's day; a successor's,
its source's. A year end is complete unless the next year's signing window leaves institutions
undecided or a payment of its year is pending. Determinations an issued batch paid nothing are
rolled over.

Revision ID: 0015
Revises: 0014
"""
import sqlalchemy as sa
from alembic import op

import accounting.schema

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("receivable", schema=None) as batch_op:
        batch_op.add_column(sa.Column("advance_year", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("refund_due_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("demanded_amount", sa.BigInteger(), nullable=True))
    op.create_table(
        "year_end_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(length=20), nullable=False),
        sa.Column("complete", sa.Boolean(), nullable=False),
        sa.Column("first_run_on", sa.Date(), nullable=False),
        sa.Column("last_run_on", sa.Date(), nullable=False),
        sa.Column("run_by", sa.String(length=60), nullable=False),
        sa.Column("owed", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["region_id"], ["region.id"], name=op.f("fk_year_end_run_region_id_region")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_year_end_run")),
        sa.UniqueConstraint("region_id", "year", name=op.f("uq_year_end_run_region_id_year")),
    )
    op.create_table(
        "condition_lift",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("condition", sa.String(length=40), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("evidence", sa.String(length=500), nullable=False),
        sa.Column("lifted_on", sa.Date(), nullable=False),
        sa.Column("lifted_by", sa.String(length=60), nullable=False),
        sa.Column("recorded_at", accounting.schema.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["institution_id"], ["institution.id"],
                                name=op.f("fk_condition_lift_institution_id_institution")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_condition_lift")),
    )
    with op.batch_alter_table("condition_lift", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_condition_lift_institution_id"), ["institution_id"], unique=False)
    # the nightly check takes the hash chain up after the heads it verified the night before
    op.create_table(
        "verified_head",
        sa.Column("book_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("verified_on", sa.Date(), nullable=False),
        sa.Column("verified_at", accounting.schema.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["book_id"], ["ledger_book.id"], name=op.f("fk_verified_head_book_id_ledger_book")),
        sa.PrimaryKeyConstraint("book_id", name=op.f("pk_verified_head")),
    )
    # RULES §5: the annual clearing settlement, a payment apart from the monthly ones, carries a deduction too
    op.create_table(
        "annual_clearing",
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("fund", sa.Enum("employee", "resident", name="fund", native_enum=False, create_constraint=True,
                                  length=32), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_annual_clearing_amount_not_negative")),
        sa.ForeignKeyConstraint(["institution_id"], ["institution.id"],
                                name=op.f("fk_annual_clearing_institution_id_institution")),
        sa.PrimaryKeyConstraint("institution_id", "year", "fund", name=op.f("pk_annual_clearing")),
    )
    with op.batch_alter_table("settlement_run", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=20), server_default="monthly", nullable=False))
        batch_op.drop_constraint("uq_settlement_run_region_id_month_fund", type_="unique")
        batch_op.create_unique_constraint(op.f("uq_settlement_run_region_id_month_fund_kind"),
                                          ["region_id", "month", "fund", "kind"])
    # a year end's receivable claims its own year
    op.execute("UPDATE receivable SET advance_year = CAST(substr(origin, 10, 4) AS INTEGER) "
               "WHERE origin LIKE 'year-end:%'")
    # a trigger's: the latest year whose batch carried the institution's advance in that fund (paid or
    # rolled over) and was issued by the trigger's day: a year before the trigger's, or the same year
    # with an instruction of that batch issued on or before it
    op.execute(
        "UPDATE receivable SET advance_year = (SELECT max(c.year) FROM payment_batch_item bi "
        "JOIN payment_batch b ON b.id = bi.batch_id "
        "JOIN determination d ON d.id = bi.determination_id JOIN campaign c ON c.id = d.campaign_id "
        "JOIN recovery_trigger t ON t.id = receivable.trigger_id "
        "WHERE d.institution_id = receivable.institution_id AND bi.fund = receivable.fund "
        "AND b.state IN ('paying', 'paid') AND d.state <> 'stopped' "
        "AND (c.year < CAST(" + _year_of("t.occurred_on") + " AS INTEGER) OR EXISTS (SELECT 1 FROM payment_instruction pi "
        "WHERE pi.batch_id = b.id AND pi.issued_on <= t.occurred_on))) "
        "WHERE route = 'trigger' AND transferred_from_id IS NULL")
    for _ in range(3):  # a successor's claims its source's year (a chain of successions, a few deep)
        op.execute("UPDATE receivable SET advance_year = (SELECT s.advance_year FROM receivable s "
                   "WHERE s.id = receivable.transferred_from_id) WHERE transferred_from_id IS NOT NULL")
    # 17§: a 多退 difference to be refunded waited until its demand's date; it keeps that one date
    op.execute("UPDATE receivable SET refund_due_on = due_on "
               "WHERE route = 'year_end_difference' AND method = 'refund'")
    # 17§: a batch line rolls over at most the new advance; the rest was the year end's to claim
    op.execute("UPDATE payment_batch_item SET held = determined WHERE held > determined")
    # a year end run before is complete unless the next year's signing window still leaves institutions
    # undecided, or a payment of its year is still pending: then the next run decides the rest
    op.execute(
        "INSERT INTO year_end_run (region_id, year, mode, complete, first_run_on, last_run_on, run_by, owed) "
        "SELECT region_id, CAST(substr(origin, 10, 4) AS INTEGER), 'migrated', " + _false() +
        ", min(since), max(since), min(created_by), sum(amount) "
        "FROM receivable WHERE origin LIKE 'year-end:%' "
        "GROUP BY region_id, CAST(substr(origin, 10, 4) AS INTEGER)")
    op.execute(
        "UPDATE year_end_run SET complete = " + _true() + " WHERE NOT EXISTS (SELECT 1 FROM determination d "
        "JOIN campaign c ON c.id = d.campaign_id WHERE c.region_id = year_end_run.region_id "
        "AND c.year = year_end_run.year + 1 AND d.run = c.determination_run "
        "AND d.state IN ('computed', 'listed', 'secured')) AND NOT EXISTS (SELECT 1 FROM payment_instruction pi "
        "JOIN payment_batch b ON b.id = pi.batch_id JOIN campaign c ON c.id = b.campaign_id "
        "WHERE c.region_id = year_end_run.region_id AND c.year = year_end_run.year AND pi.state = 'pending')")
    # 17§, 22§: a determination its issued batch paid nothing, covered by what the institution held, was
    # rolled over: it counts as paid
    covered = ("SELECT bi.determination_id FROM payment_batch_item bi JOIN payment_batch b ON b.id = bi.batch_id "
               "WHERE b.state IN ('paying', 'paid') GROUP BY bi.determination_id HAVING max(bi.amount) = 0")
    op.execute(
        "INSERT INTO transition (machine, object_id, action, from_state, to_state, actor, at, reason) "
        "SELECT 'determination', id, 'roll_over', 'signed', 'paid', 'migration-0015', " + _now() + ", "
        "'新核定额度已由原预付金覆盖，滚动续用（17§，迁移补记）' FROM determination "
        "WHERE state = 'signed' AND id IN (" + covered + ")")
    op.execute("UPDATE determination SET state = 'paid' WHERE state = 'signed' AND id IN (" + covered + ")")


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _true() -> str:
    return "true" if _postgresql() else "1"


def _false() -> str:
    return "false" if _postgresql() else "0"


def _now() -> str:
    """The moment, as the UtcDateTime column stores it on each database."""
    return "now()" if _postgresql() else "strftime('%Y-%m-%d %H:%M:%f000', 'now')"


def _year_of(column: str) -> str:
    return f"EXTRACT(YEAR FROM {column})" if _postgresql() else f"strftime('%Y', {column})"


def downgrade() -> None:
    op.drop_table("verified_head")
    with op.batch_alter_table("settlement_run", schema=None) as batch_op:
        batch_op.drop_constraint("uq_settlement_run_region_id_month_fund_kind", type_="unique")
        batch_op.create_unique_constraint(op.f("uq_settlement_run_region_id_month_fund"), ["region_id", "month", "fund"])
        batch_op.drop_column("kind")
    op.drop_table("annual_clearing")
    op.drop_table("condition_lift")
    op.drop_table("year_end_run")
    with op.batch_alter_table("receivable", schema=None) as batch_op:
        batch_op.drop_column("demanded_amount")
        batch_op.drop_column("refund_due_on")
        batch_op.drop_column("advance_year")
