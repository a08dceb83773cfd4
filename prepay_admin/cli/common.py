"""Helpers shared by the CLI commands: sessions of the current app, and error rendering."""
from __future__ import annotations

import getpass
import os
import sys
from typing import NoReturn

import click
from flask import current_app
from sqlalchemy.orm import sessionmaker

from ..app import sessions


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
