"""The return path's pure rules (RULES §5, §6): withholding, year end, bars, ageing."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

from hypothesis import given
from hypothesis import strategies as st

from prepay_admin.policy.positions import Position
from prepay_admin.policy.recovery import (
    Owed,
    Route,
    YearEnd,
    age_band,
    bar_until,
    plan_year_end,
    settle_month,
)

DAY = dt.date(2026, 3, 1)


def test_17_a_payable_smaller_than_what_is_owed_withholds_only_the_payable_and_carries_the_rest():
    month = settle_month(D("30000.00"), [Owed(1, D("100000.00"), DAY, Route.TRIGGER)])
    assert (month.withheld, month.net, month.still_owed) == (D("30000.00"), D("0.00"), D("70000.00"))
    assert "结转下月" in month.reason


def test_17_withholding_never_exceeds_what_is_owed_and_pays_the_rest():
    month = settle_month(D("500000.00"), [Owed(1, D("120000.00"), DAY, Route.CLEARANCE)])
    assert (month.withheld, month.net, month.still_owed) == (D("120000.00"), D("380000.00"), D("0.00"))


def test_17_the_oldest_receivable_is_withheld_first():
    month = settle_month(D("50000.00"), [Owed(2, D("40000.00"), dt.date(2026, 2, 1), Route.TRIGGER),
                                         Owed(1, D("40000.00"), dt.date(2026, 1, 1), Route.YEAR_END_DIFFERENCE)])
    assert [(s.receivable_id, s.amount) for s in month.shares] == [(1, D("40000.00")), (2, D("10000.00"))]


def test_hb5_settlements_are_kept_back_until_the_refund_is_due_then_applied_and_only_the_surplus_paid():
    owed = [Owed(1, D("100000.00"), DAY, Route.TRIGGER)]
    kept = settle_month(D("60000.00"), owed, hold_until_recovered=True)  # the refund is not due yet
    assert (kept.withheld, kept.held, kept.net, kept.still_owed) == (D("0"), D("60000.00"), D("0"), D("100000.00"))
    # RULES §6: the due date passed unpaid: what was kept back is applied first, the surplus released
    due = settle_month(D("150000.00"), owed, True, D("60000.00"), apply_held=True)
    assert (due.withheld, due.applied, due.held, due.released, due.net, due.still_owed) == (
        D("100000.00"), D("60000.00"), D("0"), D("0"), D("110000.00"), D("0"))
    surplus = settle_month(D("10000.00"), [Owed(1, D("50000.00"), DAY, Route.TRIGGER)], True, D("60000.00"),
                           apply_held=True)
    assert (surplus.withheld, surplus.applied, surplus.released, surplus.net) == (
        D("50000.00"), D("50000.00"), D("10000.00"), D("20000.00"))
    partial = settle_month(D("150000.00"), [Owed(1, D("200000.00"), DAY, Route.TRIGGER)], True, apply_held=True)
    assert (partial.withheld, partial.held, partial.net) == (D("150000.00"), D("0.00"), D("0.00"))


@given(st.decimals(min_value=0, max_value=10**9, places=2),
       st.lists(st.decimals(min_value=D("0.01"), max_value=10**9, places=2), max_size=5),
       st.booleans(), st.decimals(min_value=0, max_value=10**6, places=2), st.booleans())
def test_17_withholding_and_payment_always_add_up_to_the_payable(payable, owed, hold, held_before, due):
    items = [Owed(i, amount, DAY, Route.TRIGGER) for i, amount in enumerate(owed)]
    month = settle_month(payable, items, hold, held_before, apply_held=due)
    assert month.withheld + month.held + month.net == payable + month.released + month.applied
    assert month.withheld <= min(payable + (held_before if hold or due else 0), sum(owed, D(0)))
    assert month.withheld + month.still_owed == sum(owed, D(0))
    assert min(month.withheld, month.held, month.net, month.still_owed, month.applied) >= 0
    assert sum((s.amount for s in month.shares), D(0)) == month.withheld
    if month.still_owed > 0:  # offset first: nothing is paid out while anything is owed
        assert month.net == 0


def test_17_rollover_repays_a_smaller_new_advance_and_tops_up_a_larger_one():
    assert plan_year_end("rollover", D("1000000"), True, D("800000")).outcome == YearEnd.REPAY_DIFFERENCE
    assert plan_year_end("rollover", D("1000000"), True, D("800000")).amount == D("200000")
    assert plan_year_end("rollover", D("800000"), True, D("1000000")).outcome == YearEnd.TOP_UP
    assert plan_year_end("rollover", D("800000"), True, D("800000")).outcome == YearEnd.NOTHING


def test_17_an_institution_not_qualified_any_more_is_cleared_in_full():
    plan = plan_year_end("rollover", D("900000"), False, D("0"))
    assert (plan.outcome, plan.amount, plan.route) == (YearEnd.CLEAR, D("900000"), Route.CLEARANCE)
    assert plan_year_end("rollover", D("900000"), None, D("0")).outcome == YearEnd.UNDECIDED


def test_hb_2_4_every_advance_is_recovered_at_year_end_whatever_the_next_year():
    plan = plan_year_end("recover", D("900000"), True, D("2000000"))
    assert (plan.outcome, plan.amount, plan.route) == (YearEnd.RECOVER, D("900000"), Route.ANNUAL_RECOVERY)


def test_20_a_trigger_claims_what_is_held_less_what_is_already_owed():
    """A trigger claims each year's advance in force: what was claimed already is not claimed twice."""
    position = Position(1, "employee", 2026, paid=D("900000"), claimed=D("200000"))
    assert position.in_force == D("700000")
    assert Position(1, "employee", 2026, paid=D("100000"), claimed=D("100000")).in_force == D("0")


def test_21_6_a_bar_lasts_three_years_to_the_day_before_the_anniversary():
    assert bar_until(dt.date(2026, 5, 10), 3) == dt.date(2029, 5, 9)
    assert bar_until(dt.date(2028, 2, 29), 3) == dt.date(2031, 2, 27)


def test_receivables_age_in_bands():
    assert [age_band(d) for d in (0, 30, 31, 200, 400)] == ["30 天以内", "30 天以内", "31—90 天", "181—365 天",
                                                           "一年以上"]


def test_26_the_90_percent_is_the_months_over_every_pre_settlement_not_rejected():
    from prepay_admin.policy.recovery import PresettlementCase, presettlement_limit

    # 第一款: 90% of 100,000 within a budget of 95,000, 50,000 already proposed for the month
    limit, note = presettlement_limit(PresettlementCase.CANNOT_SETTLE, D("100000.00"), D("0.9"),
                                      budget_left=D("95000.00"), already=D("50000.00"))
    assert limit == D("40000.00") and "本月已登记预结 50,000.00 元" in note
    # 第二款: less what the feed says was settled and what was proposed before; never below zero
    limit, _ = presettlement_limit(PresettlementCase.LARGE_GAP, D("100000.00"), D("0.9"), settled=D("30000.00"),
                                   already=D("20000.00"))
    assert limit == D("40000.00")
    assert presettlement_limit(PresettlementCase.LARGE_GAP, D("100000.00"), D("0.9"), settled=D("95000.00"))[0] == 0
