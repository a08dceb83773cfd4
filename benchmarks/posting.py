"""Benchmark: posting to the ledger, in bulk and one entry at a time, against the bare insert of the rows.

Method: a region's employee book; the project's figures are ``post_many_in`` of N advance vouchers in
one transaction (every invariant checked, idempotency keys, voucher numbers, hash chain, as a payment
batch posts them) and ``post`` of N/20 vouchers one by one (one transaction each, as a confirmation
does). The floors are the bare ``executemany`` of exactly the rows each wrote (read back), into
unconstrained copies of the tables, in one transaction and with as many commits, in the same run.

    .venv/bin/python -m benchmarks.posting [--entries 20000] [--database sqlite|postgresql]
"""
from __future__ import annotations

import datetime as dt
import sys
from decimal import Decimal

from .harness import Commits, Figure, command, high_water, insert_floor, on_each_database, timed, written_rows

GOAL_BULK = 5.0  # post_many within 5× the raw insert per entry


def figures(database: str, url: str, n: int) -> list[Figure]:
    from accounting import templates
    from accounting.ledger import get_book, post, post_many_in
    from prepay_admin.app import create_console_app
    from prepay_admin.migrate import upgrade
    from prepay_admin.services.regions import create_region

    upgrade(url)
    app = create_console_app({"DATABASE_URL": url})
    sessions, engine = app.extensions["prepay_sessions"], app.extensions["prepay_engine"]
    create_region(sessions, "320600", "基准地区", "nantong-2025", 2026, "bench")
    with sessions() as session:
        book = get_book(session, "320600", "employee").id
    on = dt.date(2026, 1, 23)
    drafts = [(templates.advance_paid(f"H3206{i:07d}", Decimal("300000.00"), on, f"bulk:{i}"), f"bulk:{i}")
              for i in range(n)]

    def bulk() -> None:
        with sessions.begin() as session:
            post_many_in(session, book, drafts, "bench")

    before = high_water(sessions)
    took, _ = timed(bulk)
    floor = insert_floor(sessions, written_rows(sessions, before), 1)
    one_by_one = max(n // 20, 1)
    before = high_water(sessions)
    commits = Commits(engine)
    single, _ = timed(lambda: [post(sessions, book, templates.advance_paid(
        f"H3207{i:07d}", Decimal("300000.00"), on, f"one:{i}"), f"one:{i}", "bench") for i in range(one_by_one)])
    commits.close()
    single_floor = insert_floor(sessions, written_rows(sessions, before), commits.count)
    engine.dispose()
    return [Figure("ledger post_many", database, f"{n:,} entries", took, "same rows, one transaction", floor,
                   GOAL_BULK),
            Figure("ledger post (one by one)", database, f"{one_by_one:,} entries", single,
                   "same rows, same commits", single_floor, None)]


def collect(entries: list[int], only: str | None = None) -> list[Figure]:
    return on_each_database(only, entries, figures)


def main(argv: list[str] | None = None) -> int:
    return command(__doc__, "entries", "20000", collect, argv)


if __name__ == "__main__":
    sys.exit(main())
