"""What the landing page shows of a region's campaign: progress, sign-offs, the ledger, notices."""
from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from accounting import reports
from accounting.chart import Role
from accounting.ledger import find_book

from ..db import money_sum
from ..models import (
    DEPARTMENT_CN, Campaign, Determination, DeterminationAdvance, FundPositionRecord, Institution, Notice, PaymentBatch,
    Region, Staff,
)
from ..policy.facts import Fund
from ..policy.profile import PolicyProfile
from ..policy.transitions import BATCH, CAMPAIGN, DETERMINATION, DeterminationState
from ..services.batch import LEVELS, valid_sign_offs
from ..services.rules import effective_profile
from ..services.unit_of_work import find_region


@dataclass(frozen=True)
class SignOffLine:
    title: str
    who: str
    at: dt.datetime
    comment: str


@dataclass(frozen=True)
class BatchLine:
    id: int
    state: str
    items: int
    amount: Decimal
    sign_offs: tuple[SignOffLine, ...]


@dataclass(frozen=True)
class GateLine:
    fund: Fund
    payable_months: Decimal
    open: bool
    reasons: tuple[str, ...]
    computed_by: str


@dataclass(frozen=True)
class CampaignOverview:
    year: int
    profile: PolicyProfile  # the campaign's profile with the year's overrides
    gates: tuple[GateLine, ...]  # 9§, as recorded when the campaign opened
    state: str
    list_fixed_on: dt.date | None
    signing_deadline: dt.date | None
    provisional: bool
    pay_by: dt.date  # 15§(四): confirmed and paid by (the year's profile)
    determinations: tuple[tuple[str, int], ...]
    batches: tuple[BatchLine, ...]
    held: dict[Fund, Decimal]  # 暂付款—医保预付金 balance per fund book
    institutions_holding: int
    notices: tuple[str, ...]


def campaign_overview(sessions: sessionmaker, region_code: str, year: int) -> CampaignOverview | None:
    with sessions() as session:
        region = find_region(session, region_code)
        campaign = session.scalar(select(Campaign).where(Campaign.region_id == region.id, Campaign.year == year))
        if campaign is None:
            return None
        profile = effective_profile(session, region, year)
        states = Counter(session.scalars(select(Determination.state).where(
            Determination.campaign_id == campaign.id, Determination.run == campaign.determination_run)))
        names = {s.username: f"{s.name}（{DEPARTMENT_CN[s.department]}）" for s in session.scalars(select(Staff))}
        titles = {level.name: level.title for level in LEVELS}
        batches = tuple(
            BatchLine(b.id, BATCH.label(b.state), len(b.items), sum((i.amount for i in b.items), Decimal("0.00")),
                      tuple(SignOffLine(titles[o.level], names.get(o.signer, o.signer), o.signed_at, o.comment)
                            for o in valid_sign_offs(b)))
            for b in session.scalars(select(PaymentBatch).where(PaymentBatch.campaign_id == campaign.id)
                                     .order_by(PaymentBatch.id))
        )
        held, holders = {}, set()
        for fund in Fund:
            book = find_book(session, region.code, fund)
            balances = reports.party_balances(session, book.id, Role.ADVANCE) if book else {}
            held[fund] = sum(balances.values(), Decimal("0.00"))
            holders |= set(balances)
        notices = tuple(session.scalars(select(Notice.message).order_by(Notice.id.desc()).limit(10)))
        gates = tuple(GateLine(g.fund, g.payable_months, g.open, _messages(json.loads(g.reasons_json)),
                               names.get(g.computed_by, g.computed_by)) for g in campaign.fund_gates)
        return CampaignOverview(
            year, profile, gates, CAMPAIGN.label(campaign.state), campaign.list_fixed_on,
            campaign.signing_deadline, campaign.signing_deadline_provisional,
            profile.calendar.confirmed_and_paid_by.in_campaign(year),
            tuple((DETERMINATION.label(s), n) for s, n in states.most_common()), batches, held, len(holders), notices,
        )


@dataclass(frozen=True)
class DeterminedAdvance:
    fund: Fund
    base: Decimal
    rounded: Decimal
    amount: Decimal
    final_amount: Decimal | None
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class DeterminedRow:
    code: str
    name: str
    kind: str
    state: str
    eligible: bool
    months: Decimal | None
    ratio: Decimal | None
    reasons: tuple[str, ...]
    notes: tuple[str, ...]  # while the institution is listed and has not registered its security yet
    advances: tuple[DeterminedAdvance, ...]


@dataclass(frozen=True)
class DeterminationPage:
    run: int
    rows: tuple[DeterminedRow, ...]
    count: int
    determined_total: Decimal


def determination_page(sessions: sessionmaker, region_code: str, year: int, page: int, size: int) -> DeterminationPage | None:
    """The stored results of the year's latest determination run, one page at a time."""
    with sessions() as session:
        region = find_region(session, region_code)
        campaign = session.scalar(select(Campaign).where(Campaign.region_id == region.id, Campaign.year == year))
        if campaign is None or campaign.determination_run == 0:
            return None
        latest = (Determination.campaign_id == campaign.id, Determination.run == campaign.determination_run)
        count = session.scalar(select(func.count()).select_from(Determination).where(*latest))
        total = session.scalar(
            select(money_sum(DeterminationAdvance.amount))
            .join(Determination, Determination.id == DeterminationAdvance.determination_id).where(*latest))
        rows = []
        for det, inst in session.execute(
            select(Determination, Institution).join(Institution, Institution.id == Determination.institution_id)
            .where(*latest).order_by(Institution.code).offset((page - 1) * size).limit(size)
        ):
            rows.append(DeterminedRow(
                inst.code, inst.name, inst.kind, DETERMINATION.label(det.state), det.eligible, det.months, det.ratio,
                _messages(json.loads(det.reasons_json)), _messages(json.loads(det.notes_json)) if det.state == DeterminationState.LISTED else (),
                tuple(DeterminedAdvance(a.fund, a.base, a.rounded, a.amount, a.final_amount,
                                        _messages(json.loads(a.final_reasons_json or a.reasons_json)))
                      for a in det.advances),
            ))
        return DeterminationPage(campaign.determination_run, tuple(rows), count, total)


def _messages(reasons: list[dict]) -> tuple[str, ...]:
    return tuple(f"{r['message']}（{r['article']}）" for r in reasons)


def region_years(sessions: sessionmaker) -> tuple[dict[str, list[int]], dict[str, str]]:
    """Each region's years with fund figures (newest first), and the regions' names, by code."""
    with sessions() as session:
        rows = session.execute(
            select(Region.code, Region.name, FundPositionRecord.year)
            .outerjoin(FundPositionRecord, FundPositionRecord.region_id == Region.id)
            .distinct().order_by(Region.code, FundPositionRecord.year.desc())
        ).all()
    years: dict[str, list[int]] = {}
    names: dict[str, str] = {}
    for code, name, year in rows:
        names[code] = name
        years.setdefault(code, [])
        if year is not None:
            years[code].append(year)
    return years, names
