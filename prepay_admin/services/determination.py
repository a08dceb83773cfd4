"""15§(二): determine every application on a frozen snapshot, re-run until the list is fixed."""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Callable

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from ..contract import facts_as_dict
from ..models import Application, Campaign, Department, Determination, DeterminationAdvance, Institution
from ..policy.engine import evaluate_institution
from ..policy.solvency import FundGate
from ..policy.transitions import APPLICATION, CAMPAIGN, DETERMINATION
from ..profiles import load_profile
from .calendar import working_days_after
from .campaign import get_campaign
from .errors import ServiceError
from .facts import region_facts
from .policy import profile_for
from .workflow import record, staff, transition


@dataclass(frozen=True)
class Run:
    run: int
    determined: int
    eligible: int
    total: Decimal


def determine(sessions: sessionmaker, region_code: str, year: int, user: str,
              progress: Callable[[int, int], None] = lambda done, total: None) -> Run:
    """Run the rules engine over every open application. Earlier results of the year are superseded."""
    with sessions.begin() as session:
        staff(session, user, Department.FUND_SETTLEMENT)
        region, campaign = get_campaign(session, region_code, year, lock=True)
        if campaign.state != "open":
            raise ServiceError(f"{year} 年度名单已确定，不能重新测算", "year")
        profile = profile_for(session, region, year)
        applications = {a.institution_id: a for a in session.scalars(select(Application).where(
            Application.campaign_id == campaign.id, Application.state == "submitted"))}
        if not applications:
            raise ServiceError("没有待核定的申请", "year")
        # the figures recorded when the campaign opened, not today's: the snapshot is frozen
        gates = tuple(FundGate(g.fund, g.payable_months, g.open, ()) for g in campaign.fund_gates)
        for old in session.scalars(select(Determination).where(
                Determination.campaign_id == campaign.id, Determination.state == "computed")):
            transition(session, DETERMINATION, old, "supersede", user, "重新测算")
        campaign.determination_run += 1
        codes = dict(session.execute(select(Institution.code, Institution.id).where(
            Institution.id.in_(list(applications)))).all())
        facts = region_facts(session, region, year, profile)
        judged = {inst.code for inst in facts.institutions}
        unjudgeable = sorted(code for code in codes if code not in judged)
        if unjudgeable:  # no silent rejection: the bureau records the standing first
            raise ServiceError(f"以下申请机构缺少 {year} 年度考核结果（考核等次、绩效评分、信用等级），"
                               f"请先录入：{'、'.join(unjudgeable)}", "year")
        qualification = (profile.calendar.qualification_start.in_campaign(year),
                         profile.calendar.qualification_end.in_campaign(year))
        eligible, total, done = 0, Decimal("0.00"), 0
        for inst in facts.institutions:
            institution_id = codes.get(inst.code)
            if institution_id is None:
                continue
            result = evaluate_institution(inst, year, gates, profile)
            det = Determination(
                campaign_id=campaign.id, run=campaign.determination_run, application_id=applications[institution_id].id,
                institution_id=institution_id, state="computed", eligible=result.eligible, months=result.months,
                ratio=result.ratio, reasons_json=_reasons(result.reasons),
                facts_json=json.dumps(facts_as_dict(inst), ensure_ascii=False), computed_by=user,
                qualification_start=qualification[0], qualification_end=qualification[1],
            )
            session.add(det)
            session.flush()
            record(session, DETERMINATION, det.id, "compute", None, "computed", user, f"第 {det.run} 次测算")
            for a in result.advances:
                session.add(DeterminationAdvance(
                    determination_id=det.id, fund=a.fund, base=a.base, raw=a.raw, rounded=a.rounded, cap=a.cap,
                    amount=a.amount, reasons_json=_reasons(a.reasons),
                ))
            eligible += result.eligible
            total += result.total
            done += 1
            if done % 500 == 0 or done == len(codes):
                progress(done, len(codes))
        return Run(campaign.determination_run, done, eligible, total)


def fix_list(sessions: sessionmaker, region_code: str, year: int, user: str, today: dt.date) -> Campaign:
    """Fix the list (基金结算部门, by the profile's date): the signing window starts (15§(二)(三))."""
    with sessions.begin() as session:
        staff(session, user, Department.FUND_SETTLEMENT)
        region, campaign = get_campaign(session, region_code, year, lock=True)
        calendar = load_profile(campaign.profile).calendar
        last_day = calendar.list_fixed_by.in_campaign(year)
        if today > last_day:
            raise ServiceError(f"名单须于 {last_day} 前确定（15§(二)），今天是 {today}", "today")
        if campaign.determination_run == 0:
            raise ServiceError("尚未测算，不能确定名单", "year")
        transition(session, CAMPAIGN, campaign, "fix_list", user)
        listed = 0
        for det in session.scalars(select(Determination).where(
                Determination.campaign_id == campaign.id, Determination.state == "computed")):
            paid = sum((a.amount for a in det.advances), Decimal(0)) > 0
            transition(session, DETERMINATION, det, "list" if paid else "leave_off", user)
            listed += paid
        for app in session.scalars(select(Application).where(
                Application.campaign_id == campaign.id, Application.state == "submitted")):
            transition(session, APPLICATION, app, "decide", user)
        deadline = working_days_after(session, today, calendar.signing_working_days)
        campaign.list_fixed_on, campaign.list_fixed_by = today, user
        campaign.signing_deadline, campaign.signing_deadline_provisional = deadline.date, deadline.provisional
        return campaign


def _reasons(reasons) -> str:
    return json.dumps([r.as_dict() for r in reasons], ensure_ascii=False)
