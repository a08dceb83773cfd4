"""``prepay-admin todo``: what waits for the signed-in member of staff's department (待办), as on the landing
page: each item with its count, deadline and article, the other departments' below, the week's notices."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from .. import clock
from ..policy.departments import DEPARTMENT_CN
from ..queries import access
from ..queries.todo import todo_list
from .common import CODE, acting_identity, app_sessions, fail, run_service


def _line(t) -> str:
    due = ""
    if t.due is not None:
        when = (f"还有 {t.days_left} 天" if t.days_left > 0 else "今天" if t.days_left == 0
                else f"已过 {-t.days_left} 天")
        due = f"（期限 {t.due}，{when}）"
    return f"{t.label}{due}  [{t.article}]"


@click.command(help="我的待办：本部门在该统筹地区等待办理的事项（与首页相同）")
@click.option("--region", "region_code", type=CODE, help="统筹地区编码，默认为本人的第一个统筹地区")
@click.option("--all", "every", is_flag=True, help="同时列出其他部门的待办")
@with_appcontext
def todo(region_code: str | None, every: bool) -> None:
    me = acting_identity()
    if region_code is None:
        if not me.regions:
            fail("--region: 本人没有被授权任何统筹地区")
        region_code = me.regions[0]
    run_service(lambda: access.check_region(app_sessions(), me.username, region_code))
    found = run_service(lambda: todo_list(app_sessions(), region_code, clock.today(), me.department))
    mine = found.of(me.department)
    click.echo(f"{found.region_name}（{found.region_code}）· {DEPARTMENT_CN[me.department]}的待办：{len(mine)} 项")
    for t in mine:
        click.echo(f"  {_line(t)}")
    if every:
        for t in found.items:
            if t.department != me.department:
                click.echo(f"  〔{DEPARTMENT_CN[t.department]}〕{_line(t)}")
    if found.notices:
        click.echo("近 7 天的提醒：")
        for n in found.notices:
            click.echo(f"  {n.at.astimezone(clock.TIMEZONE):%Y-%m-%d %H:%M} {n.message}")
