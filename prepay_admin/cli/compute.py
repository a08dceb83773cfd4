"""``prepay-admin compute``: the what-if calculation, from a JSON file or from the database."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from ..contract import ContractError, parse_input, result_as_dict, write_result
from ..policy.engine import evaluate
from ..policy.profile import PolicyProfile
from ..profiles import DEFAULT_PROFILE, ProfileError, load_profile
from ..queries.access import check_region
from ..queries.evaluation import evaluate_region
from ..queries.profiles import ProfileRef, resolve_profile
from ..tables import evaluation_table
from .common import CODE, YEAR, acting_user, app_sessions, fail, read_bytes, run_service


@click.command(help="测算预付金：--input 读取 JSON（- 为标准输入，不连接数据库），或 --region 读取数据库")
@click.option("--input", "input_path", help="测算输入 JSON 文件（UTF-8）")
@click.option("--region", "region_code", type=CODE, help="统筹地区编码（从数据库读取）")
@click.option("--year", type=YEAR, help="预付年度（与 --region 一起使用）")
@click.option("--profile", "profile_name", default=None,
              help=f"政策参数方案（与 --input 一起使用，默认 {DEFAULT_PROFILE}）：随软件发布的方案名称；"
                   "名称@版本，读取数据库中已存的版本；或 .toml 文件（尚未新增的草稿，只作校验与测算）")
@click.option("--format", "fmt", type=click.Choice(["json", "table"]), default="json", show_default=True)
@with_appcontext
def compute(input_path: str | None, region_code: str | None, year: int | None, profile_name: str | None,
            fmt: str) -> None:
    if (input_path is None) == (region_code is None):
        fail("须且只能指定 --input 或 --region 之一")
    if input_path is not None:
        profile = _profile_for_input(profile_name or DEFAULT_PROFILE)
        try:
            facts = parse_input(read_bytes(input_path, "input"))
        except ContractError as err:
            fail([f"{pointer}: {message}" for pointer, message in err.problems])
        evaluation = evaluate(facts, profile)
    else:
        if year is None:
            fail("--year: 与 --region 一起使用时必须指定预付年度")
        if profile_name is not None:
            fail("--profile: 数据库中的统筹地区按其登记的方案及年度调整测算，不能另行指定")
        run_service(lambda: check_region(app_sessions(), acting_user(), region_code))
        try:
            evaluation = run_service(lambda: evaluate_region(app_sessions(), region_code, year)).evaluation
        except ProfileError as err:
            fail(str(err))
    if fmt == "json":
        write_result(result_as_dict(evaluation), sys.stdout)
    else:
        click.echo(evaluation_table(evaluation))


def _profile_for_input(text: str) -> PolicyProfile:
    """A draft file or a profile shipped with the software by name (the what-if of a file needs no
    database), or a stored version (``NAME@V``, a bureau's own included) from the database."""
    if text.endswith(".toml"):
        return run_service(lambda: resolve_profile(app_sessions(), ProfileRef(Path(text).name,
                                                                               draft=read_bytes(text, "profile"))))
    ref = run_service(lambda: ProfileRef.parse(text))
    if ref.version is not None:
        return run_service(lambda: resolve_profile(app_sessions(), ref))
    try:
        return load_profile(ref.name)
    except ProfileError as err:
        fail(f"--profile: {err.problems[0][1]}；数据库中已存的方案请写 名称@版本（policy list 可查），或写 .toml 文件")
