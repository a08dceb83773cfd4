"""15§(四): payment instructions to the institutions' bank accounts, confirmed once with the bank's reference."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from accounting import templates
from accounting.chart import Role
from accounting.ledger import get_book, post_in

from ..models import BatchItem, Campaign, Department, Determination, PaymentBatch, PaymentInstruction, Region
from ..policy.transitions import BATCH, DETERMINATION, PAYMENT
from .batch import LEVELS, batch_hash, get_batch, valid_sign_offs
from .errors import NotFound, ServiceError
from .workflow import record, staff, transition


@dataclass(frozen=True)
class Confirmed:
    instruction_id: int
    ledger_entry_id: int
    replayed: bool


def issue(sessions: sessionmaker, batch_id: int, user: str) -> list[int]:
    """After the last sign-off (财务管理部门): one pending instruction per item with something to pay."""
    with sessions.begin() as session:
        staff(session, user, Department.FINANCE)
        batch = get_batch(session, batch_id, lock=True)
        transition(session, BATCH, batch, "issue", user)
        # 24§(五): nothing is paid unless all four levels signed this very batch
        current = batch_hash(batch)
        signed = {s.level for s in valid_sign_offs(batch) if s.batch_hash == current}
        missing = [level.title for level in LEVELS if level.name not in signed]
        if missing:
            raise ServiceError(f"批次内容与签字时不一致或缺少签字：{'、'.join(missing)}", "batch")
        ids = []
        for item in batch.items:
            if item.amount <= 0:
                continue
            instruction = PaymentInstruction(
                batch_id=batch.id, batch_item_id=item.id, institution_code=item.institution_code, fund=item.fund,
                amount=item.amount, bank_name=item.bank_name, bank_account=item.bank_account, state="pending")
            session.add(instruction)
            session.flush()
            record(session, PAYMENT, instruction.id, "issue", None, "pending", user)
            ids.append(instruction.id)
        _complete_if_settled(session, batch, user)
        return ids


def confirm(sessions: sessionmaker, instruction_id: int, bank_ref: str, paid_on: dt.date, user: str,
            paid_from: Role = Role.EXPENDITURE_DEPOSIT) -> Confirmed:
    """The bank has paid: post Dr 暂付款—医保预付金 / Cr the paying account, once.

    A retried or concurrent confirmation with the same bank reference returns
    the first result; the instruction row is locked, and the ledger posting is
    idempotent by the instruction's id besides.
    """
    if not bank_ref.strip():
        raise ServiceError("须填写银行交易流水号", "bank_ref")
    with sessions.begin() as session:
        staff(session, user, Department.FINANCE)
        instruction = _locked_instruction(session, instruction_id)
        if instruction.state == "paid":
            if instruction.bank_ref != bank_ref:
                raise ServiceError(f"该指令已于 {instruction.paid_on} 以流水号 {instruction.bank_ref} 确认拨付", "bank_ref")
            return Confirmed(instruction.id, instruction.ledger_entry_id, True)
        transition(session, PAYMENT, instruction, "confirm", user, f"银行流水号 {bank_ref}")
        batch = session.get(PaymentBatch, instruction.batch_id)
        campaign = session.get(Campaign, batch.campaign_id)
        region = session.get(Region, campaign.region_id)
        book = get_book(session, region.code, instruction.fund)
        draft = templates.advance_paid(
            instruction.institution_code, instruction.amount, paid_on, f"payment-instruction:{instruction.id}",
            paid_from=paid_from,
            summary=f"拨付 {instruction.institution_code} {campaign.year} 年度医保预付金（银行流水 {bank_ref}）")
        posted = post_in(session, book.id, draft, f"payment-instruction:{instruction.id}", user)
        instruction.bank_ref, instruction.paid_on, instruction.ledger_entry_id = bank_ref, paid_on, posted.entry_id
        session.flush()
        _close_determination_if_paid(session, instruction, user)
        _complete_if_settled(session, batch, user)
        return Confirmed(instruction.id, posted.entry_id, False)


def void(sessions: sessionmaker, instruction_id: int, user: str, reason: str) -> None:
    if not reason.strip():
        raise ServiceError("作废须说明原因", "reason")
    with sessions.begin() as session:
        staff(session, user, Department.FINANCE)
        instruction = _locked_instruction(session, instruction_id)
        transition(session, PAYMENT, instruction, "void", user, reason)
        _complete_if_settled(session, session.get(PaymentBatch, instruction.batch_id), user)


def _locked_instruction(session: Session, instruction_id: int) -> PaymentInstruction:
    """The instruction, row-locked: concurrent confirmations of it queue here."""
    instruction = session.scalar(select(PaymentInstruction).where(
        PaymentInstruction.id == instruction_id).with_for_update())
    if instruction is None:
        raise NotFound(f"没有拨付指令 {instruction_id}", "instruction")
    return instruction


def _close_determination_if_paid(session, instruction: PaymentInstruction, user: str) -> None:
    item = session.get(BatchItem, instruction.batch_item_id)
    det = session.get(Determination, item.determination_id)
    siblings = session.scalars(select(PaymentInstruction).join(BatchItem, BatchItem.id == PaymentInstruction.batch_item_id)
                               .where(BatchItem.determination_id == det.id)).all()
    if det.state == "signed" and all(s.state == "paid" for s in siblings):
        transition(session, DETERMINATION, det, "pay", user)


def _complete_if_settled(session, batch: PaymentBatch, user: str) -> None:
    pending = session.scalar(select(PaymentInstruction.id).where(
        PaymentInstruction.batch_id == batch.id, PaymentInstruction.state == "pending").limit(1))
    if batch.state == "paying" and pending is None:
        transition(session, BATCH, batch, "complete", user)
