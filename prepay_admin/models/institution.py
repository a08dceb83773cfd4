"""Designated institutions (定点医药机构) and what the rules judge them by."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, FixedPoint, Money, UtcDateTime, enum_type, utcnow
from ..policy.facts import Assessment, CreditGrade, Flag, Fund, Kind, SecurityKind


class Institution(Base):
    __tablename__ = "institution"
    __table_args__ = (
        UniqueConstraint("region_id", "code"),
        CheckConstraint("level BETWEEN 0 AND 3", name="level_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"))
    code: Mapped[str] = mapped_column(String(20))  # 定点医药机构编码
    name: Mapped[str] = mapped_column(String(200))
    credit_code: Mapped[str | None] = mapped_column(String(18))  # 统一社会信用代码 (GB 32100-2015)
    kind: Mapped[Kind] = mapped_column(enum_type(Kind, "institution_kind"))
    level: Mapped[int]  # 0 未定级, 1–3 一级至三级
    state_run: Mapped[bool]  # run by a state organ or with state assets for public welfare (10§(二))
    # 10§(一): when normal settlement with the fund began. Kept on the
    # institution, not per year: it only changes if the agreement is ended and signed anew.
    settled_since: Mapped[dt.date] = mapped_column(Date)
    bank_name: Mapped[str] = mapped_column(String(100))
    bank_account: Mapped[str] = mapped_column(String(40))

    standings: Mapped[list[AnnualStanding]] = relationship(back_populates="institution")


class AnnualStanding(Base):
    """What the year's campaign judges an institution by: last year's
    assessment, performance score and credit grade (10§)."""

    __tablename__ = "annual_standing"
    __table_args__ = (
        UniqueConstraint("institution_id", "year"),
        CheckConstraint("performance_score BETWEEN 0 AND 10000", name="score_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institution.id"))
    year: Mapped[int]  # the campaign year
    assessment: Mapped[Assessment] = mapped_column(enum_type(Assessment, "assessment"))
    performance_score: Mapped[Decimal] = mapped_column(FixedPoint(2))  # stored as hundredths of a point
    credit_grade: Mapped[CreditGrade] = mapped_column(enum_type(CreditGrade, "credit_grade"))

    institution: Mapped[Institution] = relationship(back_populates="standings")


class InstitutionCondition(Base):
    """A condition of RULES §2 that holds against an institution for a campaign year,
    with the evidence that established it (24§(三): supplied by 稽核 or the administration)."""

    __tablename__ = "institution_condition"
    __table_args__ = (UniqueConstraint("institution_id", "year", "flag"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institution.id"))
    year: Mapped[int]
    flag: Mapped[Flag] = mapped_column(enum_type(Flag, "condition_flag"))
    evidence: Mapped[str] = mapped_column(String(500), default="")
    registered_on: Mapped[dt.date | None] = mapped_column(Date)  # 登记日期, as 稽核 registered it
    recorded_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)


class ConditionLift(Base):
    """RULES §2 (turn 3): evidence recorded by 稽核 that a condition declared on the applicant's self-check
    (for one campaign year) or carried by a recovery trigger (from this day on) does not apply."""

    __tablename__ = "condition_lift"

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institution.id"), index=True)
    condition: Mapped[str] = mapped_column(String(40))  # a condition flag, or "assessment"
    source: Mapped[str] = mapped_column(String(20))  # self_check or trigger
    year: Mapped[int | None]  # the campaign year of a self-check's lift
    evidence: Mapped[str] = mapped_column(String(500))
    lifted_on: Mapped[dt.date] = mapped_column(Date)
    lifted_by: Mapped[str] = mapped_column(String(60))
    recorded_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)


class Bar(Base):
    """21§(六): obtained an advance with false statements: barred from ``since`` through ``until``
    (the last barred day, included)."""

    __tablename__ = "institution_bar"

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institution.id"), index=True)
    since: Mapped[dt.date] = mapped_column(Date)
    until: Mapped[dt.date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(500))
    decision_ref: Mapped[str] = mapped_column(String(100))  # 处理决定文号


class AnnualClearing(Base):
    """A year's annual clearing settlement (年度清算款) of an institution in one fund: a settlement payment
    apart from the monthly ones, which carries a deduction as they do (17§, 20§(二)1; RULES §5). It is
    no part of the base of an advance (12§ reads the monthly payouts)."""

    __tablename__ = "annual_clearing"
    __table_args__ = (CheckConstraint("amount >= 0", name="amount_not_negative"),)

    institution_id: Mapped[int] = mapped_column(ForeignKey("institution.id"), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    fund: Mapped[Fund] = mapped_column(enum_type(Fund, "fund"), primary_key=True)
    amount: Mapped[Decimal] = mapped_column(Money())


class MonthlyPayout(Base):
    """A month's fund payout to an institution and its out-of-region part (12§).

    No surrogate key: the natural key is the primary key, which keeps the
    largest table of the demo (millions of rows) lean.
    """

    __tablename__ = "monthly_payout"
    __table_args__ = (
        CheckConstraint("out_of_region >= 0 AND out_of_region <= amount", name="out_of_region_within_amount"),
        Index("ix_monthly_payout_month", "month"),
    )

    institution_id: Mapped[int] = mapped_column(ForeignKey("institution.id"), primary_key=True)
    month: Mapped[dt.date] = mapped_column(Date, primary_key=True)  # first day of the month
    fund: Mapped[Fund] = mapped_column(enum_type(Fund, "fund"), primary_key=True)
    amount: Mapped[Decimal] = mapped_column(Money())
    out_of_region: Mapped[Decimal] = mapped_column(Money())


class SecurityPledge(Base):
    """The security behind an advance (10§(二)): an asset pledge, or a credit guarantee."""

    __tablename__ = "security_pledge"
    __table_args__ = (CheckConstraint("value >= 0", name="value_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institution.id"), index=True)
    kind: Mapped[SecurityKind] = mapped_column(enum_type(SecurityKind, "security_kind"))
    value: Mapped[Decimal] = mapped_column(Money())
    registration_ref: Mapped[str] = mapped_column(String(100))  # 抵押登记 / 担保函编号
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_until: Mapped[dt.date] = mapped_column(Date)  # by default the agreement's end (3 years)
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("security_pledge.id"))  # a renewal or replacement
