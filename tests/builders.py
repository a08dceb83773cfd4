"""Facts with sensible defaults, so each test states only what it is about."""
from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal

from prepay_admin.policy.facts import (
    Assessment,
    CreditGrade,
    Fund,
    FundPosition,
    InstitutionFacts,
    Kind,
    Payout,
    RegionFacts,
    Security,
    SecurityKind,
)

YEAR = 2026
D = Decimal


def payouts_for(year: int, employee_monthly: str = "0", resident_monthly: str = "0", out_of_region: str = "0",
                years: int = 1) -> tuple[Payout, ...]:
    """Equal monthly payouts over the ``years`` before ``year``."""
    rows = []
    for y in range(year - years, year):
        for m in range(1, 13):
            for fund, amount in ((Fund.EMPLOYEE, employee_monthly), (Fund.RESIDENT, resident_monthly)):
                if D(amount) > 0:
                    rows.append(Payout(dt.date(y, m, 1), fund, D(amount), D(out_of_region)))
    return tuple(rows)


def institution(**changes) -> InstitutionFacts:
    base = InstitutionFacts(
        code="H0001",
        name="测试医院",
        kind=Kind.HOSPITAL,
        level=2,
        state_run=True,
        settled_since=dt.date(2015, 3, 1),
        assessment=Assessment.GOOD,
        performance_score=D("92"),
        credit_grade=CreditGrade.A,
        payouts=payouts_for(YEAR, employee_monthly="1000000", resident_monthly="500000"),
        security=Security(SecurityKind.PLEDGE, D("50000000")),
    )
    return replace(base, **changes)


def fund(kind: Fund = Fund.EMPLOYEE, surplus: str = "1500", monthly: str = "100", last: str = "10",
         projected: str = "5") -> FundPosition:
    return FundPosition(kind, D(surplus), D(monthly), D(last), D(projected))


def region(*institutions: InstitutionFacts, funds=None, year: int = YEAR) -> RegionFacts:
    funds = funds or (fund(Fund.EMPLOYEE), fund(Fund.RESIDENT, surplus="700"))
    return RegionFacts(year, "320600", "南通市", tuple(funds), tuple(institutions))
