"""Which days are working days: the bureau's overrides first, then the maintained library."""
from __future__ import annotations

import datetime as dt
from typing import Callable

import chinese_calendar
from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from ..models import AuditEvent, CalendarDay, CalendarYear, Department, Region, StaffRegion
from ..policy.workdays import Deadline, add_working_days
from ..validation import YEAR_MAX, YEAR_MIN
from .errors import NotFound, ServiceError
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


def workday_lookup(session: Session, region_code: str | None) -> Callable[[dt.date], bool | None]:
    """RULES §9 (turn 3): the region's own adjustments first, then the national entries, then the library."""
    rows = session.execute(select(CalendarDay.day, CalendarDay.workday, CalendarDay.region_code).where(
        or_(CalendarDay.region_code.is_(None), CalendarDay.region_code == region_code))).all()
    overrides = {day: workday for day, workday, owner in rows if owner is None}
    overrides.update({day: workday for day, workday, owner in rows if owner is not None})
    entered = set(session.scalars(select(CalendarYear.year)))

    def is_workday(day: dt.date) -> bool | None:
        if day in overrides:
            return overrides[day]
        known = library_workday(day)
        if known is None and day.year in entered:
            return day.weekday() < 5  # the year was entered: its exceptions are in the national entries
        return known

    return is_workday


def working_days_after(session: Session, region_code: str, start: dt.date, count: int) -> Deadline:
    """``count`` working days after ``start`` on the calendar ``region_code``'s deadlines count on."""
    return add_working_days(start, count, workday_lookup(session, region_code))


def _may_keep(step, region_code: str | None) -> None:
    """RULES §9 (turn 3, whose rules): a bureau's own entries belong to its region; the national
    arrangement is shared by every region, so only someone granted every region records it (issue 28:
    a region B clerk changed the calendar region A's signing deadline counts on)."""
    if region_code is not None:
        region = step.session.scalar(select(Region).where(Region.code == region_code))
        if region is None:
            raise NotFound(f"没有统筹地区 {region_code}", "region")
        step.enter(region)
        return
    every = set(step.session.scalars(select(Region.code)))
    own = set(step.session.scalars(select(StaffRegion.region_code).where(StaffRegion.staff_id == step.actor.id)))
    if every - own:
        raise ServiceError("全国统一的节假日安排由管辖全部统筹地区的人员录入；本地区自行调整的日子请选择统筹地区",
                           "region")


def set_day(sessions: sessionmaker, day: dt.date, workday: bool, note: str, user: str,
            region_code: str | None) -> None:
    """Record a day's status (a holiday or a 调休 workday): a region's own adjustment, or (no region) a
    national entry for every region."""
    if not YEAR_MIN <= day.year <= YEAR_MAX:
        raise ServiceError(f"日期须在 {YEAR_MIN}—{YEAR_MAX} 年之间", "day")
    if not note.strip() or len(note) > 100:
        raise ServiceError("须说明依据（不超过 100 个字符）", "note")
    with staff_step(sessions, user, *CALENDAR_KEEPERS) as step:
        _may_keep(step, region_code)
        owner = CalendarDay.region_code.is_(None) if region_code is None else CalendarDay.region_code == region_code
        row = step.session.scalar(select(CalendarDay).where(CalendarDay.day == day, owner)) \
            or CalendarDay(day=day, region_code=region_code)
        row.workday, row.note, row.recorded_by = workday, note, user
        step.session.add(row)
        whose = f"统筹地区 {region_code}" if region_code else "全国统一安排"
        step.session.add(AuditEvent(actor=user, kind="calendar", detail=(
            f"节假日（{whose}）：{day} 设为{'工作日' if workday else '休息日'}，依据 {note}")[:500]))


def mark_year_entered(sessions: sessionmaker, year: int, source: str, user: str) -> None:
    """The national arrangement of ``year`` is entered in full (shared by every region)."""
    if not YEAR_MIN <= year <= YEAR_MAX:
        raise ServiceError(f"年度须在 {YEAR_MIN}—{YEAR_MAX} 之间", "year")
    if not source.strip() or len(source) > 200:
        raise ServiceError("须填写国务院办公厅通知文号（不超过 200 个字符）", "source")
    with staff_step(sessions, user, *CALENDAR_KEEPERS) as step:
        _may_keep(step, None)
        if step.session.get(CalendarYear, year) is None:
            step.session.add(CalendarYear(year=year, source=source, recorded_by=user))
            step.session.add(AuditEvent(actor=user, kind="calendar",
                                        detail=f"{year} 年全国节假日安排已全部录入（{source}）"[:500]))
