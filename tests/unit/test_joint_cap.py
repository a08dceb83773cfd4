"""13§ with RULES §3: one security caps the institution's whole advance, both funds together."""
import datetime as dt
from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prepay_admin.policy import amount as amt
from prepay_admin.policy.engine import evaluate
from prepay_admin.policy.facts import Fund, Security, SecurityKind
from prepay_admin.profiles import load_profile
from tests.builders import institution, payouts_for, region

NANTONG = load_profile("nantong-2025")
HEBEI = load_profile("hebei-2024")
UNIT, MINIMUM = D("10000"), D("100000")


def shares(employee, resident, security):
    return amt.shares_of_cap({Fund.EMPLOYEE: D(employee), Fund.RESIDENT: D(resident)}, D(security), UNIT, MINIMUM)


def test_13_rules_example_pro_rata_rounded_down_remainder_to_the_larger_fund():
    # employee 1,350,000 + resident 1,080,000 with a pledge of 1,500,000 → 840,000 + 660,000
    assert shares("1350000", "1080000", "1500000") == {Fund.EMPLOYEE: D("840000"), Fund.RESIDENT: D("660000")}


def test_13_rules_example_a_share_under_the_minimum_moves_to_the_other_fund():
    # employee 1,350,000 + resident 140,000 with 400,000 → 400,000 + 0
    assert shares("1350000", "140000", "400000") == {Fund.EMPLOYEE: D("400000"), Fund.RESIDENT: D("0")}


def test_13_amounts_within_the_cap_are_not_touched():
    assert shares("600000", "300000", "900000") == {Fund.EMPLOYEE: D("600000"), Fund.RESIDENT: D("300000")}


def test_13_on_a_tie_the_employee_fund_takes_the_remainder_and_the_resident_share_goes_first():
    # 200,000 each under 150,000: 70,000 each, 10,000 left → employee 80,000; resident 70,000 < minimum → 0
    assert shares("200000", "200000", "150000") == {Fund.EMPLOYEE: D("150000"), Fund.RESIDENT: D("0")}


def test_13_a_security_under_the_minimum_leaves_nothing():
    assert shares("500000", "0", "95000") == {Fund.EMPLOYEE: D("0"), Fund.RESIDENT: D("0")}


def test_13_a_moved_share_never_lifts_a_fund_above_its_own_amount():
    # employee 110,000 + resident 1,000,000 under 1,050,000 → resident keeps its own, employee its share
    result = shares("110000", "1000000", "1050000")
    assert result[Fund.RESIDENT] <= D("1000000") and sum(result.values()) <= D("1050000")


def test_13_one_security_caps_both_funds_together():
    # monthly 1,000,000 employee + 800,000 resident, score 92 (1.5 months), grade A (90%)
    inst = institution(payouts=payouts_for(2026, employee_monthly="1000000", resident_monthly="800000"),
                       security=Security(SecurityKind.PLEDGE, D("1500000")))
    result = evaluate(region(inst), NANTONG).institutions[0]
    employee, resident = result.advances
    assert (employee.uncapped, resident.uncapped) == (D("1350000.00"), D("1080000.00"))
    assert (employee.amount, resident.amount) == (D("840000.00"), D("660000.00"))
    assert result.total == D("1500000.00") and employee.cap == resident.cap == D("1500000.00")
    assert [r.code for r in employee.reasons] == ["capped_by_security"]
    assert [r.code for r in resident.reasons] == ["capped_by_security"]
    assert employee.reasons[0].article == "13§"


def test_13_a_fund_capped_below_the_minimum_carries_both_reasons():
    inst = institution(payouts=payouts_for(2026, employee_monthly="1000000", resident_monthly="103704"),
                       security=Security(SecurityKind.PLEDGE, D("400000")))
    employee, resident = evaluate(region(inst), NANTONG).institutions[0].advances
    assert (employee.amount, resident.amount) == (D("400000.00"), D("0.00"))
    assert [r.code for r in resident.reasons] == ["capped_by_security", "capped_below_minimum"]


funds = st.integers(0, 500).map(lambda n: D(n) * UNIT)


@settings(max_examples=500)
@given(funds, funds, st.integers(0, 600).map(lambda n: D(n) * UNIT))
def test_13_shares_never_exceed_the_cap_nor_a_funds_own_amount_and_stay_whole(employee, resident, cap):
    amounts = {Fund.EMPLOYEE: employee if employee >= MINIMUM else D(0),
               Fund.RESIDENT: resident if resident >= MINIMUM else D(0)}
    result = amt.shares_of_cap(amounts, cap, UNIT, MINIMUM)
    assert sum(result.values()) <= max(cap, D(0))
    for fund, share in result.items():
        assert D(0) <= share <= amounts[fund]
        assert share == 0 or (share % UNIT == 0 and share >= MINIMUM)
    if sum(amounts.values()) <= cap:
        assert result == amounts


def test_13_as_the_rules_say_a_zeroed_share_moves_only_up_to_the_other_funds_own_amount():
    # 100,000 + 110,000 under 200,000: 90,000 + 110,000, then the employee share (under the minimum)
    # becomes 0 and the resident fund is already at its own amount. RULES §3 leaves 90,000 of the cap unused.
    assert shares("100000", "110000", "200000") == {Fund.EMPLOYEE: D("0"), Fund.RESIDENT: D("110000")}


def test_hb_2_2_months_before_settlement_start_do_not_count_in_the_divisor():
    # settled from November 2023: 26 months of the 3-year window 2023–2025
    settled = dt.date(2023, 11, 15)
    assert amt.base_divisor(2026, settled, HEBEI) == 26
    assert amt.base_divisor(2026, dt.date(2010, 1, 1), HEBEI) == 36
    assert amt.base_divisor(2026, settled, NANTONG) == 12  # Nantong: 12 × years, zeros count
    payouts = payouts_for(2026, employee_monthly="260000", years=3)
    young = tuple(p for p in payouts if p.month >= dt.date(2023, 11, 1))
    assert amt.monthly_base(young, Fund.EMPLOYEE, 2026, HEBEI, settled) == D("260000.00")


@pytest.mark.parametrize("code", ["amount_below_minimum", "capped_by_security", "capped_below_minimum", "barred"])
def test_hb_a_value_the_hebei_text_lacks_cites_the_profiles_own_default(code):
    assert HEBEI.citations.article(code) == "方案默认"
    assert not HEBEI.citations.article(code).startswith("HB")
    assert NANTONG.citations.article(code) != "方案默认"


def test_hb_the_minimum_reason_says_it_is_the_profiles_default():
    inst = institution(payouts=payouts_for(2026, employee_monthly="50000", years=3), security=None)
    (employee, _) = evaluate(region(inst), HEBEI).institutions[0].advances
    (why,) = employee.reasons
    assert why.code == "amount_below_minimum" and why.article == "方案默认"
    assert "冀医保字〔2024〕7号未作规定" in why.message
