"""The chart of RULES §7 (turn 3): pre-settlements get their own detail account (暂付款—月度预结金), which
takes over the never-used 暂付款—预付金待收回 (its code kept); the roles 预付款项资金往来 and 其他收入 are added
(each book gets their accounts from its region's profile when it is next opened: see
``services.books.adopt_turn3_chart``); 暂收款—预付金多缴 stays for history only. Money held back from a
settlement (HB 五) is no longer booked while held: the register of held payments (``held_payment``)
keeps it. A settlement line posts only what it withholds or releases, so it may have no voucher.
The sign-off levels are the profile's (RULES §4): a batch or pre-settlement in review is ``signing``.

The entries that move existing balances to the new accounts are posted after the schema, through the
ledger, by ``prepay_admin.migrate.upgrade`` (``services.books.adopt_turn3_chart``): a migration cannot
extend the hash chain.

Revision ID: 0016
Revises: 0015
"""
import sqlalchemy as sa
from alembic import op

import accounting.schema
from accounting import guards

HELD_APPEND_ONLY = "暂停拨付登记簿只增不改：已登记的暂停、解除或抵扣不能修改或删除"

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

OLD = ("income_deposit", "expenditure_deposit", "fiscal_special_deposit", "advance", "receivable", "overpaid",
       "benefit_expense", "other_expense")
NEW = ("income_deposit", "expenditure_deposit", "fiscal_special_deposit", "advance", "presettlement", "overpaid",
       "funding", "benefit_expense", "other_expense", "other_income")


def _role(values) -> sa.Enum:
    return sa.Enum(*values, name="account_role", native_enum=False, create_constraint=True, length=32)


def _alter_role(old, new) -> None:
    with op.batch_alter_table("ledger_account", schema=None) as batch_op:
        batch_op.alter_column("role", existing_type=_role(old), type_=_role(new), existing_nullable=False)


def upgrade() -> None:
    both = OLD + tuple(v for v in NEW if v not in OLD)
    _alter_role(OLD, both)
    op.execute("UPDATE ledger_account SET role = 'presettlement', name = '暂付款—月度预结金' "
               "WHERE role = 'receivable' AND NOT EXISTS "
               "(SELECT 1 FROM ledger_line l WHERE l.account_id = ledger_account.id)")
    _alter_role(both, NEW)
    with op.batch_alter_table("settlement_line", schema=None) as batch_op:
        batch_op.alter_column("ledger_entry_id", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column("applied", sa.BigInteger(), server_default="0", nullable=False))
    # what a line applied of held money: its net less what the month itself left to pay
    op.execute("UPDATE settlement_line SET applied = net - payable + withheld + held - released "
               "WHERE net - payable + withheld + held - released > 0")
    op.create_table(
        "held_payment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("fund", sa.Enum("employee", "resident", name="fund", native_enum=False, create_constraint=True,
                                  length=32), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("ref", sa.String(length=100), nullable=False),
        sa.Column("settlement_line_id", sa.Integer(), nullable=True),
        sa.Column("ledger_entry_id", sa.Integer(), nullable=True),
        sa.Column("recorded_by", sa.String(length=60), nullable=False),
        sa.Column("recorded_at", accounting.schema.UtcDateTime(), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_held_payment_amount_positive")),
        sa.ForeignKeyConstraint(["institution_id"], ["institution.id"],
                                name=op.f("fk_held_payment_institution_id_institution")),
        sa.ForeignKeyConstraint(["ledger_entry_id"], ["ledger_entry.id"],
                                name=op.f("fk_held_payment_ledger_entry_id_ledger_entry")),
        sa.ForeignKeyConstraint(["region_id"], ["region.id"], name=op.f("fk_held_payment_region_id_region")),
        sa.ForeignKeyConstraint(["settlement_line_id"], ["settlement_line.id"],
                                name=op.f("fk_held_payment_settlement_line_id_settlement_line")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_held_payment")),
    )
    op.create_index("ix_held_payment_region_fund_institution", "held_payment",
                    ["region_id", "fund", "institution_id"], unique=False)
    _register_what_was_held()
    guards.guard_table(op.get_bind(), "held_payment", HELD_APPEND_ONLY)
    # RULES §4 (turn 3): the levels are the profile's chain; a batch or pre-settlement in review is
    # "signing", whichever level signed last (the signatures say which)
    for table in ("payment_batch", "presettlement"):
        op.execute(f"UPDATE {table} SET state = 'signing' "
                   "WHERE state IN ('submitted', 'reviewed', 'administration_confirmed')")


def _register_what_was_held() -> None:
    """The register starts with what the settlement runs held, released and applied before it, and with
    held money applied before a succession (its voucher keyed ``…:held-applied``): its balance is then
    what 暂收款 held, which the upgrade moves out of the book (``services.books.adopt_turn3_chart``)."""
    import datetime as dt

    held = sa.table("held_payment", *(sa.column(c) for c in (
        "region_id", "institution_id", "fund", "kind", "amount", "on", "ref", "settlement_line_id",
        "ledger_entry_id", "recorded_by", "recorded_at")))
    line = sa.table("settlement_line", *(sa.column(c) for c in (
        "id", "run_id", "institution_id", "held", "released", "applied", "ledger_entry_id")))
    run = sa.table("settlement_run", sa.column("id"), sa.column("region_id"), sa.column("fund"),
                   sa.column("settled_on"), sa.column("month"))
    now = sa.literal(dt.datetime.now(dt.timezone.utc), accounting.schema.UtcDateTime())
    for kind in ("held", "released", "applied"):
        amount = getattr(line.c, kind)
        op.execute(held.insert().from_select(
            ["region_id", "institution_id", "fund", "kind", "amount", "on", "ref", "settlement_line_id",
             "ledger_entry_id", "recorded_by", "recorded_at"],
            sa.select(run.c.region_id, line.c.institution_id, run.c.fund, sa.literal(kind), amount,
                      run.c.settled_on, sa.literal("升级前的结算"), line.c.id, line.c.ledger_entry_id,
                      sa.literal("db-upgrade"), now)
            .select_from(line.join(run, run.c.id == line.c.run_id)).where(amount > 0)))
    movement = sa.table("recovery_movement", sa.column("receivable_id"), sa.column("amount"), sa.column("on"),
                        sa.column("ledger_entry_id"))
    receivable = sa.table("receivable", sa.column("id"), sa.column("region_id"), sa.column("institution_id"),
                          sa.column("fund"))
    entry = sa.table("ledger_entry", sa.column("id"), sa.column("idempotency_key"))
    op.execute(held.insert().from_select(
        ["region_id", "institution_id", "fund", "kind", "amount", "on", "ref", "settlement_line_id",
         "ledger_entry_id", "recorded_by", "recorded_at"],
        sa.select(receivable.c.region_id, receivable.c.institution_id, receivable.c.fund, sa.literal("applied"),
                  movement.c.amount, movement.c.on, sa.literal("承继前抵扣（升级前）"), sa.literal(None),
                  movement.c.ledger_entry_id, sa.literal("db-upgrade"), now)
        .select_from(movement.join(receivable, receivable.c.id == movement.c.receivable_id)
                     .join(entry, entry.c.id == movement.c.ledger_entry_id))
        .where(entry.c.idempotency_key.like("%:held-applied"))))


def _refuse_when_adopted() -> None:
    """Money held in the register would be lost with its table: refused. (Entries posted to the new
    accounts stay; 0015's code cannot read a book that has them: restore a backup to run it.)"""
    held = op.get_bind().exec_driver_sql("SELECT count(*) FROM held_payment").scalar()
    if held:
        raise RuntimeError("不能降级到 0015：暂停拨付登记簿中已有登记，降级会丢失这些金额（请从备份恢复）")


def downgrade() -> None:
    """Back to 0015 without losing an entry: accounts of the new roles that hold lines (a funding on
    预付款项资金往来, a pre-settlement on its own account) stay, so the role's CHECK keeps every value,
    and settlement lines without a voucher keep ``ledger_entry_id`` nullable. Accounts nothing was
    posted to go back to what 0015 had. Refused while money is held in the register."""
    _refuse_when_adopted()
    guards.unguard_table(op.get_bind(), "held_payment")
    op.drop_index("ix_held_payment_region_fund_institution", table_name="held_payment")
    op.drop_table("held_payment")
    with op.batch_alter_table("settlement_line", schema=None) as batch_op:
        batch_op.drop_column("applied")
    legacy = {1: "submitted", 2: "reviewed", 3: "administration_confirmed"}
    for n, state in legacy.items():
        op.execute(f"UPDATE payment_batch SET state = '{state}' WHERE state = 'signing' AND (SELECT count(*) "
                   "FROM payment_batch_sign_off s WHERE s.batch_id = payment_batch.id AND s.voided_at IS NULL) "
                   f"= {n}")
        op.execute(f"UPDATE presettlement SET state = '{state}' WHERE state = 'signing' AND (SELECT count(*) "
                   f"FROM presettlement_sign_off s WHERE s.presettlement_id = presettlement.id) = {n}")
    both = OLD + tuple(v for v in NEW if v not in OLD)
    _alter_role(NEW, both)
    op.execute("DELETE FROM ledger_account WHERE role IN ('funding', 'other_income') AND NOT EXISTS "
               "(SELECT 1 FROM ledger_line l WHERE l.account_id = ledger_account.id)")
    op.execute("UPDATE ledger_account SET role = 'receivable', name = '暂付款—预付金待收回' "
               "WHERE role = 'presettlement' AND NOT EXISTS "
               "(SELECT 1 FROM ledger_line l WHERE l.account_id = ledger_account.id)")
