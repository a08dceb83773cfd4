"""``prepay-admin policy``: the policy profiles and their per-year overrides (14§)."""
from __future__ import annotations

import json
from dataclasses import asdict

import click
from flask.cli import with_appcontext

from ..profiles import ProfileError, available_profiles, load_profile
from ..services.errors import ServiceError
from ..services.policy import record_override
from .common import app_sessions, current_user, fail


@click.group(help="政策参数方案")
def policy() -> None:
    pass


@policy.command("list", help="列出可用的政策参数方案")
def list_profiles() -> None:
    for name in available_profiles():
        profile = load_profile(name)
        click.echo(f"{name}\t第 {profile.version} 版\t{profile.title}")


@policy.command(help="显示一个方案的全部参数（JSON）")
@click.argument("name", default="nantong-2025")
def show(name: str) -> None:
    try:
        profile = load_profile(name)
    except ProfileError as err:
        fail(str(err))
    click.echo(json.dumps(asdict(profile), ensure_ascii=False, indent=2, default=str))


@policy.command(help="记录某年度的参数调整（14§，须有批准文号），如 --set amount.minimum='\"50000\"'")
@click.option("--region", "region_code", required=True, help="统筹地区编码")
@click.option("--year", required=True, type=int)
@click.option("--set", "assignment", required=True, help="参数=JSON 值")
@click.option("--approval", required=True, help="批准文号")
@with_appcontext
def override(region_code: str, year: int, assignment: str, approval: str) -> None:
    path, sep, raw = assignment.partition("=")
    if not sep:
        fail("--set: 格式须为 参数=JSON 值，如 amount.minimum='\"50000\"'")
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        fail(f"--set: “{raw}”不是有效的 JSON 值（字符串须加双引号）")
    try:
        record_override(app_sessions(), region_code, year, path.strip(), value, approval, current_user())
    except ServiceError as err:
        fail(f"{err.field}: {err.message}")
    click.echo(f"已记录 {region_code} {year} 年度参数调整：{path.strip()} = {raw}（批准文号：{approval}）")
