"""The same inputs under the Hebei profile (冀医保字〔2024〕7号): looser eligibility, 1–3 year base."""
import datetime as dt
from decimal import Decimal as D

import pytest

from prepay_admin.policy.eligibility import judge
from prepay_admin.policy.engine import evaluate
from prepay_admin.policy.facts import Assessment, CreditGrade, Flag, Fund, Kind, Payout, Security, SecurityKind
from prepay_admin.profiles import load_profile
from tests.builders import YEAR, fund, institution, payouts_for, region

NANTONG = load_profile("nantong-2025")
HEBEI = load_profile("hebei-2024")


def hebei_codes(**changes):
    return [r.code for r in judge(institution(**changes), YEAR, HEBEI).reasons]


@pytest.mark.parametrize(
    "changes, nantong, hebei",
    [
        ({"assessment": Assessment.PASS}, ["assessment_below_required"], []),  # 合格以上
        ({"assessment": Assessment.FAIL}, ["assessment_below_required"], ["assessment_below_required"]),
        ({"performance_score": D("79.99")}, ["score_below_minimum"], []),  # no score condition
        ({"credit_grade": CreditGrade.C}, ["credit_grade_not_allowed"], []),  # no grade condition
        ({"security": None}, [], []),  # the security belongs to signing (RULES §2)
        ({"level": 0}, ["level_below_minimum"], []),
        ({"kind": Kind.PHARMACY}, ["kind_not_eligible"], ["kind_not_eligible"]),
        ({"settled_since": dt.date(2025, 1, 2)}, ["settlement_under_one_year"], ["settlement_under_one_year"]),
        ({"flags": frozenset({Flag.PENALIZED_LAST_12_MONTHS})}, ["penalized_last_12_months"], ["penalized_last_12_months"]),
    ],
)
def test_hb_2_3_conditions_compared_with_nantong(changes, nantong, hebei):
    assert [r.code for r in judge(institution(**changes), YEAR, NANTONG).reasons] == nantong
    assert hebei_codes(**changes) == hebei


def test_hb_2_3_reasons_cite_the_hebei_text():
    reasons = judge(institution(assessment=Assessment.FAIL), YEAR, HEBEI).reasons
    assert reasons[0].article == "HB 二(三)1"


def test_hb_2_2_base_averages_the_prior_three_years_with_one_month_at_full_ratio():
    payouts = (
        payouts_for(2024, employee_monthly="900000")  # 2023
        + tuple(p for p in payouts_for(2025, employee_monthly="1200000"))  # 2024
        + payouts_for(YEAR, employee_monthly="1500000")  # 2025
    )
    inst = institution(payouts=payouts, credit_grade=CreditGrade.D, security=None)
    result = evaluate(region(inst, funds=(fund(Fund.EMPLOYEE),)), HEBEI).institutions[0]
    (a,) = result.advances
    assert (result.months, result.ratio) == (D("1"), D("1"))
    assert a.base == D("1200000.00")
    assert a.amount == D("1200000.00")
    assert a.cap is None


def test_hb_2_2_the_same_hospital_gets_last_years_average_under_nantong():
    payouts = payouts_for(2024, employee_monthly="900000") + payouts_for(2025, employee_monthly="1200000") + payouts_for(YEAR, employee_monthly="1500000")
    result = evaluate(region(institution(payouts=payouts), funds=(fund(Fund.EMPLOYEE),)), NANTONG).institutions[0]
    assert result.advances[0].base == D("1500000.00")
    assert result.advances[0].amount == D("2030000.00")  # 1,500,000 × 1.5 × 0.9 = 2,025,000 → 2,030,000


def test_hb_2_2_a_security_that_was_given_still_caps_the_advance():
    payouts = payouts_for(YEAR, employee_monthly="1000000", years=3)
    inst = institution(payouts=payouts, security=Security(SecurityKind.CREDIT_GUARANTEE, D("555555")))
    (a,) = evaluate(region(inst, funds=(fund(Fund.EMPLOYEE),)), HEBEI).institutions[0].advances
    assert a.amount == D("550000.00")


def test_hb_2_2_fund_gate_is_the_same_as_nantongs():
    funds = (fund(Fund.EMPLOYEE, surplus="1199.99"), fund(Fund.RESIDENT, surplus="600"))
    gates = evaluate(region(funds=funds), HEBEI).funds
    assert [g.open for g in gates] == [False, True]


def test_hb_payouts_outside_the_three_year_window_are_ignored():
    payouts = (Payout(dt.date(2022, 12, 1), Fund.EMPLOYEE, D("36000000")),) + payouts_for(YEAR, employee_monthly="360000", years=3)
    (a,) = evaluate(region(institution(payouts=payouts), funds=(fund(Fund.EMPLOYEE),)), HEBEI).institutions[0].advances
    assert a.base == D("360000.00")
