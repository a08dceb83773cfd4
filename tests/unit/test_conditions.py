"""RULES §2 (turn 3): the applicant's own declaration and a trigger's facts are conditions of 10§ until
稽核 lifts them with evidence (pure rules)."""
from __future__ import annotations

import datetime as dt

from prepay_admin.policy.conditions import Lift, Trigger, raised
from prepay_admin.policy.facts import Flag
from prepay_admin.policy.recovery import TriggerKind

UTC = dt.timezone.utc
ALLOWED = ("excellent", "good")


def _at(day: int) -> dt.datetime:
    return dt.datetime(2025, 12, day, 9, tzinfo=UTC)


def _answers(**declared):
    clean = {"finance_system_sound": True, "operating_normally": True, "asset_seizure": False,
             "unfulfilled_judgment": False, "enforcement_debtor": False, "cooperates_with_reforms": True,
             "traceability_codes_uploaded": True, "penalized_or_referred": False, "last_assessment": "good"}
    return {**clean, **declared}


def test_10_a_declared_failure_is_a_condition_citing_the_self_check():
    found = raised(_answers(asset_seizure=True, traceability_codes_uploaded=False), 2026, (), (), ALLOWED)
    assert dict(found.flags) == {Flag.ASSET_SEIZURE: "申请人自查", Flag.TRACEABILITY_INCOMPLETE: "申请人自查"}
    assert raised(_answers(), 2026, (), (), ALLOWED).flags == ()
    assert raised(_answers(last_assessment="pass"), 2026, (), (), ALLOWED).declared_assessment == "pass"
    assert raised(_answers(last_assessment="pass"), 2026, (), (), ("excellent", "good", "pass")) \
        .declared_assessment is None  # Hebei: 合格以上


def test_10_a_declaration_is_lifted_for_its_own_year_only():
    lift = Lift("asset_seizure", "self_check", 2026, dt.date(2025, 12, 22), _at(22))
    assert raised(_answers(asset_seizure=True), 2026, (), [lift], ALLOWED).flags == ()
    assert raised(_answers(asset_seizure=True), 2027, (), [lift], ALLOWED).flags != ()


def test_20_a_triggers_seizure_holds_until_a_lift_recorded_after_it():
    trigger = [Trigger(TriggerKind.ASSET_SEIZURE, dt.date(2025, 11, 3), _at(3))]
    assert dict(raised(None, 2026, trigger, (), ALLOWED).flags) == {
        Flag.ASSET_SEIZURE: "收回情形：财产被保全，2025-11-03"}
    older = Lift("asset_seizure", "trigger", None, dt.date(2025, 12, 10), _at(2))  # recorded before the trigger
    assert raised(None, 2026, trigger, [older], ALLOWED).flags != ()
    after = Lift("asset_seizure", "trigger", None, dt.date(2025, 12, 1), _at(5))
    assert raised(None, 2026, trigger, [after], ALLOWED).flags == ()
    again = trigger + [Trigger(TriggerKind.ASSET_SEIZURE, dt.date(2025, 12, 8), _at(8))]  # a new seizure after it
    assert raised(None, 2026, again, [after], ALLOWED).flags != ()
    assert raised(None, 2026, [Trigger(TriggerKind.MISUSE, dt.date(2025, 11, 3), _at(3))], (), ALLOWED).flags == ()
