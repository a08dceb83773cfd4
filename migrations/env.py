"""Alembic environment: the only path by which the schema changes."""
from __future__ import annotations

from alembic import context

from accounting import models as ledger_models  # noqa: F401  (registers the ledger's tables)
from prepay_admin import config as app_config
from prepay_admin import models  # noqa: F401  (registers every table)
from prepay_admin.db import Base, make_engine

target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = context.config.attributes.get("url") or app_config.database_url()
    engine = make_engine(url)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


def _run(connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # SQLite cannot ALTER most things: batch mode copies a table and drops the old one, which foreign
        # keys forbid once other tables' rows refer to it. They are off for the migration (the pragma
        # only takes effect outside a transaction) and checked whole before it commits.
        _foreign_keys(connection, "OFF")
    try:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=sqlite,
                          compare_type=True)
        with context.begin_transaction():
            context.run_migrations()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                if broken:
                    raise RuntimeError(f"迁移后外键不一致：{broken[:5]}")
    finally:
        if sqlite:
            _foreign_keys(connection, "ON")


def _foreign_keys(connection, state: str) -> None:
    connection.connection.driver_connection.execute(f"PRAGMA foreign_keys={state}")


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run against a database")
run_migrations_online()
