"""RULES §3 (12§–13§): the amount per institution and fund."""
import datetime as dt
from decimal import Decimal as D

import pytest

from prepay_admin.policy import amount as amt
from prepay_admin.policy.engine import evaluate
from prepay_admin.policy.facts import CreditGrade, Fund, Payout, Security, SecurityKind
from prepay_admin.profiles import load_profile
from tests.builders import YEAR, fund, institution, payouts_for, region

NANTONG = load_profile("nantong-2025")


def advance(base, months="1.5", ratio="0.9", security="50000000", fund_open=True):
    """One fund's advance, then capped by the security as the engine does (13§)."""
    sec = None if security is None else Security(SecurityKind.PLEDGE, D(security))
    uncapped = amt.advance(Fund.EMPLOYEE, D(base), D(months), D(ratio), fund_open, NANTONG)
    return amt.cap_jointly((uncapped,), sec, NANTONG)[0]


def test_13_nantong_worked_example_rounds_1666666_65_to_1670000():
    a = advance("1234567.89", months="1.5", ratio="0.9", security="5000000")
    assert (a.raw, a.rounded, a.amount) == (D("1666666.65"), D("1670000.00"), D("1670000.00"))
    assert a.reasons == ()


def test_12_13_worked_example_through_the_engine_from_monthly_payouts():
    # 12 months summing to 12 × 1,234,567.89; score 92, grade A, security 5,000,000
    payouts = tuple(Payout(dt.date(2025, m, 1), Fund.EMPLOYEE, D("1234567.89")) for m in range(1, 13))
    inst = institution(payouts=payouts, security=Security(SecurityKind.PLEDGE, D("5000000")))
    result = evaluate(region(inst, funds=(fund(Fund.EMPLOYEE),)), NANTONG).institutions[0]
    (a,) = result.advances
    assert (a.base, a.raw, a.amount) == (D("1234567.89"), D("1666666.65"), D("1670000.00"))
    assert result.total == D("1670000.00")


@pytest.mark.parametrize(
    "score, months",
    [("79.99", "0"), ("80", "1"), ("89.99", "1"), ("90", "1.5"), ("94.99", "1.5"), ("95", "1.5"), ("100", "1.5")],
)
def test_13_months_by_score_band(score, months):
    assert amt.months_for(D(score), D("0.4"), NANTONG) == D(months)


@pytest.mark.parametrize(
    "score, share, months",
    [
        ("95", "0.5", "1.5"),  # exactly 50% is not "more than half"
        ("95", "0.5001", "2.0"),
        ("94.99", "0.9", "1.5"),  # 95 is needed for the bonus
        ("100", "1", "2.0"),
    ],
)
def test_13_resident_share_above_half_with_95_points_adds_half_a_month(score, share, months):
    assert amt.months_for(D(score), D(share), NANTONG) == D(months)


def test_13_score_of_exactly_90_earns_one_and_a_half_months():
    assert amt.months_for(D("90"), D("0"), NANTONG) == D("1.5")


def test_13_resident_share_of_exactly_half_earns_no_bonus_through_the_engine():
    inst = institution(performance_score=D("96"),
                       payouts=payouts_for(YEAR, employee_monthly="500000", resident_monthly="500000"))
    result = evaluate(region(inst), NANTONG).institutions[0]
    assert result.resident_share == D("0.5")
    assert result.months == D("1.5")


def test_13_the_bonus_applies_to_both_funds_of_the_institution():
    inst = institution(performance_score=D("96"),
                       payouts=payouts_for(YEAR, employee_monthly="400000", resident_monthly="600000"))
    result = evaluate(region(inst), NANTONG).institutions[0]
    assert result.months == D("2.0")
    assert [a.raw for a in result.advances] == [D("720000.00"), D("1080000.00")]


@pytest.mark.parametrize("grade, ratio", [("A", "0.9"), ("B", "0.8")])
def test_13_ratio_by_credit_grade(grade, ratio):
    assert amt.ratio_for(grade, NANTONG) == D(ratio)


@pytest.mark.parametrize(
    "raw, rounded, amount, codes",
    [
        ("94999.99", "90000.00", "0.00", ["amount_below_minimum"]),
        ("95000.00", "100000.00", "100000.00", []),
        ("104999.99", "100000.00", "100000.00", []),
        ("105000.00", "110000.00", "110000.00", []),
        ("0.00", "0.00", "0.00", ["amount_below_minimum"]),
    ],
)
def test_13_rounded_half_up_to_ten_thousand_and_nothing_under_100000(raw, rounded, amount, codes):
    a = advance(raw, months="1", ratio="1")
    assert (a.raw, a.rounded, a.amount) == (D(raw), D(rounded), D(amount))
    assert [r.code for r in a.reasons] == codes


def test_13_an_amount_above_the_security_is_limited_to_it_rounded_down_to_ten_thousand():
    a = advance("1000000", months="1", ratio="1", security="456789.12")
    assert (a.rounded, a.cap, a.amount) == (D("1000000.00"), D("450000.00"), D("450000.00"))
    assert [r.code for r in a.reasons] == ["capped_by_security"]


def test_13_a_security_equal_to_the_amount_does_not_cap():
    a = advance("1000000", months="1", ratio="1", security="1000000")
    assert a.amount == D("1000000.00") and a.reasons == ()


def test_13_a_cap_that_lands_under_the_minimum_pays_nothing():
    a = advance("1000000", months="1", ratio="1", security="109999.99")
    assert (a.cap, a.amount) == (D("100000.00"), D("100000.00"))
    a = advance("1000000", months="1", ratio="1", security="99999.99")
    assert (a.cap, a.amount) == (D("90000.00"), D("0.00"))
    assert [r.code for r in a.reasons] == ["capped_by_security", "capped_below_minimum"]


def test_9_a_closed_fund_gives_no_advance_and_says_why():
    a = advance("1000000", fund_open=False)
    assert a.amount == D("0.00")
    assert [r.code for r in a.reasons] == ["fund_closed"]


def test_9_a_closed_employee_fund_leaves_the_resident_fund_judged_on_its_own():
    funds = (fund(Fund.EMPLOYEE, surplus="1000"), fund(Fund.RESIDENT, surplus="700"))
    result = evaluate(region(institution(), funds=funds), NANTONG)
    assert [g.open for g in result.funds] == [False, True]
    employee, resident = result.institutions[0].advances
    assert employee.amount == 0 and [r.code for r in employee.reasons] == ["fund_closed"]
    assert resident.amount > 0
    assert result.total_for(Fund.EMPLOYEE) == 0 and result.total_for() == resident.amount


def test_12_base_excludes_out_of_region_patients():
    payouts = payouts_for(YEAR, employee_monthly="1000000", out_of_region="200000")
    assert amt.monthly_base(payouts, Fund.EMPLOYEE, YEAR, NANTONG, dt.date(2015, 1, 1)) == D("800000.00")


def test_12_base_counts_missing_months_as_zero_and_ignores_other_years():
    payouts = (
        Payout(dt.date(2025, 1, 1), Fund.EMPLOYEE, D("1200000")),
        Payout(dt.date(2024, 1, 1), Fund.EMPLOYEE, D("9999999")),  # not last year
        Payout(dt.date(2025, 2, 1), Fund.RESIDENT, D("9999999")),  # the other fund
    )
    assert amt.monthly_base(payouts, Fund.EMPLOYEE, YEAR, NANTONG, dt.date(2015, 1, 1)) == D("100000.00")


def test_an_ineligible_institution_has_no_advances_and_a_zero_total():
    result = evaluate(region(institution(credit_grade=CreditGrade.C)), NANTONG).institutions[0]
    assert not result.eligible and result.advances == () and result.total == 0
    assert result.months is None and result.ratio is None
