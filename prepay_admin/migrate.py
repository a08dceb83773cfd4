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


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url=url), revision)


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
