"""The ledger's tables. Posted entries, lines and memos are append-only:
``guards.py`` installs the triggers that make the database refuse changes."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .chart import Role
from .schema import Base, Money, UtcDateTime, enum_type, utcnow


class Book(Base):
    """A set of books: one per pooling region and fund (8§: the funds are kept apart)."""

    __tablename__ = "ledger_book"
    __table_args__ = (UniqueConstraint("region_code", "fund"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    region_code: Mapped[str] = mapped_column(String(12))
    fund: Mapped[str] = mapped_column(String(32))  # the caller's key for the fund the book keeps (8§)
    name: Mapped[str] = mapped_column(String(100))
    # some county-level bureaus hold no 财政专户 of their own
    fiscal_special_allowed: Mapped[bool]

    accounts: Mapped[list[LedgerAccount]] = relationship(back_populates="book", order_by="LedgerAccount.code")


class LedgerAccount(Base):
    __tablename__ = "ledger_account"
    __table_args__ = (UniqueConstraint("book_id", "code"), UniqueConstraint("book_id", "role"))

    id: Mapped[int] = mapped_column(primary_key=True)
    book_id: Mapped[int] = mapped_column(ForeignKey("ledger_book.id"))
    role: Mapped[Role] = mapped_column(enum_type(Role, "account_role"))
    code: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(60))

    book: Mapped[Book] = relationship(back_populates="accounts")


class JournalEntry(Base):
    """A posted voucher (记账凭证). Never updated or deleted; corrected by a reversal."""

    __tablename__ = "ledger_entry"
    __table_args__ = (
        UniqueConstraint("book_id", "voucher_year", "voucher_no"),
        UniqueConstraint("book_id", "idempotency_key"),
        UniqueConstraint("reverses_id"),  # at most one reversal per original
        Index("ix_ledger_entry_book_id_period", "book_id", "period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    book_id: Mapped[int] = mapped_column(ForeignKey("ledger_book.id"))
    voucher_year: Mapped[int]
    voucher_no: Mapped[int]  # gapless per book and year
    entry_date: Mapped[dt.date] = mapped_column(Date)
    period: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    summary: Mapped[str] = mapped_column(String(200))
    source_ref: Mapped[str] = mapped_column(String(200))
    idempotency_key: Mapped[str] = mapped_column(String(200))
    content_hash: Mapped[str] = mapped_column(String(64))
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entry.id"))
    posted_by: Mapped[str] = mapped_column(String(60))
    posted_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)

    lines: Mapped[list[JournalLine]] = relationship(order_by="JournalLine.line_no", back_populates="entry")

    @property
    def voucher(self) -> str:
        """The voucher number as staff write it: 记-2026-0001."""
        return f"记-{self.voucher_year}-{self.voucher_no:04d}"


class JournalLine(Base):
    __tablename__ = "ledger_line"
    __table_args__ = (
        UniqueConstraint("entry_id", "line_no"),
        CheckConstraint("(debit > 0 AND credit = 0) OR (credit > 0 AND debit = 0)", name="one_positive_side"),
        Index("ix_ledger_line_account_id_party", "account_id", "party"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("ledger_entry.id"))
    line_no: Mapped[int]
    account_id: Mapped[int] = mapped_column(ForeignKey("ledger_account.id"))
    party: Mapped[str | None] = mapped_column(String(20))  # the institution's code on a sub-ledger account
    debit: Mapped[Decimal] = mapped_column(Money())
    credit: Mapped[Decimal] = mapped_column(Money())

    entry: Mapped[JournalEntry] = relationship(back_populates="lines")
    account: Mapped[LedgerAccount] = relationship()


class WriteOffMemo(Base):
    """备查簿: a written-off advance stays registered with its court document and approval (20§(二)6)."""

    __tablename__ = "ledger_writeoff_memo"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("ledger_entry.id"), unique=True)
    party: Mapped[str] = mapped_column(String(20))
    amount: Mapped[Decimal] = mapped_column(Money())
    court_document_ref: Mapped[str] = mapped_column(String(200))
    approval_ref: Mapped[str] = mapped_column(String(200))


class WriteOffRecovery(Base):
    """备查簿: money recovered after a write-off, registered against the write-off's memo."""

    __tablename__ = "ledger_writeoff_recovery"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("ledger_entry.id"), unique=True)
    memo_id: Mapped[int] = mapped_column(ForeignKey("ledger_writeoff_memo.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money())


class ChainLink(Base):
    """The hash chain of a book's entries (``chain.py``), one link per entry in posting order; append-only."""

    __tablename__ = "ledger_chain"
    __table_args__ = (UniqueConstraint("book_id", "seq"),)

    entry_id: Mapped[int] = mapped_column(ForeignKey("ledger_entry.id"), primary_key=True)
    book_id: Mapped[int] = mapped_column(ForeignKey("ledger_book.id"))
    seq: Mapped[int]  # 1, 2, … per book
    hash: Mapped[str] = mapped_column(String(64))


class VoucherCounter(Base):
    """The last voucher number issued per book and year; updated under the book's lock, in the
    posting's own transaction, so a rolled-back posting leaves no gap."""

    __tablename__ = "ledger_voucher_counter"

    book_id: Mapped[int] = mapped_column(ForeignKey("ledger_book.id"), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    last_no: Mapped[int]


class PeriodClosure(Base):
    """A closing of the books through ``period``. Only the latest may be reopened; the
    reopening is recorded on the row, which otherwise stays as it was."""

    __tablename__ = "ledger_period_closure"

    id: Mapped[int] = mapped_column(primary_key=True)
    book_id: Mapped[int] = mapped_column(ForeignKey("ledger_book.id"), index=True)
    period: Mapped[str] = mapped_column(String(7))
    closed_by: Mapped[str] = mapped_column(String(60))
    closed_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    reopened_by: Mapped[str | None] = mapped_column(String(60))
    reopened_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    reopen_reason: Mapped[str | None] = mapped_column(String(500))
