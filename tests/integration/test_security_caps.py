"""The security caps the whole advance (13§, 16§): every year of its agreement, every replacement, every
listed institution, and the demo region played at scale; each test names its article."""
import datetime as dt
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from prepay_admin.models import Determination, Institution, SecurityPledge
from prepay_admin.policy.facts import SecurityKind
from prepay_admin.queries.ledger import audit
from prepay_admin.services import applications, determination, payment, signing
from prepay_admin.services.campaign import open_campaign
from prepay_admin.services.demo import load_demo
from prepay_admin.services.errors import ServiceError
from prepay_admin.services.facts import pledges_valid_on
from prepay_admin.services.unit_of_work import find_region
from tests.cycle_helpers import REGION, YEAR, advance_held, listed_through_fixing, pay_batch


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
    assert advance_held(sessions, code) == capped
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
    holding = advance_held(sessions, code)
    with pytest.raises(ServiceError) as err:
        signing.renew_security(sessions, REGION, code, SecurityKind.PLEDGE, holding - D("10000"), "续押〔2027〕1号",
                               dt.date(YEAR + 1, 1, 1), dt.date(YEAR + 3, 1, 20), "jiesuan2")
    assert err.value.field == "value"
    signing.renew_security(sessions, REGION, code, SecurityKind.PLEDGE, holding, "续押〔2027〕1号",
                           dt.date(YEAR + 1, 1, 1), dt.date(YEAR + 3, 1, 20), "jiesuan2")
    with sessions() as s:
        renewal = s.scalar(select(SecurityPledge).where(SecurityPledge.registration_ref == "续押〔2027〕1号"))
        assert renewal.replaces_id is not None


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
