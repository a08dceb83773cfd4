"""``prepay-admin ledger``: the books — reports, period closing and the nightly verification."""
from __future__ import annotations

import os
from pathlib import Path

import click
from flask.cli import with_appcontext

from accounting import reports, xlsx
from accounting.chart import Role

from .. import clock
from ..policy.facts import Fund
from ..policy.money import fmt_yuan_cn
from ..queries import access
from ..queries import ledger as books
from ..services.books import close_period as close
from ..services.books import reopen_period as reopen
from ..tables import render
from .common import CODE, PERIOD, TEXT, CountType, acting_user, app_sessions, fail, run_service, write_file


def _book_options(f):
    f = click.option("--fund", type=click.Choice([x.value for x in Fund]), default="employee", show_default=True,
                     help="基金（employee 职工 / resident 居民）")(f)
    return click.option("--region", "region_code", required=True, type=CODE, help="统筹地区编码")(f)


def _period_options(f):
    f = click.option("--to", "to_period", type=PERIOD, help="截止期间 YYYY-MM，默认本月")(f)
    return click.option("--from", "from_period", type=PERIOD, help="起始期间 YYYY-MM，默认本年1月")(f)


def _periods(from_period: str | None, to_period: str | None) -> tuple[str, str]:
    today = clock.today()
    return from_period or f"{today:%Y}-01", to_period or f"{today:%Y-%m}"


def _xlsx_option(f):
    return click.option("--xlsx", "xlsx_path", type=click.Path(dir_okay=False, path_type=Path),
                        callback=_writable, help="同时导出为 Excel 文件")(f)


def _writable(ctx, param, path: Path | None) -> Path | None:
    """Refuse an export path whose folder does not exist before any work is done."""
    if path is not None and not path.parent.is_dir():
        fail(f"--xlsx: 文件夹 {path.parent} 不存在")
    return path


@click.group(help="会计核算：暂付款—医保预付金账簿")
def ledger() -> None:
    pass


@ledger.command("trial-balance", help="科目余额表（期初、本期借贷、期末；合计须平衡）")
@_book_options
@_period_options
@_xlsx_option
@with_appcontext
def trial_balance(region_code, fund, from_period, to_period, xlsx_path) -> None:
    run_service(lambda: access.check_region(app_sessions(), acting_user(), region_code))
    from_period, to_period = _periods(from_period, to_period)
    tb = run_service(lambda: books.trial_balance(app_sessions(), region_code, Fund(fund), from_period, to_period))
    t = tb.totals
    click.echo(f"科目余额表　{tb.book}　{from_period} 至 {to_period}")
    click.echo(render(
        ["科目代码", "科目名称", "期初", "本期借方", "本期贷方", "期末"],
        [[r.code, r.name, _signed(r.opening), fmt_yuan_cn(r.debit), fmt_yuan_cn(r.credit), _signed(r.closing)]
         for r in tb.rows] + [["", "合计", _signed(t.opening), fmt_yuan_cn(t.debit), fmt_yuan_cn(t.credit), _signed(t.closing)]],
        right=[2, 3, 4, 5],
    ))
    click.echo("借贷平衡。" if tb.balanced else "借贷不平衡！请运行 prepay-admin ledger verify。")
    if xlsx_path:
        write_file(xlsx_path, xlsx.trial_balance_xlsx(tb))
        click.echo(f"已导出 {xlsx_path}")


@ledger.command(help="机构对账单：暂付款—医保预付金明细（期初、每笔发生、期末）")
@_book_options
@click.option("--institution", required=True, type=CODE, help="定点医疗机构编码")
@_period_options
@_xlsx_option
@with_appcontext
def statement(region_code, fund, institution, from_period, to_period, xlsx_path) -> None:
    run_service(lambda: access.check_region(app_sessions(), acting_user(), region_code))
    from_period, to_period = _periods(from_period, to_period)
    detail = run_service(lambda: books.statement(app_sessions(), region_code, Fund(fund), institution,
                                                 from_period, to_period))
    click.echo(f"对账单　{detail.book}　{detail.account_code} {detail.account_name}　机构 {institution}　{from_period} 至 {to_period}")
    rows = [["", "", "期初余额", "", "", _signed(detail.opening)]]
    rows += [[m.entry_date.isoformat(), m.voucher, m.summary, fmt_yuan_cn(m.debit) if m.debit else "",
              fmt_yuan_cn(m.credit) if m.credit else "", _signed(m.balance)] for m in detail.movements]
    rows += [["", "", "本期合计", fmt_yuan_cn(detail.debit), fmt_yuan_cn(detail.credit), _signed(detail.closing)]]
    click.echo(render(["日期", "凭证号", "摘要", "借方", "贷方", "余额"], rows, right=[3, 4, 5]))
    if xlsx_path:
        write_file(xlsx_path, xlsx.account_detail_xlsx(detail))
        click.echo(f"已导出 {xlsx_path}")


@ledger.command(help="明细账：某一科目（可限定机构）的期初、每笔发生与期末")
@_book_options
@click.option("--account", required=True, type=click.Choice([r.value for r in Role]), help="科目用途，如 advance")
@click.option("--institution", default=None, type=CODE, help="只看某一机构的明细")
@_period_options
@_xlsx_option
@with_appcontext
def detail(region_code, fund, account, institution, from_period, to_period, xlsx_path) -> None:
    run_service(lambda: access.check_region(app_sessions(), acting_user(), region_code))
    from_period, to_period = _periods(from_period, to_period)
    d = run_service(lambda: books.account_detail(app_sessions(), region_code, Fund(fund), Role(account),
                                                 from_period, to_period, institution))
    click.echo(f"明细账　{d.book}　{d.account_code} {d.account_name}　{from_period} 至 {to_period}")
    rows = [["", "", "期初余额", "", "", "", _signed(d.opening)]]
    rows += [[m.entry_date.isoformat(), m.voucher, m.summary, m.party or "", fmt_yuan_cn(m.debit) if m.debit else "",
              fmt_yuan_cn(m.credit) if m.credit else "", _signed(m.balance)] for m in d.movements]
    rows += [["", "", "本期合计", "", fmt_yuan_cn(d.debit), fmt_yuan_cn(d.credit), _signed(d.closing)]]
    click.echo(render(["日期", "凭证号", "摘要", "机构", "借方", "贷方", "余额"], rows, right=[4, 5, 6]))
    if xlsx_path:
        write_file(xlsx_path, xlsx.account_detail_xlsx(d))
        click.echo(f"已导出 {xlsx_path}")


@ledger.command(help="核销预付金备查簿（法律文书与批准文号）")
@_book_options
@_xlsx_option
@with_appcontext
def writeoffs(region_code, fund, xlsx_path) -> None:
    run_service(lambda: access.check_region(app_sessions(), acting_user(), region_code))
    register = run_service(lambda: books.writeoffs(app_sessions(), region_code, Fund(fund)))
    name, rows = register.book, register.rows
    click.echo(f"核销预付金备查簿　{name}")
    click.echo(render(["凭证号", "日期", "机构", "金额", "法律文书", "批准文号", "冲销凭证", "核销后收回"],
                      [[r.voucher, r.entry_date.isoformat(), r.party, fmt_yuan_cn(r.amount), r.court_document_ref,
                        r.approval_ref, r.reversed_by or "", fmt_yuan_cn(r.recovered_later)] for r in rows],
                      right=[3, 7]))
    if xlsx_path:
        write_file(xlsx_path, xlsx.writeoff_register_xlsx(name, rows))
        click.echo(f"已导出 {xlsx_path}")


@ledger.command("close-period", help="结账：该期间及以前不能再记账")
@_book_options
@click.option("--period", required=True, type=PERIOD, help="结账期间 YYYY-MM")
@with_appcontext
def close_period(region_code, fund, period) -> None:
    run_service(lambda: close(app_sessions(), region_code, Fund(fund), period, acting_user()))
    click.echo(f"已结账至 {period}。")


@ledger.command("reopen-period", help="反结账：只能撤销最近一次结账，须说明原因")
@_book_options
@click.option("--reason", required=True, type=TEXT, help="反结账原因")
@with_appcontext
def reopen_period(region_code, fund, reason) -> None:
    period = run_service(lambda: reopen(app_sessions(), region_code, Fund(fund), acting_user(), reason))
    click.echo(f"已撤销 {period} 的结账（原因：{reason}）。")


@ledger.command(help="重新校验全部账簿的不变量，并核对每家机构的预付金不超过其担保（每晚运行）；发现问题时以非零状态退出")
@click.option("--jobs", type=CountType(1, 256), default=os.cpu_count() or 1, show_default="本机 CPU 核数",
              help="重算哈希链的进程数（链长十万环以上时按账套和区段分给各进程）")
@with_appcontext
def verify(jobs) -> None:
    breaches = run_service(lambda: books.audit(app_sessions(), jobs=jobs))
    for b in breaches:
        click.echo(f"[{b.code}] {b.message}", err=True)
    if breaches:
        click.echo(f"发现 {len(breaches)} 处问题。", err=True)
        raise SystemExit(1)
    click.echo("账簿校验通过：借贷平衡、凭证连续、只增不改、哈希链完整、余额无负数，"
               "各机构子账与拨付、结算、收回、核销记录一致，预付金均在担保额度内。")


@ledger.command(help="打印各账套每个会计期间末的哈希链锚点（交审计在数据库之外留存，日后据以核对历史未被改写）")
@with_appcontext
def anchors() -> None:
    rows = books.anchors(app_sessions())
    click.echo(render(["账套", "期间", "凭证数", "链头（SHA-256）"],
                      [[a.book, a.period, str(a.entries), a.head] for a in rows], right=[2]))


def _signed(balance) -> str:
    return f"{reports.side(balance)} {fmt_yuan_cn(abs(balance))}"
