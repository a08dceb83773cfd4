"""Run Alembic from code: used by ``prepay-admin db …`` and by the tests."""
from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection

from .config import PROJECT_ROOT


def alembic_config(url: str | None = None, connection: Connection | None = None) -> Config:
    cfg = Config(str(PROJECT_ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    if url is not None:
        cfg.attributes["url"] = url
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def upgrade(url: str, revision: str = "head", report=None) -> list[str]:
    """Migrate the schema; at the head, store the packaged policy profiles this release ships that the
    database does not hold yet (through the same path as a bureau's own), and bring books kept before
    RULES §7 (turn 3) onto its chart (``services.books.adopt_turn3_chart``, each step told to ``report``).
    Returns the profiles newly stored."""
    command.upgrade(alembic_config(url=url), revision)
    from .db import make_engine, make_session_factory

    if revision != "head" and not _at_head(url):  # an explicit revision that is the head is the head
        return []
    from .services.books import adopt_turn3_chart
    from .services.profiles import register_packaged_profiles

    engine = make_engine(url)
    try:
        sessions = make_session_factory(engine)
        stored = [f"{a.name} 第 {a.version} 版" for a in register_packaged_profiles(sessions) if not a.replayed]
        for line in adopt_turn3_chart(sessions):  # data that only the ledger may write: after the schema
            if report is not None:
                report(line)
        return stored
    finally:
        engine.dispose()


def current_revision(url: str) -> str | None:
    """The revision the database is at (None: no schema yet)."""
    from alembic.migration import MigrationContext

    from .db import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def _at_head(url: str) -> bool:
    from alembic.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from .db import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return set(MigrationContext.configure(conn).get_current_heads()) == set(
                ScriptDirectory.from_config(alembic_config()).get_heads())
    finally:
        engine.dispose()


def autovacuum_off(url: str) -> bool:
    """True on a PostgreSQL server that runs with autovacuum off, which the operator must be told of:
    psycopg prepares a statement the fifth time a connection runs it, and PostgreSQL keeps its plan
    until the table is analyzed again, so on such a server a book that grew from empty is still planned
    as empty (a bulk posting's idempotency lookup then scans the whole book). SQLite: False."""
    from .db import make_engine

    engine = make_engine(url)
    try:
        if engine.dialect.name != "postgresql":
            return False
        with engine.connect() as conn:
            return conn.exec_driver_sql("SHOW autovacuum").scalar() != "on"
    finally:
        engine.dispose()


def grant_app_role(url: str, role: str) -> None:
    """As the schema's owner, grant the application's role least privilege (``accounting.privileges``)."""
    from sqlalchemy.exc import DBAPIError

    from accounting.privileges import grant_application_role

    from .db import make_engine

    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            grant_application_role(conn, role)
    except DBAPIError as err:  # no such role, or not the owner: said in one line
        raise ValueError(f"授权失败：{str(err.orig).splitlines()[0]}") from None
    finally:
        engine.dispose()
