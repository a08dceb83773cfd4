"""``prepay-admin conditions``: 稽核's evidence that a self-declared or trigger-borne condition of 10§ does
not apply (RULES §2). Parses, calls the service, renders."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from ..policy.conditions import LIFTABLE, SOURCES
from ..services import conditions as service
from .common import CODE, DATE, YEAR, TextType, acting_user, app_sessions, run_service


@click.group(help="机构情形：解除申请人自查或收回情形带来的 10§ 情形（稽核部门）")
def conditions() -> None:
    pass


@conditions.command("lift", help="登记不适用某一情形的依据（谁出具、何时、为何）：此后的核定不再因此不予预付")
@click.option("--region", "region_code", required=True, type=CODE, help="统筹地区编码")
@click.option("--institution", required=True, type=CODE, help="机构编码")
@click.option("--condition", required=True, type=click.Choice(sorted(LIFTABLE)), help="情形")
@click.option("--source", required=True, type=click.Choice(sorted(SOURCES)),
              help="self_check=申请人自查（须填 --year）；trigger=收回情形")
@click.option("--year", type=YEAR, default=None, help="申请年度（申请人自查）")
@click.option("--evidence", required=True, type=TextType(500), help="依据")
@click.option("--date", "day", type=DATE, default=None, help="解除日期，默认今天")
@with_appcontext
def lift(region_code, institution, condition, source, year, evidence, day) -> None:
    user = acting_user()
    done = run_service(lambda: service.lift(app_sessions(), region_code, institution, condition, source, evidence,
                                            user, year=year, lifted_on=day))
    click.echo(f"已登记：{done.institution_code} 的“{service.condition_label(done.condition)}”"
               f"（{SOURCES[done.source]}{f'，{done.year} 年度' if done.year else ''}）自 {done.lifted_on} 起不再适用")
