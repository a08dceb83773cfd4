"""Database plumbing: engines, SQLite's write lock, bulk loads, session factories."""
from __future__ import annotations

from typing import Any, Iterator, Sequence
from uuid import uuid4

from sqlalchemy import Integer, String, create_engine, event, insert, select
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.functions import FunctionElement

# the base and column types are the ledger's; the application's models share them
from accounting.schema import (  # noqa: F401  (re-exported for the models and the bulk loads)
    Base,
    FixedPoint,
    Money,
    UtcDateTime,
    bind_processors,
    bulk_insert,
    enum_type,
    money_sum,
    stored_fen,
    utcnow,
)


def driver_rows_by_key(connection: Connection, table: str, columns: Sequence[str], key: str, keys: Sequence[Any],
                       **equal: Any) -> list[tuple[Any, ...]]:
    """The rows of ``table`` whose ``key`` is one of ``keys`` (and each column of ``equal`` has its value), as the
    database stores them: one statement through the driver's cursor (``keys``: a few thousand). Conditions
    should fit an index: on ``discharge``, ``region_id`` beside the unique ``settlement_key`` made SQLite take
    the region's index and read all its rows each time (filter such a column afterwards)."""
    if not keys:
        return []
    driver: Any = connection.connection.driver_connection
    names = ", ".join(columns)
    if connection.dialect.name == "postgresql":
        where = " AND ".join([f"{c} = %s" for c in equal] + [f"{key} = ANY(%s)"])
        params: list[Any] = [*equal.values(), list(keys)]
    else:
        where = " AND ".join([f"{c} = ?" for c in equal] + [f"{key} IN ({', '.join('?' for _ in keys)})"])
        params = [*equal.values(), *keys]
    cursor = driver.cursor()
    try:
        cursor.execute(f"SELECT {names} FROM {table} WHERE {where}", params)
        return [tuple(row) for row in cursor.fetchall()]
    finally:
        cursor.close()


def driver_rows(connection: Connection, query: Any, batch: int = 20_000, *, ordered_by: int = 0) -> Iterator[tuple]:
    """A query of integers and texts read as the driver's tuples, streamed (a server-side cursor on
    PostgreSQL; SQLite steps its statement as read): millions of rows without the rows' wrapping. Its
    parameters are ids and dates the code gives, rendered as literals (never a user's text).

    ``ordered_by`` (an aggregate's query, ordered by its first ``ordered_by`` columns): on PostgreSQL its
    rows are first written to a temporary table without the order, then read in it. A cursor's query runs
    in one process, where ``CREATE TABLE … AS`` may use the parallel workers the query alone would."""
    def compiled(q: Any) -> str:
        return str(q.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))

    driver = connection.connection.driver_connection
    if connection.dialect.name != "postgresql":
        cursor = driver.cursor()
        try:
            cursor.execute(compiled(query))
            while rows := cursor.fetchmany(batch):
                yield from rows
        finally:
            cursor.close()
        return
    sql = compiled(query)
    if ordered_by:
        table = f"rows_{uuid4().hex[:12]}"
        with driver.cursor() as cursor:  # (the table goes with the transaction, committed or rolled back)
            cursor.execute(f"CREATE TEMPORARY TABLE {table} ON COMMIT DROP AS {compiled(query.order_by(None))}")
        sql = f"SELECT * FROM {table} ORDER BY {', '.join(str(k) for k in range(1, ordered_by + 1))}"
    cursor = driver.cursor(name=f"stream_{uuid4().hex[:12]}")
    try:
        cursor.execute(sql)
        while rows := cursor.fetchmany(batch):
            yield from rows
    finally:
        cursor.close()


def normalize_url(url: str) -> str:
    """Accept ``postgresql://`` and ``postgres://`` and use the psycopg 3 driver."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def make_engine(url: str, **kwargs: Any) -> Engine:
    url = normalize_url(url)
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    elif engine.dialect.name == "postgresql":
        event.listen(engine, "connect", _postgresql_settings)
    return engine


def _sqlite_begin(conn: Connection) -> None:
    """A write use case takes SQLite's write lock when it begins, not at its first write,
    so that a read-check-write (a balance check before a posting) cannot interleave;
    a read begins deferred and blocks no writer (WAL)."""
    immediate = conn.get_execution_options().get("sqlite_begin") == "immediate"
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


SQLITE_BUSY_TIMEOUT_MS = 10_000  # how long a writer waits for SQLite's lock before "数据库繁忙"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # the driver's own transaction handling is switched off: "begin" above does it
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    # a REPLACE deletes the row it replaces: with recursive triggers on, that delete fires the append-only
    # guards like any other (issue 28's review: REPLACE INTO audit_event rewrote history)
    cursor.execute("PRAGMA recursive_triggers=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


PG_LOCK_TIMEOUT_MS = 10_000  # how long a statement waits for a row or table lock before "数据库繁忙"


def _postgresql_settings(dbapi_connection: Any, _record: Any) -> None:
    """Set once per connection, not per transaction: a step spends no round trip on it."""
    autocommit = dbapi_connection.autocommit
    dbapi_connection.autocommit = True
    with dbapi_connection.cursor() as cursor:
        cursor.execute(f"SET lock_timeout = {PG_LOCK_TIMEOUT_MS}")
    dbapi_connection.autocommit = autocommit


def make_session_factory(engine: Engine) -> sessionmaker:
    """``factory()`` opens a session to read; ``factory.begin()`` opens a use case's
    unit of work, which on SQLite takes the write lock at once."""
    if engine.dialect.name != "sqlite":
        return sessionmaker(bind=engine, expire_on_commit=False)
    return SqliteSessions(engine)


class SqliteSessions(sessionmaker):
    """A sessionmaker whose ``begin()`` sessions begin IMMEDIATE on SQLite."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(bind=engine, expire_on_commit=False)
        self._writes = sessionmaker(bind=engine.execution_options(sqlite_begin="immediate"), expire_on_commit=False)

    def begin(self):  # type: ignore[override]
        return self._writes.begin()


def session_factories(sessions: sessionmaker) -> tuple[sessionmaker, ...]:
    """Every factory whose sessions commit through ``sessions`` (SQLite's writes have their own), for
    session event hooks such as the simulation's."""
    writes = getattr(sessions, "_writes", None)
    return (sessions,) if writes is None else (sessions, writes)


def insert_many(session: Session, model: type, rows: list[dict], key: str, *scope: Any) -> list[int]:
    """Insert many rows of ``model`` and return their ids in the rows' order, read back by ``key``, a column
    unique among the rows ``scope`` selects: one executemany and one select. (``INSERT … RETURNING`` in
    parameter order goes one row per statement on SQLite, and SQLAlchemy splices each result onto the ones
    before: 15,000 determinations took 40 s, a time growing with the square of the rows.)"""
    if not rows:
        return []
    session.execute(insert(model.__table__), rows)  # Core: the ORM splits rows whose None columns differ
    column = getattr(model, key)
    found = dict(session.execute(select(column, model.id).where(*scope)).all())
    return [found[row[key]] for row in rows]


class year_month(FunctionElement[str]):
    """A date column's month as ``YYYY-MM`` on both databases (SQLite keeps dates as ISO text)."""

    type = String()
    inherit_cache = True
    name = "year_month"


@compiles(year_month)
def _year_month_sqlite(element: year_month, compiler: Any, **kw: Any) -> str:
    return f"substr({compiler.process(element.clauses, **kw)}, 1, 7)"


@compiles(year_month, "postgresql")
def _year_month_postgresql(element: year_month, compiler: Any, **kw: Any) -> str:
    return f"to_char({compiler.process(element.clauses, **kw)}, 'YYYY-MM')"


class int_list(FunctionElement[Any]):
    """An aggregate: a group's integers as one value (a PostgreSQL array; SQLite's text ``1,2,3``), in no
    order; read it with ``ints``. A cell's 38 admissions cross as one value, not 38 rows."""

    inherit_cache = True
    name = "int_list"


@compiles(int_list)
def _int_list_sqlite(element: int_list, compiler: Any, **kw: Any) -> str:
    return f"group_concat({compiler.process(element.clauses, **kw)})"


@compiles(int_list, "postgresql")
def _int_list_postgresql(element: int_list, compiler: Any, **kw: Any) -> str:
    return f"array_agg({compiler.process(element.clauses, **kw)})"


def ints(value: Any) -> list[int]:
    """An ``int_list`` as the driver read it, as a list of integers (none for an empty group's NULL)."""
    if value is None:
        return []
    if isinstance(value, str):
        return list(map(int, value.split(",")))
    return list(value)


class days_between(FunctionElement[int]):
    """``later - earlier`` in days for two date columns, on both databases."""

    type = Integer()
    inherit_cache = True
    name = "days_between"


@compiles(days_between)
def _days_between_sqlite(element: days_between, compiler: Any, **kw: Any) -> str:
    later, earlier = (compiler.process(c, **kw) for c in element.clauses)
    return f"CAST(julianday({later}) - julianday({earlier}) AS INTEGER)"


@compiles(days_between, "postgresql")
def _days_between_postgresql(element: days_between, compiler: Any, **kw: Any) -> str:
    later, earlier = (compiler.process(c, **kw) for c in element.clauses)
    return f"({later} - {earlier})"
