"""``prepay-admin policy``: the policy profiles and their per-year overrides (14§)."""
from __future__ import annotations

import json
from dataclasses import asdict

import click
from flask.cli import with_appcontext

from ..profiles import ProfileError, available_profiles, load_profile
from ..queries.policy import profile_in_force
from ..services.policy import record_override
from ..validation import InputError, read_json
from .common import CODE, TEXT, YEAR, app_sessions, acting_user, fail, run_service


@click.group(help="政策参数方案")
def policy() -> None:
    pass


@policy.command("list", help="列出可用的政策参数方案")
def list_profiles() -> None:
    for name in available_profiles():
        profile = load_profile(name)
        click.echo(f"{name}\t第 {profile.version} 版\t{profile.title}")


@policy.command(help="显示一个方案的全部参数（JSON）；带 --region --year 时显示该年度生效的参数及全部调整记录")
@click.argument("name", default="nantong-2025")
@click.option("--region", "region_code", type=CODE, help="统筹地区编码")
@click.option("--year", type=YEAR, help="年度")
@with_appcontext
def show(name: str, region_code: str | None, year: int | None) -> None:
    if (region_code is None) != (year is None):
        fail("--region 与 --year 须同时指定")
    if region_code is None:
        try:
            profile = load_profile(name)
        except ProfileError as err:
            fail(str(err))
        click.echo(json.dumps(asdict(profile), ensure_ascii=False, indent=2, default=str))
        return
    view = run_service(lambda: profile_in_force(app_sessions(), region_code, year))
    click.echo(json.dumps(asdict(view.profile), ensure_ascii=False, indent=2, default=str))
    click.echo(f"{region_code} {year} 年度参数调整记录（14§）：" + ("无" if not view.history else ""))
    for o in view.history:
        mark = "生效" if o.in_force else "已被后续调整取代"
        click.echo(f"  {o.recorded_at:%Y-%m-%d %H:%M} {o.recorded_by}：{o.parameter} = "
                   f"{json.dumps(o.value, ensure_ascii=False)}（批准文号：{o.approval_ref}；{mark}）")


@policy.command(help="记录某年度的参数调整（14§，须有批准文号），如 --set amount.minimum='\"50000\"'")
@click.option("--region", "region_code", required=True, type=CODE, help="统筹地区编码")
@click.option("--year", required=True, type=YEAR)
@click.option("--set", "assignment", required=True, help="参数=JSON 值")
@click.option("--approval", required=True, type=TEXT, help="批准文号")
@with_appcontext
def override(region_code: str, year: int, assignment: str, approval: str) -> None:
    path, sep, raw = assignment.partition("=")
    if not sep or not path.strip():
        fail("--set: 格式须为 参数=JSON 值，如 amount.minimum='\"50000\"'")
    try:
        value = read_json(raw.encode("utf-8", "surrogatepass"))
    except InputError as err:
        fail(f"--set: “{raw[:40]}”不是有效的 JSON 值（字符串须加双引号）：{err.problems[0][1]}")
    run_service(lambda: record_override(app_sessions(), region_code, year, path.strip(), value, approval,
                                        acting_user()))
    click.echo(f"已记录 {region_code} {year} 年度参数调整：{path.strip()} = {raw}（批准文号：{approval}）")
