"""What every benchmark shares: the databases it runs on, and the table it prints.

A figure is the project's time for one step beside a floor measured in the same run on the same
database (the bare insert of the rows the step writes, or the bare SQL aggregate it stands for), and
their ratio against the issue's goal. Benchmarks are not tests: they are not part of ``make test``.
"""
from __future__ import annotations

import os
import tempfile
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

PG_ADMIN_URL = os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


@dataclass(frozen=True)
class Figure:
    what: str
    database: str
    size: str
    project_s: float
    floor: str
    floor_s: float
    goal: float | None  # the ratio the issue asks for (None: reported, no goal)

    @property
    def ratio(self) -> float:
        return self.project_s / self.floor_s if self.floor_s else float("inf")

    @property
    def met(self) -> bool:
        return self.goal is None or self.ratio <= self.goal


def timed(action: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def best_of(runs: int, action: Callable[[], object]) -> float:
    """The fastest of ``runs`` runs: a floor is what the machine can do, not what it did while busy."""
    return min(timed(action)[0] for _ in range(runs))


@contextmanager
def databases(only: str | None = None) -> Iterator[list[tuple[str, str]]]:
    """A fresh SQLite file, and a fresh PostgreSQL database where one is reachable; dropped afterwards."""
    work = Path(tempfile.mkdtemp(prefix="prepay-bench-"))
    found = [] if only == "postgresql" else [("sqlite", f"sqlite:///{work / 'bench.sqlite3'}")]
    created = analyzer = None
    if only != "sqlite":
        created = _create_pg()
        if created:
            found.append(("postgresql", created[1]))
            analyzer = AutoAnalyze.where_needed(created[1])
    try:
        yield found
    finally:
        if analyzer:
            analyzer.stop()
        if os.environ.get("PREPAY_BENCH_KEEP"):  # to profile what was measured: kept, and said where
            print(f"  kept: {', '.join(url for _, url in found)}", flush=True)
        elif created:
            _drop_pg(created[0])


class AutoAnalyze(threading.Thread):
    """Autovacuum's analyze, for a PostgreSQL server that runs with autovacuum off (as this machine's
    may): every ``autovacuum_naptime`` it analyzes each table changed by more than autovacuum's
    threshold since its last analyze (50 rows and a tenth of the table), as a production server does.

    Without it a growing table keeps the statistics of an empty one, and a statement psycopg has
    prepared keeps the plan made for an empty table (a sequential scan): posting a million-line book
    in chunks took minutes per chunk, each idempotency lookup scanning the whole book. A production
    server re-analyzes within a minute, which also replaces those plans."""

    def __init__(self, url: str, naptime_s: float) -> None:
        super().__init__(daemon=True)
        self._url, self._naptime, self._done = url, naptime_s, threading.Event()

    @classmethod
    def where_needed(cls, url: str) -> "AutoAnalyze | None":
        from sqlalchemy import create_engine

        from prepay_admin.migrate import autovacuum_off

        if not autovacuum_off(url):
            return None
        engine = create_engine(url)
        with engine.connect() as conn:
            naptime = conn.exec_driver_sql(
                "SELECT setting::float FROM pg_settings WHERE name = 'autovacuum_naptime'").scalar()
        engine.dispose()
        print(f"  PostgreSQL runs with autovacuum off: the benchmark analyzes changed tables every "
              f"{naptime:.0f} s, as autovacuum would", flush=True)
        analyzer = cls(url, naptime)
        analyzer.start()
        return analyzer

    def run(self) -> None:
        from sqlalchemy import create_engine
        from sqlalchemy.exc import DBAPIError

        engine = create_engine(self._url, isolation_level="AUTOCOMMIT")
        try:
            while not self._done.wait(self._naptime):
                with engine.connect() as conn:
                    for (name,) in conn.exec_driver_sql(
                            "SELECT relname FROM pg_stat_user_tables "
                            "WHERE n_mod_since_analyze > 50 + 0.1 * GREATEST(n_live_tup, 0)").all():
                        if self._done.is_set():
                            break
                        try:
                            conn.exec_driver_sql(f'ANALYZE "{name}"')
                        except DBAPIError:  # a table dropped meanwhile (a floor's copy)
                            pass
        finally:
            engine.dispose()

    def stop(self) -> None:
        self._done.set()
        self.join()


def _create_pg() -> tuple[str, str] | None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"prepay_bench_{uuid.uuid4().hex[:8]}"
    try:
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
    except Exception as err:  # noqa: BLE001 - a benchmark reports what it could not reach and goes on
        print(f"PostgreSQL not reachable ({type(err).__name__}): SQLite only", flush=True)
        return None
    return name, make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def _drop_pg(name: str) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def print_table(figures: list[Figure]) -> bool:
    """The table ``make bench`` ends with; True when every goal is met."""
    header = ("figure", "database", "size", "project", "floor", "floor time", "ratio", "goal", "")
    rows = [(f.what, f.database, f.size, _seconds(f.project_s), f.floor, _seconds(f.floor_s), f"{f.ratio:.2f}",
             "—" if f.goal is None else f"≤ {f.goal:g}", "met" if f.met else "MISSED") for f in figures]
    widths = [max(len(str(r[i])) for r in (header, *rows)) for i in range(len(header))]
    for r in (header, tuple("-" * w for w in widths), *rows):
        print("  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip(), flush=True)
    return all(f.met for f in figures)


def _seconds(value: float) -> str:
    """Seconds, or milliseconds below a tenth of a second (a cost per institution, a page)."""
    return f"{value:.3f} s" if value >= 0.1 else f"{value * 1000:.3f} ms"


class Commits:
    """Counts the commits an engine makes while a step runs (the same-commits floor makes as many)."""

    def __init__(self, engine) -> None:
        from sqlalchemy import event

        self.count = 0
        self._engine = engine
        event.listen(engine, "commit", self._seen)

    def _seen(self, conn) -> None:
        self.count += 1

    def close(self) -> None:
        from sqlalchemy import event

        event.remove(self._engine, "commit", self._seen)


def high_water(sessions) -> dict[str, int]:
    """Each table's highest id (0 when empty): the rows a step writes are those above it afterwards."""
    from sqlalchemy import func, select

    from prepay_admin.db import Base

    with sessions() as session:
        return {t.name: session.scalar(select(func.coalesce(func.max(t.c.id), 0)))
                for t in Base.metadata.sorted_tables if "id" in t.c}


def written_rows(sessions, before: dict[str, int]) -> dict[str, list[tuple]]:
    """The rows each table gained since ``before``, as the database stores them (raw values)."""
    from prepay_admin.db import Base

    tables = {t.name: t for t in Base.metadata.sorted_tables}
    found = {}
    with sessions() as session:
        conn = session.connection()
        for name, top in before.items():
            cols = ", ".join(f'"{c.name}"' for c in tables[name].c)
            rows = conn.exec_driver_sql(f'SELECT {cols} FROM "{name}" WHERE id > {top}').all()
            if rows:
                found[name] = [tuple(r) for r in rows]
    return found


def insert_floor(sessions, rows: dict[str, list[tuple]], commits: int = 1) -> float:
    """The bare ``executemany`` of ``rows`` into column-for-column copies of their tables (no constraint,
    no index, no trigger), split into ``commits`` transactions; the copies are dropped afterwards."""
    from prepay_admin.db import Base

    tables = {t.name: t for t in Base.metadata.sorted_tables}
    engine = sessions.kw["bind"]
    flat = [(name, row) for name, table_rows in rows.items() for row in table_rows]
    per_commit = max(1, -(-len(flat) // max(commits, 1)))
    with engine.begin() as conn:
        for name in rows:
            conn.exec_driver_sql(f'DROP TABLE IF EXISTS "bench_{name}"')
            conn.exec_driver_sql(f'CREATE TABLE "bench_{name}" AS SELECT * FROM "{name}" WHERE 1 = 0')
    mark = "%s" if engine.dialect.name == "postgresql" else "?"
    statements = {name: f'INSERT INTO "bench_{name}" ({", ".join(chr(34) + c.name + chr(34) for c in tables[name].c)}) '
                        f'VALUES ({", ".join(mark for _ in tables[name].c)})' for name in rows}
    started = time.perf_counter()
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        sqlite = engine.dialect.name == "sqlite"  # the app's SQLite connections leave BEGIN to the caller
        for start in range(0, len(flat), per_commit):
            chunk = flat[start:start + per_commit]
            if sqlite:
                cursor.execute("BEGIN")
            for name in dict.fromkeys(n for n, _ in chunk):
                cursor.executemany(statements[name], [r for n, r in chunk if n == name])
            raw.commit()
        took = time.perf_counter() - started
    finally:
        raw.close()
    with engine.begin() as conn:
        for name in rows:
            conn.exec_driver_sql(f'DROP TABLE "bench_{name}"')
    return took


def on_each_database(only: str | None, sizes: list[int], measure: Callable[[str, str, int], list]) -> list:
    """``measure(database, url, size)`` for each size, each time on a fresh database of each kind."""
    found: list = []
    for size in sizes:
        with databases(only) as dbs:
            for database, url in dbs:
                found += measure(database, url, size)
    return found


def command(doc: str, option: str, default: str, collect: Callable[[list[int], str | None], list[Figure]],
            argv: list[str] | None) -> int:
    """A benchmark module's ``main``: ``--OPTION N[,N…]`` and ``--database``, then the table; 1 if a goal is missed."""
    import argparse

    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument(f"--{option}", default=default, help="comma-separated")
    parser.add_argument("--database", choices=("sqlite", "postgresql"))
    args = parser.parse_args(argv)
    sizes = [int(s) for s in str(getattr(args, option.replace("-", "_"))).split(",")]
    return 0 if print_table(collect(sizes, args.database)) else 1
