"""The facts the rules judge: frozen inputs of the rules engine."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum


class Fund(StrEnum):
    """The two funds are kept apart everywhere (8§)."""

    EMPLOYEE = "employee"  # 职工医保统筹基金
    RESIDENT = "resident"  # 居民医保基金


class Kind(StrEnum):
    HOSPITAL = "hospital"
    COMMUNITY_HEALTH_CENTER = "community_health_center"
    CLINIC = "clinic"
    PHARMACY = "pharmacy"


class Assessment(StrEnum):
    EXCELLENT = "excellent"  # 优秀
    GOOD = "good"  # 良好
    PASS = "pass"  # 合格
    FAIL = "fail"  # 不合格


class CreditGrade(StrEnum):
    A = "A"
    B = "B"
    C = "C"
    D = "D"


class Flag(StrEnum):
    """Conditions of RULES §2 that, when they hold, bar an institution."""

    FINANCES_UNSOUND = "finances_unsound"
    ASSET_SEIZURE = "asset_seizure"
    UNFULFILLED_JUDGMENT = "unfulfilled_judgment"
    ENFORCEMENT_DEBTOR = "enforcement_debtor"
    REFORM_NONCOOPERATION = "reform_noncooperation"
    TRACEABILITY_INCOMPLETE = "traceability_incomplete"
    PENALIZED_LAST_12_MONTHS = "penalized_last_12_months"
    FRAUD_REFERRAL = "fraud_referral"


class SecurityKind(StrEnum):
    PLEDGE = "pledge"  # 资产抵押
    CREDIT_GUARANTEE = "credit_guarantee"  # 信用担保


@dataclass(frozen=True)
class FundPosition:
    """A fund's figures at the end of the year before the campaign year."""

    fund: Fund
    cumulative_surplus: Decimal
    monthly_expenditure: Decimal
    last_year_current_balance: Decimal
    projected_current_balance: Decimal


@dataclass(frozen=True)
class Payout:
    """One month's fund payout to an institution; ``month`` is the first day of it."""

    month: dt.date
    fund: Fund
    amount: Decimal
    out_of_region: Decimal = Decimal("0")

    @property
    def local(self) -> Decimal:
        return self.amount - self.out_of_region


@dataclass(frozen=True)
class Security:
    kind: SecurityKind
    value: Decimal


@dataclass(frozen=True)
class Bar:
    """21§(六): barred from applying from ``since`` through ``until`` (both days included)."""

    since: dt.date
    until: dt.date

    def in_force_on(self, day: dt.date) -> bool:
        return self.since <= day <= self.until


@dataclass(frozen=True)
class InstitutionFacts:
    code: str
    name: str
    kind: Kind
    level: int
    state_run: bool
    settled_since: dt.date
    assessment: Assessment
    performance_score: Decimal
    credit_grade: CreditGrade
    flags: frozenset[Flag] = frozenset()
    bar: Bar | None = None  # 21§(六): the latest bar that began on or before the application day
    payouts: tuple[Payout, ...] = ()
    security: Security | None = None  # the security valid on the qualification start, if one is registered
    applied_on: dt.date | None = None  # the application's date; None in a what-if
    # RULES §2 (turn 3): where a flag comes from when not 稽核's register (申请人自查, a recovery trigger),
    # said in its reason; and the last assessment the applicant declared on its self-check
    flag_sources: tuple[tuple[Flag, str], ...] = ()
    declared_assessment: Assessment | None = None


@dataclass(frozen=True)
class RegionFacts:
    year: int
    code: str
    name: str
    funds: tuple[FundPosition, ...]
    institutions: tuple[InstitutionFacts, ...] = field(default=())
