"""15§(四), 24§(五): the payment batch and its four sign-offs.

The fund-settlement department prepares and submits (1), internal audit reviews
(2), the insurance administration confirms (3), the finance bureau confirms (4).
Each sign-off is bound to the hash of the exact batch it saw; any change to the
batch voids the sign-offs already given and returns it to draft. Nobody signs
two levels of one batch, so nobody approves a batch they prepared.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from accounting.chart import Role
from accounting.ledger import get_book, party_balance

from ..db import utcnow
from ..models import BatchItem, Department, Determination, Institution, PaymentBatch, SignOff
from ..policy.transitions import BATCH
from .campaign import get_campaign
from .errors import NotFound, ServiceError
from .workflow import record, staff, transition


@dataclass(frozen=True)
class Level:
    name: str
    action: str  # the batch transition it makes
    department: Department
    title: str


LEVELS = (
    Level("prepared", "submit", Department.FUND_SETTLEMENT, "基金结算部门编制提交"),
    Level("reviewed", "review", Department.INTERNAL_AUDIT, "内审部门审核"),
    Level("administration", "confirm_administration", Department.ADMINISTRATION, "医保行政部门确认"),
    Level("finance_bureau", "confirm_finance", Department.FINANCE_BUREAU, "财政部门确认"),
)
NEXT_LEVEL = {"draft": LEVELS[0], "submitted": LEVELS[1], "reviewed": LEVELS[2], "administration_confirmed": LEVELS[3]}


def batch_hash(batch: PaymentBatch) -> str:
    """What a signer vouches for: every payee, fund, amount and bank account of the batch."""
    lines = sorted([i.institution_code, i.fund.value, f"{i.amount:.2f}", f"{i.determined:.2f}", i.bank_name,
                    i.bank_account] for i in batch.items)
    return hashlib.sha256(json.dumps([batch.id, lines], ensure_ascii=False).encode()).hexdigest()


def valid_sign_offs(batch: PaymentBatch) -> list[SignOff]:
    return [s for s in batch.sign_offs if s.voided_at is None]


def get_batch(session: Session, batch_id: int, *, lock: bool = False) -> PaymentBatch:
    query = select(PaymentBatch).where(PaymentBatch.id == batch_id)
    batch = session.scalar(query.with_for_update() if lock else query)
    if batch is None:
        raise NotFound(f"没有拨付批次 {batch_id}", "batch")
    return batch


def prepare(sessions: sessionmaker, region_code: str, year: int, user: str) -> int:
    """A draft batch of every signed determination not yet in a batch, one item per fund.

    17§ rollover: an institution that still holds last year's advance is paid
    only the difference (多退少补); what it should repay is left to the year-end work.
    """
    with sessions.begin() as session:
        staff(session, user, Department.FUND_SETTLEMENT)
        region, campaign = get_campaign(session, region_code, year, lock=True)
        batched = select(BatchItem.determination_id)
        dets = session.execute(
            select(Determination, Institution).join(Institution, Institution.id == Determination.institution_id)
            .where(Determination.campaign_id == campaign.id, Determination.state == "signed",
                   Determination.id.not_in(batched)).order_by(Institution.code)
        ).all()
        if not dets:
            raise ServiceError("没有已签约、尚未编入批次的机构", "year")
        batch = PaymentBatch(campaign_id=campaign.id, state="draft", created_by=user)
        session.add(batch)
        session.flush()
        record(session, BATCH, batch.id, "create", None, "draft", user)
        books = {}
        for det, inst in dets:
            for adv in det.advances:
                determined = adv.final_amount if adv.final_amount is not None else adv.amount
                if determined <= 0:
                    continue
                if adv.fund not in books:
                    books[adv.fund] = get_book(session, region.code, adv.fund).id
                held = party_balance(session, books[adv.fund], Role.ADVANCE, inst.code)
                batch.items.append(BatchItem(
                    determination_id=det.id, institution_code=inst.code, institution_name=inst.name, fund=adv.fund,
                    determined=determined, held=held, amount=max(determined - held, Decimal("0.00")),
                    bank_name=inst.bank_name, bank_account=inst.bank_account,
                ))
        session.flush()
        return batch.id


def remove_item(sessions: sessionmaker, batch_id: int, institution_code: str, user: str, reason: str) -> None:
    """Take an institution out of the batch: the batch changes, so every sign-off given is void."""
    with sessions.begin() as session:
        staff(session, user, Department.FUND_SETTLEMENT)
        batch = get_batch(session, batch_id, lock=True)
        items = [i for i in batch.items if i.institution_code == institution_code]
        if not items:
            raise NotFound(f"批次 {batch_id} 中没有 {institution_code}", "institution")
        transition(session, BATCH, batch, "edit", user, f"移出 {institution_code}：{reason}")
        for item in items:
            batch.items.remove(item)
        _void_sign_offs(batch, f"批次已修改：移出 {institution_code}")


def sign_off(sessions: sessionmaker, batch_id: int, user: str, comment: str = "", seen_hash: str | None = None) -> SignOff:
    """The next level signs, if the signer belongs to its department and has signed no other level."""
    with sessions.begin() as session:
        batch = get_batch(session, batch_id, lock=True)
        level = NEXT_LEVEL.get(batch.state)
        if level is None:
            raise ServiceError(f"批次当前状态为“{BATCH.label(batch.state)}”，没有待签的审核环节", "state")
        person = staff(session, user, level.department)
        if not batch.items:
            raise ServiceError("批次中没有拨付项目", "batch")
        current = batch_hash(batch)
        if seen_hash is not None and seen_hash != current:
            raise ServiceError("批次内容已变更，请重新查看后再签", "hash")
        signed = [s for s in valid_sign_offs(batch) if s.signer == person.username]
        if signed:
            raise ServiceError(f"{person.name} 已在本批次“{_level(signed[0].level).title}”环节签字，同一人不能在两个环节签字", "user")
        transition(session, BATCH, batch, level.action, user, comment)
        entry = SignOff(batch_id=batch.id, level=level.name, signer=user, comment=comment, batch_hash=current)
        session.add(entry)
        session.flush()
        return entry


def reject(sessions: sessionmaker, batch_id: int, user: str, reason: str) -> None:
    """The level whose turn it is returns the batch with its reason; the sign-offs given are void."""
    if not reason.strip():
        raise ServiceError("退回须说明原因", "reason")
    with sessions.begin() as session:
        batch = get_batch(session, batch_id, lock=True)
        level = NEXT_LEVEL.get(batch.state)
        if level is None or batch.state == "draft":
            raise ServiceError(f"批次当前状态为“{BATCH.label(batch.state)}”，不能退回", "state")
        staff(session, user, level.department)
        transition(session, BATCH, batch, "reject", user, reason)
        _void_sign_offs(batch, f"退回：{reason}")


def _void_sign_offs(batch: PaymentBatch, why: str) -> None:
    now = utcnow()
    for s in valid_sign_offs(batch):
        s.voided_at, s.void_reason = now, why


def _level(name: str) -> Level:
    return next(level for level in LEVELS if level.name == name)
