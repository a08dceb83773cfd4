"""Benchmark: the screens staff open first, and ``compute --region``, on a large region without a campaign.

Method: a fresh database per size with a demo region of N institutions loaded (three years of monthly
settlements, no campaign yet). Screens: the app in-process behind Flask's test client (session cookie,
login, query, template), 3 warm-up requests then 20 timed; the figure is the p95 against the goal of
300 ms (the floor column holds the goal, so the ratio must stay ≤ 1). ``compute --region`` (the
query the command calls: every institution's facts and the rules over them) is compared with the bare
SQL aggregate of the same facts (each institution's payouts per fund and month window, and its year's
standing), best of three.

    .venv/bin/python -m benchmarks.landing [--sizes 1000,20000,100000] [--database sqlite|postgresql]
"""
from __future__ import annotations

import sys
import time

from .harness import Figure, best_of, command, on_each_database, p95, timed

GOAL_P95_S = 0.300
GOAL_COMPUTE = 2.0
REQUESTS = 20


def sql_floor(sessions) -> None:
    with sessions() as session:
        conn = session.connection()
        conn.exec_driver_sql(
            "SELECT p.institution_id, p.fund, COUNT(*), SUM(p.amount), SUM(p.out_of_region) FROM monthly_payout p "
            "WHERE p.month >= '2025-01-01' AND p.month < '2026-01-01' GROUP BY p.institution_id, p.fund").all()
        conn.exec_driver_sql(
            "SELECT i.id, i.code, i.kind, i.level, s.assessment, s.credit_grade, s.performance_score "
            "FROM institution i LEFT JOIN annual_standing s ON s.institution_id = i.id AND s.year = 2026").all()


def figures(database: str, url: str, n: int) -> list[Figure]:
    from prepay_admin.app import create_app
    from prepay_admin.migrate import upgrade
    from prepay_admin.queries.evaluation import evaluate_region
    from prepay_admin.services.demo import load_demo

    upgrade(url)
    app = create_app({"DATABASE_URL": url, "WTF_CSRF_ENABLED": False})
    sessions = app.extensions["prepay_sessions"]
    loaded, _ = timed(lambda: load_demo(sessions, institutions=n, seed=7, year=2026, play=False, years=1))
    print(f"  {database} {n:,}: region loaded in {loaded:.0f} s", flush=True)
    client = app.test_client()
    client.post("/login", data={"username": "jiesuan1", "password": "jiesuan1-demo"})
    size = f"{n:,} institutions"
    found = []
    for name, path in (("landing page (dashboard)", "/?region=320600&year=2026"),
                       ("institution list page", "/institutions/320600?page=7")):
        samples = []
        for i in range(3 + REQUESTS):
            started = time.perf_counter()
            response = client.get(path)
            if i >= 3:
                samples.append(time.perf_counter() - started)
            assert response.status_code == 200, (path, response.status_code)
        found.append(Figure(f"{name} p95", database, size, p95(samples), "goal 300 ms", GOAL_P95_S, 1.0))
    project = best_of(3, lambda: evaluate_region(sessions, "320600", 2026))
    floor = best_of(3, lambda: sql_floor(sessions))
    found.append(Figure("compute --region", database, size, project, "bare SQL aggregate of its facts", floor,
                        GOAL_COMPUTE))
    app.extensions["prepay_engine"].dispose()
    return found


def collect(sizes: list[int], only: str | None = None) -> list[Figure]:
    return on_each_database(only, sizes, figures)


def main(argv: list[str] | None = None) -> int:
    return command(__doc__, "sizes", "1000,20000,100000", collect, argv)


if __name__ == "__main__":
    sys.exit(main())
