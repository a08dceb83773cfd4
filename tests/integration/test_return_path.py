"""The money comes back (17§, 20§, 21§, HB 五): settlement runs, triggers, demands, refunds, successors,
lawsuits and write-offs, on both databases, with the books sound after every step."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from accounting import reports
from accounting.chart import Role
from accounting.ledger import get_book
from accounting.models import JournalEntry
from prepay_admin.models import Bar, Determination, Institution, Receivable, RecoveryTrigger, SecurityPledge
from prepay_admin.policy.facts import Fund
from prepay_admin.policy.recovery import TriggerKind
from prepay_admin.services import receivables, settlement, triggers
from prepay_admin.services.demo import load_demo
from prepay_admin.services.errors import ServiceError
from tests.return_path_helpers import REGION, books_sound, held, settlement_file, stopped_settling
from tests.signing_helpers import batch_signers, presettlement_signers

YEAR = 2026


@pytest.fixture
def played(sessions):
    load_demo(sessions, institutions=30, seed=2026, year=YEAR)
    with sessions() as s:
        codes = s.scalars(select(Institution.code).join(Determination, Determination.institution_id == Institution.id)
                          .where(Determination.state == "paid").order_by(Institution.code)).all()
    assert len(codes) >= 3
    return codes


def entries(sessions) -> int:
    with sessions() as s:
        return s.scalar(select(func.count()).select_from(JournalEntry))


def test_20_a_trigger_makes_the_advance_owed_and_the_settlement_withholds_only_the_payable(sessions, played):
    code = played[0]
    owed = held(sessions, code, Fund.EMPLOYEE)
    done = triggers.record_trigger(sessions, REGION, code, TriggerKind.ASSET_SEIZURE, dt.date(YEAR, 3, 10),
                                   "（2026）苏0602财保12号", "jihe1")
    assert done.owed[Fund.EMPLOYEE.value] == owed
    books_sound(sessions)

    small = (owed / 3).quantize(D("0.01"))
    settlement_file(sessions, dt.date(YEAR, 3, 1), {code: small})
    run = settlement.run_month(sessions, REGION, dt.date(YEAR, 3, 1), Fund.EMPLOYEE, "caiwu1", dt.date(YEAR, 4, 8))
    books_sound(sessions)
    assert run.withheld == small and not run.replayed
    assert held(sessions, code, Fund.EMPLOYEE) == owed - small  # the rest carries to the next month
    assert run.net == run.payable - small

    before = entries(sessions)
    again = settlement.run_month(sessions, REGION, dt.date(YEAR, 3, 1), Fund.EMPLOYEE, "caiwu1", dt.date(YEAR, 4, 8))
    assert again.replayed and again.run_id == run.run_id and entries(sessions) == before

    settlement_file(sessions, dt.date(YEAR, 4, 1), {code: owed})
    settlement.run_month(sessions, REGION, dt.date(YEAR, 4, 1), Fund.EMPLOYEE, "caiwu1", dt.date(YEAR, 5, 8))
    books_sound(sessions)
    assert held(sessions, code, Fund.EMPLOYEE) == 0
    with sessions() as s:
        states = s.scalars(select(Receivable.state).where(Receivable.fund == Fund.EMPLOYEE)).all()
    assert states == ["recovered"]


def test_20_the_same_trigger_sent_twice_is_recorded_once(sessions, played):
    code = played[0]
    first = triggers.record_trigger(sessions, REGION, code, TriggerKind.ASSET_SEIZURE, dt.date(YEAR, 3, 10),
                                    "（2026）苏0602财保12号", "jihe1")
    again = triggers.record_trigger(sessions, REGION, code, TriggerKind.ASSET_SEIZURE, dt.date(YEAR, 3, 10),
                                    " （2026）苏0602财保12号 ", "jihe1")  # a retry, a double click
    assert again.replayed and not first.replayed and again.trigger_id == first.trigger_id
    assert again.owed == first.owed
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(RecoveryTrigger)) == 1
        assert s.scalar(select(func.count()).select_from(Receivable)) == len(first.owed)


def test_20_only_the_inspection_department_records_a_trigger_and_evidence_is_required(sessions, played):
    with pytest.raises(ServiceError) as refused:
        triggers.record_trigger(sessions, REGION, played[0], TriggerKind.MISUSE, dt.date(YEAR, 3, 1), "x", "caiwu1")
    assert refused.value.field == "user"
    with pytest.raises(ServiceError) as empty:
        triggers.record_trigger(sessions, REGION, played[0], TriggerKind.MISUSE, dt.date(YEAR, 3, 1), " ", "jihe1")
    assert empty.value.field == "evidence"


def test_21_6_a_fraud_finding_bars_the_institution_for_three_years(sessions, played):
    args = (sessions, REGION, played[1], TriggerKind.FRAUD, dt.date(YEAR, 3, 10), "专项检查发现虚假财务报表", "jihe1")
    with pytest.raises(ServiceError) as undated:  # RULES §2 (turn 3): the bar runs from the decision's day
        triggers.record_trigger(*args, decision_ref="通医保〔2026〕9号")
    assert undated.value.field == "decided_on"
    done = triggers.record_trigger(*args, decision_ref="通医保〔2026〕9号", decided_on=dt.date(YEAR, 5, 10))
    assert done.barred_until == dt.date(2029, 5, 9)  # three years from the decision, not from 10 March
    with sessions() as s:
        assert s.scalar(select(Bar.until).join(Institution, Institution.id == Bar.institution_id)
                        .where(Institution.code == played[1], Bar.decision_ref == "通医保〔2026〕9号")) == dt.date(2029, 5, 9)


def test_20_2_demand_refund_lawsuit_write_off_and_a_later_recovery(sessions, played, monkeypatch):
    code = played[2]
    triggers.record_trigger(sessions, REGION, code, TriggerKind.OWNERSHIP_CHANGE, dt.date(YEAR, 6, 1), "股权转让协议", "jihe1")
    with sessions() as s:
        rid = s.scalar(select(Receivable.id).where(Receivable.fund == Fund.EMPLOYEE))
    owed = held(sessions, code, Fund.EMPLOYEE)
    demanded = receivables.demand(sessions, rid, dt.date(YEAR, 9, 30), "caiwu1")
    assert demanded.due_on == dt.date(YEAR, 10, 13)  # 5 working days after 30 September, past the National Day holiday
    part = D("10000.00")
    receivables.record_refund(sessions, rid, part, dt.date(YEAR, 10, 9), "B20261009001", "caiwu1")
    again = receivables.record_refund(sessions, rid, part, dt.date(YEAR, 10, 9), "B20261009001", "caiwu1")
    assert again.replayed
    assert held(sessions, code, Fund.EMPLOYEE) == owed - part
    books_sound(sessions)

    with pytest.raises(ServiceError) as early:
        receivables.take_to_court(sessions, rid, "litigation", "（2026）苏0602民初88号", "崇川区人民法院",
                                  dt.date(YEAR, 10, 12), "起诉状", "caiwu1")
    assert early.value.field == "filed_on"
    # RULES §6: nothing goes to court while settlements to the institution could still cover the debt
    settlement_file(sessions, dt.date(YEAR, 7, 1))
    with pytest.raises(ServiceError) as covered:
        receivables.take_to_court(sessions, rid, "litigation", "（2026）苏0602民初88号", "崇川区人民法院",
                                  dt.date(YEAR, 10, 20), "起诉状；证据清单", "caiwu1")
    assert covered.value.field == "receivable" and "冲抵" in covered.value.message
    stopped_settling(sessions, code, dt.date(YEAR, 6, 1))  # transferred in June: it settles no more
    receivables.take_to_court(sessions, rid, "litigation", "（2026）苏0602民初88号", "崇川区人民法院",
                              dt.date(YEAR, 10, 20), "起诉状；证据清单", "caiwu1")
    with pytest.raises(ServiceError) as missing:
        receivables.write_off(sessions, rid, "（2026）苏0602执55号之一", "", dt.date(YEAR, 11, 20), "caiwu1")
    assert missing.value.field == "approval_ref"
    receivables.write_off(sessions, rid, "（2026）苏0602执55号之一", "通政复〔2026〕31号", dt.date(YEAR, 11, 20), "caiwu1")
    books_sound(sessions)
    assert held(sessions, code, Fund.EMPLOYEE) == 0
    # issue 27 finding 14: a copy of the demand issued after the write-off says what was demanded, never 0.00
    from prepay_admin.services import documents
    from tests.documents_helpers import docx_text

    copy = docx_text(documents.issue(sessions, "demand", REGION, "caiwu1", receivable_id=rid).data)
    assert f"{owed:,.2f}" in copy
    receivables.recover_after_write_off(sessions, rid, D("5000.00"), dt.date(YEAR, 11, 24), "B20261124007", "caiwu1")
    books_sound(sessions)
    with sessions() as s:
        (memo,) = reports.writeoff_register(s, get_book(s, REGION, Fund.EMPLOYEE).id)
    assert (memo.party, memo.amount, memo.recovered_later) == (code, owed - part, D("5000.00"))
    assert memo.approval_ref == "通政复〔2026〕31号"
    # RULES §7 (turn 3): in the write-off's year the recovery reduces 其他支出; in a later one (the
    # expense's year is closed) it is 其他收入
    from prepay_admin import clock

    monkeypatch.setattr(clock, "today", lambda: dt.date(YEAR + 1, 2, 1))
    receivables.recover_after_write_off(sessions, rid, D("700.00"), dt.date(YEAR + 1, 1, 28), "B20270128001", "caiwu1")
    with sessions() as s:
        book = get_book(s, REGION, Fund.EMPLOYEE).id
        rows = {r.role: r for r in reports.trial_balance(s, book, "2000-01", "2100-12").rows}
        assert rows["other_income"].closing == D("-700.00")  # a credit balance of 700.00
        assert rows["other_expense"].credit == D("5000.00")
        (memo,) = reports.writeoff_register(s, book)
    assert memo.recovered_later == D("5700.00")
    books_sound(sessions)


def test_20_the_return_path_from_the_terminal(app, cli_runner, tmp_path):
    from openpyxl import load_workbook

    from tests.console import as_user

    sessions = app.extensions["prepay_sessions"]
    load_demo(sessions, institutions=30, seed=2026, year=YEAR)
    with sessions() as s:
        code = s.scalars(select(Institution.code).join(Determination, Determination.institution_id == Institution.id)
                         .where(Determination.state == "paid").order_by(Institution.code)).first()

    def run(user, *args):
        return cli_runner.invoke(args=list(args), env=as_user(app, user))

    refused = run("caiwu1", "recovery", "trigger", "--region", REGION, "--institution", code, "--kind", "misuse",
                  "--evidence", "挪用预付金", "--date", "2026-03-02")
    assert refused.exit_code == 2 and "须由稽核部门办理" in refused.output
    bad = run("jihe1", "recovery", "trigger", "--region", REGION, "--institution", code, "--kind", "nonsense",
              "--evidence", "x")
    assert bad.exit_code == 2
    done = run("jihe1", "recovery", "trigger", "--region", REGION, "--institution", code, "--kind", "misuse",
               "--evidence", "挪用预付金", "--date", "2026-03-02")
    assert done.exit_code == 0 and "应收回" in done.output, done.output

    settlement_file(sessions, dt.date(YEAR, 3, 1), {code: D("20000.00")})
    args = ["settlement", "run", "--region", REGION, "--month", "2026-03", "--fund", "employee", "--date", "2026-04-09"]
    out = tmp_path / "pay.xlsx"
    first = run("caiwu1", *args, "--xlsx", str(out))
    assert first.exit_code == 0 and "扣回预付金 20,000.00" in first.output and "与账簿一致" in first.output, first.output
    assert "未重复记账" in run("caiwu1", *args).output
    assert run("caiwu1", "settlement", "run", "--region", REGION, "--month", "2026-13", "--fund", "employee").exit_code == 2
    sheet = load_workbook(out).active
    assert sheet["A1"].value == "月度结算支付清单"

    listed = run("shenji1", "recovery", "list", "--region", REGION, "--xlsx", str(tmp_path / "r.xlsx"))
    assert listed.exit_code == 0 and code in listed.output and "与账簿相符" in listed.output, listed.output


def test_26_a_pre_settlement_is_capped_signed_level_by_level_paid_and_deducted_by_the_next_settlement(sessions, played):
    from prepay_admin.policy.recovery import PresettlementCase as Case
    from prepay_admin.services import presettlement as pre

    with sessions() as s:
        pharmacy = s.scalar(select(Institution.code).where(Institution.kind == "pharmacy").order_by(Institution.code))
    month = dt.date(YEAR, 5, 1)
    args = (sessions, REGION, pharmacy, Fund.EMPLOYEE, month)
    settlement_file(sessions, month, {pharmacy: D("30000.00")})  # RULES §8: what was settled comes from the feed
    with pytest.raises(ServiceError) as no_letter:
        pre.propose(*args, Case.LARGE_GAP, D("100000.00"), D("50000.00"), "jiesuan1")
    assert no_letter.value.field == "application_ref"
    with pytest.raises(ServiceError) as too_much:  # 90% of 100,000 less 30,000 settled: at most 60,000
        pre.propose(*args, Case.LARGE_GAP, D("100000.00"), D("60000.01"), "jiesuan1", application_ref="申请〔2026〕5号")
    assert too_much.value.field == "amount" and "60,000.00" in too_much.value.message
    first = pre.propose(*args, Case.LARGE_GAP, D("100000.00"), D("20000.00"), "jiesuan1",
                        application_ref="申请〔2026〕5号")
    with pytest.raises(ServiceError) as together:  # the 90% is the month's: two proposals may not add up to more
        pre.propose(*args, Case.LARGE_GAP, D("100000.00"), D("40000.01"), "jiesuan1", application_ref="申请〔2026〕6号")
    assert together.value.field == "amount" and "40,000.00" in together.value.message
    made = pre.propose(*args, Case.LARGE_GAP, D("100000.00"), D("40000.00"), "jiesuan1",
                       application_ref="申请〔2026〕6号")
    assert len(made.levels) == 5  # 26§ 第二款 "as a batch": Nantong's chain (RULES §4)
    pid = made.presettlement_id
    seen = pre.current_hash(sessions, pid)
    pre.sign_off(sessions, pid, "jiesuan1", "提交", seen)
    with pytest.raises(ServiceError) as twice:
        pre.sign_off(sessions, pid, "jiesuan1", "审核", seen)
    assert twice.value.field == "user"
    with pytest.raises(ServiceError):
        pre.pay(sessions, pid, "B-PRE-1", dt.date(YEAR, 6, 3), "caiwu1")  # not approved yet
    for user in presettlement_signers(sessions, pid)[1:]:
        pre.sign_off(sessions, pid, user, "同意", seen)
    paid = pre.pay(sessions, pid, "B-PRE-1", dt.date(YEAR, 6, 3), "caiwu1")
    assert pre.pay(sessions, pid, "B-PRE-1", dt.date(YEAR, 6, 3), "caiwu1").replayed
    # RULES §7 (turn 3): on its own detail account, 暂付款—月度预结金
    assert held(sessions, pharmacy, Fund.EMPLOYEE, role=Role.PRESETTLEMENT) == D("40000.00")
    assert held(sessions, pharmacy, Fund.EMPLOYEE) == 0
    with sessions() as s:  # 21§(一): the pharmacy's statement shows it (a pharmacy holds no annual advance)
        statement = reports.institution_statement(s, get_book(s, REGION, Fund.EMPLOYEE).id, pharmacy, "2026-01", "2026-12")
    assert statement.closing == D("40000.00") and "月度预结金" in statement.account_name
    assert first.presettlement_id != pid  # the draft counts against the month's limit until it is rejected
    books_sound(sessions)

    settlement.run_month(sessions, REGION, month, Fund.EMPLOYEE, "caiwu1", dt.date(YEAR, 6, 10))
    assert held(sessions, pharmacy, Fund.EMPLOYEE, role=Role.PRESETTLEMENT) == D("10000.00")  # May's 30,000 withheld
    settlement_file(sessions, dt.date(YEAR, 6, 1), {pharmacy: D("95000.00")})
    settlement.run_month(sessions, REGION, dt.date(YEAR, 6, 1), Fund.EMPLOYEE, "caiwu1", dt.date(YEAR, 7, 10))
    assert held(sessions, pharmacy, Fund.EMPLOYEE, role=Role.PRESETTLEMENT) == 0
    with sessions() as s:
        assert s.get(Receivable, paid.receivable_id).state == "recovered"
    books_sound(sessions)

    with pytest.raises(ServiceError) as settled_month:  # 第一款 is for a month whose settlement has not run
        pre.propose(*args, Case.CANNOT_SETTLE, D("50000.00"), D("40000.00"), "jiesuan1", budget_left=D("45000.00"))
    assert settled_month.value.field == "month"
    july = (sessions, REGION, pharmacy, Fund.EMPLOYEE, dt.date(YEAR, 7, 1))
    bureau_only = pre.propose(*july, Case.CANNOT_SETTLE, D("50000.00"), D("40000.00"), "jiesuan1",
                              budget_left=D("45000.00"))
    assert len(bureau_only.levels) == 3  # 26§ 第一款: Nantong's bureau chain, 财务 审核申报 among them
    seen = pre.current_hash(sessions, bureau_only.presettlement_id)
    for user in presettlement_signers(sessions, bureau_only.presettlement_id):
        pre.sign_off(sessions, bureau_only.presettlement_id, user, "同意", seen)
    assert pre.pay(sessions, bureau_only.presettlement_id, "B-PRE-2", dt.date(YEAR, 7, 20), "caiwu1").receivable_id


def test_20_an_overdue_demand_is_warned_about_once_a_day_until_it_is_settled(sessions, played):
    from prepay_admin.models import Notice

    code = played[0]
    triggers.record_trigger(sessions, REGION, code, TriggerKind.MISUSE, dt.date(YEAR, 3, 2), "挪用预付金", "jihe1")
    with sessions() as s:
        rid = s.scalar(select(Receivable.id).where(Receivable.fund == Fund.EMPLOYEE))
    receivables.demand(sessions, rid, dt.date(YEAR, 3, 3), "caiwu1")  # due 10 March
    assert receivables.warn_overdue(sessions, dt.date(YEAR, 3, 10)) == 0
    assert receivables.warn_overdue(sessions, dt.date(YEAR, 3, 11)) == 1
    assert receivables.warn_overdue(sessions, dt.date(YEAR, 3, 11)) == 0  # a second run the same day
    with sessions() as s:
        assert "逾期 1 天" in s.scalar(select(Notice.message))
    owed = held(sessions, code, Fund.EMPLOYEE)
    receivables.record_refund(sessions, rid, owed, dt.date(YEAR, 3, 12), "B-ALL", "caiwu1")
    assert receivables.warn_overdue(sessions, dt.date(YEAR, 3, 13)) == 0


def test_17_a_month_with_nothing_settled_for_an_institution_writes_no_voucher_for_it(sessions, played):
    settlement_file(sessions, dt.date(YEAR, 7, 1), {played[0]: D("0.00")})
    run = settlement.run_month(sessions, REGION, dt.date(YEAR, 7, 1), Fund.EMPLOYEE, "caiwu1", dt.date(YEAR, 8, 10))
    with sessions() as s:
        total = s.scalar(select(func.count()).select_from(Institution))
    assert run.institutions == total - 1
    books_sound(sessions)


def test_20_a_trigger_after_the_instructions_were_issued_voids_them_and_the_batch_completes(sessions):
    from prepay_admin.models import PaymentBatch, PaymentInstruction
    from prepay_admin.services import batch, payment
    from tests.cycle_helpers import listed_through_fixing, secure_and_sign

    rows = listed_through_fixing(sessions, institutions=30)
    signed = secure_and_sign(sessions, rows[:2])
    batch_id = batch.prepare(sessions, REGION, YEAR, "jiesuan1")
    for user in batch_signers(sessions, batch_id):
        batch.sign_off(sessions, batch_id, user, "同意", batch.current_hash(sessions, batch_id))
    ids = payment.issue(sessions, batch_id, "caiwu1", dt.date(YEAR, 1, 22))
    with sessions() as s:
        first, second = (s.get(PaymentInstruction, i) for i in ids[:1] + [ids[-1]])
        first_code, last_code = first.institution_code, second.institution_code
    for i in ids:
        with sessions() as s:
            if s.get(PaymentInstruction, i).institution_code == first_code:
                payment.confirm(sessions, i, f"B{i}", dt.date(YEAR, 1, 23), "caiwu1")
    done = triggers.record_trigger(sessions, REGION, last_code, TriggerKind.SPLIT_OR_MERGER, dt.date(YEAR, 1, 24),
                                   "合并协议", "jihe1")
    assert done.stopped == 1 and done.voided >= 1 and done.owed == {}  # nothing was paid to it yet
    with sessions() as s:
        assert s.get(PaymentBatch, batch_id).state == "paid"
    assert signed


def test_17_nobody_applying_for_the_next_year_by_its_deadline_clears_every_advance(sessions):
    from prepay_admin.services import year_end

    load_demo(sessions, institutions=12, seed=2026, year=2025, years=1)
    with pytest.raises(ServiceError) as early:  # applications for 2026 are still open
        year_end.close_year(sessions, REGION, 2025, "caiwu1", dt.date(2025, 12, 15))
    assert "2026 年度预付名单确定后" in early.value.message
    done = year_end.close_year(sessions, REGION, 2025, "caiwu1", dt.date(2026, 1, 26))  # nobody applied
    with sessions() as s:
        book = get_book(s, REGION, Fund.EMPLOYEE).id
        held = sum(reports.party_balances(s, book, Role.ADVANCE).values(), D(0))
        owed = s.scalars(select(Receivable.amount).where(Receivable.origin == "year-end:2025",
                                                         Receivable.fund == Fund.EMPLOYEE)).all()
    assert held > 0 and sum(owed, D(0)) == held  # every yuan held is owed back: 不再符合条件，全额扣回 (RULES §5)
    assert done.owed > 0


def test_13_an_advance_being_cleared_after_its_security_ended_is_a_debt_not_an_uncovered_advance(sessions):
    from prepay_admin.queries.ledger import audit
    from prepay_admin.services import year_end

    load_demo(sessions, institutions=12, seed=2026, year=2025, years=1)
    with sessions() as s:  # a day when every security registered for 2025 has ended
        after_the_year = max(s.scalars(select(SecurityPledge.valid_until))) + dt.timedelta(days=1)
    held_on = [b.message for b in audit(sessions, after_the_year) if b.code == "advance_without_security"]
    assert held_on, "an advance still in force past its security is a breach"
    year_end.close_year(sessions, REGION, 2025, "caiwu1", dt.date(2026, 1, 26))  # nobody applied for 2026
    assert audit(sessions, after_the_year) == []  # all owed back now: recovered from the settlements (RULES §5)
