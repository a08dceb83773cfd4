"""``prepay-admin policy``: the stored policy profiles, their versions and differences, and the per-year
overrides (14§)."""
from __future__ import annotations

import json
from pathlib import Path

import click
from flask.cli import with_appcontext

from ..policy.parameters import parameters
from ..queries.policy import profile_in_force
from ..queries.profiles import REF_HELP, ProfileRef, compare_profiles, list_profiles, profile_detail
from ..services.policy import record_override
from ..services.profiles import add_profile
from ..validation import InputError, read_json
from .common import CODE, TEXT, YEAR, CountType, acting_user, app_sessions, fail, read_bytes, run_service

VERSION = CountType(1, 9999)


@click.group(help="政策参数方案：新增、版本、比较、年度调整")
def policy() -> None:
    pass


@policy.command("list", help="列出已存的政策参数方案及其全部版本")
@with_appcontext
def list_command() -> None:
    for p in run_service(lambda: list_profiles(app_sessions(), acting_user())):
        used = f"；使用中的年度：{'、'.join(p.campaigns)}" if p.campaigns else ""
        click.echo(f"{p.name}\t第 {p.version} 版{'（最新）' if p.latest else ''}\t{p.title}\t"
                   f"{p.added_at:%Y-%m-%d} {p.added_by}\tSHA-256 {p.sha256[:12]}…{used}")


@policy.command(help="新增政策参数方案（TOML 文件；管理员）：整份校验，有任何错误则全部列出、不作保存；"
                     "同名方案的修订须使用更大的版本号")
@click.argument("file")
@with_appcontext
def add(file: str) -> None:
    data = read_bytes(file, "profile")
    added = run_service(lambda: add_profile(app_sessions(), data, acting_user()))
    if added.replayed:
        click.echo(f"{added.name} 第 {added.version} 版已存（内容相同，未重复保存）：SHA-256 {added.sha256}")
    else:
        click.echo(f"已新增政策参数方案 {added.name} 第 {added.version} 版：{added.title}\nSHA-256 {added.sha256}")


@policy.command(help="显示一个方案的全部参数（默认最新版本）；带 --region --year 时显示该年度生效的参数及全部调整记录")
@click.argument("name", default="nantong-2025")
@click.option("--version", type=VERSION, help="版本（默认最新）")
@click.option("--region", "region_code", type=CODE, help="统筹地区编码")
@click.option("--year", type=YEAR, help="年度")
@click.option("--format", "fmt", type=click.Choice(["text", "toml"]), default="text", show_default=True,
              help="text：逐项参数；toml：新增时的文件原文")
@with_appcontext
def show(name: str, version: int | None, region_code: str | None, year: int | None, fmt: str) -> None:
    if (region_code is None) != (year is None):
        fail("--region 与 --year 须同时指定")
    if region_code is None:
        detail = run_service(lambda: profile_detail(app_sessions(), acting_user(), name, version))
        if fmt == "toml":
            click.echo(detail.content, nl=False)
            return
        s = detail.summary
        click.echo(f"{s.name} 第 {s.version} 版{'（最新）' if s.latest else ''}：{s.title}\n"
                   f"SHA-256 {s.sha256}；{s.added_at:%Y-%m-%d %H:%M} {s.added_by} 新增")
        for path, value in detail.parameters:
            click.echo(f"{path} = {value}")
        return
    if version is not None:
        fail("--version: 统筹地区的年度按其开启时的版本（未开启时按最新版本），不能另行指定")
    view = run_service(lambda: profile_in_force(app_sessions(), region_code, year))
    state = "年度已开启，沿用开启时的版本" if view.opened else "年度未开启，开启时取最新版本"
    click.echo(f"{region_code} {year} 年度：{view.profile.name} 第 {view.version} 版（{state}），"
               f"SHA-256 {view.sha256}")
    for path, value in parameters(view.profile).items():
        click.echo(f"{path} = {value}")
    click.echo(f"{region_code} {year} 年度参数调整记录（14§）：" + ("无" if not view.history else ""))
    for o in view.history:
        mark = "生效" if o.in_force else "已被后续调整取代"
        click.echo(f"  {o.recorded_at:%Y-%m-%d %H:%M} {o.recorded_by}：{o.parameter} = "
                   f"{json.dumps(o.value, ensure_ascii=False)}（批准文号：{o.approval_ref}；{mark}）")


@policy.command(help=f"比较两个方案，逐项列出不同的参数及两边的取值；A、B 为{REF_HELP}")
@click.argument("left", metavar="A")
@click.argument("right", metavar="B")
@with_appcontext
def diff(left: str, right: str) -> None:
    refs = [_ref(text, label) for text, label in ((left, "A"), (right, "B"))]
    found = run_service(lambda: compare_profiles(app_sessions(), *refs))
    if not found.differences:
        click.echo(f"{found.left} 与 {found.right} 的参数完全相同")
        return
    click.echo(f"{found.left} 与 {found.right}：{len(found.differences)} 项参数不同")
    width = max(len(d.path) for d in found.differences)
    for d in found.differences:
        click.echo(f"{d.path:<{width}}  {_shown(d.left)}  →  {_shown(d.right)}")


def _ref(text: str, label: str) -> ProfileRef:
    if text.endswith(".toml"):
        return ProfileRef(Path(text).name, draft=read_bytes(text, label))
    return run_service(lambda: ProfileRef.parse(text))


def _shown(value: str | None) -> str:
    return "（无此参数）" if value is None else value


@policy.command(help="记录某年度的参数调整（14§，须有批准文号），如 --set amount.minimum='\"50000\"'")
@click.option("--region", "region_code", required=True, type=CODE, help="统筹地区编码")
@click.option("--year", required=True, type=YEAR)
@click.option("--set", "parameter", required=True, help="参数=JSON 值")
@click.option("--approval", required=True, type=TEXT, help="批准文号")
@with_appcontext
def override(region_code: str, year: int, parameter: str, approval: str) -> None:
    path, sep, raw = parameter.partition("=")
    if not sep or not path.strip():
        fail("--set: 格式须为 参数=JSON 值，如 amount.minimum='\"50000\"'")
    try:
        value = read_json(raw.encode("utf-8", "surrogatepass"))
    except InputError as err:
        fail(f"--set: “{raw[:40]}”不是有效的 JSON 值（字符串须加双引号）：{err.problems[0][1]}")
    run_service(lambda: record_override(app_sessions(), region_code, year, path.strip(), value, approval,
                                        acting_user()))
    click.echo(f"已记录 {region_code} {year} 年度参数调整：{path.strip()} = {raw}（批准文号：{approval}）")
