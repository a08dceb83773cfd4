"""15§(二): determine every application on a frozen snapshot, re-run until the list is fixed."""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Callable

from sqlalchemy import insert, select
from sqlalchemy.orm import sessionmaker

from accounting.schema import money_sum

from ..contract import facts_as_dict
from ..db import insert_many
from ..models import Application, Department, Determination, DeterminationAdvance, Institution
from ..policy.engine import evaluate_institution
from ..policy.solvency import FundGate
from ..policy.transitions import (
    APPLICATION,
    CAMPAIGN,
    DETERMINATION,
    ApplicationState,
    CampaignState,
    DeterminationState,
)
from .calendar import working_days_after
from .errors import ServiceError
from .facts import pledges_valid_on, region_facts
from .unit_of_work import campaign_step


@dataclass(frozen=True)
class Run:
    run: int
    determined: int
    eligible: int
    security_pending: int
    total: Decimal


@dataclass(frozen=True)
class ListFixed:
    fixed_on: dt.date
    listed: int
    signing_working_days: int
    signing_deadline: dt.date
    provisional: bool


def determine(sessions: sessionmaker, region_code: str, year: int, user: str,
              progress: Callable[[int, int], None] = lambda done, total: None) -> Run:
    """Run the rules engine over every open application. Earlier results of the year are superseded."""
    with campaign_step(sessions, user, region_code, year, Department.FUND_SETTLEMENT, lock=True) as step:
        session, region, campaign, profile = step.session, step.region, step.campaign, step.profile
        if campaign.state != CampaignState.OPEN:
            raise ServiceError(f"{year} 年度名单已确定，不能重新测算", "year")
        applications = {a.institution_id: a for a in session.scalars(select(Application).where(
            Application.campaign_id == campaign.id, Application.state == ApplicationState.SUBMITTED))}
        if not applications:
            raise ServiceError("没有待核定的申请", "year")
        # the figures recorded when the campaign opened, not today's: the snapshot is frozen
        gates = tuple(FundGate(g.fund, g.payable_months, g.open, ()) for g in campaign.fund_gates)
        step.transition_many(DETERMINATION, Determination, session.scalars(select(Determination.id).where(
            Determination.campaign_id == campaign.id, Determination.state == DeterminationState.COMPUTED)).all(),
            DeterminationState.COMPUTED, "supersede", "重新测算")
        campaign.determination_run += 1
        # by a join, not a list of ids: a province's applicants outnumber a statement's parameters
        codes = dict(session.execute(select(Institution.code, Institution.id).join(
            Application, Application.institution_id == Institution.id).where(
            Application.campaign_id == campaign.id, Application.state == ApplicationState.SUBMITTED)).all())
        facts = region_facts(session, region, year, profile,
                             applied_on={i: a.submitted_on for i, a in applications.items()})
        judged = {inst.code for inst in facts.institutions}
        unjudgeable = sorted(code for code in codes if code not in judged)
        if unjudgeable:  # no silent rejection: the bureau records the standing first
            raise ServiceError(f"以下申请机构缺少 {year} 年度考核结果（考核等次、绩效评分、信用等级），"
                               f"请先录入：{'、'.join(unjudgeable)}", "year")
        qualification = (profile.calendar.qualification_start.in_campaign(year),
                         profile.calendar.qualification_end.in_campaign(year))
        # a security registered earlier (an earlier year of a 3-year agreement) already caps this year
        pledges = pledges_valid_on(session, region, qualification[0])
        # set-based: the determinations in one insert (their ids read back by institution), then their advances and
        # transitions in one insert each, so a province's run is a few statements, not a few per institution
        judged_rows, rows = [], []
        for inst in facts.institutions:
            institution_id = codes.get(inst.code)
            if institution_id is None:
                continue
            result = evaluate_institution(inst, year, gates, profile)
            judged_rows.append(result)
            rows.append(dict(
                campaign_id=campaign.id, run=campaign.determination_run, application_id=applications[institution_id].id,
                institution_id=institution_id, state=DeterminationState.COMPUTED, eligible=result.eligible,
                months=result.months, ratio=result.ratio, reasons_json=_reasons(result.reasons),
                notes_json=_reasons(result.notes), facts_json=json.dumps(facts_as_dict(inst), ensure_ascii=False),
                computed_by=user, qualification_start=qualification[0], qualification_end=qualification[1],
                security_id=pledges[institution_id][0] if institution_id in pledges and result.eligible else None))
            if len(rows) % 500 == 0:
                progress(len(rows), len(codes))
        ids = insert_many(session, Determination, rows, "institution_id",
                          Determination.campaign_id == campaign.id, Determination.run == campaign.determination_run)
        advances = [dict(determination_id=det_id, fund=a.fund, base=a.base, raw=a.raw, rounded=a.rounded,
                         uncapped=a.uncapped, cap=a.cap, amount=a.amount, reasons_json=_reasons(a.reasons))
                    for det_id, result in zip(ids, judged_rows) for a in result.advances]
        if advances:  # an empty list would insert one row of defaults: a run where nobody is eligible has none
            session.execute(insert(DeterminationAdvance), advances)
        if ids:
            step.created_many(DETERMINATION, ids, "compute", DeterminationState.COMPUTED,
                              f"第 {campaign.determination_run} 次测算")
        progress(len(rows), len(codes))
        campaign.run_count = len(rows)
        campaign.run_total = sum((a.amount for r in judged_rows for a in r.advances), Decimal("0.00"))
        eligible = sum(r.eligible for r in judged_rows)
        pending = sum(bool(r.notes) for r in judged_rows)
        total = sum((r.total for r in judged_rows), Decimal("0.00"))
        done = len(rows)
        return Run(campaign.determination_run, done, eligible, pending, total)


def fix_list(sessions: sessionmaker, region_code: str, year: int, user: str, today: dt.date) -> ListFixed:
    """Fix the list (基金结算部门, by the profile's date): the signing window starts (15§(二)(三))."""
    with campaign_step(sessions, user, region_code, year, Department.FUND_SETTLEMENT, lock=True) as step:
        session, campaign, calendar = step.session, step.campaign, step.profile.calendar
        last_day = calendar.list_fixed_by.in_campaign(year)
        if today > last_day:
            raise ServiceError(f"名单须于 {last_day} 前确定（15§(二)），今天是 {today}", "today")
        # RULES §4: applications are open until their deadline; the list is fixed from the day after
        deadline = calendar.application_deadline.in_campaign(year)
        if today <= deadline:
            raise ServiceError(f"申请受理至 {deadline} 止，名单须在此后确定（15§(一)(二)），今天是 {today}", "today")
        if campaign.determination_run == 0:
            raise ServiceError("尚未测算，不能确定名单", "year")
        step.transition(CAMPAIGN, campaign, "fix_list")
        # set-based: who is listed in one aggregate, each outcome's moves in one insert and one update
        computed = dict(session.execute(
            select(Determination.id, money_sum(DeterminationAdvance.amount))
            .outerjoin(DeterminationAdvance, DeterminationAdvance.determination_id == Determination.id)
            .where(Determination.campaign_id == campaign.id, Determination.state == DeterminationState.COMPUTED)
            .group_by(Determination.id).order_by(Determination.id)).all())
        listed = step.transition_many(DETERMINATION, Determination, [i for i, t in computed.items() if t > 0],
                                      DeterminationState.COMPUTED, "list")
        step.transition_many(DETERMINATION, Determination, [i for i, t in computed.items() if t <= 0],
                             DeterminationState.COMPUTED, "leave_off")
        step.transition_many(APPLICATION, Application, session.scalars(select(Application.id).where(
            Application.campaign_id == campaign.id, Application.state == ApplicationState.SUBMITTED)
            .order_by(Application.id)).all(), ApplicationState.SUBMITTED, "decide")
        # 15§(三): the window's length is the year's (an override changes it)
        deadline = working_days_after(session, step.region.code, today, calendar.signing_working_days)
        campaign.list_fixed_on, campaign.list_fixed_by = today, user
        campaign.signing_deadline, campaign.signing_deadline_provisional = deadline.date, deadline.provisional
        return ListFixed(today, listed, calendar.signing_working_days, deadline.date, deadline.provisional)


def _reasons(reasons) -> str:
    return json.dumps([r.as_dict() for r in reasons], ensure_ascii=False)
