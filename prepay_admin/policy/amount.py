"""RULES §3: the advance per institution and fund, with its whole breakdown.

Two stages, because the security belongs to the institution and not to a fund:
``advance`` computes one fund's amount before any security (12§, 13§: base ×
months × ratio, rounded to the unit, the minimum), and ``cap_jointly`` then
limits the institution's funds *together* by its one security (13§).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Iterable

from .facts import CreditGrade, Fund, Payout, Security
from .money import ZERO, fmt_yuan_cn, round_to_unit, to_cents
from .profile import PolicyProfile
from .reasons import FUND_CN, Reason, reason


@dataclass(frozen=True)
class Advance:
    fund: Fund
    base: Decimal
    raw: Decimal
    rounded: Decimal
    uncapped: Decimal  # what the fund would pay before the security (0 when closed or under the minimum)
    cap: Decimal | None  # the institution's cap over both funds (the security rounded down to the unit)
    amount: Decimal
    reasons: tuple[Reason, ...]


def base_window(year: int, base_years: int) -> tuple[int, ...]:
    """The calendar years whose payouts make the base: the ``base_years`` before ``year``."""
    return tuple(range(year - base_years, year))


def _local_payouts(payouts: Iterable[Payout], fund: Fund | None, years: tuple[int, ...], exclude_out_of_region: bool) -> Decimal:
    total = Decimal(0)
    for p in payouts:
        if p.month.year in years and (fund is None or p.fund == fund):
            total += p.local if exclude_out_of_region else p.amount
    return total


def base_divisor(year: int, settled_since: dt.date, profile: PolicyProfile) -> int:
    """The number of months the base is averaged over.

    Interpretation (RULES §3): 12 × the window's years, a missing month counting
    as zero. Where the profile says so (Hebei, HB 二(二)), months before the
    institution's settlement start do not count: one settled for 14 months of a
    3-year window is averaged over those 14 months. The month settlement began in counts.
    """
    rules = profile.amount
    years = base_window(year, rules.base_years)
    months = 12 * len(years)
    if not rules.base_months_from_settlement_start:
        return months
    first = dt.date(years[0], 1, 1)
    start = max(first, settled_since.replace(day=1))
    end = dt.date(years[-1] + 1, 1, 1)
    if start >= end:
        return 0
    return (end.year - start.year) * 12 + (end.month - start.month)


def monthly_base(payouts: Iterable[Payout], fund: Fund, year: int, profile: PolicyProfile,
                 settled_since: dt.date) -> Decimal:
    """12§: last year's monthly average payout, excluding out-of-region patients
    (Hebei: the average over 1–3 years). Rounded half-up to fen."""
    rules = profile.amount
    years = base_window(year, rules.base_years)
    total = _local_payouts(payouts, fund, years, rules.base_excludes_out_of_region)
    divisor = base_divisor(year, settled_since, profile)
    return to_cents(total / divisor) if divisor else ZERO


def resident_share(payouts: Iterable[Payout], year: int, profile: PolicyProfile) -> Decimal:
    """13§: the resident fund's share of last year's local payouts (0 when nothing was paid)."""
    payouts = tuple(payouts)
    years = (year - 1,)
    exclude = profile.amount.base_excludes_out_of_region
    total = _local_payouts(payouts, None, years, exclude)
    if total <= 0:
        return Decimal(0)
    return _local_payouts(payouts, Fund.RESIDENT, years, exclude) / total


def months_for(score: Decimal, share: Decimal, profile: PolicyProfile) -> Decimal:
    """13§: months by score; +0.5 for score ≥ 95 with a resident share above 50%."""
    months = profile.months_for(score)
    bonus = profile.amount.resident_share_bonus
    if bonus is not None and score >= bonus.min_score and share > bonus.share_above:
        months += bonus.months
    return months


def ratio_for(grade: CreditGrade, profile: PolicyProfile) -> Decimal:
    """13§: the ratio tied to the credit grade (A 90%, B 80%)."""
    return profile.amount.ratio_by_grade[grade]


def security_cap(security: Security | None, profile: PolicyProfile) -> Decimal | None:
    """13§: the advance is limited to the security. Interpretation: the value
    rounded down to the unit, so the advance stays whole and never exceeds it."""
    rules = profile.amount
    if security is None or not rules.cap_by_security:
        return None
    return round_to_unit(security.value, rules.rounding_unit, rules.cap_rounding_mode)


def advance(fund: Fund, base: Decimal, months: Decimal, ratio: Decimal, fund_open: bool,
            profile: PolicyProfile) -> Advance:
    """One fund's advance before the security: 12§, 13§ and the 9§ gate."""
    rules = profile.amount
    raw = to_cents(base * months * ratio)
    # 13§: 取整到万元，四舍五入
    rounded = round_to_unit(raw, rules.rounding_unit, rules.rounding_mode)
    if not fund_open:
        # 9§: a fund that fails the gate pays no advances
        why = reason("fund_closed", profile.citations, fund_cn=FUND_CN[fund])
        return Advance(fund, base, raw, rounded, ZERO, None, ZERO, (why,))
    # 13§: under 100,000 yuan no advance is made
    if rounded < rules.minimum:
        why = reason("amount_below_minimum", profile.citations, rounded=fmt_yuan_cn(rounded),
                     minimum=fmt_yuan_cn(rules.minimum))
        return Advance(fund, base, raw, rounded, ZERO, None, ZERO, (why,))
    return Advance(fund, base, raw, rounded, rounded, None, rounded, ())


def _larger_first(advances: list[Advance]) -> list[int]:
    """Indices by uncapped amount, largest first; employee before resident on a tie."""
    order = {Fund.EMPLOYEE: 0, Fund.RESIDENT: 1}
    return sorted(range(len(advances)), key=lambda i: (-advances[i].uncapped, order[advances[i].fund]))


def shares_of_cap(amounts: dict[Fund, Decimal], cap: Decimal, unit: Decimal, minimum: Decimal | None) -> dict[Fund, Decimal]:
    """13§ with RULES §3's interpretation: share one cap between the funds.

    Each fund gets cap × its amount ÷ the total, rounded down to the unit; the
    whole units left over go, one at a time, to the fund with the larger amount
    first (employee on a tie), never above that fund's own amount. Then, smallest
    share first (resident on a tie), a share under ``minimum`` becomes 0 and what
    it held moves to the other funds, larger first, up to their own amounts.
    Amounts of 0 stay 0. When the amounts fit under the cap they are returned unchanged.
    """
    order = {Fund.EMPLOYEE: 0, Fund.RESIDENT: 1}
    total = sum(amounts.values(), ZERO)
    if total <= cap:
        return dict(amounts)
    shares = {f: round_to_unit(cap * a / total, unit, "down") if a > 0 else ZERO for f, a in amounts.items()}
    larger_first = sorted(amounts, key=lambda f: (-amounts[f], order[f]))

    def give(amount: Decimal, to: list[Fund]) -> None:
        for fund in to:
            while amount >= unit and shares[fund] + unit <= amounts[fund]:
                shares[fund] += unit
                amount -= unit

    give(cap - sum(shares.values(), ZERO), larger_first)
    if minimum is not None:
        for fund in sorted(amounts, key=lambda f: (shares[f], -order[f])):
            if 0 < shares[fund] < minimum:
                held, shares[fund] = shares[fund], ZERO
                give(held, [f for f in larger_first if f != fund and shares[f] > 0])
    return shares


def cap_jointly(advances: tuple[Advance, ...], security: Security | None, profile: PolicyProfile) -> tuple[Advance, ...]:
    """13§: one security caps the institution's whole advance, over both funds together."""
    rules = profile.amount
    cap = security_cap(security, profile)
    if cap is None:
        return advances
    uncapped = {a.fund: a.uncapped for a in advances}
    shares = shares_of_cap(uncapped, cap, rules.rounding_unit, rules.minimum if rules.minimum_after_cap else None)
    total = sum(uncapped.values(), ZERO)
    capped = []
    for a in advances:
        share = shares[a.fund]
        reasons = list(a.reasons)
        if share < a.uncapped:
            reasons.append(reason("capped_by_security", profile.citations, total=fmt_yuan_cn(total),
                                  cap=fmt_yuan_cn(cap), rounded=fmt_yuan_cn(a.uncapped), share=fmt_yuan_cn(share)))
            if share == 0:
                # Interpretation: the minimum applies again after the cap
                reasons.append(reason("capped_below_minimum", profile.citations, minimum=fmt_yuan_cn(rules.minimum)))
        capped.append(replace(a, cap=cap, amount=to_cents(share), reasons=tuple(reasons)))
    return tuple(capped)
