"""The dashboard of a region's year: can each fund afford an advance (9§), how far the year's cycle
has come (15§), which deadlines are ahead, and how much is out with the hospitals per fund.

Plain data for the screen and the API; the screen draws the charts from these numbers.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import sessionmaker

from ..models import Application, BatchItem, Campaign, FundPositionRecord, PaymentBatch
from ..policy.facts import Fund, FundPosition
from ..policy.solvency import assess_fund
from ..policy.transitions import ApplicationState, BatchState
from ..policy.transitions import DeterminationState as S
from ..services.rules import effective_profile
from ..services.unit_of_work import find_region
from .overview import CampaignOverview, campaign_overview


@dataclass(frozen=True)
class FundMonths:
    """9§: a fund's payable months against the threshold it must reach."""

    fund: Fund
    payable_months: Decimal
    threshold: Decimal
    open: bool
    recorded: bool  # as recorded when the campaign opened (else: from this year's fund figures)


@dataclass(frozen=True)
class Stage:
    key: str
    label: str
    count: int  # institutions that have reached this stage


@dataclass(frozen=True)
class Deadline:
    label: str
    day: dt.date
    days_left: int  # calendar days from today (negative: passed)
    provisional: bool = False
    done: bool = False  # nothing is left to do by it (every listed institution signed or gave up; all paid)


@dataclass(frozen=True)
class Dashboard:
    region_name: str
    year: int
    today: dt.date
    profile_title: str
    funds: tuple[FundMonths, ...]
    pipeline: tuple[Stage, ...]
    deadlines: tuple[Deadline, ...]
    outstanding: dict[Fund, Decimal]  # 暂付款—医保预付金 per fund book
    overview: CampaignOverview | None  # None: the year is not open yet


# the pipeline's stages: which determination states have reached each (a paid one was signed, and so on)
REACHED = {
    "listed": (S.LISTED, S.SECURED, S.SIGNED, S.PAID, S.GIVEN_UP),
    "secured": (S.SECURED, S.SIGNED, S.PAID),
    "signed": (S.SIGNED, S.PAID),
    "paid": (S.PAID,),
    "given_up": (S.GIVEN_UP,),
}
APPROVED_BATCH = (BatchState.APPROVED, BatchState.PAYING, BatchState.PAID)
STAGE_CN = {"applied": "已申请", "listed": "列入名单", "secured": "已办理担保", "signed": "已签协议",
            "approved": "逐级审核通过", "paid": "已拨付", "given_up": "视作放弃"}


def dashboard(sessions: sessionmaker, region_code: str, year: int, today: dt.date) -> Dashboard:
    overview = campaign_overview(sessions, region_code, year)
    with sessions() as session:
        region = find_region(session, region_code)
        profile = overview.profile if overview else effective_profile(session, region, year)
        thresholds = profile.funds.min_payable_months
        if overview is not None:
            funds = tuple(FundMonths(g.fund, g.payable_months, thresholds[g.fund], g.open, True) for g in overview.gates)
        else:
            funds = tuple(
                FundMonths(p.fund, gate.payable_months, thresholds[p.fund], gate.open, False)
                for p in session.scalars(select(FundPositionRecord).where(
                    FundPositionRecord.region_id == region.id, FundPositionRecord.year == year)
                    .order_by(FundPositionRecord.fund))
                for gate in [assess_fund(FundPosition(p.fund, p.cumulative_surplus, p.monthly_expenditure,
                                                      p.last_year_current_balance, p.projected_current_balance),
                                         profile)]
            )
        campaign = session.scalar(select(Campaign).where(Campaign.region_id == region.id, Campaign.year == year))
        pipeline: tuple[Stage, ...] = ()
        deadlines = []
        if campaign is not None:
            states = overview.state_counts if overview else {}  # counted once, by the campaign's overview
            applied = session.scalar(select(func.count()).select_from(Application).where(
                Application.campaign_id == campaign.id, Application.state != ApplicationState.WITHDRAWN))
            approved = session.scalar(
                select(func.count(distinct(BatchItem.institution_code))).join(PaymentBatch)
                .where(PaymentBatch.campaign_id == campaign.id, PaymentBatch.state.in_(APPROVED_BATCH)))
            counts = {"applied": applied, "approved": approved}
            counts.update({key: sum(states.get(s, 0) for s in reached) for key, reached in REACHED.items()})
            pipeline = tuple(Stage(key, STAGE_CN[key], counts[key]) for key in STAGE_CN)
            in_window = states.get(S.LISTED, 0) + states.get(S.SECURED, 0)
            if campaign.signing_deadline:
                deadlines.append(Deadline("签约、办理担保截止（15§(三)）", campaign.signing_deadline,
                                          (campaign.signing_deadline - today).days,
                                          campaign.signing_deadline_provisional, done=in_window == 0))
        calendar = profile.calendar
        if campaign is None or campaign.list_fixed_on is None:
            day = calendar.list_fixed_by.in_campaign(year)
            deadlines.append(Deadline("确定预付名单（15§(二)）", day, (day - today).days))
        pay_by = calendar.confirmed_and_paid_by.in_campaign(year)
        unpaid = campaign is None or campaign.list_fixed_on is None or in_window + states.get(S.SIGNED, 0) > 0
        deadlines.append(Deadline("确认并拨付预付金（15§(四)）", pay_by, (pay_by - today).days, done=not unpaid))
        deadlines.sort(key=lambda d: d.day)
    outstanding = overview.held if overview else {f: Decimal("0.00") for f in Fund}
    return Dashboard(region.name, year, today, profile.title, funds, pipeline, tuple(deadlines), outstanding, overview)
