"""``prepay-admin demo load``: a generated pooling region to try the product on."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from .. import clock
from ..demo.files import write_demo_files
from ..policy.departments import DEPARTMENT_CN
from ..profiles import ProfileError
from ..services.demo import DEMO_REGION_CODE, DEMO_REGION_NAME, load_demo
from ..services.demo_cycle import DEMO_STAFF, demo_password
from .common import YEAR, CountType, TextType, app_sessions, fail, run_service


@click.group(help="演示数据")
def demo() -> None:
    pass


@demo.command("load", help="生成并载入演示统筹地区；中断后重新运行，只续走未完成的步骤")
@click.option("--institutions", default=80, show_default=True, type=CountType(1, 1_000_000), help="机构数")
@click.option("--seed", default=2026, show_default=True, type=int, help="随机种子（相同种子生成相同数据）")
@click.option("--year", default=None, show_default="今年", type=YEAR, help="预付年度")
@click.option("--profile", default="nantong-2025", show_default=True, type=TextType(40),
              help="已存的政策参数方案（prepay-admin policy list）")
@click.option("--region-code", default=DEMO_REGION_CODE, show_default=True)
@click.option("--region-name", default=DEMO_REGION_NAME, show_default=True)
@click.option("--play-cycle/--no-play-cycle", default=None,
              help="把该年度预付走完（申请至拨付）；默认 1,000 家以内时进行")
@click.option("--years", default=2, show_default=True, type=CountType(1, 2),
              help="走几个年度：2 为上一年度与本年度（月度结算扣回、触发收回、年终滚动结算与清算、诉讼核销）")
@click.option("--discharges/--no-discharges", default=None,
              help="同时载入三个年度的住院结算明细（住院预交金参考额度）；默认 1,000 家以内时载入")
@with_appcontext
def load(institutions: int, seed: int, year: int, profile: str, region_code: str, region_name: str,
         play_cycle: bool | None, years: int, discharges: bool | None) -> None:
    play = play_cycle if play_cycle is not None else institutions <= 1000
    year = year or clock.today().year
    with click.progressbar(length=institutions, label="载入演示机构", show_pos=True, file=sys.stderr) as bar:
        try:
            result = run_service(lambda: load_demo(
                app_sessions(), institutions=institutions, seed=seed, year=year, profile=profile,
                region_code=region_code, region_name=region_name, progress=bar.update, play=play,
                step=lambda s: click.echo(f"  {s}", err=True), years=years,
                discharges=discharges if discharges is not None else institutions <= 1000))
        except ProfileError as err:
            fail(str(err))
    if result.created or result.resumed:
        if result.created:
            click.echo(f"已载入演示统筹地区 {region_code}：机构 {result.institutions} 家，月度拨付记录 {result.payouts} 条，年度 {year}。")
        else:
            click.echo(f"演示统筹地区 {region_code} 已载入；中断时未走完的步骤（如有）已续走，已完成的步骤不重复。")
        if result.two_years:
            click.echo(f"{year - 1}、{year} 两个年度已走完：拨付、月度结算扣回、触发收回、年终滚动结算与清算、诉讼与核销。")
        if result.cycle:
            c = result.cycle
            click.echo(f"{year} 年度预付已走完：申请 {c.applications} 份，列入名单 {c.listed} 家，签约 {c.signed} 家，"
                       f"视作放弃 {c.given_up} 家，拨付 {c.paid} 笔。")
    else:
        click.echo(f"统筹地区 {region_code} 已存在，未重复载入。")
    click.echo("演示人员（网页登录，或命令行 prepay-admin login）：用户名 / 密码 / 姓名 / 部门")
    for username, name, department in DEMO_STAFF:
        click.echo(f"  {username} / {demo_password(username)} / {name} / {DEPARTMENT_CN[department]}")


@demo.command("files", help="把演示统筹地区写成导入文件（每类一个），导入空数据库后与 demo load 相同")
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path), help="输出文件夹")
@click.option("--institutions", default=80, show_default=True, type=CountType(1, 1_000_000), help="机构数")
@click.option("--seed", default=2026, show_default=True, type=int, help="随机种子")
@click.option("--year", default=None, show_default="今年", type=YEAR, help="预付年度")
@click.option("--region-code", default=DEMO_REGION_CODE, show_default=True)
def files(out: Path, institutions: int, seed: int, year: int | None, region_code: str) -> None:
    year = year or clock.today().year
    with click.progressbar(length=institutions, label="写出月度结算", show_pos=True, file=sys.stderr) as bar:
        try:
            written = write_demo_files(out, institutions, seed, year, region_code, bar.update)
        except OSError as err:
            fail(f"--out: 无法写入 {out}（{err.strerror}）")
    for kind, path in written.items():
        click.echo(f"  {kind}: {path}")
    click.echo(f"依次导入：prepay-admin region create --code {region_code} …，然后 prepay-admin import KIND 文件 "
               f"--region {region_code}（先 institutions）。")
