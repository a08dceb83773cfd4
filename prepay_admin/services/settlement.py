"""The monthly settlement run (17§, 20§(二)1, HB 五): a region's month of one fund, settled at once.

After the month's settlement file is imported (the ``settlement`` kind of data intake), the finance
department runs the month: for every institution, the payable is the fund's settlement due to it;
what it owes back by offset is withheld (never more than the payable, never more than owed, the rest
carried to the next month); the net is paid to its bank account. The book records only what touches
the prepayment accounts (RULES §7, turn 3): a line that withholds posts Dr 社会保险待遇支出 /
Cr 暂付款—医保预付金 (or —月度预结金); money held back (HB 五) is no expense and goes to the register
of held payments, and is posted when it is released (Dr 社会保险待遇支出 / Cr 支出户存款) or applied
(as an offset). The settlement itself is the settlement system's. The bank's payment list is the
lines with a net to pay.

Set-based: the run reads its inputs with one query per table and writes each table with one insert,
so its cost grows with the region and not with a round trip per institution. A run is unique per
region, month and fund: a rerun, or a second run at the same time, posts nothing new.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, insert, select, type_coerce
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from accounting import templates
from accounting.errors import LedgerError
from accounting.ledger import get_book, post_many_in

from .. import clock
from ..db import Money, bind_processors, bulk_insert
from ..models import (
    AnnualClearing,
    Department,
    HeldPayment,
    Institution,
    MonthlyPayout,
    Receivable,
    RecoveryMovement,
    RecoveryTrigger,
    SettlementLine,
    SettlementRun,
)
from ..policy.facts import Fund
from ..policy.recovery import Method, Owed, Route, settle_month, waits_for_refund
from ..policy.transitions import RECEIVABLE_OPEN_STATES
from .books import fund_payment_in
from .dates import not_after_today
from .errors import ServiceError
from .positions import held_back
from .receivables import overdue_on, recovered_sum, settle_recovered
from .unit_of_work import region_step

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class RunResult:
    run_id: int
    region_code: str
    month: dt.date
    fund: Fund
    institutions: int
    payable: Decimal
    withheld: Decimal
    held: Decimal
    released: Decimal
    net: Decimal
    replayed: bool  # the month had been run already: nothing new was posted
    kind: str = "monthly"  # or annual_clearing

    @property
    def label(self) -> str:
        return run_label(self.kind, self.month)


MONTHLY, CLEARING = "monthly", "annual_clearing"


def run_label(kind: str, month: dt.date) -> str:
    return f"{month.year} 年度清算" if kind == CLEARING else f"{month:%Y-%m} 月度结算"


def month_end(month: dt.date) -> dt.date:
    following = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return following - dt.timedelta(days=1)


def run_month(sessions: sessionmaker, region_code: str, month: dt.date, fund: Fund, user: str,
              settled_on: dt.date | None = None) -> RunResult:
    """Settle ``month`` of ``fund`` for the region; the vouchers are dated ``settled_on`` (today by default)."""
    settled_on = settled_on or clock.today()
    if month.day != 1:
        raise ServiceError("结算年月须为某月的第一天（YYYY-MM）", "month")
    not_after_today(settled_on, "settled_on", "结算日期")
    if settled_on <= month_end(month):
        raise ServiceError(f"{month:%Y-%m} 的月度结算须在该月结束后办理（结算日期晚于 {month_end(month)}）", "settled_on")
    return _run(sessions, region_code, month, fund, user, settled_on, MONTHLY)


def run_clearing(sessions: sessionmaker, region_code: str, year: int, fund: Fund, user: str,
                 settled_on: dt.date | None = None) -> RunResult:
    """Settle ``year``'s annual clearing (年度清算款) of ``fund``: like a month, it withholds what is owed
    back first (17§, 20§(二)1: 从月度结算或年度清算款项中扣回; HB 二(四): 一并纳入年终清算)."""
    settled_on = settled_on or clock.today()
    if not 2000 <= year <= 2100:
        raise ServiceError("清算年度须在 2000—2100 之间", "year")
    not_after_today(settled_on, "settled_on", "结算日期")
    if settled_on <= dt.date(year, 12, 31):
        raise ServiceError(f"{year} 年度清算须在该年度结束后办理（结算日期晚于 {year}-12-31）", "settled_on")
    return _run(sessions, region_code, clearing_day(year), fund, user, settled_on, CLEARING)


def clearing_day(year: int) -> dt.date:
    """The ``month`` a clearing run is kept under: the year's last day, which no monthly run (the first of
    a month) shares, and which orders it after that year's December."""
    return dt.date(year, 12, 31)


def _run(sessions: sessionmaker, region_code: str, month: dt.date, fund: Fund, user: str, settled_on: dt.date,
         kind: str) -> RunResult:
    label = run_label(kind, month)
    with region_step(sessions, user, region_code, month.year, Department.FINANCE) as step:
        session, region = step.session, step.region
        step.lock_region()  # what is owed and held is read before the book is posted: one run at a time
        existing = _existing(session, region.id, month, fund, kind)
        if existing is not None:
            return _result(existing, region.code, True)
        run = SettlementRun(region_id=region.id, month=month, fund=fund, kind=kind, settled_on=settled_on,
                            institutions=0, payable=ZERO, withheld=ZERO, held=ZERO, released=ZERO, net=ZERO,
                            run_by=user)
        try:
            with session.begin_nested():
                session.add(run)
                session.flush()
        except IntegrityError:  # run at the same time: the other run committed first
            return _result(_existing(session, region.id, month, fund, kind), region.code, True)
        book = get_book(session, region.code, fund)
        feed = AnnualClearing if kind == CLEARING else MonthlyPayout
        when = (AnnualClearing.year == month.year) if kind == CLEARING else (MonthlyPayout.month == month)
        payables = session.execute(
            select(Institution.id, Institution.code, Institution.name, Institution.bank_name, Institution.bank_account,
                   feed.amount)
            .join(feed, feed.institution_id == Institution.id)
            .where(Institution.region_id == region.id, when, feed.fund == fund)
            .order_by(Institution.code)).all()
        if not payables:
            raise ServiceError(f"{region.name} {label} {fund.value} 的结算数据尚未导入",
                               "year" if kind == CLEARING else "month")
        owed, owed_by_refund = _owed(session, region.id, fund, settled_on)
        presettlements = {o.id for items in owed.values() for o in items if o.route == Route.PRESETTLEMENT}
        holding = _holding(session, region.id, fund, step.profile.year_end.withhold_settlement_until_recovered)
        held_before = {inst_id: amount for (inst_id, _), amount in held_back(session, region.id, fund).items()}
        overdue = _overdue(session, region.id, fund, settled_on)
        # RULES §6: money held back from an institution with no settlement this month is still applied
        # (or released) when its turn comes
        settled = {row[0] for row in payables}
        idle = sorted(i for i in held_before if i not in settled)
        if idle:  # few: those held back from and no longer settled
            payables = sorted(list(payables) + [
                (i, c, n, bn, ba, ZERO) for i, c, n, bn, ba in session.execute(
                    select(Institution.id, Institution.code, Institution.name, Institution.bank_name,
                           Institution.bank_account).where(Institution.id.in_(idle)))], key=lambda r: r[1])

        lines, drafts, shares, months = [], [], [], []
        for inst_id, code, name, bank_name, bank_account, payable in payables:
            month_ = settle_month(payable, owed.get(inst_id, ()), inst_id in holding, held_before.get(inst_id, ZERO),
                                  owed_by_refund.get(inst_id, ZERO), apply_held=inst_id in overdue)
            if not month_.payable and not month_.released and not month_.applied:
                continue  # nothing settled and nothing to pay: no voucher, no line
            key = (f"clearing:{region.code}:{month.year}:{fund.value}:{code}" if kind == CLEARING
                   else f"settlement:{region.code}:{month:%Y-%m}:{fund.value}:{code}")
            summary = f"{code} {month.year}年度医保清算" if kind == CLEARING else f"{code} {month:%Y年%m月}医保结算"
            of_presettlements = sum((sh.amount for sh in month_.shares if sh.receivable_id in presettlements), ZERO)
            # RULES §7: only what touches the prepayment accounts is posted; held money is in the register
            draft = templates.monthly_settlement(
                code, month_.withheld - of_presettlements, settled_on, key, withheld_presettlement=of_presettlements,
                released=month_.released, summary=summary + (f"（{month_.reason}）" if month_.reason else ""))
            if draft is not None:
                drafts.append((draft, key))
            lines.append(dict(run_id=run.id, institution_id=inst_id, institution_code=code, institution_name=name,
                              payable=payable, withheld=month_.withheld, held=month_.held, released=month_.released,
                              applied=month_.applied, net=month_.net, still_owed=month_.still_owed, note=month_.reason[:300],
                              bank_name=bank_name, bank_account=bank_account, ledger_entry_id=None,
                              posts=draft is not None))
            shares.append(month_.shares)
            months.append(month_)
        released = sum((m.released for m in months), ZERO)
        try:
            fund_payment_in(session, book.id, released, settled_on, f"{label}:{region.code}:{fund.value}:released",
                            user)  # the released held money leaves the expenditure account
            posted = iter(post_many_in(session, book.id, drafts, user))
        except LedgerError as err:
            raise ServiceError(err.message, err.field) from None
        for line in lines:
            if line.pop("posts"):
                line["ledger_entry_id"] = next(posted).entry_id
        _write_lines(session, lines)
        ids = dict(session.execute(select(SettlementLine.institution_id, SettlementLine.id)
                                   .where(SettlementLine.run_id == run.id)).all())
        line_ids = [ids[line["institution_id"]] for line in lines]
        movements = [dict(receivable_id=share.receivable_id, kind="offset", amount=share.amount, on=settled_on,
                          ref=label, ledger_entry_id=line["ledger_entry_id"],
                          settlement_line_id=line_id, recorded_by=user, recorded_at=clock.utcnow())
                     for line, line_id, line_shares in zip(lines, line_ids, shares) for share in line_shares]
        if movements:
            session.execute(insert(RecoveryMovement), movements)
        # HB 五, RULES §7: the register of held payments
        register = [dict(region_id=region.id, institution_id=line["institution_id"], fund=fund, kind=kind_, amount=amount,
                         on=settled_on, ref=label[:100], settlement_line_id=line_id,
                         ledger_entry_id=line["ledger_entry_id"], recorded_by=user, recorded_at=clock.utcnow())
                    for line, line_id, m in zip(lines, line_ids, months)
                    for kind_, amount in (("held", m.held), ("released", m.released), ("applied", m.applied))
                    if amount > 0]
        if register:
            session.execute(insert(HeldPayment), register)
        settle_recovered(session, {m["receivable_id"] for m in movements}, user, f"{label}扣回完毕")
        run.institutions = len(lines)
        for field in ("payable", "withheld", "held", "released", "net"):
            setattr(run, field, sum((line[field] for line in lines), ZERO))
        return _result(run, region.code, False)


LINE_COLUMNS = ("run_id", "institution_id", "institution_code", "institution_name", "payable", "withheld", "held",
                "released", "applied", "net", "still_owed", "note", "bank_name", "bank_account", "ledger_entry_id")


def _write_lines(session: Session, lines: list[dict]) -> None:
    """The run's lines as stored rows in one bulk insert (COPY on PostgreSQL; no RETURNING, which SQLite
    would answer row by row)."""
    to_db = bind_processors(SettlementLine.__table__, LINE_COLUMNS, session.connection().dialect)
    bulk_insert(session.connection(), SettlementLine.__table__, LINE_COLUMNS,
                [tuple(to_db[c](line[c]) for c in LINE_COLUMNS) for line in lines])


def _existing(session: Session, region_id: int, month: dt.date, fund: Fund, kind: str) -> SettlementRun | None:
    return session.scalar(select(SettlementRun).where(
        SettlementRun.region_id == region_id, SettlementRun.month == month, SettlementRun.fund == fund,
        SettlementRun.kind == kind))


def _result(run: SettlementRun, region_code: str, replayed: bool) -> RunResult:
    return RunResult(run.id, region_code, run.month, run.fund, run.institutions, run.payable, run.withheld, run.held,
                     run.released, run.net, replayed, run.kind)


def _owed(session: Session, region_id: int, fund: Fund, on: dt.date) -> tuple[dict[int, list[Owed]], dict[int, Decimal]]:
    """Every open receivable with what is still owed on it, in one query: per institution, those the
    month withholds (offset first, always: RULES §6), and the sum of those waiting for a refund (a
    year end's 多退 difference before its due date, 17§)."""
    done = recovered_sum()
    rows = session.execute(
        select(Receivable.id, Receivable.institution_id, Receivable.since, Receivable.route, Receivable.method,
               Receivable.refund_due_on, type_coerce(Receivable.amount - func.coalesce(done.c.recovered, 0), Money()))
        .outerjoin(done, done.c.receivable_id == Receivable.id)
        .where(Receivable.region_id == region_id, Receivable.fund == fund,
               Receivable.state.in_(RECEIVABLE_OPEN_STATES))).all()
    owed: dict[int, list[Owed]] = {}
    by_refund: dict[int, Decimal] = {}
    for rid, inst_id, since, route, method, due_on, outstanding in rows:
        if outstanding <= 0:
            continue
        if waits_for_refund(Route(route), Method(method), due_on, on):
            by_refund[inst_id] = by_refund.get(inst_id, ZERO) + outstanding
        else:
            owed.setdefault(inst_id, []).append(Owed(rid, outstanding, since, Route(route)))
    return owed, by_refund


def _holding(session: Session, region_id: int, fund: Fund, profile_holds: bool) -> set[int]:
    """HB 五: institutions under a trigger whose settlements are kept back until the advance is recovered."""
    if not profile_holds:
        return set()
    return set(session.scalars(
        select(Receivable.institution_id).join(RecoveryTrigger, RecoveryTrigger.id == Receivable.trigger_id)
        .where(Receivable.region_id == region_id, Receivable.fund == fund, RecoveryTrigger.hold_settlement,
               Receivable.state.in_(RECEIVABLE_OPEN_STATES))))


def _overdue(session: Session, region_id: int, fund: Fund, on: dt.date) -> set[int]:
    """RULES §6: institutions with a debt whose refund was due before ``on`` and is still owed: what was
    held back from them is applied to it."""
    return set(session.scalars(select(Receivable.institution_id).where(
        Receivable.region_id == region_id, Receivable.fund == fund, *overdue_on(on))))


