"""Benchmark: importing a month's settlement file against the bare insert of the same rows.

Method: a region of N institutions (inserted directly), a settlement CSV of 2 × N rows for one month
(UTF-8); the project's figure is ``import_file`` from the file on disk (read, validate every row,
resolve codes, stage keys, check duplicates and recorded rows, insert, record the import); the floor is
a bare ``executemany`` of the same rows into ``monthly_payout`` in one transaction, measured in the same
run on the same database. Memory: the peak traced by ``tracemalloc`` while importing a file of a
quarter of the rows and of all of them (streaming: it must not grow with the file).

    .venv/bin/python -m benchmarks.intake [--institutions 100000] [--database-url URL]
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

GOAL_RATIO = 3.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--institutions", type=int, default=100_000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--months", type=int, default=0, help="then import this many more monthly files, timed together")
    args = parser.parse_args(argv)

    from sqlalchemy import text

    from prepay_admin.app import create_app
    from prepay_admin.migrate import upgrade
    from prepay_admin.models import Institution
    from prepay_admin.services import identity
    from prepay_admin.services.imports import import_file
    from prepay_admin.services.regions import create_region
    from prepay_admin.db import bulk_insert
    from prepay_admin.services.demo_cycle import ensure_demo_staff

    work = Path(tempfile.mkdtemp())
    url = args.database_url or f"sqlite:///{work / 'bench.sqlite3'}"
    upgrade(url)
    app = create_app({"DATABASE_URL": url})
    sessions = app.extensions["prepay_sessions"]
    n = args.institutions
    create_region(sessions, "320600", "南通市", "nantong-2025", 2026, "bench")
    ensure_demo_staff(sessions)
    identity.grant_region(sessions, "jiesuan1", "320600", "bench")
    with sessions.begin() as session:
        region_id = session.execute(text("SELECT id FROM region WHERE code = '320600'")).scalar_one()
        bulk_insert(session.connection(), Institution.__table__,
                    ("region_id", "code", "name", "kind", "level", "state_run", "settled_since", "bank_name",
                     "bank_account"),
                    [(region_id, f"H3206{i:07d}", f"医院{i}", "hospital", 2, True, dt.date(2010, 1, 1), "银行",
                      f"62166{i:011d}") for i in range(1, n + 1)])
        ids = dict(session.execute(text("SELECT code, id FROM institution WHERE region_id = :r"), {"r": region_id}).all())

    def write(path: Path, month: str, count: int) -> None:
        with path.open("w", encoding="utf-8", newline="") as f:
            w = csv.writer(f)
            w.writerow(["机构编码", "结算年月", "险种", "基金支付金额", "其中异地就医金额"])
            for i in range(1, count + 1):
                w.writerow([f"H3206{i:07d}", month, "职工", f"{100000 + i}.25", "1000.00"])
                w.writerow([f"H3206{i:07d}", month, "居民", f"{50000 + i}.50", "0"])

    big, small = work / "settlement.csv", work / "quarter.csv"
    write(big, "2026-01", n)
    write(small, "2026-02", n // 4)
    print(f"{n:,} institutions, settlement file of {2 * n:,} rows ({big.stat().st_size / 2**20:.1f} MiB)", flush=True)

    # the floor: the same rows, bare executemany, one transaction (then removed)
    rows = [(ids[f"H3206{i:07d}"], dt.date(2026, 3, 1), fund, fen, oor) for i in range(1, n + 1)
            for fund, fen, oor in (("employee", (100000 + i) * 100 + 25, 100000), ("resident", (50000 + i) * 100 + 50, 0))]
    started = time.perf_counter()
    with sessions.begin() as session:
        session.connection().exec_driver_sql(
            "INSERT INTO monthly_payout (institution_id, month, fund, amount, out_of_region) VALUES "
            + ("(%s, %s, %s, %s, %s)" if session.bind.dialect.name == "postgresql" else "(?, ?, ?, ?, ?)"), rows)
    floor = time.perf_counter() - started
    with sessions.begin() as session:
        session.execute(text("DELETE FROM monthly_payout WHERE month = :m"), {"m": dt.date(2026, 3, 1)})

    started = time.perf_counter()
    with big.open("rb") as stream:
        report = import_file(sessions, "jiesuan1", "320600", "settlement", big.name, stream)
    took = time.perf_counter() - started
    assert report.applied and report.added == 2 * n, report.message
    started = time.perf_counter()
    with big.open("rb") as stream:
        again = import_file(sessions, "jiesuan1", "320600", "settlement", big.name, stream)
    repeat = time.perf_counter() - started
    assert again.unchanged == 2 * n and not again.applied

    peaks = {}
    for name, path in (("a quarter", small), ("all", big)):
        tracemalloc.start()
        with path.open("rb") as stream:
            import_file(sessions, "jiesuan1", "320600", "settlement", path.name, stream, dry_run=True)
        peaks[name] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()

    year_took = 0.0
    for m in range(1, args.months + 1):
        path = work / f"settlement-2025-{m:02d}.csv"
        write(path, f"2025-{m:02d}", n)
        started = time.perf_counter()
        with path.open("rb") as stream:
            assert import_file(sessions, "jiesuan1", "320600", "settlement", path.name, stream).applied
        year_took += time.perf_counter() - started
        path.unlink()

    ratio = took / floor
    print(f"bare executemany, one transaction: {floor:8.2f} s")
    print(f"import (validate and write):       {took:8.2f} s   ratio {ratio:.2f} (goal ≤ {GOAL_RATIO})")
    print(f"the same file again (no change):   {repeat:8.2f} s")
    print(f"peak memory, dry run: a quarter of the rows {peaks['a quarter']:.1f} MiB, all {peaks['all']:.1f} MiB")
    if args.months:
        print(f"{args.months} more monthly files ({2 * n * args.months:,} rows):  {year_took:8.1f} s")
    return 0 if ratio <= GOAL_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
