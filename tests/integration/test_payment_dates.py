"""Confirming a payment (15§(四)): dated in an open period, after its instruction and not in the future, one
bank reference per instruction and paying account, and the pay-by date reminded before it passes."""
import datetime as dt

import pytest
from sqlalchemy import select

from accounting.chart import Role
from accounting.ledger import get_book
from prepay_admin.policy.facts import Fund
from prepay_admin.services import books, payment, signing
from prepay_admin.services.errors import ServiceError
from tests.cycle_helpers import REGION, YEAR, listed_through_fixing, pay_batch


def test_15_4_a_confirmation_is_dated_in_an_open_period_after_its_instruction_and_not_in_the_future(sessions):
    rows = listed_through_fixing(sessions, institutions=20)
    for code, kind, value, ref in rows[:2]:
        signing.register_security(sessions, REGION, YEAR, code, kind, value, ref, dt.date(YEAR, 1, 8), "jiesuan2")
        signing.sign(sessions, REGION, YEAR, code, dt.date(YEAR, 1, 8), "jiesuan2")
    first, second, *_ = pay_batch(sessions, on=dt.date(YEAR, 1, 23))
    with pytest.raises(ServiceError) as err:
        payment.confirm(sessions, first, "B-1", dt.date(YEAR, 1, 22), "caiwu1")  # before the instruction
    assert err.value.field == "paid_on"
    with pytest.raises(ServiceError) as err:
        payment.confirm(sessions, first, "B-1", dt.date(2099, 12, 1), "caiwu1")  # in the future
    assert err.value.field == "paid_on"
    books.close_period(sessions, REGION, Fund.EMPLOYEE, f"{YEAR}-01", "caiwu1")
    books.close_period(sessions, REGION, Fund.RESIDENT, f"{YEAR}-01", "caiwu1")
    from accounting.errors import LedgerError
    with pytest.raises(LedgerError) as closed:
        payment.confirm(sessions, first, "B-1", dt.date(YEAR, 1, 26), "caiwu1")  # a closed period
    assert closed.value.code == "period_closed"
    payment.confirm(sessions, first, "B-1", dt.date(YEAR, 2, 2), "caiwu1")


def test_15_4_one_bank_reference_pays_one_instruction_per_paying_account(sessions):
    rows = listed_through_fixing(sessions, institutions=20)
    for code, kind, value, ref in rows[:3]:
        signing.register_security(sessions, REGION, YEAR, code, kind, value, ref, dt.date(YEAR, 1, 8), "jiesuan2")
        signing.sign(sessions, REGION, YEAR, code, dt.date(YEAR, 1, 8), "jiesuan2")
    instructions = pay_batch(sessions)
    with sessions() as s:
        from prepay_admin.models import PaymentInstruction
        funds = {i: s.get(PaymentInstruction, i).fund for i in instructions}
    same_fund = [i for i in instructions if funds[i] == funds[instructions[0]]]
    assert len(same_fund) >= 2
    payment.confirm(sessions, same_fund[0], "ONE-TRANSFER", dt.date(YEAR, 1, 26), "caiwu1")
    with pytest.raises(ServiceError) as err:
        payment.confirm(sessions, same_fund[1], "ONE-TRANSFER", dt.date(YEAR, 1, 26), "caiwu1")
    assert err.value.field == "bank_ref"
    # the same reference from the other deposit account is another transfer
    payment.confirm(sessions, same_fund[1], "ONE-TRANSFER", dt.date(YEAR, 1, 26), "caiwu1",
                    paid_from=Role.FISCAL_SPECIAL_DEPOSIT)
    with sessions() as s:
        book = get_book(s, REGION, funds[same_fund[1]]).id
        from accounting import reports
        tb = reports.trial_balance(s, book, f"{YEAR}-01", f"{YEAR}-01")
        fiscal = next(r for r in tb.rows if r.name == "财政专户存款")
        assert fiscal.credit > 0  # 21§: credited to 财政专户存款, chosen by the finance department


def test_15_4_the_pay_by_date_is_reminded_before_it_passes(sessions):
    from prepay_admin.models import Notice
    from prepay_admin.queries.cycle import status
    from prepay_admin.services import deadlines

    listed_through_fixing(sessions, institutions=10)
    assert status(sessions, REGION, YEAR).pay_by == dt.date(YEAR, 1, 31)
    assert deadlines.remind_payment(sessions, dt.date(YEAR, 1, 10)) == 0  # not yet within a week
    assert deadlines.remind_payment(sessions, dt.date(YEAR, 1, 26)) == 1
    assert deadlines.remind_payment(sessions, dt.date(YEAR, 1, 26)) == 0  # once a day
    with sessions() as s:
        message = s.scalar(select(Notice.message).where(Notice.key.like("pay-by:%")))
    assert "2026-01-31 前完成审核确认并拨付" in message and "还有 5 天" in message
