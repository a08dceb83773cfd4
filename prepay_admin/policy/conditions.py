"""Conditions of 10§ that come from other facts than 稽核's register (RULES §2, turn 3).

- **The applicant's own declaration.** The self-check form of the application (the Nantong attachment)
  is evidence: an answer that declares a failed condition is a refusal reason citing its article and
  "申请人自查", exactly like a condition the bureau recorded.
- **A recovery trigger's facts.** A trigger whose fact is also a condition of 10§ (asset seizure, an
  unfulfilled court-confirmed debt) stays in force as a condition for later determinations.

Either is lifted only by evidence recorded by 稽核 that it does not apply (who, when, why): a
declaration for its campaign year, a trigger's fact by a lift recorded after the trigger (an older lift
never ends a newer trigger). What is in force is judged when the determination is made: a trigger
recorded after the application still refuses.
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
    recorded_at: dt.datetime  # a trigger's fact is lifted only by a lift recorded after the trigger
    lifted_by: str = ""
    evidence: str = ""


@dataclass(frozen=True)
class Trigger:
    kind: TriggerKind
    occurred_on: dt.date
    recorded_at: dt.datetime


@dataclass(frozen=True)
class RaisedItem:
    """One condition raised by a declaration or a trigger, with the lift that ended it, if any."""

    condition: str  # a Flag value, or ASSESSMENT
    source: str
    origin: str  # where it comes from, said in the reason and on the institution's page
    year: int | None  # a declaration's campaign year
    lift: Lift | None


def declared(answers: Mapping[str, Any], year: int, lifts: Iterable[Lift],
             assessments_allowed: Iterable[str]) -> list[RaisedItem]:
    """What the self-check of the year's application declares (an assessment below those allowed too),
    each with the lift 稽核 recorded for that year."""
    lifts, allowed = list(lifts), set(assessments_allowed)
    conditions = sorted({flag.value for question, (declaring, flag) in DECLARING_ANSWERS.items()
                         if answers.get(question) is declaring})
    if answers.get("last_assessment") is not None and answers["last_assessment"] not in allowed:
        conditions.append(ASSESSMENT)
    return [RaisedItem(c, SELF_CHECK, SOURCES[SELF_CHECK], year,
                       next((l for l in lifts if l.source == SELF_CHECK and l.year == year and l.condition == c), None))
            for c in conditions]


def carried(triggers: Iterable[Trigger], lifts: Iterable[Lift]) -> list[RaisedItem]:
    """What recovery triggers carry (in force for every later determination), each with the first lift of
    its condition recorded after the trigger was (an older lift never ends a newer trigger)."""
    lifts = sorted(lifts, key=lambda l: l.recorded_at)
    items = []
    for t in sorted(triggers, key=lambda t: t.recorded_at):
        flag = TRIGGER_CONDITIONS.get(t.kind)
        if flag is None:
            continue
        lift = next((l for l in lifts if l.source == TRIGGER and l.condition == flag.value
                     and l.recorded_at > t.recorded_at), None)
        items.append(RaisedItem(flag.value, TRIGGER, f"{SOURCES[TRIGGER]}：{TRIGGER_CN[t.kind]}，{t.occurred_on.isoformat()}",
                                None, lift))
    return items


@dataclass(frozen=True)
class Raised:
    """The conditions an institution's own declaration and its triggers raise for a campaign year."""

    flags: tuple[tuple[Flag, str], ...]  # each flag with where it comes from, for the reason's message
    declared_assessment: str | None  # the last assessment the applicant declared below those allowed, unless lifted


def raised(answers: Mapping[str, Any] | None, year: int, triggers: Iterable[Trigger], lifts: Iterable[Lift],
           assessments_allowed: Iterable[str]) -> Raised:
    """What is in force for a determination of ``year``: the year's self-check declarations and every
    trigger's fact recorded so far, less what 稽核 lifted with evidence."""
    lifts = list(lifts)
    items = (declared(answers, year, lifts, assessments_allowed) if answers is not None else []) \
        + carried(triggers, lifts)
    found: dict[Flag, str] = {}
    assessment = None
    for item in items:
        if item.lift is not None:
            continue
        if item.condition == ASSESSMENT:
            assessment = answers["last_assessment"] if answers is not None else None
        else:
            found.setdefault(Flag(item.condition), item.origin)
    return Raised(tuple(sorted(found.items())), assessment)
