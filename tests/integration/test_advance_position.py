"""The advance position (RULES §5–§7): what an institution holds is read per fund and qualification year,
never from the 暂付款 balance; the offset comes first, always; a year end concerns its own year only.
Each test is a finding of the return path's review (issue 27), on both databases."""
from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from accounting.chart import Role
from accounting.models import JournalLine, LedgerAccount
from prepay_admin.models import (
    AnnualStanding,
    BatchItem,
    Campaign,
    Determination,
    FundPositionRecord,
    Institution,
    IssuedDocument,
    Receivable,
    Region,
    SettlementLine,
    Transition,
)
from prepay_admin.policy.facts import Fund
from prepay_admin.policy.recovery import Method, PresettlementCase, TriggerKind
from prepay_admin.policy.transitions import DeterminationState
from prepay_admin.queries.receivables import receivable_detail
from prepay_admin.services import (
    books,
    determination,
    documents,
    presettlement,
    receivables,
    settlement,
    triggers,
    year_end,
)
from prepay_admin.services.demo import load_demo
from prepay_admin.services.demo_cycle import play_cycle
from prepay_admin.services.demo_return import next_year_payouts
from prepay_admin.services.errors import ServiceError
from prepay_admin.services.positions import held_back, positions
from tests.cycle_helpers import region_ready
from tests.documents_helpers import docx_text
from tests.return_path_helpers import REGION, books_sound, held, settlement_file
from tests.signing_helpers import presettlement_signers

FIRST, SECOND = 2025, 2026


def _paid_codes(sessions, year: int) -> list[str]:
    with sessions() as s:
        return s.scalars(select(Institution.code).join(Determination, Determination.institution_id == Institution.id)
                         .join(Campaign, Campaign.id == Determination.campaign_id)
                         .where(Campaign.year == year, Determination.state == DeterminationState.PAID)
                         .order_by(Institution.code)).all()


def _positions(sessions, code: str) -> dict:
    with sessions() as s:
        region = s.scalar(select(Region).where(Region.code == REGION))
        inst_id = s.scalar(select(Institution.id).where(Institution.code == code))
        return {(f, y): p for (_, f, y), p in positions(s, region.id, institution_id=inst_id).items()}


def _first_year_paid(sessions, profile: str = "nantong-2025") -> list[str]:
    """2025 paid; 2026's facts (fund positions, standings, 2025's settlements) as the bureau would import them."""
    load_demo(sessions, institutions=12, seed=2026, year=FIRST, profile=profile)
    with sessions.begin() as s:
        region = s.scalar(select(Region).where(Region.code == REGION))
        for p in s.scalars(select(FundPositionRecord).where(FundPositionRecord.region_id == region.id)).all():
            s.add(FundPositionRecord(region_id=region.id, year=SECOND, fund=p.fund,
                                     cumulative_surplus=p.cumulative_surplus, monthly_expenditure=p.monthly_expenditure,
                                     last_year_current_balance=p.projected_current_balance,
                                     projected_current_balance=p.projected_current_balance))
        for a in s.scalars(select(AnnualStanding).join(Institution, Institution.id == AnnualStanding.institution_id)
                           .where(Institution.region_id == region.id, AnnualStanding.year == FIRST)).all():
            s.add(AnnualStanding(institution_id=a.institution_id, year=SECOND, assessment=a.assessment,
                                 credit_grade=a.credit_grade, performance_score=a.performance_score))
    next_year_payouts(sessions, REGION, FIRST)  # 2025's settlements: the base of 2026's advances (12§)
    return _paid_codes(sessions, FIRST)


def _presettle(sessions, code: str, fund: Fund, month: dt.date, amount: D, paid_on: dt.date) -> None:
    done = presettlement.propose(sessions, REGION, code, fund, month, PresettlementCase.CANNOT_SETTLE,
                                 amount * 2, amount, "jiesuan1", budget_left=amount * 2, reason="结算系统改造")
    for signer in presettlement_signers(sessions, done.presettlement_id):
        presettlement.sign_off(sessions, done.presettlement_id, signer, "同意",
                               presettlement.current_hash(sessions, done.presettlement_id))
    presettlement.pay(sessions, done.presettlement_id, f"P{done.presettlement_id}", paid_on, "caiwu1")


def test_17_a_pre_settlement_is_not_part_of_the_advance_held(sessions):
    """Finding 1: a December pre-settlement still open in January is no part of last year's advance: the
    new batch rolls over only the advance, and the year end claims nothing twice."""
    codes = _first_year_paid(sessions)
    advance = {code: _positions(sessions, code)[(Fund.EMPLOYEE, FIRST)].in_force for code in codes}
    for code in codes:
        _presettle(sessions, code, Fund.EMPLOYEE, dt.date(FIRST, 12, 1), D("290000.00"), dt.date(FIRST, 12, 20))
        # RULES §7 (turn 3): the pre-settlement is on its own detail account, the advance alone on its own
        assert held(sessions, code, Fund.EMPLOYEE) == advance[code]
        assert held(sessions, code, Fund.EMPLOYEE, role=Role.PRESETTLEMENT) == D("290000.00")
    play_cycle(sessions, REGION, SECOND, 2026)
    with sessions() as s:
        items = s.execute(select(BatchItem).join(Determination, Determination.id == BatchItem.determination_id)
                          .join(Campaign, Campaign.id == Determination.campaign_id)
                          .where(Campaign.year == SECOND, BatchItem.fund == Fund.EMPLOYEE,
                                 BatchItem.institution_code.in_(codes))).scalars().all()
    assert items and any(item.held < item.determined for item in items)  # a top-up, where the defect bit
    for item in items:
        assert item.held == min(advance[item.institution_code], item.determined)
        assert item.held + item.amount == item.determined
    year_end.close_year(sessions, REGION, FIRST, "caiwu1", dt.date(SECOND, 1, 26))
    for item in items:
        position = _positions(sessions, item.institution_code)
        assert position[(Fund.EMPLOYEE, SECOND)].in_force == item.determined  # what it holds of 2026
        assert position[(Fund.EMPLOYEE, FIRST)].in_force == 0
    books_sound(sessions)


def test_20_2_1_a_trigger_is_offset_first_and_a_refund_cannot_switch_the_offset_off(sessions):
    """Finding 2: only a year end's 多退 difference may wait for a refund; a trigger's debt is withheld
    from the next settlement whatever was asked of the institution."""
    code = _first_year_paid(sessions)[0]
    triggers.record_trigger(sessions, REGION, code, TriggerKind.ASSET_SEIZURE, dt.date(SECOND, 2, 3), "财保 1 号",
                            "jihe1")
    with sessions() as s:
        rid = s.scalar(select(Receivable.id).where(Receivable.fund == Fund.EMPLOYEE))
    with pytest.raises(ServiceError) as refused:
        receivables.choose_method(sessions, rid, Method.REFUND, "caiwu1", "机构申请交回")
    assert refused.value.field == "method" and "20§(二)1" in refused.value.message
    receivables.demand(sessions, rid, dt.date(SECOND, 2, 4), "caiwu1")  # a demand runs beside the offset
    owed = receivables.still_owed(sessions, rid)
    settlement_file(sessions, dt.date(SECOND, 2, 1))
    settlement.run_month(sessions, REGION, dt.date(SECOND, 2, 1), Fund.EMPLOYEE, "caiwu1", dt.date(SECOND, 3, 10))
    with sessions() as s:
        line = s.scalar(select(SettlementLine).where(SettlementLine.institution_code == code))
    assert line.withheld == min(line.payable, owed) and (line.net == 0 or line.still_owed == 0)
    books_sound(sessions)


def test_hb_5_held_settlements_are_applied_once_the_refund_is_due_never_released_while_owed(sessions):
    """Finding 3: money held back from a triggered institution is applied to its debt once the refund's
    due date passes; only the surplus is released, and a write-off waits while held money could cover it."""
    code = _first_year_paid(sessions, "hebei-2024")[0]
    triggers.record_trigger(sessions, REGION, code, TriggerKind.ASSET_SEIZURE, dt.date(SECOND, 2, 26), "财保 2 号",
                            "jihe1")  # to be refunded within 5 working days: by 5 March
    with sessions() as s:
        rid = s.scalar(select(Receivable.id).where(Receivable.fund == Fund.EMPLOYEE))
    owed = receivables.still_owed(sessions, rid)
    settlement_file(sessions, dt.date(SECOND, 2, 1), {code: owed + D("1000.00")})
    settlement.run_month(sessions, REGION, dt.date(SECOND, 2, 1), Fund.EMPLOYEE, "caiwu1", dt.date(SECOND, 3, 2))
    with sessions() as s:
        kept = s.scalar(select(SettlementLine).where(SettlementLine.institution_code == code))
    assert (kept.held, kept.withheld, kept.net) == (owed + D("1000.00"), 0, 0)  # the refund is not due yet
    # RULES §7 (turn 3): no expense while held: nothing posted, the money is in the register of held payments
    assert kept.ledger_entry_id is None
    with sessions() as s:
        inst_id = s.scalar(select(Institution.id).where(Institution.code == code))
        region_id = s.scalar(select(Region.id).where(Region.code == REGION))
        assert held_back(s, region_id, Fund.EMPLOYEE) == {(inst_id, Fund.EMPLOYEE): owed + D("1000.00")}
    books_sound(sessions)
    receivables.demand(sessions, rid, dt.date(SECOND, 3, 3), "caiwu1")
    # HB 五: the demand and the screen word the court route as the Hebei text does
    text = docx_text(documents.issue(sessions, "demand", REGION, "caiwu1", receivable_id=rid).data)
    assert "依法申请强制执行" in text and "提起诉讼" not in text and "第二十条" not in text
    assert receivable_detail(sessions, rid, dt.date(SECOND, 3, 3)).court_action == "依法申请强制执行"
    with pytest.raises(ServiceError) as waits:
        receivables.take_to_court(sessions, rid, "litigation", "（2026）冀01民初1号", "法院", dt.date(SECOND, 3, 20),
                                  "起诉状", "caiwu1")
    assert waits.value.field == "receivable"
    settlement_file(sessions, dt.date(SECOND, 3, 1), {code: D("500.00")})
    settlement.run_month(sessions, REGION, dt.date(SECOND, 3, 1), Fund.EMPLOYEE, "caiwu1", dt.date(SECOND, 4, 10))
    with sessions() as s:
        applied = s.scalars(select(SettlementLine).where(SettlementLine.institution_code == code)
                            .order_by(SettlementLine.id)).all()[-1]
    assert applied.withheld == owed and applied.released == D("1000.00") and applied.net == D("1500.00")
    assert receivables.still_owed(sessions, rid) == 0
    with sessions() as s:  # applied and released, the held money becomes an expense now; the register is empty
        lines = {(r.value, "Dr" if dr else "Cr", dr or cr) for r, dr, cr in s.execute(
            select(LedgerAccount.role, JournalLine.debit, JournalLine.credit)
            .join(LedgerAccount, LedgerAccount.id == JournalLine.account_id)
            .where(JournalLine.entry_id == applied.ledger_entry_id))}
        assert lines == {("benefit_expense", "Dr", owed + D("1000.00")), ("advance", "Cr", owed),
                         ("expenditure_deposit", "Cr", D("1000.00"))}
        assert held_back(s, region_id, Fund.EMPLOYEE) == {}
    books_sound(sessions)


def test_hb_2_4_a_late_year_end_claims_its_own_year_never_the_next_years_advance(sessions):
    """Finding 4: the 2025 year end run after the 2026 payment claims what was advanced for 2025 only."""
    _first_year_paid(sessions, "hebei-2024")
    play_cycle(sessions, REGION, SECOND, 2026)
    with sessions() as s:
        region = s.scalar(select(Region).where(Region.code == REGION))
        before = positions(s, region.id)
    done = year_end.close_year(sessions, REGION, FIRST, "caiwu1", dt.date(SECOND, 3, 2))
    first_advanced = sum((p.advanced for (_, _, y), p in before.items() if y == FIRST), D(0))
    assert done.owed == first_advanced > 0
    with sessions() as s:
        after = positions(s, region.id)
        assert s.scalar(select(func.count()).select_from(Receivable).where(Receivable.advance_year == SECOND)) == 0
    assert all(after[k].in_force == p.in_force for k, p in before.items() if k[2] == SECOND)
    books_sound(sessions)


def test_17_running_a_year_end_again_changes_nothing_and_defaults_to_the_year_due(sessions):
    """Finding 5: a year end done is done: run again (after the next year's top-ups) it says so and
    books nothing; the form then offers the year that is due, not the earliest."""
    load_demo(sessions, institutions=12, seed=2026, year=SECOND, years=2)
    with sessions() as s:
        receivables_before = s.scalar(select(func.count()).select_from(Receivable))
        region_id = s.scalar(select(Region.id).where(Region.code == REGION))
        assert year_end.due_year(s, region_id, dt.date(SECOND, 12, 7)) == SECOND
    again = year_end.close_year(sessions, REGION, FIRST, "caiwu1", dt.date(SECOND, 11, 30))
    assert again.already_done and again.owed == 0
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Receivable)) == receivables_before
    books_sound(sessions)


def test_22_a_rollover_covered_by_what_is_held_counts_as_paid(sessions):
    """Finding 6: a determination whose new amount is covered by what the institution holds is rolled
    over when its batch is issued: paid for the public list, the dashboard and the reminders."""
    load_demo(sessions, institutions=12, seed=2026, year=SECOND, years=2)
    with sessions() as s:
        rolled = s.execute(select(Transition.object_id).where(Transition.machine == "determination",
                                                              Transition.action == "roll_over")).scalars().all()
        assert rolled
        assert {d.state for d in s.scalars(select(Determination).where(Determination.id.in_(rolled)))} == {"paid"}
        campaign = s.scalar(select(Campaign).where(Campaign.year == SECOND))
        assert s.scalar(select(func.count()).select_from(Determination).where(
            Determination.campaign_id == campaign.id, Determination.state == DeterminationState.SIGNED)) == 0


def test_15_the_list_is_not_fixed_before_the_application_deadline(sessions):
    """Finding 9: applications are open until 31 December; a list fixed earlier is refused."""
    from prepay_admin.services import applications
    from prepay_admin.services.campaign import open_campaign

    region_ready(sessions, institutions=6)
    open_campaign(sessions, REGION, SECOND, "caiwu1")
    with sessions() as s:
        code = s.scalars(select(Institution.code).order_by(Institution.code)).first()
    applications.apply(sessions, REGION, SECOND, code, applications.clean_answers(), dt.date(FIRST, 12, 20),
                       "jiesuan1")
    determination.determine(sessions, REGION, SECOND, "jiesuan1")
    with pytest.raises(ServiceError) as early:
        determination.fix_list(sessions, REGION, SECOND, "jiesuan1", dt.date(FIRST, 12, 28))
    assert early.value.field == "today" and "申请受理至" in early.value.message
    determination.fix_list(sessions, REGION, SECOND, "jiesuan1", dt.date(SECOND, 1, 4))


def test_21_a_period_that_has_not_ended_cannot_be_closed(sessions):
    """Finding 11: closing this month or a later one would refuse every posting of today."""
    from prepay_admin import clock

    region_ready(sessions, institutions=3)
    today = clock.today()
    for period in (f"{today:%Y-%m}", f"{today.year + 1}-01"):
        with pytest.raises(ServiceError) as refused:
            books.close_period(sessions, REGION, Fund.EMPLOYEE, period, "caiwu1")
        assert refused.value.field == "period" and "尚未结束" in refused.value.message
    last_month = (today.replace(day=1) - dt.timedelta(days=1))
    assert books.close_period(sessions, REGION, Fund.EMPLOYEE, f"{last_month:%Y-%m}", "caiwu1") == f"{last_month:%Y-%m}"


def test_20_2_3_a_successor_owes_what_held_back_settlements_did_not_cover_and_is_not_held_itself(sessions):
    """RULES §6 with 20§(二)3 (HB 五): before a debt passes to the successor, what was held back from the
    institution is applied to it; the successor owes only the difference, and its own settlements are
    not held back for the other institution's trigger."""
    codes = _first_year_paid(sessions, "hebei-2024")
    code, successor = codes[0], codes[1]
    triggers.record_trigger(sessions, REGION, code, TriggerKind.OWNERSHIP_CHANGE, dt.date(SECOND, 2, 26), "并购协议",
                            "jihe1")
    with sessions() as s:
        rid = s.scalar(select(Receivable.id).where(Receivable.fund == Fund.EMPLOYEE))
    owed = receivables.still_owed(sessions, rid)
    half = (owed / 2).quantize(D("0.01"))
    settlement_file(sessions, dt.date(SECOND, 2, 1), {code: half})
    settlement.run_month(sessions, REGION, dt.date(SECOND, 2, 1), Fund.EMPLOYEE, "caiwu1", dt.date(SECOND, 3, 2))
    done = receivables.transfer_to_successor(sessions, rid, successor, "并购协议及变更登记", dt.date(SECOND, 3, 3),
                                             "caiwu1")
    assert (done.applied, done.amount) == (half, owed - half) and done.successor_receivable_id
    assert held(sessions, code, Fund.EMPLOYEE) == 0
    settlement_file(sessions, dt.date(SECOND, 3, 1), {successor: D("50000.00")})
    settlement.run_month(sessions, REGION, dt.date(SECOND, 3, 1), Fund.EMPLOYEE, "caiwu1", dt.date(SECOND, 4, 10))
    with sessions() as s:
        line = s.scalars(select(SettlementLine).where(SettlementLine.institution_code == successor)
                         .order_by(SettlementLine.id)).all()[-1]
    assert line.held == 0 and line.withheld == min(D("50000.00"), owed - half)
    books_sound(sessions)


def test_5_a_year_end_is_for_a_year_whose_december_has_come(sessions):
    """RULES §5: the year end of a year still running, of a year to come or of no year is refused,
    naming the year, and changes nothing."""
    _first_year_paid(sessions)
    for year, on in ((FIRST, dt.date(FIRST, 11, 30)), (SECOND, dt.date(SECOND, 3, 2)), (0, dt.date(SECOND, 3, 2)),
                     (SECOND + 1, dt.date(SECOND, 3, 2))):
        with pytest.raises(ServiceError) as refused:
            year_end.close_year(sessions, REGION, year, "caiwu1", on)
        assert refused.value.field == "year", (year, refused.value.message)
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Receivable)) == 0


def test_10_2_a_declared_failure_and_a_triggers_seizure_refuse_until_inspection_lifts_them(sessions):
    """Findings 7 and 13 (RULES §2, turn 3): an applicant that declares an asset seizure or a failed
    assessment on its self-check is refused citing 10§ and 申请人自查; a trigger's asset seizure, even one
    recorded after the application, stays a condition of later determinations; each refuses until 稽核
    records the evidence that it does not apply, and a lift never ends a trigger recorded after it."""
    from prepay_admin.policy.facts import Flag
    from prepay_admin.services import applications, conditions
    from prepay_admin.services.campaign import open_campaign

    codes = _first_year_paid(sessions)
    declaring, failing, seized = codes[0], codes[1], codes[2]
    open_campaign(sessions, REGION, SECOND, "caiwu1")
    answers = {declaring: {**applications.clean_answers(), "asset_seizure": True},
               failing: {**applications.clean_answers(), "last_assessment": "fail"},
               seized: applications.clean_answers()}
    for code, answer in answers.items():
        applications.apply(sessions, REGION, SECOND, code, answer, dt.date(FIRST, 12, 20), "jiesuan1")
    with pytest.raises(ServiceError) as nothing:  # nothing is lifted before it is raised
        conditions.lift(sessions, REGION, seized, Flag.ASSET_SEIZURE.value, "trigger", "预先解除", "jihe1")
    assert nothing.value.field == "condition"
    triggers.record_trigger(sessions, REGION, seized, TriggerKind.ASSET_SEIZURE, dt.date(FIRST, 12, 28), "财保 9 号",
                            "jihe1")  # after its application: it still counts

    def reasons_of(code):
        determination.determine(sessions, REGION, SECOND, "jiesuan1")
        with sessions() as s:
            det = s.scalar(select(Determination).join(Institution, Institution.id == Determination.institution_id)
                           .join(Campaign, Campaign.id == Determination.campaign_id)
                           .where(Institution.code == code, Campaign.year == SECOND)
                           .order_by(Determination.run.desc()).limit(1))
            return det.eligible, det.reasons_json

    eligible, why = reasons_of(declaring)
    assert not eligible and "存在财产被保全情形（申请人自查）" in why and "10§(二)" in why
    eligible, why = reasons_of(failing)
    assert not eligible and "不合格" in why and "申请人自查" in why
    eligible, why = reasons_of(seized)
    assert not eligible and "收回情形：财产被保全" in why

    with pytest.raises(ServiceError) as wrong_department:
        conditions.lift(sessions, REGION, declaring, Flag.ASSET_SEIZURE.value, "self_check", "法院解除保全", "caiwu1",
                        year=SECOND)
    assert wrong_department.value.field == "user"
    with pytest.raises(ServiceError) as no_evidence:
        conditions.lift(sessions, REGION, declaring, Flag.ASSET_SEIZURE.value, "self_check", " ", "jihe1", year=SECOND)
    assert no_evidence.value.field == "evidence"
    conditions.lift(sessions, REGION, declaring, Flag.ASSET_SEIZURE.value, "self_check",
                    "（2025）苏0602执保12号之二解除保全裁定书", "jihe1", year=SECOND)
    conditions.lift(sessions, REGION, failing, "assessment", "self_check", "考核结果通报：良好，自查填报有误",
                    "jihe1", year=SECOND)
    conditions.lift(sessions, REGION, seized, Flag.ASSET_SEIZURE.value, "trigger", "保全已解除", "jihe1")
    with pytest.raises(ServiceError) as twice:
        conditions.lift(sessions, REGION, seized, Flag.ASSET_SEIZURE.value, "trigger", "再次解除", "jihe1")
    assert twice.value.field == "condition"
    for code in (declaring, failing, seized):
        eligible, why = reasons_of(code)
        assert "申请人自查" not in why and "收回情形" not in why, (code, why)
    triggers.record_trigger(sessions, REGION, seized, TriggerKind.ASSET_SEIZURE, dt.date(FIRST, 12, 30), "财保 10 号",
                            "jihe1")  # a new seizure after the lift: the old lift does not end it
    eligible, why = reasons_of(seized)
    assert not eligible and "收回情形：财产被保全" in why


@pytest.mark.parametrize("profile", ["nantong-2025", "hebei-2024"])
def test_22_the_public_list_of_each_year_is_what_was_advanced_for_it(sessions, profile):
    """Issue 27: played over two years, each year's public list (22§(一)) totals, per fund, exactly what the
    positions say was advanced for that year (paid or rolled over), and no determination is left signed
    and unpaid (no false overdue on the dashboard and the pay-by reminders)."""
    from prepay_admin.services import documents

    load_demo(sessions, institutions=12, seed=2026, year=SECOND, years=2, profile=profile)
    with sessions() as s:
        region_id = s.scalar(select(Region.id).where(Region.code == REGION))
        every = positions(s, region_id)
        assert s.scalar(select(func.count()).select_from(Determination).where(
            Determination.state == DeterminationState.SIGNED)) == 0
    for year in (FIRST, SECOND):
        issued = documents.issue(sessions, "public_list", REGION, "jiesuan1", year=year)
        with sessions() as s:
            totals = json.loads(s.get(IssuedDocument, issued.id).source_json)["totals"]
        for fund in Fund:
            advanced = sum((p.advanced for (_, f, y), p in every.items() if f == fund and y == year), D("0.00"))
            assert D(totals[fund.value]) == advanced > 0, (year, fund)


def test_17_the_annual_clearing_settlement_withholds_what_is_owed_as_a_month_does(sessions):
    """Finding 13 (RULES §5, 20§(二)1 从月度结算或年度清算款项中扣回): the settlement feed's annual clearing
    carries a deduction; it is run once per year and fund, from its own import kind."""
    from prepay_admin.services.imports import import_file

    code = _first_year_paid(sessions)[0]
    triggers.record_trigger(sessions, REGION, code, TriggerKind.MISUSE, dt.date(FIRST, 11, 3), "挪用预付金", "jihe1")
    with sessions() as s:
        rid = s.scalar(select(Receivable.id).where(Receivable.fund == Fund.EMPLOYEE))
    owed = receivables.still_owed(sessions, rid)
    csv = f"机构编码,清算年度,险种,年度清算金额\n{code},{FIRST},职工,{owed + D('12345.67')}\n".encode()
    report = import_file(sessions, "jiesuan1", REGION, "clearing", "清算.csv", io.BytesIO(csv))
    assert report.added == 1
    with pytest.raises(ServiceError) as early:  # a year is cleared once it has ended
        settlement.run_clearing(sessions, REGION, SECOND, Fund.EMPLOYEE, "caiwu1", dt.date(SECOND, 3, 1))
    assert early.value.field == "settled_on"
    done = settlement.run_clearing(sessions, REGION, FIRST, Fund.EMPLOYEE, "caiwu1", dt.date(SECOND, 2, 10))
    assert (done.kind, done.withheld, done.net) == ("annual_clearing", owed, D("12345.67"))
    again = settlement.run_clearing(sessions, REGION, FIRST, Fund.EMPLOYEE, "caiwu1", dt.date(SECOND, 2, 10))
    assert again.replayed and again.run_id == done.run_id
    assert receivables.still_owed(sessions, rid) == 0
    books_sound(sessions)


def test_hb_5_the_register_of_held_payments_cannot_be_rewritten_and_a_forged_row_is_named(sessions, engine):
    """The register pays out what it says is held: the database refuses to change or delete a row of it,
    and a row added past the services (held money no settlement held) breaks ``held_untied``."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    from prepay_admin.models import HeldPayment
    from prepay_admin.queries.positions import held_untied

    code = _first_year_paid(sessions, "hebei-2024")[0]
    triggers.record_trigger(sessions, REGION, code, TriggerKind.ASSET_SEIZURE, dt.date(SECOND, 2, 26), "财保 9 号",
                            "jihe1")
    settlement_file(sessions, dt.date(SECOND, 2, 1), {code: D("5000.00")})
    settlement.run_month(sessions, REGION, dt.date(SECOND, 2, 1), Fund.EMPLOYEE, "caiwu1", dt.date(SECOND, 3, 2))
    with sessions() as s:
        assert held_untied(s) == []
        row = s.scalar(select(HeldPayment))
        inst_id, region_id = row.institution_id, row.region_id
    for statement in ("UPDATE held_payment SET amount = amount * 10", "DELETE FROM held_payment"):
        with pytest.raises(DBAPIError), engine.begin() as conn:
            conn.execute(text(statement))
    with sessions.begin() as s:  # forged: 123,456.00 "held" that no run held
        s.add(HeldPayment(region_id=region_id, institution_id=inst_id, fund=Fund.EMPLOYEE, kind="held",
                          amount=D("123456.00"), on=dt.date(SECOND, 3, 2), ref="伪造", recorded_by="x"))
    with sessions() as s:
        assert {b.code for b in held_untied(s)} == {"held_untied"}  # the sums differ; a row no run made
