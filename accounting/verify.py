"""Recompute every invariant of the ledger over the whole database (the nightly check).

It trusts nothing the guards enforce: a breach planted past them (raw SQL with the triggers dropped)
is found here. It is set-based, so that a province's book of millions of lines is checked in a few
aggregate passes rather than object by object: each check is one SQL statement that returns only the
offending rows, and the hash chain, which must be recomputed entry by entry, is streamed as plain
rows, in other processes where the machine has the cores (``chain_verify``).
"""
from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any, Iterator, TypeVar, Unpack

from sqlalchemy import Select, SQLColumnExpression, Subquery, and_, case, func, or_, select
from sqlalchemy.orm import Session

from . import guards
from .chain_verify import chain_check, voucher
from .chart import NON_NEGATIVE_ROLES, PARTY_ROLES
from .collector import collector_paused
from .errors import Breach
from .models import Book, ChainLink, JournalEntry, JournalLine, LedgerAccount, PeriodClosure, VoucherCounter
from .schema import stored_fen

_Query = TypeVar("_Query", bound=Select[Unpack[tuple[Any, ...]]])


@collector_paused()
def verify(session: Session, chain_since: dict[int, tuple[int, str]] | None = None, jobs: int = 1) -> list[Breach]:
    """Every invariant over every entry; or, with ``chain_since`` (a book's link number and hash
    already verified, see ``chain_heads``), over what was posted after it: the hash chain from that
    link on, and each set check over the new entries only (a new entry balanced, its lines well
    formed, a running balance it took below zero from where the old ones left it, a reversal among
    them, a number it took, the book's new lines in balance), in time that grows with what is new.
    A book not in ``chain_since`` is checked whole. With ``jobs`` above one, a long chain is
    recomputed by that many other processes while the set checks run here (``chain_verify``)."""
    books = dict(session.execute(select(Book.id, Book.name)).all())
    dialect, present = session.get_bind().dialect.name, guards.installed(session.connection())
    breaches = [Breach("guard_missing", f"数据库保护触发器 {name} 不存在")
                for name in guards.trigger_names(dialect) + guards.history_trigger_names(dialect)
                if name not in present]
    new = None if chain_since is None else _entries_after(chain_since)
    with chain_check(session, books, chain_since, jobs) as chain:
        for check in SET_CHECKS:
            breaches.extend(check(session, books, new))
        breaches.extend(chain.breaches())
    return breaches


def _entries_after(heads: dict[int, tuple[int, str]]) -> Select[int]:
    """The ids of the entries posted after each book's verified link (every entry of a book without one)."""
    c = ChainLink
    after = [and_(c.book_id == book_id, c.seq > seq) for book_id, (seq, _) in sorted(heads.items())]
    return select(c.entry_id).where(or_(c.book_id.not_in(list(heads)), *after)) if heads else select(c.entry_id)


def _new_only(query: _Query, column: SQLColumnExpression[int], new: Select[int] | None) -> _Query:
    return query if new is None else query.where(column.in_(new))


def chain_heads(session: Session) -> dict[int, tuple[int, str]]:
    """Each book's last link: its number and hash (what a check that passed has verified)."""
    c, last = ChainLink, select(ChainLink.book_id, func.max(ChainLink.seq).label("seq")) \
        .group_by(ChainLink.book_id).subquery()
    return {book: (seq, digest) for book, seq, digest in session.execute(
        select(c.book_id, c.seq, c.hash).join(last, and_(last.c.book_id == c.book_id, last.c.seq == c.seq)))}


def _entry_shape(session: Session, books: dict[int, str], new: Select[int] | None = None) -> Iterator[Breach]:
    """Every entry has at least two lines, and its debits equal its credits (one GROUP BY)."""
    e, l = JournalEntry, JournalLine
    lines, debit, credit = func.count(l.id), func.coalesce(func.sum(stored_fen(l.debit)), 0), \
        func.coalesce(func.sum(stored_fen(l.credit)), 0)
    rows = session.execute(
        _new_only(select(e.book_id, e.voucher_year, e.voucher_no, lines, debit, credit)
                  .outerjoin(l, l.entry_id == e.id), e.id, new)
        .group_by(e.id, e.book_id, e.voucher_year, e.voucher_no)
        .having(or_(lines < 2, debit != credit))
        .order_by(e.book_id, e.voucher_year, e.voucher_no))
    for book_id, year, no, count, dr, cr in rows:
        named = f"{books[book_id]} {voucher(year, no)}"
        if count < 2:
            yield Breach("entry_too_few_lines", f"{named} 只有 {count} 条分录")
        if dr != cr:
            yield Breach("entry_unbalanced", f"{named} 借方 {_yuan(dr)} ≠ 贷方 {_yuan(cr)}")


def _line_shape(session: Session, books: dict[int, str], new: Select[int] | None = None) -> Iterator[Breach]:
    """Each line has one positive side, an account of its own book, and a party where the account keeps one."""
    e, l, a = JournalEntry, JournalLine, LedgerAccount
    invalid = ~or_(and_(stored_fen(l.debit) > 0, stored_fen(l.credit) == 0), and_(stored_fen(l.credit) > 0, stored_fen(l.debit) == 0))
    foreign = or_(a.id.is_(None), a.book_id != e.book_id)
    no_party = and_(a.role.in_(PARTY_ROLES), or_(l.party.is_(None), l.party == ""))
    rows = session.execute(
        select(e.book_id, e.voucher_year, e.voucher_no, l.line_no,
               case((invalid, 1), else_=0), case((foreign, 1), else_=0), case((no_party, 1), else_=0))
        .join(l, l.entry_id == e.id).outerjoin(a, a.id == l.account_id)
        .where(or_(invalid, foreign, no_party), *(() if new is None else (e.id.in_(new),)))
        .order_by(e.book_id, e.voucher_year, e.voucher_no, l.line_no))
    for book_id, year, no, line_no, bad_amount, bad_account, bad_party in rows:
        where = f"{books[book_id]} {voucher(year, no)} 第 {line_no} 行"
        if bad_amount:
            yield Breach("line_amount_invalid", f"{where}金额无效")
        if bad_account:
            yield Breach("line_foreign_account", f"{where}的科目属于其他账套")
        if bad_party:
            yield Breach("line_without_party", f"{where}往来科目未注明机构")


def _negative_sub_ledgers(session: Session, books: dict[int, str], new: Select[int] | None = None) -> Iterator[Breach]:
    """21§(一): what an institution holds or owes never goes below zero, at any entry in posting order
    (a running sum per book, account and institution: one window query). Over the new entries, the
    walk covers the institutions they touch, over their whole history in voucher order (so a new
    entry dated into an earlier year is placed where the full check places it)."""
    e, l, a = JournalEntry, JournalLine, LedgerAccount
    fen = stored_fen(l.debit) - stored_fen(l.credit)
    held = and_(a.role.in_(NON_NEGATIVE_ROLES), l.party.is_not(None), l.party != "")
    running = func.sum(fen).over(
        partition_by=(e.book_id, a.role, l.party), order_by=(e.voucher_year, e.voucher_no, l.line_no))
    if new is None:
        walk = (select(e.book_id, e.voucher_year, e.voucher_no, l.party, running.label("balance"))
                .join(l, l.entry_id == e.id).join(a, a.id == l.account_id).where(held).subquery())
    else:
        touched = (select(a.id.label("account_id"), l.party).join(l, l.account_id == a.id)
                   .where(held, l.entry_id.in_(new)).distinct().subquery())
        walk = (select(e.book_id, e.voucher_year, e.voucher_no, l.party, running.label("balance"))
                .join(l, l.entry_id == e.id).join(a, a.id == l.account_id)
                .join(touched, and_(touched.c.account_id == a.id, touched.c.party == l.party))
                .where(held).subquery())
    rows = session.execute(select(walk).where(walk.c.balance < 0)
                           .order_by(walk.c.book_id, walk.c.voucher_year, walk.c.voucher_no))
    for book_id, year, no, party, balance in rows:
        yield Breach("sub_ledger_negative", f"{books[book_id]} {party} 的余额在 {voucher(year, no)} 后为 {_yuan(balance)}")


def _reversals(session: Session, books: dict[int, str], new: Select[int] | None = None) -> Iterator[Breach]:
    """A reversal mirrors its original line for line, and nothing is reversed twice. Reversals are few:
    their lines and their originals' are read, and only theirs (only the new ones', over new entries)."""
    e, l = JournalEntry, JournalLine
    originals = select(e.reverses_id).where(e.reverses_id.is_not(None))
    for original_id, count in session.execute(
            select(e.reverses_id, func.count()).where(
                e.reverses_id.is_not(None),
                *(() if new is None else (e.reverses_id.in_(_new_only(originals, e.id, new)),)))
            .group_by(e.reverses_id).having(func.count() > 1)):
        yield Breach("reversed_twice", f"凭证 {original_id} 被冲销了 {count} 次")
    reversals = session.execute(_new_only(select(e.id, e.reverses_id, e.book_id, e.voucher_year, e.voucher_no)
                                          .where(e.reverses_id.is_not(None)), e.id, new).order_by(e.id)).all()
    if not reversals:
        return
    wanted = {r.id for r in reversals} | {r.reverses_id for r in reversals}
    lines: dict[int, list[tuple[int, str, int, int]]] = defaultdict(list)
    for chunk in _chunks(sorted(wanted)):
        for entry_id, account_id, party, debit, credit in session.execute(
                select(l.entry_id, l.account_id, l.party, stored_fen(l.debit), stored_fen(l.credit)).where(l.entry_id.in_(chunk))):
            lines[entry_id].append((account_id, party or "", debit, credit))
    for r in reversals:
        flipped = sorted((a, p, cr, dr) for a, p, dr, cr in lines.get(r.reverses_id, ()))
        if r.reverses_id not in lines or flipped != sorted(lines.get(r.id, ())):
            yield Breach("reversal_mismatch", f"{books[r.book_id]} {voucher(r.voucher_year, r.voucher_no)} 与其冲销的原凭证不对应")


def _closed_periods(session: Session, books: dict[int, str], new: Select[int] | None = None) -> Iterator[Breach]:
    """Nothing is posted into a period that was closed when it was posted."""
    e, c = JournalEntry, PeriodClosure
    rows = session.execute(
        _new_only(select(e.book_id, e.voucher_year, e.voucher_no, e.period).distinct()
                  .join(c, and_(c.book_id == e.book_id, c.closed_at <= e.posted_at, e.period <= c.period,
                                or_(c.reopened_at.is_(None), c.reopened_at > e.posted_at))), e.id, new)
        .order_by(e.book_id, e.voucher_year, e.voucher_no))
    for book_id, year, no, period in rows:
        yield Breach("posted_in_closed_period", f"{books[book_id]} {voucher(year, no)} 记入了已结账期间 {period}")


def _voucher_numbers(session: Session, books: dict[int, str], new: Select[int] | None = None) -> Iterator[Breach]:
    """Voucher numbers run 1, 2, … without a gap per book and year, and the counter stands at the last
    (over new entries: the books and years they were numbered in, counted by the index)."""
    e, v = JournalEntry, VoucherCounter
    years = None if new is None else select(e.book_id, e.voucher_year).where(e.id.in_(new)).distinct().subquery()
    numbers: Select[int, int, int, int, int, int] | Subquery  # the counts per book and year, then their subquery
    numbers = select(e.book_id, e.voucher_year, func.count().label("n"), func.min(e.voucher_no).label("low"),
                     func.max(e.voucher_no).label("high"), func.count(func.distinct(e.voucher_no)).label("distinct_"))
    if years is not None:
        numbers = numbers.join(years, and_(years.c.book_id == e.book_id, years.c.voucher_year == e.voucher_year))
    numbers = numbers.group_by(e.book_id, e.voucher_year).subquery()
    rows = session.execute(
        select(numbers, v.last_no)
        .outerjoin(v, and_(v.book_id == numbers.c.book_id, v.year == numbers.c.voucher_year))
        .order_by(numbers.c.book_id, numbers.c.voucher_year))
    for book_id, year, n, low, high, distinct_, last_no in rows:
        if low != 1 or high != n or distinct_ != n:
            yield Breach("voucher_gap", f"{books[book_id]} {year} 年凭证号不连续")
        if (last_no or 0) != high:
            yield Breach("voucher_counter_mismatch", f"{books[book_id]} {year} 年凭证号计数器与凭证不符")


def _book_totals(session: Session, books: dict[int, str], new: Select[int] | None = None) -> Iterator[Breach]:
    """Each book's debits equal its credits (over new entries: theirs do, the old ones having been)."""
    e, l = JournalEntry, JournalLine
    for book_id, total in session.execute(
            _new_only(select(e.book_id, func.sum(stored_fen(l.debit) - stored_fen(l.credit))).join(l, l.entry_id == e.id),
                      e.id, new)
            .group_by(e.book_id).having(func.sum(stored_fen(l.debit) - stored_fen(l.credit)) != 0).order_by(e.book_id)):
        yield Breach("book_unbalanced", f"{books[book_id]} 借贷合计相差 {_yuan(total)}")


def _chunks(ids: list[int], size: int = 1000) -> Iterator[list[int]]:
    for i in range(0, len(ids), size):
        yield ids[i:i + size]


def _yuan(fen: int) -> Decimal:
    return Decimal(int(fen)).scaleb(-2)


# the invariants checked by one SQL statement each (the hash chain is the one ordered stream)
SET_CHECKS = (_entry_shape, _line_shape, _negative_sub_ledgers, _reversals, _closed_periods, _voucher_numbers,
              _book_totals)
