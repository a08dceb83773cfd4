"""Conditions of 10§ that come from other facts than 稽核's register (RULES §2, turn 3).

- **The applicant's own declaration.** The self-check form of the application (the Nantong attachment)
  is evidence: an answer that declares a failed condition is a refusal reason citing its article and
  "申请人自查", exactly like a condition the bureau recorded.
- **A recovery trigger's facts.** A trigger whose fact is also a condition of 10§ (asset seizure, an
  unfulfilled court-confirmed debt) stays in force as a condition for later determinations.

Either is lifted only by evidence recorded by 稽核 that it does not apply (who, when, why): a
declaration for its campaign year, a trigger's fact from the day of the lift on.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from .facts import Flag
from .recovery import TRIGGER_CN, TriggerKind

SELF_CHECK = "self_check"  # 申请人自查
TRIGGER = "trigger"  # 收回情形
SOURCES = {SELF_CHECK: "申请人自查", TRIGGER: "收回情形"}
ASSESSMENT = "assessment"  # the declared last assessment: a condition, though not a flag

# the self-check's answer that declares a failed condition: question → (the declaring answer, the flag)
DECLARING_ANSWERS: Mapping[str, tuple[bool, Flag]] = {
    "finance_system_sound": (False, Flag.FINANCES_UNSOUND),
    "operating_normally": (False, Flag.FINANCES_UNSOUND),
    "asset_seizure": (True, Flag.ASSET_SEIZURE),
    "unfulfilled_judgment": (True, Flag.UNFULFILLED_JUDGMENT),
    "enforcement_debtor": (True, Flag.ENFORCEMENT_DEBTOR),
    "cooperates_with_reforms": (False, Flag.REFORM_NONCOOPERATION),
    "traceability_codes_uploaded": (False, Flag.TRACEABILITY_INCOMPLETE),
    "penalized_or_referred": (True, Flag.PENALIZED_LAST_12_MONTHS),
}

# a trigger's fact that is also a condition of 10§(二)
TRIGGER_CONDITIONS: Mapping[TriggerKind, Flag] = {
    TriggerKind.ASSET_SEIZURE: Flag.ASSET_SEIZURE,
    TriggerKind.UNFULFILLED_JUDGMENT: Flag.UNFULFILLED_JUDGMENT,
}

# what may be lifted: every flag a declaration or a trigger can raise, and the declared assessment
LIFTABLE = frozenset({f.value for _, f in DECLARING_ANSWERS.values()} | {f.value for f in TRIGGER_CONDITIONS.values()}
                     | {ASSESSMENT})


@dataclass(frozen=True)
class Lift:
    condition: str  # a Flag value, or ASSESSMENT
    source: str  # SELF_CHECK or TRIGGER
    year: int | None  # the campaign year a declaration's lift is for
    lifted_on: dt.date


@dataclass(frozen=True)
class Raised:
    """The conditions an institution's own declaration and its triggers raise for a campaign year."""

    flags: tuple[tuple[Flag, str], ...]  # each flag with where it comes from, for the reason's message
    declared_assessment: str | None  # the last assessment the applicant declared, unless lifted


def raised(answers: Mapping[str, Any] | None, year: int, triggers: Iterable[tuple[TriggerKind, dt.date]],
           lifts: Iterable[Lift], day: dt.date) -> Raised:
    """What the self-check ``answers`` of the year's application and the ``triggers`` recorded on or
    before ``day`` (the judgment day) raise, less what 稽核 lifted with evidence."""
    lifts = list(lifts)
    lifted_declarations = {l.condition for l in lifts if l.source == SELF_CHECK and l.year == year}
    found: dict[Flag, str] = {}
    for question, (declaring, flag) in DECLARING_ANSWERS.items():
        if answers is not None and answers.get(question) is declaring and flag.value not in lifted_declarations:
            found.setdefault(flag, SOURCES[SELF_CHECK])
    for kind, occurred_on in sorted(triggers, key=lambda t: t[1]):
        flag = TRIGGER_CONDITIONS.get(kind)
        if flag is None or occurred_on > day:
            continue
        if any(l.source == TRIGGER and l.condition == flag.value and occurred_on <= l.lifted_on <= day for l in lifts):
            continue
        found[flag] = f"{SOURCES[TRIGGER]}：{TRIGGER_CN[kind]}，{occurred_on.isoformat()}"
    declared = None
    if answers is not None and ASSESSMENT not in lifted_declarations:
        declared = answers.get("last_assessment")
    return Raised(tuple(sorted(found.items())), declared)
