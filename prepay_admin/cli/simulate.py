"""``prepay-admin simulate``: whole random years through the real use cases, every invariant after each step."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from ..simulation import simulate as run_simulation
from .common import CountType, app_sessions, fail, run_service


@click.command("simulate", help="模拟若干年度的完整业务（可注入故障），每一步后核对全部资金不变量；同一种子可完全复现")
@click.option("--years", default=2, show_default=True, type=CountType(1, 20), help="年度数（至今年为止）")
@click.option("--institutions", default=20, show_default=True, type=CountType(3, 2000), help="机构数")
@click.option("--seed", default=1, show_default=True, type=CountType(0, 2**31 - 1), help="随机种子")
@click.option("--faults/--no-faults", default=False, help="注入崩溃、重试与并发重复请求")
@click.option("--region-code", default="329900", show_default=True, help="模拟用统筹地区编码（须尚不存在）")
@click.option("--profile", default="nantong-2025", show_default=True,
              help="政策参数方案（已存储的名称，如 nantong-2025、hebei-2024）")
@with_appcontext
def simulate(years: int, institutions: int, seed: int, faults: bool, region_code: str, profile: str) -> None:
    result = run_service(lambda: run_simulation(
        app_sessions(), years=years, institutions=institutions, seed=seed, faults=faults, region_code=region_code,
        profile=profile, progress=lambda line: click.echo(f"  {line}", err=True)))
    summary = (f"种子 {seed}：{result.steps} 步，拨付 {result.payments} 笔，月度结算 {result.settlement_runs} 次，"
               f"收回情形 {result.triggers} 起，月度预结金 {result.presettlements} 笔")
    if faults:
        summary += f"；崩溃 {result.crashes} 次，重试 {result.retries} 次，并发重复 {result.concurrent} 次"
    if not result.ok:
        again = (f"prepay-admin simulate --years {years} --institutions {institutions} --seed {seed}"
                 f"{' --faults' if faults else ''} --region-code {region_code} --profile {profile}（在新的数据库上）")
        fail([summary, f"第 {result.broken_at} 步后不变量不成立：", *(f"  {p}" for p in result.problems[:20]),
              f"复现：{again}"], status=1)
    click.echo(summary + "。每一步后全部不变量成立。")
