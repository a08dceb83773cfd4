"""The bureau's own holiday calendar entries, over the calendar library (调休 included)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, UtcDateTime, utcnow

_NATIONAL = text("region_code IS NULL")
_REGIONAL = text("region_code IS NOT NULL")


class CalendarDay(Base):
    """A day whose status is set over the library: a holiday, or a weekend day worked (调休).

    RULES §9 (turn 3, whose rules): a national entry (no region: the State Council's arrangement for a
    year the library does not cover yet) is shared by every region; a bureau's own adjustment belongs to
    its region, and only that region's deadlines count on it."""

    __tablename__ = "calendar_day"
    __table_args__ = (
        Index("uq_calendar_day_national", "day", unique=True, sqlite_where=_NATIONAL, postgresql_where=_NATIONAL),
        Index("uq_calendar_day_regional", "region_code", "day", unique=True, sqlite_where=_REGIONAL,
              postgresql_where=_REGIONAL),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date)
    region_code: Mapped[str | None] = mapped_column(ForeignKey("region.code"))
    workday: Mapped[bool]
    note: Mapped[str] = mapped_column(String(100))
    recorded_by: Mapped[str] = mapped_column(String(60))
    recorded_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)


class CalendarYear(Base):
    """A year whose arrangement the bureau has entered in full (from the State Council's notice),
    so it counts as known even where the library does not cover it yet."""

    __tablename__ = "calendar_year"

    year: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(200))  # 国务院办公厅通知文号
    recorded_by: Mapped[str] = mapped_column(String(60))
    recorded_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
