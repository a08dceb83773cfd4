"""The console's commands. They only parse, call a service or a query, and render.

The factory registers them on ``app.cli`` (``prepay_admin.console`` is the
``prepay-admin`` entry point), so ``flask`` and the test runner see them too.
They import neither SQLAlchemy nor the models, and open no session themselves.
"""
from __future__ import annotations

from .calendar import calendar
from .compute import compute
from .cycle import cycle
from .database import db
from .demo import demo
from .documents import docs
from .identity import login, logout, users, whoami
from .intake import import_, region
from .ledger import ledger
from .policy import policy
from .recovery import presettlement, recovery, settlement_
from .scheduler import scheduler

COMMANDS = (db, demo, users, login, logout, whoami, compute, policy, ledger, scheduler, cycle, calendar, region,
            import_, settlement_, recovery, presettlement, docs)
