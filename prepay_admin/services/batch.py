"""15§(四), 24§(五): the payment batch and its sign-offs.

The levels are the profile's chain (RULES §4, ``policy.signoff``): Nantong's is the fund-settlement
department's preparation, the finance department's 审核申报, internal audit, the insurance
administration's and the finance bureau's confirmation. Each sign-off is bound to the hash of the
exact batch it saw; any change to the batch voids the sign-offs already given and returns it to
draft. Nobody signs two levels of one batch, so nobody approves a batch they prepared.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import exists, insert, select
from sqlalchemy.orm import Session, object_session, sessionmaker

from ..clock import utcnow
from ..models import (
    BatchItem,
    Campaign,
    Department,
    Determination,
    DeterminationAdvance,
    Institution,
    PaymentBatch,
    Region,
    SignOff,
    Staff,
)
from ..policy.signoff import Chain, Level
from ..policy.transitions import BATCH, BatchState, DeterminationState
from .errors import NotFound, ServiceError
from .positions import in_force_of_year
from .unit_of_work import campaign_step, campaign_step_of


def chain_of(session: Session, campaign: Campaign) -> Chain:
    """The batch's chain: the profile its campaign runs on, with the year's overrides (RULES §4)."""
    from .rules import effective_profile

    return effective_profile(session, session.get(Region, campaign.region_id), campaign.year,
                             campaign=campaign).signoff.batch


def chain_for(sessions: sessionmaker, batch_id: int) -> Chain:
    with sessions() as session:
        return chain_of(session, session.get(Campaign, get_batch(session, batch_id).campaign_id))


def signed_levels(batch: PaymentBatch) -> list[tuple[str, str]]:
    """(level, signer) of the batch's valid sign-offs, in the order given."""
    return [(s.level, s.signer) for s in valid_sign_offs(batch)]


def next_level(batch: PaymentBatch, chain: Chain) -> Level | None:
    """The level whose turn it is (None: not in review, or signed by every level)."""
    if batch.state not in (BatchState.DRAFT, BatchState.SIGNING):
        return None
    return chain.next([name for name, _ in signed_levels(batch)])


HASHED = (BatchItem.institution_code, BatchItem.fund, BatchItem.amount, BatchItem.determined, BatchItem.bank_name,
          BatchItem.bank_account)
HASHED_KEYS = tuple(column.key for column in HASHED)


def batch_hash(batch: PaymentBatch) -> str:
    """What a signer vouches for: every payee, fund, amount and bank account of the batch."""
    return hash_of(batch.id, ((i.institution_code, i.fund, i.amount, i.determined, i.bank_name, i.bank_account)
                              for i in batch.items))


def stored_batch_hash(session: Session, batch_id: int) -> str:
    """The same hash read straight from the rows (a batch of many thousand lines, without loading them)."""
    return hash_of(batch_id, session.execute(select(*HASHED).where(BatchItem.batch_id == batch_id)))


def hash_of(batch_id: int, rows) -> str:
    lines = sorted([code, str(fund), f"{amount:.2f}", f"{determined:.2f}", bank_name, bank_account]
                   for code, fund, amount, determined, bank_name, bank_account in rows)
    return hashlib.sha256(json.dumps([batch_id, lines], ensure_ascii=False).encode()).hexdigest()


def valid_sign_offs(batch: PaymentBatch) -> list[SignOff]:
    return [s for s in batch.sign_offs if s.voided_at is None]


def get_batch(session: Session, batch_id: int, *, lock: bool = False) -> PaymentBatch:
    query = select(PaymentBatch).where(PaymentBatch.id == batch_id)
    batch = session.scalar(query.with_for_update() if lock else query)
    if batch is None:
        raise NotFound(f"没有拨付批次 {batch_id}", "batch")
    return batch


def current_hash(sessions: sessionmaker, batch_id: int) -> str:
    """The hash a signer sees on the sign-off screen (and names when signing)."""
    with sessions() as session:
        return get_batch(session, batch_id).content_hash


def batch_step(sessions: sessionmaker, batch_id: int, user: str):
    """A step on one batch: the batch row locked, its campaign, region and effective profile."""
    found: dict[str, PaymentBatch] = {}

    def find(session: Session) -> Campaign:
        found["batch"] = get_batch(session, batch_id, lock=True)
        return session.get(Campaign, found["batch"].campaign_id)

    return campaign_step_of(sessions, user, find), found


def prepare(sessions: sessionmaker, region_code: str, year: int, user: str) -> int:
    """A draft batch of every signed determination not yet in a batch, one item per fund.

    17§ rollover: an institution that still holds last year's advance is paid only the difference
    (多退少补): the line rolls over what it holds of last year's advance (its position, never the
    account's balance, which also carries pre-settlements and amounts owed back), at most the new
    amount; what it should repay is the year end's to claim.
    """
    with campaign_step(sessions, user, region_code, year, Department.FUND_SETTLEMENT, lock=True) as step:
        session, region, campaign = step.session, step.region, step.campaign
        batched = select(BatchItem.determination_id)
        dets = session.execute(
            select(Determination, Institution).join(Institution, Institution.id == Determination.institution_id)
            .where(Determination.campaign_id == campaign.id, Determination.state == DeterminationState.SIGNED,
                   Determination.id.not_in(batched)).order_by(Institution.code)
        ).all()
        if not dets:
            raise ServiceError("没有已签约、尚未编入批次的机构", "year")
        batch = PaymentBatch(campaign_id=campaign.id, state=BatchState.DRAFT, created_by=user, content_hash="")
        session.add(batch)
        session.flush()
        step.record(BATCH, batch.id, "create", None, BatchState.DRAFT)
        # set-based: the advances in one read, each fund's held balances in one aggregate, the items in
        # one insert, so a province's batch costs a few statements, not a few per institution
        advances: dict[int, list[DeterminationAdvance]] = {}
        unbatched = select(Determination.id).where(
            Determination.campaign_id == campaign.id, Determination.state == DeterminationState.SIGNED,
            Determination.id.not_in(batched))
        for adv in session.scalars(select(DeterminationAdvance).where(DeterminationAdvance.determination_id.in_(unbatched))
                                   .order_by(DeterminationAdvance.determination_id, DeterminationAdvance.fund)):
            advances.setdefault(adv.determination_id, []).append(adv)
        rollover = step.profile.year_end.mode == "rollover"
        held_by_fund = {fund: in_force_of_year(session, region.id, fund, campaign.year - 1)
                        for fund in {a.fund for advs in advances.values() for a in advs}} if rollover else {}
        items = []
        for det, inst in dets:
            for adv in advances.get(det.id, ()):
                determined = adv.final_amount if adv.final_amount is not None else adv.amount
                if determined <= 0:
                    continue
                # 17§ rollover: the new advance replaces what is held; HB 二(四): paid afresh every year
                held = min(held_by_fund.get(adv.fund, {}).get(inst.id, Decimal("0.00")), determined)
                items.append(dict(
                    batch_id=batch.id, determination_id=det.id, institution_code=inst.code,
                    institution_name=inst.name, fund=adv.fund, determined=determined, held=held,
                    amount=max(determined - held, Decimal("0.00")), bank_name=inst.bank_name,
                    bank_account=inst.bank_account))
        if items:
            session.execute(insert(BatchItem), items)
        batch.content_hash = hash_of(batch.id, ([i[k] for k in HASHED_KEYS] for i in items))
        session.expire(batch, ["items"])
        return batch.id


def remove_item(sessions: sessionmaker, batch_id: int, institution_code: str, user: str, reason: str) -> None:
    """Take an institution out of the batch: the batch changes, so every sign-off given is void."""
    if not reason.strip():
        raise ServiceError("移出须说明原因", "reason")
    context, found = batch_step(sessions, batch_id, user)
    with context as step:
        step.require(Department.FUND_SETTLEMENT)
        batch = found["batch"]
        items = [i for i in batch.items if i.institution_code == institution_code]
        if not items:
            raise NotFound(f"批次 {batch_id} 中没有 {institution_code}", "institution")
        take_out(step, batch, items, institution_code, reason)


def take_out(step, batch: PaymentBatch, items: list[BatchItem], institution_code: str, reason: str) -> None:
    """The batch changes: its lines go, it returns to draft, every sign-off given is void."""
    step.transition(BATCH, batch, "edit", f"移出 {institution_code}：{reason}")
    for item in items:
        batch.items.remove(item)
    step.session.flush()
    batch.content_hash = stored_batch_hash(step.session, batch.id)
    _void_sign_offs(batch, f"批次已修改：移出 {institution_code}")


@dataclass(frozen=True)
class Signed:
    batch_id: int
    level: str
    title: str
    batch_hash: str


def sign_off(sessions: sessionmaker, batch_id: int, user: str, comment: str, seen_hash: str) -> Signed:
    """The next level signs the batch it saw (``seen_hash``), if the signer belongs to its
    department and has signed no other level (24§(五); maker ≠ checker)."""
    if not seen_hash or not seen_hash.strip():
        raise ServiceError("须提供所审阅批次的摘要（批次内容变更后签字无效）", "hash")
    if len(comment) > 500:
        raise ServiceError("意见不能超过 500 个字符", "comment")
    context, found = batch_step(sessions, batch_id, user)
    with context as step:
        batch = found["batch"]
        chain = step.profile.signoff.batch
        refusal = refusal_to_sign(batch, step.actor, chain)
        if refusal is not None:
            raise ServiceError(refusal.message, refusal.field)
        level = next_level(batch, chain)
        current = batch_hash(batch)
        if seen_hash.strip().lower() != current:
            raise ServiceError("批次内容已变更或摘要不符，请重新查看后再签", "hash")
        step.transition(BATCH, batch, "approve" if chain.is_last(level) else "sign", f"{level.title}：{comment}")
        step.session.add(SignOff(batch_id=batch.id, level=level.name, signer=user, comment=comment,
                                 batch_hash=current))
        return Signed(batch.id, level.name, level.title, current)


@dataclass(frozen=True)
class Refusal:
    message: str
    field: str


def refusal_to_sign(batch: PaymentBatch, person: Staff, chain: Chain) -> Refusal | None:
    """Why ``person`` may not sign the batch's next level now (None: they may).

    24§(五): the level's own department signs, in the chain's order, on a batch with items; nobody
    signs two levels of one batch, so whoever prepared it never approves it (``policy.signoff``).
    The screen shows this reason instead of the action; the service refuses with it.
    """
    if batch.state not in (BatchState.DRAFT, BatchState.SIGNING):
        return Refusal(f"批次当前状态为“{BATCH.label(batch.state)}”，没有待签的审核环节", "state")
    found = chain.refusal(signed_levels(batch), person.department, person.username, person.name)
    if found is not None:
        return Refusal(*found)
    if not has_items(batch):
        return Refusal("批次中没有拨付项目", "batch")
    return None


def has_items(batch: PaymentBatch) -> bool:
    """Whether the batch pays anyone, without loading its lines unless they are loaded already."""
    if "items" in batch.__dict__:
        return bool(batch.items)
    return object_session(batch).scalar(select(exists().where(BatchItem.batch_id == batch.id)))


def reject(sessions: sessionmaker, batch_id: int, user: str, reason: str) -> None:
    """The level whose turn it is returns the batch with its reason; the sign-offs given are void."""
    if not reason.strip():
        raise ServiceError("退回须说明原因", "reason")
    context, found = batch_step(sessions, batch_id, user)
    with context as step:
        batch = found["batch"]
        chain = step.profile.signoff.batch
        if batch.state != BatchState.SIGNING:
            raise ServiceError(f"批次当前状态为“{BATCH.label(batch.state)}”，不能退回", "state")
        # the level whose turn it is; if the chain no longer begins with what was signed, its preparer
        level = next_level(batch, chain) or chain.levels[0]
        step.require(level.department)
        step.transition(BATCH, batch, "reject", reason)
        _void_sign_offs(batch, f"退回：{reason}")


def _void_sign_offs(batch: PaymentBatch, why: str) -> None:
    now = utcnow()
    for s in valid_sign_offs(batch):
        s.voided_at, s.void_reason = now, why

