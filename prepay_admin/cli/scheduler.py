"""``prepay-admin scheduler``: the scheduler process and its jobs."""
from __future__ import annotations

import datetime as dt
import logging

import click
from flask.cli import with_appcontext

from .. import clock
from .. import scheduler as sched
from .common import DATE, app_sessions


@click.group(help="定时任务（独立进程，不在 Web 进程内运行）")
def scheduler() -> None:
    pass


@scheduler.command(help="启动定时任务进程（Asia/Shanghai）；启动时补跑错过的日期")
@with_appcontext
def run() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    sched.serve(app_sessions())


@scheduler.command("run-once", help="立即为某一天运行一个任务（同一任务同一天只执行一次）")
@click.argument("job", type=click.Choice([j.name for j in sched.JOBS]))
@click.option("--date", "day", type=DATE, help="业务日期，默认今天（北京时间）")
@with_appcontext
def run_once(job: str, day: dt.datetime | None) -> None:
    target = next(j for j in sched.JOBS if j.name == job)
    when = day or clock.today()
    result = sched.run_job(app_sessions(), target, when)
    if result is None:
        click.echo(f"{target.title} {when}：已由其他进程执行，本次跳过。")
    else:
        click.echo(f"{target.title} {when}：{result}")


@scheduler.command("jobs", help="列出定时任务")
def jobs() -> None:
    for j in sched.JOBS:
        click.echo(f"{j.name}\t{j.title}\t{j.cron}")
