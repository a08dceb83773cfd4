"""Open the year's campaign (15§) and record the fund solvency results (9§, 24§(一))."""
from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from ..models import Campaign, Department, FundGateRecord
from ..policy.solvency import assess_fund
from ..policy.transitions import CAMPAIGN, CampaignState
from .errors import ServiceError
from .facts import fund_positions
from .unit_of_work import region_step


@dataclass(frozen=True)
class GateResult:
    fund: str
    payable_months: str
    open: bool
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Opened:
    campaign_id: int
    profile: str
    gates: tuple[GateResult, ...]


def open_campaign(sessions: sessionmaker, region_code: str, year: int, user: str) -> Opened:
    """财务管理部门 computes the payable months of each fund from the year's figures and opens the campaign."""
    with region_step(sessions, user, region_code, year, Department.FINANCE) as step:
        session, region = step.session, step.region
        if session.scalar(select(Campaign.id).where(Campaign.region_id == region.id, Campaign.year == year)):
            raise ServiceError(f"{region.name} {year} 年度预付已开启", "year")
        profile = step.profile
        campaign = Campaign(region_id=region.id, year=year, profile=profile.name, state=CampaignState.OPEN,
                            opened_by=user)
        session.add(campaign)
        session.flush()
        step.record(CAMPAIGN, campaign.id, "open", None, CampaignState.OPEN, f"政策参数方案 {profile.name}")
        gates = []
        for position in fund_positions(session, region, year):
            gate = assess_fund(position, profile)
            session.add(FundGateRecord(
                campaign_id=campaign.id, fund=position.fund, cumulative_surplus=position.cumulative_surplus,
                monthly_expenditure=position.monthly_expenditure,
                last_year_current_balance=position.last_year_current_balance,
                projected_current_balance=position.projected_current_balance,
                payable_months=gate.payable_months, open=gate.open,
                reasons_json=json.dumps([r.as_dict() for r in gate.reasons], ensure_ascii=False), computed_by=user,
            ))
            gates.append(GateResult(position.fund.value, str(gate.payable_months), gate.open,
                                    tuple(r.message for r in gate.reasons)))
        return Opened(campaign.id, profile.name, tuple(gates))
