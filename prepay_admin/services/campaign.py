"""Open the year's campaign (15§) and record the fund solvency results (9§, 24§(一))."""
from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from ..models import Campaign, Department, FundGateRecord
from ..policy.solvency import assess_fund
from ..policy.transitions import CAMPAIGN, CampaignState
from ..profiles import ProfileError
from .books import open_region_books_in
from .errors import ServiceError
from .facts import fund_positions
from .rules import effective_profile, profile_version_for
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
    profile_version: int
    profile_sha256: str
    gates: tuple[GateResult, ...]


def open_campaign(sessions: sessionmaker, region_code: str, year: int, user: str,
                  profile_version: int | None = None) -> Opened:
    """财务管理部门 computes the payable months of each fund from the year's figures and opens the campaign,
    on the latest version of the region's profile or the one staff choose; the campaign keeps that
    version (and its SHA-256) for its whole year."""
    with region_step(sessions, user, region_code, year, Department.FINANCE) as step:
        session, region = step.session, step.region
        if session.scalar(select(Campaign.id).where(Campaign.region_id == region.id, Campaign.year == year)):
            raise ServiceError(f"{region.name} {year} 年度预付已开启", "year")
        try:
            stored = profile_version_for(session, region, year, profile_version)
            profile = effective_profile(session, region, year, version=stored.version)
        except ProfileError as err:
            raise ServiceError("；".join(m for _, m in err.problems), "profile_version") from None
        campaign = Campaign(region_id=region.id, year=year, profile=stored.name, profile_version=stored.version,
                            profile_sha256=stored.sha256, state=CampaignState.OPEN, opened_by=user)
        session.add(campaign)
        session.flush()
        step.record(CAMPAIGN, campaign.id, "open", None, CampaignState.OPEN,
                    f"政策参数方案 {stored.name} 第 {stored.version} 版（SHA-256 {stored.sha256[:12]}…）")
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
        # RULES §7 (turn 3): the books carry the chart of the year's profile
        open_region_books_in(session, region.code, region.name, profile)
        return Opened(campaign.id, stored.name, stored.version, stored.sha256, tuple(gates))
