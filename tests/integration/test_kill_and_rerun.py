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
from prepay_admin.models import Institution, IssuedDocument
from prepay_admin.queries.ledger import audit

pytestmark = pytest.mark.slow  # left out of make test-fast

INSTITUTIONS, SEED, YEAR = 12, 5, 2026
KILLS_PER_CHAIN, CHAINS = 6, 2  # 12 kill points per database, 24 over both
LOAD = ["demo", "load", "--institutions", str(INSTITUTIONS), "--seed", str(SEED), "--year", str(YEAR), "--years", "2"]


def _start(url: str, args: list[str] = LOAD, token: str | None = None) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": url, "PYTHONUNBUFFERED": "1"}
    if token:
        env["PREPAY_TOKEN"] = token
    return subprocess.Popen([sys.executable, "-c", "from prepay_admin.console import cli; cli()", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _run_to_end(url: str, args: list[str] = LOAD, token: str | None = None) -> tuple[float, str]:
    started = time.perf_counter()
    process = _start(url, args, token)
    out, err = process.communicate(timeout=600)
    assert process.returncode == 0, err[-2000:]
    return time.perf_counter() - started, out


def _killed_at(url: str, delay: float, args: list[str] = LOAD, token: str | None = None) -> str:
    """Start the command, SIGKILL it after ``delay`` seconds; the last step it had announced."""
    process = _start(url, args, token)
    time.sleep(delay)
    process.send_signal(signal.SIGKILL)
    _, err = process.communicate(timeout=60)
    steps = [line.strip() for line in err.splitlines() if line.startswith("  ")]
    return steps[-1] if steps else "（载入机构）" if process.returncode else "（已结束）"


def end_state(url: str, on: dt.date = dt.date(YEAR, 10, 31)) -> dict:
    """Row counts of every table, every account's and sub-ledger's totals in fen, and the audit. Of the
    document register, the current copies: a batch rerun after its commit issues new copies that
    supersede the first (the register keeps both), one current copy per document either way."""
    app = create_console_app({"DATABASE_URL": url})
    sessions = app.extensions["prepay_sessions"]
    try:
        with sessions() as s:
            counts = {t.name: s.scalar(select(func.count()).select_from(t)) for t in Base.metadata.sorted_tables
                      if t.name != "issued_document"}
            counts["issued_document (current)"] = s.scalar(
                select(func.count()).select_from(IssuedDocument).where(IssuedDocument.superseded_by_id.is_(None)))
            balances = s.execute(
                select(Book.name, LedgerAccount.code, JournalLine.party, func.count(JournalLine.id),
                       func.sum(text("ledger_line.debit")), func.sum(text("ledger_line.credit")))
                .join(LedgerAccount, LedgerAccount.id == JournalLine.account_id)
                .join(Book, Book.id == LedgerAccount.book_id)
                .group_by(Book.name, LedgerAccount.code, JournalLine.party)
                .order_by(Book.name, LedgerAccount.code, JournalLine.party)).all()
        breaches = [b.message for b in audit(sessions, on)]
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


BULK_INSTITUTIONS = 400
KILLS_PER_COMMAND = 4  # 12 kill points per database over the three commands, 24 over both


def _settlement_file(path, codes: list[str]) -> None:
    """November's settlement of every institution, both funds: the bureau's monthly file."""
    rows = ["机构编码,结算年月,险种,基金支付金额,其中异地就医金额"]
    rows += [f"{code},2026-11,{fund},{200000 + i * 7}.{i % 100:02d},{1000 + i}.00"
             for i, code in enumerate(codes) for fund in ("职工", "居民")]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")


def _clone(backend, url: str) -> str:
    """A copy of the database at ``url`` (a file copy, or PostgreSQL's TEMPLATE)."""
    import shutil

    from sqlalchemy.engine import make_url

    if backend.name == "sqlite":
        source = make_url(url).database
        target = source.replace(".sqlite3", "-copy.sqlite3")
        shutil.copy(source, target)
        return f"sqlite:///{target}"
    name = f"{make_url(url).database}_copy"
    with backend.admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{make_url(url).database}"'))
    return backend._url_for(name)


def test_kill_9_during_an_import_a_settlement_run_and_a_document_batch_then_rerun_ends_the_same(backend, tmp_path):
    from prepay_admin.services import identity
    from prepay_admin.services.demo import load_demo

    setup = backend.fresh_url()
    app = create_console_app({"DATABASE_URL": setup})
    sessions = app.extensions["prepay_sessions"]
    load_demo(sessions, institutions=BULK_INSTITUTIONS, seed=SEED, year=YEAR, years=1)
    with sessions() as s:
        codes = s.scalars(select(Institution.code).order_by(Institution.code)).all()
    tokens = {user: identity.issue_token(sessions, user, "test", "test") for user in ("jiesuan1", "caiwu1")}
    app.extensions["prepay_engine"].dispose()
    data = tmp_path / "settlement-2026-11.csv"
    _settlement_file(data, codes)
    commands = [(["import", "settlement", str(data), "--region", "320600"], "jiesuan1"),
                (["settlement", "run", "--region", "320600", "--month", "2026-11", "--fund", "employee"], "caiwu1"),
                (["docs", "batch", "agreement", "--region", "320600", "--year", str(YEAR), "--out", "{out}"],
                 "jiesuan1")]

    reference, killed = setup, _clone(backend, setup)
    took = {}
    for args, user in commands:
        args = [a.replace("{out}", str(tmp_path / "reference.zip")) for a in args]
        took[args[0]], _ = _run_to_end(reference, args, tokens[user])
    rng = random.Random(f"kill-bulk/{backend.name}")
    kills = 0
    for args, user in commands:
        args = [a.replace("{out}", str(tmp_path / "killed.zip")) for a in args]
        for _ in range(KILLS_PER_COMMAND):
            _killed_at(killed, rng.uniform(0.2, took[args[0]]), args, tokens[user])
            kills += 1
        _run_to_end(killed, args, tokens[user])
    expected, got = end_state(reference, dt.date(2026, 12, 3)), end_state(killed, dt.date(2026, 12, 3))
    assert got["audit"] == expected["audit"] == []
    assert got["counts"] == expected["counts"], {
        t: (got["counts"][t], n) for t, n in expected["counts"].items() if got["counts"][t] != n}
    assert got["balances"] == expected["balances"]
    import zipfile

    with zipfile.ZipFile(tmp_path / "killed.zip") as zipped, zipfile.ZipFile(tmp_path / "reference.zip") as ref:
        assert zipped.testzip() is None and len(zipped.namelist()) == len(ref.namelist()) > 0
    assert not list(tmp_path.glob(".*.partial")) and kills >= 12
    backend.drop(killed)
    backend.drop(reference)
