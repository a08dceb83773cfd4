"""The advance position (RULES §5, §7): each receivable names the qualification year whose annual
advance it claims (``advance_year``; none for a monthly pre-settlement), a batch line's ``held`` is the
part of the new advance rolled over (never above the amount determined), and a region's year end is
recorded once per year (``year_end_run``).

Existing data moves into the positions: a year end's receivable claims its own year; a trigger's the
latest year the institution was paid for on or before the trigger; a successor's, its source's. A
year end that left nobody undecided is complete.

Revision ID: 0015
Revises: 0014
"""
import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("receivable", schema=None) as batch_op:
        batch_op.add_column(sa.Column("advance_year", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("refund_due_on", sa.Date(), nullable=True))
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
    # a year end's receivable claims its own year
    op.execute("UPDATE receivable SET advance_year = CAST(substr(origin, 10, 4) AS INTEGER) "
               "WHERE origin LIKE 'year-end:%'")
    # a trigger's: the latest year paid to the institution in that fund, on or before the trigger
    op.execute(
        "UPDATE receivable SET advance_year = (SELECT max(c.year) FROM payment_instruction pi "
        "JOIN payment_batch_item bi ON bi.id = pi.batch_item_id "
        "JOIN determination d ON d.id = bi.determination_id JOIN campaign c ON c.id = d.campaign_id "
        "JOIN recovery_trigger t ON t.id = receivable.trigger_id "
        "WHERE d.institution_id = receivable.institution_id AND pi.fund = receivable.fund "
        "AND pi.state = 'paid' AND pi.paid_on <= t.occurred_on) "
        "WHERE route = 'trigger' AND transferred_from_id IS NULL")
    for _ in range(3):  # a successor's claims its source's year (a chain of successions, a few deep)
        op.execute("UPDATE receivable SET advance_year = (SELECT s.advance_year FROM receivable s "
                   "WHERE s.id = receivable.transferred_from_id) WHERE transferred_from_id IS NOT NULL")
    # 17§: a 多退 difference to be refunded waited until its demand's date; it keeps that one date
    op.execute("UPDATE receivable SET refund_due_on = due_on "
               "WHERE route = 'year_end_difference' AND method = 'refund'")
    # 17§: a batch line rolls over at most the new advance; the rest was the year end's to claim
    op.execute("UPDATE payment_batch_item SET held = determined WHERE held > determined")
    op.execute(
        "INSERT INTO year_end_run (region_id, year, mode, complete, first_run_on, last_run_on, run_by, owed) "
        "SELECT region_id, CAST(substr(origin, 10, 4) AS INTEGER), 'migrated', "
        + ("true" if op.get_bind().dialect.name == "postgresql" else "1") +
        ", min(since), max(since), min(created_by), sum(amount) "
        "FROM receivable WHERE origin LIKE 'year-end:%' "
        "GROUP BY region_id, CAST(substr(origin, 10, 4) AS INTEGER)")


def downgrade() -> None:
    op.drop_table("year_end_run")
    with op.batch_alter_table("receivable", schema=None) as batch_op:
        batch_op.drop_column("refund_due_on")
        batch_op.drop_column("advance_year")
