"""15§(四), 24§(五): the payment batch, its multi-level sign-offs, and the payment instructions."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, Money, UtcDateTime, enum_type, utcnow
from ..policy.facts import Fund


class PaymentBatch(Base):
    __tablename__ = "payment_batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), index=True)
    state: Mapped[str] = mapped_column(String(30))
    created_by: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    # the hash of its lines as they stand (services.batch.hash_of), kept at each change so the sign-off
    # screen names it without reading a province's lines; a signature recomputes it from the lines
    content_hash: Mapped[str] = mapped_column(String(64))

    items: Mapped[list[BatchItem]] = relationship(order_by="BatchItem.id", cascade="all, delete-orphan")
    sign_offs: Mapped[list[SignOff]] = relationship(order_by="SignOff.id")


class BatchItem(Base):
    __tablename__ = "payment_batch_item"
    __table_args__ = (UniqueConstraint("batch_id", "determination_id", "fund"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("payment_batch.id"))
    # a confirmation finds its determination's items by it: without the index each one scanned every item
    determination_id: Mapped[int] = mapped_column(ForeignKey("determination.id"), index=True)
    institution_code: Mapped[str] = mapped_column(String(20))
    institution_name: Mapped[str] = mapped_column(String(200))
    fund: Mapped[Fund] = mapped_column(enum_type(Fund, "fund"))
    determined: Mapped[Decimal] = mapped_column(Money())  # the advance the institution should hold
    # 17§ rollover: the part of the new advance it holds already of last year's (never above ``determined``)
    held: Mapped[Decimal] = mapped_column(Money())
    amount: Mapped[Decimal] = mapped_column(Money())  # to pay now: determined − held
    bank_name: Mapped[str] = mapped_column(String(100))
    bank_account: Mapped[str] = mapped_column(String(40))


class SignOff(Base):
    """One level's sign-off, bound to the hash of the exact batch it saw."""

    __tablename__ = "payment_batch_sign_off"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("payment_batch.id"), index=True)
    level: Mapped[str] = mapped_column(String(30))  # prepared, reviewed, administration, finance_bureau
    signer: Mapped[str] = mapped_column(String(60))
    signed_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    comment: Mapped[str] = mapped_column(String(500))
    batch_hash: Mapped[str] = mapped_column(String(64))
    voided_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    void_reason: Mapped[str | None] = mapped_column(String(200))


class PaymentInstruction(Base):
    __tablename__ = "payment_instruction"
    # one bank transfer confirms one instruction: a reference is unique per paying account
    # whether a batch has an instruction still pending is asked after every confirmation: by (batch, state),
    # not by walking the batch's instructions already paid
    __table_args__ = (UniqueConstraint("batch_item_id"), UniqueConstraint("paying_account", "bank_ref"),
                      Index("ix_payment_instruction_batch_id_state", "batch_id", "state"))

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("payment_batch.id"))
    batch_item_id: Mapped[int] = mapped_column(ForeignKey("payment_batch_item.id"))
    institution_code: Mapped[str] = mapped_column(String(20))
    fund: Mapped[Fund] = mapped_column(enum_type(Fund, "fund"))
    amount: Mapped[Decimal] = mapped_column(Money())
    bank_name: Mapped[str] = mapped_column(String(100))
    bank_account: Mapped[str] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(20))
    issued_on: Mapped[dt.date] = mapped_column(Date)  # a confirmation is never dated before it
    bank_ref: Mapped[str | None] = mapped_column(String(100))
    paying_account: Mapped[str | None] = mapped_column(String(60))  # region/fund/role of the account credited
    paid_on: Mapped[dt.date | None] = mapped_column(Date)
    ledger_entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entry.id"))
    # 退票: the bank's reason the last time it returned this instruction unpaid (cleared when re-issued;
    # the transitions keep every return and every account it was sent to)
    failure_reason: Mapped[str | None] = mapped_column(String(200))
    # how many times it was sent to the bank: a return names the sending it answers (an old return file
    # uploaded again cannot bounce, nor confirm, the instruction sent again)
    attempt: Mapped[int] = mapped_column(default=1, server_default="1")
    # a re-issue (maker: 财务) goes to the bank only after 内审 reviewed it (checker, 24§(四)): a signed payment
    # is not redirected by one person (issue 30 review)
    reissued_by: Mapped[str | None] = mapped_column(String(60))
    reissue_approved_by: Mapped[str | None] = mapped_column(String(60))
