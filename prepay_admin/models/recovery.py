"""The return path (RULES §5, §6, §8): what institutions owe back, how it came back, and the monthly
settlement runs that withhold it."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, Money, UtcDateTime, enum_type, utcnow
from ..policy.facts import Fund
from ..policy.recovery import Method, PresettlementCase, Route, TriggerKind


class RecoveryTrigger(Base):
    """20§(一), HB 五: a recorded trigger, with its evidence and who reported it (24§(三): 稽核)."""

    __tablename__ = "recovery_trigger"

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institution.id"), index=True)
    kind: Mapped[TriggerKind] = mapped_column(enum_type(TriggerKind, "trigger_kind"))
    occurred_on: Mapped[dt.date] = mapped_column(Date)
    evidence: Mapped[str] = mapped_column(String(500))  # 依据文书
    reported_by: Mapped[str] = mapped_column(String(60))
    recorded_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    hold_settlement: Mapped[bool]  # HB 五: settlements withheld until the advance is recovered


class Receivable(Base):
    """What one institution owes back in one fund, from one origin. What is still owed is the amount
    less its recoveries (``recovery_movement``); the ledger's 暂付款 balance always covers it."""

    __tablename__ = "receivable"
    __table_args__ = (
        UniqueConstraint("institution_id", "fund", "origin"),
        CheckConstraint("amount > 0", name="amount_positive"),
        Index("ix_receivable_region_id_state", "region_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"))
    institution_id: Mapped[int] = mapped_column(ForeignKey("institution.id"), index=True)
    fund: Mapped[Fund] = mapped_column(enum_type(Fund, "fund"))
    route: Mapped[Route] = mapped_column(enum_type(Route, "receivable_route"))
    method: Mapped[Method] = mapped_column(enum_type(Method, "repayment_method"))
    origin: Mapped[str] = mapped_column(String(60))  # e.g. year-end:2026, trigger:5:2026: one receivable per origin
    # the qualification year whose annual advance it claims back (RULES §5, §7); None for a monthly
    # pre-settlement (26§), which is no annual advance
    advance_year: Mapped[int | None]
    amount: Mapped[Decimal] = mapped_column(Money())
    since: Mapped[dt.date] = mapped_column(Date)  # the day it became owed, for ageing
    state: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(String(500))
    trigger_id: Mapped[int | None] = mapped_column(ForeignKey("recovery_trigger.id"))
    transferred_from_id: Mapped[int | None] = mapped_column(ForeignKey("receivable.id"))
    # 20§(二)1: the demand to refund within the profile's working days
    demand_ref: Mapped[str | None] = mapped_column(String(60))
    demanded_on: Mapped[dt.date | None] = mapped_column(Date)
    demanded_amount: Mapped[Decimal | None] = mapped_column(Money())  # what the demand asked for, as issued
    due_on: Mapped[dt.date | None] = mapped_column(Date)
    # 17§: a year end's 多退 difference the institution is to refund itself, by this day, set once when the
    # method is chosen (a later demand does not move it); until then the settlements do not withhold it
    refund_due_on: Mapped[dt.date | None] = mapped_column(Date)
    # 20§(二)4–5: the bankruptcy claim or lawsuit
    case_ref: Mapped[str | None] = mapped_column(String(100))
    court: Mapped[str | None] = mapped_column(String(100))
    case_filed_on: Mapped[dt.date | None] = mapped_column(Date)
    case_documents: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)


class RecoveryMovement(Base):
    """One amount that came back (or was written off, or passed to a successor), with its voucher."""

    __tablename__ = "recovery_movement"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    receivable_id: Mapped[int] = mapped_column(ForeignKey("receivable.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # offset, refund, write_off, transfer
    amount: Mapped[Decimal] = mapped_column(Money())
    on: Mapped[dt.date] = mapped_column(Date)
    ref: Mapped[str] = mapped_column(String(100))  # bank reference, settlement run, court document …
    ledger_entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entry.id"))
    settlement_line_id: Mapped[int | None] = mapped_column(ForeignKey("settlement_line.id"))
    recorded_by: Mapped[str] = mapped_column(String(60))
    recorded_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)


class SettlementRun(Base):
    """A region's monthly settlement of one fund, run once: a rerun finds this row and posts nothing."""

    __tablename__ = "settlement_run"
    __table_args__ = (UniqueConstraint("region_id", "month", "fund", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"))
    month: Mapped[dt.date] = mapped_column(Date)  # first day of the settled month; a clearing: its year's last day
    fund: Mapped[Fund] = mapped_column(enum_type(Fund, "fund"))
    # monthly, or annual_clearing: the year's clearing settlement (年度清算款, RULES §5), which withholds too
    kind: Mapped[str] = mapped_column(String(20), default="monthly", server_default="monthly")
    settled_on: Mapped[dt.date] = mapped_column(Date)  # the business date of its vouchers
    institutions: Mapped[int]
    payable: Mapped[Decimal] = mapped_column(Money())
    withheld: Mapped[Decimal] = mapped_column(Money())
    held: Mapped[Decimal] = mapped_column(Money())
    released: Mapped[Decimal] = mapped_column(Money())
    net: Mapped[Decimal] = mapped_column(Money())
    run_by: Mapped[str] = mapped_column(String(60))
    run_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)


class SettlementLine(Base):
    """One institution's line of a run: the payment list for the bank is these with a net to pay."""

    __tablename__ = "settlement_line"
    __table_args__ = (UniqueConstraint("run_id", "institution_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("settlement_run.id"))
    institution_id: Mapped[int] = mapped_column(ForeignKey("institution.id"), index=True)
    institution_code: Mapped[str] = mapped_column(String(20))
    institution_name: Mapped[str] = mapped_column(String(200))
    payable: Mapped[Decimal] = mapped_column(Money())
    withheld: Mapped[Decimal] = mapped_column(Money())
    held: Mapped[Decimal] = mapped_column(Money())
    released: Mapped[Decimal] = mapped_column(Money())
    # of ``withheld``: money held back earlier and applied to the debt now (HB 五, RULES §6)
    applied: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"), server_default="0")
    net: Mapped[Decimal] = mapped_column(Money())
    still_owed: Mapped[Decimal] = mapped_column(Money())
    note: Mapped[str] = mapped_column(String(300))
    bank_name: Mapped[str] = mapped_column(String(100))
    bank_account: Mapped[str] = mapped_column(String(40))
    # the voucher of what the line posts to this book (RULES §7): none when it withholds and releases nothing
    ledger_entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entry.id"))


class HeldPayment(Base):
    """The register of held payments (RULES §7, HB 五): settlement money kept back from an institution
    under a trigger is no expense while it is held, so it is not in the book; each movement is here.
    ``kind``: held (kept back by a run), released (paid out, now an expense), applied (offset against
    what it owes). Migration 0016 registered what the runs before it held, released and applied.
    What is still held is held − released − applied."""

    __tablename__ = "held_payment"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),
                      Index("ix_held_payment_region_fund_institution", "region_id", "fund", "institution_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"))
    institution_id: Mapped[int] = mapped_column(ForeignKey("institution.id"))
    fund: Mapped[Fund] = mapped_column(enum_type(Fund, "fund"))
    kind: Mapped[str] = mapped_column(String(20))
    amount: Mapped[Decimal] = mapped_column(Money())
    on: Mapped[dt.date] = mapped_column(Date)
    ref: Mapped[str] = mapped_column(String(100))
    settlement_line_id: Mapped[int | None] = mapped_column(ForeignKey("settlement_line.id"))
    ledger_entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entry.id"))
    recorded_by: Mapped[str] = mapped_column(String(60))
    recorded_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)



class YearEndRun(Base):
    """A region's year end of one qualification year (17§, HB 二(四)). A run that left institutions
    undecided (still in the next year's signing window) is ``complete`` only once a later run has
    decided them; a complete year end is never run again."""

    __tablename__ = "year_end_run"
    __table_args__ = (UniqueConstraint("region_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"))
    year: Mapped[int]
    mode: Mapped[str] = mapped_column(String(20))
    complete: Mapped[bool]
    first_run_on: Mapped[dt.date] = mapped_column(Date)
    last_run_on: Mapped[dt.date] = mapped_column(Date)
    run_by: Mapped[str] = mapped_column(String(60))
    owed: Mapped[Decimal] = mapped_column(Money())  # what became owed back over its runs


class PreSettlement(Base):
    """26§ 月度预结金: an advance on a month's settlement, approved level by level and deducted when the
    real settlement runs (its receivable)."""

    __tablename__ = "presettlement"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institution.id"), index=True)
    fund: Mapped[Fund] = mapped_column(enum_type(Fund, "fund"))
    month: Mapped[dt.date] = mapped_column(Date)  # the month whose settlement it advances
    case: Mapped[PresettlementCase] = mapped_column(enum_type(PresettlementCase, "presettlement_case"))
    incurred: Mapped[Decimal] = mapped_column(Money())  # the fund amount actually incurred
    settled: Mapped[Decimal] = mapped_column(Money())  # already settled for the month (第二款: 补差)
    budget_left: Mapped[Decimal | None] = mapped_column(Money())  # 总额指标余额 (第一款)
    amount: Mapped[Decimal] = mapped_column(Money())
    limit_note: Mapped[str] = mapped_column(String(300))
    application_ref: Mapped[str] = mapped_column(String(100))  # the institution's written application
    reason: Mapped[str] = mapped_column(String(500))
    bank_name: Mapped[str] = mapped_column(String(100))
    bank_account: Mapped[str] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(30))
    created_by: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    bank_ref: Mapped[str | None] = mapped_column(String(100))
    paid_on: Mapped[dt.date | None] = mapped_column(Date)
    ledger_entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entry.id"))
    receivable_id: Mapped[int | None] = mapped_column(ForeignKey("receivable.id"))


class PreSettlementSignOff(Base):
    """One level's sign-off of a pre-settlement, bound to the hash of what it saw (as a batch's)."""

    __tablename__ = "presettlement_sign_off"

    id: Mapped[int] = mapped_column(primary_key=True)
    presettlement_id: Mapped[int] = mapped_column(ForeignKey("presettlement.id"), index=True)
    level: Mapped[str] = mapped_column(String(30))
    signer: Mapped[str] = mapped_column(String(60))
    signed_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    comment: Mapped[str] = mapped_column(String(500))
    seen_hash: Mapped[str] = mapped_column(String(64))
