"""Which days are working days: the bureau's overrides first, then the maintained library."""
from __future__ import annotations

import datetime as dt
from typing import Callable

import chinese_calendar
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ..models import CalendarDay, CalendarYear, Department
from ..policy.workdays import Deadline, add_working_days
from ..validation import YEAR_MAX, YEAR_MIN
from .errors import ServiceError
from .unit_of_work import staff_step

# the signing window counts on these entries: the departments that run it keep them
CALENDAR_KEEPERS = (Department.FUND_SETTLEMENT, Department.FINANCE, Department.ADMINISTRATOR)


def library_knows(year: int) -> bool:
    try:
        chinese_calendar.is_workday(dt.date(year, 6, 1))
        return True
    except NotImplementedError:
        return False


def library_workday(day: dt.date) -> bool | None:
    """The library's answer, or None for a year it does not cover."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return None


def year_known(session: Session, year: int) -> bool:
    """Known when the library covers it or the bureau has entered that year's arrangement in full."""
    return library_knows(year) or session.get(CalendarYear, year) is not None


def workday_lookup(session: Session) -> Callable[[dt.date], bool | None]:
    overrides = {d.day: d.workday for d in session.scalars(select(CalendarDay))}
    entered = set(session.scalars(select(CalendarYear.year)))

    def is_workday(day: dt.date) -> bool | None:
        if day in overrides:
            return overrides[day]
        known = library_workday(day)
        if known is None and day.year in entered:
            return day.weekday() < 5  # the bureau entered the year: its exceptions are in the overrides
        return known

    return is_workday


def working_days_after(session: Session, start: dt.date, count: int) -> Deadline:
    return add_working_days(start, count, workday_lookup(session))


def set_day(sessions: sessionmaker, day: dt.date, workday: bool, note: str, user: str) -> None:
    """Record the bureau's own status for a day (a holiday or a 调休 workday)."""
    if not YEAR_MIN <= day.year <= YEAR_MAX:
        raise ServiceError(f"日期须在 {YEAR_MIN}—{YEAR_MAX} 年之间", "day")
    if not note.strip() or len(note) > 200:
        raise ServiceError("须说明依据（不超过 200 个字符）", "note")
    with staff_step(sessions, user, *CALENDAR_KEEPERS) as step:
        row = step.session.get(CalendarDay, day) or CalendarDay(day=day)
        row.workday, row.note, row.recorded_by = workday, note, user
        step.session.add(row)


def mark_year_entered(sessions: sessionmaker, year: int, source: str, user: str) -> None:
    if not YEAR_MIN <= year <= YEAR_MAX:
        raise ServiceError(f"年度须在 {YEAR_MIN}—{YEAR_MAX} 之间", "year")
    if not source.strip() or len(source) > 200:
        raise ServiceError("须填写国务院办公厅通知文号（不超过 200 个字符）", "source")
    with staff_step(sessions, user, *CALENDAR_KEEPERS) as step:
        if step.session.get(CalendarYear, year) is None:
            step.session.add(CalendarYear(year=year, source=source, recorded_by=user))
