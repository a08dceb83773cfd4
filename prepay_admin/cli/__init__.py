"""The ``prepay-admin`` console command: a Flask CLI group.

Commands only parse, call a service (or the pure engine) and render. They are
registered on ``app.cli`` by the factory, so ``flask`` and the test runner see
them too.
"""
from __future__ import annotations

from flask.cli import FlaskGroup

from ..app import create_app
from .calendar import calendar
from .compute import compute
from .cycle import cycle
from .database import db
from .demo import demo
from .ledger import ledger
from .policy import policy
from .scheduler import scheduler

COMMANDS = (db, demo, compute, policy, ledger, scheduler, cycle, calendar)

cli = FlaskGroup(create_app=create_app, help="医保基金预付金管理（prepay-admin）")
