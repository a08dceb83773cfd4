"""Fixtures: a migrated database per test, on SQLite and on PostgreSQL.

Each backend is migrated once into a template; every test gets a fresh copy
(``CREATE DATABASE … TEMPLATE`` on PostgreSQL, a file copy on SQLite), so tests
never see each other's rows and nothing has to be deleted afterwards.

PostgreSQL comes from ``TEST_DATABASE_URL`` (default: local trust auth on
127.0.0.1:5432). Unreachable, its tests are skipped on a developer's machine
and fail under ``CI=true``: CI must prove both databases.
"""
from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path
from typing import Iterator

import pytest
from hypothesis import settings
from sqlalchemy import text
from sqlalchemy.engine import make_url

from prepay_admin.db import make_engine, make_session_factory, normalize_url
from prepay_admin.migrate import upgrade

# Examples are judged by their properties, not their speed: a per-example deadline
# would only make the suite flaky on a loaded CI machine.
settings.register_profile("prepay", deadline=None, print_blob=True)
settings.load_profile("prepay")

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _pg_admin_url() -> str:
    return normalize_url(os.environ.get("TEST_DATABASE_URL", PG_DEFAULT))


def _pg_reachable(url: str) -> str | None:
    try:
        engine = make_engine(url)
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
        return None
    except Exception as err:  # any failure to connect means "unreachable"; the reason is reported
        return str(err).splitlines()[0]


class Backend:
    """Hands out fresh migrated databases of one kind."""

    def __init__(self, name: str, tmp: Path):
        self.name = name
        self.tmp = tmp
        self.tag = uuid.uuid4().hex[:8]
        if name == "postgresql":
            self.admin_url = _pg_admin_url()
            problem = _pg_reachable(self.admin_url)
            if problem:
                message = f"PostgreSQL unreachable at {self.admin_url}: {problem}"
                if IN_CI:
                    pytest.fail(message + " (CI=true: PostgreSQL tests must run)", pytrace=False)
                pytest.skip(message)
            self.admin = make_engine(self.admin_url, isolation_level="AUTOCOMMIT")
            self.template = f"prepay_tpl_{self.tag}"
            with self.admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{self.template}"'))
            upgrade(self._url_for(self.template))
        else:
            self.template_file = tmp / "template.sqlite3"
            upgrade(f"sqlite:///{self.template_file}")
        self.count = 0

    def _url_for(self, database: str) -> str:
        return make_url(self.admin_url).set(database=database).render_as_string(hide_password=False)

    def empty_url(self) -> str:
        """A database with nothing in it, not even the schema (for migration tests)."""
        self.count += 1
        if self.name == "postgresql":
            name = f"prepay_e_{self.tag}_{self.count}"
            with self.admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            return self._url_for(name)
        return f"sqlite:///{self.tmp / f'empty{self.count}.sqlite3'}"

    def fresh_url(self) -> str:
        self.count += 1
        if self.name == "postgresql":
            name = f"prepay_t_{self.tag}_{self.count}"
            with self.admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"'))
            return self._url_for(name)
        path = self.tmp / f"test{self.count}.sqlite3"
        shutil.copy(self.template_file, path)
        return f"sqlite:///{path}"

    def drop(self, url: str) -> None:
        if self.name == "postgresql":
            database = make_url(url).database
            with self.admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))

    def close(self) -> None:
        if self.name == "postgresql":
            with self.admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{self.template}" WITH (FORCE)'))
                leftovers = conn.execute(
                    text("SELECT datname FROM pg_database WHERE datname LIKE :p"), {"p": f"prepay_%_{self.tag}_%"}
                ).scalars().all()
                for name in leftovers:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            self.admin.dispose()


# ``make test-fast``: only these backends (e.g. ``sqlite``); unset, both (``make test`` and CI never set it)
ONLY_BACKENDS = {b for b in os.environ.get("PREPAY_TEST_BACKENDS", "").split(",") if b}
SLOW_PATHS = ("tests/browser/",)  # every browser test is slow: a Chromium per test


def pytest_collection_modifyitems(config, items):
    """Tests marked ``postgresql_only`` run only in their PostgreSQL variant (deselected, not skipped);
    with ``PREPAY_TEST_BACKENDS``, only the variants of those backends run; browser tests are ``slow``."""
    keep, drop = [], []
    for item in items:
        if any(path in item.nodeid for path in SLOW_PATHS):
            item.add_marker(pytest.mark.slow)
        backend = getattr(getattr(item, "callspec", None), "params", {}).get("backend")
        unwanted = (item.get_closest_marker("postgresql_only") and backend != "postgresql") or (
            ONLY_BACKENDS and backend is not None and backend not in ONLY_BACKENDS)
        (drop if unwanted else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def backend(request, tmp_path_factory) -> Iterator[Backend]:
    b = Backend(request.param, tmp_path_factory.mktemp(request.param))
    yield b
    b.close()


@pytest.fixture
def database_url(backend: Backend) -> Iterator[str]:
    url = backend.fresh_url()
    yield url
    backend.drop(url)


@pytest.fixture
def engine(database_url):
    e = make_engine(database_url)
    yield e
    e.dispose()


@pytest.fixture
def sessions(engine):
    return make_session_factory(engine)


@pytest.fixture
def app(database_url):
    from prepay_admin.app import create_app

    application = create_app({"DATABASE_URL": database_url, "TESTING": True})
    yield application
    application.extensions["prepay_engine"].dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def cli_runner(app):
    return app.test_cli_runner()
