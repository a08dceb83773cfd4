"""Benchmark: the annual cycle (open → applications → determination → list → securities and agreements →
batch and its four sign-offs → payment instructions confirmed and posted) against the bare insert of
the rows it writes, and its cost per institution as the region grows.

Method: for each size, a fresh database and a demo region of N institutions (loaded, not played);
the project's figure is ``demo_cycle.play_cycle``, the real use cases one after another as staff do
them (one commit each, as the screens and the API would; the payments confirmed from the bank's return
in one). The floors, measured in the same run on the same database: the bare ``executemany`` of
exactly the rows the cycle wrote (read back from its tables) into unconstrained copies of those tables,
once in one transaction, and once split into as many commits as the cycle made. Linearity: the cost per
institution at each size against the smallest. The played year's screens are then timed; on
PostgreSQL after ``ANALYZE``: right after a bulk step the planner still has the statistics of a nearly
empty table, which autovacuum refreshes within a minute.

    .venv/bin/python -m benchmarks.cycle [--sizes 1000,20000,100000] [--database sqlite|postgresql]
    .venv/bin/python -m benchmarks.cycle --played URL[,URL]   # the screens of regions played before
"""
from __future__ import annotations

import sys
import time

from .harness import (
    Commits,
    Figure,
    command,
    high_water,
    insert_floor,
    on_each_database,
    p95,
    print_table,
    timed,
    written_rows,
)

GOAL_RATIO = 10.0  # within 10× the same-commits floor
GOAL_LINEARITY = 1.15  # per-institution cost at each size within 1.15× the smallest size's
SCREENS = {  # name → (path, the goal in seconds, through the API)
    "dashboard (played year)": ("/?region=320600&year=2026", 0.300, False),
    "determination list page": ("/determinations/320600/2026?page=7", 0.300, False),
    "sign-off screen": ("/batches/1", 0.300, False),
    "what-if page": ("/whatif/320600/2026?page=7", 0.300, False),
    "API determinations page": ("/api/v1/regions/320600/campaigns/2026/determinations?page=7&per_page=50", 0.100, True),
    "API to-do list": ("/api/v1/regions/320600/todo", 0.100, True),
}
REQUESTS = 20


def measure(database: str, url: str, n: int) -> dict:
    from prepay_admin.app import create_app
    from prepay_admin.migrate import upgrade
    from prepay_admin.services.demo import load_demo
    from prepay_admin.services.demo_cycle import play_cycle

    upgrade(url)
    app = create_app({"DATABASE_URL": url, "WTF_CSRF_ENABLED": False})
    sessions, engine = app.extensions["prepay_sessions"], app.extensions["prepay_engine"]
    loaded, _ = timed(lambda: load_demo(sessions, institutions=n, seed=2026, year=2026, play=False, years=1))
    print(f"  {database} {n:,}: region loaded in {loaded:.1f} s", flush=True)
    before = high_water(sessions)
    commits = Commits(engine)
    took, cycle = timed(lambda: play_cycle(sessions, "320600", 2026, 2026))
    commits.close()
    rows = written_rows(sessions, before)
    total = sum(len(r) for r in rows.values())
    one = insert_floor(sessions, rows, 1)
    same = insert_floor(sessions, rows, commits.count)
    print(f"  {database} {n:,}: cycle {took:.1f} s ({cycle.paid:,} payments), {total:,} rows in "
          f"{commits.count:,} commits; bare insert {one:.2f} s, with as many commits {same:.2f} s", flush=True)
    if database == "postgresql":  # the planner's statistics, as autovacuum refreshes them within a minute
        with engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")
    screens = {name: screen_p95(app, path, api) for name, (path, _, api) in SCREENS.items()}
    engine.dispose()
    return dict(n=n, took=took, rows=total, commits=commits.count, one=one, same=same, screens=screens)


def screen_p95(app, path: str, api: bool) -> float:
    from prepay_admin.services import identity

    client = app.test_client()
    headers = {}
    if api:
        headers = {"Authorization": f"Bearer {identity.issue_token(app.extensions['prepay_sessions'], 'jiesuan1', 'bench', 'bench')}"}
    else:
        client.post("/login", data={"username": "jiesuan1", "password": "jiesuan1-demo"})
    samples = []
    for i in range(3 + REQUESTS):
        started = time.perf_counter()
        response = client.get(path, headers=headers)
        if i >= 3:
            samples.append(time.perf_counter() - started)
        assert response.status_code == 200, (path, response.status_code)
    return p95(samples)


def figures(database: str, runs: list[dict]) -> list[Figure]:
    found = []
    smallest = runs[0]
    for run in runs:
        size = f"{run['n']:,} institutions"
        found.append(Figure("annual cycle", database, size, run["took"], "same rows, same commits", run["same"],
                            GOAL_RATIO))
        found.append(Figure("annual cycle", database, size, run["took"], "same rows, one transaction", run["one"],
                            None))
        if run is not smallest:
            found.append(Figure("annual cycle per institution", database, size, run["took"] / run["n"],
                                f"per institution at {smallest['n']:,}", smallest["took"] / smallest["n"],
                                GOAL_LINEARITY))
        for name, (_, goal, _) in SCREENS.items():
            found.append(Figure(f"{name} p95", database, size, run["screens"][name], f"goal {goal * 1000:.0f} ms",
                                goal, 1.0))
    return found


def played(urls: list[str]) -> list[Figure]:
    """The screens alone, on regions played before (``--played URL[,URL]``: a database with the demo region
    320600 played through its year, as ``measure`` leaves it): the screens' figures without the hour it takes
    to load and play a province again."""
    from sqlalchemy import func, select

    from prepay_admin.app import create_app
    from prepay_admin.models import Institution

    found = []
    for url in urls:
        database = "postgresql" if url.startswith("postgresql") else "sqlite"
        app = create_app({"DATABASE_URL": url, "WTF_CSRF_ENABLED": False})
        sessions, engine = app.extensions["prepay_sessions"], app.extensions["prepay_engine"]
        with sessions() as session:
            n = session.scalar(select(func.count()).select_from(Institution))
        if database == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.exec_driver_sql("VACUUM ANALYZE")  # as autovacuum leaves a played year
        for name, (path, goal, api) in SCREENS.items():
            found.append(Figure(f"{name} p95", database, f"{n:,} institutions", screen_p95(app, path, api),
                                f"goal {goal * 1000:.0f} ms", goal, 1.0))
        engine.dispose()
    return found


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["--played"] and len(args) == 2:
        return 0 if print_table(played(args[1].split(","))) else 1
    return command(__doc__, "sizes", "1000,20000,100000", collect, argv)


def collect(sizes: list[int], only: str | None = None) -> list[Figure]:
    runs: dict[str, list[dict]] = {}
    for database, run in on_each_database(only, sizes, lambda database, url, n: [(database, measure(database, url, n))]):
        runs.setdefault(database, []).append(run)
    return [f for database, measured in runs.items() for f in figures(database, measured)]


if __name__ == "__main__":
    sys.exit(main())
