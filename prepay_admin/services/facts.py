"""Read the rules engine's facts out of the database (the engine itself never sees a session)."""
from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db import money_sum
from ..models import (
    AnnualStanding,
    Application,
    Bar,
    Campaign,
    ConditionLift,
    FundPositionRecord,
    Institution,
    InstitutionCondition,
    MonthlyPayout,
    RecoveryTrigger,
    Region,
    SecurityPledge,
)
from ..policy.amount import base_window
from ..policy.conditions import TRIGGER_CONDITIONS, Lift, Raised, RaisedItem, Trigger, carried, declared
from ..policy.conditions import raised as raised_for
from ..policy.facts import Assessment, FundPosition, InstitutionFacts, Payout, RegionFacts, Security
from ..policy.facts import Bar as BarFacts
from ..policy.profile import PolicyProfile
from ..policy.recovery import TriggerKind
from ..policy.transitions import ApplicationState
from .errors import NotFound


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


def pledges_valid_on(session: Session, region: Region, day: dt.date) -> dict[int, tuple[int, Security]]:
    """The security each institution holds on ``day`` (the latest registered wins): its id and facts.

    RULES §2: each year's cap uses the security valid on that year's qualification start.
    """
    held: dict[int, tuple[int, Security]] = {}
    for pledge_id, inst_id, kind, value in session.execute(
        select(SecurityPledge.id, SecurityPledge.institution_id, SecurityPledge.kind, SecurityPledge.value)
        .join(Institution, Institution.id == SecurityPledge.institution_id)
        .where(Institution.region_id == region.id, SecurityPledge.valid_from <= day, SecurityPledge.valid_until >= day)
        .order_by(SecurityPledge.id)
    ):
        held[inst_id] = (pledge_id, Security(kind, value))
    return held


def raised_of_institution(session: Session, region: Region, institution_id: int,
                          assessments_allowed_of) -> list[RaisedItem]:
    """Every condition the institution's self-checks (one per campaign year, withdrawn ones left out) and
    its triggers have raised, each with its lift: the institution's page and the lift's own check.
    ``assessments_allowed_of(year)``: the assessments the year's rules allow."""
    lifts = [lift_of(row) for row in session.execute(
        lifts_query().where(ConditionLift.institution_id == institution_id).order_by(ConditionLift.id))]
    items: list[RaisedItem] = []
    for year, text in session.execute(
            select(Campaign.year, Application.self_check_json).join(Campaign, Campaign.id == Application.campaign_id)
            .where(Application.institution_id == institution_id, Application.state != ApplicationState.WITHDRAWN)
            .order_by(Campaign.year.desc())):
        items += declared(json.loads(text), year, lifts, assessments_allowed_of(year))
    triggers = [Trigger(TriggerKind(kind), occurred_on, _utc(recorded_at)) for kind, occurred_on, recorded_at in
                session.execute(select(RecoveryTrigger.kind, RecoveryTrigger.occurred_on, RecoveryTrigger.recorded_at)
                                .where(RecoveryTrigger.institution_id == institution_id,
                                       RecoveryTrigger.kind.in_(list(TRIGGER_CONDITIONS))))]
    return items + carried(triggers, lifts)[::-1]


def _raised_conditions(connection, region: Region, year: int, assessments_allowed) -> dict[int, Raised]:
    """RULES §2 (turn 3): per institution, the conditions its self-check of ``year`` declares and its
    recovery triggers carry, less what 稽核 lifted with evidence (few rows: applications of the year,
    triggers and lifts). Judged as they stand when the determination is made."""
    answers = {inst_id: json.loads(text) for inst_id, text in connection.execute(
        select(Application.institution_id, Application.self_check_json)
        .join(Campaign, Campaign.id == Application.campaign_id)
        .where(Campaign.region_id == region.id, Campaign.year == year,
               Application.state != ApplicationState.WITHDRAWN))}
    triggered: dict[int, list[Trigger]] = defaultdict(list)
    for inst_id, kind, occurred_on, recorded_at in connection.execute(
            select(RecoveryTrigger.institution_id, RecoveryTrigger.kind, RecoveryTrigger.occurred_on,
                   RecoveryTrigger.recorded_at)
            .join(Institution, Institution.id == RecoveryTrigger.institution_id)
            .where(Institution.region_id == region.id, RecoveryTrigger.kind.in_(list(TRIGGER_CONDITIONS)))):
        triggered[inst_id].append(Trigger(TriggerKind(kind), occurred_on, _utc(recorded_at)))
    lifts: dict[int, list[Lift]] = defaultdict(list)
    for row in connection.execute(lifts_query().join(Institution, Institution.id == ConditionLift.institution_id)
                                  .where(Institution.region_id == region.id)):
        lifts[row.institution_id].append(lift_of(row))
    return {inst_id: raised_for(answers.get(inst_id), year, triggered.get(inst_id, ()), lifts.get(inst_id, ()),
                                assessments_allowed)
            for inst_id in set(answers) | set(triggered)}


def lifts_query():
    """稽核's lifts with what ``lift_of`` needs (one definition for the facts and the institution's page)."""
    return select(ConditionLift.institution_id, ConditionLift.condition, ConditionLift.source, ConditionLift.year,
                  ConditionLift.lifted_on, ConditionLift.recorded_at, ConditionLift.lifted_by, ConditionLift.evidence)


def lift_of(row) -> Lift:
    return Lift(row.condition, row.source, row.year, row.lifted_on, _utc(row.recorded_at), row.lifted_by, row.evidence)


def _utc(moment: dt.datetime) -> dt.datetime:
    """Core rows of a UtcDateTime column come back aware; compare them as such."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.timezone.utc)


def region_facts(session: Session, region: Region, year: int, profile: PolicyProfile,
                 applied_on: dict[int, dt.date] | None = None) -> RegionFacts:
    """Every institution with a standing for ``year``, as the engine's facts.

    ``applied_on`` (institution id → application date) is the day a bar of
    21§(六) is judged on; without it (a what-if) the profile's application deadline.

    Payouts are summed per (institution, year, fund) in SQL: the engine's base
    and resident share depend only on those sums, and this keeps a region of
    100,000 institutions to a few hundred thousand rows instead of millions.
    """
    years = sorted(set(base_window(year, profile.amount.base_years)) | {year - 1})
    qualification_start = profile.calendar.qualification_start.in_campaign(year)

    # one aggregate per window year (at most four): a constant year instead of a date function on
    # every row, which on SQLite costs a third of the query; Core rows, no ORM bookkeeping
    payouts: dict[int, list[Payout]] = defaultdict(list)
    connection = session.connection()
    for payout_year in years:
        month = dt.date(payout_year, 1, 1)
        for inst_id, fund, amount, out in connection.execute(
            select(MonthlyPayout.institution_id, MonthlyPayout.fund,
                   money_sum(MonthlyPayout.amount), money_sum(MonthlyPayout.out_of_region))
            .join(Institution, Institution.id == MonthlyPayout.institution_id)
            .where(Institution.region_id == region.id,
                   MonthlyPayout.month >= month, MonthlyPayout.month < dt.date(payout_year + 1, 1, 1))
            .group_by(MonthlyPayout.institution_id, MonthlyPayout.fund)
        ).all():
            payouts[inst_id].append(Payout(month, fund, amount, out))

    flags: dict[int, set] = defaultdict(set)
    for inst_id, flag in connection.execute(
        select(InstitutionCondition.institution_id, InstitutionCondition.flag)
        .join(Institution, Institution.id == InstitutionCondition.institution_id)
        .where(Institution.region_id == region.id, InstitutionCondition.year == year)
    ):
        flags[inst_id].add(flag)

    # 21§(六): the latest bar that began on or before the day the institution is judged on
    applied_on = applied_on or {}
    deadline = profile.calendar.application_deadline.in_campaign(year)
    bars: dict[int, BarFacts] = {}
    for inst_id, since, until in connection.execute(
        select(Bar.institution_id, Bar.since, Bar.until)
        .join(Institution, Institution.id == Bar.institution_id)
        .where(Institution.region_id == region.id).order_by(Bar.since, Bar.id)
    ):
        if since <= applied_on.get(inst_id, deadline):
            bars[inst_id] = BarFacts(since, until)

    # Columns, not ORM objects, here and below: a region may hold 100,000 institutions.
    securities = pledges_valid_on(session, region, qualification_start)
    raised = _raised_conditions(connection, region, year, profile.eligibility.assessments_allowed)

    institutions = []
    for row in connection.execute(
        select(Institution.id, Institution.code, Institution.name, Institution.kind, Institution.level,
               Institution.state_run, Institution.settled_since, AnnualStanding.assessment,
               AnnualStanding.performance_score, AnnualStanding.credit_grade)
        .join(AnnualStanding, AnnualStanding.institution_id == Institution.id)
        .where(Institution.region_id == region.id, AnnualStanding.year == year)
        .order_by(Institution.code)
    ).all():
        own = raised.get(row.id)
        if own is not None:  # RULES §2: the applicant's declaration and its triggers' facts are conditions too
            flags[row.id] |= {flag for flag, _ in own.flags}
        institutions.append(InstitutionFacts(
            code=row.code, name=row.name, kind=row.kind, level=row.level, state_run=row.state_run,
            settled_since=row.settled_since, assessment=row.assessment,
            performance_score=row.performance_score, credit_grade=row.credit_grade,
            flags=frozenset(flags.get(row.id, ())), bar=bars.get(row.id),
            payouts=tuple(payouts.get(row.id, ())), security=securities.get(row.id, (None, None))[1],
            applied_on=applied_on.get(row.id),
            flag_sources=own.flags if own is not None else (),
            declared_assessment=Assessment(own.declared_assessment) if own and own.declared_assessment else None,
        ))
    return RegionFacts(year, region.code, region.name, fund_positions(session, region, year), tuple(institutions))

