"""The one check of a business date given by staff: not after today (issue 29: it was written 7 times,
in two wordings)."""
from __future__ import annotations

import datetime as dt

from .. import clock
from .errors import ServiceError


def not_after_today(day: dt.date, field: str, what: str = "业务日期") -> None:
    """A date staff give for something that happened cannot be in the future, on Beijing's calendar."""
    today = clock.today()
    if day > today:
        raise ServiceError(f"{what} {day} 晚于今天（北京时间 {today}）", field)
