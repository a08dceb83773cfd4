"""``prepay-admin docs``: the bureau's documents (.docx), their register, and money in uppercase words."""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import click
from flask.cli import with_appcontext

from agreements.pdf import PdfUnavailable, to_pdf
from agreements.words import in_words

from ..policy.facts import Fund
from ..queries.access import check_region
from ..queries.documents import issued_file
from ..services import document_register, documents
from .common import (
    CODE,
    ID,
    MONEY,
    PERIOD,
    YEAR,
    CountType,
    acting_user,
    app_sessions,
    fail,
    read_bytes,
    run_service,
    write_file,
)

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


# one command per registered kind, its options those of the kind's scope (issue 29: the registry is the list)
SCOPE_OPTIONS = {
    documents.Scope.INSTITUTION_YEAR: (year_opt, inst_opt),
    documents.Scope.RECEIVABLE: (click.option("--receivable", "receivable_id", required=True, type=ID),),
    documents.Scope.REGION_YEAR: (year_opt, click.option("--days", default=7, show_default=True,
                                                         type=CountType(1, 60), help="公示期（日）")),
    documents.Scope.PERIOD: (
        inst_opt, click.option("--fund", type=click.Choice([f.value for f in Fund]), default="employee",
                               show_default=True),
        click.option("--from", "from_period", type=PERIOD, help="起始期间 YYYY-MM，默认今年 1 月"),
        click.option("--to", "to_period", type=PERIOD, help="截止期间 YYYY-MM，默认本月")),
}


def _issue(kind: str, region_code: str, out: Path | None, **asked) -> None:
    user = acting_user()
    if "fund" in asked:
        asked["fund"] = Fund(asked["fund"])
    _written(run_service(lambda: documents.issue(app_sessions(), kind, region_code, user, **asked)), out)


def _kind_command(entry: documents.Registered) -> None:
    def command(region_code, out, pdf, **asked) -> None:
        _issue(entry.name, region_code, out, **asked)

    for option in reversed((region_opt, *SCOPE_OPTIONS[entry.scope],
                            click.option("--out", type=OUT, help="输出文件，默认为登记的文件名"), pdf_opt)):
        command = option(command)
    docs.command(entry.command, help=entry.help)(with_appcontext(command))


for _entry in documents.REGISTRY.values():
    _kind_command(_entry)


class KindType(click.ParamType):
    """A registered document kind, read from the registry when the command runs."""

    name = "KIND"

    def convert(self, value, param, ctx):
        if value not in documents.REGISTRY:
            self.fail(f"没有文书类型 {value}（可选：{'、'.join(documents.REGISTRY)}）", param, ctx)
        return value


@docs.command(short_help="生成任一登记在册的文书（按其类型填写所需选项）", help="生成任一登记在册的文书：按其类型填写所需选项（" + "；".join(
    f"{scope.value}：{needs}" for scope, needs in documents.SCOPE_NEEDS.items()) + "）")
@click.argument("kind", type=KindType())
@region_opt
@click.option("--year", type=YEAR, help="年度")
@click.option("--institution", type=CODE, help="机构编码")
@click.option("--receivable", "receivable_id", type=ID, help="应收回记录编号")
@click.option("--fund", type=click.Choice([f.value for f in Fund]), default="employee", show_default=True)
@click.option("--from", "from_period", type=PERIOD)
@click.option("--to", "to_period", type=PERIOD)
@click.option("--days", default=7, show_default=True, type=CountType(1, 60), help="公示期（日）")
@click.option("--out", type=OUT)
@pdf_opt
@with_appcontext
def issue(kind, region_code, year, institution, receivable_id, fund, from_period, to_period, days, out, pdf) -> None:
    _issue(kind, region_code, out, year=year, institution=institution, receivable_id=receivable_id, fund=fund,
           from_period=from_period, to_period=to_period, days=days)


@docs.command("download", help="下载文书登记簿中某份文书出具时的原件（不重新生成；本统筹地区的各部门均可）")
@region_opt
@click.option("--document", "document_id", required=True, type=ID, help="文书登记编号")
@click.option("--out", type=OUT, help="输出文件，默认为登记的文件名")
@with_appcontext
def download(region_code, document_id, out) -> None:
    user = acting_user()
    def read():
        check_region(app_sessions(), user, region_code)  # only a region the user was granted
        return issued_file(app_sessions(), region_code, document_id)

    found = run_service(read)
    path = out or Path(found.file_name)
    write_file(path, found.data, "out")
    later = f"，已被第 {found.superseded_by_id} 号取代" if found.superseded_by_id else ""
    click.echo(f"已下载 {path}（文书登记第 {found.id} 号{later}，SHA-256 {found.sha256}）")


@docs.command(help="成批生成某年度全部预付协议或核定通知书（.zip），逐份登记")
@click.argument("kind", type=click.Choice(documents.batchable()))
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
    found = document_register.verify(app_sessions(), read_bytes(file, "FILE"))
    if found is None:
        fail("FILE: 不是本经办机构登记出具的文书（或已被改动）", status=1)
    state = f"，已被第 {found.superseded_by_id} 号取代" if found.superseded_by_id else "，为现行版本"
    click.echo(f"是本经办机构出具的文书：第 {found.id} 号 {found.title}（{found.region_code} {found.subject}），"
               f"{found.generated_by} 于 {found.generated_at:%Y-%m-%d %H:%M} 生成{state}")


@docs.command(help="上传本统筹地区自行修改的模板（管理员）；只能使用该文书提供的变量")
@region_opt
@click.argument("kind", type=KindType())
@click.argument("file")
@with_appcontext
def template(region_code, kind, file) -> None:
    user = acting_user()
    used = run_service(lambda: document_register.upload_template(app_sessions(), region_code, kind, read_bytes(file, "FILE"),
                                                         user))
    click.echo(f"已启用新模板，使用变量：{'、'.join(used)}")
