"""RULES §2 (7§, 10§, 21§(六)): eligibility, every failed condition reported."""
import datetime as dt
from decimal import Decimal as D

import pytest

from prepay_admin.policy.eligibility import judge
from prepay_admin.policy.engine import evaluate
from prepay_admin.policy.facts import Assessment, Bar, CreditGrade, Flag, Kind, Security, SecurityKind
from prepay_admin.profiles import load_profile
from tests.builders import YEAR, institution, region

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


def test_10_2_15_3_no_security_yet_is_no_refusal_the_institution_is_listed_pending():
    assert codes(security=None) == []
    result = evaluate(region(institution(security=None)), NANTONG).institutions[0]
    assert result.eligible and result.total > 0
    assert [(n.code, n.article) for n in result.notes] == [("security_pending", "10§(二)、15§(三)")]
    assert all(a.amount == a.uncapped for a in result.advances)


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
    "applied_on, barred",
    [(dt.date(2025, 12, 20), True), (dt.date(2025, 12, 31), True), (None, True)],
)
def test_21_6_a_bar_in_force_on_the_day_of_the_application_excludes(applied_on, barred):
    bar = Bar(dt.date(2022, 12, 31), dt.date(2025, 12, 31))
    assert ("barred" in codes(bar=bar, applied_on=applied_on)) is barred


def test_21_6_a_bar_ended_before_the_application_day_does_not_exclude():
    bar = Bar(dt.date(2022, 12, 20), dt.date(2025, 12, 19))
    assert "barred" not in codes(bar=bar, applied_on=dt.date(2025, 12, 20))
    # the what-if judges on the profile's application deadline, 31 December
    assert "barred" not in codes(bar=bar)


def test_21_6_the_message_names_the_last_barred_day():
    bar = Bar(dt.date(2023, 7, 1), dt.date(2026, 6, 30))
    (why,) = judge(institution(bar=bar, applied_on=dt.date(2025, 12, 28)), YEAR, NANTONG).reasons
    assert (why.code, why.article) == ("barred", "21§(六)")
    assert "最后一日为 2026-06-30" in why.message and "2025-12-28" in why.message


def test_every_failed_condition_is_reported_with_its_article():
    verdict = judge(
        institution(
            level=0, settled_since=dt.date(2025, 6, 1), assessment=Assessment.PASS,
            performance_score=D("70"), credit_grade=CreditGrade.D, security=None,
            flags=frozenset({Flag.ASSET_SEIZURE, Flag.FRAUD_REFERRAL}),
            bar=Bar(dt.date(2024, 1, 1), dt.date(2026, 12, 31)),
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
        ("asset_seizure", "10§(二)"),
        ("fraud_referral", "10§(五)"),
        ("barred", "21§(六)"),
    ]
    assert all(r.message for r in verdict.reasons)
