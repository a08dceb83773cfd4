"""Open the year's campaign (15§) and record the fund solvency results (9§, 24§(一))."""
from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ..models import Campaign, Department, FundGateRecord, Region
from ..policy.solvency import assess_fund
from ..policy.transitions import CAMPAIGN
from .errors import NotFound, ServiceError
from .facts import fund_positions, get_region
from .policy import profile_for
from .workflow import record, staff


@dataclass(frozen=True)
class Opened:
    campaign_id: int
    gates: tuple[FundGateRecord, ...]


def get_campaign(session: Session, region_code: str, year: int, *, lock: bool = False) -> tuple[Region, Campaign]:
    region = get_region(session, region_code)
    query = select(Campaign).where(Campaign.region_id == region.id, Campaign.year == year)
    campaign = session.scalar(query.with_for_update() if lock else query)
    if campaign is None:
        raise NotFound(f"{region.name} 尚未开启 {year} 年度预付", "year")
    return region, campaign


def open_campaign(sessions: sessionmaker, region_code: str, year: int, user: str) -> Opened:
    """财务管理部门 computes the payable months of each fund from the year's figures and opens the campaign."""
    with sessions.begin() as session:
        staff(session, user, Department.FINANCE)
        region = get_region(session, region_code)
        if session.scalar(select(Campaign).where(Campaign.region_id == region.id, Campaign.year == year)):
            raise ServiceError(f"{region.name} {year} 年度预付已开启", "year")
        profile = profile_for(session, region, year)
        campaign = Campaign(region_id=region.id, year=year, profile=profile.name, state="open", opened_by=user)
        session.add(campaign)
        session.flush()
        record(session, CAMPAIGN, campaign.id, "open", None, "open", user, f"政策参数方案 {profile.name}")
        gates = []
        for position in fund_positions(session, region, year):
            gate = assess_fund(position, profile)
            row = FundGateRecord(
                campaign_id=campaign.id, fund=position.fund, cumulative_surplus=position.cumulative_surplus,
                monthly_expenditure=position.monthly_expenditure,
                last_year_current_balance=position.last_year_current_balance,
                projected_current_balance=position.projected_current_balance,
                payable_months=gate.payable_months, open=gate.open,
                reasons_json=json.dumps([r.as_dict() for r in gate.reasons], ensure_ascii=False), computed_by=user,
            )
            session.add(row)
            gates.append(row)
        session.flush()
        return Opened(campaign.id, tuple(gates))
