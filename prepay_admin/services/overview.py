"""What the landing page shows of a region's campaign: progress, sign-offs, the ledger, notices."""
from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from accounting import reports
from accounting.chart import Role
from accounting.ledger import find_book

from ..models import Campaign, DEPARTMENT_CN, Determination, Notice, PaymentBatch, Staff
from ..policy.facts import Fund
from ..policy.transitions import BATCH, DETERMINATION
from .batch import LEVELS, valid_sign_offs
from .facts import get_region


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
class CampaignOverview:
    year: int
    state: str
    list_fixed_on: dt.date | None
    signing_deadline: dt.date | None
    provisional: bool
    determinations: tuple[tuple[str, int], ...]
    batches: tuple[BatchLine, ...]
    held: dict[Fund, Decimal]  # 暂付款—医保预付金 balance per fund book
    institutions_holding: int
    notices: tuple[str, ...]


def campaign_overview(sessions: sessionmaker, region_code: str, year: int) -> CampaignOverview | None:
    with sessions() as session:
        region = get_region(session, region_code)
        campaign = session.scalar(select(Campaign).where(Campaign.region_id == region.id, Campaign.year == year))
        if campaign is None:
            return None
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
        return CampaignOverview(
            year, "名单已确定" if campaign.state == "list_fixed" else "受理申请中", campaign.list_fixed_on,
            campaign.signing_deadline, campaign.signing_deadline_provisional,
            tuple((DETERMINATION.label(s), n) for s, n in states.most_common()), batches, held, len(holders), notices,
        )
