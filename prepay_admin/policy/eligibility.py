"""RULES §2: is an institution eligible for the annual advance? Every failed condition is reported."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .facts import InstitutionFacts, SecurityKind
from .profile import PolicyProfile
from .reasons import ASSESSMENT_CN, KIND_CN, LEVEL_CN, Reason, reason


@dataclass(frozen=True)
class Eligibility:
    eligible: bool
    reasons: tuple[Reason, ...]


def settlement_cutoff(year: int, full_years: int) -> dt.date:
    """Interpretation of 10§(一): settled for a full natural year before ``year``
    means settlement started on or before 1 January of ``year − full_years``."""
    return dt.date(year - full_years, 1, 1)


def judgment_day(inst: InstitutionFacts, year: int, profile: PolicyProfile) -> dt.date:
    """The day conditions that run in time are judged on: the application's date, or
    in a what-if (no application) the profile's application deadline (RULES §2)."""
    return inst.applied_on or profile.calendar.application_deadline.in_campaign(year)


def judge(inst: InstitutionFacts, year: int, profile: PolicyProfile) -> Eligibility:
    rules = profile.eligibility
    a = profile.citations
    reasons: list[Reason] = []

    # 7§, 10§: annual advances are for designated medical institutions, not pharmacies
    if inst.kind not in rules.eligible_kinds:
        reasons.append(reason("kind_not_eligible", a, kind_cn=KIND_CN[inst.kind]))
    # 10§(三): level 一级 or above, or a community health service centre
    elif inst.kind not in rules.level_exempt_kinds and inst.level < rules.min_level:
        reasons.append(reason("level_below_minimum", a, level_cn=LEVEL_CN.get(inst.level, str(inst.level))))

    # 10§(一): settled normally for at least one full natural year
    cutoff = settlement_cutoff(year, rules.settlement_full_years)
    if inst.settled_since > cutoff:
        reasons.append(
            reason("settlement_under_one_year", a, settled_since=inst.settled_since.isoformat(),
                   years=rules.settlement_full_years, cutoff=cutoff.isoformat())
        )
    # 10§(一): last year's assessment 优秀 or 良好 (Hebei: 合格以上)
    if inst.assessment not in rules.assessments_allowed:
        allowed = "、".join(ASSESSMENT_CN[x] for x in sorted(rules.assessments_allowed, key=_assessment_rank))
        reasons.append(
            reason("assessment_below_required", a, assessment_cn=ASSESSMENT_CN[inst.assessment], allowed_cn=allowed)
        )
    # 10§(一): fund-use performance score ≥ 80
    if rules.min_score is not None and inst.performance_score < rules.min_score:
        reasons.append(reason("score_below_minimum", a, score=inst.performance_score, minimum=rules.min_score))
    # 10§(三): credit grade A or B
    if rules.grades_allowed is not None and inst.credit_grade not in rules.grades_allowed:
        reasons.append(
            reason("credit_grade_not_allowed", a, grade=inst.credit_grade,
                   allowed="、".join(sorted(rules.grades_allowed)))
        )
    # 10§(二) with 15§(三): the security belongs to signing, so none yet is no refusal
    # (the engine notes it); only a credit guarantee from a non-state-run institution is refused
    if (
        inst.security is not None
        and inst.security.kind == SecurityKind.CREDIT_GUARANTEE
        and rules.credit_guarantee_requires_state_run
        and not inst.state_run
    ):
        reasons.append(reason("security_kind_not_allowed", a))

    # RULES §2 (turn 3): the applicant's own declaration of a failed assessment refuses like the bureau's record
    declared = inst.declared_assessment
    if declared is not None and declared not in rules.assessments_allowed and inst.assessment in rules.assessments_allowed:
        allowed = "、".join(ASSESSMENT_CN[x] for x in sorted(rules.assessments_allowed, key=_assessment_rank))
        found = reason("assessment_below_required", a, assessment_cn=ASSESSMENT_CN[declared], allowed_cn=allowed)
        reasons.append(Reason(found.code, found.article, f"{found.message}（申请人自查）"))

    # 10§(二)(四)(五)(六): conditions that hold against the institution: recorded by 稽核, declared by the
    # applicant (申请人自查) or carried by a recovery trigger, each said where it comes from
    sources = dict(inst.flag_sources)
    for flag in sorted(inst.flags & rules.disqualifying_flags):
        found = reason(flag.value, a)
        reasons.append(Reason(found.code, found.article, f"{found.message}（{sources[flag]}）")
                       if flag in sources else found)

    # 21§(六): "三年内不得申请" — barred if the bar is in force on the day of the application
    day = judgment_day(inst, year, profile)
    if inst.bar is not None and inst.bar.in_force_on(day):
        reasons.append(reason("barred", a, since=inst.bar.since.isoformat(), until=inst.bar.until.isoformat(),
                              on=day.isoformat()))

    return Eligibility(eligible=not reasons, reasons=tuple(reasons))


_ASSESSMENT_ORDER = {"excellent": 0, "good": 1, "pass": 2, "fail": 3}


def _assessment_rank(value: str) -> int:
    return _ASSESSMENT_ORDER[value]
