"""The bureau's own holiday calendar entries, over the calendar library (调休 included)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, String
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, UtcDateTime, utcnow


class CalendarDay(Base):
    """A day whose status the bureau sets: a holiday, or a weekend day worked (调休)."""

    __tablename__ = "calendar_day"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
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
