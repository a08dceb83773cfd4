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

Safe to run again: each institution's year-end receivable is recorded once; those still in the next
year's signing window are reported as undecided and settled by a later run.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import func, select, type_coerce
from sqlalchemy.orm import sessionmaker

from accounting.chart import Role
from accounting.ledger import get_book
from accounting.reports import party_balances

from .. import clock
from ..db import Money
from ..models import (
    Application, Campaign, Department, Determination, DeterminationAdvance, Institution, Receivable,
)
from ..policy.facts import Fund
from ..policy.recovery import YearEnd, plan_year_end, trigger_owed
from ..policy.transitions import ApplicationState, CampaignState, DeterminationState
from .errors import ServiceError
from .receivables import NewReceivable, open_receivables, owed_in_region
from .rules import effective_profile
from .unit_of_work import region_step

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


def close_year(sessions: sessionmaker, region_code: str, year: int, user: str, on: dt.date | None = None) -> YearEndResult:
    on = on or clock.today()
    if on > clock.today():
        raise ServiceError(f"业务日期 {on} 晚于今天", "on")
    with region_step(sessions, user, region_code, year, Department.FINANCE) as step:
        session, region = step.session, step.region
        mode = step.profile.year_end.mode
        institutions = {i.code: i for i in session.scalars(select(Institution).where(Institution.region_id == region.id))}
        next_year = _next_year_advances(step, year, on) if mode == "rollover" else {}
        origin = f"year-end:{year}"
        recorded = set(session.execute(select(Receivable.institution_id, Receivable.fund).where(
            Receivable.region_id == region.id, Receivable.origin == origin)).all())
        outcomes: Counter[str] = Counter()
        undecided, new = set(), []
        for fund in Fund:
            held = party_balances(session, get_book(session, region.code, fund).id, Role.ADVANCE)
            already = owed_in_region(session, region.id, fund)
            for code, balance in sorted(held.items()):
                inst = institutions.get(code)
                if inst is None or balance <= 0:
                    continue
                qualified, new_amount = next_year.get((inst.id, fund), (False, ZERO))
                plan = plan_year_end(mode, balance, qualified, new_amount)
                outcomes[plan.outcome.value] += 1
                if plan.outcome == YearEnd.UNDECIDED:
                    undecided.add(code)
                if plan.route is None or (inst.id, fund) in recorded:
                    continue
                amount = min(plan.amount, trigger_owed(balance, already.get(inst.id, ZERO)))
                if amount > 0:
                    new.append(NewReceivable(inst.id, fund, plan.route, amount, f"{year} 年度预付金年终处理：{plan.why}"))
        open_receivables(step, region.id, new, on, origin)
        return YearEndResult(year, mode, dict(outcomes), sum((r.amount for r in new), ZERO), tuple(sorted(undecided)))


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
