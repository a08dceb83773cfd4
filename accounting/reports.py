"""Reports read from the books: trial balance, account detail, institution statement, memo register.

Balances are signed debit-positive Decimals; ``side`` turns one into 借/贷/平
for people. Periods are ``YYYY-MM`` strings, inclusive.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Callable, cast

from sqlalchemy import ColumnElement, case, distinct, func, select
from sqlalchemy.orm import Session, aliased

from .chart import HELD_ROLES, Role
from .errors import LedgerError
from .models import Book, ChainLink, JournalEntry, JournalLine, LedgerAccount, WriteOffMemo, WriteOffRecovery
from .schema import money_sum

ZERO = Decimal("0.00")


def side(balance: Decimal) -> str:
    return "借" if balance > 0 else "贷" if balance < 0 else "平"


@dataclass(frozen=True)
class TrialBalanceRow:
    code: str
    name: str
    opening: Decimal
    debit: Decimal
    credit: Decimal
    closing: Decimal
    role: str = ""  # the account's role (empty on the totals row), to open its detail by


@dataclass(frozen=True)
class TrialBalance:
    book: str
    from_period: str
    to_period: str
    rows: tuple[TrialBalanceRow, ...]

    @property
    def totals(self) -> TrialBalanceRow:
        s: Callable[[str], Decimal] = lambda attr: sum((getattr(r, attr) for r in self.rows), ZERO)  # noqa: E731
        return TrialBalanceRow("", "合计", s("opening"), s("debit"), s("credit"), s("closing"))

    @property
    def balanced(self) -> bool:
        t = self.totals
        return t.opening == 0 and t.closing == 0 and t.debit == t.credit


def check_range(from_period: str, to_period: str) -> None:
    from .ledger import check_period

    check_period(from_period)
    check_period(to_period)
    if from_period > to_period:
        raise LedgerError("bad_period", f"起始期间 {from_period} 晚于截止期间 {to_period}", "from")


def trial_balance(session: Session, book_id: int, from_period: str, to_period: str) -> TrialBalance:
    """科目余额表: every account of the book with opening, movements and closing."""
    check_range(from_period, to_period)
    book = session.get(Book, book_id)
    if book is None:
        raise LedgerError("book_not_found", f"账套 {book_id} 不存在", "book")
    before = JournalEntry.period < from_period
    within = JournalEntry.period.between(from_period, to_period)
    sums = dict(
        (account_id, (opening, debit, credit))
        for account_id, opening, debit, credit in session.execute(
            select(
                JournalLine.account_id,
                money_sum(case((before, JournalLine.debit - JournalLine.credit), else_=0)),
                money_sum(case((within, JournalLine.debit), else_=0)),
                money_sum(case((within, JournalLine.credit), else_=0)),
            )
            .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
            .where(JournalEntry.book_id == book_id, JournalEntry.period <= to_period)
            .group_by(JournalLine.account_id)
        )
    )
    rows = []
    for account in session.scalars(select(LedgerAccount).where(LedgerAccount.book_id == book_id).order_by(LedgerAccount.code)):
        opening, debit, credit = sums.get(account.id, (ZERO, ZERO, ZERO))
        rows.append(TrialBalanceRow(account.code, account.name, opening, debit, credit, opening + debit - credit,
                                    account.role.value))
    return TrialBalance(book.name, from_period, to_period, tuple(rows))


@dataclass(frozen=True)
class Movement:
    entry_date: dt.date
    voucher: str
    summary: str
    party: str | None
    debit: Decimal
    credit: Decimal
    balance: Decimal


@dataclass(frozen=True)
class AccountDetail:
    book: str
    account_code: str
    account_name: str
    party: str | None
    from_period: str
    to_period: str
    opening: Decimal
    movements: tuple[Movement, ...]

    @property
    def debit(self) -> Decimal:
        return sum((m.debit for m in self.movements), ZERO)

    @property
    def credit(self) -> Decimal:
        return sum((m.credit for m in self.movements), ZERO)

    @property
    def closing(self) -> Decimal:
        return self.opening + self.debit - self.credit


def account_detail(session: Session, book_id: int, role: Role | tuple[Role, ...], from_period: str, to_period: str,
                   party: str | None = None) -> AccountDetail:
    """明细账: an account's movements in voucher order with a running balance; ``party`` for one sub-ledger.
    Several roles (the detail accounts of 暂付款): their movements together, under their codes joined."""
    check_range(from_period, to_period)
    roles = role if isinstance(role, tuple) else (role,)
    book = session.get(Book, book_id)
    accounts = session.scalars(select(LedgerAccount).where(LedgerAccount.book_id == book_id,
                                                           LedgerAccount.role.in_(roles))
                               .order_by(LedgerAccount.code)).all()
    if book is None or not accounts:
        raise LedgerError("book_not_found", f"账套 {book_id} 没有科目 {role}", "book")
    account = accounts[0] if len(accounts) == 1 else LedgerAccount(
        code="、".join(a.code for a in accounts), name="、".join(a.name for a in accounts))
    conditions: list[ColumnElement[bool]] = [JournalLine.account_id.in_([a.id for a in accounts])]
    if party is not None:
        conditions.append(JournalLine.party == party)
    opening = cast(Decimal, session.scalar(  # an aggregate's one row; money_sum is never NULL
        select(money_sum(JournalLine.debit - JournalLine.credit))
        .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
        .where(*conditions, JournalEntry.period < from_period)
    ))
    balance = opening
    movements = []
    for line, entry in session.execute(
        select(JournalLine, JournalEntry)
        .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
        .where(*conditions, JournalEntry.period.between(from_period, to_period))
        .order_by(JournalEntry.entry_date, JournalEntry.voucher_year, JournalEntry.voucher_no, JournalLine.line_no)
    ):
        balance += line.debit - line.credit
        movements.append(Movement(entry.entry_date, entry.voucher, entry.summary, line.party,
                                  line.debit, line.credit, balance))
    return AccountDetail(book.name, account.code, account.name, party, from_period, to_period, opening, tuple(movements))


def institution_statement(session: Session, book_id: int, party: str, from_period: str, to_period: str) -> AccountDetail:
    """对账单: one institution's sub-ledgers of 暂付款 (医保预付金 and 月度预结金, RULES §7), to reconcile
    with the hospital (21§(一)): a pharmacy's pre-settlements are on it as well as a hospital's advance."""
    return account_detail(session, book_id, HELD_ROLES, from_period, to_period, party=party)


def party_balances(session: Session, book_id: int, role: Role = Role.ADVANCE) -> dict[str, Decimal]:
    """Every institution's balance on a sub-ledger account (those with a nonzero one)."""
    rows = session.execute(
        select(JournalLine.party, money_sum(JournalLine.debit - JournalLine.credit))
        .join(LedgerAccount, LedgerAccount.id == JournalLine.account_id)
        .where(LedgerAccount.book_id == book_id, LedgerAccount.role == role)
        .group_by(JournalLine.party)
    )
    balances: dict[str, Decimal] = dict(rows.all())
    return {p: b for p, b in sorted(balances.items()) if b != 0}


def account_balance(session: Session, book_id: int, role: Role) -> Decimal:
    """An account's debit balance (negative: a credit balance)."""
    return cast(Decimal, session.scalar(  # an aggregate's one row; money_sum is never NULL
        select(money_sum(JournalLine.debit - JournalLine.credit))
        .join(LedgerAccount, LedgerAccount.id == JournalLine.account_id)
        .where(LedgerAccount.book_id == book_id, LedgerAccount.role == role)))


def sub_ledger_summary(session: Session, book_ids: list[int], role: Role = Role.ADVANCE) -> tuple[dict[int, Decimal], int]:
    """A sub-ledger account's balance in each book, and how many parties hold a nonzero part of it in
    any of them, by aggregates (a dashboard must not fetch every institution's balance)."""
    balance = func.sum(JournalLine.debit - JournalLine.credit)
    per_party = (select(LedgerAccount.book_id, JournalLine.party, balance.label("balance"))
                 .join(LedgerAccount, LedgerAccount.id == JournalLine.account_id)
                 .where(LedgerAccount.book_id.in_(book_ids), LedgerAccount.role == role)
                 .group_by(LedgerAccount.book_id, JournalLine.party).having(balance != 0).subquery())
    # one pass over the per-party balances for both figures: each book's total as a column of its own
    *totals, holders = session.execute(select(
        *(money_sum(case((per_party.c.book_id == book_id, per_party.c.balance), else_=0)) for book_id in book_ids),
        func.count(distinct(per_party.c.party)))).one()
    return dict(zip(book_ids, totals)), holders


@dataclass(frozen=True)
class MemoRow:
    voucher: str
    entry_date: dt.date
    party: str
    amount: Decimal
    court_document_ref: str
    approval_ref: str
    reversed_by: str | None
    recovered_later: Decimal  # collected after the write-off (Dr 存款 / Cr 其他支出)


def writeoff_register(session: Session, book_id: int) -> tuple[MemoRow, ...]:
    """备查簿: advances written off, with the court document and the approval (20§(二)6)."""
    reversal = aliased(JournalEntry)
    later = (select(WriteOffRecovery.memo_id, money_sum(WriteOffRecovery.amount).label("amount"))
             .group_by(WriteOffRecovery.memo_id).subquery())
    rows = session.execute(
        select(WriteOffMemo, JournalEntry, reversal, later.c.amount)
        .join(JournalEntry, JournalEntry.id == WriteOffMemo.entry_id)
        .outerjoin(reversal, reversal.reverses_id == JournalEntry.id)
        .outerjoin(later, later.c.memo_id == WriteOffMemo.id)
        .where(JournalEntry.book_id == book_id)
        .order_by(JournalEntry.entry_date, JournalEntry.voucher_no)
    )
    return tuple(
        MemoRow(e.voucher, e.entry_date, m.party, m.amount, m.court_document_ref, m.approval_ref,
                r.voucher if r is not None else None, recovered or ZERO)
        for m, e, r, recovered in rows
    )


@dataclass(frozen=True)
class Anchor:
    book: str
    period: str
    entries: int  # links in the chain up to the end of the period
    head: str  # the last link of the period


def chain_anchors(session: Session) -> tuple[Anchor, ...]:
    """Each book's chain head at the end of every period, for the auditor to keep outside the database: a
    later verify against a kept anchor shows that nothing before it was rewritten."""
    last = (select(ChainLink.book_id, JournalEntry.period, func.max(ChainLink.seq).label("seq"))
            .join(JournalEntry, JournalEntry.id == ChainLink.entry_id)
            .group_by(ChainLink.book_id, JournalEntry.period).subquery())
    rows = session.execute(
        select(Book.name, last.c.period, ChainLink.seq, ChainLink.hash)
        .join(ChainLink, (ChainLink.book_id == last.c.book_id) & (ChainLink.seq == last.c.seq))
        .join(Book, Book.id == last.c.book_id).order_by(Book.name, last.c.period))
    return tuple(Anchor(name, period, seq, head) for name, period, seq, head in rows)
