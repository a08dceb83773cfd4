"""A region's annual campaign: fund gates, applications and determinations (15§(一)(二))."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, FixedPoint, Money, UtcDateTime, enum_type, utcnow
from ..policy.facts import Fund


class Campaign(Base):
    __tablename__ = "campaign"
    __table_args__ = (UniqueConstraint("region_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"))
    year: Mapped[int]
    profile: Mapped[str] = mapped_column(String(40))
    # the stored version it was opened with, kept for the whole year (a later version does not touch it)
    profile_version: Mapped[int]
    profile_sha256: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(20))  # open → list_fixed
    opened_by: Mapped[str] = mapped_column(String(60))
    opened_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    determination_run: Mapped[int] = mapped_column(default=0)
    # the latest run's size and determined total (its advances' amounts), fixed when it is computed: the
    # determination list of a province shows them on every page without counting 100,000 rows each time
    run_count: Mapped[int] = mapped_column(default=0, server_default="0")
    run_total: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"), server_default="0")
    list_fixed_on: Mapped[dt.date | None] = mapped_column(Date)
    list_fixed_by: Mapped[str | None] = mapped_column(String(60))
    signing_deadline: Mapped[dt.date | None] = mapped_column(Date)
    signing_deadline_provisional: Mapped[bool] = mapped_column(default=False)

    fund_gates: Mapped[list[FundGateRecord]] = relationship(order_by="FundGateRecord.fund")


class FundGateRecord(Base):
    """9§, 24§(一): the solvency result of a fund, with the figures it used and who computed it."""

    __tablename__ = "campaign_fund_gate"
    __table_args__ = (UniqueConstraint("campaign_id", "fund"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"))
    fund: Mapped[Fund] = mapped_column(enum_type(Fund, "fund"))
    cumulative_surplus: Mapped[Decimal] = mapped_column(Money())
    monthly_expenditure: Mapped[Decimal] = mapped_column(Money())
    last_year_current_balance: Mapped[Decimal] = mapped_column(Money())
    projected_current_balance: Mapped[Decimal] = mapped_column(Money())
    payable_months: Mapped[Decimal] = mapped_column(FixedPoint(2))
    open: Mapped[bool]
    reasons_json: Mapped[str] = mapped_column(Text)
    computed_by: Mapped[str] = mapped_column(String(60))
    computed_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)


class Application(Base):
    """15§(一), attachment: the institution's voluntary application with its self-check."""

    __tablename__ = "application"
    __table_args__ = (UniqueConstraint("campaign_id", "institution_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"))
    institution_id: Mapped[int] = mapped_column(ForeignKey("institution.id"))
    state: Mapped[str] = mapped_column(String(20))
    submitted_on: Mapped[dt.date] = mapped_column(Date)
    self_check_json: Mapped[str] = mapped_column(Text)  # the attachment's answers
    signed_by: Mapped[str] = mapped_column(String(60))  # 医院负责人
    recorded_by: Mapped[str] = mapped_column(String(60))


class Determination(Base):
    """One institution's result in one determination run, on a frozen snapshot of its facts."""

    __tablename__ = "determination"
    __table_args__ = (
        UniqueConstraint("campaign_id", "run", "institution_id"),
        Index("ix_determination_campaign_id_state", "campaign_id", "state"),
        # the to-do list and the dashboard count a run's states: read from the index alone (67 ms → 9 ms on
        # PostgreSQL at 100,000 institutions)
        Index("ix_determination_campaign_run_state", "campaign_id", "run", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"))
    run: Mapped[int]
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id"))
    # an institution's determinations of every year (a trigger stops its unpaid ones, its page lists them)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institution.id"), index=True)
    state: Mapped[str] = mapped_column(String(20))
    eligible: Mapped[bool]
    months: Mapped[Decimal | None] = mapped_column(FixedPoint(2))
    ratio: Mapped[Decimal | None] = mapped_column(FixedPoint(4))
    reasons_json: Mapped[str] = mapped_column(Text)
    notes_json: Mapped[str] = mapped_column(Text, default="[]", server_default="[]")  # e.g. security_pending
    facts_json: Mapped[str] = mapped_column(Text)  # the snapshot the engine judged, in the compute contract's form
    computed_by: Mapped[str] = mapped_column(String(60))
    computed_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    security_id: Mapped[int | None] = mapped_column(ForeignKey("security_pledge.id"))
    agreement_id: Mapped[int | None] = mapped_column(ForeignKey("agreement.id"))
    qualification_start: Mapped[dt.date] = mapped_column(Date)  # 11§: 21 January …
    qualification_end: Mapped[dt.date] = mapped_column(Date)  # … to 20 January of the next year

    advances: Mapped[list[DeterminationAdvance]] = relationship(order_by="DeterminationAdvance.fund")


class DeterminationAdvance(Base):
    """The breakdown per fund; ``final_amount`` is capped, both funds together, by the security
    registered in the signing window."""

    __tablename__ = "determination_advance"
    __table_args__ = (UniqueConstraint("determination_id", "fund"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    determination_id: Mapped[int] = mapped_column(ForeignKey("determination.id"))
    fund: Mapped[Fund] = mapped_column(enum_type(Fund, "fund"))
    base: Mapped[Decimal] = mapped_column(Money())
    raw: Mapped[Decimal] = mapped_column(Money())
    rounded: Mapped[Decimal] = mapped_column(Money())
    uncapped: Mapped[Decimal] = mapped_column(Money())  # before the security: what registering one caps again
    cap: Mapped[Decimal | None] = mapped_column(Money())  # the institution's cap over both funds (13§)
    amount: Mapped[Decimal] = mapped_column(Money())
    reasons_json: Mapped[str] = mapped_column(Text)
    # 13§ again, once the security is registered: the determined figures above stay as they were
    final_cap: Mapped[Decimal | None] = mapped_column(Money())
    final_amount: Mapped[Decimal | None] = mapped_column(Money())
    final_reasons_json: Mapped[str | None] = mapped_column(Text)
