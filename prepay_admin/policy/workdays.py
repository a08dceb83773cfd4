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
