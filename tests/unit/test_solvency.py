"""RULES §1 (9§): the fund solvency gate."""
from decimal import Decimal as D

import pytest

from prepay_admin.policy.facts import Fund
from prepay_admin.policy.solvency import assess_fund, payable_months
from prepay_admin.profiles import load_profile
from tests.builders import fund

NANTONG = load_profile("nantong-2025")


@pytest.mark.parametrize(
    "fund_kind, surplus, open_, codes",
    [
        (Fund.EMPLOYEE, "1200", True, []),  # exactly 12 months
        (Fund.EMPLOYEE, "1199.99", False, ["fund_months_below_minimum"]),
        (Fund.RESIDENT, "600", True, []),  # exactly 6 months
        (Fund.RESIDENT, "599.99", False, ["fund_months_below_minimum"]),
        (Fund.RESIDENT, "1199.99", True, []),  # the resident fund needs only 6
    ],
)
def test_9_payable_months_threshold_per_fund(fund_kind, surplus, open_, codes):
    gate = assess_fund(fund(fund_kind, surplus=surplus, monthly="100"), NANTONG)
    assert gate.open is open_
    assert [r.code for r in gate.reasons] == codes


def test_9_payable_months_are_truncated_so_a_shortfall_never_shows_as_the_threshold():
    assert payable_months(fund(surplus="1199.999", monthly="100")) == D("11.99")


def test_9_a_current_deficit_last_year_closes_the_fund():
    gate = assess_fund(fund(last="-0.01"), NANTONG)
    assert not gate.open
    assert [r.code for r in gate.reasons] == ["fund_deficit_last_year"]
    assert gate.reasons[0].article == "9§"


def test_9_a_projected_deficit_closes_the_fund():
    gate = assess_fund(fund(projected="-1"), NANTONG)
    assert [r.code for r in gate.reasons] == ["fund_deficit_projected"]


def test_9_a_zero_balance_is_not_a_deficit():
    assert assess_fund(fund(last="0", projected="0"), NANTONG).open


def test_9_every_failed_fund_condition_is_reported():
    gate = assess_fund(fund(surplus="100", last="-1", projected="-1"), NANTONG)
    assert [r.code for r in gate.reasons] == [
        "fund_months_below_minimum", "fund_deficit_last_year", "fund_deficit_projected",
    ]
    assert "职工医保统筹基金" in gate.reasons[0].message
