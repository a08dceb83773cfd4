"""The scheduler: its own process (``prepay-admin scheduler run``), never inside web workers.

Each job run claims (job, period) in the database first, so two scheduler
processes, or a rerun, do the work once; a claim left unfinished by a crashed
process may be taken over after ``STALE_CLAIM``. At start, the days missed
while no scheduler ran (up to ``CATCH_UP_DAYS``) are run in order: caught up,
not dropped. The jobs themselves are idempotent besides.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import socket
from dataclasses import dataclass
from typing import Callable

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from .clock import TIMEZONE, today, utcnow
from .models import JobRun
from .queries.ledger import audit, current_heads, verified_heads
from .services import deadlines, receivables
from .services.books import remember_verified_heads

CATCH_UP_DAYS = 7
BREACHES_NAMED = 3  # in the notice; `prepay-admin ledger verify` lists them all
STALE_CLAIM = dt.timedelta(hours=1)
log = logging.getLogger("prepay_admin.scheduler")


@dataclass(frozen=True)
class Job:
    name: str
    title: str
    cron: dict  # APScheduler CronTrigger fields
    work: Callable[[sessionmaker, dt.date], object]


JOBS = (
    Job("deadline_sweep", "签约期限清理（逾期视作放弃）", {"hour": 0, "minute": 30},
        lambda s, day: deadlines.sweep(s, day)),
    Job("deadline_reminders", "签约期限提醒", {"hour": 8, "minute": 30},
        lambda s, day: deadlines.remind(s, day)),
    Job("payment_deadline_reminders", "拨付期限提醒", {"hour": 8, "minute": 40},
        lambda s, day: deadlines.remind_payment(s, day)),
    Job("overdue_demands", "催收逾期提醒", {"hour": 8, "minute": 50},
        lambda s, day: receivables.warn_overdue(s, day)),
    Job("holiday_calendar_check", "次年节假日安排检查", {"month": "11-12", "hour": 9, "minute": 0},
        lambda s, day: deadlines.check_calendar(s, day)),
    Job("ledger_verify", "账簿夜间校验（不变量、哈希链、子账核对、担保覆盖）", {"hour": 2, "minute": 0},
        lambda s, day: verify_books(s, day)),
)


def verify_books(sessions: sessionmaker, day: dt.date) -> int:
    """The nightly ``ledger verify``: every breach found is told to staff in one notice of the day (on
    the landing page), so a difference is seen the morning after, not at the year's audit.

    The hash chain and the ledger's set checks are taken up after the heads the last clean night
    verified, so a night's work grows with the day's new entries; on Sundays and the 1st of each month
    the whole book is checked, as ``prepay-admin ledger verify`` always does. The return path's
    invariants are checked over everything. The heads remembered are those read before the check, so
    an entry posted while it ran is checked the next night, never taken as verified unread."""
    whole = day.weekday() == 6 or day.day == 1
    before = current_heads(sessions)
    breaches = audit(sessions, day, jobs=os.cpu_count() or 1,
                     chain_since=None if whole else (verified_heads(sessions) or None))
    if not breaches:
        remember_verified_heads(sessions, day, before)
    if breaches:
        named = "；".join(f"[{b.code}] {b.message}" for b in breaches[:BREACHES_NAMED])
        more = f" 等 {len(breaches)} 处" if len(breaches) > BREACHES_NAMED else ""
        with sessions.begin() as session:
            deadlines.notify(session, f"ledger-verify:{day}", "ledger_breach",
                             f"{day} 账簿夜间校验发现问题：{named}{more}。请财务管理部门会同稽核核查"
                             f"（prepay-admin ledger verify 列出全部）"[:500],
                             region_id=None, department=None)  # names any region's books: 审计 and 管理员 see it
    return len(breaches)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def claim(sessions: sessionmaker, job: str, period: str, worker: str) -> bool:
    """True when this worker may run ``job`` for ``period``."""
    try:
        with sessions.begin() as session:
            session.add(JobRun(job=job, period=period, claimed_by=worker))
        return True
    except IntegrityError:
        pass
    with sessions.begin() as session:  # take over a claim a crashed process left unfinished
        taken = session.execute(
            update(JobRun).where(JobRun.job == job, JobRun.period == period, JobRun.finished_at.is_(None),
                                 JobRun.started_at < utcnow() - STALE_CLAIM)
            .values(claimed_by=worker, started_at=utcnow()).execution_options(synchronize_session=False)
        ).rowcount
    return taken == 1


def run_job(sessions: sessionmaker, job: Job, day: dt.date, worker: str | None = None) -> object | None:
    """Run ``job`` for ``day`` unless another run has claimed it; returns the job's result or None."""
    worker = worker or worker_name()
    if not claim(sessions, job.name, day.isoformat(), worker):
        log.info("%s %s: already claimed, skipped", job.name, day)
        return None
    result = job.work(sessions, day)
    with sessions.begin() as session:
        session.execute(update(JobRun).where(JobRun.job == job.name, JobRun.period == day.isoformat())
                        .values(finished_at=utcnow(), result=repr(result)))
    log.info("%s %s: %r", job.name, day, result)
    return result


def catch_up(sessions: sessionmaker, day: dt.date) -> None:
    """Run, in order, every day of the last ``CATCH_UP_DAYS`` that a job has no finished run for."""
    for job in JOBS:
        with sessions() as session:
            done = set(session.scalars(select(JobRun.period).where(
                JobRun.job == job.name, JobRun.finished_at.is_not(None))))
        for back in range(CATCH_UP_DAYS, -1, -1):
            missed = day - dt.timedelta(days=back)
            if missed.isoformat() not in done and _due(job, missed):
                run_job(sessions, job, missed)


def _due(job: Job, day: dt.date) -> bool:
    months = job.cron.get("month")
    if months is None:
        return True
    first, _, last = str(months).partition("-")
    return int(first) <= day.month <= int(last or first)


def serve(sessions: sessionmaker) -> None:  # pragma: no cover - a long-running process, exercised by hand
    from apscheduler.schedulers.blocking import BlockingScheduler

    catch_up(sessions, today())
    scheduler = BlockingScheduler(timezone=TIMEZONE, job_defaults={
        "coalesce": True, "max_instances": 1, "misfire_grace_time": 12 * 3600})
    for job in JOBS:
        scheduler.add_job(lambda job=job: run_job(sessions, job, today()), "cron", id=job.name, name=job.title,
                          **job.cron)
    log.info("scheduler started (%s): %s", TIMEZONE, ", ".join(j.name for j in JOBS))
    scheduler.start()
