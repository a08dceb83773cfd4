"""What the factory puts on the app for the shells to use: the session factory.

The shells (CLI commands, screens) reach it through here, so that nothing
imports the application factory back.
"""
from __future__ import annotations

from flask import Flask, current_app
from sqlalchemy.orm import sessionmaker

KEY = "prepay_sessions"


def install(app: Flask, sessions: sessionmaker) -> None:
    app.extensions[KEY] = sessions


def sessions() -> sessionmaker:
    """The current app's session factory: services open their unit of work with it."""
    return current_app.extensions[KEY]
