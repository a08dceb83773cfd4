"""The Flask application factories: nothing imports them back but the entry points.

``create_app`` is the whole web application (screens, API, guards). ``create_console_app`` is what a
console command needs (the configuration, the engine and the session factory) and nothing more, so
that ``prepay-admin ledger trial-balance`` does not pay to import every screen and the API first.
"""
from __future__ import annotations

from typing import Any

from flask import Flask

from . import config, extensions
from .db import make_engine, make_session_factory


def create_console_app(overrides: dict[str, Any] | None = None) -> Flask:
    """The app a console command runs in: configuration, engine and session factory."""
    app = Flask(__name__)
    app.config.update(DATABASE_URL=config.database_url(), JSON_AS_ASCII=False)
    app.config.update(overrides or {})
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["prepay_engine"] = engine
    extensions.install(app, make_session_factory(engine))
    return app


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """The web application: screens, the API, their guards, and the console's commands on ``app.cli``."""
    from flask import request
    from flask_wtf.csrf import CSRFProtect
    from werkzeug.exceptions import HTTPException

    from . import api
    from .api.errors import json_error
    from .cli import commands
    from .web import bp as web_bp
    from .web import charts, security
    from .web.admin import bp as admin_bp
    from .web.audit import bp as audit_bp
    from .web.auth import bp as auth_bp
    from .web.auth import login_manager
    from .web.batches import bp as batches_bp
    from .web.converters import CONVERTERS
    from .web.cycle import bp as cycle_bp
    from .web.deposit import bp as deposit_bp
    from .web.determinations import bp as determinations_bp
    from .web.documents import bp as documents_bp
    from .web.imports import bp as imports_bp
    from .web.institutions import bp as institutions_bp
    from .web.ledger import bp as ledger_bp
    from .web.profiles import bp as profiles_bp
    from .web.recovery import bp as recovery_bp

    app = create_console_app({**config.web_settings(), **(overrides or {})})
    app.json.ensure_ascii = False  # Chinese stays readable in JSON answers

    app.url_map.converters.update(CONVERTERS)
    csrf = CSRFProtect(app)
    login_manager.init_app(app)
    api.install(app, csrf)
    security.install(app, hsts=config.production())
    proxies = config.trusted_proxies()
    if proxies:  # the client's address and scheme as the trusted proxies saw them (issue 28)
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=0)  # type: ignore[method-assign]

    @app.errorhandler(HTTPException)  # registered after the API's own: JSON under /api, pages elsewhere
    def _error(err: HTTPException):
        return json_error(err) if request.path.startswith("/api/") else security.html_error(err)

    app.register_blueprint(auth_bp)
    app.register_blueprint(web_bp)
    app.register_blueprint(batches_bp)
    app.register_blueprint(cycle_bp)
    app.register_blueprint(audit_bp)
    for blueprint in (determinations_bp, institutions_bp, ledger_bp, admin_bp, imports_bp, recovery_bp, documents_bp,
                      profiles_bp, deposit_bp):
        app.register_blueprint(blueprint)
    charts.install(app)
    for command in commands():
        app.cli.add_command(command)
    return app
