"""``prepay-admin docs``: the bureau's documents (.docx), their register, and money in uppercase words."""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import click
from flask.cli import with_appcontext

from agreements.pdf import PdfUnavailable, to_pdf
from agreements.words import in_words

from ..policy.facts import Fund
from ..services import documents
from .common import CODE, ID, MONEY, PERIOD, YEAR, CountType, acting_user, app_sessions, fail, read_bytes, run_service, write_file

region_opt = click.option("--region", "region_code", required=True, type=CODE, help="统筹地区编码")
year_opt = click.option("--year", required=True, type=YEAR, help="预付年度")
inst_opt = click.option("--institution", required=True, type=CODE, help="机构编码")
OUT = click.Path(dir_okay=False, path_type=Path)


@click.group(help="文书：预付协议、核定通知书、收回通知、公示、对账单；文书登记与核验；大写金额")
def docs() -> None:
    pass


@docs.command(help="金额的中文大写（如 1670000 → 人民币壹佰陆拾柒万元整）")
@click.argument("amount", type=MONEY)
def words(amount: Decimal) -> None:
    try:
        click.echo(in_words(amount))
    except ValueError as err:
        fail(f"AMOUNT: {err}")


def _written(issued: documents.Issued, out: Path | None) -> None:
    path = out or Path(issued.file_name)
    write_file(path, issued.data, "out")
    later = f"，取代此前的第 {issued.supersedes} 号" if issued.supersedes else ""
    click.echo(f"已生成 {path}（文书登记第 {issued.id} 号{later}，SHA-256 {issued.sha256}）")
    if click.get_current_context().params.get("pdf"):
        try:
            pdf = to_pdf(issued.data)
        except PdfUnavailable as err:
            click.echo(str(err), err=True)
            return
        write_file(path.with_suffix(".pdf"), pdf, "out")
        click.echo(f"已生成 {path.with_suffix('.pdf')}")


pdf_opt = click.option("--pdf", is_flag=True, help="同时生成 PDF（需本机安装 LibreOffice）")


# one institution's document of a year: (command, document kind, help)
INSTITUTION_YEAR = (
    ("agreement", "agreement", "预付金预付协议（16§，基金结算部门）"),
    ("notice", "determination_notice", "预付金核定通知书：逐步列出测算过程及全部原因（15§(二)）"),
    ("form", "application_form", "预付金使用申请表（附件），按机构资料及自查情况填写"),
    ("year-end-notice", "year_end_notice",
     "预付金年终处理通知（17§：少补、多退或清算；冀 二(四)：年度收回；财务管理部门）；--year 为到期的预付年度"),
)


def _institution_year_command(name: str, kind: str, text: str) -> None:
    @docs.command(name, help=text)
    @region_opt
    @year_opt
    @inst_opt
    @click.option("--out", type=OUT, help="输出文件，默认为登记的文件名")
    @pdf_opt
    @with_appcontext
    def command(region_code, year, institution, out, pdf) -> None:
        user = acting_user()
        _written(run_service(lambda: documents.issue(app_sessions(), kind, region_code, user, year=year,
                                                     institution=institution)), out)


for _name, _kind, _text in INSTITUTION_YEAR:
    _institution_year_command(_name, _kind, _text)


@docs.command(help="预付金收回通知（20§(二)1，财务管理部门；须已发出催收）")
@region_opt
@click.option("--receivable", "receivable_id", required=True, type=ID)
@click.option("--out", type=OUT)
@pdf_opt
@with_appcontext
def demand(region_code, receivable_id, out, pdf) -> None:
    user = acting_user()
    _written(run_service(lambda: documents.issue(app_sessions(), "demand", region_code, user,
                                                 receivable_id=receivable_id)), out)


@docs.command("public-list", help="年度预付金公示（22§(一)）：计算方法与各机构各基金金额")
@region_opt
@year_opt
@click.option("--days", default=7, show_default=True, type=CountType(1, 60), help="公示期（日）")
@click.option("--out", type=OUT)
@pdf_opt
@with_appcontext
def public_list(region_code, year, days, out, pdf) -> None:
    user = acting_user()
    _written(run_service(lambda: documents.issue(app_sessions(), "public_list", region_code, user, year=year,
                                                 days=days)), out)


@docs.command(help="对账单（21§(一)，财务管理部门），附机构签章回执")
@region_opt
@inst_opt
@click.option("--fund", type=click.Choice([f.value for f in Fund]), default="employee", show_default=True)
@click.option("--from", "from_period", type=PERIOD, help="起始期间 YYYY-MM，默认今年 1 月")
@click.option("--to", "to_period", type=PERIOD, help="截止期间 YYYY-MM，默认本月")
@click.option("--out", type=OUT)
@pdf_opt
@with_appcontext
def statement(region_code, institution, fund, from_period, to_period, out, pdf) -> None:
    user = acting_user()
    _written(run_service(lambda: documents.issue(app_sessions(), "statement", region_code, user, institution=institution,
                                                 fund=Fund(fund), from_period=from_period, to_period=to_period)), out)


@docs.command(help="成批生成某年度全部预付协议或核定通知书（.zip），逐份登记")
@click.argument("kind", type=click.Choice(documents.BATCHABLE))
@region_opt
@year_opt
@click.option("--out", type=OUT, required=True, help="输出的 .zip")
@with_appcontext
def batch(kind, region_code, year, out) -> None:
    user = acting_user()

    def progress(done: int, total: int) -> None:
        if done == total or done % 100 == 0:
            click.echo(f"  已生成 {done:,}/{total:,} 份", err=True)

    done = run_service(lambda: documents.issue_batch(app_sessions(), kind, region_code, year, user, progress))
    write_file(out, done.data, "out")
    click.echo(f"已生成 {done.count} 份，写入 {out}")


@docs.command(help="核验一份文书是否为本经办机构出具（逐字节比对登记的 SHA-256）")
@click.argument("file")
@with_appcontext
def verify(file) -> None:
    found = documents.verify(app_sessions(), read_bytes(file, "FILE"))
    if found is None:
        fail("FILE: 不是本经办机构登记出具的文书（或已被改动）", status=1)
    state = f"，已被第 {found.superseded_by_id} 号取代" if found.superseded_by_id else "，为现行版本"
    click.echo(f"是本经办机构出具的文书：第 {found.id} 号 {found.title}（{found.region_code} {found.subject}），"
               f"{found.generated_by} 于 {found.generated_at:%Y-%m-%d %H:%M} 生成{state}")


@docs.command(help="上传本统筹地区自行修改的模板（管理员）；只能使用该文书提供的变量")
@region_opt
@click.argument("kind", type=click.Choice(sorted(documents.ISSUER)))
@click.argument("file")
@with_appcontext
def template(region_code, kind, file) -> None:
    user = acting_user()
    used = run_service(lambda: documents.upload_template(app_sessions(), region_code, kind, read_bytes(file, "FILE"),
                                                         user))
    click.echo(f"已启用新模板，使用变量：{'、'.join(used)}")
