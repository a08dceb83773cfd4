"""RULES §3: the advance per institution and fund, with its whole breakdown."""
from __future__ import annotations

from dataclasses import dataclass
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
    cap: Decimal | None
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


def monthly_base(payouts: Iterable[Payout], fund: Fund, year: int, profile: PolicyProfile) -> Decimal:
    """12§: last year's monthly average payout, excluding out-of-region patients.

    Interpretation (RULES §3): local payouts over the window ÷ (12 × years);
    a month with no payout counts as zero. Rounded half-up to fen.
    """
    rules = profile.amount
    years = base_window(year, rules.base_years)
    total = _local_payouts(payouts, fund, years, rules.base_excludes_out_of_region)
    return to_cents(total / (12 * len(years)))


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


def advance(
    fund: Fund,
    base: Decimal,
    months: Decimal,
    ratio: Decimal,
    security: Security | None,
    fund_open: bool,
    profile: PolicyProfile,
) -> Advance:
    rules = profile.amount
    a = profile.articles
    fund_cn = FUND_CN[fund]
    raw = to_cents(base * months * ratio)
    # 13§: 取整到万元，四舍五入
    rounded = round_to_unit(raw, rules.rounding_unit, rules.rounding_mode)
    cap = security_cap(security, profile)
    reasons: list[Reason] = []
    if not fund_open:
        # 9§: a fund that fails the gate pays no advances
        reasons.append(reason("fund_closed", a, fund_cn=fund_cn))
        return Advance(fund, base, raw, rounded, cap, ZERO, tuple(reasons))
    # 13§: under 100,000 yuan no advance is made
    if rounded < rules.minimum:
        reasons.append(reason("amount_below_minimum", a, rounded=fmt_yuan_cn(rounded), minimum=fmt_yuan_cn(rules.minimum)))
        return Advance(fund, base, raw, rounded, cap, ZERO, tuple(reasons))
    amount = rounded
    # 13§: limited to the guarantee or pledge
    if cap is not None and rounded > cap:
        reasons.append(reason("capped_by_security", a, rounded=fmt_yuan_cn(rounded), cap=fmt_yuan_cn(cap)))
        amount = cap
        if rules.minimum_after_cap and cap < rules.minimum:
            # Interpretation: the minimum applies again after the cap
            reasons.append(reason("capped_below_minimum", a, cap=fmt_yuan_cn(cap), minimum=fmt_yuan_cn(rules.minimum)))
            amount = ZERO
    return Advance(fund, base, raw, rounded, cap, to_cents(amount), tuple(reasons))
