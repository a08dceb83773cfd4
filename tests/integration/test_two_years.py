"""Two played years of the demo region (RULES §5–§7), end to end: after every step the ledger verifies,
each book's trial balance nets to zero, every institution's statement is its advances less what came
back and what was written off, and the receivables view ties to the ledger."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from accounting import reports
from accounting.chart import Role
from accounting.ledger import get_book
from accounting.models import JournalEntry, JournalLine, LedgerAccount
from prepay_admin.models import BatchItem, Receivable, RecoveryMovement, SettlementLine, SettlementRun
from prepay_admin.policy.facts import Fund
from prepay_admin.queries import receivables as views
from prepay_admin.services.demo import load_demo
from tests.return_path_helpers import REGION, books_sound

ZERO = D("0.00")


def statements_tie(sessions) -> None:
    """Per institution and fund: 暂付款 balance = paid − offset − refunded − written off ± successions."""
    with sessions() as s:
        for fund in Fund:
            book = get_book(s, REGION, fund)
            rows = s.execute(
                select(JournalLine.party, JournalLine.debit, JournalLine.credit, JournalEntry.source_ref)
                .join(LedgerAccount, LedgerAccount.id == JournalLine.account_id)
                .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
                .where(LedgerAccount.book_id == book.id, LedgerAccount.role == Role.ADVANCE)).all()
            paid, back = {}, {}
            for party, debit, credit, source in rows:
                paid[party] = paid.get(party, ZERO) + debit
                back[party] = back.get(party, ZERO) + credit
            for party, balance in reports.party_balances(s, book.id, Role.ADVANCE).items():
                assert balance == paid.get(party, ZERO) - back.get(party, ZERO) >= 0
            # every recovery on record has its voucher, and the vouchers say the same amounts
            moved = s.execute(select(RecoveryMovement.ledger_entry_id, RecoveryMovement.amount)
                              .join(Receivable, Receivable.id == RecoveryMovement.receivable_id)
                              .where(Receivable.fund == fund, RecoveryMovement.kind != "transfer")).all()
            for entry_id, amount in moved:
                credited = s.scalar(select(JournalLine.credit).join(LedgerAccount, LedgerAccount.id == JournalLine.account_id)
                                    .where(JournalLine.entry_id == entry_id, LedgerAccount.role == Role.ADVANCE))
                assert credited >= amount


def receivables_tie(sessions) -> None:
    page = views.receivables(sessions, REGION, dt.date(2026, 11, 25), status="all", size=0)
    for tie in page.ties:
        assert tie.over_claimed == 0 and tie.not_due >= 0
        assert tie.owed == sum((r.outstanding for r in page.rows if r.fund == tie.fund and r.state_cn in
                                ("待收回", "已催收", "诉讼中", "破产债权申报")), ZERO)


@pytest.mark.parametrize("profile", ["nantong-2025", "hebei-2024"])
def test_5_6_7_two_years_of_money_going_out_and_coming_back_keep_the_books_true(sessions, profile):
    steps = []

    def check(step: str) -> None:
        steps.append(step)
        books_sound(sessions)
        statements_tie(sessions)
        receivables_tie(sessions)

    load_demo(sessions, institutions=40, seed=2026, year=2026, profile=profile, years=2, check=check)
    assert len(steps) > 20
    page = views.receivables(sessions, REGION, dt.date(2026, 11, 25), status="all", size=0)
    by_route = {}
    for r in page.rows:
        by_route.setdefault(r.route, []).append(r)
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(SettlementRun)) >= 40
        memo = reports.writeoff_register(s, get_book(s, REGION, Fund.EMPLOYEE).id)
    # 20§(二)5–6: the lawsuit ends in a write-off with both references, in the memo register
    assert len(memo) == 1 and memo[0].approval_ref.startswith("通政复")
    if profile == "nantong-2025":
        _rollover_and_clearance(sessions, by_route)
    else:
        _annual_recovery_and_withheld_settlements(sessions, by_route)


def _rollover_and_clearance(sessions, by_route) -> None:
    """17§: a clearance withheld from December's settlement and, what remains, from January's; a smaller
    new advance repaid by offset; a larger one topped up by the new year's batch, which pays the difference."""
    # 20§: a trigger mid-year, partly offset by June's settlement, its rest demanded
    assert any(r.due_on is not None for r in by_route["trigger"] if r.written_off == 0)
    clearance = by_route["clearance"][0]
    offsets = {m.on for m in views.receivable_detail(sessions, clearance.id, dt.date(2026, 11, 25)).movements}
    assert offsets == {dt.date(2026, 1, 27), dt.date(2026, 2, 10)}
    assert by_route["year_end_difference"]
    assert all(r.method_cn == "冲抵结算款" and r.outstanding == 0 for r in by_route["year_end_difference"])
    with sessions() as s:
        assert s.scalar(select(BatchItem.id).where(BatchItem.held > ZERO, BatchItem.amount > ZERO,
                                                   BatchItem.determined == BatchItem.held + BatchItem.amount).limit(1))


def _annual_recovery_and_withheld_settlements(sessions, by_route) -> None:
    """HB 二(四): every advance of the first year is recovered, the second year's paid afresh;
    HB 五: while a triggered institution owes, its settlements are kept back, and paid once it does not."""
    assert set(by_route) == {"trigger", "annual_recovery"}
    assert all(r.outstanding == 0 for r in by_route["annual_recovery"])
    with sessions() as s:
        items = s.execute(select(BatchItem.held, BatchItem.amount, BatchItem.determined)).all()
        assert all(held == 0 and amount == determined for held, amount, determined in items)
        kept = s.scalar(select(func.count()).select_from(SettlementLine).where(SettlementLine.held > ZERO))
        paid_back = s.scalar(select(func.count()).select_from(SettlementLine).where(SettlementLine.released > ZERO))
    assert kept > 0 and paid_back > 0
