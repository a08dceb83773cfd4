"""The advance positions of a region, read from the records that make them (RULES §5, §7).

The one place every step reads what an institution holds of which year's advance: four grouped
queries (payments, rollovers, claims, recoveries), so a province's positions cost a few statements.
See ``policy.positions`` for what each figure means.
"""
from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from sqlalchemy import case, func, select, type_coerce
from sqlalchemy.orm import Session

from ..db import Money, money_sum
from ..models import (
    BatchItem,
    Campaign,
    Determination,
    HeldPayment,
    PaymentBatch,
    PaymentInstruction,
    Receivable,
    RecoveryMovement,
)
from ..policy.facts import Fund
from ..policy.positions import ZERO, Position
from ..policy.transitions import BatchState, DeterminationState, PaymentState

# a batch whose instructions were issued: what it rolled over is part of the new year's advance
ISSUED_BATCH = (BatchState.PAYING, BatchState.PAID)

Key = tuple[int, Fund, int]


def positions(session: Session, region_id: int, *, fund: Fund | None = None,
              institution_id: int | None = None) -> dict[Key, Position]:
    """Every position of the region (of one fund, of one institution), keyed by institution, fund, year."""
    figures: dict[Key, dict[str, Decimal]] = defaultdict(dict)

    def where_det(*extra):
        conditions = [Campaign.region_id == region_id, *extra]
        if institution_id is not None:
            conditions.append(Determination.institution_id == institution_id)
        return conditions

    pi, item = PaymentInstruction, BatchItem
    paid = (select(Determination.institution_id, pi.fund, Campaign.year, money_sum(pi.amount))
            .join(item, item.id == pi.batch_item_id).join(Determination, Determination.id == item.determination_id)
            .join(Campaign, Campaign.id == Determination.campaign_id)
            .where(*where_det(pi.state == PaymentState.PAID, *((pi.fund == fund,) if fund else ())))
            .group_by(Determination.institution_id, pi.fund, Campaign.year))
    rolled = (select(Determination.institution_id, item.fund, Campaign.year, money_sum(item.held))
              .join(PaymentBatch, PaymentBatch.id == item.batch_id)
              .join(Determination, Determination.id == item.determination_id)
              .join(Campaign, Campaign.id == Determination.campaign_id)
              .where(*where_det(PaymentBatch.state.in_(ISSUED_BATCH), Determination.state != DeterminationState.STOPPED,
                                item.held > ZERO, *((item.fund == fund,) if fund else ())))
              .group_by(Determination.institution_id, item.fund, Campaign.year))
    for name, query in (("paid", paid), ("rolled_in", rolled)):
        for inst_id, f, year, amount in session.execute(query):
            figures[(inst_id, Fund(f), year)][name] = amount
    # what year Y + 1 rolled in came out of year Y
    for (inst_id, f, year), values in list(figures.items()):
        if values.get("rolled_in"):
            figures[(inst_id, f, year - 1)]["rolled_out"] = values["rolled_in"]

    r = Receivable
    scope = [r.region_id == region_id, r.advance_year.is_not(None)]
    if fund is not None:
        scope.append(r.fund == fund)
    if institution_id is not None:
        scope.append(r.institution_id == institution_id)
    own = r.transferred_from_id.is_(None)
    for inst_id, f, year, is_own, amount in session.execute(
            select(r.institution_id, r.fund, r.advance_year, own, money_sum(r.amount)).where(*scope)
            .group_by(r.institution_id, r.fund, r.advance_year, own)):
        figures[(inst_id, Fund(f), year)]["claimed" if is_own else "owed_in"] = amount
    for inst_id, f, year, amount in session.execute(
            select(r.institution_id, r.fund, r.advance_year, money_sum(RecoveryMovement.amount))
            .join(RecoveryMovement, RecoveryMovement.receivable_id == r.id).where(*scope)
            .group_by(r.institution_id, r.fund, r.advance_year)):
        figures[(inst_id, Fund(f), year)]["recovered"] = amount
    return {key: Position(key[0], key[1].value, key[2], **values) for key, values in sorted(figures.items())}


def in_force_of_year(session: Session, region_id: int, fund: Fund, year: int) -> dict[int, Decimal]:
    """Per institution, what it still holds of year ``year``'s advance in ``fund`` (17§: the old advance
    a new one replaces)."""
    return {inst_id: p.in_force for (inst_id, _, y), p in positions(session, region_id, fund=fund).items()
            if y == year and p.in_force > 0}


def in_force_of_institution(session: Session, region_id: int, institution_id: int) -> Decimal:
    """What an institution holds of its annual advances, both funds together (13§: one security covers
    both), neither owed back nor a pre-settlement."""
    return sum((p.in_force for p in positions(session, region_id, institution_id=institution_id).values()), ZERO)


def presettlements_owed(session: Session, region_id: int) -> dict[tuple[int, Fund], Decimal]:
    """Per institution and fund, what its paid monthly pre-settlements still owe (26§): the part of
    暂付款 that is no annual advance."""
    done = (select(func.coalesce(func.sum(RecoveryMovement.amount), 0))
            .where(RecoveryMovement.receivable_id == Receivable.id).scalar_subquery())
    return {(inst_id, Fund(f)): amount for inst_id, f, amount in session.execute(
        select(Receivable.institution_id, Receivable.fund, type_coerce(func.sum(Receivable.amount - done), Money()))
        .where(Receivable.region_id == region_id, Receivable.advance_year.is_(None))
        .group_by(Receivable.institution_id, Receivable.fund)) if amount}


def held_back(session: Session, region_id: int, fund: Fund | None = None,
              institution_id: int | None = None) -> dict[tuple[int, Fund], Decimal]:
    """HB 五, RULES §7: per institution and fund, the settlement money held back from it and neither
    released nor applied yet, from the register of held payments (it is not in the book while held)."""
    h = HeldPayment
    signed = case((h.kind == "held", h.amount), else_=-h.amount)
    where = [h.region_id == region_id]
    if fund is not None:
        where.append(h.fund == fund)
    if institution_id is not None:
        where.append(h.institution_id == institution_id)
    return {(inst_id, Fund(f)): amount for inst_id, f, amount in session.execute(
        select(h.institution_id, h.fund, type_coerce(func.sum(signed), Money())).where(*where)
        .group_by(h.institution_id, h.fund)) if amount and amount > 0}


def held_by_institution(session: Session, region_id: int,
                        known: dict[Key, Position] | None = None) -> dict[tuple[int, Fund], Decimal]:
    """What each institution's share of 暂付款—医保预付金 should be, from its positions (``known``: read
    already): its advances in force and what it owes back of them (RULES §7)."""
    held: dict[tuple[int, Fund], Decimal] = defaultdict(lambda: ZERO)
    for (inst_id, fund, _), p in (positions(session, region_id) if known is None else known).items():
        held[(inst_id, fund)] += p.held
    return dict(held)
