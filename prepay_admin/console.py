"""The ``prepay-admin`` console command: the CLI group, bound to the application factory.

An entry point, like ``wsgi.py``: it imports the factory; the commands themselves
live in ``prepay_admin.cli`` and never do.
"""
from __future__ import annotations

from flask.cli import FlaskGroup

from .app import create_app

cli = FlaskGroup(create_app=create_app, help="医保基金预付金管理（prepay-admin）")
