"""RULES §2 (turn 3): lifting, with evidence, a condition that the applicant declared on its self-check or
that a recovery trigger carries. 稽核 does it (24§(三): evidence for 10§): who, when and why are kept,
and nothing is lifted silently. A determination made after the lift no longer refuses for it."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from .. import clock
from ..models import AuditEvent, ConditionLift, Department, Institution
from ..policy.conditions import ASSESSMENT, LIFTABLE, SELF_CHECK, SOURCES, TRIGGER
from ..policy.reasons import MESSAGES
from .dates import not_after_today
from .errors import NotFound, ServiceError
from .facts import raised_of_institution
from .rules import effective_profile
from .unit_of_work import find_region, staff_step


@dataclass(frozen=True)
class Lifted:
    lift_id: int
    institution_code: str
    condition: str
    source: str
    year: int | None
    lifted_on: dt.date


def condition_label(condition: str) -> str:
    return "上年度考核结果" if condition == ASSESSMENT else MESSAGES.get(condition, condition)


def lift(sessions: sessionmaker, region_code: str, institution_code: str, condition: str, source: str,
         evidence: str, user: str, *, year: int | None = None, lifted_on: dt.date | None = None) -> Lifted:
    """Record 稽核's evidence that ``condition`` does not apply: a self-check declaration for its campaign
    ``year``, or a trigger's fact from ``lifted_on`` (today by default) on."""
    lifted_on = lifted_on or clock.today()
    evidence = (evidence or "").strip()
    if condition not in LIFTABLE:
        raise ServiceError(f"情形须为以下之一：{'、'.join(sorted(LIFTABLE))}", "condition")
    if source not in SOURCES:
        raise ServiceError("来源须为 self_check（申请人自查）或 trigger（收回情形）", "source")
    if source == SELF_CHECK and year is None:
        raise ServiceError("解除申请人自查所报情形须填写申请年度", "year")
    if source == TRIGGER and condition == ASSESSMENT:
        raise ServiceError("考核结果不是收回情形带来的条件", "condition")
    if not evidence:
        raise ServiceError("须填写不适用该情形的依据（谁出具、何时、为何）", "evidence")
    if len(evidence) > 500:
        raise ServiceError("依据不能超过 500 个字符", "evidence")
    not_after_today(lifted_on, "lifted_on", "解除日期")
    with staff_step(sessions, user, Department.INSPECTION) as step:
        step.enter(find_region(step.session, region_code))
        inst = step.session.scalar(select(Institution).where(
            Institution.region_id == step.region.id, Institution.code == (institution_code or "").strip().upper()))
        if inst is None:
            raise NotFound(f"本统筹地区没有机构 {institution_code}", "institution")
        allowed = lambda y: effective_profile(step.session, step.region, y).eligibility.assessments_allowed  # noqa: E731
        open_items = [i for i in raised_of_institution(step.session, step.region, inst.id, allowed)
                      if i.lift is None and i.condition == condition and i.source == source
                      and (source == TRIGGER or i.year == year)]
        if not open_items:  # nothing is lifted before it is raised, nor twice
            raise ServiceError(f"{inst.name} 没有尚在适用的“{condition_label(condition)}”（{SOURCES[source]}"
                               f"{f'，{year} 年度' if source == SELF_CHECK else ''}），无须解除", "condition")
        row = ConditionLift(institution_id=inst.id, condition=condition, source=source,
                            year=year if source == SELF_CHECK else None, evidence=evidence, lifted_on=lifted_on,
                            lifted_by=user)
        step.session.add(row)
        step.session.flush()
        step.session.add(AuditEvent(actor=user, kind="condition_lift", detail=(
            f"{step.region.code} 解除 {inst.code} 的“{condition_label(condition)}”（{SOURCES[source]}"
            f"{f'，{year} 年度' if row.year else ''}）：{evidence}")[:500]))
        return Lifted(row.id, inst.code, condition, source, row.year, lifted_on)
