"""The Flask application factory."""
from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy.orm import sessionmaker

from . import config
from .db import make_engine, make_session_factory


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    app.config.update(
        DATABASE_URL=config.database_url(),
        JSON_AS_ASCII=False,
    )
    app.config.update(overrides or {})
    app.json.ensure_ascii = False  # Chinese stays readable in JSON answers

    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["prepay_engine"] = engine
    app.extensions["prepay_sessions"] = make_session_factory(engine)

    from .web import bp as web_bp

    app.register_blueprint(web_bp)

    from .cli import COMMANDS

    for command in COMMANDS:
        app.cli.add_command(command)
    return app


def sessions(app: Flask) -> sessionmaker:
    """The session factory services open their unit of work with."""
    return app.extensions["prepay_sessions"]
