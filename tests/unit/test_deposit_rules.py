"""DEPOSIT.md's rules as pure functions: the reference cell, the common groups, the profiles."""
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from prepay_admin.policy.deposit import Admission, Measure, cell_figures, common_groups, percentile
from prepay_admin.profiles.deposit import deposit_profile_from_text, load_deposit_profile, packaged_deposit_texts
from prepay_admin.profiles.schema import ProfileError

NATIONAL = load_deposit_profile("national-2025")


def stay(cost, fund, copay, self_pay, cash=None):
    return Admission(D(cost), D(fund), D(copay), D(self_pay), D(cash if cash is not None else copay))


def test_gz12_the_national_example_a_mean_cost_of_9000_and_a_mean_burden_of_3000():
    """国家通知: 次均费用 9,000 元，医保报销后个人平均自付 3,000 元 → 预交金不超过 3,000 元."""
    cell = cell_figures([stay("8000", "5500", "2000", "500"), stay("10000", "6500", "3000", "500")] * 10, NATIONAL)
    assert (cell.cases, cell.mean_cost, cell.reference) == (20, D("9000.00"), D("3000.00"))
    assert not cell.small and cell.median == D("3000.00") and cell.p75 == D("3500.00")


def test_gz12_the_measure_is_the_profiles_the_burden_by_default_the_copay_or_the_cash_beside_it():
    stays = [stay("9000", "6000", "2000", "1000", cash="1500")] * 20
    assert cell_figures(stays, NATIONAL).reference == D("3000.00")
    from dataclasses import replace
    assert cell_figures(stays, replace(NATIONAL, measure=Measure.COPAY)).reference == D("2000.00")
    assert cell_figures(stays, replace(NATIONAL, measure=Measure.CASH)).reference == D("1500.00")


def test_gz12_a_cell_below_the_minimum_cases_is_marked_small_never_dropped():
    cell = cell_figures([stay("9000", "6000", "2000", "1000")] * 19, NATIONAL)
    assert cell.small and cell.cases == 19 and cell.reference == D("3000.00")


@given(st.lists(st.decimals(min_value=0, max_value=100000, places=2), min_size=1, max_size=60))
def test_the_median_and_p75_lie_within_the_values_in_order(values):
    ordered = sorted(values)
    low, high = percentile(ordered, D("0.5")), percentile(ordered, D("0.75"))
    assert ordered[0] <= low <= high <= ordered[-1]


def test_gz18_common_groups_include_the_group_that_crosses_half_of_cost_or_of_admissions():
    groups = [("A", D("500"), 10), ("B", D("300"), 50), ("C", D("150"), 30), ("D", D("50"), 10)]
    shares = {g.group: g for g in common_groups(groups, D("0.5"))}
    assert {g for g, s in shares.items() if s.common_by_cost} == {"A"}  # 50% of cost exactly
    assert {g for g, s in shares.items() if s.common_by_admissions} == {"B"}  # 50 of 100 admissions
    assert shares["B"].cumulative_cost_share == D("0.8000") and shares["C"].cumulative_admission_share == D("0.8000")
    assert {g for g, s in shares.items() if s.common} == {"A", "B"}


@pytest.mark.parametrize("name", sorted(packaged_deposit_texts()))
def test_every_packaged_deposit_profile_validates_and_cites_its_articles(name):
    profile = load_deposit_profile(name)
    assert profile.window_years == 3 and profile.below_ratio == D("0.8") and profile.standard_change == D("0.10")
    assert name == "national-2025" or profile.article("measure") != "默认"


def test_gz18_jl18_missing_common_groups_are_a_breach_in_guizhou_and_a_signal_in_jilin():
    assert load_deposit_profile("guizhou-2025").missing_common_is_breach
    assert not load_deposit_profile("jilin-2025").missing_common_is_breach


def test_a_deposit_profile_is_refused_whole_with_every_problem_named():
    text = packaged_deposit_texts()["national-2025"].replace('below_ratio = "0.8"', 'below_ratio = "1.8"') \
        .replace("window_years = 3", "window_years = 0")
    with pytest.raises(ProfileError) as err:
        deposit_profile_from_text(text, "bad")
    assert {p for p, _ in err.value.problems} == {"/recompute/below_ratio", "/reference/window_years"}


def test_gz18_jl18_a_common_group_missing_from_the_table_is_a_breach_under_guizhou_and_a_signal_under_jilin():
    import datetime as dt

    from prepay_admin.policy.deposit import FindingKind, InsuranceClass, Published, check_table

    # by cost A makes half; by admissions B does: a table of C covers neither set, and lacks A (cost first)
    groups = common_groups([("A", D("500"), 10), ("B", D("300"), 50), ("C", D("200"), 40)], D("0.5"))
    table = [Published("C", InsuranceClass.EMPLOYEE, D("1000.00"), dt.date(2026, 1, 1), None)]
    for name, breach in (("guizhou-2025", True), ("jilin-2025", False)):
        found = check_table(table, {}, groups, load_deposit_profile(name))
        assert [(f.kind, f.group, f.breach) for f in found] == [(FindingKind.COMMON_MISSING, "A", breach)]


def test_gz12_a_deposit_at_the_reference_is_no_finding_one_fen_above_is():
    import datetime as dt

    from prepay_admin.policy.deposit import InsuranceClass, Published, check_table

    cell = cell_figures([stay("9000", "6000", "2000", "1000")] * 20, NATIONAL)
    at = [Published("A", InsuranceClass.EMPLOYEE, D("3000.00"), dt.date(2026, 1, 1), None)]
    above = [Published("A", InsuranceClass.EMPLOYEE, D("3000.01"), dt.date(2026, 1, 1), None)]
    assert check_table(at, {("A", InsuranceClass.EMPLOYEE): cell}, (), NATIONAL) == ()
    assert len(check_table(above, {("A", InsuranceClass.EMPLOYEE): cell}, (), NATIONAL)) == 1


def test_gz18_a_share_just_below_half_has_not_crossed_it_whatever_its_rounding():
    shares = {g.group: g for g in common_groups([("A", D("49999.50"), 1), ("B", D("30000.50"), 1),
                                                 ("C", D("20000.00"), 1)], D("0.5"))}
    assert shares["A"].cumulative_cost_share == D("0.5000")  # as shown
    assert {g for g, s in shares.items() if s.common_by_cost} == {"A", "B"}  # B is the group that crosses half


def test_gz12_a_countys_patient_is_local_under_city_pooling_and_another_citys_is_not():
    from prepay_admin.services.imports import insured_here
    assert insured_here("320600", "320681") and insured_here("320600", "320600")
    assert not insured_here("320600", "320100") and insured_here("320000", "320100")


@given(st.lists(st.tuples(*[st.integers(0, 5_000_000)] * 4), min_size=1, max_size=60),
       st.sampled_from(list(Measure)))
def test_gz12_the_reference_runs_fen_columns_give_the_figures_of_the_rule_in_yuan(stays, measure):
    """The reference run computes each cell over columns of integer fen (``cell_figures_fen``); they are the
    rule's figures in yuan: each mean the sum over the cases 四舍五入 to the fen, the median and P75
    interpolated between ranks."""
    from dataclasses import replace
    from decimal import ROUND_HALF_UP

    from prepay_admin.policy.deposit import StayColumns, cell_figures_fen

    profile = replace(NATIONAL, measure=measure)
    yuan = [[D(v).scaleb(-2) for v in s] for s in stays]
    admissions = [Admission(c + f + p + s, f, p, s, p) for c, f, p, s in yuan]  # cost covers the rest
    n = len(admissions)

    def mean(values):
        return (sum(values, D(0)) / n).quantize(D("0.01"), rounding=ROUND_HALF_UP)

    measured = sorted(a.measured(measure) for a in admissions)
    figures = cell_figures_fen(StayColumns(*([int(getattr(a, k).scaleb(2)) for a in admissions]
                                             for k in StayColumns._fields)), profile)
    assert figures == cell_figures(admissions, profile)
    assert (figures.cases, figures.mean_cost, figures.mean_fund, figures.reference) == (
        n, mean(a.cost for a in admissions), mean(a.fund for a in admissions), mean(measured))

    def interpolated(share):  # between ranks, as percentile_cont
        position = share * (n - 1)
        low = int(position)
        high = min(low + 1, n - 1)
        exact = measured[low] + (measured[high] - measured[low]) * (position - low)
        return exact.quantize(D("0.01"), rounding=ROUND_HALF_UP)

    assert (figures.median, figures.p75) == (interpolated(D("0.5")), interpolated(D("0.75")))
    assert (percentile(measured, D("0.5")), percentile(measured, D("0.75"))) == (figures.median, figures.p75)
