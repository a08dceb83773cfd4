"""Posting, reversing and closing periods.

Every write takes the book's lock first (``SELECT … FOR UPDATE`` on the book
row on PostgreSQL; SQLite transactions here begin IMMEDIATE, which serialises
writers), so balance checks, voucher numbers and period checks see every
posting committed before them. The ``*_in`` functions work inside the
caller's transaction (a workflow that pays and posts in one commit); the
others own theirs.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Table, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from .chain import GENESIS, LinkValues, fen, link_values
from .chart import NON_NEGATIVE_ROLES, Chart, Role
from .collector import collector_paused
from .entries import EntryDraft, LaterRecovery, LineDraft, content_hash, problems
from .errors import LedgerError
from .models import (
    Book,
    ChainLink,
    JournalEntry,
    JournalLine,
    LedgerAccount,
    PeriodClosure,
    VoucherCounter,
    WriteOffMemo,
    WriteOffRecovery,
)
from .schema import bind_processors, bulk_insert, money_sum, utcnow
from .templates import reversal

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Posted:
    entry_id: int
    voucher: str
    replayed: bool  # True when the idempotency key had been used already: nothing new was posted


# -- books -----------------------------------------------------------------

def open_book_in(session: Session, region_code: str, fund: str, name: str, chart: Chart,
                 fiscal_special_allowed: bool = True) -> Book:
    """Open a region's book for a fund with its chart; an existing one is returned unchanged."""
    book = find_book(session, region_code, fund)
    if book is not None:  # a chart that gained a role (RULES §7, turn 3) adds its account to the book
        have = set(session.scalars(select(LedgerAccount.role).where(LedgerAccount.book_id == book.id)))
        for spec in chart.accounts:
            if spec.role not in have:
                session.add(LedgerAccount(book_id=book.id, role=spec.role, code=spec.code, name=spec.name))
        session.flush()
        return book
    book = Book(region_code=region_code, fund=fund, name=name, fiscal_special_allowed=fiscal_special_allowed)
    session.add(book)
    session.flush()
    for spec in chart.accounts:
        session.add(LedgerAccount(book_id=book.id, role=spec.role, code=spec.code, name=spec.name))
    session.flush()
    return book


def find_book(session: Session, region_code: str, fund: str) -> Book | None:
    return session.scalar(select(Book).where(Book.region_code == region_code, Book.fund == fund))


def get_book(session: Session, region_code: str, fund: str) -> Book:
    book = find_book(session, region_code, fund)
    if book is None:
        raise LedgerError("book_not_found", f"统筹地区 {region_code} 没有 {fund} 基金账套", "region")
    return book


def _lock_book(session: Session, book_id: int) -> Book:
    book = session.scalar(select(Book).where(Book.id == book_id).with_for_update())
    if book is None:
        raise LedgerError("book_not_found", f"账套 {book_id} 不存在", "book")
    return book


def _accounts(session: Session, book_id: int) -> dict[Role, LedgerAccount]:
    return {a.role: a for a in session.scalars(select(LedgerAccount).where(LedgerAccount.book_id == book_id))}


# -- periods -----------------------------------------------------------------

def closed_through(session: Session, book_id: int) -> str | None:
    """The last period closed and not reopened (every period up to it is closed)."""
    return session.scalar(select(func.max(PeriodClosure.period)).where(
        PeriodClosure.book_id == book_id, PeriodClosure.reopened_at.is_(None)))


def close_period(sessions: sessionmaker[Session], book_id: int, period: str, user: str) -> PeriodClosure:
    with sessions.begin() as session:
        return close_period_in(session, book_id, period, user)


def close_period_in(session: Session, book_id: int, period: str, user: str) -> PeriodClosure:
    check_period(period)
    _lock_book(session, book_id)
    through = closed_through(session, book_id)
    if through is not None and period <= through:
        raise LedgerError("period_already_closed", f"{period} 已结账（已结账至 {through}）", "period")
    closure = PeriodClosure(book_id=book_id, period=period, closed_by=user)
    session.add(closure)
    session.flush()
    return closure


def reopen_period(sessions: sessionmaker[Session], book_id: int, user: str, reason: str) -> PeriodClosure:
    with sessions.begin() as session:
        return reopen_period_in(session, book_id, user, reason)


def reopen_period_in(session: Session, book_id: int, user: str, reason: str) -> PeriodClosure:
    """Reopen the latest closure only; the reopening is recorded with who, when and why."""
    if not reason.strip():
        raise LedgerError("reason_required", "反结账须说明原因", "reason")
    _lock_book(session, book_id)
    latest = session.scalar(select(PeriodClosure).where(
        PeriodClosure.book_id == book_id, PeriodClosure.reopened_at.is_(None)
    ).order_by(PeriodClosure.period.desc()).limit(1))
    if latest is None:
        raise LedgerError("nothing_to_reopen", "没有可以反结账的期间", "period")
    latest.reopened_by, latest.reopened_at, latest.reopen_reason = user, utcnow(), reason
    return latest


PERIOD_YEARS = (2000, 2100)


def check_period(period: str) -> None:
    """A period is ``YYYY-MM`` in ASCII digits, a real month, within the years the books keep."""
    ok = (isinstance(period, str) and len(period) == 7 and period[4] == "-"
          and period[:4].isascii() and period[:4].isdigit() and period[5:].isascii() and period[5:].isdigit()
          and PERIOD_YEARS[0] <= int(period[:4]) <= PERIOD_YEARS[1] and 1 <= int(period[5:]) <= 12)
    if not ok:
        raise LedgerError("bad_period", f"会计期间“{period}”须为 YYYY-MM（{PERIOD_YEARS[0]}—{PERIOD_YEARS[1]} 年）", "period")


# -- balances ----------------------------------------------------------------

def party_balance(session: Session, book_id: int, role: Role, party: str) -> Decimal:
    """Debit balance of an institution's sub-ledger on one account."""
    return cast(Decimal, session.scalar(  # an aggregate's one row; money_sum is never NULL
        select(money_sum(JournalLine.debit - JournalLine.credit))
        .join(LedgerAccount, LedgerAccount.id == JournalLine.account_id)
        .where(LedgerAccount.book_id == book_id, LedgerAccount.role == role, JournalLine.party == party)
    ))


# -- posting -----------------------------------------------------------------

def post(sessions: sessionmaker[Session], book_id: int, draft: EntryDraft, key: str, user: str) -> Posted:
    with sessions.begin() as session:
        return post_in(session, book_id, draft, key, user)


def post_in(session: Session, book_id: int, draft: EntryDraft, key: str, user: str,
            reverses: JournalEntry | None = None) -> Posted:
    """Post ``draft`` once per ``key``: the same key again returns the first entry,
    the same key with different content is refused."""
    if not key.strip():
        raise LedgerError("key_required", "记账须提供幂等键", "idempotency_key")
    found = problems(draft)
    if found:
        raise LedgerError("invalid_entry", "；".join(found), "lines")
    digest = content_hash(draft, reverses.id if reverses else None)
    replay = _replay(session, book_id, key, digest)
    if replay:
        return replay

    book = _lock_book(session, book_id)
    replay = _replay(session, book_id, key, digest)  # posted while we waited for the lock
    if replay:
        return replay
    accounts = _accounts(session, book_id)
    _check_fiscal_account(book, draft)
    through = closed_through(session, book_id)
    if through is not None and draft.period <= through:
        raise LedgerError("period_closed", f"{draft.period} 已结账（已结账至 {through}），不能记账", "entry_date")
    _check_non_negative(session, book_id, draft.lines)

    try:
        with session.begin_nested():
            entry = _insert(session, book_id, draft, key, digest, user, accounts, reverses)
    except IntegrityError:
        # a concurrent posting under the same key committed between our check and insert
        replay = _replay(session, book_id, key, digest)
        if replay:
            return replay
        raise
    return Posted(entry.id, entry.voucher, False)


def _replay(session: Session, book_id: int, key: str, digest: str) -> Posted | None:
    existing = session.scalar(select(JournalEntry).where(
        JournalEntry.book_id == book_id, JournalEntry.idempotency_key == key))
    if existing is None:
        return None
    if existing.content_hash != digest:
        raise LedgerError("idempotency_conflict",
                          f"幂等键“{key}”已用于另一张内容不同的凭证 {existing.voucher}", "idempotency_key")
    return Posted(existing.id, existing.voucher, True)


def _check_fiscal_account(book: Book, draft: EntryDraft) -> None:
    if not book.fiscal_special_allowed and any(l.role == Role.FISCAL_SPECIAL_DEPOSIT for l in draft.lines):
        raise LedgerError("fiscal_account_not_allowed", f"{book.name}未设财政专户存款，请使用支出户存款", "lines")


def _check_non_negative(session: Session, book_id: int, lines: tuple[LineDraft, ...]) -> None:
    """21§(一): an institution's 暂付款 balance never goes below zero (a recovery or
    write-off larger than what it holds is refused)."""
    movement: dict[tuple[Role, str], Decimal] = {}
    for line in lines:
        if line.role in NON_NEGATIVE_ROLES and line.party:
            k = (line.role, line.party)
            movement[k] = movement.get(k, ZERO) + line.debit - line.credit
    for (role, party), delta in sorted(movement.items()):
        if delta >= 0:
            continue
        balance = party_balance(session, book_id, role, party)
        if balance + delta < 0:
            raise LedgerError("balance_insufficient",
                              f"{party} 的预付金余额为 {balance:,.2f} 元，不足以收回或核销 {-delta:,.2f} 元", "amount")


def _insert(session: Session, book_id: int, draft: EntryDraft, key: str, digest: str, user: str,
            accounts: dict[Role, LedgerAccount], reverses: JournalEntry | None) -> JournalEntry:
    year = draft.entry_date.year
    counter = session.get(VoucherCounter, (book_id, year))
    if counter is None:
        counter = VoucherCounter(book_id=book_id, year=year, last_no=0)
        session.add(counter)
    counter.last_no += 1
    entry = JournalEntry(
        book_id=book_id, voucher_year=year, voucher_no=counter.last_no, entry_date=draft.entry_date,
        period=draft.period, summary=draft.summary, source_ref=draft.source_ref, idempotency_key=key,
        content_hash=digest, reverses_id=reverses.id if reverses else None, posted_by=user,
    )
    session.add(entry)
    session.flush()
    for no, line in enumerate(draft.lines, start=1):
        session.add(JournalLine(entry_id=entry.id, line_no=no, account_id=accounts[line.role].id,
                                party=line.party, debit=line.debit, credit=line.credit))
    if draft.memo is not None:
        m = draft.memo
        session.add(WriteOffMemo(entry_id=entry.id, party=m.party, amount=m.amount,
                                 court_document_ref=m.court_document_ref, approval_ref=m.approval_ref))
    if draft.later_recovery is not None:
        memo = _memo_for_recovery(session, book_id, draft.later_recovery)
        session.add(WriteOffRecovery(entry_id=entry.id, memo_id=memo.id, amount=draft.later_recovery.amount))
    session.flush()
    lines = _stored_lines(draft, {role: account.id for role, account in accounts.items()})
    _append_links(session, book_id, [(entry.id, _link_values(book_id, year, counter.last_no, draft, draft.period, key,
                                                             user, entry.posted_at, entry.reverses_id, lines))])
    return entry


def _stored_lines(draft: EntryDraft, account_ids: dict[Role, int]) -> list[list[Any]]:
    """A draft's lines as the ledger stores and hashes them: ``[line_no, account_id, party, debit fen, credit fen]``."""
    return [[no, account_ids[line.role], line.party, fen(line.debit), fen(line.credit)]
            for no, line in enumerate(draft.lines, start=1)]


def _link_values(book_id: int, year: int, voucher_no: int, draft: EntryDraft, period: str, key: str, user: str,
                 posted_at: dt.datetime, reverses_id: int | None, lines: list[list[Any]]) -> LinkValues:
    """What ``chain.link_values`` hashes of a new entry after the previous link: ``lines`` are
    ``[line_no, account_id, party, debit fen, credit fen]``, the rows just written."""
    memo = draft.memo
    return (book_id, year, voucher_no, draft.entry_date, period, draft.summary, draft.source_ref, key, reverses_id,
            user, posted_at, lines,
            None if memo is None else (memo.party, f"{memo.amount:.2f}", memo.court_document_ref, memo.approval_ref))


def _append_links(session: Session, book_id: int, entries: list[tuple[int, LinkValues]]) -> None:
    """Chain the new entries, each given as its id and its ``_link_values``, after the book's last link
    (under the book's lock: one chain per book)."""
    last = session.execute(select(ChainLink.seq, ChainLink.hash).where(ChainLink.book_id == book_id)
                           .order_by(ChainLink.seq.desc()).limit(1)).first()
    seq, previous = (last.seq, last.hash) if last else (0, GENESIS)
    rows = []
    for entry_id, values in entries:
        seq, previous = seq + 1, link_values(previous, *values)
        rows.append((entry_id, book_id, seq, previous))
    # a mapped class's __table__ is typed FromClause; the ledger's are Tables
    bulk_insert(session.connection(), cast(Table, ChainLink.__table__), ("entry_id", "book_id", "seq", "hash"), rows)


def _memo_for_recovery(session: Session, book_id: int, recovery: LaterRecovery) -> WriteOffMemo:
    """The write-off a later recovery is registered against: of this book and party, and never
    recovering more than was written off."""
    memo = session.scalar(select(WriteOffMemo).join(JournalEntry, JournalEntry.id == WriteOffMemo.entry_id).where(
        WriteOffMemo.entry_id == recovery.write_off_entry_id, JournalEntry.book_id == book_id))
    if memo is None or memo.party != recovery.party:
        raise LedgerError("write_off_not_found", f"{recovery.party} 没有凭证 {recovery.write_off_entry_id} 的核销记录",
                          "write_off")
    before = cast(Decimal, session.scalar(  # an aggregate's one row; money_sum is never NULL
        select(money_sum(WriteOffRecovery.amount)).where(WriteOffRecovery.memo_id == memo.id)))
    if before + recovery.amount > memo.amount:
        raise LedgerError("recovered_beyond_write_off",
                          f"核销金额 {memo.amount:,.2f} 元，已收回 {before:,.2f} 元，不能再收回 {recovery.amount:,.2f} 元",
                          "amount")
    return memo


# -- many entries at once ------------------------------------------------------

KEYS_PER_QUERY = 1000  # keys or parties named in one IN (…): well inside every driver's limit


@collector_paused()
def post_many_in(session: Session, book_id: int, drafts: list[tuple[EntryDraft, str]], user: str) -> list[Posted]:
    """Post many entries of one book with a bounded number of statements (a region's monthly
    settlement): the same checks as ``post_in`` — a key per entry, balanced lines, open period,
    no sub-ledger below zero — made once over the whole set, then one insert per table.

    Entries already posted under their key are replayed, as ``post_in`` does; an entry with a
    write-off memo is posted on its own with ``post_in``.
    """
    if not drafts:
        return []
    digests: dict[str, str] = {}
    for draft, key in drafts:
        if not key.strip():
            raise LedgerError("key_required", "记账须提供幂等键", "idempotency_key")
        if draft.memo is not None or draft.later_recovery is not None:
            raise LedgerError("invalid_entry", "核销及其收回须逐笔记账", "lines")
        found = problems(draft)
        if found:
            raise LedgerError("invalid_entry", f"{key}：" + "；".join(found), "lines")
        if key in digests:
            raise LedgerError("idempotency_conflict", f"幂等键“{key}”在同一批记账中重复", "idempotency_key")
        digests[key] = content_hash(draft)

    book = _lock_book(session, book_id)
    existing: dict[str, JournalEntry] = {}
    keys = list(digests)
    for i in range(0, len(keys), KEYS_PER_QUERY):
        existing.update((e.idempotency_key, e) for e in session.scalars(select(JournalEntry).where(
            JournalEntry.book_id == book_id, JournalEntry.idempotency_key.in_(keys[i:i + KEYS_PER_QUERY]))))
    for key, entry in existing.items():
        if entry.content_hash != digests[key]:
            raise LedgerError("idempotency_conflict",
                              f"幂等键“{key}”已用于另一张内容不同的凭证 {entry.voucher}", "idempotency_key")
    fresh = [(d, k) for d, k in drafts if k not in existing]
    if fresh:
        accounts = _accounts(session, book_id)
        for draft, _ in fresh:
            _check_fiscal_account(book, draft)
        through = closed_through(session, book_id)
        earliest = min(d.period for d, _ in fresh)
        if through is not None and earliest <= through:
            raise LedgerError("period_closed", f"{earliest} 已结账（已结账至 {through}），不能记账", "entry_date")
        _check_non_negative_many(session, book_id, [line for d, _ in fresh for line in d.lines])
        inserted = _insert_many(session, book_id, fresh, digests, user, accounts)
    else:
        inserted = {}
    return [Posted(existing[k].id, existing[k].voucher, True) if k in existing else inserted[k] for _, k in drafts]


def _check_non_negative_many(session: Session, book_id: int, lines: list[LineDraft]) -> None:
    movement: dict[tuple[Role, str], Decimal] = {}
    for line in lines:
        if line.role in NON_NEGATIVE_ROLES and line.party:
            k = (line.role, line.party)
            movement[k] = movement.get(k, ZERO) + line.debit - line.credit
    falling = sorted(k for k, delta in movement.items() if delta < 0)
    for role in {role for role, _ in falling}:
        parties = [p for r, p in falling if r == role]
        balances: dict[str, Decimal] = {}
        for i in range(0, len(parties), KEYS_PER_QUERY):
            balances.update(session.execute(
                select(JournalLine.party, money_sum(JournalLine.debit - JournalLine.credit))
                .join(LedgerAccount, LedgerAccount.id == JournalLine.account_id)
                .where(LedgerAccount.book_id == book_id, LedgerAccount.role == role,
                       JournalLine.party.in_(parties[i:i + KEYS_PER_QUERY]))
                .group_by(JournalLine.party)).all())
        for party in parties:
            balance = balances.get(party, ZERO)
            if balance + movement[(role, party)] < 0:
                raise LedgerError("balance_insufficient",
                                  f"{party} 的预付金余额为 {balance:,.2f} 元，不足以收回 "
                                  f"{-movement[(role, party)]:,.2f} 元", "amount")


def _insert_many(session: Session, book_id: int, drafts: list[tuple[EntryDraft, str]], digests: dict[str, str],
                 user: str, accounts: dict[Role, LedgerAccount]) -> dict[str, Posted]:
    years = [d.entry_date.year for d, _ in drafts]
    numbers: list[int] = []
    counters: dict[int, VoucherCounter] = {}
    for year in sorted(set(years)):
        counter = session.get(VoucherCounter, (book_id, year))
        if counter is None:
            counter = VoucherCounter(book_id=book_id, year=year, last_no=0)
            session.add(counter)
        counters[year] = counter
    first = {year: counter.last_no for year, counter in counters.items()}
    for year in years:  # each year's vouchers numbered on, in the order given
        counters[year].last_no += 1
        numbers.append(counters[year].last_no)
    session.flush()
    connection = session.connection()
    # a mapped class's __table__ is typed FromClause; the ledger's are Tables
    to_db = bind_processors(cast(Table, JournalEntry.__table__), ("entry_date", "posted_at"), connection.dialect)
    stamp = utcnow()
    now = to_db["posted_at"](stamp)
    periods = [d.period for d, _ in drafts]
    # raw rows, as the database stores them (no RETURNING: it would go row by row on SQLite); the voucher
    # numbers just allotted are a contiguous range per year, so one query per year reads the new ids back
    bulk_insert(connection, cast(Table, JournalEntry.__table__),
                ("book_id", "voucher_year", "voucher_no", "entry_date", "period", "summary", "source_ref",
                 "idempotency_key", "content_hash", "posted_by", "posted_at"),
                [(book_id, year, no, to_db["entry_date"](d.entry_date), period, d.summary, d.source_ref, k,
                  digests[k], user, now) for (d, k), year, no, period in zip(drafts, years, numbers, periods)])
    by_number: dict[tuple[int, int], int] = {}
    for year, counter in counters.items():
        by_number.update(((year, no), entry_id) for entry_id, no in session.execute(
            select(JournalEntry.id, JournalEntry.voucher_no).where(
                JournalEntry.book_id == book_id, JournalEntry.voucher_year == year,
                JournalEntry.voucher_no.between(first[year] + 1, counter.last_no))))
    ids = [by_number[(year, no)] for year, no in zip(years, numbers)]
    # each entry's lines as stored (integer fen), written once and hashed into the chain from the same lists
    account_ids = {role: account.id for role, account in accounts.items()}
    lines = [_stored_lines(d, account_ids) for d, _ in drafts]
    bulk_insert(session.connection(), cast(Table, JournalLine.__table__),
                ("entry_id", "line_no", "account_id", "party", "debit", "credit"),
                [(entry_id, *line) for entry_id, of_entry in zip(ids, lines) for line in of_entry])
    _append_links(session, book_id, [
        (entry_id, _link_values(book_id, year, no, d, period, k, user, stamp, None, of_entry))
        for entry_id, (d, k), year, no, period, of_entry in zip(ids, drafts, years, numbers, periods, lines)])
    return {k: Posted(entry_id, f"记-{year}-{no:04d}", False)
            for entry_id, (_, k), year, no in zip(ids, drafts, years, numbers)}


# -- reversal ----------------------------------------------------------------

def reverse(sessions: sessionmaker[Session], entry_id: int, on: dt.date, key: str, user: str, reason: str) -> Posted:
    with sessions.begin() as session:
        return reverse_in(session, entry_id, on, key, user, reason)


def reverse_in(session: Session, entry_id: int, on: dt.date, key: str, user: str, reason: str) -> Posted:
    """Post the mirror image of an entry, dated ``on`` (normally today): an entry of a
    closed period is thus corrected in the open period, never by reopening history."""
    if not reason.strip():
        raise LedgerError("reason_required", "冲销须说明原因", "reason")
    original = session.get(JournalEntry, entry_id)
    if original is None:
        raise LedgerError("entry_not_found", f"凭证 {entry_id} 不存在", "entry")
    if original.reverses_id is not None:
        raise LedgerError("reversal_of_reversal", f"{original.voucher} 本身是冲销凭证，不能再冲销；请重新记账", "entry")
    existing = session.scalar(select(JournalEntry).where(JournalEntry.reverses_id == entry_id))
    if existing is not None and existing.idempotency_key != key:
        raise LedgerError("already_reversed", f"{original.voucher} 已由 {existing.voucher} 冲销", "entry")
    if on < original.entry_date:
        raise LedgerError("reversal_before_original", f"冲销日期不能早于原凭证日期 {original.entry_date}", "entry_date")
    roles = {a.id: a.role for a in session.scalars(select(LedgerAccount).where(LedgerAccount.book_id == original.book_id))}
    as_draft = EntryDraft(original.entry_date, original.summary, original.source_ref, tuple(
        LineDraft(roles[l.account_id], l.debit, l.credit, l.party) for l in original.lines))
    draft = reversal(as_draft, original.voucher, on, f"reversal:{original.id}", reason)
    return post_in(session, original.book_id, draft, key, user, reverses=original)

