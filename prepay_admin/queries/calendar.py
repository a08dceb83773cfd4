"""The holiday calendar a year's signing windows count on."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import sessionmaker

from ..services.calendar import workday_lookup, year_known


@dataclass(frozen=True)
class YearCalendar:
    year: int
    known: bool
    exceptions: tuple[tuple[dt.date, bool], ...]  # weekdays off and weekend days worked (调休): (day, workday)


def year_calendar(sessions: sessionmaker, year: int) -> YearCalendar:
    with sessions() as session:
        known = year_known(session, year)
        is_workday = workday_lookup(session)
    exceptions = []
    day = dt.date(year, 1, 1)
    while day.year == year:
        status = is_workday(day)
        if status is not None and status == (day.weekday() >= 5):
            exceptions.append((day, status))
        day += dt.timedelta(days=1)
    return YearCalendar(year, known, tuple(exceptions))
