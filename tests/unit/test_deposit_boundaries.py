"""DEPOSIT.md, the "Done when" of issue 31: the national worked example and the boundary of each check, as
pure computations, under each province's profile (national, GZ, JL, XJ): each parameter read from the
profile, so a province that moved one would move the boundary with it."""
import datetime as dt
from decimal import Decimal as D

import pytest

from prepay_admin.policy.deposit import (
    Admission,
    FindingKind,
    InsuranceClass,
    MonthActual,
    Published,
    StandardChange,
    below_streak,
    cell_figures,
    check_table,
    check_triggers,
    check_update,
    common_groups,
    standard_moved,
)
from prepay_admin.profiles.deposit import load_deposit_profile, packaged_deposit_texts

PROFILES = sorted(packaged_deposit_texts())
EMP = InsuranceClass.EMPLOYEE


def national_cell(profile, cases=None):
    """DEPOSIT.md's national case: a mean cost of 9,000 and a mean burden (自付 + 自费) of 3,000."""
    n = cases if cases is not None else profile.min_cases
    stays = [Admission(D("9000.00"), D("6000.00"), D("2000.00"), D("1000.00"), D("3000.00")) for _ in range(n)]
    return cell_figures(stays, profile)


def line(amount, group="GB19", effective=dt.date(2026, 1, 1), prior=None):
    return Published(group, EMP, D(amount), effective, None if prior is None else D(prior))


@pytest.mark.parametrize("name", PROFILES)
def test_rule1_the_national_example_a_deposit_of_3000_passes_and_3001_fails(name):
    profile = load_deposit_profile(name)
    cell = national_cell(profile)
    assert (cell.mean_cost, cell.reference, cell.small) == (D("9000.00"), D("3000.00"), False)
    reference = {("GB19", EMP): cell}
    assert profile.tolerance == 0  # every text: 不得高于
    assert check_table([line("3000.00")], reference, (), profile) == ()
    found = check_table([line("3001.00")], reference, (), profile)
    assert [f.kind for f in found] == [FindingKind.ABOVE_REFERENCE] and found[0].breach
    assert check_table([line("3000.01")], reference, (), profile)[0].reference == D("3000.00")


@pytest.mark.parametrize("name", PROFILES)
def test_rule1_one_case_below_the_minimum_is_no_basis_for_a_finding(name):
    profile = load_deposit_profile(name)
    short = national_cell(profile, profile.min_cases - 1)
    assert short.small and short.cases == profile.min_cases - 1
    assert check_table([line("9999.00")], {("GB19", EMP): short}, (), profile) == ()
    assert check_table([line("9999.00")], {("GB19", EMP): national_cell(profile)}, (), profile)


@pytest.mark.parametrize("name", PROFILES)
def test_rule3_the_group_that_reaches_the_share_is_common_the_next_is_not(name):
    profile = load_deposit_profile(name)
    # A alone makes exactly half of cost and of admissions: it crosses, and it alone is common
    exactly = {g.group: g for g in common_groups([("A", D("5000"), 2), ("B", D("3000"), 1), ("C", D("2000"), 1)],
                                                 profile.common_share)}
    assert exactly["A"].common and not exactly["B"].common and not exactly["C"].common
    assert check_table([line("1.00", group="A")], {}, exactly.values(), profile) == ()
    # A makes 49.99% of cost: B crosses; by admissions C alone makes half
    groups = {g.group: g for g in common_groups([("A", D("4999"), 1), ("B", D("3001"), 1), ("C", D("2000"), 2)],
                                                profile.common_share)}
    assert [g for g in "ABC" if groups[g].common_by_cost] == ["A", "B"]
    assert [g for g in "ABC" if groups[g].common_by_admissions] == ["C"]
    # a table covering either set complies; one covering neither lacks the nearer set's groups
    assert check_table([line("1.00", group="C")], {}, groups.values(), profile) == ()
    assert check_table([line("1.00", group="A"), line("1.00", group="B")], {}, groups.values(), profile) == ()
    found = check_table([line("1.00", group="A")], {}, groups.values(), profile)
    assert [(f.kind, f.group) for f in found] == [(FindingKind.COMMON_MISSING, "B")]
    assert found[0].breach == profile.missing_common_is_breach  # GZ 18 应包括: breach; JL 18 建议: signal


def months(*spec, start=dt.date(2026, 1, 1)):
    """(cases, mean) per consecutive month from ``start``."""
    out, month = [], start
    for cases, mean in spec:
        out.append(MonthActual(month, cases, D(mean)))
        month = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return out


@pytest.mark.parametrize("name", PROFILES)
def test_rule5a_below_80_percent_for_3_months_obliges_a_recompute_80_percent_exactly_does_not(name):
    profile = load_deposit_profile(name)
    deposit = D("3000.00")
    at = str(profile.below_ratio * deposit)  # 2,400.00 under every profile
    below = str(profile.below_ratio * deposit - D("0.01"))
    n = profile.month_min_cases
    run = [(n, below)] * profile.below_months
    assert len(below_streak(months(*run), deposit, dt.date(2026, 1, 1), profile)) == profile.below_months
    assert below_streak(months(*run[:-1], (n, at)), deposit, dt.date(2026, 1, 1), profile) == ()
    assert below_streak(months(*run[:-1]), deposit, dt.date(2026, 1, 1), profile) == ()  # one month short
    found = check_triggers([line("3000.00")], {("GB19", EMP): months(*run)}, (), (), profile)
    assert [f.kind for f in found] == [FindingKind.BELOW_DEPOSIT] and not found[0].breach


@pytest.mark.parametrize("name", PROFILES)
def test_rule5a_a_month_with_too_few_cases_inside_a_streak_breaks_it(name):
    profile = load_deposit_profile(name)
    n, k = profile.month_min_cases, profile.below_months
    spec = [(n, "100.00")] * (k - 1) + [(n - 1, "100.00")] + [(n, "100.00")] * (k - 1)
    assert n - 1 == 2 and below_streak(months(*spec), D("3000.00"), dt.date(2026, 1, 1), profile) == ()
    # the same months with enough cases make one run of 2k-1
    whole = [(n, "100.00")] * (2 * k - 1)
    assert len(below_streak(months(*whole), D("3000.00"), dt.date(2026, 1, 1), profile)) == 2 * k - 1
    # a month missing altogether breaks it too; and months before the deposit took effect do not count
    gap = months(*whole)
    assert below_streak(gap[:k - 1] + gap[k:], D("3000.00"), dt.date(2026, 1, 1), profile) == ()
    took_effect = dt.date(2026, k, 2)  # mid-month: the whole months from the next count, k - 1 of them
    assert below_streak(months(*whole), D("3000.00"), took_effect, profile) == ()


@pytest.mark.parametrize("name", PROFILES)
def test_rule5c_a_standard_moved_by_10_percent_exactly_is_not_a_change_a_fen_more_is(name):
    profile = load_deposit_profile(name)
    previous = D("20000.00")
    exactly = previous * (1 + profile.standard_change)
    assert not standard_moved(previous, exactly, profile)
    assert standard_moved(previous, exactly + D("0.01"), profile)
    assert standard_moved(previous, previous * (1 - profile.standard_change) - D("0.01"), profile)
    assert not standard_moved(previous, previous * (1 - profile.standard_change), profile)
    change = StandardChange("GB19", EMP, previous, exactly + D("0.01"), dt.date(2026, 1, 1))
    # every hospital with cases in the group is told, published or not; one that recomputed since is not
    found = check_triggers((), {}, [change], [("GB19", EMP)], profile)
    assert [f.kind for f in found] == [FindingKind.STANDARD_CHANGED]
    assert check_triggers((), {}, [change], [("GB20", EMP)], profile) == ()
    assert check_triggers([line("2000.00", effective=dt.date(2026, 1, 1))], {}, [change], [("GB19", EMP)],
                          profile) == ()
    assert check_triggers([line("2000.00", effective=dt.date(2025, 12, 31))], {}, [change], [("GB19", EMP)],
                          profile)


@pytest.mark.parametrize("name", PROFILES)
def test_rule4_the_freeze_holds_from_its_day_where_the_profile_has_one(name):
    profile = load_deposit_profile(name)
    after = check_table([line("2000.01", prior="2000.00")], {}, (), profile)
    if profile.freeze_from is None:  # XJ (draft): no freeze
        assert after == ()
    else:
        assert [f.kind for f in after] == [FindingKind.ABOVE_FROZEN]
        assert check_table([line("2000.00", prior="2000.00")], {}, (), profile) == ()
        before = Published("GB19", EMP, D("2000.01"), profile.freeze_from - dt.timedelta(days=1), D("2000.00"))
        assert check_table([before], {}, (), profile) == ()


@pytest.mark.parametrize("name", PROFILES)
def test_rule5b_complaints_of_5_percent_exactly_are_not_above_it_one_more_is(name):
    from prepay_admin.policy.deposit import check_complaints, complaints_exceed

    profile = load_deposit_profile(name)
    assert not complaints_exceed(5, 100, profile) and complaints_exceed(6, 100, profile)
    assert not complaints_exceed(1, 0, profile)  # no admissions, no rate
    march = dt.date(2026, 3, 1)
    found = check_complaints([(march, 6)], {march: 100}, profile)
    assert [(f.kind, f.group, f.insurance_class) for f in found] == [(FindingKind.COMPLAINTS, "全部病组", None)]
    assert "6.00%" in found[0].message and not found[0].breach
    assert check_complaints([(march, 5)], {march: 100}, profile) == ()


@pytest.mark.parametrize("name", PROFILES)
def test_rule6_a_deposit_at_the_peer_ratio_is_no_outlier_above_it_is_and_too_few_peers_say_nothing(name):
    from prepay_admin.policy.deposit import PeerLine, peer_outliers

    profile = load_deposit_profile(name)
    peers = [PeerLine(n, ("320600", "2", "hospital"), "GB19", EMP, D("2000.00")) for n in range(1, profile.peer_min + 1)]
    at = PeerLine(99, ("320600", "2", "hospital"), "GB19", EMP, D("2000.00") * profile.peer_ratio)
    above = PeerLine(99, ("320600", "2", "hospital"), "GB19", EMP, D("2000.00") * profile.peer_ratio + D("0.01"))
    assert peer_outliers([*peers, at], profile) == {}
    found = peer_outliers([*peers, above], profile)
    assert list(found) == [99] and found[99][0].kind == FindingKind.PEER_OUTLIER and found[99][0].reference == D("2000.00")
    assert peer_outliers([*peers[1:], above], profile) == {}  # one peer short of the minimum
    other_level = PeerLine(99, ("320600", "3", "hospital"), "GB19", EMP, D("9000.00"))
    assert peer_outliers([*peers, other_level], profile) == {}  # a level-3 hospital is no level-2's peer


@pytest.mark.parametrize("name", PROFILES)
def test_gz16_the_grassroots_amount_is_the_areas_pooled_mean_down_to_the_yuan(name):
    from prepay_admin.policy.deposit import area_of, grassroots_lines, is_grassroots

    profile = load_deposit_profile(name)
    assert is_grassroots("community_health_center", 2) and is_grassroots("hospital", 1)
    assert not is_grassroots("hospital", 2) and not is_grassroots("clinic", 0)
    assert area_of("H32068100001", "county") == "320681" and area_of("H32068100001", "prefecture") == "320600"
    cells = [("320681", "GB19", EMP, 10, D("1000.99"), False), ("320681", "GB19", EMP, 30, D("2000.00"), False),
             ("320682", "GB19", EMP, 1, D("500.00"), False)]
    first, second = grassroots_lines(cells, profile)
    # (10 × 1,000.99 + 30 × 2,000.00) ÷ 40 = 1,750.2475 → 1,750.25; the uniform amount never above it: 1,750
    assert (first.cases, first.institutions, first.mean, first.amount) == (40, 2, D("1750.25"), D("1750.00"))
    assert first.small == (40 < profile.min_cases) and second.small and second.amount == D("500.00")


@pytest.mark.parametrize("name", PROFILES)
def test_rule1_a_self_pay_line_is_never_held_to_the_estimated_proxy(name):
    from dataclasses import replace

    profile = load_deposit_profile(name)
    proxy = replace(national_cell(profile), proxy=True)
    line = Published("GB19", InsuranceClass.SELF_PAY, D("9999.00"), dt.date(2026, 1, 1), None)
    assert check_table([line], {("GB19", InsuranceClass.SELF_PAY): proxy}, (), profile) == ()


@pytest.mark.parametrize("name", PROFILES)
def test_rule5a_the_month_is_compared_exactly_not_as_its_rounded_mean(name):
    profile = load_deposit_profile(name)
    n = profile.month_min_cases
    ceiling = profile.below_ratio * D("3000.00")  # 2,400.00
    # a total just under 2,400 × n: its mean rounds to 2,400.00, yet it is below
    just_under = [MonthActual(m.month, n, D("2400.00"), ceiling * n - D("0.01"))
                  for m in months(*[(n, "0")] * profile.below_months)]
    assert len(below_streak(just_under, D("3000.00"), dt.date(2026, 1, 1), profile)) == profile.below_months


def test_rule5_only_a_text_that_obliges_it_gives_a_recompute_deadline():
    assert load_deposit_profile("xinjiang-2025").recompute_obliged
    assert load_deposit_profile("xinjiang-2025").article("recompute_obliged") == "XJ 24"
    assert not load_deposit_profile("guizhou-2025").recompute_obliged
    assert not load_deposit_profile("jilin-2025").recompute_obliged


@pytest.mark.parametrize("name", PROFILES)
def test_xj24_the_yearly_update_is_a_signal_the_day_after_its_days_and_only_for_a_table_older_than_the_year(name):
    profile = load_deposit_profile(name)
    made = dt.date(2026, 3, 2)  # the hospital's reference of 2026
    stale = [line("2800.00", effective=dt.date(2025, 7, 1)), line("900.00", "FM19", effective=dt.date(2026, 1, 15))]
    if profile.update_days is None:  # GZ 13, JL 14: 适时 adjustment only, no yearly update to owe
        assert check_update(stale, 2026, made, dt.date(2026, 12, 31), profile) is None
        return
    last_day = made + dt.timedelta(days=profile.update_days)
    assert check_update(stale, 2026, made, last_day, profile) is None  # the last day itself is in time
    found = check_update(stale, 2026, made, last_day + dt.timedelta(days=1), profile)
    assert found is not None and found.kind == FindingKind.NOT_UPDATED and not found.breach  # 原则上: a signal
    assert "1 条" in found.message and str(last_day) in found.message
    # the whole table republished since the year began rests on the latest data (before the run, too)
    again = [line("2800.00", effective=dt.date(2026, 1, 2)), line("900.00", "FM19", effective=dt.date(2026, 1, 15))]
    assert check_update(again, 2026, made, last_day + dt.timedelta(days=90), profile) is None
    assert check_update([], 2026, made, last_day + dt.timedelta(days=90), profile) is None  # no table: none
    # a last day on a rest day moves to the next working day (民法典 203): 30 days from 1 April is Labour Day
    from prepay_admin.services.calendar import library_workday
    april = dt.date(2026, 4, 1)
    assert check_update(stale, 2026, april, dt.date(2026, 5, 6), profile, library_workday) is None
    assert check_update(stale, 2026, april, dt.date(2026, 5, 7), profile, library_workday) is not None
