"""Benchmark: a region's monthly settlement run against the bare insert of the rows it writes.

Method: two regions on one database, of N/4 and N institutions; each holds an advance in the employee
fund (posted by the ledger's bulk path), a fifth of them owe it back (a recovery trigger's receivable),
and each has a month's settlement of that fund. The project's figure is ``settlement.run_month`` (read
the month, the receivables and the held settlements, compute every line, post one voucher per
institution, write the lines, the recoveries and the settled receivables, in one transaction). The
floor is a bare ``executemany`` of the same number of rows into the same tables (vouchers, their lines,
settlement lines, recovery movements), in the same run on the same database, rolled back. Linearity:
the cost per institution of the small region against the large one.

    .venv/bin/python -m benchmarks.settlement [--institutions 20000] [--database sqlite|postgresql]
"""
from __future__ import annotations

import datetime as dt
import sys
import time
from decimal import Decimal

from .harness import Figure, command, on_each_database, timed

GOAL_RATIO = 3.0
GOAL_LINEARITY = 1.5  # cost per institution of the large region at most 1.5 × the small one's
MONTH, SETTLED_ON = dt.date(2026, 3, 1), dt.date(2026, 4, 10)


def _region(sessions, code: str, n: int) -> None:
    """N institutions holding an employee advance, a fifth owing it back, a month's settlement for each."""
    from sqlalchemy import text

    from accounting import templates
    from accounting.ledger import get_book, post_many_in
    from prepay_admin.db import bulk_insert
    from prepay_admin.models import Institution, MonthlyPayout, Receivable
    from prepay_admin.services.regions import create_region

    create_region(sessions, code, f"基准地区{code}", "nantong-2025", 2026, "bench")
    with sessions.begin() as session:
        region_id = session.execute(text("SELECT id FROM region WHERE code = :c"), {"c": code}).scalar_one()
        prefix = code[:4]
        bulk_insert(session.connection(), Institution.__table__,
                    ("region_id", "code", "name", "kind", "level", "state_run", "settled_since", "bank_name",
                     "bank_account"),
                    [(region_id, f"H{prefix}{i:07d}", f"医院{i}", "hospital", 2, True, dt.date(2010, 1, 1), "银行",
                      f"62166{i:011d}") for i in range(1, n + 1)])
        ids = dict(session.execute(text("SELECT code, id FROM institution WHERE region_id = :r"),
                                   {"r": region_id}).all())
        book = get_book(session, code, "employee").id
        drafts = [(templates.advance_paid(c, Decimal("300000.00"), dt.date(2026, 1, 23), f"bench:{c}"), f"bench:{c}")
                  for c in ids]
        post_many_in(session, book, drafts, "bench")
        bulk_insert(session.connection(), MonthlyPayout.__table__,
                    ("institution_id", "month", "fund", "amount", "out_of_region"),
                    [(i, MONTH, "employee", 20_000_000 + i, 0) for i in ids.values()])
        owing = [i for n_, i in enumerate(sorted(ids.values())) if n_ % 5 == 0]
        session.execute(Receivable.__table__.insert(), [
            dict(region_id=region_id, institution_id=i, fund="employee", route="trigger", method="offset",
                 origin=f"bench:{i}", amount=Decimal("300000.00"), since=dt.date(2026, 2, 1), state="open",
                 reason="基准测试", created_by="bench", created_at=dt.datetime(2026, 2, 1, tzinfo=dt.timezone.utc))
            for i in owing])


def _floor(sessions, n: int, owing: int) -> float:
    """The bare insert of as many rows as the run writes, into the same tables, rolled back."""
    now = dt.datetime(2026, 4, 10, tzinfo=dt.timezone.utc).isoformat()
    with sessions() as session:
        conn = session.connection()
        book = conn.exec_driver_sql("SELECT id FROM ledger_book LIMIT 1").scalar()
        account = conn.exec_driver_sql("SELECT id FROM ledger_account LIMIT 1").scalar()
        inst = conn.exec_driver_sql("SELECT MIN(id) FROM institution").scalar()
        receivable = conn.exec_driver_sql("SELECT id FROM receivable LIMIT 1").scalar()
        marks = "?" if conn.dialect.name == "sqlite" else "%s"
        conn.exec_driver_sql(
            "INSERT INTO settlement_run (region_id, month, fund, settled_on, institutions, payable, withheld, held, "
            "released, net, run_by, run_at) SELECT MIN(id), '2099-01-01', 'employee', '2099-02-10', 0, 0, 0, 0, 0, 0, "
            f"'floor', '{now}' FROM region")
        run_id = conn.exec_driver_sql("SELECT MAX(id) FROM settlement_run").scalar()
        started = time.perf_counter()

        def many(sql: str, rows: list) -> None:
            conn.exec_driver_sql(sql.replace("?", marks), rows)

        many("INSERT INTO ledger_entry (id, book_id, voucher_year, voucher_no, entry_date, period, summary, source_ref, "
             "idempotency_key, content_hash, posted_by, posted_at) VALUES (?, ?, 2099, ?, ?, '2026-04', 's', 'r', ?, "
             "'h', 'b', ?)",
             [(9_000_000 + k, book, k, SETTLED_ON, f"floor:{k}", now) for k in range(n)])
        lines = [(9_000_000 + k, line, account, 1, 0) for k in range(n) for line in range(1, 3 + (k % 5 == 0))]
        many("INSERT INTO ledger_line (entry_id, line_no, account_id, debit, credit) VALUES (?, ?, ?, ?, ?)",
             [(e, no, a, 100, 0) for e, no, a, _, _ in lines])
        many("INSERT INTO settlement_line (run_id, institution_id, institution_code, institution_name, payable, withheld, "
             "held, released, net, still_owed, note, bank_name, bank_account, ledger_entry_id) VALUES "
             "(?, ?, 'c', 'n', 1, 0, 0, 0, 1, 0, '', 'b', 'a', ?)",
             [(run_id, inst + k, 9_000_000 + k) for k in range(n)])
        many("INSERT INTO recovery_movement (receivable_id, kind, amount, \"on\", ref, ledger_entry_id, recorded_by, "
             "recorded_at) VALUES (?, 'offset', 1, ?, 'r', ?, 'b', ?)",
             [(receivable, SETTLED_ON, 9_000_000 + k, now) for k in range(owing)])
        elapsed = time.perf_counter() - started
        session.rollback()
    return elapsed


def measure(database: str, url: str, n: int) -> list[Figure]:
    """Two regions, of N/4 and N institutions, on one fresh database; each one's run against its floor."""
    from prepay_admin.app import create_console_app
    from prepay_admin.migrate import upgrade
    from prepay_admin.policy.facts import Fund
    from prepay_admin.services import identity, settlement
    from prepay_admin.services.demo_cycle import ensure_demo_staff

    upgrade(url)
    app = create_console_app({"DATABASE_URL": url})
    sessions = app.extensions["prepay_sessions"]
    ensure_demo_staff(sessions)
    sizes = {"320600": n // 4, "320700": n}
    for code, size in sizes.items():
        _region(sessions, code, size)
        identity.grant_region(sessions, "caiwu1", code, "bench")
    found, per_institution = [], {}
    for code, size in sizes.items():
        took, done = timed(lambda: settlement.run_month(sessions, code, MONTH, Fund.EMPLOYEE, "caiwu1", SETTLED_ON))
        floor = _floor(sessions, size, size // 5 + 1)
        per_institution[code] = (took / size, size)
        replayed, replay = timed(lambda: settlement.run_month(sessions, code, MONTH, Fund.EMPLOYEE, "caiwu1",
                                                              SETTLED_ON))
        assert replay.replayed and replay.run_id == done.run_id
        print(f"  {database} {size:,}: withheld {done.withheld:,.2f}; the run again {replayed:.2f} s (posts nothing)",
              flush=True)
        found.append(Figure("settlement run (a month)", database, f"{size:,} institutions", took,
                            "bare insert of its rows", floor, GOAL_RATIO))
    (small, small_n), (large, large_n) = per_institution["320600"], per_institution["320700"]
    found.append(Figure("settlement run per institution", database, f"{large_n:,} institutions", large,
                        f"per institution at {small_n:,}", small, GOAL_LINEARITY))
    app.extensions["prepay_engine"].dispose()
    return found


def collect(sizes: list[int], only: str | None = None) -> list[Figure]:
    return on_each_database(only, sizes, measure)


def main(argv: list[str] | None = None) -> int:
    return command(__doc__, "institutions", "20000", collect, argv)


if __name__ == "__main__":
    sys.exit(main())
