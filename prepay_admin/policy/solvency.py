"""RULES §1: can a fund afford to advance anything this year?"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from .facts import Fund, FundPosition
from .money import fmt_yuan_cn
from .profile import PolicyProfile
from .reasons import FUND_CN, Reason, reason


@dataclass(frozen=True)
class FundGate:
    fund: Fund
    payable_months: Decimal
    open: bool
    reasons: tuple[Reason, ...]


def payable_months(position: FundPosition) -> Decimal:
    """9§: cumulative surplus ÷ monthly average expenditure, truncated to 0.01.

    Truncated rather than rounded so that 11.999 months shows as 11.99 and
    never reads as meeting a 12-month threshold it misses.
    """
    if position.monthly_expenditure <= 0:
        raise ValueError("monthly_expenditure must be positive")
    return (position.cumulative_surplus / position.monthly_expenditure).quantize(
        Decimal("0.01"), rounding=ROUND_DOWN
    )


def assess_fund(position: FundPosition, profile: PolicyProfile) -> FundGate:
    rules = profile.funds
    articles = profile.citations
    fund_cn = FUND_CN[position.fund]
    months = payable_months(position)
    exact = position.cumulative_surplus / position.monthly_expenditure
    minimum = rules.min_payable_months[position.fund]
    reasons: list[Reason] = []
    # 9§(一)(二): employee ≥ 12 months, resident ≥ 6 months of surplus
    if exact < minimum:
        reasons.append(reason("fund_months_below_minimum", articles, fund_cn=fund_cn, months=months, minimum=minimum))
    # 9§: a current-period deficit last year, or one projected for this year, stops all advances
    if rules.refuse_on_last_year_deficit and position.last_year_current_balance < 0:
        reasons.append(
            reason("fund_deficit_last_year", articles, fund_cn=fund_cn,
                   balance=fmt_yuan_cn(position.last_year_current_balance))
        )
    if rules.refuse_on_projected_deficit and position.projected_current_balance < 0:
        reasons.append(
            reason("fund_deficit_projected", articles, fund_cn=fund_cn,
                   balance=fmt_yuan_cn(position.projected_current_balance))
        )
    return FundGate(fund=position.fund, payable_months=months, open=not reasons, reasons=tuple(reasons))
