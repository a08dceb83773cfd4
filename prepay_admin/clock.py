"""The bureau's clock: business dates are Beijing dates; timestamps are stored in UTC.

One module so that "today" means the same day to the CLI, the services and the
scheduler (a confirmation at 00:30 Beijing time on 1 February is February's).
"""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

TIMEZONE = ZoneInfo("Asia/Shanghai")


def today() -> dt.date:
    """Today's business date in Beijing."""
    return dt.datetime.now(TIMEZONE).date()


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)
