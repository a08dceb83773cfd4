"""RULES §7: ``ledger verify`` reconciles each institution's 暂付款—医保预付金 sub-ledger with the records
that produced it (payment instructions, settlement lines, refunds, write-offs, transfers), and names
any difference with its vouchers."""
import datetime as dt

from sqlalchemy import select

from accounting import guards
from accounting import templates as t
from accounting.ledger import get_book, post, reverse
from prepay_admin.models import PaymentInstruction
from prepay_admin.policy.facts import Fund
from prepay_admin.queries.ledger import audit
from prepay_admin.queries.reconciliation import unreconciled
from prepay_admin.services.demo import load_demo

REGION = "320600"


def played(app):
    sessions = app.extensions["prepay_sessions"]
    load_demo(sessions, institutions=6, seed=3, year=2026, play=True)
    return sessions


def test_7_a_played_year_reconciles_to_the_voucher(app):
    sessions = played(app)
    assert audit(sessions, dt.date(2026, 6, 30)) == []


def test_7_an_advance_paid_twice_names_the_voucher_without_a_record(app):
    sessions = played(app)
    with sessions() as s:
        paid = s.scalars(select(PaymentInstruction).where(PaymentInstruction.ledger_entry_id.is_not(None))
                         .order_by(PaymentInstruction.id)).first()
        code, fund, amount = paid.institution_code, paid.fund, paid.amount
    with sessions() as s:
        book = get_book(s, REGION, fund).id
    post(sessions, book, t.advance_paid(code, amount, dt.date(2026, 2, 2), "again"), "again", "财务甲")
    with sessions() as s:
        [breach] = unreconciled(s)
    assert breach.code == "sub_ledger_unreconciled"
    assert code in breach.message and "（无业务记录）" in breach.message and "比业务记录多" in breach.message


def test_7_a_record_edited_past_the_guards_is_named_with_its_voucher(app):
    sessions = played(app)
    with sessions() as s:
        paid = s.scalars(select(PaymentInstruction).where(PaymentInstruction.ledger_entry_id.is_not(None))
                         .order_by(PaymentInstruction.id)).first()
        code, instruction = paid.institution_code, paid.id
    with app.extensions["prepay_engine"].begin() as conn:
        guards.remove(conn)
        conn.exec_driver_sql(f"UPDATE payment_instruction SET amount = amount + 100 WHERE id = {instruction}")
        guards.install(conn)
    with sessions() as s:
        [breach] = unreconciled(s)
    assert code in breach.message and "比业务记录少 1.00 元" in breach.message and "（无业务记录）" not in breach.message


def test_7_a_voucher_posted_in_error_and_reversed_reconciles(app):
    sessions = played(app)
    with sessions() as s:
        paid = s.scalars(select(PaymentInstruction).where(PaymentInstruction.ledger_entry_id.is_not(None))
                         .order_by(PaymentInstruction.id)).first()
        code, fund, amount, original = paid.institution_code, paid.fund, paid.amount, paid.ledger_entry_id
        book = get_book(s, REGION, Fund(fund)).id
    wrong = post(sessions, book, t.advance_paid(code, amount, dt.date(2026, 2, 2), "dup"), "dup", "财务甲")
    reverse(sessions, wrong.entry_id, dt.date(2026, 2, 3), "dup:reversal", "财务甲", "重复记账")
    with sessions() as s:
        assert unreconciled(s) == []
    reverse(sessions, original, dt.date(2026, 2, 3), "paid:reversal", "财务甲", "误冲")  # the instruction still says paid
    with sessions() as s:
        [breach] = unreconciled(s)
    assert code in breach.message and "比业务记录少" in breach.message
