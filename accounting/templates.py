"""Posting templates for the events of RULES §7 (21§, HB 三): pure functions returning an entry.

| event                          | debit                        | credit                       |
|--------------------------------|------------------------------|------------------------------|
| advance paid / topped up       | 暂付款—医保预付金             | 支出户存款 or 财政专户存款     |
| recovered by settlement offset | 社会保险待遇支出              | 暂付款—医保预付金             |
| recovered by refund            | 支出户存款 or 财政专户存款     | 暂付款—医保预付金             |
| written off                    | 其他支出                      | 暂付款—医保预付金             |

and the monthly settlement that carries a recovery (RULES §7, §5): Dr 社会保险待遇支出 for the whole
payable, Cr 暂付款—医保预付金 for what is withheld, Cr the paying account for the net.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from .chart import Role
from .entries import ZERO, EntryDraft, LaterRecovery, LineDraft, WriteOffMemo

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


def monthly_settlement(party: str, payable: Decimal, withheld: Decimal, on: dt.date, source_ref: str, *,
                       held: Decimal = ZERO, released: Decimal = ZERO, applied: Decimal = ZERO,
                       paid_from: Role = Role.EXPENDITURE_DEPOSIT, summary: str = "") -> EntryDraft:
    """17§, 20§(二)1: a month's settlement with what it withholds.

    Dr 社会保险待遇支出 (payable) and Dr 暂收款 (``released``: kept back earlier, paid now) /
    Cr 暂付款—医保预付金 (``withheld``), Cr 暂收款 (``held``: kept back until the advance is recovered,
    HB 五) and Cr the paying account for the rest; ``applied`` (part of ``withheld``): kept back
    earlier and applied to the debt now, Dr 暂收款 (RULES §6). Lines of zero are left out.
    """
    net = payable + released + applied - withheld - held
    if min(payable, withheld, held, released, applied, net) < 0 or applied > withheld:
        raise ValueError("扣回与暂停拨付之和不能超过结算金额")
    lines = [
        LineDraft(Role.BENEFIT_EXPENSE, debit=payable),
        LineDraft(Role.OVERPAID, debit=released + applied, party=party),
        LineDraft(Role.ADVANCE, credit=withheld, party=party),
        LineDraft(Role.OVERPAID, credit=held, party=party),
        LineDraft(_bank(paid_from), credit=net),
    ]
    return EntryDraft(on, summary or f"{party} 月度结算", source_ref,
                      tuple(line for line in lines if line.debit or line.credit))


def held_applied(party: str, amount: Decimal, on: dt.date, source_ref: str, summary: str = "") -> EntryDraft:
    """RULES §6 (HB 五): settlement money held back from the institution is applied to what it owes:
    Dr 暂收款 / Cr 暂付款—医保预付金."""
    return EntryDraft(on, summary or f"以暂停拨付的结算款抵扣 {party} 应收回的医保预付金", source_ref, (
        LineDraft(Role.OVERPAID, debit=amount, party=party),
        LineDraft(Role.ADVANCE, credit=amount, party=party),
    ))


def transferred_to_successor(party: str, successor: str, amount: Decimal, on: dt.date, source_ref: str,
                             document_ref: str) -> EntryDraft:
    """20§(二)3: the successor owes what the institution held: the sub-ledger moves from one to the other."""
    if not document_ref.strip():
        raise ValueError("承继须有合并、分立或产权变更的文书")
    return EntryDraft(on, f"{party} 的医保预付金转由 {successor} 承担（{document_ref}）", source_ref, (
        LineDraft(Role.ADVANCE, debit=amount, party=successor),
        LineDraft(Role.ADVANCE, credit=amount, party=party),
    ))


def recovered_after_write_off(party: str, amount: Decimal, on: dt.date, source_ref: str, write_off_entry_id: int,
                              paid_into: Role = Role.EXPENDITURE_DEPOSIT, summary: str = "") -> EntryDraft:
    """20§(二)6: money recovered after a write-off: Dr the bank / Cr 其他支出, registered in the memo
    register against the write-off."""
    return EntryDraft(on, summary or f"收回 {party} 已核销的医保预付金", source_ref, (
        LineDraft(_bank(paid_into), debit=amount),
        LineDraft(Role.OTHER_EXPENSE, credit=amount),
    ), later_recovery=LaterRecovery(write_off_entry_id, party, amount))


def reversal(original: EntryDraft, voucher: str, on: dt.date, source_ref: str, reason: str) -> EntryDraft:
    """红字冲销: the original's lines with debit and credit exchanged."""
    return EntryDraft(on, f"冲销 {voucher}：{reason}", source_ref, tuple(
        LineDraft(line.role, debit=line.credit, credit=line.debit, party=line.party) for line in original.lines
    ))
