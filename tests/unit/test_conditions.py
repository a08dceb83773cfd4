"""RULES §2 (turn 3): the applicant's own declaration and a trigger's facts are conditions of 10§ until
稽核 lifts them with evidence (pure rules)."""
from __future__ import annotations

import datetime as dt

from prepay_admin.policy.conditions import Lift, raised
from prepay_admin.policy.facts import Flag
from prepay_admin.policy.recovery import TriggerKind

DAY = dt.date(2025, 12, 20)


def _answers(**declared):
    clean = {"finance_system_sound": True, "operating_normally": True, "asset_seizure": False,
             "unfulfilled_judgment": False, "enforcement_debtor": False, "cooperates_with_reforms": True,
             "traceability_codes_uploaded": True, "penalized_or_referred": False, "last_assessment": "good"}
    return {**clean, **declared}


def test_10_a_declared_failure_is_a_condition_citing_the_self_check():
    found = raised(_answers(asset_seizure=True, traceability_codes_uploaded=False), 2026, (), (), DAY)
    assert dict(found.flags) == {Flag.ASSET_SEIZURE: "申请人自查", Flag.TRACEABILITY_INCOMPLETE: "申请人自查"}
    assert raised(_answers(), 2026, (), (), DAY).flags == ()
    assert raised(_answers(last_assessment="fail"), 2026, (), (), DAY).declared_assessment == "fail"


def test_10_a_declaration_is_lifted_for_its_own_year_only():
    lift = Lift("asset_seizure", "self_check", 2026, DAY)
    assert raised(_answers(asset_seizure=True), 2026, (), [lift], DAY).flags == ()
    assert raised(_answers(asset_seizure=True), 2027, (), [lift], DAY).flags != ()


def test_20_a_triggers_seizure_holds_from_its_day_until_a_lift_after_it():
    trigger = [(TriggerKind.ASSET_SEIZURE, dt.date(2025, 11, 3))]
    assert dict(raised(None, 2026, trigger, (), DAY).flags) == {Flag.ASSET_SEIZURE: "收回情形：财产被保全，2025-11-03"}
    assert raised(None, 2026, trigger, (), dt.date(2025, 11, 2)).flags == ()  # not yet on the judgment day
    before = Lift("asset_seizure", "trigger", None, dt.date(2025, 10, 1))  # an older lift does not lift a new seizure
    assert raised(None, 2026, trigger, [before], DAY).flags != ()
    after = Lift("asset_seizure", "trigger", None, dt.date(2025, 12, 1))
    assert raised(None, 2026, trigger, [after], DAY).flags == ()
    assert raised(None, 2026, [(TriggerKind.MISUSE, dt.date(2025, 11, 3))], (), DAY).flags == ()  # not a 10§ fact
