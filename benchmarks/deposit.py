"""Benchmark: patients' deposits (DEPOSIT.md, issue 31) at a prefecture's scale.

Method: a region of 300 hospitals (inserted directly) and a file of N inpatient settlements (one per
admission, 200 DRG groups at every hospital, both classes, 3% 异地; UTF-8 CSV on disk), all discharged in
the year before the reference year.

- import: ``import_file`` of the file (read, validate every row and its fen identities, pseudonymise the ids
  with HMAC, resolve codes, stage keys, check duplicates, refunds and recorded rows, insert, record), against
  a bare ``executemany``/COPY of the same rows as stored, one transaction, same database (goal ≤ 3×);
  memory: the peak traced by ``tracemalloc`` during a dry run of a quarter of the file and of all of it
  (streaming: it must not grow with the file);
- reference run: ``compute_reference`` (one ordered pass netting each visit, every cell's mean, median,
  P75, last year's mean, the inputs' SHA-256), against the bare SQL of the same aggregate (each visit
  netted, then GROUP BY hospital, group, class with the sums) executed and fetched (goal ≤ 2×);
- the monthly check: ``check_tables`` with a published line for every insured cell (reported, seconds);
- screens: the dashboard, a hospital's page, the reference browser and the API overview, p95 of 20
  requests after 3 (goal 300 ms; they read precomputed cells and findings, never the settlements).

- at scale: ``--admissions`` (4,500,000 by default, a prefecture's 3-year window, ~37 admissions per cell)
  settlements of 2023—2025 written as stored (timed: the backfill's floor), then the reference run against the
  bare GROUP BY again (goal ≤ 2×), the check, and the screens over every settlement held (goal 300 ms).
- a province: ``--neighbours K`` writes K other regions' windows of the same size into the same table, then
  measures the region's run and screens again (a region reads only its own rows: they should not move).

    .venv/bin/python -m benchmarks.deposit [--rows 250000] [--database sqlite|postgresql] [--only import]
        [--admissions 4500000] [--neighbours K]

``--only import`` measures the import and its memory alone (while iterating on the intake); ``--only
backfill`` the import alone (``--rows 9000000``: a 3-year backfill); by default every figure is measured.
"""
from __future__ import annotations

import csv
import datetime as dt
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from .harness import Figure, command, on_each_database, p95, timed

HOSPITALS = 300
PARTS = ("import", "backfill")  # what ``--only`` may name (backfill: the import without the dry runs' memory)
ONLY: str | None = None  # set by ``--only``: measure that part alone
ADMISSIONS = 4_500_000  # ``--admissions``: the 3-year window the reference run is measured over (0: not at scale)
NEIGHBOURS = 0  # ``--neighbours``: other regions' windows of ADMISSIONS written beside (a province's table)
GROUPS = 200  # each hospital's groups: 300 × 200 × 2 classes, up to 120,000 cells (a prefecture: 30,000—250,000)


def measure(database: str, url: str, n: int) -> list[Figure]:
    from sqlalchemy import func, select, text

    from prepay_admin.app import create_app
    from prepay_admin.db import bind_processors, bulk_insert
    from prepay_admin.migrate import upgrade
    from prepay_admin.models import Discharge, Institution, Region
    from prepay_admin.services import identity
    from prepay_admin.services.demo_cycle import ensure_demo_staff
    from prepay_admin.services.deposit import _visits, check_tables, compute_reference
    from prepay_admin.services.imports import discharge_row, import_file
    from prepay_admin.services.regions import create_region
    from tests.screens import sign_in

    work = Path(tempfile.mkdtemp())
    upgrade(url)
    app = create_app({"DATABASE_URL": url, "TESTING": True})
    sessions = app.extensions["prepay_sessions"]
    create_region(sessions, "320600", "南通市", "nantong-2025", 2026, "bench")
    ensure_demo_staff(sessions)
    for user in ("jiesuan1", "shenji1"):
        identity.grant_region(sessions, user, "320600", "bench")
    with sessions.begin() as session:
        region_id = session.execute(text("SELECT id FROM region WHERE code = '320600'")).scalar_one()
        bulk_insert(session.connection(), Institution.__table__,
                    ("region_id", "code", "name", "kind", "level", "state_run", "settled_since", "bank_name",
                     "bank_account"),
                    [(region_id, f"H3206{i:07d}", f"医院{i}", "hospital", 1 + i % 3, True, dt.date(2010, 1, 1), "银行",
                      f"62166{i:011d}") for i in range(1, HOSPITALS + 1)])

    header = ["结算ID", "就诊ID", "原结算ID", "退费标志", "机构编码", "险种类型", "参保地医保区划", "医疗类别", "入院日期", "出院日期",
              "结算时间", "出院科别", "主要诊断编码", "主要手术编码", "病组编码", "分组版本", "医疗费总额", "基金支付总额",
              "个人负担总金额", "个人自付", "个人自费", "个人账户支出", "个人现金支出", "医院负担金额"]

    def settlement(k: int) -> list[str]:
        total = 3000_00 + (k * 7919) % 40000_00  # fen
        fund = total * 7 // 10
        burden = total - fund
        self_pay = burden // 5
        discharged = dt.date(2025, 1, 1) + dt.timedelta(days=k % 365)
        return [f"S{k}", f"V{k}", "", "否", f"H3206{1 + k % HOSPITALS:07d}", "310" if k % 5 < 2 else "390",
                "110100" if k % 33 == 0 else "320600", "21", str(discharged - dt.timedelta(days=8)), str(discharged),
                f"{discharged} 10:30:00", "内科", "I10", "", f"G{k // HOSPITALS % GROUPS:03d}", "CHS-DRG 2.0", f"{total / 100:.2f}",
                f"{fund / 100:.2f}", f"{burden / 100:.2f}", f"{(burden - self_pay) / 100:.2f}", f"{self_pay / 100:.2f}",
                "0.00", f"{burden / 100:.2f}", "0.00"]

    def write(path: Path, count: int, first: int = 0) -> None:
        with path.open("w", encoding="utf-8", newline="") as f:
            w = csv.writer(f)
            w.writerow(header)
            for k in range(first, first + count):
                w.writerow(settlement(k))

    big, small = work / "discharges.csv", work / "quarter.csv"
    write(big, n)
    write(small, n // 4)

    # the floor: the same rows as stored (pseudonyms and all), bare executemany/COPY, one transaction
    with sessions() as session:
        region = session.scalar(select(Region).where(Region.code == "320600"))
        ids = dict(session.execute(select(Institution.code, Institution.id)).all())
    from prepay_admin.intake.kinds import KINDS
    from prepay_admin.intake.reading import records

    with small.open("rb") as stream:
        sample = next(records(KINDS["discharges"], stream)).record
    columns = [c for c in Discharge.__table__.columns.keys() if c != "id"]
    processors = bind_processors(Discharge.__table__, columns, sessions.kw["bind"].dialect
                                 if "bind" in sessions.kw else app.extensions["prepay_engine"].dialect)
    assert sample
    floor = 0.0
    with sessions.begin() as session, big.open("rb") as stream:  # one transaction; only the writes are timed
        parsed_rows = iter(records(KINDS["discharges"], stream))
        while True:
            rows = []
            for parsed in parsed_rows:  # a million rows at a time: a backfill's 9 million would not fit
                values = dict(parsed.record)
                values["institution_id"] = ids[values.pop("institution_code")]
                stored = discharge_row(region, values)
                rows.append(tuple(processors[c](stored.get(c)) for c in columns))
                if len(rows) == 1_000_000:
                    break
            if not rows:
                break
            started = time.perf_counter()
            bulk_insert(session.connection(), Discharge.__table__, columns, rows)
            floor += time.perf_counter() - started
    with sessions.begin() as session:
        session.execute(text("DELETE FROM discharge"))
    del rows

    def imported(path: Path, **options):
        with path.open("rb") as stream:
            return import_file(sessions, "jiesuan1", "320600", "discharges", path.name, stream, **options)

    took, report = timed(lambda: imported(big))
    assert report.applied and report.added == n, report.message
    peaks = {"a quarter": float("nan"), "all": float("nan")}
    for name, path in (("a quarter", small), ("all", big)) if ONLY != "backfill" else ():
        tracemalloc.start()
        imported(path, dry_run=True)
        peaks[name] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    imported_figure = Figure("deposit import (discharges)", database, f"{n:,} rows", took,
                             "bare executemany/COPY, one tx", floor, 3.0)
    if ONLY in ("import", "backfill"):
        memory = ("memory not measured (--only backfill)" if ONLY == "backfill" else
                  f"peak memory of a dry run: a quarter {peaks['a quarter']:.1f} MiB, all {peaks['all']:.1f} MiB")
        print(f"  {database} {n:,}: file {big.stat().st_size / 2**20:.1f} MiB imported in {took:.1f} s "
              f"(floor {floor:.1f} s); {memory}", flush=True)
        app.extensions["prepay_engine"].dispose()
        return [imported_figure]
    if database == "postgresql":
        with app.extensions["prepay_engine"].connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE discharge")

    # the reference run against the bare aggregate of the same visits
    ran, done = timed(lambda: compute_reference(sessions, "320600", 2026, "jiesuan1"))

    def bare() -> int:
        with sessions() as session:
            v = _visits(region.id, dt.date(2023, 1, 1))
            q = (select(v.c.institution_id, v.c.group_code, v.c.insurance_class, func.count(), func.sum(v.c.total),
                        func.sum(v.c.fund_paid), func.sum(v.c.copay), func.sum(v.c.self_pay), func.sum(v.c.cash_paid))
                 .where(v.c.discharged_on.between(dt.date(2023, 1, 1), dt.date(2025, 12, 31)), v.c.out_of_region == 0)
                 .group_by(v.c.institution_id, v.c.group_code, v.c.insurance_class))
            return len(session.execute(q).all())

    aggregate, cells = timed(bare)
    # the monthly check: a published line at 90% of every insured cell's reference
    with sessions.begin() as session:
        lines = session.execute(text(
            "SELECT institution_id, group_code, insurance_class, reference FROM deposit_cell WHERE run_id = :r "
            "AND proxy = :f AND cases > 0"), {"r": done.run_id, "f": False}).all()
        bulk_insert(session.connection(), Discharge.metadata.tables["published_deposit"],
                    ("region_id", "institution_id", "group_code", "insurance_class", "amount", "effective_on"),
                    [(region.id, i, g, c, int(r * 90 // 100) if isinstance(r, int) else int(r) * 90 // 100,
                      dt.date(2026, 1, 1)) for i, g, c, r in lines])
    checked, result = timed(lambda: check_tables(sessions, "320600", 2026, dt.date(2026, 3, 2), "jiesuan1"))

    client = app.test_client()
    sign_in(client, "jiesuan1")
    from tests.console import token_for
    token = {"Authorization": f"Bearer {token_for(app, 'shenji1')}"}
    screens = {"dashboard": "/deposit/320600/2026/overview", "hospital page": "/deposit/320600/2026/hospitals/H32060000007",
               "reference page": "/deposit/320600/2026?class=employee", "API overview": "/api/v1/regions/320600/deposit-overview/2026"}
    figures = [imported_figure,
               Figure("deposit reference run", database, f"{done.admissions:,} admissions", ran,
                      "bare GROUP BY of the visits", aggregate, 2.0)]

    def screen_times(size: str) -> dict[str, float]:
        timings = {}
        for name, path in screens.items():
            samples = []
            for k in range(23):
                started = time.perf_counter()
                response = client.get(path, headers=token if path.startswith("/api") else {})
                assert response.status_code == 200, (path, response.status_code)
                if k >= 3:
                    samples.append(time.perf_counter() - started)
            timings[name] = p95(samples)
            figures.append(Figure(f"deposit {name} p95", database, size, timings[name], "goal 300 ms", 0.3, 1.0))
        return timings

    timings = screen_times(f"{n:,} rows")
    print(f"  {database} {n:,}: file {big.stat().st_size / 2**20:.1f} MiB imported in {took:.1f} s (floor {floor:.1f} s); "
          f"peak memory of a dry run: a quarter {peaks['a quarter']:.1f} MiB, all {peaks['all']:.1f} MiB; "
          f"reference run {ran:.1f} s for {done.cells:,} cells (bare aggregate {aggregate:.1f} s, {cells:,} groups); "
          f"check of {len(lines):,} published lines {checked:.1f} s ({result.found} findings); "
          + "; ".join(f"{k} {v * 1000:.0f} ms" for k, v in timings.items()), flush=True)
    if ADMISSIONS:
        # the 3-year window at scale: ADMISSIONS more admissions written as stored (the backfill's floor), ~37 per
        # cell at 4.5 million as a prefecture's; the reference run against the bare aggregate; the check and the
        # screens again, over every settlement held
        columns = [c for c in Discharge.__table__.columns.keys() if c != "id"]
        amounts = {"total", "fund_paid", "personal_burden", "copay", "self_pay", "account_paid", "cash_paid",
                   "hospital_borne"}

        def backfill(first: int, count: int, region_id: int = region.id, code: str = "3206", key: str = ""):
            for k in range(first, first + count):
                total = 3000_00 + (k * 7919) % 40000_00
                fund = total * 7 // 10
                burden = total - fund
                self_pay = burden // 5
                discharged = dt.date(2023, 1, 1) + dt.timedelta(days=k % 1095)
                stored = dict(region_id=region_id, settlement_key=f"B{key}{k:0{63 - len(key)}d}",
                              visit_key=f"W{key}{k:0{63 - len(key)}d}", refund=False,
                              institution_id=ids[f"H{code}{1 + k % HOSPITALS:07d}"],
                              insurance_class="employee" if k % 5 < 2 else "resident",
                              insured_region="110100" if k % 33 == 0 else "320600", out_of_region=k % 33 == 0,
                              medical_category="21", admitted_on=discharged - dt.timedelta(days=8),
                              discharged_on=discharged, settled_at=dt.datetime.combine(
                                  discharged, dt.time(2, 30), tzinfo=dt.timezone.utc), department="内科",
                              diagnosis="I10", group_code=f"G{k // HOSPITALS % GROUPS:03d}", group_version="CHS-DRG 2.0",
                              total=total, fund_paid=fund, personal_burden=burden, copay=burden - self_pay,
                              self_pay=self_pay, account_paid=0, cash_paid=burden, hospital_borne=0)
                yield tuple(stored.get(c) if c in amounts else processors[c](stored.get(c)) for c in columns)

        def write_window(**region_) -> float:
            started = time.perf_counter()
            for first in range(0, ADMISSIONS, 500_000):
                with sessions.begin() as session:
                    bulk_insert(session.connection(), Discharge.__table__, columns,
                                backfill(first, min(500_000, ADMISSIONS - first), **region_))
            if database == "postgresql":
                with app.extensions["prepay_engine"].connect() as conn:
                    conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE discharge")
            return time.perf_counter() - started

        written = write_window()
        ran, done = timed(lambda: compute_reference(sessions, "320600", 2026, "jiesuan1"))
        aggregate, cells = timed(bare)
        figures.append(Figure("deposit reference run at scale", database, f"{done.admissions:,} admissions", ran,
                              "bare GROUP BY of the visits", aggregate, 2.0))
        checked, result = timed(lambda: check_tables(sessions, "320600", 2026, dt.date(2026, 3, 3), "jiesuan1"))
        held = n + ADMISSIONS
        timings = screen_times(f"{held:,} settlements")
        print(f"  {database}: {ADMISSIONS:,} settlements of 2023—2025 written as stored in {written:.0f} s; reference "
              f"run over {done.admissions:,} admissions {ran:.1f} s for {done.cells:,} cells (bare aggregate "
              f"{aggregate:.1f} s); check {checked:.1f} s; screens at {held:,} settlements: "
              + "; ".join(f"{k} {v * 1000:.0f} ms" for k, v in timings.items()), flush=True)
        if NEIGHBOURS:
            # a province: other prefectures' windows in the same table; a region's run and screens read only its
            # own rows (through ``(region_id, discharged_on)``), so they should take what they took alone
            for k in range(NEIGHBOURS):
                code = f"32{5 - k:02d}00"
                create_region(sessions, code, f"邻市{k + 1}", "nantong-2025", 2026, "bench")
                with sessions.begin() as session:
                    other = session.execute(text(f"SELECT id FROM region WHERE code = '{code}'")).scalar_one()
                    bulk_insert(session.connection(), Institution.__table__,
                                ("region_id", "code", "name", "kind", "level", "state_run", "settled_since",
                                 "bank_name", "bank_account"),
                                [(other, f"H{code[:4]}{i:07d}", f"邻市医院{i}", "hospital", 1 + i % 3, True,
                                  dt.date(2010, 1, 1), "银行", f"6217{k}{i:011d}") for i in range(1, HOSPITALS + 1)])
                    ids.update(dict(session.execute(text(
                        "SELECT code, id FROM institution WHERE region_id = :r"), {"r": other}).all()))
                written_other = write_window(region_id=other, code=code[:4], key=code)
                print(f"  {database}: a neighbour's {ADMISSIONS:,} settlements written in {written_other:.0f} s",
                      flush=True)
            alone, checked_alone = ran, checked
            ran, done = timed(lambda: compute_reference(sessions, "320600", 2026, "jiesuan1"))
            aggregate, cells = timed(bare)
            # the month's check against the new run, as the bureau runs it (the dashboard reads what it keeps)
            checked, result = timed(lambda: check_tables(sessions, "320600", 2026, dt.date(2026, 3, 4), "jiesuan1"))
            held = n + ADMISSIONS * (1 + NEIGHBOURS)
            figures.append(Figure("deposit reference run beside neighbours", database,
                                  f"{done.admissions:,} of {held:,}", ran, "bare GROUP BY of the visits", aggregate,
                                  2.0))
            timings = screen_times(f"{held:,} settlements, {1 + NEIGHBOURS} regions")
            print(f"  {database}: beside {NEIGHBOURS} neighbour(s), {held:,} settlements held: reference run "
                  f"{ran:.1f} s (alone {alone:.1f} s; bare aggregate {aggregate:.1f} s); check {checked:.1f} s "
                  f"(alone {checked_alone:.1f} s); screens: "
                  + "; ".join(f"{k} {v * 1000:.0f} ms" for k, v in timings.items()), flush=True)
    app.extensions["prepay_engine"].dispose()
    return figures


def collect(sizes: list[int], only: str | None = None) -> list[Figure]:
    return on_each_database(only, sizes, measure)


def main(argv: list[str] | None = None) -> int:
    import argparse

    global ONLY, ADMISSIONS, NEIGHBOURS
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--only", choices=PARTS)
    parser.add_argument("--admissions", type=int, default=ADMISSIONS)
    parser.add_argument("--neighbours", type=int, default=NEIGHBOURS)
    known, rest = parser.parse_known_args(sys.argv[1:] if argv is None else argv)
    ONLY = known.only
    ADMISSIONS = known.admissions
    NEIGHBOURS = known.neighbours
    return command(__doc__, "rows", "250000", collect, rest)


if __name__ == "__main__":
    sys.exit(main())
