"""``prepay-admin import``: a region's data from the files staff already have; templates and exports
in the same layout; the import history. ``prepay-admin region create``: a new pooling region."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from .. import clock
from ..intake.kinds import KINDS
from ..intake.writing import data_csv, data_xlsx, template_xlsx
from ..policy.facts import Fund
from ..queries import access
from ..queries.intake import exported, import_history
from ..services.imports import ImportReport, import_file
from ..services.regions import create_region, set_account, set_deposit_profile
from ..tables import render
from ..validation import parse_month
from .common import CODE, PERIOD, TEXT, TextType, acting_user, app_sessions, fail, operator, run_service, write_file

PROGRESS_EVERY = 50_000


@click.group("import", help="导入数据：" + "、".join(f"{k}（{v.title}）" for k, v in KINDS.items())
             + "；同一文件重复导入不会重复写入")
def import_() -> None:
    pass


def _kind_command(name: str) -> click.Command:
    kind = KINDS[name]

    @click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
    @click.option("--region", "region_code", required=True, type=CODE, help="统筹地区编码")
    @click.option("--dry-run", is_flag=True, help="试导入：只检查并报告新增、更改和错误，不写入")
    @click.option("--correct", is_flag=True, help="更正导入：允许更改已登记的数据（保留原值），须 --reason")
    @click.option("--reason", default=None, type=TEXT, help="更正原因（与 --correct 同用）")
    @with_appcontext
    def command(file: Path, region_code: str, dry_run: bool, correct: bool, reason: str | None) -> None:
        user = acting_user()
        try:
            stream = file.open("rb")
        except OSError as err:
            fail(f"FILE: 无法读取文件 {file}（{err.strerror}）")
        read = {"rows": 0}

        def progress(n: int) -> None:
            before, read["rows"] = read["rows"], read["rows"] + n
            if read["rows"] // PROGRESS_EVERY > before // PROGRESS_EVERY:
                click.echo(f"  已读取 {read['rows']:,} 行…", err=True)

        with stream:
            report = run_service(lambda: import_file(app_sessions(), user, region_code, name, file.name, stream,
                                                     dry_run=dry_run, correct=correct, reason=reason or "",
                                                     progress=progress))
        _print(report)
        if report.error_count:
            sys.exit(2)

    return click.command(name, help=f"导入{kind.title}（{kind.owner_cn}）")(command)


for _name in KINDS:
    import_.add_command(_kind_command(_name))


def _print(report: ImportReport) -> None:
    click.echo(f"{report.title}：{report.file_name}（SHA-256 {report.sha256[:16]}…，{report.rows} 行）")
    if report.errors:
        click.echo(render(["行", "列", "问题"], [[str(e.row), e.column, e.message] for e in report.errors]), err=True)
        if report.error_count > len(report.errors):
            click.echo(f"……另有 {report.error_count - len(report.errors)} 处错误未列出。", err=True)
    if report.changes:
        click.echo("更改：")
        click.echo(render(["行", "数据", "列", "原值", "新值"],
                          [[str(c.row), c.key, c.field, c.before, c.after] for c in report.changes]))
    click.echo(report.message, err=bool(report.error_count))


@import_.command("template", help="导出某类数据的导入模板（表头、下拉选项、每列说明）")
@click.argument("kind", type=click.Choice(list(KINDS)))
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="输出 .xlsx 文件")
def template(kind: str, out: Path) -> None:
    write_file(out, template_xlsx(KINDS[kind]), "out")
    click.echo(f"已写出{KINDS[kind].title}导入模板：{out}")


@import_.command("export", help="按导入模板的格式导出已登记的数据（可修改后作为更正导入）")
@click.argument("kind", type=click.Choice(list(KINDS)))
@click.option("--region", "region_code", required=True, type=CODE, help="统筹地区编码")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="输出 .xlsx 或 .csv 文件")
@click.option("--month", type=PERIOD, help="结算年月 YYYY-MM（月度结算须指定）")
@with_appcontext
def export(kind: str, region_code: str, out: Path, month: str | None) -> None:
    run_service(lambda: access.check_region(app_sessions(), acting_user(), region_code))
    if not KINDS[kind].exportable:
        fail(f"{kind}: {KINDS[kind].title}不导出（结算ID、就诊ID只保存其摘要，无法还原）")
    if not out.parent.is_dir():
        fail(f"--out: 文件夹 {out.parent} 不存在")
    first_day = parse_month(month) if month else None
    if kind == "settlement" and first_day is None:
        fail("--month: 月度结算须指定导出的结算年月")
    rows = exported(app_sessions(), region_code, kind, first_day)
    with out.open("wb") as stream:
        run_service(lambda: (data_csv if out.suffix.lower() == ".csv" else data_xlsx)(KINDS[kind], rows, stream))
    click.echo(f"已导出{KINDS[kind].title}：{out}")


@import_.command("history", help="本统筹地区的导入记录")
@click.option("--region", "region_code", required=True, type=CODE, help="统筹地区编码")
@with_appcontext
def history(region_code: str) -> None:
    run_service(lambda: access.check_region(app_sessions(), acting_user(), region_code))
    lines = run_service(lambda: import_history(app_sessions(), region_code))
    click.echo(render(["编号", "数据", "文件", "行数", "新增", "更改", "相同", "更正原因", "导入人", "时间"],
                      [[str(i.id), i.title, i.file_name, str(i.rows), str(i.added), str(i.changed), str(i.unchanged),
                        i.reason or "",
                        i.imported_by, f"{i.imported_at.astimezone(clock.TIMEZONE):%Y-%m-%d %H:%M}"] for i in lines]))


@click.group(help="统筹地区")
def region() -> None:
    pass


@region.command("create", help="创建统筹地区并开设职工、居民两个基金账套（运维命令，记录操作系统用户）")
@click.option("--code", required=True, type=CODE, help="行政区划代码，如 320600")
@click.option("--name", required=True, type=TEXT, help="名称，如 南通市")
@click.option("--profile", required=True, type=TextType(40), help="已存的政策参数方案（prepay-admin policy list）")
@with_appcontext
def create(code: str, name: str, profile: str) -> None:
    run_service(lambda: create_region(app_sessions(), code, name, profile, clock.today().year, operator()))
    click.echo(f"已创建统筹地区 {code} {name}（{profile}）。请用 prepay-admin users grant-region 授予人员。")


@region.command("deposit-profile", help="设定统筹地区的住院预交金参数方案（prepay-admin deposit profiles；运维命令）")
@click.option("--code", required=True, type=CODE, help="统筹地区编码")
@click.option("--profile", required=True, type=TextType(40), help="预交金参数方案，如 guizhou-2025")
@with_appcontext
def deposit_profile(code: str, profile: str) -> None:
    title = run_service(lambda: set_deposit_profile(app_sessions(), code, profile, operator()))
    click.echo(f"统筹地区 {code} 的住院预交金参数方案已设为 {profile}（{title}）；此后的测算与检查按此方案。")


@region.command("set-account", help="登记经办机构某基金的支出户（收回通知中告知机构交回预付金的账户；运维命令）")
@click.option("--code", required=True, type=CODE, help="统筹地区编码")
@click.option("--fund", required=True, type=click.Choice(["employee", "resident"]))
@click.option("--account-name", required=True, type=TextType(100), help="户名")
@click.option("--bank-name", required=True, type=TextType(100), help="开户行")
@click.option("--account-no", required=True, type=TextType(40), help="账号")
@with_appcontext
def set_account_(code: str, fund: str, account_name: str, bank_name: str, account_no: str) -> None:
    run_service(lambda: set_account(app_sessions(), code, Fund(fund), account_name, bank_name, account_no, operator()))
    click.echo(f"已登记统筹地区 {code} 的{fund}支出户：{bank_name} {account_no}")
