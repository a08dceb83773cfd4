"""``prepay-admin calendar``: the bureau's own entries over the statutory holiday calendar."""
from __future__ import annotations

import datetime as dt

import click
from flask.cli import with_appcontext

from ..services import calendar as cal
from .common import app_sessions, current_user

_DAY = click.DateTime(["%Y-%m-%d"])


@click.group(help="节假日安排（法定节假日与调休，本单位可补充）")
def calendar() -> None:
    pass


@calendar.command("set-day", help="设定某一天为工作日或休息日（如调休上班、临时休息）")
@click.argument("day", type=_DAY)
@click.option("--workday/--holiday", required=True, help="工作日 / 休息日")
@click.option("--note", required=True, help="依据或说明，如 国办发明电〔2026〕X号")
@with_appcontext
def set_day(day: dt.datetime, workday: bool, note: str) -> None:
    cal.set_day(app_sessions(), day.date(), workday, note, current_user())
    click.echo(f"已设定 {day.date()} 为{'工作日' if workday else '休息日'}（{note}）。")


@calendar.command("enter-year", help="确认某年度节假日安排已全部录入（此后按录入内容计算，不再标为暂定）")
@click.argument("year", type=click.IntRange(2000, 2100))
@click.option("--source", required=True, help="国务院办公厅通知文号")
@with_appcontext
def enter_year(year: int, source: str) -> None:
    cal.mark_year_entered(app_sessions(), year, source, current_user())
    click.echo(f"{year} 年节假日安排已确认录入（{source}）。")


@calendar.command(help="列出某年度的休息日与调休工作日，及是否已知")
@click.argument("year", type=click.IntRange(2000, 2100))
@with_appcontext
def show(year: int) -> None:
    with app_sessions()() as session:
        known = cal.year_known(session, year)
        is_workday = cal.workday_lookup(session)
    click.echo(f"{year} 年：{'已知' if known else '未知（签约期限将标为暂定）'}")
    day = dt.date(year, 1, 1)
    while day.year == year:
        status = is_workday(day)
        weekend = day.weekday() >= 5
        if status is not None and status == weekend:  # a weekday off, or a weekend day worked
            click.echo(f"  {day}  {'调休上班' if status else '休息'}")
        day += dt.timedelta(days=1)
