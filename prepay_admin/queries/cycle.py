"""What the annual cycle looks like now: progress, a batch with its hash, payment instructions."""
from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from ..models import Determination, PaymentBatch, PaymentInstruction
from ..policy.transitions import BATCH, CAMPAIGN, DETERMINATION, PAYMENT
from ..services.batch import NEXT_LEVEL, batch_hash, get_batch
from ..services.rules import effective_profile
from ..services.unit_of_work import find_campaign, find_region


@dataclass(frozen=True)
class BatchSummary:
    id: int
    state: str
    items: int
    amount: Decimal


@dataclass(frozen=True)
class CycleStatus:
    year: int
    profile: str
    state: str
    signing_working_days: int
    signing_deadline: dt.date | None
    provisional: bool
    pay_by: dt.date
    determinations: tuple[tuple[str, int], ...]
    batches: tuple[BatchSummary, ...]


def status(sessions: sessionmaker, region_code: str, year: int) -> CycleStatus:
    with sessions() as session:
        region = find_region(session, region_code)
        campaign = find_campaign(session, region, year)
        calendar = effective_profile(session, region, year).calendar
        states = Counter(session.scalars(select(Determination.state).where(
            Determination.campaign_id == campaign.id, Determination.run == campaign.determination_run)))
        batches = tuple(BatchSummary(b.id, BATCH.label(b.state), len(b.items), sum((i.amount for i in b.items), Decimal("0.00")))
                        for b in session.scalars(select(PaymentBatch).where(PaymentBatch.campaign_id == campaign.id)
                                                 .order_by(PaymentBatch.id)))
        return CycleStatus(year, campaign.profile, CAMPAIGN.label(campaign.state), calendar.signing_working_days,
                           campaign.signing_deadline, campaign.signing_deadline_provisional,
                           calendar.confirmed_and_paid_by.in_campaign(year),
                           tuple((DETERMINATION.label(s), n) for s, n in states.most_common()), batches)


@dataclass(frozen=True)
class BatchLine:
    institution_code: str
    institution_name: str
    fund: str
    determined: Decimal
    held: Decimal
    amount: Decimal
    bank_name: str
    bank_account: str


@dataclass(frozen=True)
class BatchView:
    id: int
    state: str
    next_level: str | None  # the sign-off due, in Chinese
    hash: str  # what a signer names: the hash of exactly these lines
    lines: tuple[BatchLine, ...]

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal("0.00"))


def batch_view(sessions: sessionmaker, batch_id: int) -> BatchView:
    with sessions() as session:
        b = get_batch(session, batch_id)
        level = NEXT_LEVEL.get(b.state)
        return BatchView(b.id, BATCH.label(b.state), level.title if level else None, batch_hash(b), tuple(
            BatchLine(i.institution_code, i.institution_name, i.fund.value, i.determined, i.held, i.amount,
                      i.bank_name, i.bank_account) for i in b.items))


@dataclass(frozen=True)
class InstructionLine:
    id: int
    institution_code: str
    fund: str
    amount: Decimal
    bank_account: str
    state: str
    issued_on: dt.date


def instructions(sessions: sessionmaker, batch_id: int) -> tuple[InstructionLine, ...]:
    with sessions() as session:
        return tuple(InstructionLine(p.id, p.institution_code, p.fund.value, p.amount, p.bank_account,
                                     PAYMENT.label(p.state), p.issued_on)
                     for p in session.scalars(select(PaymentInstruction).where(PaymentInstruction.batch_id == batch_id)
                                              .order_by(PaymentInstruction.id)))
