"""RULES §2 (7§, 10§, 21§(六)): eligibility, every failed condition reported."""
import datetime as dt
from decimal import Decimal as D

import pytest

from prepay_admin.policy.eligibility import judge
from prepay_admin.policy.facts import Assessment, CreditGrade, Flag, Kind, Security, SecurityKind
from prepay_admin.profiles import load_profile
from tests.builders import YEAR, institution

NANTONG = load_profile("nantong-2025")


def codes(**changes):
    return [r.code for r in judge(institution(**changes), YEAR, NANTONG).reasons]


def test_a_healthy_level_two_hospital_is_eligible():
    verdict = judge(institution(), YEAR, NANTONG)
    assert verdict.eligible and verdict.reasons == ()


def test_7_a_pharmacy_is_refused_for_its_kind_only():
    assert codes(kind=Kind.PHARMACY, level=0) == ["kind_not_eligible"]


@pytest.mark.parametrize(
    "kind, level, eligible",
    [
        (Kind.HOSPITAL, 0, False),
        (Kind.HOSPITAL, 1, True),
        (Kind.CLINIC, 0, False),
        (Kind.CLINIC, 1, True),
        (Kind.COMMUNITY_HEALTH_CENTER, 0, True),  # qualifies whatever its level
    ],
)
def test_10_3_level_one_or_above_or_a_community_health_centre(kind, level, eligible):
    assert (codes(kind=kind, level=level) == []) is eligible


@pytest.mark.parametrize(
    "settled, eligible",
    [
        (dt.date(2025, 1, 1), True),  # on 1 January of Y−1: a full natural year
        (dt.date(2025, 1, 2), False),  # inside last year
        (dt.date(2025, 12, 31), False),
        (dt.date(2024, 6, 30), True),
    ],
)
def test_10_1_settlement_started_on_or_before_1_january_of_last_year(settled, eligible):
    assert ("settlement_under_one_year" not in codes(settled_since=settled)) is eligible


@pytest.mark.parametrize(
    "assessment, eligible",
    [(Assessment.EXCELLENT, True), (Assessment.GOOD, True), (Assessment.PASS, False), (Assessment.FAIL, False)],
)
def test_10_1_assessment_excellent_or_good(assessment, eligible):
    assert (codes(assessment=assessment) == []) is eligible


@pytest.mark.parametrize("score, eligible", [("79.99", False), ("80", True), ("80.00", True), ("100", True)])
def test_10_1_score_of_at_least_80(score, eligible):
    assert (codes(performance_score=D(score)) == []) is eligible


@pytest.mark.parametrize("grade, eligible", [("A", True), ("B", True), ("C", False), ("D", False)])
def test_10_3_credit_grade_a_or_b(grade, eligible):
    assert (codes(credit_grade=CreditGrade(grade)) == []) is eligible


def test_10_2_no_security_is_refused():
    assert codes(security=None) == ["security_missing"]


def test_10_2_a_private_institution_may_not_use_a_credit_guarantee():
    security = Security(SecurityKind.CREDIT_GUARANTEE, D("5000000"))
    assert codes(state_run=False, security=security) == ["security_kind_not_allowed"]
    assert codes(state_run=True, security=security) == []


@pytest.mark.parametrize("flag", list(Flag))
def test_10_each_condition_that_holds_bars_the_institution(flag):
    verdict = judge(institution(flags=frozenset({flag})), YEAR, NANTONG)
    assert [r.code for r in verdict.reasons] == [flag.value]
    assert verdict.reasons[0].article.startswith("10§")
    assert verdict.reasons[0].message


@pytest.mark.parametrize(
    "until, barred",
    [(dt.date(2026, 1, 1), True), (dt.date(2028, 5, 1), True), (dt.date(2025, 12, 31), False)],
)
def test_21_6_a_bar_lasting_into_the_campaign_year_excludes(until, barred):
    assert ("barred" in codes(barred_until=until)) is barred


def test_every_failed_condition_is_reported_with_its_article():
    verdict = judge(
        institution(
            level=0, settled_since=dt.date(2025, 6, 1), assessment=Assessment.PASS,
            performance_score=D("70"), credit_grade=CreditGrade.D, security=None,
            flags=frozenset({Flag.ASSET_SEIZURE, Flag.FRAUD_REFERRAL}), barred_until=dt.date(2027, 1, 1),
        ),
        YEAR, NANTONG,
    )
    assert not verdict.eligible
    assert [(r.code, r.article) for r in verdict.reasons] == [
        ("level_below_minimum", "10§(三)"),
        ("settlement_under_one_year", "10§(一)"),
        ("assessment_below_required", "10§(一)"),
        ("score_below_minimum", "10§(一)"),
        ("credit_grade_not_allowed", "10§(三)"),
        ("security_missing", "10§(二)"),
        ("asset_seizure", "10§(二)"),
        ("fraud_referral", "10§(五)"),
        ("barred", "21§(六)"),
    ]
    assert all(r.message for r in verdict.reasons)
