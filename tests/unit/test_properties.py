"""Invariants of the amount rules, under hypothesis."""
from decimal import Decimal as D

from hypothesis import given, settings
from hypothesis import strategies as st

from prepay_admin.policy.engine import evaluate_institution
from prepay_admin.policy.facts import CreditGrade, Fund, Security, SecurityKind
from prepay_admin.policy.solvency import FundGate
from prepay_admin.profiles import load_profile
from tests.builders import YEAR, institution, payouts_for

PROFILES = [load_profile("nantong-2025"), load_profile("hebei-2024")]
GATES = (FundGate(Fund.EMPLOYEE, D(20), True, ()), FundGate(Fund.RESIDENT, D(10), True, ()))
GRADE_ORDER = [CreditGrade.D, CreditGrade.C, CreditGrade.B, CreditGrade.A]

money = st.decimals(min_value=D("0"), max_value=D("20000000"), places=2, allow_nan=False, allow_infinity=False)
scores = st.decimals(min_value=D("0"), max_value=D("100"), places=2)
grades = st.sampled_from(GRADE_ORDER)
profiles = st.sampled_from(PROFILES)


def total(profile, employee, resident, score, grade, security):
    inst = institution(
        performance_score=score, credit_grade=grade,
        payouts=payouts_for(YEAR, employee_monthly=str(employee), resident_monthly=str(resident), years=3),
        security=None if security is None else Security(SecurityKind.PLEDGE, security),
    )
    return evaluate_institution(inst, YEAR, GATES, profile)


@settings(max_examples=300)
@given(profiles, money, money, scores, grades, st.none() | money)
def test_every_amount_is_zero_or_a_whole_ten_thousand_between_the_minimum_and_the_security(
        profile, employee, resident, score, grade, security):
    result = total(profile, employee, resident, score, grade, security)
    for a in result.advances:
        assert a.amount == 0 or (a.amount % D(10000) == 0 and a.amount >= profile.amount.minimum)
    # 13§: one security caps both funds together
    assert security is None or not result.eligible or result.total <= security


@settings(max_examples=300)
@given(profiles, money, money, st.integers(1, 5), scores, scores, grades, grades, st.none() | money)
def test_amounts_never_fall_when_base_score_or_grade_improve(
        profile, employee, resident, factor, score_a, score_b, grade_a, grade_b, security):
    # Both funds grow by the same factor: growing one alone changes the resident
    # share, and with it the 13§ bonus, which is a different question.
    low_score, high_score = sorted((score_a, score_b))
    low_grade, high_grade = sorted((grade_a, grade_b), key=GRADE_ORDER.index)
    worse = total(profile, employee, resident, low_score, low_grade, security)
    better = total(profile, employee * factor, resident * factor, high_score, high_grade, security)
    if worse.eligible:
        assert better.eligible
        assert better.months >= worse.months and better.ratio >= worse.ratio
        if security is None:  # under a joint cap one fund's share may shift to the other; the total never falls
            for w, b in zip(worse.advances, better.advances):
                assert b.amount >= w.amount
    assert better.total >= worse.total


@given(profiles, money, money, scores, grades, st.none() | money)
def test_the_breakdown_is_consistent(profile, employee, resident, score, grade, security):
    result = total(profile, employee, resident, score, grade, security)
    for a in result.advances:
        assert abs(a.raw - a.base * result.months * result.ratio) <= D("0.005")
        assert a.amount <= a.uncapped <= a.rounded
        assert a.amount == a.uncapped or (a.cap is not None and result.total <= a.cap)
