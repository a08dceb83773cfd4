"""The review's money defects, fixed once in the structure: each test names its article."""
import datetime as dt
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from accounting.chart import Role
from accounting.ledger import get_book, party_balance
from prepay_admin.models import Determination, Institution, PolicyOverride, SecurityPledge
from prepay_admin.policy.facts import Fund, SecurityKind
from prepay_admin.queries.ledger import audit
from prepay_admin.queries.policy import profile_in_force
from prepay_admin.services import applications, batch, books, determination, payment, signing
from prepay_admin.services.campaign import open_campaign
from prepay_admin.services.demo import load_demo
from prepay_admin.services.errors import ServiceError
from prepay_admin.services.facts import pledges_valid_on
from prepay_admin.services.policy import record_override
from prepay_admin.services.unit_of_work import find_region
from tests.cycle_helpers import REGION, YEAR, listed, listed_through_fixing, region_ready
from tests.signing_helpers import batch_signers


def apply_all(sessions, codes=None):
    open_campaign(sessions, REGION, YEAR, "caiwu1")
    with sessions() as s:
        codes = codes or s.scalars(select(Institution.code).order_by(Institution.code)).all()
    for code in codes:
        applications.apply(sessions, REGION, YEAR, code, applications.clean_answers(), dt.date(YEAR - 1, 12, 28),
                           "jiesuan1")


def pay_batch(sessions, on=dt.date(YEAR, 1, 23)):
    batch_id = batch.prepare(sessions, REGION, YEAR, "jiesuan1")
    seen = batch.current_hash(sessions, batch_id)
    for user in batch_signers(sessions, batch_id):
        batch.sign_off(sessions, batch_id, user, "同意", seen)
    return payment.issue(sessions, batch_id, "caiwu1", on)


def held(sessions, code):
    with sessions() as s:
        return sum((party_balance(s, get_book(s, REGION, f).id, Role.ADVANCE, code) for f in Fund), D(0))


def test_13_the_demo_region_played_at_300_institutions_holds_nobody_above_its_security(sessions):
    load_demo(sessions, institutions=300, seed=7, year=YEAR)
    assert audit(sessions, on=dt.date(YEAR, 1, 31)) == []
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Determination).where(Determination.state == "paid")) > 20


def test_10_2_15_3_no_security_is_listed_then_registers_in_the_window_and_is_paid_the_capped_amount(sessions):
    listed_through_fixing(sessions, institutions=20)
    code = "H32060000002"  # the 90-point grade-A hospital: no security registered before the campaign
    with sessions() as s:
        det = s.scalar(select(Determination).join(Institution).where(Institution.code == code))
        assert det.state == "listed" and det.security_id is None and "security_pending" in det.notes_json
        uncapped = sum((a.amount for a in det.advances), D(0))
    cap = (uncapped * D("0.7")).quantize(D("1"))  # a pledge worth 70% of what the rules would pay
    done = signing.register_security(sessions, REGION, YEAR, code, SecurityKind.PLEDGE, cap, "通抵押〔2026〕2号",
                                     dt.date(YEAR, 1, 7), "jiesuan2")
    capped = sum((a.final for a in done.amounts), D(0))
    assert capped <= cap and capped % 10000 == 0 and capped >= cap - 2 * 10000
    signing.sign(sessions, REGION, YEAR, code, dt.date(YEAR, 1, 7), "jiesuan2")
    for n, instruction in enumerate(pay_batch(sessions)):
        payment.confirm(sessions, instruction, f"BANK-{n}", dt.date(YEAR, 1, 26), "caiwu1")
    assert held(sessions, code) == capped
    assert audit(sessions, on=dt.date(YEAR, 1, 31)) == []


def test_16_a_pledge_registered_in_year_1_still_caps_years_2_and_3_of_its_agreement(sessions):
    rows = listed_through_fixing(sessions, institutions=20)
    code, kind, value, ref = rows[0]
    done = signing.register_security(sessions, REGION, YEAR, code, kind, value, ref, dt.date(YEAR, 1, 8), "jiesuan2")
    assert done.valid_until == dt.date(YEAR + 3, 1, 20)  # the end of the 3-year agreement's last qualification year
    with sessions() as s:
        region = find_region(s, REGION)
        inst_id = s.scalar(select(Institution.id).where(Institution.code == code))
        for year in (YEAR + 1, YEAR + 2):
            held_then = pledges_valid_on(s, region, dt.date(year, 1, 21)).get(inst_id)
            assert held_then is not None and held_then[1].value == value


def test_16_a_security_that_lapses_before_the_years_qualification_end_is_refused(sessions):
    rows = listed_through_fixing(sessions, institutions=20)
    code, kind, value, ref = rows[0]
    with pytest.raises(ServiceError) as err:
        signing.register_security(sessions, REGION, YEAR, code, kind, value, ref, dt.date(YEAR, 1, 8), "jiesuan2",
                                  valid_until=dt.date(YEAR, 12, 31))
    assert err.value.field == "valid_until"


def test_13_a_replacement_security_must_cover_what_the_institution_holds(sessions):
    rows = listed_through_fixing(sessions, institutions=20)
    code, kind, value, ref = rows[0]
    signing.register_security(sessions, REGION, YEAR, code, kind, value, ref, dt.date(YEAR, 1, 8), "jiesuan2")
    signing.sign(sessions, REGION, YEAR, code, dt.date(YEAR, 1, 8), "jiesuan2")
    for n, instruction in enumerate(pay_batch(sessions)):
        payment.confirm(sessions, instruction, f"BANK-{n}", dt.date(YEAR, 1, 26), "caiwu1")
    holding = held(sessions, code)
    with pytest.raises(ServiceError) as err:
        signing.renew_security(sessions, REGION, code, SecurityKind.PLEDGE, holding - D("10000"), "续押〔2027〕1号",
                               dt.date(YEAR + 1, 1, 1), dt.date(YEAR + 3, 1, 20), "jiesuan2")
    assert err.value.field == "value"
    signing.renew_security(sessions, REGION, code, SecurityKind.PLEDGE, holding, "续押〔2027〕1号",
                           dt.date(YEAR + 1, 1, 1), dt.date(YEAR + 3, 1, 20), "jiesuan2")
    with sessions() as s:
        renewal = s.scalar(select(SecurityPledge).where(SecurityPledge.registration_ref == "续押〔2027〕1号"))
        assert renewal.replaces_id is not None


def test_14_an_override_of_the_signing_window_moves_the_deadline(sessions):
    """Every step reads the year's overrides with its region: recorded twice, the later is in force; an
    override of another year changes nothing."""
    region_ready(sessions, institutions=10)
    record_override(sessions, REGION, YEAR, "calendar.signing_working_days", 10, "苏医保发〔2026〕0号", "caiwu1")
    record_override(sessions, REGION, YEAR, "calendar.signing_working_days", 3, "苏医保发〔2026〕1号", "caiwu1")
    record_override(sessions, REGION, YEAR + 1, "calendar.signing_working_days", 2, "苏医保发〔2027〕1号", "caiwu1")
    apply_all(sessions)
    determination.determine(sessions, REGION, YEAR, "jiesuan1")
    fixed = determination.fix_list(sessions, REGION, YEAR, "jiesuan1", dt.date(YEAR, 1, 5))  # a Monday
    assert (fixed.signing_working_days, fixed.signing_deadline) == (3, dt.date(YEAR, 1, 8))
    code, kind, value, ref = listed(sessions)[0]
    with pytest.raises(ServiceError) as err:
        signing.register_security(sessions, REGION, YEAR, code, kind, value, ref, dt.date(YEAR, 1, 9), "jiesuan2")
    assert "3 个工作日" in err.value.message and "7 个工作日" not in err.value.message


def test_14_an_override_of_a_ratio_changes_the_determined_amounts(sessions):
    region_ready(sessions, institutions=10)
    apply_all(sessions, ["H32060000002"])  # grade A, 1.5 months
    before = determination.determine(sessions, REGION, YEAR, "jiesuan1").total
    record_override(sessions, REGION, YEAR, "amount.ratio_by_grade", {"A": "0.5", "B": "0.4"}, "苏医保发〔2026〕2号",
                    "caiwu1")
    after = determination.determine(sessions, REGION, YEAR, "jiesuan1").total
    assert 0 < after < before
    with sessions() as s:
        ratios = set(s.scalars(select(Determination.ratio).where(Determination.run == 2)))
    assert ratios == {D("0.5")}


def test_14_every_override_is_kept_with_its_approval_and_the_latest_is_in_force(sessions):
    region_ready(sessions, institutions=3)
    record_override(sessions, REGION, YEAR, "amount.minimum", "50000", "苏医保发〔2026〕3号", "caiwu1")
    record_override(sessions, REGION, YEAR, "amount.minimum", "80000", "苏医保发〔2026〕4号", "yibaoju1")
    view = profile_in_force(sessions, REGION, YEAR)
    assert view.profile.amount.minimum == D("80000")
    assert [(o.value, o.approval_ref, o.recorded_by, o.in_force) for o in view.history] == [
        ("50000", "苏医保发〔2026〕3号", "caiwu1", False), ("80000", "苏医保发〔2026〕4号", "yibaoju1", True)]
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(PolicyOverride)) == 2


def test_24_an_override_a_calendar_entry_and_a_period_closing_check_who_acts(sessions):
    from prepay_admin.services import calendar as cal

    region_ready(sessions, institutions=3)
    with pytest.raises(ServiceError) as err:
        record_override(sessions, REGION, YEAR, "amount.minimum", "50000", "苏医保发〔2026〕3号", "jiesuan1")
    assert err.value.field == "user"
    with pytest.raises(ServiceError):
        cal.set_day(sessions, dt.date(YEAR, 10, 10), False, "临时休息", "neishen1", REGION)
    with pytest.raises(ServiceError):
        books.close_period(sessions, REGION, Fund.EMPLOYEE, f"{YEAR}-01", "jiesuan1")
    with pytest.raises(ServiceError):
        books.close_period(sessions, REGION, Fund.EMPLOYEE, f"{YEAR}-01", "somebody")
    assert books.close_period(sessions, REGION, Fund.EMPLOYEE, f"{YEAR}-01", "caiwu1") == f"{YEAR}-01"


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


def test_16_13_year_2_of_the_agreement_is_capped_by_the_pledge_of_year_1_and_signs_on_the_running_agreement(sessions):
    from prepay_admin.models import AnnualStanding, FundPositionRecord, MonthlyPayout

    rows = listed_through_fixing(sessions, institutions=20)
    code, kind, value, ref = rows[0]
    signing.register_security(sessions, REGION, YEAR, code, kind, value, ref, dt.date(YEAR, 1, 8), "jiesuan2")
    signing.sign(sessions, REGION, YEAR, code, dt.date(YEAR, 1, 8), "jiesuan2")
    # the next year's figures: the same funds and standing, so that only the year changes
    with sessions.begin() as s:
        inst = s.scalar(select(Institution).where(Institution.code == code))
        for f in s.scalars(select(FundPositionRecord).where(FundPositionRecord.year == YEAR)).all():
            s.add(FundPositionRecord(region_id=f.region_id, year=YEAR + 1, fund=f.fund,
                                     cumulative_surplus=f.cumulative_surplus, monthly_expenditure=f.monthly_expenditure,
                                     last_year_current_balance=f.last_year_current_balance,
                                     projected_current_balance=f.projected_current_balance))
        for p in s.scalars(select(MonthlyPayout).where(MonthlyPayout.institution_id == inst.id,
                                                        MonthlyPayout.month >= dt.date(YEAR - 1, 1, 1))).all():
            s.add(MonthlyPayout(institution_id=inst.id, month=p.month.replace(year=YEAR), fund=p.fund,
                                amount=p.amount, out_of_region=p.out_of_region))
        standing = s.scalar(select(AnnualStanding).where(AnnualStanding.institution_id == inst.id))
        s.add(AnnualStanding(institution_id=inst.id, year=YEAR + 1, assessment=standing.assessment,
                             performance_score=standing.performance_score, credit_grade=standing.credit_grade))
        pledge_id = s.scalar(select(SecurityPledge.id).where(SecurityPledge.registration_ref == ref))
    open_campaign(sessions, REGION, YEAR + 1, "caiwu1")
    applications.apply(sessions, REGION, YEAR + 1, code, applications.clean_answers(), dt.date(YEAR, 12, 20), "jiesuan1")
    determination.determine(sessions, REGION, YEAR + 1, "jiesuan1")
    with sessions() as s:
        det = s.scalar(select(Determination).join(Institution).where(
            Institution.code == code, Determination.qualification_start == dt.date(YEAR + 1, 1, 21)))
        assert det.security_id == pledge_id and "security_pending" not in det.notes_json
        cap = det.advances[0].cap
        assert cap == (value // 10000) * 10000 and sum((a.amount for a in det.advances), D(0)) <= cap
    fixed = determination.fix_list(sessions, REGION, YEAR + 1, "jiesuan1", dt.date(YEAR + 1, 1, 5))
    assert fixed.listed == 1
    signed = signing.sign(sessions, REGION, YEAR + 1, code, dt.date(YEAR + 1, 1, 6), "jiesuan2")
    assert (signed.first_year, signed.last_year) == (YEAR, YEAR + 2)  # the agreement of year 1 covers year 2
