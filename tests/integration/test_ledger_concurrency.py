"""Concurrent postings: the book's row lock (PostgreSQL) or the write lock taken at BEGIN (SQLite)
makes the checks hold across sessions."""
import datetime as dt
import threading
from decimal import Decimal as D

from sqlalchemy import func, select

from accounting import templates as t
from accounting.chart import Role
from accounting.errors import LedgerError
from accounting.ledger import party_balance, post
from accounting.models import JournalEntry
from accounting.verify import verify
from tests.ledger_helpers import open_book

DAY = dt.date(2026, 2, 1)


def at_once(n, action):
    """Run ``action(i)`` in ``n`` threads released together; return results and errors."""
    barrier = threading.Barrier(n)
    results, errors = [], []

    def run(i):
        barrier.wait()
        try:
            results.append(action(i))
        except Exception as err:  # collected and asserted on by the caller
            errors.append(err)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=60)
    return results, errors


def test_two_over_large_recoveries_at_once_exactly_one_succeeds(sessions):
    book = open_book(sessions)
    post(sessions, book, t.advance_paid("H1", D("100000"), DAY, "pay"), "pay", "财务甲")
    results, errors = at_once(2, lambda i: post(
        sessions, book, t.recovered_by_offset("H1", D("60000"), DAY, f"offset-{i}"), f"offset-{i}", f"财务{i}"))
    assert len(results) == 1
    assert len(errors) == 1 and isinstance(errors[0], LedgerError) and errors[0].code == "balance_insufficient"
    with sessions() as s:
        assert party_balance(s, book, Role.ADVANCE, "H1") == D("40000.00")
        assert verify(s) == []


def test_identical_postings_with_one_key_at_once_make_exactly_one_entry(sessions):
    book = open_book(sessions)
    draft = t.advance_paid("H1", D("1670000"), DAY, "payment:42")
    results, errors = at_once(10, lambda i: post(sessions, book, draft, "payment:42", "财务甲"))
    assert errors == []
    assert len({r.entry_id for r in results}) == 1
    assert sum(1 for r in results if not r.replayed) == 1
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(JournalEntry)) == 1
        assert party_balance(s, book, Role.ADVANCE, "H1") == D("1670000.00")


def test_concurrent_postings_get_gapless_voucher_numbers(sessions):
    book = open_book(sessions)
    results, errors = at_once(8, lambda i: post(
        sessions, book, t.advance_paid(f"H{i}", D("100000"), DAY, f"p{i}"), f"p{i}", "财务甲"))
    assert errors == []
    assert sorted(r.voucher for r in results) == [f"记-2026-{n:04d}" for n in range(1, 9)]
