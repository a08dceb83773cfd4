"""The ledger's persistence primitives: the declarative base and the column types.

The ledger is the lower layer: the application's models share this base, so
both live in one schema and one Alembic history, while nothing here knows the
application. Money is a ``Decimal`` stored as integer fen; timestamps are UTC.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import Enum
from typing import Any, Iterable, Sequence

from sqlalchemy import BigInteger, MetaData, Table, func, type_coerce
from sqlalchemy import Enum as SAEnum
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import DateTime, TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class FixedPoint(TypeDecorator[Decimal]):
    """A ``Decimal`` with a fixed number of places, stored as a scaled integer.

    Money is ``FixedPoint(2)``: integer fen. A value with more places than the
    column holds is refused rather than silently rounded.
    """

    impl = BigInteger
    cache_ok = True

    def __init__(self, places: int = 2) -> None:
        super().__init__()
        self.places = places

    def __repr__(self) -> str:  # how Alembic writes the type into a migration
        return f"FixedPoint(places={self.places})"

    def process_bind_param(self, value: Decimal | None, dialect: Any) -> int | None:
        if value is None:
            return None
        if not isinstance(value, Decimal):
            raise TypeError(f"FixedPoint columns take Decimal, not {type(value).__name__}")
        scaled = value.scaleb(self.places)
        if scaled != scaled.to_integral_value():
            raise ValueError(f"{value} has more than {self.places} decimal places")
        return int(scaled)

    def process_result_value(self, value: int | None, dialect: Any) -> Decimal | None:
        if value is None:
            return None
        # scaleb of an integral Decimal already carries exactly ``places`` decimals (1200 → 12.00)
        return Decimal(int(value)).scaleb(-self.places)


def Money() -> FixedPoint:
    """Yuan as integer fen."""
    return FixedPoint(2)


def money_sum(expr: Any) -> Any:
    """``SUM`` of a money expression (columns, differences, CASEs of them), 0 when empty,
    read back as ``Decimal`` yuan whatever type the database gives the sum."""
    return type_coerce(func.coalesce(func.sum(expr), 0), Money())


class UtcDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC timestamps on both databases (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def __repr__(self) -> str:
        return "UtcDateTime()"

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: use datetime.now(timezone.utc)")
        return value.astimezone(dt.timezone.utc)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        return value


def stored_fen(column: Any) -> Any:
    """A money column as the integer fen it is stored as (sums and comparisons stay exact in SQL)."""
    return type_coerce(column, BigInteger)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def enum_type(enum: type[Enum], name: str) -> SAEnum:
    """A portable enum: VARCHAR plus a named CHECK constraint, storing the values."""
    return SAEnum(
        enum, name=name, native_enum=False, create_constraint=True, length=32,
        values_callable=lambda e: [m.value for m in e], validate_strings=True,
    )


def bulk_insert(connection: Connection, table: Table | str, columns: Sequence[str],
                rows: Iterable[Sequence[Any]]) -> None:
    """Insert rows of raw database values (integer fen, dates, enum values) fast.

    For loads of millions of rows (an import's chunks, a reference run's cells, the demo region,
    benchmarks): COPY on PostgreSQL, ``executemany`` elsewhere, through the driver's own cursor, so
    nothing holds the rows once written (an import's memory does not grow with its file). It bypasses
    the column types, so callers pass what the database stores, not ``Decimal``.
    """
    dialect = connection.dialect
    quote = dialect.identifier_preparer.quote
    name = quote(table if isinstance(table, str) else table.name)
    names = ", ".join(map(quote, columns))
    if not connection.in_transaction():
        connection.begin()  # as the connection's first statement would have (autobegin)
    driver: Any = connection.connection.driver_connection
    if dialect.name == "postgresql":
        statement = f"COPY {name} ({names}) FROM STDIN"
    else:
        statement = f"INSERT INTO {name} ({names}) VALUES ({', '.join('?' for _ in columns)})"
    try:
        if dialect.name == "postgresql":
            with driver.cursor() as cursor, cursor.copy(statement) as copy:
                for row in rows:
                    copy.write_row(row)
            return
        cursor = driver.cursor()
        try:
            cursor.executemany(statement, rows)
        finally:
            cursor.close()
    except dialect.loaded_dbapi.Error as error:  # as SQLAlchemy raises it (IntegrityError, OperationalError…)
        raise DBAPIError.instance(statement, None, error, dialect.loaded_dbapi.Error, dialect=dialect) from error


def bind_processors(table: Table, columns: Sequence[str], dialect: Any) -> dict[str, Any]:
    """Each column's conversion to what ``dialect`` stores (a date, a UTC timestamp), for ``bulk_insert``."""
    def identity(value: Any) -> Any:
        return value

    return {name: table.c[name].type.dialect_impl(dialect).bind_processor(dialect) or identity for name in columns}
