"""Benchmark: a year's agreements issued in one batch against a bare python-docx save of the same template.

Method: the demo region of N institutions played through its year (every signed institution has an
agreement); the project's figure is ``documents.issue_batch("agreement", …)`` (read each institution's
determination, agreement and security, fill the template, register the file with its SHA-256, add it to
the zip, in one transaction); the floor is opening and saving the same template with python-docx as
many times, in the same run. Then every determination notice of the year the same way. Goal: each batch of a 5,000-institution
region well under a minute.

    .venv/bin/python -m benchmarks.documents [--institutions 5000] [--database sqlite|postgresql]
"""
from __future__ import annotations

import io
import sys

from .harness import Figure, command, on_each_database, timed

GOAL_SECONDS = 60.0


def measure(database: str, url: str, n: int) -> list[Figure]:
    from docx import Document

    from agreements.kinds import KINDS
    from prepay_admin.app import create_console_app
    from prepay_admin.migrate import upgrade
    from prepay_admin.services import documents
    from prepay_admin.services.demo import load_demo

    upgrade(url)
    app = create_console_app({"DATABASE_URL": url})
    sessions = app.extensions["prepay_sessions"]
    played, _ = timed(lambda: load_demo(sessions, institutions=n, seed=2026, year=2026, years=1))
    print(f"  {database} {n:,}: demo region played in {played:.0f} s", flush=True)
    took, batch = timed(lambda: documents.issue_batch(sessions, "agreement", "320600", 2026, "jiesuan1"))
    template = KINDS["agreement"].packaged_template()
    floor, _ = timed(lambda: [Document(io.BytesIO(template)).save(io.BytesIO()) for _ in range(batch.count)])
    notice_took, notices = timed(lambda: documents.issue_batch(sessions, "determination_notice", "320600", 2026,
                                                               "jiesuan1"))
    print(f"  {database} {n:,}: {batch.count:,} agreements ({took / batch.count * 1000:.1f} ms each, zip "
          f"{len(batch.data) / 2**20:.1f} MiB); {notices.count:,} determination notices "
          f"({notice_took / notices.count * 1000:.1f} ms each)", flush=True)
    app.extensions["prepay_engine"].dispose()
    return [Figure("agreement batch", database, f"{batch.count:,} agreements", took,
                   "bare python-docx open and save as often", floor, None),
            Figure("agreement batch", database, f"{batch.count:,} agreements", took, "goal 60 s", GOAL_SECONDS, 1.0),
            Figure("determination notice batch", database, f"{notices.count:,} notices", notice_took, "goal 60 s",
                   GOAL_SECONDS, 1.0)]


def collect(sizes: list[int], only: str | None = None) -> list[Figure]:
    return on_each_database(only, sizes, measure)


def main(argv: list[str] | None = None) -> int:
    return command(__doc__, "institutions", "5000", collect, argv)


if __name__ == "__main__":
    sys.exit(main())
