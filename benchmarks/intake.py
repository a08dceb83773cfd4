"""Benchmark: importing a month's settlement file against the bare insert of the same rows.

Method: a region of N institutions (inserted directly), a settlement CSV of 2 × N rows for one month
(UTF-8); the project's figure is ``import_file`` from the file on disk (read, validate every row,
resolve codes, stage keys, check duplicates and recorded rows, insert, record the import); the floor is
a bare ``executemany`` of the same rows into ``monthly_payout`` in one transaction, measured in the same
run on the same database. Memory: the peak traced by ``tracemalloc`` while importing a file of a
quarter of the rows and of all of them (streaming: it must not grow with the file).

    .venv/bin/python -m benchmarks.intake [--institutions 100000] [--database sqlite|postgresql]
"""
from __future__ import annotations

import csv
import datetime as dt
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from .harness import Figure, command, on_each_database, timed

GOAL_RATIO = 3.0


def measure(database: str, url: str, n: int) -> list[Figure]:
    from sqlalchemy import text

    from prepay_admin.app import create_console_app
    from prepay_admin.db import bulk_insert
    from prepay_admin.migrate import upgrade
    from prepay_admin.models import Institution
    from prepay_admin.services import identity
    from prepay_admin.services.demo_cycle import ensure_demo_staff
    from prepay_admin.services.imports import import_file
    from prepay_admin.services.regions import create_region

    work = Path(tempfile.mkdtemp())
    upgrade(url)
    app = create_console_app({"DATABASE_URL": url})
    sessions = app.extensions["prepay_sessions"]
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

    def imported(path: Path, **options):
        with path.open("rb") as stream:
            return import_file(sessions, "jiesuan1", "320600", "settlement", path.name, stream, **options)

    took, report = timed(lambda: imported(big))
    assert report.applied and report.added == 2 * n, report.message
    repeat, again = timed(lambda: imported(big))
    assert again.unchanged == 2 * n and not again.applied
    peaks = {}
    for name, path in (("a quarter", small), ("all", big)):
        tracemalloc.start()
        imported(path, dry_run=True)
        peaks[name] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    print(f"  {database} {n:,}: settlement file of {2 * n:,} rows ({big.stat().st_size / 2**20:.1f} MiB); the same "
          f"file again {repeat:.2f} s (no change); peak memory of a dry run: a quarter of the rows "
          f"{peaks['a quarter']:.1f} MiB, all {peaks['all']:.1f} MiB", flush=True)
    app.extensions["prepay_engine"].dispose()
    return [Figure("import (settlement file)", database, f"{2 * n:,} rows", took, "bare executemany, one transaction",
                   floor, GOAL_RATIO)]


def collect(sizes: list[int], only: str | None = None) -> list[Figure]:
    return on_each_database(only, sizes, measure)


def main(argv: list[str] | None = None) -> int:
    return command(__doc__, "institutions", "100000", collect, argv)


if __name__ == "__main__":
    sys.exit(main())
