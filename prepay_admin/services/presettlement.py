"""26§ 月度预结金: an advance on a month's settlement for an institution or pharmacy whose settlement
cannot run normally, or whose settled amount falls far below what was incurred.

The fund-settlement department records it with the figures that bound it (at most the profile's share,
90%, of the fund amount actually incurred; within the total budget, or only the difference to what was
settled); it is signed level by level like a payment batch (24§(五)): the first case by the bureau's
own two levels, the second — on the institution's written application — up to the administration and
the finance bureau. Every sign-off is bound to the hash of what it saw, and nobody signs two levels.
The finance department pays it (Dr 暂付款—医保预付金 / Cr the paying account) and, in the same step, it
becomes owed back by offset: the next settlement runs deduct it.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from accounting import templates
from accounting.chart import Role
from accounting.errors import LedgerError
from accounting.ledger import get_book, post_in

from ..models import (
    Department,
    Institution,
    MonthlyPayout,
    PreSettlement,
    PreSettlementSignOff,
    Region,
    SettlementRun,
)
from ..policy.facts import Fund
from ..policy.profile import PolicyProfile
from ..policy.recovery import CASE_CN, ROUTE_CN, Method, PresettlementCase, Route, presettlement_limit
from ..policy.signoff import Chain, Level
from ..policy.transitions import PRESETTLEMENT, PresettlementState
from .books import fund_payment_in
from .dates import not_after_today
from .errors import NotFound, ServiceError
from .receivables import PAYING_ACCOUNTS, open_receivable
from .unit_of_work import Step, region_step, staff_step

ZERO = Decimal("0.00")


def chain_of(profile: PolicyProfile, case: PresettlementCase) -> Chain:
    """26§ 第一款: the bureau's own levels; 第二款: up to the finance bureau, as a batch (24§(五)); both
    the profile's (RULES §4), signed by the same mechanism as a batch (``policy.signoff``)."""
    return profile.signoff.presettlement_bureau if case == PresettlementCase.CANNOT_SETTLE else profile.signoff.batch


def chain_for(sessions: sessionmaker, presettlement_id: int) -> Chain:
    """The levels of a pre-settlement (read)."""
    with sessions() as session:
        p = session.get(PreSettlement, presettlement_id)
        if p is None:
            raise NotFound(f"没有月度预结金 {presettlement_id}", "presettlement")
        from .rules import effective_profile

        return chain_of(effective_profile(session, session.get(Region, p.region_id), p.month.year), p.case)


def signed_levels(session: Session, p: PreSettlement) -> list[tuple[str, str]]:
    """(level, signer) of its signatures, in order (a rejected one is not signed again: a new
    application starts afresh)."""
    return [(s.level, s.signer) for s in session.scalars(
        select(PreSettlementSignOff).where(PreSettlementSignOff.presettlement_id == p.id)
        .order_by(PreSettlementSignOff.id))]


def next_level(session: Session, p: PreSettlement, chain: Chain) -> Level | None:
    if p.state not in (PresettlementState.DRAFT, PresettlementState.SIGNING):
        return None
    return chain.next([name for name, _ in signed_levels(session, p)])


def hash_of(p: PreSettlement, code: str) -> str:
    """What a signer vouches for: who is paid, how much, from which figures, into which account."""
    fields = [p.id, code, p.fund.value, f"{p.month:%Y-%m}", p.case.value, f"{p.incurred:.2f}", f"{p.settled:.2f}",
              None if p.budget_left is None else f"{p.budget_left:.2f}", f"{p.amount:.2f}", p.application_ref,
              p.bank_name, p.bank_account]
    return hashlib.sha256(json.dumps(fields, ensure_ascii=False).encode()).hexdigest()


def _money(value: Decimal | None, field: str, label: str, *, optional: bool = False) -> Decimal | None:
    if value is None and optional:
        return None
    if value is None or value < 0 or value != value.quantize(Decimal("0.01")):
        raise ServiceError(f"{label}须为非负数，最多两位小数", field)
    return value


@dataclass(frozen=True)
class Proposed:
    presettlement_id: int
    limit: Decimal
    levels: tuple[str, ...]


def propose(sessions: sessionmaker, region_code: str, institution_code: str, fund: Fund, month: dt.date,
            case: PresettlementCase, incurred: Decimal, amount: Decimal, user: str, *,
            budget_left: Decimal | None = None, application_ref: str = "", reason: str = "") -> Proposed:
    """Record a pre-settlement for the bureau's levels to sign (基金结算部门).

    RULES §8: the 90% is a limit per institution, fund and month over every pre-settlement of that month
    not rejected; the first case (第一款) is for a month whose settlement has not run; in the second
    (第二款) what was settled for the month is read from the settlement feed, never typed in."""
    if month.day != 1:
        raise ServiceError("预结月份须为某月第一天（YYYY-MM）", "month")
    incurred = _money(incurred, "incurred", "实际发生金额")
    budget_left = _money(budget_left, "budget_left", "总额指标余额", optional=True)
    if amount is None or amount <= 0 or amount != amount.quantize(Decimal("0.01")):
        raise ServiceError("预结金额须为正数，最多两位小数", "amount")
    application_ref = (application_ref or "").strip()
    if case == PresettlementCase.LARGE_GAP and not application_ref:
        raise ServiceError("须有定点医疗机构的书面申请（26§第二款）", "application_ref")
    if case == PresettlementCase.CANNOT_SETTLE and budget_left is None:
        raise ServiceError("须填写总额指标余额（26§第一款：在总额指标以内）", "budget_left")
    if len(application_ref) > 100 or len(reason or "") > 500:
        raise ServiceError("申请文号不超过 100 个字符，说明不超过 500 个字符", "application_ref")
    with region_step(sessions, user, region_code, month.year, Department.FUND_SETTLEMENT) as step:
        rules = step.profile.presettlement
        if not rules.enabled:
            raise ServiceError(f"政策参数方案 {step.profile.name} 未实行月度预结金", "region")
        inst = step.session.scalar(select(Institution).where(
            Institution.region_id == step.region.id, Institution.code == (institution_code or "").strip().upper()))
        if inst is None:
            raise NotFound(f"本统筹地区没有机构 {institution_code}", "institution")
        if inst.kind not in rules.eligible_kinds:
            raise ServiceError(f"{inst.name} 的机构类型不实行月度预结金（25§）", "institution")
        session = step.session
        step.lock_region()  # two proposals of one month at once must not both read the other as absent
        run = session.scalar(select(SettlementRun.settled_on).where(
            SettlementRun.region_id == step.region.id, SettlementRun.month == month, SettlementRun.fund == fund))
        if case == PresettlementCase.CANNOT_SETTLE and run is not None:
            raise ServiceError(f"{month:%Y-%m} 的月度结算已于 {run} 办理，不属于不能正常结算的情形（26§第一款）", "month")
        settled = ZERO
        if case == PresettlementCase.LARGE_GAP:  # what was settled comes from the month's settlement data
            settled = session.scalar(select(MonthlyPayout.amount).where(
                MonthlyPayout.institution_id == inst.id, MonthlyPayout.month == month, MonthlyPayout.fund == fund))
            if settled is None:
                raise ServiceError(f"{month:%Y-%m} 的月度结算数据尚未导入：第二款的补差须以已结算金额为准（26§）", "month")
        others = session.execute(select(PreSettlement.amount, PreSettlement.incurred).where(
            PreSettlement.institution_id == inst.id, PreSettlement.fund == fund, PreSettlement.month == month,
            PreSettlement.state != PresettlementState.REJECTED)).all()
        if others and any(other_incurred != incurred for _, other_incurred in others):
            raise ServiceError(f"本月已登记的预结金按实际发生 {others[0].incurred:,.2f} 元测算，同月须按同一实际发生额"
                               f"（如有更正，请先退回原申请）", "incurred")
        earlier = sum((amount for amount, _ in others), ZERO)
        limit, note = presettlement_limit(case, incurred, rules.max_share_of_incurred, settled, budget_left, earlier)
        if amount > limit:
            raise ServiceError(f"预结金额 {amount:,.2f} 元超过上限 {limit:,.2f} 元（{note}，26§）", "amount")
        p = PreSettlement(region_id=step.region.id, institution_id=inst.id, fund=fund, month=month, case=case,
                          incurred=incurred, settled=settled, budget_left=budget_left, amount=amount,
                          limit_note=note[:300], application_ref=application_ref, reason=(reason or "").strip(),
                          bank_name=inst.bank_name, bank_account=inst.bank_account, state=PresettlementState.DRAFT,
                          created_by=user)
        step.session.add(p)
        step.session.flush()
        step.record(PRESETTLEMENT, p.id, "create", None, PresettlementState.DRAFT, f"{CASE_CN[case]}：{amount:,.2f} 元")
        return Proposed(p.id, limit, tuple(level.title for level in chain_of(step.profile, case).levels))


@contextmanager
def _step(sessions: sessionmaker, presettlement_id: int, user: str) -> Iterator[tuple[Step, PreSettlement, Institution]]:
    with staff_step(sessions, user) as step:
        p = step.session.scalar(select(PreSettlement).where(PreSettlement.id == presettlement_id).with_for_update())
        if p is None:
            raise NotFound(f"没有月度预结金 {presettlement_id}", "presettlement")
        step.enter(step.session.get(Region, p.region_id))
        step.year = p.month.year
        yield step, p, step.session.get(Institution, p.institution_id)


def current_hash(sessions: sessionmaker, presettlement_id: int) -> str:
    with sessions() as session:
        p = session.get(PreSettlement, presettlement_id)
        if p is None:
            raise NotFound(f"没有月度预结金 {presettlement_id}", "presettlement")
        return hash_of(p, session.get(Institution, p.institution_id).code)


def refusal_to_sign(p: PreSettlement, chain: Chain, signed: list[tuple[str, str]], signer_department: Department,
                    signer: str, signer_name: str) -> ServiceError | None:
    """Why this member of staff may not sign the next level now (24§(五); maker ≠ checker): the same
    rule as a batch's (``policy.signoff.Chain.refusal``)."""
    if p.state not in (PresettlementState.DRAFT, PresettlementState.SIGNING):
        return ServiceError(f"月度预结金当前状态为“{PRESETTLEMENT.label(p.state)}”，没有待签的环节", "state")
    found = chain.refusal(signed, signer_department, signer, signer_name)
    return ServiceError(*found) if found is not None else None


def sign_off(sessions: sessionmaker, presettlement_id: int, user: str, comment: str, seen_hash: str) -> str:
    """The next level signs what it saw; returns the level's title."""
    if len(comment or "") > 500:
        raise ServiceError("意见不能超过 500 个字符", "comment")
    with _step(sessions, presettlement_id, user) as (step, p, inst):
        chain = chain_of(step.profile, p.case)
        signed = signed_levels(step.session, p)
        refusal = refusal_to_sign(p, chain, signed, step.actor.department, user, step.actor.name)
        if refusal is not None:
            raise refusal
        current = hash_of(p, inst.code)
        if (seen_hash or "").strip().lower() != current:
            raise ServiceError("预结金内容已变更或摘要不符，请重新查看后再签", "hash")
        level = next_level(step.session, p, chain)
        step.transition(PRESETTLEMENT, p, "approve" if chain.is_last(level) else "sign",
                        f"{level.title}：{comment or ''}")
        step.session.add(PreSettlementSignOff(presettlement_id=p.id, level=level.name, signer=user,
                                              comment=comment or "", seen_hash=current))
        return level.title


def reject(sessions: sessionmaker, presettlement_id: int, user: str, reason: str) -> None:
    """The level whose turn it is returns it, with its reason; a new application starts afresh."""
    if not (reason or "").strip():
        raise ServiceError("退回须说明原因", "reason")
    with _step(sessions, presettlement_id, user) as (step, p, _):
        chain = chain_of(step.profile, p.case)
        # the level whose turn it is; if the chain no longer begins with what was signed, its preparer
        level = next_level(step.session, p, chain) or chain.levels[0]
        if p.state != PresettlementState.SIGNING:
            raise ServiceError(f"月度预结金当前状态为“{PRESETTLEMENT.label(p.state)}”，不能退回", "state")
        step.require(level.department)
        step.transition(PRESETTLEMENT, p, "reject", reason)


@dataclass(frozen=True)
class Paid:
    presettlement_id: int
    ledger_entry_id: int
    receivable_id: int
    replayed: bool


def pay(sessions: sessionmaker, presettlement_id: int, bank_ref: str, paid_on: dt.date, user: str,
        paid_from: Role = Role.EXPENDITURE_DEPOSIT) -> Paid:
    """The bank paid it (财务管理部门): post it and make it owed back by offset, once per pre-settlement."""
    bank_ref = (bank_ref or "").strip()
    if not bank_ref or len(bank_ref) > 100:
        raise ServiceError("须填写银行交易流水号（不超过 100 个字符）", "bank_ref")
    if paid_from not in PAYING_ACCOUNTS:
        raise ServiceError("付款账户须为支出户存款或财政专户存款", "paid_from")
    not_after_today(paid_on, "paid_on", "到账日期")
    with _step(sessions, presettlement_id, user) as (step, p, inst):
        step.require(Department.FINANCE)
        if p.state == PresettlementState.PAID:
            if p.bank_ref != bank_ref:
                raise ServiceError(f"已于 {p.paid_on} 以流水号 {p.bank_ref} 拨付", "bank_ref")
            return Paid(p.id, p.ledger_entry_id, p.receivable_id, True)
        step.transition(PRESETTLEMENT, p, "pay", f"银行流水号 {bank_ref}")
        key = f"presettlement:{p.id}"
        draft = templates.advance_paid(inst.code, p.amount, paid_on, key, paid_from=paid_from,
                                       account=Role.PRESETTLEMENT,  # RULES §7: its own detail account
                                       summary=f"拨付 {inst.code} {p.month:%Y年%m月}月度预结金（银行流水 {bank_ref}）")
        try:
            book_id = get_book(step.session, step.region.code, p.fund).id
            fund_payment_in(step.session, book_id, p.amount, paid_on, key, user, paid_from)
            posted = post_in(step.session, book_id, draft, key, user)
        except LedgerError as err:
            raise ServiceError(err.message, err.field) from None
        owed = open_receivable(step, inst, p.fund, Route.PRESETTLEMENT, p.amount, paid_on, key,
                               f"{ROUTE_CN[Route.PRESETTLEMENT]}：{p.month:%Y年%m月}，{CASE_CN[p.case]}", Method.OFFSET)
        p.bank_ref, p.paid_on, p.ledger_entry_id, p.receivable_id = bank_ref, paid_on, posted.entry_id, owed.id
        return Paid(p.id, posted.entry_id, owed.id, False)
