"""Working days on the Chinese statutory calendar (15§(三): 7 working days after the list).

Pure: the caller supplies ``is_workday(day) -> bool | None`` built from a
maintained calendar library and the bureau's own override table; ``None``
means the day's year is not known yet. Then the deadline is computed on the
ordinary Monday–Friday week and marked provisional — never silently guessed.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class Deadline:
    date: dt.date
    provisional: bool
    unknown_years: tuple[int, ...] = ()


def add_working_days(start: dt.date, count: int, is_workday: Callable[[dt.date], bool | None]) -> Deadline:
    """The ``count``-th working day after ``start`` (``start`` itself not counted)."""
    day, found, unknown = start, 0, set()
    while found < count:
        day += dt.timedelta(days=1)
        known = is_workday(day)
        if known is None:
            unknown.add(day.year)
            known = day.weekday() < 5
        if known:
            found += 1
    return Deadline(day, bool(unknown), tuple(sorted(unknown)))


def add_days(start: dt.date, days: int, is_workday: Callable[[dt.date], bool | None]) -> Deadline:
    """The last day of a period of ``days`` calendar days after ``start`` (a notice's "30 日内"), moved to the
    next working day when it falls on a rest day or holiday (民法典 第二百零三条: 期间的最后一日是法定休假日的，
    以法定休假日结束的次日为期间的最后一日)."""
    day, unknown = start + dt.timedelta(days=days), set()
    for _ in range(MOST_REST_DAYS + 1):
        known = is_workday(day)
        if known is None:
            unknown.add(day.year)
            known = day.weekday() < 5
        if known:
            return Deadline(day, bool(unknown), tuple(sorted(unknown)))
        day += dt.timedelta(days=1)
    raise ValueError(f"{start} 后 {days} 日起连续 {MOST_REST_DAYS} 日以上均非工作日：请检查节假日日历")


MOST_REST_DAYS = 31  # the longest run of rest days a calendar may have (the Spring Festival's is 9)
