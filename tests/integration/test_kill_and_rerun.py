"""Crash safety: ``prepay-admin demo load`` killed with SIGKILL at random points, then rerun, ends where an
uninterrupted load ends: the same rows in every table, the same balances on every account and
sub-ledger, and ``ledger verify`` clean (chain, reconciliation, security cover).

The two-year demo is the bureau's whole year in one command: the region's intake (one transaction),
applications, determination, fixing the list, securities and agreements, the batch and its four
sign-offs, issuing and confirming payments, monthly settlement runs, triggers, demands, a lawsuit, a
write-off and the year end, each step its own use case with its own commit. A kill lands inside one of
them (its transaction rolls back) or between two (the rerun reads what was done and goes on).
"""
from __future__ import annotations

import datetime as dt
import os
import random
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import func, select, text

from accounting.models import Book, JournalLine, LedgerAccount
from prepay_admin.app import create_console_app
from prepay_admin.db import Base
from prepay_admin.queries.ledger import audit

INSTITUTIONS, SEED, YEAR = 12, 5, 2026
KILLS_PER_CHAIN, CHAINS = 6, 2  # 12 kill points per database, 24 over both
LOAD = ["demo", "load", "--institutions", str(INSTITUTIONS), "--seed", str(SEED), "--year", str(YEAR), "--years", "2"]


def _start(url: str) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": url, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, "-c", "from prepay_admin.console import cli; cli()", *LOAD], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _run_to_end(url: str) -> tuple[float, str]:
    started = time.perf_counter()
    process = _start(url)
    out, err = process.communicate(timeout=600)
    assert process.returncode == 0, err[-2000:]
    return time.perf_counter() - started, out


def _killed_at(url: str, delay: float) -> str:
    """Start the load, SIGKILL it after ``delay`` seconds; the last step it had announced."""
    process = _start(url)
    time.sleep(delay)
    process.send_signal(signal.SIGKILL)
    _, err = process.communicate(timeout=60)
    steps = [line.strip() for line in err.splitlines() if line.startswith("  ")]
    return steps[-1] if steps else "（载入机构）" if process.returncode else "（已结束）"


def end_state(url: str) -> dict:
    """Row counts of every table, every account's and sub-ledger's totals in fen, and the audit."""
    app = create_console_app({"DATABASE_URL": url})
    sessions = app.extensions["prepay_sessions"]
    try:
        with sessions() as s:
            counts = {t.name: s.scalar(select(func.count()).select_from(t)) for t in Base.metadata.sorted_tables}
            balances = s.execute(
                select(Book.name, LedgerAccount.code, JournalLine.party, func.count(JournalLine.id),
                       func.sum(text("ledger_line.debit")), func.sum(text("ledger_line.credit")))
                .join(LedgerAccount, LedgerAccount.id == JournalLine.account_id)
                .join(Book, Book.id == LedgerAccount.book_id)
                .group_by(Book.name, LedgerAccount.code, JournalLine.party)
                .order_by(Book.name, LedgerAccount.code, JournalLine.party)).all()
        breaches = [b.message for b in audit(sessions, dt.date(YEAR, 10, 31))]
        return {"counts": counts, "balances": [tuple(r) for r in balances], "audit": breaches}
    finally:
        app.extensions["prepay_engine"].dispose()


def test_kill_9_at_random_points_then_rerun_ends_as_an_uninterrupted_demo_load(backend):
    reference_url = backend.fresh_url()
    took, out = _run_to_end(reference_url)
    assert "两个年度已走完" in out
    expected = end_state(reference_url)
    assert expected["audit"] == [] and expected["counts"]["settlement_run"] > 0
    rng = random.Random(f"kill/{backend.name}")  # the same points on every run: a failure replays
    landed = []
    for _ in range(CHAINS):
        url = backend.fresh_url()
        for _ in range(KILLS_PER_CHAIN):
            landed.append(_killed_at(url, rng.uniform(0.3, took)))
        _, out = _run_to_end(url)
        assert "已载入" in out
        got = end_state(url)
        assert got["audit"] == [], got["audit"][:5]
        assert got["counts"] == expected["counts"], {
            t: (got["counts"][t], n) for t, n in expected["counts"].items() if got["counts"][t] != n}
        assert got["balances"] == expected["balances"]
        backend.drop(url)
    print(f"\n{backend.name}: {len(landed)} kills, uninterrupted load {took:.1f} s; killed during: "
          + "；".join(sorted(set(landed))))
    assert len(landed) >= 10
    backend.drop(reference_url)
