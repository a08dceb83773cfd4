"""Posting templates for the events of RULES §7 (21§, HB 三): pure functions returning an entry.

| event                          | debit                        | credit                       |
|--------------------------------|------------------------------|------------------------------|
| advance paid / topped up       | 暂付款—医保预付金             | 支出户存款 or 财政专户存款     |
| recovered by settlement offset | 社会保险待遇支出              | 暂付款—医保预付金             |
| recovered by refund            | 支出户存款 or 财政专户存款     | 暂付款—医保预付金             |
| written off                    | 其他支出                      | 暂付款—医保预付金             |
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from .chart import Role
from .entries import EntryDraft, LineDraft, WriteOffMemo

BANK_ROLES = frozenset({Role.EXPENDITURE_DEPOSIT, Role.FISCAL_SPECIAL_DEPOSIT})


def _bank(role: Role) -> Role:
    if role not in BANK_ROLES:
        raise ValueError(f"资金账户须为支出户存款或财政专户存款，不能是 {role}")
    return role


def advance_paid(party: str, amount: Decimal, on: dt.date, source_ref: str,
                 paid_from: Role = Role.EXPENDITURE_DEPOSIT, summary: str = "") -> EntryDraft:
    """21§(二): 拨付预付金（或补足差额）: Dr 暂付款—医保预付金 / Cr 支出户存款 or 财政专户存款."""
    return EntryDraft(on, summary or f"拨付 {party} 医保预付金", source_ref, (
        LineDraft(Role.ADVANCE, debit=amount, party=party),
        LineDraft(_bank(paid_from), credit=amount),
    ))


def recovered_by_offset(party: str, amount: Decimal, on: dt.date, source_ref: str, summary: str = "") -> EntryDraft:
    """21§(二): 冲抵结算款收回: Dr 社会保险待遇支出 / Cr 暂付款—医保预付金."""
    return EntryDraft(on, summary or f"{party} 医保预付金冲抵结算款收回", source_ref, (
        LineDraft(Role.BENEFIT_EXPENSE, debit=amount),
        LineDraft(Role.ADVANCE, credit=amount, party=party),
    ))


def recovered_by_refund(party: str, amount: Decimal, on: dt.date, source_ref: str,
                        paid_into: Role = Role.EXPENDITURE_DEPOSIT, summary: str = "") -> EntryDraft:
    """21§(二): 定点医疗机构交回: Dr 支出户存款 or 财政专户存款 / Cr 暂付款—医保预付金."""
    return EntryDraft(on, summary or f"{party} 交回医保预付金", source_ref, (
        LineDraft(_bank(paid_into), debit=amount),
        LineDraft(Role.ADVANCE, credit=amount, party=party),
    ))


def written_off(party: str, amount: Decimal, on: dt.date, source_ref: str, court_document_ref: str,
                approval_ref: str, summary: str = "") -> EntryDraft:
    """21§(三), 20§(二)6: 核销: Dr 其他支出 / Cr 暂付款—医保预付金, kept in the memo register."""
    if not court_document_ref.strip() or not approval_ref.strip():
        raise ValueError("核销须有法院出具的法律文书和人民政府批准文号")
    return EntryDraft(on, summary or f"核销 {party} 无法收回的医保预付金", source_ref, (
        LineDraft(Role.OTHER_EXPENSE, debit=amount),
        LineDraft(Role.ADVANCE, credit=amount, party=party),
    ), memo=WriteOffMemo(party, amount, court_document_ref, approval_ref))


def reversal(original: EntryDraft, voucher: str, on: dt.date, source_ref: str, reason: str) -> EntryDraft:
    """红字冲销: the original's lines with debit and credit exchanged."""
    return EntryDraft(on, f"冲销 {voucher}：{reason}", source_ref, tuple(
        LineDraft(line.role, debit=line.credit, credit=line.debit, party=line.party) for line in original.lines
    ))
