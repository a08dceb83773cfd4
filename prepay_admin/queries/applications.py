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
                            a.recorded_by, json.loads(a.self_check_json)) for a, i in rows), total)
