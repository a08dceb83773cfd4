"""Benchmark: ``ledger verify`` over a book of a million lines against one aggregate pass over them.

Method: one region; each of N institutions gets an advance (2 lines) and sixteen monthly settlements
that withhold part of it (3 lines each), posted through the ledger's bulk path, so the book holds
N × 50 lines in N × 17 chained vouchers. The project's figure is the ledger's whole check
(``accounting.verify``: shape of every entry and line, running sub-ledger balances, reversals, closed
periods, voucher numbers, totals, and the hash chain recomputed entry by entry, by as many processes as
the machine has cores, as the command does by default; the chain is also timed in one process). The floor is one
aggregate pass over the same lines (``SELECT account_id, party, COUNT(*), SUM(debit), SUM(credit)
FROM ledger_line GROUP BY account_id, party``, every row fetched), the best of three.

The nightly check (issue 27) then takes up from the heads that check verified: a further month is
posted for 1% of the institutions, and ``verify(session, heads)`` (the chain after the heads, every set
check over the new entries only) is timed against the whole check: it should cost a small fraction of it.

    .venv/bin/python -m benchmarks.verify [--institutions 20000] [--database sqlite|postgresql]
"""
from __future__ import annotations

import datetime as dt
import os
import sys
from decimal import Decimal

from .harness import Figure, best_of, command, on_each_database, timed

GOAL_RATIO = 5.0
MONTHS = 16


def build(sessions, code: str, n: int) -> int:
    """The region's employee book with N × 50 lines; returns how many lines it holds."""
    from accounting import templates
    from accounting.ledger import get_book, post_many_in
    from prepay_admin.services.regions import create_region

    create_region(sessions, code, f"基准地区{code}", "nantong-2025", 2026, "bench")
    parties = [f"H{code[:4]}{i:07d}" for i in range(1, n + 1)]
    with sessions.begin() as session:
        book = get_book(session, code, "employee").id
    for start in range(0, n, 2_000):
        chunk = parties[start:start + 2_000]
        with sessions.begin() as session:
            drafts = [(templates.advance_paid(p, Decimal("300000.00"), dt.date(2025, 1, 20), f"bench:{p}"),
                       f"bench:{p}") for p in chunk]
            for month in range(MONTHS):
                on = dt.date(2025 + (month + 1) // 12, (month + 1) % 12 + 1, 10)
                drafts += [(templates.monthly_settlement(p, Decimal("1000.00"), on, f"bench:{p}:{month}",
                                                         released=Decimal("19000.00")), f"bench:{p}:{month}")
                           for p in chunk]  # three lines: the offset and held money released
            post_many_in(session, book, drafts, "bench")
    return n * (2 + 3 * MONTHS)


def aggregate_pass(sessions) -> None:
    with sessions() as session:
        session.connection().exec_driver_sql(
            "SELECT account_id, party, COUNT(*), SUM(debit), SUM(credit) FROM ledger_line "
            "GROUP BY account_id, party").all()


def post_month(sessions, code: str, n: int) -> int:
    """One more month of settlements for the first ``n`` institutions; returns the lines posted."""
    from accounting import templates
    from accounting.ledger import get_book, post_many_in

    on = dt.date(2027, 6, 10)
    parties = [f"H{code[:4]}{i:07d}" for i in range(1, n + 1)]
    with sessions.begin() as session:
        book = get_book(session, code, "employee").id
        post_many_in(session, book, [(templates.monthly_settlement(p, Decimal("1000.00"), on, f"bench:{p}:night",
                                                                    released=Decimal("19000.00")), f"bench:{p}:night")
                                     for p in parties], "bench")
    return n * 3


def figures(database: str, url: str, n: int) -> list[Figure]:
    from sqlalchemy import select

    from accounting.chain_verify import chain_check
    from accounting.models import Book
    from accounting.verify import SET_CHECKS, verify
    from prepay_admin.app import create_console_app
    from prepay_admin.migrate import upgrade

    upgrade(url)
    sessions = create_console_app({"DATABASE_URL": url}).extensions["prepay_sessions"]
    built, lines = timed(lambda: build(sessions, "320600", n))
    print(f"  {database}: {lines:,} lines posted in {built:.1f} s", flush=True)

    jobs = os.cpu_count() or 1  # as ``ledger verify`` runs by default

    def check() -> None:
        with sessions() as session:
            breaches = verify(session, jobs=jobs)
        assert breaches == [], breaches[:3]

    def part(run) -> float:
        with sessions() as session:
            books = dict(session.execute(select(Book.id, Book.name)).all())
            return timed(lambda: list(run(session, books)))[0]

    def chain(session, books, processes):
        with chain_check(session, books, None, processes) as check:
            return check.breaches()

    project, _ = timed(check)
    set_based = part(lambda session, books: [b for c in SET_CHECKS for b in c(session, books)])
    alone = part(lambda session, books: chain(session, books, 1))
    side_by_side = part(lambda session, books: chain(session, books, jobs))
    floor = best_of(3, lambda: aggregate_pass(sessions))
    from accounting.verify import chain_heads

    with sessions() as session:
        heads = chain_heads(session)
    added = post_month(sessions, "320600", max(n // 100, 1))

    def nightly() -> None:
        with sessions() as session:
            breaches = verify(session, heads, jobs=jobs)
        assert breaches == [], breaches[:3]

    night, _ = timed(nightly)
    size = f"{lines:,} lines"
    return [Figure("ledger verify", database, size, project, "one aggregate pass", floor, GOAL_RATIO),
            Figure("  of which the SQL invariants", database, size, set_based, "one aggregate pass", floor, None),
            Figure("  of which the hash chain, one process", database, size, alone, "one aggregate pass", floor, None),
            Figure(f"  of which the hash chain, {jobs} processes", database, size, side_by_side, "one aggregate pass",
                   floor, None),
            Figure("nightly verify after the heads", database, f"{added:,} new lines", night, "ledger verify (whole)",
                   project, None)]


def main(argv: list[str] | None = None) -> int:
    return command(__doc__, "institutions", "20000", collect, argv)


def collect(institutions: list[int], only: str | None = None) -> list[Figure]:
    return on_each_database(only, institutions, figures)


if __name__ == "__main__":
    sys.exit(main())
