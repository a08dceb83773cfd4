"""Recompute every invariant of the ledger over the whole database (the nightly check).

It trusts nothing the guards enforce: a breach planted past them (raw SQL with
the triggers dropped) is found here.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import guards
from .chain import GENESIS, ChainedEntry, ChainedLine, link
from .chart import NON_NEGATIVE_ROLES, PARTY_ROLES
from .models import (
    Book, ChainLink, JournalEntry, JournalLine, LedgerAccount, PeriodClosure, VoucherCounter, WriteOffMemo,
)


@dataclass(frozen=True)
class Breach:
    code: str
    message: str


def verify(session: Session) -> list[Breach]:
    breaches: list[Breach] = []
    add = lambda code, message: breaches.append(Breach(code, message))  # noqa: E731

    present = guards.installed(session.connection())
    for name in guards.trigger_names(session.get_bind().dialect.name):
        if name not in present:
            add("guard_missing", f"数据库保护触发器 {name} 不存在")

    roles = {a.id: a.role for a in session.scalars(select(LedgerAccount))}
    account_book = {a.id: a.book_id for a in session.scalars(select(LedgerAccount))}
    books = {b.id: b.name for b in session.scalars(select(Book))}
    lines_by_entry: dict[int, list[JournalLine]] = defaultdict(list)
    for line in session.scalars(select(JournalLine).order_by(JournalLine.entry_id, JournalLine.line_no)):
        lines_by_entry[line.entry_id].append(line)
    entries = session.scalars(select(JournalEntry).order_by(
        JournalEntry.book_id, JournalEntry.voucher_year, JournalEntry.voucher_no)).all()
    by_id = {e.id: e for e in entries}
    closures = session.scalars(select(PeriodClosure)).all()

    numbers: dict[tuple[int, int], list[int]] = defaultdict(list)
    reversed_once: dict[int, int] = defaultdict(int)
    running: dict[tuple[int, object, str], Decimal] = defaultdict(Decimal)
    totals: dict[int, Decimal] = defaultdict(Decimal)
    for e in entries:
        lines = lines_by_entry.get(e.id, [])
        numbers[(e.book_id, e.voucher_year)].append(e.voucher_no)
        if len(lines) < 2:
            add("entry_too_few_lines", f"{books[e.book_id]} {e.voucher} 只有 {len(lines)} 条分录")
        debit = sum((l.debit for l in lines), Decimal(0))
        credit = sum((l.credit for l in lines), Decimal(0))
        if debit != credit:
            add("entry_unbalanced", f"{books[e.book_id]} {e.voucher} 借方 {debit} ≠ 贷方 {credit}")
        for l in lines:
            if not ((l.debit > 0 and l.credit == 0) or (l.credit > 0 and l.debit == 0)):
                add("line_amount_invalid", f"{books[e.book_id]} {e.voucher} 第 {l.line_no} 行金额无效")
            if account_book.get(l.account_id) != e.book_id:
                add("line_foreign_account", f"{books[e.book_id]} {e.voucher} 第 {l.line_no} 行的科目属于其他账套")
            role = roles.get(l.account_id)
            if role in PARTY_ROLES and not l.party:
                add("line_without_party", f"{books[e.book_id]} {e.voucher} 第 {l.line_no} 行往来科目未注明机构")
            totals[e.book_id] += l.debit - l.credit
            if role in NON_NEGATIVE_ROLES and l.party:
                key = (e.book_id, role, l.party)
                running[key] += l.debit - l.credit
                if running[key] < 0:
                    add("sub_ledger_negative", f"{books[e.book_id]} {l.party} 的余额在 {e.voucher} 后为 {running[key]}")
        if e.reverses_id is not None:
            reversed_once[e.reverses_id] += 1
            original = by_id.get(e.reverses_id)
            if original is None or not _mirrors(lines, lines_by_entry.get(original.id, [])):
                add("reversal_mismatch", f"{books[e.book_id]} {e.voucher} 与其冲销的原凭证不对应")
        for c in closures:
            active = c.closed_at <= e.posted_at and (c.reopened_at is None or c.reopened_at > e.posted_at)
            if c.book_id == e.book_id and active and e.period <= c.period:
                add("posted_in_closed_period", f"{books[e.book_id]} {e.voucher} 记入了已结账期间 {e.period}")
    for original_id, count in reversed_once.items():
        if count > 1:
            add("reversed_twice", f"凭证 {original_id} 被冲销了 {count} 次")
    for (book_id, year), nos in numbers.items():
        if sorted(nos) != list(range(1, len(nos) + 1)):
            add("voucher_gap", f"{books[book_id]} {year} 年凭证号不连续")
    counters = {(c.book_id, c.year): c.last_no for c in session.scalars(select(VoucherCounter))}
    for key, nos in numbers.items():
        if counters.get(key, 0) != max(nos):
            add("voucher_counter_mismatch", f"{books[key[0]]} {key[1]} 年凭证号计数器与凭证不符")
    for book_id, total in totals.items():
        if total != 0:
            add("book_unbalanced", f"{books[book_id]} 借贷合计相差 {total}")
    breaches.extend(_chain_breaches(session, by_id, lines_by_entry, books))
    return breaches


def _chain_breaches(session: Session, entries: dict[int, JournalEntry], lines_by_entry, books) -> list[Breach]:
    """Recompute each book's hash chain from the rows as they are; name the first entry that does not match
    (an entry or line edited, or removed, past the guards), and any entry outside the chain."""
    memos = {m.entry_id: (m.party, f"{m.amount:.2f}", m.court_document_ref, m.approval_ref)
             for m in session.scalars(select(WriteOffMemo))}
    found, chained = [], set()
    by_book: dict[int, list[ChainLink]] = defaultdict(list)
    for c in session.scalars(select(ChainLink).order_by(ChainLink.book_id, ChainLink.seq)):
        by_book[c.book_id].append(c)
    for book_id, links in by_book.items():
        previous = GENESIS
        for expected_seq, c in enumerate(links, start=1):
            chained.add(c.entry_id)
            e = entries.get(c.entry_id)
            if e is None or c.seq != expected_seq:
                found.append(Breach("chain_broken", f"{books[book_id]} 哈希链第 {expected_seq} 环对应的凭证缺失或顺序被改动"))
                break
            lines = tuple(ChainedLine(l.line_no, l.account_id, l.party, l.debit, l.credit)
                          for l in lines_by_entry.get(e.id, []))
            recomputed = link(previous, ChainedEntry(
                e.book_id, e.voucher_year, e.voucher_no, e.entry_date, e.period, e.summary, e.source_ref,
                e.idempotency_key, e.reverses_id, e.posted_by, e.posted_at, lines, memos.get(e.id)))
            if recomputed != c.hash:
                found.append(Breach("chain_broken", f"{books[book_id]} {e.voucher} 与哈希链不符：凭证或其分录在记账后被改动"))
                break
            previous = c.hash
    for e in entries.values():
        if e.id not in chained:
            found.append(Breach("entry_not_chained", f"{books[e.book_id]} {e.voucher} 不在哈希链中"))
    return found


def _mirrors(reversal: list[JournalLine], original: list[JournalLine]) -> bool:
    flip = sorted((l.account_id, l.party or "", l.credit, l.debit) for l in original)
    return flip == sorted((l.account_id, l.party or "", l.debit, l.credit) for l in reversal)
