"""15§(一): the applications of a region's year, with their self-check answers, one page at a time."""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from ..models import Application, Institution
from ..policy.transitions import APPLICATION
from ..services.unit_of_work import find_campaign, find_region


@dataclass(frozen=True)
class ApplicationLine:
    id: int
    institution_code: str
    institution_name: str
    state: str
    submitted_on: dt.date
    signed_by: str
    recorded_by: str
    self_check: dict[str, Any]
    declared: tuple[str, ...] = ()  # what the self-check declares against it (10§), in the form's words


@dataclass(frozen=True)
class ApplicationPage:
    items: tuple[ApplicationLine, ...]
    total: int


def applications(sessions: sessionmaker, region_code: str, year: int, page: int, size: int) -> ApplicationPage:
    with sessions() as session:
        campaign = find_campaign(session, find_region(session, region_code), year)
        total = session.scalar(select(func.count()).select_from(Application)
                               .where(Application.campaign_id == campaign.id))
        rows = session.execute(
            select(Application, Institution).join(Institution, Institution.id == Application.institution_id)
            .where(Application.campaign_id == campaign.id).order_by(Institution.code, Application.id)
            .offset((page - 1) * size).limit(size))
        return ApplicationPage(tuple(
            ApplicationLine(a.id, i.code, i.name, APPLICATION.label(a.state), a.submitted_on, a.signed_by,
                            a.recorded_by, answers, declared(answers))
            for a, i in rows for answers in [json.loads(a.self_check_json)]), total)


def declared(answers: dict[str, Any]) -> tuple[str, ...]:
    """The self-check's answers that speak against the application (10§): each question whose answer is not
    an institution's with nothing to declare, as the form asks it."""
    from ..services.applications import SELF_CHECK_QUESTIONS, clean_answers

    clean = clean_answers()
    return tuple(f"{question}：{_answer(question, answers.get(key))}" for key, question in SELF_CHECK_QUESTIONS.items()
                 if key in answers and answers.get(key) != clean.get(key))


def _answer(question: str, value: Any) -> str:
    from ..policy.reasons import ASSESSMENT_CN

    if isinstance(value, bool):
        for asks, yes, no in (("有无", "有", "无"), ("能否", "能", "不能"), ("是否", "是", "否")):
            if asks in question:
                return yes if value else no
        return "是" if value else "否"
    return ASSESSMENT_CN.get(value, str(value))
