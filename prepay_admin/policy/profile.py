"""A policy profile: every parameter of RULES §1–§5 as a named, typed field.

Profiles are data (``prepay_admin/profiles/*.toml``); this module only says
their shape. Loading and validation live in ``prepay_admin.profiles``.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Mapping

from .facts import Assessment, CreditGrade, Flag, Fund, Kind
from .reasons import Citations
from .signoff import DEFAULT_RULES, SignOffRules

# the Nantong text's articles for each reason money is owed back (the default of a profile naming none)
DEFAULT_RECOVERY_ARTICLES = {"year_end_difference": "第十七条", "clearance": "第十七条",
                             "annual_recovery": "第十七条", "trigger": "第二十条", "presettlement": "第二十六条"}


@dataclass(frozen=True)
class ScoreBand:
    """Institutions scoring at least ``min_score`` get ``months`` (13§)."""

    min_score: Decimal
    months: Decimal


@dataclass(frozen=True)
class ResidentShareBonus:
    """13§: score ≥ ``min_score`` and resident share > ``share_above`` adds ``months``."""

    min_score: Decimal
    share_above: Decimal
    months: Decimal


@dataclass(frozen=True)
class FundRules:
    min_payable_months: Mapping[Fund, Decimal]
    refuse_on_last_year_deficit: bool
    refuse_on_projected_deficit: bool


@dataclass(frozen=True)
class EligibilityRules:
    eligible_kinds: frozenset[Kind]
    min_level: int
    level_exempt_kinds: frozenset[Kind]
    settlement_full_years: int
    assessments_allowed: frozenset[Assessment]
    min_score: Decimal | None
    grades_allowed: frozenset[CreditGrade] | None
    disqualifying_flags: frozenset[Flag]
    security_required: bool
    credit_guarantee_requires_state_run: bool
    bar_years: int  # 21§(六): found to have obtained an advance by fraud, barred for this many years


@dataclass(frozen=True)
class AmountRules:
    base_years: int
    base_excludes_out_of_region: bool
    base_months_from_settlement_start: bool  # HB 二(二) interpretation: no zeros before settlement began
    months_by_score: tuple[ScoreBand, ...]
    resident_share_bonus: ResidentShareBonus | None
    ratio_by_grade: Mapping[CreditGrade, Decimal]
    rounding_unit: Decimal
    rounding_mode: str
    minimum: Decimal
    cap_by_security: bool
    cap_rounding_mode: str
    minimum_after_cap: bool


@dataclass(frozen=True)
class MonthDay:
    """A calendar date without a year; ``year_offset`` −1 means the year before the campaign."""

    month: int
    day: int
    year_offset: int = 0

    def in_campaign(self, year: int) -> dt.date:
        return dt.date(year + self.year_offset, self.month, self.day)


@dataclass(frozen=True)
class CalendarRules:
    application_deadline: MonthDay
    list_fixed_by: MonthDay
    signing_working_days: int
    confirmed_and_paid_by: MonthDay
    qualification_start: MonthDay
    qualification_end: MonthDay
    agreement_years: int


@dataclass(frozen=True)
class YearEndRules:
    mode: str  # "rollover" (滚动结算) or "recover" (每年收回)
    refund_working_days: int
    withhold_settlement_until_recovered: bool
    court_action: str = "提起诉讼"  # 20§(二)5; Hebei: 依法申请强制执行 (HB 五)
    court_clause: str = "依法申报破产债权或提起诉讼"  # what a demand says follows an unpaid refund
    recovery_articles: Mapping[str, str] | None = None  # route → the article a demand cites (DEFAULT_RECOVERY_ARTICLES)

    def recovery_article(self, route: str) -> str:
        return (self.recovery_articles or DEFAULT_RECOVERY_ARTICLES).get(route, "第二十条")


@dataclass(frozen=True)
class PresettlementRules:
    """25§–26§ 月度预结金: who may get one and how much of what was actually incurred."""

    enabled: bool
    max_share_of_incurred: Decimal  # 不超过实际发生数的 90%
    eligible_kinds: frozenset[Kind]  # 定点医疗机构、定点零售药店


@dataclass(frozen=True)
class Account:
    code: str
    name: str


@dataclass(frozen=True)
class PolicyProfile:
    name: str
    version: int
    title: str
    source: str
    funds: FundRules
    eligibility: EligibilityRules
    amount: AmountRules
    calendar: CalendarRules
    year_end: YearEndRules
    presettlement: PresettlementRules
    accounts: Mapping[str, Account]
    citations: Citations
    overrides: tuple[str, ...] = ()  # "path=value (approval ref)" lines applied on top of the file
    signoff: SignOffRules = DEFAULT_RULES  # 24§(五), RULES §4: the levels of the review

    def months_for(self, score: Decimal) -> Decimal:
        """13§: months by score band (0 when no band applies)."""
        months = Decimal(0)
        for band in self.amount.months_by_score:
            if score >= band.min_score:
                months = max(months, band.months)
        return months
