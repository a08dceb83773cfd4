"""Posting templates for the events of RULES §7 (21§, HB 三): pure functions returning an entry.

| event                          | debit                        | credit                       |
|--------------------------------|------------------------------|------------------------------|
| advance paid / topped up       | 暂付款—医保预付金             | 支出户存款 or 财政专户存款     |
| recovered by settlement offset | 社会保险待遇支出              | 暂付款—医保预付金             |
| recovered by refund            | 支出户存款 or 财政专户存款     | 暂付款—医保预付金             |
| written off                    | 其他支出                      | 暂付款—医保预付金             |

RULES §7 (turn 3): a pre-settlement has its own detail account (暂付款—月度预结金) with the same
pattern; a settlement posts only what it withholds (and held money when released or applied: it is no
expense while held); what a deposit pays out is funded first by the fund's main accounts (Cr
预付款项资金往来), so no asset account runs a credit balance.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from .chart import HELD_ROLES, Role
from .entries import ZERO, EntryDraft, LaterRecovery, LineDraft, WriteOffMemo

BANK_ROLES = frozenset({Role.EXPENDITURE_DEPOSIT, Role.FISCAL_SPECIAL_DEPOSIT})
WHAT_IS_HELD = {Role.ADVANCE: "医保预付金", Role.PRESETTLEMENT: "月度预结金"}


def _bank(role: Role) -> Role:
    if role not in BANK_ROLES:
        raise ValueError(f"资金账户须为支出户存款或财政专户存款，不能是 {role}")
    return role


def _held(role: Role) -> Role:
    """RULES §7 (turn 3): what an institution holds is on one of two detail accounts of 暂付款."""
    if role not in HELD_ROLES:
        raise ValueError(f"预付款项科目须为暂付款—医保预付金或暂付款—月度预结金，不能是 {role}")
    return role


def funded(amount: Decimal, on: dt.date, source_ref: str, summary: str = "",
           into: Role = Role.EXPENDITURE_DEPOSIT) -> EntryDraft:
    """RULES §7 (turn 3): the book records what touches the prepayment accounts, and the money that
    funds it: before a deposit pays out, the fund's main accounts allot the amount to it (用款, 24§(五)):
    Dr 支出户存款 (or 财政专户存款) / Cr 预付款项资金往来. So no deposit runs a credit balance, and the
    clearing account says, at any time, how much the prepayments have drawn on the fund."""
    return EntryDraft(on, summary or "拨入预付款项用款", source_ref, (
        LineDraft(_bank(into), debit=amount),
        LineDraft(Role.FUNDING, credit=amount),
    ))


def advance_paid(party: str, amount: Decimal, on: dt.date, source_ref: str,
                 paid_from: Role = Role.EXPENDITURE_DEPOSIT, summary: str = "",
                 account: Role = Role.ADVANCE) -> EntryDraft:
    """21§(二): 拨付预付金（或补足差额）: Dr 暂付款—医保预付金 / Cr 支出户存款 or 财政专户存款; a
    pre-settlement (26§) on its own detail account, 暂付款—月度预结金 (RULES §7)."""
    return EntryDraft(on, summary or f"拨付 {party} {WHAT_IS_HELD[_held(account)]}", source_ref, (
        LineDraft(account, debit=amount, party=party),
        LineDraft(_bank(paid_from), credit=amount),
    ))


def recovered_by_offset(party: str, amount: Decimal, on: dt.date, source_ref: str, summary: str = "",
                        account: Role = Role.ADVANCE) -> EntryDraft:
    """21§(二): 冲抵结算款收回: Dr 社会保险待遇支出 / Cr 暂付款—医保预付金 (or —月度预结金)."""
    return EntryDraft(on, summary or f"{party} {WHAT_IS_HELD[_held(account)]}冲抵结算款收回", source_ref, (
        LineDraft(Role.BENEFIT_EXPENSE, debit=amount),
        LineDraft(account, credit=amount, party=party),
    ))


def recovered_by_refund(party: str, amount: Decimal, on: dt.date, source_ref: str,
                        paid_into: Role = Role.EXPENDITURE_DEPOSIT, summary: str = "",
                        account: Role = Role.ADVANCE) -> EntryDraft:
    """21§(二): 定点医疗机构交回: Dr 支出户存款 or 财政专户存款 / Cr 暂付款—医保预付金 (or —月度预结金)."""
    return EntryDraft(on, summary or f"{party} 交回{WHAT_IS_HELD[_held(account)]}", source_ref, (
        LineDraft(_bank(paid_into), debit=amount),
        LineDraft(account, credit=amount, party=party),
    ))


def written_off(party: str, amount: Decimal, on: dt.date, source_ref: str, court_document_ref: str,
                approval_ref: str, summary: str = "", account: Role = Role.ADVANCE) -> EntryDraft:
    """21§(三), 20§(二)6: 核销: Dr 其他支出 / Cr 暂付款—医保预付金, kept in the memo register."""
    if not court_document_ref.strip() or not approval_ref.strip():
        raise ValueError("核销须有法院出具的法律文书和人民政府批准文号")
    return EntryDraft(on, summary or f"核销 {party} 无法收回的{WHAT_IS_HELD[_held(account)]}", source_ref, (
        LineDraft(Role.OTHER_EXPENSE, debit=amount),
        LineDraft(account, credit=amount, party=party),
    ), memo=WriteOffMemo(party, amount, court_document_ref, approval_ref))


def monthly_settlement(party: str, withheld: Decimal, on: dt.date, source_ref: str, *,
                       withheld_presettlement: Decimal = ZERO, released: Decimal = ZERO,
                       paid_from: Role = Role.EXPENDITURE_DEPOSIT, summary: str = "") -> EntryDraft | None:
    """17§, 20§(二)1, 26§: what a settlement (monthly or the annual clearing) posts to this book: only
    what touches the prepayment accounts (RULES §7, turn 3; the settlement itself is the settlement
    system's). ``withheld`` (of the annual advance, held money applied included) and
    ``withheld_presettlement`` are offsets, Dr 社会保险待遇支出 / Cr 暂付款—医保预付金 / —月度预结金;
    ``released``, money held back earlier (HB 五) and paid now, becomes an expense only now:
    Dr 社会保险待遇支出 / Cr the paying account. Money held back is no expense and not posted: it is kept
    in the register of held payments. Nothing to post: None.
    """
    if min(withheld, withheld_presettlement, released) < 0:
        raise ValueError("扣回与解除暂停拨付的金额不能为负数")
    lines = [
        LineDraft(Role.BENEFIT_EXPENSE, debit=withheld + withheld_presettlement + released),
        LineDraft(Role.ADVANCE, credit=withheld, party=party),
        LineDraft(Role.PRESETTLEMENT, credit=withheld_presettlement, party=party),
        LineDraft(_bank(paid_from), credit=released),
    ]
    lines = [line for line in lines if line.debit or line.credit]
    if not lines:
        return None
    return EntryDraft(on, summary or f"{party} 月度结算", source_ref, tuple(lines))


def held_applied(party: str, amount: Decimal, on: dt.date, source_ref: str, summary: str = "",
                 account: Role = Role.ADVANCE) -> EntryDraft:
    """RULES §6 (HB 五): settlement money held back from the institution (no expense while held, RULES §7)
    is applied to what it owes: Dr 社会保险待遇支出 / Cr 暂付款 (the debt's detail account)."""
    return EntryDraft(on, summary or f"以暂停拨付的结算款抵扣 {party} 应收回的{WHAT_IS_HELD[_held(account)]}", source_ref, (
        LineDraft(Role.BENEFIT_EXPENSE, debit=amount),
        LineDraft(account, credit=amount, party=party),
    ))


def transferred_to_successor(party: str, successor: str, amount: Decimal, on: dt.date, source_ref: str,
                             document_ref: str, account: Role = Role.ADVANCE) -> EntryDraft:
    """20§(二)3: the successor owes what the institution held: the sub-ledger moves from one to the other."""
    if not document_ref.strip():
        raise ValueError("承继须有合并、分立或产权变更的文书")
    return EntryDraft(on, f"{party} 的{WHAT_IS_HELD[_held(account)]}转由 {successor} 承担（{document_ref}）", source_ref, (
        LineDraft(account, debit=amount, party=successor),
        LineDraft(account, credit=amount, party=party),
    ))


def recovered_after_write_off(party: str, amount: Decimal, on: dt.date, source_ref: str, write_off_entry_id: int,
                              paid_into: Role = Role.EXPENDITURE_DEPOSIT, summary: str = "",
                              written_off_on: dt.date | None = None) -> EntryDraft:
    """20§(二)6: money recovered after a write-off, registered in the memo register against it:
    Dr the bank / Cr 其他支出 in the write-off's own year, Cr 其他收入 in a later one (RULES §7: the
    expense's year is closed)."""
    later = written_off_on is not None and on.year > written_off_on.year
    return EntryDraft(on, summary or f"收回 {party} 已核销的医保预付金", source_ref, (
        LineDraft(_bank(paid_into), debit=amount),
        LineDraft(Role.OTHER_INCOME if later else Role.OTHER_EXPENSE, credit=amount),
    ), later_recovery=LaterRecovery(write_off_entry_id, party, amount))


def reversal(original: EntryDraft, voucher: str, on: dt.date, source_ref: str, reason: str) -> EntryDraft:
    """红字冲销: the original's lines with debit and credit exchanged."""
    return EntryDraft(on, f"冲销 {voucher}：{reason}", source_ref, tuple(
        LineDraft(line.role, debit=line.credit, credit=line.debit, party=line.party) for line in original.lines
    ))
