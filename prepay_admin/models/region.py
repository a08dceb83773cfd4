"""Pooling regions (统筹地区) and their funds' positions."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, Money, enum_type
from ..policy.facts import Fund


class Region(Base):
    __tablename__ = "region"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)  # 行政区划代码
    name: Mapped[str] = mapped_column(String(100))
    profile: Mapped[str] = mapped_column(String(40))  # the policy profile the region runs under
    # the deposit profile (DEPOSIT.md: national defaults, Guizhou, Jilin, Xinjiang)
    deposit_profile: Mapped[str] = mapped_column(String(40), default="national-2025", server_default="national-2025")

    fund_positions: Mapped[list[FundPositionRecord]] = relationship(back_populates="region")


class FundPositionRecord(Base):
    """A fund's figures for the campaign ``year``: the surplus at the end of
    ``year − 1``, its monthly expenditure, last year's current-period balance
    and the 12-month rolling projection for ``year`` (9§)."""

    __tablename__ = "fund_position"
    __table_args__ = (UniqueConstraint("region_id", "year", "fund"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"))
    year: Mapped[int]
    fund: Mapped[Fund] = mapped_column(enum_type(Fund, "fund"))
    cumulative_surplus: Mapped[Decimal] = mapped_column(Money())
    monthly_expenditure: Mapped[Decimal] = mapped_column(Money())
    last_year_current_balance: Mapped[Decimal] = mapped_column(Money())
    projected_current_balance: Mapped[Decimal] = mapped_column(Money())

    region: Mapped[Region] = relationship(back_populates="fund_positions")


class RegionAccount(Base):
    """The bureau's own bank account of a fund (支出户), into which institutions pay advances back
    (20§(二)1: the demand names it)."""

    __tablename__ = "region_account"
    __table_args__ = (UniqueConstraint("region_id", "fund"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"))
    fund: Mapped[Fund] = mapped_column(enum_type(Fund, "fund"))
    account_name: Mapped[str] = mapped_column(String(100))  # 户名
    bank_name: Mapped[str] = mapped_column(String(100))  # 开户行
    account_no: Mapped[str] = mapped_column(String(40))
