"""On PostgreSQL: retried and concurrent requests of the cycle do their work once."""
import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from accounting.models import JournalEntry
from prepay_admin.models import Determination, PaymentInstruction, SettlementLine, Transition
from prepay_admin.services import batch, deadlines, payment
from tests.cycle_helpers import REGION, YEAR, listed_codes, listed_through_fixing, secure_and_sign
from tests.integration.test_ledger_concurrency import at_once
from tests.ledger_helpers import vouchers
from tests.signing_helpers import batch_signers

pytestmark = pytest.mark.postgresql_only
ROOT = Path(__file__).resolve().parents[2]


def sign(sessions, batch_id, user, comment="同意"):
    """Sign the batch as seen now (the screen passes its hash for the signer)."""
    return batch.sign_off(sessions, batch_id, user, comment, batch.current_hash(sessions, batch_id))


def test_fifty_concurrent_confirmations_of_one_payment_post_one_entry(sessions):
    rows = listed_through_fixing(sessions, institutions=30)
    secure_and_sign(sessions, rows[:2])
    batch_id = batch.prepare(sessions, REGION, YEAR, "jiesuan1")
    for user in batch_signers(sessions, batch_id):
        sign(sessions, batch_id, user)
    first = payment.issue(sessions, batch_id, "caiwu1", dt.date(YEAR, 1, 23))[0]
    results, errors = at_once(50, lambda i: payment.confirm(sessions, first, "BANK-0001", dt.date(YEAR, 1, 26), "caiwu1"))
    assert errors == []
    assert len({r.ledger_entry_id for r in results}) == 1
    assert sum(1 for r in results if not r.replayed) == 1
    with sessions() as s:
        assert vouchers(s, "payment-instruction:") == 2  # the payment and (RULES §7) its funding, once each
        assert s.get(PaymentInstruction, first).state == "paid"
        assert s.scalar(select(func.count()).select_from(Transition).where(
            Transition.machine == "payment", Transition.action == "confirm")) == 1


def test_two_sweeps_at_once_mark_each_institution_once(sessions):
    listed_through_fixing(sessions, institutions=40)
    rows = listed_codes(sessions)  # every listed institution is still in its window
    results, errors = at_once(2, lambda i: deadlines.sweep(sessions, dt.date(YEAR, 1, 15), actor=f"sweeper-{i}"))
    assert errors == []
    assert sum(r.given_up for r in results) == len(rows)
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Transition).where(
            Transition.action == "give_up")) == len(rows)
        assert s.scalar(select(func.count()).select_from(Determination).where(
            Determination.state == "given_up")) == len(rows)


def test_two_scheduler_processes_running_the_sweep_do_it_once(sessions, database_url):
    listed_through_fixing(sessions, institutions=40)
    rows = listed_codes(sessions)  # every listed institution is still in its window
    env = {**os.environ, "DATABASE_URL": database_url}
    command = [sys.executable, "-m", "prepay_admin", "scheduler", "run-once", "deadline_sweep", "--date", f"{YEAR}-01-15"]
    procs = [subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    assert sum("已由其他进程执行" in out for out, _ in outputs) == 1
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Transition).where(
            Transition.action == "give_up")) == len(rows)


def test_15_4_two_instructions_confirmed_at_once_with_one_bank_reference_pay_once(sessions):
    from prepay_admin.services.errors import ServiceError

    rows = listed_through_fixing(sessions, institutions=30)
    secure_and_sign(sessions, rows[:4])
    batch_id = batch.prepare(sessions, REGION, YEAR, "jiesuan1")
    for user in batch_signers(sessions, batch_id):
        sign(sessions, batch_id, user)
    issued = payment.issue(sessions, batch_id, "caiwu1", dt.date(YEAR, 1, 23))
    with sessions() as s:
        funds = {i: s.get(PaymentInstruction, i).fund for i in issued}
    pair = [i for i in issued if funds[i] == funds[issued[0]]][:2]
    assert len(pair) == 2
    results, errors = at_once(2, lambda i: payment.confirm(sessions, pair[i], "ONE-TRANSFER", dt.date(YEAR, 1, 26),
                                                           "caiwu1"))
    assert len(results) == 1 and len(errors) == 1 and isinstance(errors[0], ServiceError)
    assert errors[0].field == "bank_ref"
    with sessions() as s:
        assert vouchers(s, "payment-instruction:") == 2  # the payment and (RULES §7) its funding, once each


def test_17_a_settlement_month_run_fifty_times_at_once_posts_one_set_of_entries(sessions):
    from prepay_admin.policy.facts import Fund
    from prepay_admin.policy.recovery import TriggerKind
    from prepay_admin.services import settlement, triggers
    from prepay_admin.services.demo import load_demo
    from tests.return_path_helpers import books_sound, settlement_file

    load_demo(sessions, institutions=30, seed=2026, year=YEAR)
    with sessions() as s:
        code = s.scalars(select(PaymentInstruction.institution_code).order_by(PaymentInstruction.id)).first()
    triggers.record_trigger(sessions, REGION, code, TriggerKind.MISUSE, dt.date(YEAR, 3, 2), "挪用预付金", "jihe1")
    settlement_file(sessions, dt.date(YEAR, 3, 1))
    with sessions() as s:
        before = s.scalar(select(func.count()).select_from(JournalEntry))
    results, errors = at_once(50, lambda i: settlement.run_month(sessions, REGION, dt.date(YEAR, 3, 1), Fund.EMPLOYEE,
                                                                "caiwu1", dt.date(YEAR, 4, 8)))
    assert errors == []
    assert len({r.run_id for r in results}) == 1 and sum(1 for r in results if not r.replayed) == 1
    with sessions() as s:  # RULES §7: a line posts only what it withholds or releases (and that is funded)
        posted = s.scalar(select(func.count(SettlementLine.ledger_entry_id.distinct()))
                          .where(SettlementLine.run_id == results[0].run_id))
        funding = vouchers(s, "") - before - posted
        assert posted >= 1 and funding in (0, 1)  # the triggered institution's offset; a release's funding
    books_sound(sessions)
