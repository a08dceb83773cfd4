"""Benchmark: how long the ``prepay-admin`` console takes to start and answer, against ``import flask``.

Method: a migrated SQLite database with a region; the best of five runs of each, as new processes:
``python -c "import flask"`` (the floor), ``prepay-admin --help`` and ``prepay-admin ledger trial-balance``
of the region (the whole cost of a trial balance from a terminal: start, import, query, print).

    .venv/bin/python -m benchmarks.console
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from .harness import Figure, best_of, print_table

GOAL_RATIO = 3.0


def collect() -> list[Figure]:
    from prepay_admin.app import create_console_app
    from prepay_admin.migrate import upgrade
    from prepay_admin.services import identity
    from prepay_admin.services.demo import load_demo

    url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='prepay-bench-')) / 'console.sqlite3'}"
    upgrade(url)
    sessions = create_console_app({"DATABASE_URL": url}).extensions["prepay_sessions"]
    load_demo(sessions, institutions=20, seed=1, year=2026, play=False, years=1)
    token = identity.issue_token(sessions, "caiwu1", "bench", "bench")
    env = {**os.environ, "DATABASE_URL": url, "PREPAY_TOKEN": token}
    console = [sys.executable, "-c", "from prepay_admin.console import cli; cli()"]

    def run(args: list[str]) -> None:
        subprocess.run(args, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    floor = best_of(5, lambda: run([sys.executable, "-c", "import flask"]))
    helped = best_of(5, lambda: run([*console, "--help"]))
    balance = best_of(5, lambda: run([*console, "ledger", "trial-balance", "--region", "320600"]))
    return [Figure("console start (--help)", "sqlite", "—", helped, "python -c 'import flask'", floor, GOAL_RATIO),
            Figure("console trial balance", "sqlite", "—", balance, "python -c 'import flask'", floor, GOAL_RATIO)]


if __name__ == "__main__":
    sys.exit(0 if print_table(collect()) else 1)
