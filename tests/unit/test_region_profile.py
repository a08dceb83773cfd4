"""A third region's rules as data (issue 14): a profile written only for the tests (one month for every
institution, 100% for every grade, ¥1,000 rounding, a ¥50,000 minimum, no security, its own fund
thresholds) judged by the same engine, with the figures worked out by hand. Nothing under
``prepay_admin/`` names this profile."""
import datetime as dt
from decimal import Decimal as D
from pathlib import Path

import pytest

from prepay_admin.policy.engine import evaluate
from prepay_admin.policy.facts import CreditGrade, Fund, Payout
from prepay_admin.policy.parameters import differences, parameters
from prepay_admin.profiles import ProfileError, load_profile, profile_from_text
from tests.builders import fund, institution, region

TEXT = (Path(__file__).parents[1] / "data/profiles/lakeside-2026.toml").read_text(encoding="utf-8")
LAKESIDE = profile_from_text(TEXT)


def monthly(amount: str, fund_: Fund = Fund.EMPLOYEE, out: str = "0") -> tuple[Payout, ...]:
    return tuple(Payout(dt.date(2025, m, 1), fund_, D(amount), D(out)) for m in range(1, 13))


def test_13_one_month_at_100_percent_rounded_half_up_to_1000_whatever_the_score_and_grade():
    # base 123,456.78 a month (local), score 61, grade C, no security:
    # 123,456.78 × 1 × 100% = 123,456.78 → half up to 1,000 → 123,000
    inst = institution(payouts=monthly("123456.78"), performance_score=D("61"), credit_grade=CreditGrade.C,
                       security=None)
    (a,) = evaluate(region(inst, funds=(fund(Fund.EMPLOYEE),)), LAKESIDE).institutions[0].advances
    assert (a.base, a.raw, a.amount) == (D("123456.78"), D("123456.78"), D("123000.00"))


@pytest.mark.parametrize("local, expected", [
    ("49500.00", "50000.00"),  # 49,500 → 50,000: at the minimum, advanced
    ("49499.99", "0.00"),  # 49,499.99 → 49,000: under ¥50,000, nothing
    ("50500.00", "51000.00"),  # half up: 50,500 → 51,000
])
def test_13_the_regions_own_minimum_and_rounding_unit(local, expected):
    inst = institution(payouts=monthly(local), security=None)
    (a,) = evaluate(region(inst, funds=(fund(Fund.EMPLOYEE),)), LAKESIDE).institutions[0].advances
    assert a.amount == D(expected)


def test_9_the_regions_own_fund_thresholds_nine_and_four_and_a_half_months():
    # 850 / 100 = 8.5 months < 9 for the employee fund; 460 / 100 = 4.6 ≥ 4.5 for the resident fund
    inst = institution(payouts=monthly("200000") + monthly("100000", Fund.RESIDENT), security=None)
    result = evaluate(region(inst, funds=(fund(Fund.EMPLOYEE, surplus="850"), fund(Fund.RESIDENT, surplus="460",
                                                                                  projected="-1"))), LAKESIDE)
    by_fund = {a.fund: a.amount for a in result.institutions[0].advances}
    assert by_fund == {Fund.EMPLOYEE: D("0.00"), Fund.RESIDENT: D("100000.00")}  # no refusal on a projected deficit


def test_14_the_profile_cites_its_own_articles_and_says_where_it_keeps_a_default():
    inst = institution(payouts=monthly("10000"), security=None)
    reasons = evaluate(region(inst, funds=(fund(Fund.EMPLOYEE),)), LAKESIDE).institutions[0].advances[0].reasons
    assert [(r.code, r.article) for r in reasons] == [("amount_below_minimum", "湖第五条")]


def test_14_parameters_and_their_differences_are_listed_by_path():
    lakeside, nantong = parameters(LAKESIDE), parameters(load_profile("nantong-2025"))
    assert lakeside["amount.rounding_unit"] == "1000" and lakeside["accounts.advance"] == "1221 暂付款—医保预付金"
    changed = {d.path: (d.left, d.right) for d in differences(nantong, lakeside)}
    assert changed["amount.minimum"] == ("100000", "50000")
    assert changed["year_end.mode"] == ("rollover", "recover")
    assert changed["eligibility.bar_years"] == ("3", "2")
    assert "amount.cap_rounding_mode" not in changed  # the same in both: not listed


def test_14_a_malformed_profile_is_refused_whole_with_every_problem_listed():
    bad = (TEXT.replace('minimum = "50000"', "minimum = 50000.5")  # a float
           .replace("min_level = 0", "min_level = 0\nmaximum_level = 3")  # an unknown key
           .replace("list_fixed_by = { month = 1, day = 8 }", "list_fixed_by = { month = 13, day = 8 }"))  # month 13
    bad = bad[:bad.index("[year_end]")] + bad[bad.index("[presettlement]"):]  # a missing table
    with pytest.raises(ProfileError) as err:
        profile_from_text(bad)
    problems = dict(err.value.problems)
    assert problems["amount.minimum"].startswith("须为字符串形式的数字") and "50000.5" in problems["amount.minimum"]
    assert problems["eligibility.maximum_level"] == "未知字段"
    assert "12" in problems["calendar.list_fixed_by.month"]
    assert "year_end" in problems
    assert len(err.value.problems) == 4


def test_14_a_toml_syntax_error_names_its_line_in_chinese():
    with pytest.raises(ProfileError) as err:
        profile_from_text('name = "x"\nversion = = 1\n')
    ((_, message),) = err.value.problems
    assert message.startswith("TOML 语法错误（第 2 行")


def test_14_a_profile_name_is_a_lowercase_slug():
    with pytest.raises(ProfileError) as err:
        profile_from_text(TEXT.replace('name = "lakeside-2026"', 'name = "湖滨 2026"'))
    assert dict(err.value.problems)["name"].startswith("须为小写字母")


def test_14_hostile_values_in_a_profile_file_are_each_named():
    bad = (TEXT.replace('name = "lakeside-2026"', 'name = "lakeside-2026 ; x"')
           .replace('version = 1', 'version = 99999')
           .replace('advance = { code = "1221"', 'advance = { code = "1221; DROP TABLE"')
           .replace('name = "其他支出" }', 'name = "' + "长" * 61 + '" }')
           .replace('minimum = "50000"', "minimum = 1979-05-27"))
    with pytest.raises(ProfileError) as err:
        profile_from_text(bad)
    assert sorted(dict(err.value.problems)) == ["accounts.advance.value.code", "accounts.other_expense.value.name",
                                                "amount.minimum", "name", "version"]


def test_14_every_problem_of_a_profile_file_is_said_in_chinese():
    with pytest.raises(ProfileError) as err:
        profile_from_text('name = "x"\nversion = 1\n[accounts]\nadvance = 3\n[articles]\nfund_closed = 9\n')
    problems = dict(err.value.problems)
    assert problems["accounts.advance.value"] == "须为表（名称 = 值）"
    assert problems["articles.fund_closed.value"] == "须为字符串"
    assert all(not message.isascii() for message in problems.values()), problems
