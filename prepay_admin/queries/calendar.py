"""The holiday calendar a region's signing windows and refund deadlines count on."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import sessionmaker

from ..models import CalendarDay
from ..services.calendar import workday_lookup, year_known

# whose entry decided a day (RULES §9, turn 3): the maintained library, a national entry, the region's own
SOURCE_CN = {"library": "法定安排", "national": "全国统一录入", "region": "本地区调整"}


@dataclass(frozen=True)
class CalendarException:
    day: dt.date
    workday: bool  # a weekend day worked (调休) when True, a weekday off when False
    source: str  # a SOURCE_CN key
    note: str

    @property
    def source_cn(self) -> str:
        return SOURCE_CN[self.source]


@dataclass(frozen=True)
class YearCalendar:
    year: int
    region_code: str | None
    known: bool
    exceptions: tuple[CalendarException, ...]  # weekdays off and weekend days worked, in day order
    entries: tuple[CalendarException, ...]  # every entry recorded over the library (national, the region's)


def year_calendar(sessions: sessionmaker, year: int, region_code: str | None) -> YearCalendar:
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    with sessions() as session:
        known = year_known(session, year)
        is_workday = workday_lookup(session, region_code)
        rows = session.execute(select(CalendarDay.day, CalendarDay.workday, CalendarDay.region_code,
                                      CalendarDay.note).where(
            CalendarDay.day.between(first, last),
            or_(CalendarDay.region_code.is_(None), CalendarDay.region_code == region_code))).all()
    recorded = {(day, owner is not None): (workday, note) for day, workday, owner, note in rows}

    def decided_by(day: dt.date) -> tuple[str, str]:
        for own, source in ((True, "region"), (False, "national")):
            if (day, own) in recorded:
                return source, recorded[(day, own)][1]
        return "library", ""

    exceptions = []
    day = first
    while day <= last:
        status = is_workday(day)
        if status is not None and status == (day.weekday() >= 5):
            exceptions.append(CalendarException(day, status, *decided_by(day)))
        day += dt.timedelta(days=1)
    entries = tuple(sorted((CalendarException(day, workday, "region" if own else "national", note)
                            for (day, own), (workday, note) in recorded.items()),
                           key=lambda e: (e.day, e.source)))
    return YearCalendar(year, region_code, known, tuple(exceptions), entries)
