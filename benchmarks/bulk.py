"""Benchmark: the bulk steps of the signing window and of the bank's batch transfer (issue 30, item 6)
against the bare write of the rows they write.

Method: for each size, a fresh database with a demo region of N institutions (loaded, not played), the
year opened, every medical institution's application taken, determined and the list fixed (set-up,
not measured). The project's figures: ``signing.register_and_sign`` over every listed institution at
once (a security each under one letter, and the agreement), then — the batch prepared, signed at every
level and issued — ``payment_return.confirm_selected`` over every instruction of the batch. Each is one
step: one transaction, a transition per institution. The floor, measured in the same run on the same
database: the bare ``executemany`` of exactly the rows the step inserted (read back from its tables)
into unconstrained copies of those tables, in one transaction. Linearity: the cost per institution at
each size against the smallest.

    .venv/bin/python -m benchmarks.bulk [--sizes 2000,10000] [--database sqlite|postgresql]
"""
from __future__ import annotations

import datetime as dt
import sys
from decimal import Decimal

from .harness import Figure, command, high_water, insert_floor, on_each_database, timed, written_rows

# within 5× the bare insert of the same rows in one transaction, on PostgreSQL (production). SQLite's floor
# is an in-process executemany at ~2.5 µs a row, below what reading and checking each selected row costs:
# reported there (0.6 s for 2,562 institutions secured and signed; 17–22× its floor), without a goal
GOAL_RATIO = 5.0
GOAL_LINEARITY = 1.25


def measure(database: str, url: str, n: int) -> list[dict]:
    from sqlalchemy import select

    from prepay_admin.app import create_console_app
    from prepay_admin.migrate import upgrade
    from prepay_admin.models import Institution, PaymentInstruction
    from prepay_admin.policy.facts import Kind, SecurityKind
    from prepay_admin.queries.cycle import sendable_instruction_ids, window_codes
    from prepay_admin.services import applications, batch, determination, payment, payment_return, signing
    from prepay_admin.services.campaign import open_campaign
    from prepay_admin.services.demo import load_demo
    from prepay_admin.services.demo_cycle import SIGNERS, ensure_demo_staff

    upgrade(url)
    app = create_console_app({"DATABASE_URL": url})
    sessions, engine = app.extensions["prepay_sessions"], app.extensions["prepay_engine"]
    load_demo(sessions, institutions=n, seed=2026, year=2026, play=False, years=1)
    ensure_demo_staff(sessions)
    open_campaign(sessions, "320600", 2026, "caiwu1")
    with sessions() as session:
        codes = session.scalars(select(Institution.code).where(Institution.kind != Kind.PHARMACY)
                                .order_by(Institution.code)).all()
    for code in codes:
        applications.apply(sessions, "320600", 2026, code, applications.clean_answers(), dt.date(2025, 12, 28),
                           "jiesuan1")
    determination.determine(sessions, "320600", 2026, "jiesuan1")
    determination.fix_list(sessions, "320600", 2026, "jiesuan1", dt.date(2026, 1, 5))
    listed = window_codes(sessions, "320600", 2026, ("listed",))
    with sessions() as session:  # a credit guarantee letter covers the state-run ones (10§(二))
        state_run = set(session.scalars(select(Institution.code).where(Institution.state_run)))
    listed = [code for code in listed if code in state_run]
    print(f"  {database} {n:,}: {len(listed):,} listed (set-up done)", flush=True)
    if database == "postgresql":
        with engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")

    before = high_water(sessions)
    took, done = timed(lambda: signing.register_and_sign(
        sessions, "320600", 2026, listed, dt.date(2026, 1, 8), "jiesuan2",
        security=(SecurityKind.CREDIT_GUARANTEE, "通卫担〔2026〕1号"), covered=Decimal("999999999999.99")))
    rows = written_rows(sessions, before)
    floor = insert_floor(sessions, rows, 1)
    signed = dict(n=len(done.signed), took=took, rows=sum(len(r) for r in rows.values()), floor=floor)

    batch_id = batch.prepare(sessions, "320600", 2026, "jiesuan1")
    seen = batch.current_hash(sessions, batch_id)
    for level in batch.chain_for(sessions, batch_id).levels:
        batch.sign_off(sessions, batch_id, SIGNERS[level.department][0], "同意", seen)
    payment.issue(sessions, batch_id, "caiwu1", dt.date(2026, 1, 23))
    with sessions() as session:  # one batch transfer per fund: the employee fund's, the larger
        rows = session.execute(select(PaymentInstruction.id, PaymentInstruction.amount).where(
            PaymentInstruction.id.in_(sendable_instruction_ids(sessions, batch_id)),
            PaymentInstruction.fund == "employee")).all()
    ids = [i for i, _ in rows]
    if database == "postgresql":
        with engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")
    before = high_water(sessions)
    took, confirmed = timed(lambda: payment_return.confirm_selected(
        sessions, batch_id, ids, "DF20260126", dt.date(2026, 1, 26), "caiwu1", paid_count=len(ids),
        paid_total=sum((a for _, a in rows), Decimal("0.00"))))
    rows = written_rows(sessions, before)
    floor = insert_floor(sessions, rows, 1)
    with sessions() as session:
        assert session.scalar(select(PaymentInstruction.id).where(PaymentInstruction.state == "pending",
                                                                  PaymentInstruction.fund == "employee")) is None
    paid = dict(n=confirmed.confirmed, took=took, rows=sum(len(r) for r in rows.values()), floor=floor)
    print(f"  {database} {n:,}: {signed['n']:,} secured and signed in {signed['took']:.2f} s ({signed['rows']:,} rows, "
          f"bare {signed['floor']:.2f} s); {paid['n']:,} instructions confirmed in {paid['took']:.2f} s "
          f"({paid['rows']:,} rows, bare {paid['floor']:.2f} s)", flush=True)
    engine.dispose()
    return [dict(size=n, signed=signed, paid=paid)]


def figures(database: str, runs: list[dict]) -> list[Figure]:
    found = []
    smallest = runs[0]
    for run in runs:
        for key, what in (("signed", "bulk: secure and sign the selection"),
                          ("paid", "bulk: confirm the selected instructions")):
            step = run[key]
            size = f"{step['n']:,} selected"
            found.append(Figure(what, database, size, step["took"], "same rows, one transaction", step["floor"],
                                GOAL_RATIO if database == "postgresql" else None))
            if run is not smallest:
                first = smallest[key]
                found.append(Figure(f"{what} per row", database, size, step["took"] / step["n"],
                                    f"per row at {first['n']:,}", first["took"] / first["n"], GOAL_LINEARITY))
    return found


def collect(sizes: list[int], only: str | None = None) -> list[Figure]:
    runs: dict[str, list[dict]] = {}
    for database, run in on_each_database(only, sizes, lambda database, url, n: [(database, r) for r in
                                                                                  measure(database, url, n)]):
        runs.setdefault(database, []).append(run)
    return [f for database, measured in runs.items() for f in figures(database, measured)]


def main(argv: list[str] | None = None) -> int:
    return command(__doc__, "sizes", "2000,10000", collect, argv)


if __name__ == "__main__":
    sys.exit(main())
