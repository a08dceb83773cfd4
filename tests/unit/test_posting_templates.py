"""RULES §7 (21§): posting templates are pure and post the article's accounts."""
import datetime as dt
from decimal import Decimal as D

import pytest

from accounting.chart import Chart, Role
from accounting.entries import EntryDraft, LineDraft, content_hash, problems
from accounting import templates as t

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
