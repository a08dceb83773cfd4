"""The Flask application factory: it wires the shells to the database; nothing imports it back."""
from __future__ import annotations

from typing import Any

from flask import Flask

from . import config, extensions
from .cli import COMMANDS
from .db import make_engine, make_session_factory
from .web import bp as web_bp


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
    extensions.install(app, make_session_factory(engine))

    app.register_blueprint(web_bp)
    for command in COMMANDS:
        app.cli.add_command(command)
    return app
