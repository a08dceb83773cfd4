"""The end of a qualification year (17§, HB 二(四)): rollover, clearance or annual recovery.

Run by the finance department (24§(一)) for the year whose advances end. The profile of that year
decides through ``year_end.mode``; no code asks which region it is:

- ``rollover`` (Nantong 17§, 滚动结算): once the next year's list is fixed, an institution that signed
  again keeps its advance; a smaller new amount makes the difference owed back (the bureau then
  chooses refund or offset per institution), a larger one is paid by the new year's batch, which
  carries the difference. One that is not listed again, gave up or never applied is cleared: its whole
  advance is owed back, withheld from the December settlement and the months after, or refunded.
- ``recover`` (HB 二(四)): every advance is owed back before the year-end settlement, and the next
  year's advance is paid afresh.

One year at a time (RULES §5): each institution's position of that year is read (what was advanced
for it, less what was claimed back), never the account's balance, so the next year's advance, a
pre-settlement or a debt of another origin is never claimed. Safe to run again: each institution's
year-end receivable is recorded once; those still in the next year's signing window are reported as
undecided and settled by a later run; a complete year end says so and changes nothing.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import func, select, type_coerce
from sqlalchemy.orm import sessionmaker

from .. import clock
from ..db import Money
from ..models import (
    Application,
    Campaign,
    Department,
    Determination,
    DeterminationAdvance,
    Institution,
    PaymentBatch,
    PaymentInstruction,
    Receivable,
    SettlementRun,
    YearEndRun,
)
from ..policy.facts import Fund
from ..policy.recovery import YearEnd, plan_year_end
from ..policy.transitions import UNSETTLED_PAYMENTS, ApplicationState, BatchState, CampaignState, DeterminationState
from .dates import not_after_today
from .errors import ServiceError
from .positions import positions
from .receivables import NewReceivable, open_receivables
from .rules import effective_profile
from .unit_of_work import region_step

FIRST_YEAR = 2000  # no bureau ran a prepayment earlier
QUALIFIED = (DeterminationState.SIGNED, DeterminationState.PAID)
UNDECIDED = (DeterminationState.LISTED, DeterminationState.SECURED, DeterminationState.COMPUTED)
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class YearEndResult:
    year: int
    mode: str
    outcomes: dict[str, int]  # YearEnd value -> institution-funds
    owed: Decimal  # what became owed back by this run
    undecided: tuple[str, ...] = field(default=())  # institutions still in the next year's signing window
    already_done: bool = False  # the year end had been completed before: nothing changed
    december_settled: tuple[str, ...] = field(default=())  # funds whose December was settled before it


def close_year(sessions: sessionmaker, region_code: str, year: int, user: str, on: dt.date | None = None) -> YearEndResult:
    """The year end of ``year``'s advances, and of nothing else (RULES §5: one year at a time).

    It reads each institution's position of ``year`` (what it was advanced for that year, less what
    was already claimed back of it), never the account's balance: a pre-settlement, an amount owed
    back for another reason, or the next year's advance is not part of it. Run again, it decides only
    those left undecided; once complete, it says so and changes nothing."""
    on = on or clock.today()
    not_after_today(on, "on")
    with region_step(sessions, user, region_code, year, Department.FINANCE) as step:  # who, then what
        if not FIRST_YEAR <= year <= on.year:
            raise ServiceError(f"年度须在 {FIRST_YEAR}—{on.year} 之间", "year")
        if on < dt.date(year, 12, 1):  # the year's advances are still running
            raise ServiceError(f"{year} 年度的年终处理最早于 {year} 年 12 月 1 日办理", "year")
        session, region = step.session, step.region
        step.lock_region()  # a trigger or a second year end at the same time waits, then reads what this one claimed
        mode = step.profile.year_end.mode
        run = session.scalar(select(YearEndRun).where(YearEndRun.region_id == region.id, YearEndRun.year == year)
                             .with_for_update())
        if run is not None and run.complete:
            return YearEndResult(year, mode, {}, ZERO, already_done=True)
        institutions = dict(session.execute(select(Institution.id, Institution.code)
                                            .where(Institution.region_id == region.id)).all())
        next_year = _next_year_advances(step, year, on) if mode == "rollover" else {}
        origin = f"year-end:{year}"
        recorded = set(session.execute(select(Receivable.institution_id, Receivable.fund).where(
            Receivable.region_id == region.id, Receivable.origin == origin)).all())
        outcomes: Counter[str] = Counter()
        undecided, new = set(), []
        for (inst_id, fund, advance_year), position in positions(session, region.id).items():
            if advance_year != year or position.old_advance <= 0:
                continue
            qualified, new_amount = next_year.get((inst_id, fund), (False, ZERO))
            plan = plan_year_end(mode, position.old_advance, qualified, new_amount)
            outcomes[plan.outcome.value] += 1
            if plan.outcome == YearEnd.UNDECIDED:
                undecided.add(institutions[inst_id])
            if plan.route is None or (inst_id, fund) in recorded:
                continue
            amount = min(plan.amount, position.in_force)  # what was rolled on already is the next year's
            if amount > 0:
                new.append(NewReceivable(inst_id, fund, plan.route, amount, f"{year} 年度预付金年终处理：{plan.why}"))
        open_receivables(step, region.id, new, on, origin, advance_year=year)
        owed = sum((r.amount for r in new), ZERO)
        if run is None:
            run = YearEndRun(region_id=region.id, year=year, mode=mode, complete=False, first_run_on=on,
                             last_run_on=on, run_by=user, owed=ZERO)
            session.add(run)
        # complete once nobody is left undecided and nothing of the year's batches is still to be paid
        run.complete = not undecided and not _payments_pending(session, region.id, year)
        run.last_run_on, run.owed = on, run.owed + owed
        return YearEndResult(year, mode, dict(outcomes), owed, tuple(sorted(undecided)),
                             december_settled=december_settled(session, region.id, year))


def december_settled(session, region_id: int, year: int) -> tuple[str, ...]:
    """RULES §5: the funds whose December of ``year`` was settled already, so that a clearance made now
    is withheld from the next settlement instead (the screen and the command say so before)."""
    return tuple(sorted(f.value for f in session.scalars(select(SettlementRun.fund).where(
        SettlementRun.region_id == region_id, SettlementRun.month == dt.date(year, 12, 1)))))


def _payments_pending(session, region_id: int, year: int) -> bool:
    """Whether a payment instruction of the year's batches still waits for the bank."""
    return session.scalar(select(PaymentInstruction.id).join(PaymentBatch, PaymentBatch.id == PaymentInstruction.batch_id)
                          .join(Campaign, Campaign.id == PaymentBatch.campaign_id)
                          .where(Campaign.region_id == region_id, Campaign.year == year,
                                 PaymentInstruction.state.in_(UNSETTLED_PAYMENTS)).limit(1)) is not None


def due_year(session, region_id: int, today: dt.date) -> int:
    """The year whose year end is due: the earliest year whose batches were issued, whose December has
    come and whose year end is not complete; else last year (the year-end form defaults to it, never
    to a year already done nor to one still running). Two small reads, whatever the region's size."""
    done = set(session.scalars(select(YearEndRun.year).where(YearEndRun.region_id == region_id,
                                                             YearEndRun.complete)))
    issued = set(session.scalars(select(Campaign.year).join(PaymentBatch, PaymentBatch.campaign_id == Campaign.id)
                                 .where(Campaign.region_id == region_id,
                                        PaymentBatch.state.in_((BatchState.PAYING, BatchState.PAID))).distinct()))
    years = sorted(y for y in issued - done if dt.date(y, 12, 1) <= today)
    return years[0] if years else today.year - 1


def _next_year_advances(step, year: int, on: dt.date) -> dict[tuple[int, Fund], tuple[bool | None, Decimal]]:
    """17§: per institution and fund, whether it signed for the next year (None while its signing window
    is open) and the amount it should hold then. Requires the next year's list to be fixed, or its
    application deadline to have passed with no application: then nobody continues, and every advance
    held is cleared (RULES §5)."""
    session = step.session
    campaign = session.scalar(select(Campaign).where(Campaign.region_id == step.region.id,
                                                     Campaign.year == year + 1))
    if campaign is None or campaign.state != CampaignState.LIST_FIXED:
        deadline = effective_profile(session, step.region, year + 1).calendar.application_deadline \
            .in_campaign(year + 1)
        applied = campaign is not None and session.scalar(
            select(func.count(Application.id)).where(Application.campaign_id == campaign.id,
                                                     Application.state != ApplicationState.WITHDRAWN)) > 0
        if on > deadline and not applied:
            return {}
        raise ServiceError(f"滚动结算须待 {year + 1} 年度预付名单确定后办理（17§）", "year")
    current = (Determination.campaign_id == campaign.id, Determination.run == campaign.determination_run)
    states = dict(session.execute(select(Determination.institution_id, Determination.state).where(*current)).all())
    amounts = {(inst_id, fund): amount for inst_id, fund, amount in session.execute(
        select(Determination.institution_id, DeterminationAdvance.fund,
               type_coerce(func.coalesce(DeterminationAdvance.final_amount, DeterminationAdvance.amount), Money()))
        .join(DeterminationAdvance, DeterminationAdvance.determination_id == Determination.id)
        .where(*current)).all()}
    return {(inst_id, fund): (True if state in QUALIFIED else None if state in UNDECIDED else False,
                              amounts.get((inst_id, fund), ZERO))
            for inst_id, state in states.items() for fund in Fund}
