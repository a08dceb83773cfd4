"""``make bench``: every figure of the scale goals in one table (project, floor measured in the same run,
ratio, goal), on SQLite and on PostgreSQL where it is reachable.

    .venv/bin/python -m benchmarks [--sizes 1000,20000,100000] [--verify-institutions 20000]
                                   [--import-institutions 100000] [--settlement-institutions 20000]
                                   [--document-institutions 5000] [--database sqlite|postgresql]

The region sizes are those of a city (1,000), a large city or small province (20,000) and a large
province (100,000): the landing pages and ``compute --region`` before a campaign, then the annual cycle
and the screens of its played year. The bulk capabilities report in the same table: posting, ``ledger
verify``, a month's settlement file imported, a month's settlement run (two regions, for linearity), a
year's agreements and determination notices as batches, the signing window's and the bank transfer's bulk
steps; patients' deposits (a month's inpatient settlements imported, the reference run, the check and the
deposit screens). Each module also runs alone
(``python -m benchmarks.cycle --sizes 1000``).
"""
from __future__ import annotations

import argparse
import sys
import time

from . import bulk, console, cycle, deposit, documents, intake, landing, posting, settlement, verify
from .harness import print_table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,20000,100000", help="institutions per region, comma-separated")
    parser.add_argument("--verify-institutions", type=int, default=20_000, help="× 50 ledger lines")
    parser.add_argument("--entries", type=int, default=20_000, help="vouchers posted in bulk")
    parser.add_argument("--import-institutions", type=int, default=100_000, help="× 2 rows of settlement")
    parser.add_argument("--settlement-institutions", type=int, default=20_000, help="and a quarter of it")
    parser.add_argument("--document-institutions", type=int, default=5_000, help="a played region")
    parser.add_argument("--bulk-sizes", default="2000,10000", help="institutions per region for the bulk steps")
    parser.add_argument("--deposit-rows", type=int, default=250_000, help="inpatient settlements (a month's file)")
    parser.add_argument("--database", choices=("sqlite", "postgresql"))
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    started = time.perf_counter()
    found = []
    for collect in (console.collect, lambda: posting.collect([args.entries], args.database),
                    lambda: verify.collect([args.verify_institutions], args.database),
                    lambda: intake.collect([args.import_institutions], args.database),
                    lambda: settlement.collect([args.settlement_institutions], args.database),
                    lambda: documents.collect([args.document_institutions], args.database),
                    lambda: bulk.collect([int(s) for s in args.bulk_sizes.split(",")], args.database),
                    lambda: deposit.collect([args.deposit_rows], args.database),
                    lambda: landing.collect(sizes, args.database), lambda: cycle.collect(sizes, args.database)):
        figures = collect()
        print_table(figures)  # as each part ends: a long run shows its figures before the last part is done
        print(flush=True)
        found += figures
    print(f"all figures in {time.perf_counter() - started:.0f} s\n")
    return 0 if print_table(found) else 1


if __name__ == "__main__":
    sys.exit(main())
