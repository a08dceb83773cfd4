"""``make bench``: every figure of the scale goals in one table (project, floor measured in the same run,
ratio, goal), on SQLite and on PostgreSQL where it is reachable.

    .venv/bin/python -m benchmarks [--sizes 1000,20000,100000] [--verify-institutions 20000]
                                   [--database sqlite|postgresql]

The region sizes are those of a city (1,000), a large city or small province (20,000) and a large
province (100,000). The separate benchmarks (``benchmarks.screens``, ``.intake``, ``.settlement``,
``.documents``) measure the played-year screens, imports, settlement runs and document batches.
"""
from __future__ import annotations

import argparse
import sys
import time

from . import console, cycle, landing, posting, verify
from .harness import print_table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,20000,100000", help="institutions per region, comma-separated")
    parser.add_argument("--verify-institutions", type=int, default=20_000, help="× 50 ledger lines")
    parser.add_argument("--entries", type=int, default=20_000, help="vouchers posted in bulk")
    parser.add_argument("--database", choices=("sqlite", "postgresql"))
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    started = time.perf_counter()
    found = []
    for collect in (console.collect, lambda: posting.collect([args.entries], args.database),
                    lambda: verify.collect([args.verify_institutions], args.database),
                    lambda: landing.collect(sizes, args.database), lambda: cycle.collect(sizes, args.database)):
        figures = collect()
        print_table(figures)  # as each part ends: a long run shows its figures before the last part is done
        print(flush=True)
        found += figures
    print(f"all figures in {time.perf_counter() - started:.0f} s\n")
    return 0 if print_table(found) else 1


if __name__ == "__main__":
    sys.exit(main())
