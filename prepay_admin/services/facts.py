"""Read the rules engine's facts out of the database (the engine itself never sees a session)."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sqlalchemy import extract, func, select
from sqlalchemy.orm import Session

from ..db import money_sum
from ..models import AnnualStanding, Bar, FundPositionRecord, Institution, InstitutionCondition, MonthlyPayout, Region, SecurityPledge
from ..policy.amount import base_window
from ..policy.facts import FundPosition, InstitutionFacts, Payout, RegionFacts, Security
from ..policy.profile import PolicyProfile
from .errors import NotFound


def get_region(session: Session, code: str) -> Region:
    region = session.scalar(select(Region).where(Region.code == code))
    if region is None:
        raise NotFound(f"没有统筹地区 {code}", "region")
    return region


def fund_positions(session: Session, region: Region, year: int) -> tuple[FundPosition, ...]:
    rows = session.scalars(
        select(FundPositionRecord)
        .where(FundPositionRecord.region_id == region.id, FundPositionRecord.year == year)
        .order_by(FundPositionRecord.fund)
    ).all()
    if not rows:
        raise NotFound(f"统筹地区 {region.name} 没有 {year} 年度的基金结余数据", "year")
    return tuple(
        FundPosition(r.fund, r.cumulative_surplus, r.monthly_expenditure, r.last_year_current_balance,
                     r.projected_current_balance)
        for r in rows
    )


def region_facts(session: Session, region: Region, year: int, profile: PolicyProfile) -> RegionFacts:
    """Every institution with a standing for ``year``, as the engine's facts.

    Payouts are summed per (institution, year, fund) in SQL: the engine's base
    and resident share depend only on those sums, and this keeps a region of
    100,000 institutions to a few hundred thousand rows instead of millions.
    """
    years = sorted(set(base_window(year, profile.amount.base_years)) | {year - 1})
    qualification_start = profile.calendar.qualification_start.in_campaign(year)

    payouts: dict[int, list[Payout]] = defaultdict(list)
    payout_year = extract("year", MonthlyPayout.month)
    rows = session.execute(
        select(MonthlyPayout.institution_id, payout_year, MonthlyPayout.fund,
               money_sum(MonthlyPayout.amount), money_sum(MonthlyPayout.out_of_region))
        .join(Institution, Institution.id == MonthlyPayout.institution_id)
        .where(Institution.region_id == region.id,
               MonthlyPayout.month >= dt.date(years[0], 1, 1), MonthlyPayout.month < dt.date(years[-1] + 1, 1, 1))
        .group_by(MonthlyPayout.institution_id, payout_year, MonthlyPayout.fund)
    )
    for inst_id, y, fund, amount, out in rows:
        payouts[inst_id].append(Payout(dt.date(int(y), 1, 1), fund, amount, out))

    flags: dict[int, set] = defaultdict(set)
    for inst_id, flag in session.execute(
        select(InstitutionCondition.institution_id, InstitutionCondition.flag)
        .join(Institution, Institution.id == InstitutionCondition.institution_id)
        .where(Institution.region_id == region.id, InstitutionCondition.year == year)
    ):
        flags[inst_id].add(flag)

    bars = dict(session.execute(
        select(Bar.institution_id, func.max(Bar.until))
        .join(Institution, Institution.id == Bar.institution_id)
        .where(Institution.region_id == region.id, Bar.since <= dt.date(year, 1, 1))
        .group_by(Bar.institution_id)
    ).all())

    # The security covering the start of the qualification period; the latest registered wins.
    # Columns, not ORM objects, here and below: a region may hold 100,000 institutions.
    securities: dict[int, Security] = {}
    for inst_id, kind, value in session.execute(
        select(SecurityPledge.institution_id, SecurityPledge.kind, SecurityPledge.value)
        .join(Institution, Institution.id == SecurityPledge.institution_id)
        .where(Institution.region_id == region.id, SecurityPledge.valid_from <= qualification_start,
               SecurityPledge.valid_until >= qualification_start)
        .order_by(SecurityPledge.id)
    ):
        securities[inst_id] = Security(kind, value)

    institutions = []
    for row in session.execute(
        select(Institution.id, Institution.code, Institution.name, Institution.kind, Institution.level,
               Institution.state_run, Institution.settled_since, AnnualStanding.assessment,
               AnnualStanding.performance_score, AnnualStanding.credit_grade)
        .join(AnnualStanding, AnnualStanding.institution_id == Institution.id)
        .where(Institution.region_id == region.id, AnnualStanding.year == year)
        .order_by(Institution.code)
    ):
        institutions.append(InstitutionFacts(
            code=row.code, name=row.name, kind=row.kind, level=row.level, state_run=row.state_run,
            settled_since=row.settled_since, assessment=row.assessment,
            performance_score=row.performance_score, credit_grade=row.credit_grade,
            flags=frozenset(flags.get(row.id, ())), barred_until=bars.get(row.id),
            payouts=tuple(payouts.get(row.id, ())), security=securities.get(row.id),
        ))
    return RegionFacts(year, region.code, region.name, fund_positions(session, region, year), tuple(institutions))

