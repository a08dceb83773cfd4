"""The scheduler's work: the signing-window sweep, reminders, and the holiday-calendar check.

Each function is safe to run twice and from two processes at once: a
determination moves to 视作放弃 only by a conditional UPDATE that one writer
wins, and a notice is written once per key.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from ..clock import utcnow
from ..models import Campaign, Determination, Institution, Notice, PaymentBatch, Region
from ..policy.departments import Department
from ..policy.transitions import DETERMINATION, IN_SIGNING_WINDOW, BatchState, CampaignState, DeterminationState
from .calendar import year_known
from .rules import effective_profile
from .unit_of_work import record_transition


def give_up_reason(working_days: int) -> str:
    return f"名单确定后 {working_days} 个工作日内未履行担保、抵押手续或签订预付协议，视作放弃预付资格（15§(三)）"


@dataclass(frozen=True)
class SweepResult:
    given_up: int
    provisional_skipped: int


def sweep(sessions: sessionmaker, today: dt.date, actor: str = "scheduler") -> SweepResult:
    """Mark as given up every listed institution whose signing window closed before ``today``."""
    given_up = skipped = 0
    with sessions.begin() as session:
        for campaign in session.scalars(select(Campaign).where(
                Campaign.state == CampaignState.LIST_FIXED, Campaign.signing_deadline < today)):
            candidates = session.execute(select(Determination.id, Determination.state).where(
                Determination.campaign_id == campaign.id, Determination.state.in_(IN_SIGNING_WINDOW))).all()
            region = session.get(Region, campaign.region_id)
            why = give_up_reason(effective_profile(session, region, campaign.year).calendar.signing_working_days)
            if campaign.signing_deadline_provisional:
                # never act on a guessed deadline: tell staff instead
                skipped += len(candidates)
                if candidates:
                    notify(session, f"provisional-sweep:{campaign.id}", "warning",
                           f"{campaign.year} 年度签约期限 {campaign.signing_deadline} 为暂定（节假日安排未载入），"
                           f"{len(candidates)} 家机构未被自动视作放弃，请载入节假日安排后核对",
                           region_id=campaign.region_id, department=Department.FUND_SETTLEMENT)
                continue
            for det_id, state in candidates:
                target = DETERMINATION.next(state, "give_up")
                won = session.execute(
                    update(Determination).where(Determination.id == det_id, Determination.state == state)
                    .values(state=target).execution_options(synchronize_session=False)
                ).rowcount
                if won != 1:
                    continue  # another sweep (or a signature) got there first
                record_transition(session, DETERMINATION, det_id, "give_up", state, target, actor, why)
                given_up += 1
    return SweepResult(given_up, skipped)


def remind(sessions: sessionmaker, today: dt.date, within_days: int = 3) -> int:
    """A notice per institution whose signing window closes within ``within_days`` days."""
    written = 0
    with sessions.begin() as session:
        rows = session.execute(
            select(Determination, Institution, Campaign)
            .join(Institution, Institution.id == Determination.institution_id)
            .join(Campaign, Campaign.id == Determination.campaign_id)
            .where(Campaign.state == CampaignState.LIST_FIXED, Determination.state.in_(IN_SIGNING_WINDOW),
                   Campaign.signing_deadline >= today,
                   Campaign.signing_deadline <= today + dt.timedelta(days=within_days))
        )
        for det, inst, campaign in rows:
            todo = "办理担保、抵押手续并签订预付协议" if det.state == DeterminationState.LISTED else "签订预付协议"
            written += notify(session, f"remind:{det.id}:{today}", "reminder",
                              f"{inst.name}（{inst.code}）须于 {campaign.signing_deadline} 前{todo}，逾期视作放弃",
                              region_id=campaign.region_id, department=Department.FUND_SETTLEMENT)
    return written


UNPAID = (DeterminationState.LISTED, DeterminationState.SECURED, DeterminationState.SIGNED)


def remind_payment(sessions: sessionmaker, today: dt.date, within_days: int = 7) -> int:
    """15§(四): the list must be confirmed and paid by the profile's date (31 January Nantong,
    31 March Hebei, or the year's override). From ``within_days`` before it until it has passed,
    a daily notice names what is still unpaid; once per campaign and day."""
    written = 0
    with sessions.begin() as session:
        for campaign, region in session.execute(select(Campaign, Region).join(Region, Region.id == Campaign.region_id)):
            due = effective_profile(session, region, campaign.year).calendar.confirmed_and_paid_by.in_campaign(campaign.year)
            if not due - dt.timedelta(days=within_days) <= today <= due + dt.timedelta(days=within_days):
                continue
            unpaid = session.scalar(select(func.count()).select_from(Determination).where(
                Determination.campaign_id == campaign.id, Determination.run == campaign.determination_run,
                Determination.state.in_(UNPAID)))
            open_batches = session.scalar(select(func.count()).select_from(PaymentBatch).where(
                PaymentBatch.campaign_id == campaign.id, PaymentBatch.state != BatchState.PAID))
            if not unpaid and not open_batches:
                continue
            when = "已逾期" if today > due else f"还有 {(due - today).days} 天"
            written += notify(session, f"pay-by:{campaign.id}:{today}", "warning" if today > due else "reminder",
                              f"{region.name} {campaign.year} 年度预付金须于 {due} 前完成审核确认并拨付（{when}）："
                              f"尚有 {unpaid} 家机构未拨付、{open_batches} 个批次未完成",
                              region_id=region.id, department=None)
    return written


def check_calendar(sessions: sessionmaker, today: dt.date) -> bool:
    """In November and December, warn if next year's holiday arrangement is not loaded yet."""
    if today.month < 11:
        return False
    with sessions.begin() as session:
        if year_known(session, today.year + 1):
            return False
        notify(session, f"calendar:{today.year + 1}:{today}", "warning",
               f"{today.year + 1} 年节假日安排尚未载入：签约期限将按周一至周五暂定。"
               f"请升级日历库或录入国务院办公厅通知的节假日安排", region_id=None, department=Department.ADMINISTRATOR)
        return True


def notify(session: Session, key: str, kind: str, message: str, *, region_id: int | None,
           department: Department | None) -> int:
    """Write a notice once per key, whoever else is writing it (returns 1 if this call wrote it). It is
    addressed to a region (None: the whole service) and the department that acts on it (None: everyone),
    whose to-do lists show it."""
    dialect = session.get_bind().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(Notice)
    written = session.execute(insert.values(key=key, kind=kind, message=message, created_at=utcnow(),
                                            region_id=region_id, department=department)
                              .on_conflict_do_nothing(index_elements=["key"]).returning(Notice.id)).first()
    return 0 if written is None else 1



