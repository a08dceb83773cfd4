"""The sign-off screen (24§(五)): what a signer sees before confirming a payment batch."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from ..db import money_sum
from ..models import DEPARTMENT_CN, BatchItem, Campaign, Region, Staff, Transition
from ..policy.method import describe_method
from ..policy.transitions import BATCH
from ..services.batch import chain_of, get_batch, next_level, refusal_to_sign, valid_sign_offs
from ..services.errors import NotFound
from ..services.rules import effective_profile
from .access import granted_regions
from .cycle import BatchLine

LINES_PER_PAGE = 100


@dataclass(frozen=True)
class SignOffEntry:
    title: str
    signer: str
    signed_at: dt.datetime
    comment: str
    batch_hash: str
    void_reason: str | None  # a sign-off voided by an edit or a rejection, kept for the record


@dataclass(frozen=True)
class Change:
    at: dt.datetime
    who: str
    action: str
    reason: str


@dataclass(frozen=True)
class FundTotal:
    fund: str
    items: int
    determined: Decimal
    held: Decimal
    amount: Decimal


@dataclass(frozen=True)
class SignOffScreen:
    batch_id: int
    region_code: str
    region_name: str
    year: int
    state: str
    next_level: str | None
    hash: str
    totals: tuple[FundTotal, ...]
    lines: tuple[BatchLine, ...]  # one page of them, by institution code
    line_count: int
    method: tuple[str, ...]
    sign_offs: tuple[SignOffEntry, ...]
    changes: tuple[Change, ...]  # edits and rejections: what changed since a level signed
    can_sign: bool
    cannot_sign_because: str | None
    chain: tuple[tuple[str, bool], ...] = ()  # the profile's levels (RULES §4), each with whether it has signed

    @property
    def total(self) -> Decimal:
        return sum((t.amount for t in self.totals), Decimal("0.00"))


def sign_off_screen(sessions: sessionmaker, batch_id: int, username: str, page: int = 1,
                    size: int = LINES_PER_PAGE) -> SignOffScreen:
    """The batch as ``username`` sees it, its lines one page at a time (``size`` 0: all of them, for the
    download; totals and hash are over all of them); another region's batch is as if it did not exist."""
    with sessions() as session:
        batch = get_batch(session, batch_id)
        campaign = session.get(Campaign, batch.campaign_id)
        region = session.get(Region, campaign.region_id)
        if region.code not in granted_regions(sessions, username):
            raise NotFound(f"没有拨付批次 {batch_id}", "batch")
        viewer = session.scalar(select(Staff).where(Staff.username == username))
        names = {s.username: f"{s.name}（{DEPARTMENT_CN[s.department]}）" for s in session.scalars(select(Staff))}
        chain = chain_of(session, campaign)
        refusal = refusal_to_sign(batch, viewer, chain)
        lines = tuple(BatchLine(i.institution_code, i.institution_name, i.fund.value, i.determined, i.held, i.amount,
                                i.bank_name, i.bank_account)
                      for i in session.scalars(_page(select(BatchItem).where(BatchItem.batch_id == batch.id)
                                                     .order_by(BatchItem.institution_code, BatchItem.fund), page, size)))
        totals = tuple(FundTotal(str(fund), n, determined, held, amount) for fund, n, determined, held, amount in
                       session.execute(select(BatchItem.fund, func.count(), money_sum(BatchItem.determined),
                                              money_sum(BatchItem.held), money_sum(BatchItem.amount))
                                       .where(BatchItem.batch_id == batch.id).group_by(BatchItem.fund)
                                       .order_by(BatchItem.fund)))
        changes = tuple(
            Change(t.at, names.get(t.actor, t.actor), BATCH.label(t.action), t.reason)
            for t in session.scalars(select(Transition).where(
                Transition.machine == BATCH.name, Transition.object_id == batch.id,
                Transition.action.in_(("edit", "reject"))).order_by(Transition.id)))
        level = next_level(batch, chain)
        return SignOffScreen(
            batch.id, region.code, region.name, campaign.year, BATCH.label(batch.state),
            level.title if level else None, batch.content_hash, totals, lines,
            sum(t.items for t in totals),
            describe_method(effective_profile(session, region, campaign.year)),
            tuple(SignOffEntry(chain.title_of(s.level), names.get(s.signer, s.signer), s.signed_at, s.comment, s.batch_hash,
                               s.void_reason) for s in batch.sign_offs),
            changes, refusal is None, None if refusal is None else refusal.message,
            tuple((lv.title, lv.name in {o.level for o in valid_sign_offs(batch)}) for lv in chain.levels),
        )


def _page(query, page: int, size: int):
    return query.offset((page - 1) * size).limit(size) if size else query
