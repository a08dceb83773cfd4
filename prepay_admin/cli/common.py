"""Helpers shared by the CLI commands: sessions of the current app, and error rendering."""
from __future__ import annotations

import getpass
import os
import sys
from typing import Callable, NoReturn, TypeVar

import click
from flask import current_app
from sqlalchemy.orm import sessionmaker

from accounting.errors import LedgerError

from ..app import sessions
from ..services.errors import ServiceError

T = TypeVar("T")

# a service's field name → the command-line option that carries it (None: the message says enough)
OPTION_FOR_FIELD = {"on": "date", "today": "date", "submitted_on": "date", "registration_ref": "ref",
                    "bank_ref": "bank-ref", "state": None}


def app_sessions() -> sessionmaker:
    return sessions(current_app)


def current_user() -> str:
    """Who runs the command: ``PREPAY_USER``, else the login name."""
    return os.environ.get("PREPAY_USER") or getpass.getuser()


def fail(lines: list[str] | str, status: int = 2) -> NoReturn:
    """Print each problem on its own line to stderr and exit (2: bad input)."""
    for line in [lines] if isinstance(lines, str) else lines:
        click.echo(line, err=True)
    sys.exit(status)


def run_service(action: Callable[[], T]) -> T:
    """Call a service; a refusal becomes one line naming the option, and exit status 2."""
    try:
        return action()
    except (ServiceError, LedgerError) as err:
        option = OPTION_FOR_FIELD.get(err.field, err.field)
        fail(f"--{option}: {err.message}" if option else err.message)
