"""15§(四): payment instructions to the institutions' bank accounts, confirmed once with the bank's reference.

A confirmation posts Dr 暂付款—医保预付金 / Cr the paying account (支出户存款, or
财政专户存款 where the book keeps one: RULES §7) in the same transaction. Its
business date lies in an open period, not before the instruction was issued and
not after today in Beijing; a bank reference identifies one transfer, so it is
unique per paying account.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from accounting import templates
from accounting.chart import Role
from accounting.ledger import get_book, post_in

from .. import clock
from ..db import insert_many
from ..intake.codes import bank_account_problem
from ..models import (
    BatchItem,
    Campaign,
    Department,
    Determination,
    Institution,
    PaymentBatch,
    PaymentInstruction,
)
from ..policy.accounts import DEPOSIT_ACCOUNTS
from ..policy.transitions import (
    BATCH,
    DETERMINATION,
    PAYMENT,
    UNSETTLED_PAYMENTS,
    BatchState,
    DeterminationState,
    PaymentState,
)
from .batch import batch_hash, batch_step, valid_sign_offs
from .books import fund_payment_in
from .dates import not_after_today
from .errors import NotFound, ServiceError
from .unit_of_work import Step, campaign_step_of

# RULES §7: an advance is paid from one of these
PAYING_ACCOUNTS = tuple(DEPOSIT_ACCOUNTS.values())  # RULES §7: the accounts money leaves and enters by


@dataclass(frozen=True)
class Confirmed:
    instruction_id: int
    ledger_entry_id: int
    replayed: bool


def issue(sessions: sessionmaker, batch_id: int, user: str, on: dt.date | None = None) -> list[int]:
    """After the last sign-off (财务管理部门): one pending instruction per item with something to pay."""
    on = on or clock.today()
    not_after_today(on, "on")
    context, found = batch_step(sessions, batch_id, user)
    with context as step:
        step.require(Department.FINANCE)
        batch = found["batch"]
        step.transition(BATCH, batch, "issue")
        # 24§(五): nothing is paid unless every level of the chain signed this very batch
        current = batch_hash(batch)
        signed = [s.level for s in valid_sign_offs(batch) if s.batch_hash == current]
        missing = step.profile.signoff.batch.missing(signed)
        if missing:
            raise ServiceError(f"批次内容与签字时不一致或缺少签字：{'、'.join(missing)}", "batch")
        # 20§(二)2: an advance stopped by a recovery trigger after the sign-offs is not paid
        stopped = set(step.session.scalars(select(Determination.id).join(
            BatchItem, BatchItem.determination_id == Determination.id).where(
            BatchItem.batch_id == batch.id, Determination.state == DeterminationState.STOPPED)))
        # set-based: the instructions in one insert returning their ids, their transitions in another
        rows = [dict(batch_id=batch.id, batch_item_id=item.id, institution_code=item.institution_code,
                     fund=item.fund, amount=item.amount, bank_name=item.bank_name, bank_account=item.bank_account,
                     state=PaymentState.PENDING, issued_on=on)
                for item in batch.items if item.amount > 0 and item.determination_id not in stopped]
        # a batch's instructions are issued once: each of its items has at most one
        ids = insert_many(step.session, PaymentInstruction, rows, "batch_item_id", PaymentInstruction.batch_id == batch.id)
        step.created_many(PAYMENT, ids, "issue", PaymentState.PENDING)
        _roll_over(step, batch, stopped)
        complete_if_settled(step, batch)
        return ids


def _roll_over(step: Step, batch: PaymentBatch, stopped: set[int]) -> None:
    """17§, 22§: a determination whose every line is covered by what the institution holds needs no
    payment: issuing the batch rolls its advance over, and it counts as paid (public list, dashboard,
    pay-by reminders)."""
    to_pay: dict[int, bool] = {}
    for item in batch.items:
        to_pay[item.determination_id] = to_pay.get(item.determination_id, False) or item.amount > 0
    covered = sorted(det_id for det_id, pays in to_pay.items() if not pays and det_id not in stopped)
    step.transition_many(DETERMINATION, Determination, covered, DeterminationState.SIGNED, "roll_over",
                         "新核定额度已由原预付金覆盖，滚动续用（17§）")


def paying_account_key(region_code: str, fund: str, paid_from: Role) -> str:
    """One bank account: a region's fund book and the deposit account it pays from."""
    return f"{region_code}/{fund}/{paid_from.value}"


def confirm(sessions: sessionmaker, instruction_id: int, bank_ref: str, paid_on: dt.date, user: str,
            paid_from: Role = Role.EXPENDITURE_DEPOSIT) -> Confirmed:
    """The bank has paid: post Dr 暂付款—医保预付金 / Cr the paying account, once.

    A retried or concurrent confirmation with the same bank reference returns
    the first result; the instruction row is locked, and the ledger posting is
    idempotent by the instruction's id besides.
    """
    bank_ref = bank_ref.strip()
    if not bank_ref or len(bank_ref) > 100:
        raise ServiceError("须填写银行交易流水号（不超过 100 个字符）", "bank_ref")
    if paid_from not in PAYING_ACCOUNTS:
        raise ServiceError("付款账户须为支出户存款或财政专户存款", "paid_from")
    not_after_today(paid_on, "paid_on", "到账日期")
    found: dict[str, PaymentInstruction] = {}

    def find(session: Session) -> Campaign:
        # the batch first, then the instruction: the order the bulk confirmations lock in (a single and a bulk
        # confirmation of the same instruction each waited for the other)
        batch_id = session.scalar(select(PaymentInstruction.batch_id).where(PaymentInstruction.id == instruction_id))
        if batch_id is not None:
            session.execute(select(PaymentBatch.id).where(PaymentBatch.id == batch_id).with_for_update())
        found["instruction"] = _locked_instruction(session, instruction_id)
        batch = session.get(PaymentBatch, found["instruction"].batch_id)
        return session.get(Campaign, batch.campaign_id)

    with campaign_step_of(sessions, user, find) as step:
        step.require(Department.FINANCE)
        session, instruction = step.session, found["instruction"]
        if instruction.state == PaymentState.PAID:
            if instruction.bank_ref != bank_ref:
                raise ServiceError(f"该指令已于 {instruction.paid_on} 以流水号 {instruction.bank_ref} 确认拨付", "bank_ref")
            return Confirmed(instruction.id, instruction.ledger_entry_id, True)
        if paid_on < instruction.issued_on:
            raise ServiceError(f"到账日期 {paid_on} 早于拨付指令生成日 {instruction.issued_on}", "paid_on")
        if awaits_review(instruction):
            raise ServiceError(f"拨付指令 {instruction.id} 的重新拨付待内审部门复核，复核前不得发送银行或确认到账", "instruction")
        account = paying_account_key(step.region.code, instruction.fund.value, paid_from)
        used = session.scalar(select(PaymentInstruction.id).where(
            PaymentInstruction.paying_account == account, PaymentInstruction.bank_ref == bank_ref))
        if used is not None:
            raise ServiceError(f"银行流水号 {bank_ref} 已用于拨付指令 {used}：一笔转账只能确认一笔拨付", "bank_ref")
        step.transition(PAYMENT, instruction, "confirm", f"银行流水号 {bank_ref}")
        instruction.bank_ref, instruction.paid_on, instruction.paying_account = bank_ref, paid_on, account
        try:  # a concurrent confirmation of another instruction with this reference: the unique key decides
            with session.begin_nested():
                session.flush()
        except IntegrityError:
            raise ServiceError(f"银行流水号 {bank_ref} 已用于另一笔拨付指令：一笔转账只能确认一笔拨付", "bank_ref") from None
        book = get_book(session, step.region.code, instruction.fund)
        key = f"payment-instruction:{instruction.id}"
        draft = templates.advance_paid(
            instruction.institution_code, instruction.amount, paid_on, key, paid_from=paid_from,
            summary=f"拨付 {instruction.institution_code} {step.year} 年度医保预付金（银行流水 {bank_ref}）")
        fund_payment_in(session, book.id, instruction.amount, paid_on, key, user, paid_from)  # RULES §7
        instruction.ledger_entry_id = post_in(session, book.id, draft, key, user).entry_id
        session.flush()
        _close_determination_if_paid(step, instruction)
        complete_if_settled(step, session.get(PaymentBatch, instruction.batch_id))
        return Confirmed(instruction.id, instruction.ledger_entry_id, False)


def void(sessions: sessionmaker, instruction_id: int, user: str, reason: str) -> None:
    if not reason.strip():
        raise ServiceError("作废须说明原因", "reason")
    found: dict[str, PaymentInstruction] = {}

    def find(session: Session) -> Campaign:
        found["instruction"] = _locked_instruction(session, instruction_id)
        return session.get(Campaign, session.get(PaymentBatch, found["instruction"].batch_id).campaign_id)

    with campaign_step_of(sessions, user, find) as step:
        step.require(Department.FINANCE)
        step.transition(PAYMENT, found["instruction"], "void", reason)
        complete_if_settled(step, step.session.get(PaymentBatch, found["instruction"].batch_id))


def _instruction_step(sessions: sessionmaker, instruction_id: int, user: str):
    """A step on one instruction, row-locked, in its batch's campaign: (context, found)."""
    found: dict[str, PaymentInstruction] = {}

    def find(session: Session) -> Campaign:
        found["instruction"] = _locked_instruction(session, instruction_id)
        return session.get(Campaign, session.get(PaymentBatch, found["instruction"].batch_id).campaign_id)

    return campaign_step_of(sessions, user, find), found


def bounce(sessions: sessionmaker, instruction_id: int, reason: str, user: str) -> bool:
    """15§(四): the bank returned the transfer unpaid (退票: the account closed, the name not matching):
    the instruction is marked failed with the bank's reason, nothing is posted (money never left), and
    its batch is not settled until it is re-issued or voided. True if this call recorded it (a repeat
    with the same reason changes nothing)."""
    reason = (reason or "").strip()
    if not reason or len(reason) > 200:
        raise ServiceError("须填写银行退票原因（不超过 200 个字符）", "reason")
    context, found = _instruction_step(sessions, instruction_id, user)
    with context as step:
        step.require(Department.FINANCE)
        instruction = found["instruction"]
        if instruction.state == PaymentState.FAILED and instruction.failure_reason == reason:
            return False
        if instruction.state != PaymentState.PENDING:
            raise ServiceError(f"拨付指令 {instruction_id} 当前为“{PAYMENT.label(instruction.state)}”，"
                               f"只有待拨付的指令才能登记退票", "instruction")
        step.transition(PAYMENT, instruction, "bounce",
                        f"银行退票：{reason}（{instruction.bank_name} {instruction.bank_account}）")
        instruction.failure_reason = reason
        return True


@dataclass(frozen=True)
class Reissued:
    instruction_id: int
    bank_name: str
    bank_account: str
    changed: bool  # sent to another account than the one the bank returned


def reissue(sessions: sessionmaker, instruction_id: int, user: str, note: str, on: dt.date | None = None) -> Reissued:
    """15§(四): a returned instruction is sent again, for the same amount, to the account the institution
    has registered now (corrected by an import correction with its reason, as any institution data): the
    register of institutions is the one definition of where an institution is paid. The same account
    again needs the note to say why (e.g. the bank's fault, confirmed with it)."""
    on = on or clock.today()
    not_after_today(on, "on")
    note = (note or "").strip()
    if not note or len(note) > 200:
        raise ServiceError("须说明重新拨付的依据（如机构账户变更函、与银行核实情况，不超过 200 个字符）", "note")
    context, found = _instruction_step(sessions, instruction_id, user)
    with context as step:
        step.require(Department.FINANCE)
        instruction = found["instruction"]
        if instruction.state != PaymentState.FAILED:
            raise ServiceError(f"拨付指令 {instruction_id} 当前为“{PAYMENT.label(instruction.state)}”，"
                               f"只有银行退票的指令才能重新拨付", "instruction")
        session = step.session
        if on < instruction.issued_on:  # a confirmation is never dated before its sending
            raise ServiceError(f"重新拨付日期 {on} 早于该指令上次发送的日期 {instruction.issued_on}", "on")
        # 17§: once a later year's advance is being paid to the institution, this year's is not sent again
        item = session.get(BatchItem, instruction.batch_item_id)
        campaign = session.get(Campaign, session.get(PaymentBatch, instruction.batch_id).campaign_id)
        later = session.scalar(select(Campaign.year).join(PaymentBatch, PaymentBatch.campaign_id == Campaign.id)
                               .join(BatchItem, BatchItem.batch_id == PaymentBatch.id)
                               .where(Campaign.region_id == campaign.region_id, Campaign.year > campaign.year,
                                      BatchItem.institution_code == item.institution_code, BatchItem.fund == item.fund)
                               .limit(1))
        if later is not None:
            raise ServiceError(f"{item.institution_code} 的 {later} 年度预付金已编制拨付批次：{campaign.year} 年度退票的款项"
                               f"不再重新拨付，请作废该指令（新年度的拨付按多退少补计算，17§）", "instruction")
        inst = session.scalar(select(Institution).where(Institution.region_id == step.region.id,
                                                        Institution.code == instruction.institution_code))
        problem = bank_account_problem(inst.bank_account)
        if problem:
            raise ServiceError(f"机构 {inst.code} 登记的账号不可用（{problem}）：请先更正机构信息", "instruction")
        changed = (inst.bank_name, inst.bank_account) != (instruction.bank_name, instruction.bank_account)
        step.transition(PAYMENT, instruction, "reissue",
                        f"{'改付' if changed else '原账户重付'} {inst.bank_name} {inst.bank_account}"
                        f"（原 {instruction.bank_name} {instruction.bank_account}，退票原因：{instruction.failure_reason}）：{note}")
        instruction.bank_name, instruction.bank_account = inst.bank_name, inst.bank_account
        instruction.failure_reason, instruction.issued_on = None, on
        instruction.attempt += 1  # a return of the earlier sending no longer applies
        instruction.reissued_by, instruction.reissue_approved_by = step.actor.username, None
        return Reissued(instruction.id, inst.bank_name, inst.bank_account, changed)


def approve_reissue(sessions: sessionmaker, instruction_id: int, user: str, comment: str) -> None:
    """24§(四): 内审 reviews a re-issued instruction (the account it now goes to, the note and the evidence)
    before it is sent to the bank; its maker never reviews it."""
    comment = (comment or "").strip()
    if not comment or len(comment) > 200:
        raise ServiceError("须填写复核意见（不超过 200 个字符）", "comment")
    context, found = _instruction_step(sessions, instruction_id, user)
    with context as step:
        step.require(Department.INTERNAL_AUDIT)
        instruction = found["instruction"]
        if instruction.state != PaymentState.PENDING or not awaits_review(instruction):
            raise ServiceError(f"拨付指令 {instruction_id} 没有待复核的重新拨付", "instruction")
        if instruction.reissued_by == step.actor.username:
            raise ServiceError("重新拨付的经办人不能复核自己经办的指令", "user")
        step.transition(PAYMENT, instruction, "approve_reissue",
                        f"复核同意付至 {instruction.bank_name} {instruction.bank_account}：{comment}")
        instruction.reissue_approved_by = step.actor.username


def awaits_review(instruction) -> bool:
    """A re-issue 内审 has not reviewed yet: it is neither sent to the bank nor confirmed."""
    return instruction.reissued_by is not None and instruction.reissue_approved_by is None


def sendable():
    """The SQL condition of an instruction the bank may be sent (not a re-issue awaiting review)."""
    return or_(PaymentInstruction.reissued_by.is_(None), PaymentInstruction.reissue_approved_by.is_not(None))


def _locked_instruction(session: Session, instruction_id: int) -> PaymentInstruction:
    """The instruction, row-locked: concurrent confirmations of it queue here."""
    instruction = session.scalar(select(PaymentInstruction).where(
        PaymentInstruction.id == instruction_id).with_for_update())
    if instruction is None:
        raise NotFound(f"没有拨付指令 {instruction_id}", "instruction")
    return instruction


def _close_determination_if_paid(step: Step, instruction: PaymentInstruction) -> None:
    session = step.session
    item = session.get(BatchItem, instruction.batch_item_id)
    det = session.get(Determination, item.determination_id)
    siblings = session.scalars(select(PaymentInstruction).join(BatchItem, BatchItem.id == PaymentInstruction.batch_item_id)
                               .where(BatchItem.determination_id == det.id)).all()
    if det.state == DeterminationState.SIGNED and all(s.state == PaymentState.PAID for s in siblings):
        step.transition(DETERMINATION, det, "pay")


def complete_if_settled(step: Step, batch: PaymentBatch) -> None:
    """A paying batch with no instruction pending or returned unpaid any more is paid (its last one
    confirmed or voided)."""
    pending = step.session.scalar(select(PaymentInstruction.id).where(
        PaymentInstruction.batch_id == batch.id, PaymentInstruction.state.in_(UNSETTLED_PAYMENTS)).limit(1))
    if batch.state == BatchState.PAYING and pending is None:
        step.transition(BATCH, batch, "complete")
