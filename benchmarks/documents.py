"""Benchmark: a year's agreements issued in one batch against a bare python-docx save of the same template.

Method: the demo region of N institutions played through its year (every signed institution has an
agreement); the project's figure is ``documents.issue_batch("agreement", …)`` (read each institution's
determination, agreement and security, fill the template, register the file with its SHA-256, add it to
the zip, in one transaction); the floor is opening and saving the same template with python-docx as
many times, in the same run. Then every determination notice of the year the same way. Goal: each batch of a 5,000-institution
region well under a minute.

    .venv/bin/python -m benchmarks.documents [--institutions 5000] [--database-url URL]
"""
from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
from pathlib import Path

GOAL_SECONDS = 60.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--institutions", type=int, default=5_000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args(argv)

    from docx import Document

    from agreements.kinds import KINDS
    from prepay_admin.app import create_app
    from prepay_admin.migrate import upgrade
    from prepay_admin.services import documents
    from prepay_admin.services.demo import load_demo

    url = args.database_url or f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.sqlite3'}"
    upgrade(url)
    app = create_app({"DATABASE_URL": url})
    sessions = app.extensions["prepay_sessions"]
    started = time.perf_counter()
    load_demo(sessions, institutions=args.institutions, seed=2026, year=2026, years=1)
    print(f"demo region of {args.institutions:,} institutions played in {time.perf_counter() - started:.0f} s", flush=True)

    started = time.perf_counter()
    batch = documents.issue_batch(sessions, "agreement", "320600", 2026, "jiesuan1")
    took = time.perf_counter() - started
    template = KINDS["agreement"].packaged_template()
    started = time.perf_counter()
    for _ in range(batch.count):
        Document(io.BytesIO(template)).save(io.BytesIO())
    floor = time.perf_counter() - started
    print(f"{batch.count:,} agreements: batch {took:.1f} s ({took / batch.count * 1000:.1f} ms each), "
          f"bare python-docx open and save {floor:.1f} s, ratio {took / floor:.2f}; zip {len(batch.data) / 2**20:.1f} MiB")
    started = time.perf_counter()
    notices = documents.issue_batch(sessions, "determination_notice", "320600", 2026, "jiesuan1")
    notice_took = time.perf_counter() - started
    print(f"{notices.count:,} determination notices (every applicant): batch {notice_took:.1f} s "
          f"({notice_took / notices.count * 1000:.1f} ms each)")
    ok = took < GOAL_SECONDS and notice_took < GOAL_SECONDS
    print(f"goal: each batch of the region well under {GOAL_SECONDS:.0f} s: {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
