"""What the landing page shows of a region's campaign: progress, sign-offs, the ledger, notices."""
from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from accounting import reports
from accounting.chart import Role
from accounting.ledger import find_book

from ..db import money_sum
from ..models import (
    DEPARTMENT_CN,
    BatchItem,
    Campaign,
    Determination,
    DeterminationAdvance,
    FundPositionRecord,
    Institution,
    PaymentBatch,
    Region,
    Staff,
)
from ..policy.facts import Fund
from ..policy.profile import PolicyProfile
from ..policy.transitions import BATCH, CAMPAIGN, DETERMINATION, DeterminationState
from ..services.batch import valid_sign_offs
from ..services.rules import effective_profile
from ..services.unit_of_work import find_region
from .matching import like
from .todo import notices_for


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
    determinations: tuple[tuple[str, int], ...]  # by state, in words, most first
    state_counts: dict[str, int]  # the same by DeterminationState, for those who count stages
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
        states = Counter(dict(session.execute(select(Determination.state, func.count()).where(
            Determination.campaign_id == campaign.id, Determination.run == campaign.determination_run)
            .group_by(Determination.state)).all()))
        names = {s.username: f"{s.name}（{DEPARTMENT_CN[s.department]}）" for s in session.scalars(select(Staff))}
        chain = profile.signoff.batch
        sizes = batch_sizes(session, campaign.id)
        batches = tuple(
            BatchLine(b.id, BATCH.label(b.state), *sizes.get(b.id, (0, Decimal("0.00"))),
                      tuple(SignOffLine(chain.title_of(o.level), names.get(o.signer, o.signer), o.signed_at, o.comment)
                            for o in valid_sign_offs(b)))
            for b in session.scalars(select(PaymentBatch).where(PaymentBatch.campaign_id == campaign.id)
                                     .order_by(PaymentBatch.id))
        )
        books = {fund: find_book(session, region.code, fund) for fund in Fund}
        balances, holders = reports.sub_ledger_summary(session, [b.id for b in books.values() if b], Role.ADVANCE)
        held = {fund: balances[b.id] if b else Decimal("0.00") for fund, b in books.items()}
        notices = tuple(n.message for n in notices_for(session, region.id, None, limit=10))
        gates = tuple(GateLine(g.fund, g.payable_months, g.open, reason_texts(json.loads(g.reasons_json)),
                               names.get(g.computed_by, g.computed_by)) for g in campaign.fund_gates)
        return CampaignOverview(
            year, profile, gates, CAMPAIGN.label(campaign.state), campaign.list_fixed_on,
            campaign.signing_deadline, campaign.signing_deadline_provisional,
            profile.calendar.confirmed_and_paid_by.in_campaign(year),
            tuple((DETERMINATION.label(s), n) for s, n in states.most_common()), dict(states), batches, held, holders,
            notices,
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
    determined_total: Decimal  # 13§: after the security caps, both funds together (what is advanced)
    computed_total: Decimal  # as computed, before the caps


SORTS = ("code", "name", "amount", "months")  # the determination list's orders (amount and months: largest first)


@dataclass(frozen=True)
class DeterminationFilter:
    """What the determination list is narrowed to; every field optional."""

    state: str | None = None  # a DeterminationState
    eligible: bool | None = None
    search: str | None = None  # part of the institution's code or name
    sort: str = "code"


def determination_page(sessions: sessionmaker, region_code: str, year: int, page: int, size: int,
                       where: DeterminationFilter = DeterminationFilter()) -> DeterminationPage | None:
    """The stored results of the year's latest determination run, filtered and sorted, one page at a time
    (``size`` 0: every row, for the export)."""
    with sessions() as session:
        region = find_region(session, region_code)
        campaign = session.scalar(select(Campaign).where(Campaign.region_id == region.id, Campaign.year == year))
        if campaign is None or campaign.determination_run == 0:
            return None
        latest = [Determination.campaign_id == campaign.id, Determination.run == campaign.determination_run,
                  Institution.region_id == region.id]  # implied; lets the database read institutions in code order
        if where.state:
            latest.append(Determination.state == where.state)
        if where.eligible is not None:
            latest.append(Determination.eligible.is_(where.eligible))
        if where.search:
            latest.append(Institution.code.like(like(where.search), escape="\\")
                          | Institution.name.like(like(where.search), escape="\\"))
        capped = money_sum(func.coalesce(DeterminationAdvance.final_amount, DeterminationAdvance.amount))
        if where.state or where.eligible is not None or where.search:  # how many, and their determined total
            count = session.scalar(select(func.count()).select_from(Determination).join(
                Institution, Institution.id == Determination.institution_id).where(*latest))
            computed, total = session.execute(select(money_sum(DeterminationAdvance.amount), capped).join(
                Determination, Determination.id == DeterminationAdvance.determination_id).join(
                Institution, Institution.id == Determination.institution_id).where(*latest)).one()
        else:  # the whole run: its size and computed total as fixed when it was computed; the caps since
            count, computed = campaign.run_count, campaign.run_total
            total = session.scalar(select(capped).join(
                Determination, Determination.id == DeterminationAdvance.determination_id)
                .where(Determination.campaign_id == campaign.id, Determination.run == campaign.determination_run))
        amount = (select(func.coalesce(func.sum(func.coalesce(DeterminationAdvance.final_amount,
                                                                DeterminationAdvance.amount)), 0))
                  .where(DeterminationAdvance.determination_id == Determination.id).scalar_subquery())
        order = {"code": (Institution.code,), "name": (Institution.name, Institution.code),
                 "amount": (amount.desc(), Institution.code),
                 "months": (func.coalesce(Determination.months, -1).desc(), Institution.code)}[where.sort]
        query = (select(Determination, Institution).join(Institution, Institution.id == Determination.institution_id)
                 .where(*latest).order_by(*order).options(selectinload(Determination.advances)))
        if size:
            query = query.offset((page - 1) * size).limit(size)
        rows = []
        for det, inst in session.execute(query):
            rows.append(DeterminedRow(
                inst.code, inst.name, inst.kind, DETERMINATION.label(det.state), det.eligible, det.months, det.ratio,
                reason_texts(json.loads(det.reasons_json)), reason_texts(json.loads(det.notes_json)) if det.state == DeterminationState.LISTED else (),
                tuple(DeterminedAdvance(a.fund, a.base, a.rounded, a.amount, a.final_amount,
                                        reason_texts(json.loads(a.final_reasons_json or a.reasons_json)))
                      for a in det.advances),
            ))
        return DeterminationPage(campaign.determination_run, tuple(rows), count, total, computed)


def batch_sizes(session: Session, campaign_id: int) -> dict[int, tuple[int, Decimal]]:
    """Each batch of the campaign: how many lines and how much it pays, by one aggregate."""
    return {batch_id: (n, amount) for batch_id, n, amount in session.execute(
        select(BatchItem.batch_id, func.count(), money_sum(BatchItem.amount)).join(PaymentBatch)
        .where(PaymentBatch.campaign_id == campaign_id).group_by(BatchItem.batch_id))}


def reason_texts(reasons: list[dict]) -> tuple[str, ...]:
    return tuple(f"{r['message']}（{r['article']}）" for r in reasons)


def latest_year(sessions: sessionmaker, region_code: str) -> int | None:
    """The newest year of a region with fund figures: the year the dashboard opens on, and the one the
    navigation offers on a page that is about no year (issue 30)."""
    with sessions() as session:
        return session.scalar(select(func.max(FundPositionRecord.year)).join(
            Region, Region.id == FundPositionRecord.region_id).where(Region.code == region_code))


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
