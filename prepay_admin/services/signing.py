"""15§(三), 16§: within the signing window, register the security and sign the agreement."""
from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ..models import Agreement, Campaign, Department, Determination, Institution, SecurityPledge
from ..policy import amount as amt
from ..policy.facts import Security, SecurityKind
from ..policy.money import fmt_yuan_cn
from ..policy.transitions import AGREEMENT, DETERMINATION
from ..profiles import load_profile
from .campaign import get_campaign
from .errors import NotFound, ServiceError
from .workflow import record, staff, transition


def current_determination(session: Session, campaign: Campaign, institution_code: str, *, lock: bool = False) -> tuple[Determination, Institution]:
    """The institution's determination of the fixed list (its latest run)."""
    query = (select(Determination, Institution).join(Institution, Institution.id == Determination.institution_id)
             .where(Determination.campaign_id == campaign.id, Institution.code == institution_code,
                    Determination.run == campaign.determination_run))
    row = session.execute(query.with_for_update(of=Determination) if lock else query).first()
    if row is None:
        raise NotFound(f"{institution_code} 不在 {campaign.year} 年度核定结果中", "institution")
    return row[0], row[1]


def _within_window(campaign: Campaign, on: dt.date) -> None:
    if campaign.signing_deadline is None:
        raise ServiceError("名单尚未确定，不能办理担保或签约", "year")
    if on < campaign.list_fixed_on:
        raise ServiceError(f"日期 {on} 早于名单确定日 {campaign.list_fixed_on}", "on")
    if on > campaign.signing_deadline:
        raise ServiceError(
            f"已超过名单确定后 7 个工作日的期限（{campaign.signing_deadline}），逾期视作放弃预付资格（15§(三)）", "on")


def register_security(sessions: sessionmaker, region_code: str, year: int, institution_code: str,
                      kind: SecurityKind, value: Decimal, registration_ref: str, on: dt.date, user: str) -> Determination:
    """Record the pledge or guarantee actually registered; the amount is capped again by it (13§)."""
    if value <= 0:
        raise ServiceError("担保、抵押金额须大于 0", "value")
    if not registration_ref.strip():
        raise ServiceError("须填写抵押登记或担保函编号", "registration_ref")
    with sessions.begin() as session:
        staff(session, user, Department.FUND_SETTLEMENT)
        region, campaign = get_campaign(session, region_code, year)
        det, inst = current_determination(session, campaign, institution_code, lock=True)
        _within_window(campaign, on)
        profile = load_profile(campaign.profile)
        if (kind == SecurityKind.CREDIT_GUARANTEE and profile.eligibility.credit_guarantee_requires_state_run
                and not inst.state_run):
            raise ServiceError("非国家机关或国有资产举办的公益性机构不得实行信用担保，须履行资产抵押手续（10§(二)）", "kind")
        transition(session, DETERMINATION, det, "register_security", user, f"{registration_ref} {fmt_yuan_cn(value)} 元")
        pledge = SecurityPledge(institution_id=inst.id, kind=kind, value=value, registration_ref=registration_ref,
                                valid_from=on, valid_until=det.qualification_end)
        session.add(pledge)
        session.flush()
        det.security_id = pledge.id
        for a in det.advances:
            if a.amount > 0:
                final = amt.advance(a.fund, a.base, det.months, det.ratio, Security(kind, value), True, profile)
                a.final_amount, a.final_cap = final.amount, final.cap
                a.final_reasons_json = json.dumps([r.as_dict() for r in final.reasons], ensure_ascii=False)
            else:
                a.final_amount, a.final_reasons_json = Decimal("0.00"), "[]"
        return det


def sign(sessions: sessionmaker, region_code: str, year: int, institution_code: str, on: dt.date, user: str) -> Agreement:
    """Sign the prepayment agreement; an agreement still running covers this year too (16§)."""
    with sessions.begin() as session:
        staff(session, user, Department.FUND_SETTLEMENT)
        region, campaign = get_campaign(session, region_code, year)
        det, inst = current_determination(session, campaign, institution_code, lock=True)
        _within_window(campaign, on)
        agreement = session.scalar(select(Agreement).where(
            Agreement.institution_id == inst.id, Agreement.state == "active",
            Agreement.first_year <= year, Agreement.last_year >= year))
        profile = load_profile(campaign.profile)
        if det.security_id is None and profile.eligibility.security_required:
            raise ServiceError("须先办理担保、抵押手续再签订预付协议（10§(二)、15§(三)）", "institution")
        transition(session, DETERMINATION, det, "sign", user)
        if agreement is None:
            years = profile.calendar.agreement_years
            agreement = Agreement(institution_id=inst.id, agreement_no=f"YF-{region.code}-{year}-{inst.code}",
                                  first_year=year, last_year=year + years - 1, signed_on=on, signed_by=user,
                                  state="active")
            session.add(agreement)
            session.flush()
            record(session, AGREEMENT, agreement.id, "sign", None, "active", user,
                   f"有效期 {agreement.first_year}—{agreement.last_year} 年度")
        det.agreement_id = agreement.id
        return agreement
