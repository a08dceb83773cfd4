"""What institutions owe back (RULES §5, §6), and every way it comes back or is accounted for.

A receivable is a claim on the advance an institution holds: it arises at year end (17§, HB 二(四))
or on a recovery trigger (20§), and is recovered by offset against settlements (``settlement``), by
the institution's refund, by a successor taking it over, or — after a lawsuit or bankruptcy claim —
written off with the court's document and the government's approval. Each of these is one step of
the finance department (24§(一)); each posts its voucher (RULES §7) in the same transaction and is
idempotent by the bank's or the court's reference.
"""
from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Iterable, Iterator

from sqlalchemy import func, insert, select, type_coerce
from sqlalchemy.orm import Session, sessionmaker

from accounting import templates
from accounting.chart import Role
from accounting.errors import LedgerError
from accounting.ledger import get_book, post_in
from accounting.models import JournalEntry

from .. import clock
from ..db import Money, money_sum
from ..models import (
    AnnualClearing,
    Department,
    HeldPayment,
    Institution,
    MonthlyPayout,
    Receivable,
    RecoveryMovement,
    Region,
    SettlementLine,
    SettlementRun,
    Transition,
)
from ..policy.accounts import DEPOSIT_ACCOUNTS
from ..policy.facts import Fund
from ..policy.recovery import COURT_ACTIONS, COURT_ROUTES, METHOD_CN, Method, Route
from ..policy.transitions import RECEIVABLE, RECEIVABLE_OPEN_STATES, ReceivableState
from .dates import not_after_today
from .errors import NotFound, ServiceError
from .positions import held_back
from .unit_of_work import Step, staff_step

ZERO = Decimal("0.00")
PAYING_ACCOUNTS = tuple(DEPOSIT_ACCOUNTS.values())  # RULES §7: the accounts money leaves and enters by


def overdue_on(on: dt.date) -> tuple:
    """The one definition of a debt overdue on ``on`` (20§(二), RULES §6): still open, its refund due before
    that day. The receivables screen, the settlement runs and the to-do list all ask this."""
    return (Receivable.state.in_(RECEIVABLE_OPEN_STATES), Receivable.due_on.is_not(None), Receivable.due_on < on)


def recovered_sum():
    """What came back of each receivable so far (all movement kinds), for a query over a whole region."""
    return (select(RecoveryMovement.receivable_id, money_sum(RecoveryMovement.amount).label("recovered"))
            .group_by(RecoveryMovement.receivable_id).subquery())


def recovered_of_each():
    """What came back of the receivable of the outer query, summed by its own index: for a query about a
    few receivables (the grouped ``recovered_sum`` would sum every recovery of every region each time)."""
    return (select(func.coalesce(func.sum(RecoveryMovement.amount), 0))
            .where(RecoveryMovement.receivable_id == Receivable.id).scalar_subquery())


def outstanding_of(session: Session, receivable: Receivable) -> Decimal:
    done = session.scalar(select(money_sum(RecoveryMovement.amount)).where(
        RecoveryMovement.receivable_id == receivable.id))
    return receivable.amount - done


def still_owed(sessions: sessionmaker, receivable_id: int) -> Decimal:
    with sessions() as session:
        receivable = session.get(Receivable, receivable_id)
        if receivable is None:
            raise NotFound(f"没有应收回记录 {receivable_id}", "receivable")
        return outstanding_of(session, receivable)


def open_receivable(step: Step, institution: Institution, fund: Fund, route: Route, amount: Decimal, since: dt.date,
                    origin: str, reason: str, method: Method = Method.OFFSET,
                    trigger_id: int | None = None, transferred_from_id: int | None = None,
                    advance_year: int | None = None) -> Receivable | None:
    """Record what ``institution`` owes back from ``origin`` (once: the same origin again is found), as
    a claim on year ``advance_year``'s annual advance (None: a monthly pre-settlement)."""
    existing = step.session.scalar(select(Receivable).where(
        Receivable.institution_id == institution.id, Receivable.fund == fund, Receivable.origin == origin))
    if existing is not None:
        return existing
    if amount <= 0:
        return None
    receivable = Receivable(region_id=institution.region_id, institution_id=institution.id, fund=fund, route=route,
                            method=method, origin=origin, amount=amount, since=since, state=ReceivableState.OPEN,
                            reason=reason[:500], trigger_id=trigger_id, transferred_from_id=transferred_from_id,
                            advance_year=advance_year, created_by=step.actor.username)
    step.session.add(receivable)
    step.session.flush()
    step.record(RECEIVABLE, receivable.id, "create", None, ReceivableState.OPEN, reason)
    return receivable


@dataclass(frozen=True)
class NewReceivable:
    institution_id: int
    fund: Fund
    route: Route
    amount: Decimal
    reason: str


def open_receivables(step: Step, region_id: int, rows: list[NewReceivable], since: dt.date, origin: str,
                     method: Method = Method.OFFSET, *, advance_year: int) -> int:
    """Many receivables of one origin at once (a region's year end): one insert, one query for their ids,
    one insert of their transitions. The caller leaves out those recorded already."""
    if not rows:
        return 0
    session, actor = step.session, step.actor.username
    before = session.scalar(select(func.max(Receivable.id))) or 0
    session.execute(insert(Receivable), [
        dict(region_id=region_id, institution_id=r.institution_id, fund=r.fund, route=r.route, method=method,
             origin=origin, amount=r.amount, since=since, state=ReceivableState.OPEN, reason=r.reason[:500],
             advance_year=advance_year, created_by=actor, created_at=clock.utcnow()) for r in rows])
    made = session.execute(select(Receivable.id, Receivable.reason).where(
        Receivable.region_id == region_id, Receivable.origin == origin, Receivable.id > before)).all()
    session.execute(insert(Transition), [
        dict(machine=RECEIVABLE.name, object_id=rid, action="create", from_state=None, to_state=ReceivableState.OPEN,
             actor=actor, reason=reason, at=clock.utcnow()) for rid, reason in made])
    return len(made)


def settle_recovered(session: Session, ids: Iterable[int], actor: str, why: str) -> int:
    """Receivables with nothing left to recover become 已收回: one query to find them, one insert of
    their transitions, one update (a settlement run settles thousands at once)."""
    ids = list(ids)
    if not ids:
        return 0
    finished: list[tuple[int, str]] = []
    for i in range(0, len(ids), 1000):
        finished += session.execute(
            select(Receivable.id, Receivable.state)
            .where(Receivable.id.in_(ids[i:i + 1000]), Receivable.state.in_(RECEIVABLE_OPEN_STATES),
                   recovered_of_each() >= Receivable.amount)).all()
    if not finished:
        return 0
    session.execute(insert(Transition), [
        dict(machine=RECEIVABLE.name, object_id=rid, action="settle", from_state=state,
             to_state=RECEIVABLE.next(state, "settle"), actor=actor, reason=why[:500]) for rid, state in finished])
    for i in range(0, len(finished), 1000):
        session.query(Receivable).filter(Receivable.id.in_([rid for rid, _ in finished[i:i + 1000]])).update(
            {Receivable.state: ReceivableState.RECOVERED}, synchronize_session=False)
    return len(finished)


@contextmanager
def receivable_step(sessions: sessionmaker, receivable_id: int, user: str, *departments: Department,
                    on: dt.date | None = None,
                    lock_region: bool = False) -> Iterator[tuple[Step, Receivable, Institution]]:
    """A step on one receivable: the row locked, its region entered, the profile of ``on``'s year. With
    ``lock_region``, the region's lock is taken first (as a settlement run takes it, before the rows)."""
    with staff_step(sessions, user, *departments) as step:
        if lock_region:
            region_id = step.session.scalar(select(Receivable.region_id).where(Receivable.id == receivable_id))
            if region_id is not None:
                step.session.execute(select(Region.id).where(Region.id == region_id).with_for_update())
        receivable = step.session.scalar(select(Receivable).where(Receivable.id == receivable_id).with_for_update())
        if receivable is None:
            raise NotFound(f"没有应收回记录 {receivable_id}", "receivable")
        step.enter(step.session.get(Region, receivable.region_id))
        step.year = (on or clock.today()).year
        yield step, receivable, step.session.get(Institution, receivable.institution_id)


def _business_date(on: dt.date, field: str = "on") -> None:
    not_after_today(on, field)


def _text(value: str, field: str, label: str, limit: int = 100) -> str:
    value = (value or "").strip()
    if not value:
        raise ServiceError(f"须填写{label}", field)
    if len(value) > limit:
        raise ServiceError(f"{label}不能超过 {limit} 个字符", field)
    return value


def _amount(value: Decimal, outstanding: Decimal, field: str = "amount") -> Decimal:
    if value <= 0 or value != value.quantize(Decimal("0.01")):
        raise ServiceError("金额须为正数，最多两位小数", field)
    if value > outstanding:
        raise ServiceError(f"金额 {value:,.2f} 元超过尚欠的 {outstanding:,.2f} 元", field)
    return value


def _post(step: Step, fund: Fund, draft, key: str) -> tuple[int, bool]:
    try:
        posted = post_in(step.session, get_book(step.session, step.region.code, fund).id, draft, key,
                         step.actor.username)
    except LedgerError as err:
        raise ServiceError(err.message, err.field) from None
    return posted.entry_id, posted.replayed


def account_of(receivable: Receivable) -> Role:
    """RULES §7 (turn 3): the detail account of 暂付款 a receivable is owed on: a monthly pre-settlement's
    on 暂付款—月度预结金, an annual advance's on 暂付款—医保预付金."""
    return Role.PRESETTLEMENT if receivable.route == Route.PRESETTLEMENT else Role.ADVANCE


def _movement(step: Step, receivable: Receivable, kind: str, amount: Decimal, on: dt.date, ref: str,
              entry_id: int | None) -> None:
    step.session.add(RecoveryMovement(receivable_id=receivable.id, kind=kind, amount=amount, on=on, ref=ref,
                                      ledger_entry_id=entry_id, recorded_by=step.actor.username))
    step.session.flush()


# -- the bureau's choices ------------------------------------------------------

def choose_method(sessions: sessionmaker, receivable_id: int, method: Method, user: str, reason: str = "") -> None:
    """17§: a year end's 多退 difference may be refunded by the institution instead of withheld, until
    the refund's due date (the profile's working days from today); every other debt is offset first,
    always (20§(二)1, RULES §6), a refund running beside the offset."""
    from .calendar import working_days_after

    with receivable_step(sessions, receivable_id, user, Department.FINANCE) as (step, receivable, _):
        if receivable.state not in RECEIVABLE_OPEN_STATES:
            raise ServiceError(f"该笔应收回当前状态为“{RECEIVABLE.label(receivable.state)}”，不能更改收回方式", "state")
        if method == Method.REFUND and receivable.route != Route.YEAR_END_DIFFERENCE:
            raise ServiceError("只有年终多退的差额可以选择由机构交回（17§）；其他应收回一律先从结算款中冲抵，"
                               "机构交回与冲抵同时进行，交回款随时可以登记（20§(二)1）", "method")
        if receivable.method != method:
            due = ""
            if method == Method.REFUND and receivable.refund_due_on is None:  # set once: never extended
                deadline = working_days_after(step.session, step.region.code, clock.today(), step.profile.year_end.refund_working_days)
                receivable.refund_due_on = deadline.date
                receivable.due_on = receivable.due_on or deadline.date
                due = f"，须于 {deadline.date} 前交回，逾期恢复从结算款中冲抵"
            step.record(RECEIVABLE, receivable.id, "choose_method", receivable.state, receivable.state,
                        f"收回方式改为{METHOD_CN[method]}{due}：{reason}")
            receivable.method = method


def settlements_could_cover(session: Session, receivable: Receivable) -> str | None:
    """RULES §6: why settlement payments to the institution could still withhold the debt, or None:
    months of its settlement since the debt arose, imported and not yet run; money held back from it
    (HB 五); or it is still being settled (a payment in the fund's latest monthly run since the debt arose).
    Nothing is taken to court or written off while there is such a reason."""
    runs = select(SettlementRun.id, SettlementRun.month).where(SettlementRun.region_id == receivable.region_id,
                                                               SettlementRun.fund == receivable.fund)
    since = receivable.since.replace(day=1)
    pending = session.scalar(select(money_sum(MonthlyPayout.amount)).where(
        MonthlyPayout.institution_id == receivable.institution_id, MonthlyPayout.fund == receivable.fund,
        MonthlyPayout.month >= since, MonthlyPayout.month.not_in(select(runs.subquery().c.month))))
    cleared = [day.year for day in session.scalars(select(SettlementRun.month).where(
        SettlementRun.region_id == receivable.region_id, SettlementRun.fund == receivable.fund,
        SettlementRun.kind == "annual_clearing"))]
    pending += session.scalar(select(money_sum(AnnualClearing.amount)).where(
        AnnualClearing.institution_id == receivable.institution_id, AnnualClearing.fund == receivable.fund,
        AnnualClearing.year.not_in(cleared)))  # any year's clearing not yet run still pays it
    if pending > 0:
        return f"尚有 {pending:,.2f} 元结算款（月度结算或年度清算）已导入、待结算"
    held = held_back(session, receivable.region_id, receivable.fund, receivable.institution_id).get(
        (receivable.institution_id, receivable.fund), ZERO)
    if held > 0:
        return f"尚有暂停拨付的结算款 {held:,.2f} 元"
    # still settled month by month (a year's clearing is a one-off: what it could cover, it withheld)
    latest = session.execute(runs.where(SettlementRun.kind == "monthly")
                             .order_by(SettlementRun.month.desc()).limit(1)).first()
    if latest is not None and latest.month >= since:
        paid = session.scalar(select(SettlementLine.payable).where(
            SettlementLine.run_id == latest.id, SettlementLine.institution_id == receivable.institution_id))
        if paid:
            return f"仍按月结算（{latest.month:%Y-%m} 结算款 {paid:,.2f} 元）"
    return None


def _refuse_while_settlements_cover(step: Step, receivable: Receivable, what: str) -> None:
    reason = settlements_could_cover(step.session, receivable)
    if reason is not None:
        raise ServiceError(f"该机构{reason}，须先从结算款中冲抵（20§(二)1）；不再有结算款可冲抵时方可{what}",
                           "receivable")


@dataclass(frozen=True)
class Demanded:
    receivable_id: int
    demand_ref: str
    outstanding: Decimal
    due_on: dt.date
    provisional: bool  # the deadline crosses a year whose holidays are not known yet


def demand(sessions: sessionmaker, receivable_id: int, on: dt.date, user: str) -> Demanded:
    """20§(二)1: a demand to refund what is still owed within the profile's working days (5), counted
    on the holiday calendar."""
    from .calendar import working_days_after

    _business_date(on)
    with receivable_step(sessions, receivable_id, user, Department.FINANCE, on=on) as (step, receivable, inst):
        outstanding = outstanding_of(step.session, receivable)
        if outstanding <= 0:
            raise ServiceError("该笔应收回已无欠款，无须催收", "receivable")
        step.transition(RECEIVABLE, receivable, "demand", f"尚欠 {outstanding:,.2f} 元")
        deadline = working_days_after(step.session, step.region.code, on, step.profile.year_end.refund_working_days)
        receivable.demand_ref = f"CS-{step.region.code}-{receivable.id:06d}-{on:%Y%m%d}"
        receivable.demanded_on, receivable.due_on, receivable.demanded_amount = on, deadline.date, outstanding
        return Demanded(receivable.id, receivable.demand_ref, outstanding, deadline.date, deadline.provisional)


@dataclass(frozen=True)
class Recovered:
    receivable_id: int
    amount: Decimal
    outstanding: Decimal
    ledger_entry_id: int
    replayed: bool


def record_refund(sessions: sessionmaker, receivable_id: int, amount: Decimal, paid_on: dt.date, bank_ref: str,
                  user: str, paid_into: Role = Role.EXPENDITURE_DEPOSIT) -> Recovered:
    """The institution paid back into the bureau's account: Dr 支出户存款 (or 财政专户存款) /
    Cr 暂付款—医保预付金 (RULES §7). The bank's reference makes a retry harmless."""
    bank_ref = _text(bank_ref, "bank_ref", "银行交易流水号")
    if paid_into not in PAYING_ACCOUNTS:
        raise ServiceError("收款账户须为支出户存款或财政专户存款", "paid_into")
    _business_date(paid_on, "paid_on")
    with receivable_step(sessions, receivable_id, user, Department.FINANCE, on=paid_on) as (step, receivable, inst):
        key = f"receivable:{receivable.id}:refund:{bank_ref}"
        replay = _replayed(step, receivable, key)
        if replay is not None:
            if replay.amount != amount:
                raise ServiceError(f"银行流水号 {bank_ref} 已登记为交回 {replay.amount:,.2f} 元", "bank_ref")
            return replay
        if receivable.state not in RECEIVABLE_OPEN_STATES:
            raise ServiceError(f"该笔应收回当前状态为“{RECEIVABLE.label(receivable.state)}”，不能登记交回", "state")
        outstanding = outstanding_of(step.session, receivable)
        _amount(amount, outstanding)
        account = account_of(receivable)
        draft = templates.recovered_by_refund(
            inst.code, amount, paid_on, key, paid_into=paid_into, account=account,
            summary=f"{inst.code} 交回{templates.WHAT_IS_HELD[account]}（银行流水 {bank_ref}）")
        entry_id, _ = _post(step, receivable.fund, draft, key)
        _movement(step, receivable, "refund", amount, paid_on, bank_ref, entry_id)
        settle_recovered(step.session, [receivable.id], step.actor.username, f"交回 {amount:,.2f} 元")
        return Recovered(receivable.id, amount, outstanding - amount, entry_id, False)


def _replayed(step: Step, receivable: Receivable, key: str) -> Recovered | None:
    """The movement an earlier request under the same reference recorded, if any."""
    found = step.session.execute(
        select(RecoveryMovement).join(JournalEntry, JournalEntry.id == RecoveryMovement.ledger_entry_id)
        .where(RecoveryMovement.receivable_id == receivable.id, JournalEntry.idempotency_key == key)).scalar()
    if found is None:
        return None
    return Recovered(receivable.id, found.amount, outstanding_of(step.session, receivable), found.ledger_entry_id, True)


@dataclass(frozen=True)
class Transferred:
    receivable_id: int
    successor_receivable_id: int | None  # None when what was held back covered the whole debt
    successor_code: str
    amount: Decimal  # what the successor owes now
    applied: Decimal = ZERO  # settlements held back from the institution, applied first (HB 五)


def transfer_to_successor(sessions: sessionmaker, receivable_id: int, successor_code: str, document_ref: str,
                          on: dt.date, user: str) -> Transferred:
    """20§(二)3: after a merger, split or change of ownership, the successor owes what remains (差额部分):
    settlements held back from the institution (HB 五) are applied to the debt first, then the
    successor's sub-ledger takes the rest over (Dr 暂付款 successor / Cr 暂付款 institution). The
    successor's own settlements are not held for the institution's trigger."""
    document_ref = _text(document_ref, "document_ref", "承继依据文书")
    _business_date(on)
    # a settlement run reads and applies what is held too: the region's lock, taken first, as it does
    with receivable_step(sessions, receivable_id, user, Department.FINANCE, on=on, lock_region=True) as (
            step, receivable, inst):
        successor = step.session.scalar(select(Institution).where(
            Institution.region_id == receivable.region_id, Institution.code == (successor_code or "").strip().upper()))
        if successor is None:
            raise NotFound(f"本统筹地区没有机构 {successor_code}", "successor")
        if successor.id == inst.id:
            raise ServiceError("承继方不能是原机构本身", "successor")
        outstanding = outstanding_of(step.session, receivable)
        if outstanding <= 0:
            raise ServiceError("该笔应收回已无欠款", "receivable")
        held = held_back(step.session, receivable.region_id, receivable.fund, inst.id).get((inst.id, receivable.fund), ZERO)
        applied = min(held, outstanding)  # RULES §6: held money goes to any debt, a pre-settlement's too
        if applied > 0:
            key = f"receivable:{receivable.id}:held-applied"
            entry_id, _ = _post(step, receivable.fund, templates.held_applied(
                inst.code, applied, on, key, account=account_of(receivable)), key)
            _movement(step, receivable, "offset", applied, on, "以暂停拨付的结算款抵扣（冀 五）", entry_id)
            step.session.add(HeldPayment(region_id=receivable.region_id, institution_id=inst.id, fund=receivable.fund,
                                         kind="applied", amount=applied, on=on, ref="承继前抵扣（冀 五）",
                                         ledger_entry_id=entry_id, recorded_by=step.actor.username))
            outstanding -= applied
        if outstanding == 0:
            settle_recovered(step.session, [receivable.id], step.actor.username, f"以暂停拨付的结算款抵扣 {applied:,.2f} 元")
            return Transferred(receivable.id, None, successor.code, ZERO, applied)
        step.transition(RECEIVABLE, receivable, "transfer", f"由 {successor.code} {successor.name} 承继（{document_ref}）")
        key = f"receivable:{receivable.id}:transfer"
        draft = templates.transferred_to_successor(inst.code, successor.code, outstanding, on, key, document_ref,
                                                   account=account_of(receivable))
        entry_id, _ = _post(step, receivable.fund, draft, key)
        _movement(step, receivable, "transfer", outstanding, on, document_ref, entry_id)
        taken = open_receivable(
            step, successor, receivable.fund, receivable.route, outstanding, on, f"succession:{receivable.id}",
            f"承继 {inst.code} {inst.name} 的应收回预付金（{document_ref}）", receivable.method,
            transferred_from_id=receivable.id, advance_year=receivable.advance_year)
        return Transferred(receivable.id, taken.id, successor.code, outstanding, applied)


CASE_ACTIONS = COURT_ACTIONS


def take_to_court(sessions: sessionmaker, receivable_id: int, route: str, case_ref: str, court: str, filed_on: dt.date,
                  documents: str, user: str) -> None:
    """20§(二)4–5: a debt not refunded by the demand's deadline goes to a bankruptcy claim or a lawsuit,
    with the case and its documents recorded."""
    if route not in CASE_ACTIONS:
        raise ServiceError("途径须为 " + " 或 ".join(f"{k}（{v}）" for k, v in COURT_ROUTES.items()), "route")
    case_ref = _text(case_ref, "case_ref", "案号")
    court = _text(court, "court", "受理法院")
    documents = _text(documents, "documents", "案件文书", 2000)
    _business_date(filed_on, "filed_on")
    with receivable_step(sessions, receivable_id, user, Department.FINANCE, on=filed_on) as (step, receivable, _):
        if receivable.state == ReceivableState.DEMANDED and receivable.due_on is not None \
                and filed_on <= receivable.due_on:
            raise ServiceError(f"催收期限至 {receivable.due_on}，期满仍未交回方可起诉或申报破产债权", "filed_on")
        if outstanding_of(step.session, receivable) <= 0:
            raise ServiceError("该笔应收回已无欠款", "receivable")
        _refuse_while_settlements_cover(step, receivable, "起诉或申报破产债权")
        step.transition(RECEIVABLE, receivable, CASE_ACTIONS[route], f"{court} {case_ref}")
        receivable.case_ref, receivable.court, receivable.case_filed_on = case_ref, court, filed_on
        receivable.case_documents = documents


def write_off(sessions: sessionmaker, receivable_id: int, court_document_ref: str, approval_ref: str, on: dt.date,
              user: str) -> Recovered:
    """20§(二)6, 21§(三): what enforcement cannot recover is written off, with the court's document and
    the government's approval (both required): Dr 其他支出 / Cr 暂付款—医保预付金, kept in the memo
    register (备查簿)."""
    court_document_ref = _text(court_document_ref, "court_document_ref", "法院出具的法律文书", 200)
    approval_ref = _text(approval_ref, "approval_ref", "人民政府批准文号", 200)
    _business_date(on)
    with receivable_step(sessions, receivable_id, user, Department.FINANCE, on=on) as (step, receivable, inst):
        key = f"receivable:{receivable.id}:write-off"
        replay = _replayed(step, receivable, key)
        if replay is not None:
            return replay
        outstanding = outstanding_of(step.session, receivable)
        _refuse_while_settlements_cover(step, receivable, "核销")
        step.transition(RECEIVABLE, receivable, "write_off", f"{court_document_ref}；{approval_ref}")
        draft = templates.written_off(inst.code, outstanding, on, key, court_document_ref, approval_ref,
                                      account=account_of(receivable))
        entry_id, _ = _post(step, receivable.fund, draft, key)
        _movement(step, receivable, "write_off", outstanding, on, court_document_ref[:100], entry_id)
        return Recovered(receivable.id, outstanding, ZERO, entry_id, False)


def recover_after_write_off(sessions: sessionmaker, receivable_id: int, amount: Decimal, paid_on: dt.date,
                            bank_ref: str, user: str) -> Recovered:
    """20§(二)6: money collected after the write-off (a later enforcement): Dr 支出户存款 / Cr 其他支出,
    registered in the memo register against the write-off."""
    bank_ref = _text(bank_ref, "bank_ref", "银行交易流水号")
    _business_date(paid_on, "paid_on")
    with receivable_step(sessions, receivable_id, user, Department.FINANCE, on=paid_on) as (step, receivable, inst):
        if receivable.state != ReceivableState.WRITTEN_OFF:
            raise ServiceError("只有已核销的应收回才能登记核销后收回", "state")
        written = step.session.scalar(select(RecoveryMovement).where(
            RecoveryMovement.receivable_id == receivable.id, RecoveryMovement.kind == "write_off"))
        key = f"receivable:{receivable.id}:after-write-off:{bank_ref}"
        if amount <= 0 or amount != amount.quantize(Decimal("0.01")):
            raise ServiceError("金额须为正数，最多两位小数", "amount")
        draft = templates.recovered_after_write_off(inst.code, amount, paid_on, key, written.ledger_entry_id,
                                                    summary=f"收回 {inst.code} 已核销的医保预付金（银行流水 {bank_ref}）",
                                                    written_off_on=written.on)
        entry_id, replayed = _post(step, receivable.fund, draft, key)
        return Recovered(receivable.id, amount, ZERO, entry_id, replayed)


def warn_overdue(sessions: sessionmaker, today: dt.date) -> int:
    """20§(二)1, 4–5: a daily notice for each demand whose deadline has passed with money still owed,
    so that the finance department refunds, sues or claims in bankruptcy; once per receivable and day."""
    from .deadlines import notify
    from .rules import effective_profile

    written = 0
    with sessions.begin() as session:
        done = recovered_sum()
        rows = session.execute(
            select(Receivable.id, Receivable.due_on, Receivable.demand_ref, Institution.code, Institution.name,
                   Region, type_coerce(Receivable.amount - func.coalesce(done.c.recovered, 0), Money()))
            .join(Institution, Institution.id == Receivable.institution_id)
            .join(Region, Region.id == Receivable.region_id)
            .outerjoin(done, done.c.receivable_id == Receivable.id)
            .where(Receivable.state == ReceivableState.DEMANDED, Receivable.due_on < today)).all()
        court_action: dict[int, str] = {}
        for rid, due, ref, code, name, region, outstanding in rows:
            if outstanding > 0:
                if region.id not in court_action:  # the text's wording: 提起诉讼 (20§(二)5) or 依法申请强制执行 (HB 五)
                    court_action[region.id] = effective_profile(session, region, today.year).year_end.court_action
                written += notify(session, f"overdue:{rid}:{today}", "warning",
                                  f"{region.name} {code} {name} 未按催收通知 {ref} 于 {due} 前交回，尚欠 {outstanding:,.2f} 元"
                                  f"（逾期 {(today - due).days} 天）：可{court_action[region.id]}或申报破产债权",
                                  region_id=region.id, department=Department.FINANCE)
    return written
