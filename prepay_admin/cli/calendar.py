"""``prepay-admin calendar``: the bureau's own entries over the statutory holiday calendar."""
from __future__ import annotations

import datetime as dt

import click
from flask.cli import with_appcontext

from ..queries.calendar import year_calendar
from ..services import calendar as cal
from .common import DATE, TEXT, YEAR, acting_user, app_sessions, run_service


@click.group(help="节假日安排（法定节假日与调休，本单位可补充）")
def calendar() -> None:
    pass


@calendar.command("set-day", help="设定某一天为工作日或休息日（如调休上班、临时休息）")
@click.argument("day", type=DATE)
@click.option("--workday/--holiday", required=True, help="工作日 / 休息日")
@click.option("--note", required=True, type=TEXT, help="依据或说明，如 国办发明电〔2026〕X号")
@click.option("--region", "region_code", type=TEXT, default=None,
              help="本地区自行调整：统筹地区代码；不填为全国统一安排（须管辖全部统筹地区）")
@with_appcontext
def set_day(day: dt.date, workday: bool, note: str, region_code: str | None) -> None:
    run_service(lambda: cal.set_day(app_sessions(), day, workday, note, acting_user(), region_code))
    whose = f"统筹地区 {region_code}" if region_code else "全国统一安排"
    click.echo(f"已设定 {day} 为{'工作日' if workday else '休息日'}（{whose}，{note}）。")


@calendar.command("enter-year", help="确认某年度节假日安排已全部录入（此后按录入内容计算，不再标为暂定）")
@click.argument("year", type=YEAR)
@click.option("--source", required=True, type=TEXT, help="国务院办公厅通知文号")
@with_appcontext
def enter_year(year: int, source: str) -> None:
    run_service(lambda: cal.mark_year_entered(app_sessions(), year, source, acting_user()))
    click.echo(f"{year} 年节假日安排已确认录入（{source}）。")


@calendar.command(help="列出某年度的休息日与调休工作日（含本地区调整），及是否已知")
@click.argument("year", type=YEAR)
@click.option("--region", "region_code", type=TEXT, default=None, help="统筹地区代码：含该地区自行调整的日子")
@with_appcontext
def show(year: int, region_code: str | None) -> None:
    view = year_calendar(app_sessions(), year, region_code)
    click.echo(f"{year} 年：{'已知' if view.known else '未知（签约期限将标为暂定）'}")
    for e in view.exceptions:  # a weekday off, or a weekend day worked
        click.echo(f"  {e.day}  {'调休上班' if e.workday else '休息'}  {e.source_cn}  {e.note}".rstrip())
