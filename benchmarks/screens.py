"""Benchmark: the screens staff open most and the API page other systems poll, on a region of
20,000 institutions with its year played (open → confirmed payments with postings).

Method: the app in-process behind Flask's test client (the whole WSGI stack: session cookie, login,
CSRF, the query, the template; no network), a warm-up of 3 requests, then N timed requests each;
p50 and p95 in milliseconds against the goals of issue 9 (screens p95 < 300 ms, the API page
p95 < 100 ms). SQLite in a file by default; ``--database-url`` for PostgreSQL.

    .venv/bin/python -m benchmarks.screens [--institutions 20000] [--requests 30] [--database-url URL]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

GOALS_MS = {"dashboard": 300, "determination list page": 300, "sign-off screen": 300,
            "API determinations page": 100}


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--institutions", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args(argv)

    from prepay_admin.app import create_app
    from prepay_admin.migrate import upgrade
    from prepay_admin.services import identity
    from prepay_admin.services.demo import load_demo

    url = args.database_url or f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.sqlite3'}"
    upgrade(url)
    app = create_app({"DATABASE_URL": url, "WTF_CSRF_ENABLED": False})
    sessions = app.extensions["prepay_sessions"]
    started = time.perf_counter()
    loaded = load_demo(sessions, institutions=args.institutions, seed=7, year=2026)
    if loaded.created:
        print(f"{args.institutions} institutions loaded and their year played in {time.perf_counter() - started:.0f} s "
              f"({url.split(':')[0]})", flush=True)
    else:  # a database from an earlier run (--database-url): measured as it is
        print(f"the region of an earlier run, as it is ({url.split(':')[0]})", flush=True)

    client = app.test_client()
    client.post("/login", data={"username": "jiesuan1", "password": "jiesuan1-demo"})
    token = identity.issue_token(sessions, "jiesuan1", "bench", "bench")
    api = {"Authorization": f"Bearer {token}"}
    targets = {
        "dashboard": ("/?region=320600&year=2026", {}),
        "determination list page": ("/determinations/320600/2026?page=7", {}),
        "sign-off screen": ("/batches/1", {}),
        "API determinations page": ("/api/v1/regions/320600/campaigns/2026/determinations?page=7&per_page=50", api),
    }
    failed = False
    print(f"{'screen':28} {'p50 ms':>8} {'p95 ms':>8} {'goal':>6}")
    for name, (path, headers) in targets.items():
        for _ in range(3):
            assert client.get(path, headers=headers).status_code == 200, path
        samples = []
        for _ in range(args.requests):
            t = time.perf_counter()
            response = client.get(path, headers=headers)
            samples.append((time.perf_counter() - t) * 1000)
            assert response.status_code == 200
        p95 = percentile(samples, 95)
        ok = p95 < GOALS_MS[name]
        failed |= not ok
        print(f"{name:28} {statistics.median(samples):8.1f} {p95:8.1f} {GOALS_MS[name]:>6} {'ok' if ok else 'OVER'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
