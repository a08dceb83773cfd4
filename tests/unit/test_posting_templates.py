"""RULES §7 (21§): posting templates are pure and post the article's accounts."""
import datetime as dt
from decimal import Decimal as D

import pytest

from accounting import templates as t
from accounting.chart import Chart, Role
from accounting.entries import EntryDraft, LineDraft, content_hash, problems

DAY = dt.date(2026, 1, 25)


def sides(draft):
    return [(l.role, "Dr" if l.debit else "Cr", l.debit or l.credit, l.party) for l in draft.lines]


def test_21_2_paying_an_advance_debits_the_advance_and_credits_the_expenditure_account():
    draft = t.advance_paid("H1", D("1670000.00"), DAY, "payment:1")
    assert sides(draft) == [(Role.ADVANCE, "Dr", D("1670000.00"), "H1"),
                            (Role.EXPENDITURE_DEPOSIT, "Cr", D("1670000.00"), None)]
    assert problems(draft) == []


def test_21_2_an_advance_may_be_paid_from_the_fiscal_special_account():
    draft = t.advance_paid("H1", D("10"), DAY, "p", paid_from=Role.FISCAL_SPECIAL_DEPOSIT)
    assert draft.lines[1].role == Role.FISCAL_SPECIAL_DEPOSIT


def test_21_2_a_recovery_by_offset_debits_benefit_expense():
    assert sides(t.recovered_by_offset("H1", D("5"), DAY, "s")) == [
        (Role.BENEFIT_EXPENSE, "Dr", D("5"), None), (Role.ADVANCE, "Cr", D("5"), "H1")]


def test_21_2_a_refund_debits_the_account_it_is_paid_into():
    assert sides(t.recovered_by_refund("H1", D("5"), DAY, "s", paid_into=Role.FISCAL_SPECIAL_DEPOSIT)) == [
        (Role.FISCAL_SPECIAL_DEPOSIT, "Dr", D("5"), None), (Role.ADVANCE, "Cr", D("5"), "H1")]


def test_21_3_a_write_off_debits_other_expense_and_keeps_a_memo():
    draft = t.written_off("H1", D("5"), DAY, "w", "（2026）苏0602执1号", "通政复〔2026〕3号")
    assert sides(draft) == [(Role.OTHER_EXPENSE, "Dr", D("5"), None), (Role.ADVANCE, "Cr", D("5"), "H1")]
    assert draft.memo.court_document_ref == "（2026）苏0602执1号"


def test_20_2_6_a_write_off_needs_the_court_document_and_the_approval():
    with pytest.raises(ValueError):
        t.written_off("H1", D("5"), DAY, "w", "", "批准")


def test_a_bank_template_refuses_a_non_bank_account():
    with pytest.raises(ValueError):
        t.advance_paid("H1", D("5"), DAY, "p", paid_from=Role.OTHER_EXPENSE)


def test_a_reversal_exchanges_debit_and_credit():
    original = t.advance_paid("H1", D("7"), DAY, "p")
    rev = t.reversal(original, "记-2026-0001", DAY, "r", "金额录入错误")
    assert sides(rev) == [(Role.ADVANCE, "Cr", D("7"), "H1"), (Role.EXPENDITURE_DEPOSIT, "Dr", D("7"), None)]
    assert "记-2026-0001" in rev.summary and "金额录入错误" in rev.summary


@pytest.mark.parametrize(
    "lines, fragment",
    [
        ((LineDraft(Role.ADVANCE, debit=D("5"), party="H1"),), "至少需要两条"),
        ((LineDraft(Role.ADVANCE, debit=D("5"), party="H1"), LineDraft(Role.EXPENDITURE_DEPOSIT, credit=D("4"))), "借贷不平衡"),
        ((LineDraft(Role.ADVANCE, debit=D("-5"), party="H1"), LineDraft(Role.EXPENDITURE_DEPOSIT, debit=D("5"))), "有且只有一方为正数"),
        ((LineDraft(Role.ADVANCE, debit=D("5"), credit=D("5"), party="H1"), LineDraft(Role.EXPENDITURE_DEPOSIT)), "有且只有一方为正数"),
        ((LineDraft(Role.ADVANCE, debit=D("5")), LineDraft(Role.EXPENDITURE_DEPOSIT, credit=D("5"))), "须注明定点医疗机构"),
        ((LineDraft(Role.ADVANCE, debit=D("5"), party="H1"), LineDraft(Role.EXPENDITURE_DEPOSIT, credit=D("5"), party="H1")), "不按机构设明细"),
        ((LineDraft(Role.ADVANCE, debit=D("5.001"), party="H1"), LineDraft(Role.EXPENDITURE_DEPOSIT, credit=D("5.001"))), "两位小数"),
    ],
)
def test_an_entry_that_breaks_a_rule_says_which(lines, fragment):
    found = problems(EntryDraft(DAY, "摘要", "s", lines))
    assert any(fragment in p for p in found), found


def test_the_content_hash_tells_a_retry_from_a_different_request():
    a = t.advance_paid("H1", D("7"), DAY, "p")
    assert content_hash(a) == content_hash(t.advance_paid("H1", D("7.00"), DAY, "p"))
    assert content_hash(a) != content_hash(t.advance_paid("H1", D("8"), DAY, "p"))


def test_a_chart_must_name_every_role_once():
    with pytest.raises(ValueError):
        Chart.from_mapping({"advance": ("1", "暂付款")})


# RULES §7 (turn 3): the chart of what is held, what is released and what funds the payments

def test_26_a_pre_settlement_is_paid_and_recovered_on_its_own_detail_account():
    paid = t.advance_paid("P1", D("9"), DAY, "ps", account=Role.PRESETTLEMENT)
    assert sides(paid) == [(Role.PRESETTLEMENT, "Dr", D("9"), "P1"), (Role.EXPENDITURE_DEPOSIT, "Cr", D("9"), None)]
    assert "月度预结金" in paid.summary
    assert sides(t.recovered_by_refund("P1", D("9"), DAY, "r", account=Role.PRESETTLEMENT))[1] == (
        Role.PRESETTLEMENT, "Cr", D("9"), "P1")


def test_21_a_held_template_refuses_an_account_that_is_not_a_detail_of_the_advance():
    with pytest.raises(ValueError):
        t.advance_paid("H1", D("5"), DAY, "p", account=Role.BENEFIT_EXPENSE)


def test_17_a_settlement_posts_only_what_touches_the_prepayment_accounts():
    draft = t.monthly_settlement("H1", D("30"), DAY, "s", withheld_presettlement=D("20"), released=D("5"))
    assert sides(draft) == [(Role.BENEFIT_EXPENSE, "Dr", D("55"), None), (Role.ADVANCE, "Cr", D("30"), "H1"),
                            (Role.PRESETTLEMENT, "Cr", D("20"), "H1"), (Role.EXPENDITURE_DEPOSIT, "Cr", D("5"), None)]
    assert problems(draft) == []


def test_hb_5_a_month_that_withholds_and_releases_nothing_posts_nothing():
    """The payable and its net are the settlement system's; money held back is no expense while held
    (it is kept in the register of held payments), so such a month has no voucher here."""
    assert t.monthly_settlement("H1", D("0"), DAY, "s") is None


def test_hb_5_held_money_applied_is_an_expense_and_an_offset_now():
    assert sides(t.held_applied("H1", D("5"), DAY, "h")) == [
        (Role.BENEFIT_EXPENSE, "Dr", D("5"), None), (Role.ADVANCE, "Cr", D("5"), "H1")]


def test_20_2_6_money_recovered_in_the_write_offs_year_reduces_other_expense():
    draft = t.recovered_after_write_off("H1", D("5"), dt.date(2026, 11, 1), "a", 7, written_off_on=dt.date(2026, 3, 1))
    assert sides(draft)[1] == (Role.OTHER_EXPENSE, "Cr", D("5"), None)


def test_20_2_6_money_recovered_in_a_later_year_is_other_income():
    draft = t.recovered_after_write_off("H1", D("5"), dt.date(2027, 2, 1), "a", 7, written_off_on=dt.date(2026, 3, 1))
    assert sides(draft)[1] == (Role.OTHER_INCOME, "Cr", D("5"), None)


def test_21_what_a_deposit_pays_out_is_first_allotted_by_the_funds_main_accounts():
    assert sides(t.funded(D("7"), DAY, "f")) == [
        (Role.EXPENDITURE_DEPOSIT, "Dr", D("7"), None), (Role.FUNDING, "Cr", D("7"), None)]
    assert sides(t.funded(D("7"), DAY, "f", into=Role.FISCAL_SPECIAL_DEPOSIT))[0][0] == Role.FISCAL_SPECIAL_DEPOSIT


def test_a_chart_need_not_name_a_legacy_role():
    from accounting.chart import REQUIRED_ROLES

    chart = Chart.from_mapping({role.value: (str(i), role.value) for i, role in enumerate(REQUIRED_ROLES)})
    assert Role.OVERPAID not in {a.role for a in chart.accounts}
