"""Play the demo region's two years, the money going out and coming back, with the real services.

Year one is played through payment; then its months are settled (a recovery trigger mid-year with a
partial offset and a demand; another trigger ending, through a lawsuit, in a write-off); year two is
applied for, determined and paid (the batch carrying the rollover's differences); year one is closed
(a repayment of a smaller new advance by offset, a clearance of an institution that did not apply
again); and the months since are settled, December's and January's withholding the clearance. Every
date is one the bureau would have used, and none lies after today.

``check(step)`` is called after every step (the end-to-end tests verify the books there).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Callable

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import sessionmaker

from .. import clock
from ..models import Determination, Institution, MonthlyPayout, Receivable, Region
from ..policy.facts import Fund
from ..policy.recovery import Route, TriggerKind
from ..policy.transitions import DeterminationState, ReceivableState
from . import receivables, settlement, triggers, year_end
from .demo_cycle import play_cycle
from .rules import effective_profile

# the demo's one repayment (多退): the scenario scored 92 the year before (1.5 months), 85 now (1 month)
REPAYING_INDEX = 2
from .unit_of_work import find_campaign

Step = Callable[[str], None]


@dataclass(frozen=True)
class PlayedReturn:
    settlement_runs: int
    triggered: tuple[str, ...]
    written_off: str
    cleared: str


def _paid(sessions: sessionmaker, region_code: str, year: int) -> dict[str, Decimal]:
    """The institutions paid an advance for ``year``, with the months of payout it amounts to (13§)."""
    with sessions() as session:
        region = session.scalar(select(Region).where(Region.code == region_code))
        campaign = find_campaign(session, region, year)
        return dict(session.execute(
            select(Institution.code, Determination.months).join(Determination, Determination.institution_id == Institution.id)
            .where(Determination.campaign_id == campaign.id, Determination.state == DeterminationState.PAID)
            .order_by(Institution.code)).all())


def _scenario_code(paid: list[str], index: int) -> str | None:
    return next((code for code in paid if code.endswith(f"{index + 1:07d}")), None)


def _settle(sessions: sessionmaker, region_code: str, month: dt.date, step: Step, check: Step,
            on: dt.date | None = None) -> int:
    """Both funds of ``month``, on the 10th of the month after (if that day has come)."""
    on = on or settlement.month_end(month) + dt.timedelta(days=10)
    if on > clock.today():
        return 0
    for fund in Fund:
        settlement.run_month(sessions, region_code, month, fund, "caiwu1", on)
    step(f"{month:%Y-%m} 月度结算")
    check(f"{month:%Y-%m} 月度结算")
    return 2


def _receivable(sessions: sessionmaker, code: str, route: Route) -> int | None:
    """The institution's first receivable of ``route`` (the employee fund's, where it has one)."""
    with sessions() as session:
        return session.scalar(select(Receivable.id).join(Institution, Institution.id == Receivable.institution_id)
                              .where(Institution.code == code, Receivable.route == route)
                              .order_by(Receivable.fund, Receivable.id).limit(1))


def _lawsuit_story(sessions: sessionmaker, region_code: str, code: str, month: dt.date, step: Step,
                   check: Step) -> None:
    """A change of ownership at the start of March, after which the institution settles no more: with
    no settlement to withhold from, the debt is demanded in April, sued for in May and written off in November
    (20§(二)1, 5–6: nothing goes to court while settlements could still cover it). Each step reads the
    receivable first, so that a rerun of an interrupted load goes on from there."""
    year = month.year
    if month.month == 3:
        triggers.record_trigger(sessions, region_code, code, TriggerKind.OWNERSHIP_CHANGE, dt.date(year, 3, 4),
                                f"股权转让协议及工商变更登记（{year}）", "jihe1")  # recorded once, however often sent
        _stop_settling(sessions, region_code, code, dt.date(year, 2, 1))
        step(f"{code} 收回情形：产权变更，此后不再结算")
        check("触发收回")
    elif month.month == 4:
        rid = _receivable(sessions, code, Route.TRIGGER)
        if _state(sessions, rid) == (ReceivableState.OPEN, False):
            receivables.demand(sessions, rid, dt.date(year, 4, 13), "caiwu1")
        step(f"{code} 已无结算款可冲抵，发出催收通知")
        check("催收")
    elif month.month == 5:
        rid = _receivable(sessions, code, Route.TRIGGER)
        if _state(sessions, rid)[0] == ReceivableState.DEMANDED:
            receivables.take_to_court(sessions, rid, "litigation", f"（{year}）苏0602民初1024号", "南通市崇川区人民法院",
                                      dt.date(year, 5, 8), "起诉状；预付协议；催收通知及送达回证", "caiwu1")
        step(f"{code} 逾期未交回，提起诉讼")
    elif month.month == 11:
        rid = _receivable(sessions, code, Route.TRIGGER)
        if _state(sessions, rid)[0] != ReceivableState.WRITTEN_OFF:
            receivables.write_off(sessions, rid, f"（{year}）苏0602执恢88号终结本次执行程序裁定书",
                                  f"通政复〔{year}〕126号", dt.date(year, 11, 20), "caiwu1")
        step(f"{code} 执行不能，核销并记入备查簿")
        check("核销")


def _stop_settling(sessions: sessionmaker, region_code: str, code: str, last: dt.date) -> None:
    """The institution was transferred: no settlement data of it comes for the months after ``last``."""
    with sessions.begin() as session:
        inst_id = session.scalar(select(Institution.id).join(Region, Region.id == Institution.region_id)
                                 .where(Region.code == region_code, Institution.code == code))
        # the rest of that year only: a load resumed after the next year's settlements were written
        # must not delete them (they are copied from this year's, already without these months)
        session.execute(delete(MonthlyPayout).where(MonthlyPayout.institution_id == inst_id, MonthlyPayout.month > last,
                                                    MonthlyPayout.month < dt.date(last.year + 1, 1, 1)))


def _state(sessions: sessionmaker, receivable_id: int) -> tuple[str, bool]:
    """The receivable's state, and whether it has been demanded."""
    with sessions() as session:
        r = session.get(Receivable, receivable_id)
        return r.state, r.demand_ref is not None


def _year_end_mode(sessions: sessionmaker, region_code: str, year: int) -> str:
    with sessions() as session:
        region = session.scalar(select(Region).where(Region.code == region_code))
        return effective_profile(session, region, year).year_end.mode


def next_year_payouts(sessions: sessionmaker, region_code: str, year: int) -> None:
    """The second year's monthly settlements, for the demo: last year's month grown by 5%, to the fen."""
    with sessions.begin() as session:
        region = session.scalar(select(Region).where(Region.code == region_code))
        if session.scalar(select(MonthlyPayout.institution_id).join(Institution, Institution.id == MonthlyPayout.institution_id)
                          .where(Institution.region_id == region.id, MonthlyPayout.month >= dt.date(year, 1, 1))
                          .limit(1)) is not None:
            return  # written before an interrupted load stopped
        rows = session.execute(select(MonthlyPayout).join(Institution, Institution.id == MonthlyPayout.institution_id)
                               .where(Institution.region_id == region.id, MonthlyPayout.month >= dt.date(year - 1, 1, 1),
                                      MonthlyPayout.month < dt.date(year, 1, 1))).scalars().all()
        grown = [dict(institution_id=p.institution_id, month=p.month.replace(year=year), fund=p.fund,
                      amount=(p.amount * Decimal("1.05")).quantize(Decimal("0.01")),
                      out_of_region=(p.out_of_region * Decimal("1.05")).quantize(Decimal("0.01")))
                 for p in rows]
        if grown:
            session.execute(insert(MonthlyPayout), grown)


def play_two_years(sessions: sessionmaker, region_code: str, year: int, seed: int, step: Step = lambda s: None,
                   check: Step = lambda s: None) -> PlayedReturn:
    """``year`` − 1 and ``year``, as described above."""
    first = year - 1
    play_cycle(sessions, region_code, first, seed, step)
    check(f"{first} 年度拨付")
    paid = _paid(sessions, region_code, first)
    repaying = _scenario_code(list(paid), REPAYING_INDEX)
    # those holding 1.5 months or more: a month's settlement cannot cover them, so the clearance spans
    # December and January, and the trigger's offset leaves a rest to demand
    large = [code for code, months in paid.items() if months >= Decimal("1.5") and code != repaying]
    others = [code for code in reversed(paid) if code not in large and code != repaying]
    story = (large + others)[:3]  # a region too small for the story only settles its months
    cleared, trigger_a, trigger_b = story if len(story) == 3 else (None, None, None)
    runs = 0
    for m in range(1, 12):
        month = dt.date(first, m, 1)
        if trigger_b is not None:
            _lawsuit_story(sessions, region_code, trigger_b, month, step, check)
        if trigger_a is not None and m == 6:  # asset seizure early in July: June's settlement withholds it
            # (under HB 五 it holds June's settlement back: the 5 working days to refund have not passed)
            triggers.record_trigger(sessions, region_code, trigger_a, TriggerKind.ASSET_SEIZURE,
                                    dt.date(first, 7, 6), f"（{first}）苏0602财保77号民事裁定书", "jihe1")
            step(f"{trigger_a} 收回情形：财产被保全")
            check("触发收回")
        runs += _settle(sessions, region_code, month, step, check)
        if trigger_a is not None and m == 6:  # June's settlement did not cover it: a demand for the rest
            rid_a = _receivable(sessions, trigger_a, Route.TRIGGER)
            if rid_a is not None and receivables.still_owed(sessions, rid_a) > 0 and not _state(sessions, rid_a)[1]:
                receivables.demand(sessions, rid_a, dt.date(first, 7, 14), "caiwu1")
                step(f"{trigger_a} 冲抵后尚欠部分发出催收通知")

    recover_yearly = _year_end_mode(sessions, region_code, first) == "recover"
    if recover_yearly:  # HB 二(四): recovered before the year-end settlement, whatever the next year brings
        year_end.close_year(sessions, region_code, first, "caiwu1", dt.date(first, 12, 19))
        step(f"{first} 年度年终处理：预付金全部收回")
        check("年终处理")
    next_year_payouts(sessions, region_code, year)
    play_cycle(sessions, region_code, year, seed, step, skip=frozenset(c for c in (trigger_a, trigger_b, cleared) if c),
               keep=frozenset({repaying} if repaying else ()))
    check(f"{year} 年度拨付（滚动结算：只拨差额）")
    if not recover_yearly:  # 17§: once the new list is fixed and signed, 多退少补 or clearance
        year_end.close_year(sessions, region_code, first, "caiwu1", dt.date(year, 1, 26))
        step(f"{first} 年度年终处理：多退少补、清算")
        check("年终处理")
    # December's settlement waits for the year end, so that it withholds what the year end made owed (17§)
    runs += _settle(sessions, region_code, dt.date(first, 12, 1), step, check, dt.date(year, 1, 27))
    for m in range(1, 13):
        runs += _settle(sessions, region_code, dt.date(year, m, 1), step, check)
    return PlayedReturn(runs, (trigger_a, trigger_b), trigger_b, cleared)
