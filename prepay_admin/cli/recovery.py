"""``prepay-admin settlement`` and ``prepay-admin recovery``: the return path from the terminal (17§, 20§, 21§)."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import click
from flask.cli import with_appcontext

from .. import clock
from ..exports import receivables_xlsx, settlement_run_xlsx
from ..policy.accounts import DEFAULT_DEPOSIT_ACCOUNT, DEPOSIT_ACCOUNTS
from ..policy.facts import Fund
from ..policy.money import fmt_yuan_cn
from ..policy.reasons import FUND_CN
from ..policy.recovery import CASE_CN, COURT_ROUTES, TRIGGER_CN, Method, PresettlementCase, TriggerKind
from ..queries import access
from ..queries import receivables as views
from ..services import presettlement as presettlements
from ..services import receivables, settlement, triggers, year_end
from ..tables import render
from .common import (
    CODE,
    DATE,
    ID,
    MONEY,
    PERIOD,
    YEAR,
    TextType,
    acting_user,
    app_sessions,
    business_date,
    run_service,
    write_file,
)

region_opt = click.option("--region", "region_code", required=True, type=CODE, help="统筹地区编码")
date_opt = click.option("--date", "day", type=DATE, help="业务日期 YYYY-MM-DD，默认今天（北京时间）")
receivable_opt = click.option("--receivable", "receivable_id", required=True, type=ID, help="应收回记录编号")
FUNDS = click.Choice([f.value for f in Fund])


def _month(value: str) -> dt.date:
    return dt.date(int(value[:4]), int(value[5:]), 1)


@click.group("settlement", help="月度结算：扣回预付金、生成银行支付清单（财务管理部门）")
def settlement_() -> None:
    pass


@settlement_.command("clearing", help="办理某年度某险种的年度清算（须先导入年度清算数据）：与月度结算一样先扣回所欠预付金")
@region_opt
@click.option("--year", required=True, type=YEAR, help="清算年度")
@click.option("--fund", required=True, type=FUNDS, help="险种")
@date_opt
@click.option("--xlsx", "xlsx_path", type=click.Path(dir_okay=False, path_type=Path), help="同时导出银行支付清单")
@with_appcontext
def clearing(region_code, year, fund, day, xlsx_path) -> None:
    user = acting_user()
    done = run_service(lambda: settlement.run_clearing(app_sessions(), region_code, year, Fund(fund), user,
                                                       business_date(day)))
    _report_run(done, xlsx_path)


@settlement_.command("run", help="办理某月某险种的月度结算（须先导入该月结算数据；重复办理不会重复记账）")
@region_opt
@click.option("--month", required=True, type=PERIOD, help="结算年月 YYYY-MM")
@click.option("--fund", required=True, type=FUNDS, help="险种")
@date_opt
@click.option("--xlsx", "xlsx_path", type=click.Path(dir_okay=False, path_type=Path), help="同时导出银行支付清单")
@with_appcontext
def run(region_code, month, fund, day, xlsx_path) -> None:
    user = acting_user()
    done = run_service(lambda: settlement.run_month(app_sessions(), region_code, _month(month), Fund(fund), user,
                                                    business_date(day)))
    _report_run(done, xlsx_path)


def _report_run(done: settlement.RunResult, xlsx_path: Path | None) -> None:
    """What a month's run or a year's clearing did, and its payment list if asked for."""
    head = "已办理过，未重复记账" if done.replayed else "已办理"
    click.echo(f"{done.label}{head}：{FUND_CN[done.fund]}，{done.institutions} 家机构")
    click.echo(f"  结算金额 {fmt_yuan_cn(done.payable)}，扣回预付金 {fmt_yuan_cn(done.withheld)}，"
               f"暂停拨付 {fmt_yuan_cn(done.held)}，补付 {fmt_yuan_cn(done.released)}，实付 {fmt_yuan_cn(done.net)}")
    if xlsx_path:
        _write_payment_list(done.run_id, xlsx_path)


def _write_payment_list(run_id: int, path: Path) -> None:
    sheet = run_service(lambda: views.settlement_run(app_sessions(), run_id, size=0, payments_only=True))
    write_file(path, settlement_run_xlsx(sheet))
    click.echo(f"已导出银行支付清单 {path}（{sheet.count} 笔，合计 {fmt_yuan_cn(sheet.run.net)}，"
               f"与账簿{'一致' if sheet.ties else '不一致'}）")


@settlement_.command("list", help="列出本地区已办理的月度结算")
@region_opt
@with_appcontext
def list_(region_code) -> None:
    run_service(lambda: access.check_region(app_sessions(), acting_user(), region_code))
    runs = run_service(lambda: views.settlement_runs(app_sessions(), region_code))
    click.echo(render(["编号", "结算年月", "险种", "结算日期", "机构数", "结算金额", "扣回", "实付"],
                      [[str(r.id), r.label, FUND_CN[Fund(r.fund)], r.settled_on.isoformat(), str(r.institutions),
                        fmt_yuan_cn(r.payable), fmt_yuan_cn(r.withheld), fmt_yuan_cn(r.net)] for r in runs],
                      right=[4, 5, 6, 7]))


@settlement_.command("payments", help="导出某次月度结算的银行支付清单（.xlsx）")
@click.option("--run", "run_id", required=True, type=ID, help="月度结算编号（见 settlement list）")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="输出文件")
@with_appcontext
def payments(run_id, out) -> None:
    user = acting_user()
    sheet = run_service(lambda: views.settlement_run(app_sessions(), run_id, size=1))
    run_service(lambda: access.check_region(app_sessions(), user, sheet.region_code))
    _write_payment_list(run_id, out)


@click.group(help="预付金收回：年终处理、触发收回、催收、交回、承继、诉讼与核销")
def recovery() -> None:
    pass


@recovery.command("year-end", help="年终处理：滚动结算（多退少补）、清算或年度收回，按政策参数方案（财务管理部门）")
@region_opt
@click.option("--year", required=True, type=YEAR, help="到期的预付年度")
@date_opt
@with_appcontext
def year_end_(region_code, year, day) -> None:
    user = acting_user()
    for fund in run_service(lambda: views.december_settled_of(app_sessions(), region_code, year)):  # said before
        click.echo(f"注意：{FUND_CN[Fund(fund)]} {year} 年 12 月已结算，本次年终处理形成的应收回从下一次月度结算起扣回"
                   f"（17§）", err=True)
    done = run_service(lambda: year_end.close_year(app_sessions(), region_code, year, user, business_date(day)))
    names = {"top_up": "少补（由新年度批次拨付差额）", "repay_difference": "多退", "clear": "清算收回",
             "recover": "年度收回", "nothing": "无需处理", "undecided": "签约期未满，待定"}
    if done.already_done:
        click.echo(f"{year} 年度预付金年终处理已于此前办结，本次未作任何变更。")
        return
    click.echo(f"{year} 年度预付金年终处理（{'滚动结算' if done.mode == 'rollover' else '年度收回'}）：")
    for outcome, n in sorted(done.outcomes.items()):
        click.echo(f"  {names.get(outcome, outcome)}：{n} 笔")
    click.echo(f"  新增应收回 {fmt_yuan_cn(done.owed)}")
    if done.undecided:
        click.echo(f"  待定机构：{'、'.join(done.undecided)}（签约期满后再次办理）")


@recovery.command("trigger", help="登记收回情形及依据（稽核部门）：停止未拨付的预付金，全部预付金转为应收回")
@region_opt
@click.option("--institution", required=True, type=CODE, help="机构编码")
@click.option("--kind", required=True, type=click.Choice([k.value for k in TriggerKind]),
              help="；".join(f"{k.value}={v}" for k, v in TRIGGER_CN.items()))
@click.option("--evidence", required=True, type=TextType(500), help="依据文书或证据")
@click.option("--decision", "decision_ref", default="", help="处理决定文号（欺诈取得资格时必填：三年内不得申请）")
@click.option("--decided-on", type=DATE, default=None, help="取消预付资格决定的日期 YYYY-MM-DD（欺诈时必填，三年自该日起算）")
@date_opt
@with_appcontext
def trigger(region_code, institution, kind, evidence, decision_ref, decided_on, day) -> None:
    user = acting_user()
    done = run_service(lambda: triggers.record_trigger(app_sessions(), region_code, institution, TriggerKind(kind),
                                                       business_date(day), evidence, user, decision_ref, decided_on))
    click.echo(f"已登记 {done.institution_code} 的收回情形（编号 {done.trigger_id}）："
               f"停止拨付 {done.stopped} 项，作废拨付指令 {done.voided} 笔")
    for fund, amount in done.owed.items():
        click.echo(f"  {FUND_CN[Fund(fund)]}应收回 {fmt_yuan_cn(amount)}")
    if done.barred_until:
        click.echo(f"  三年内不得申请预付金，至 {done.barred_until}（21§(六)）")


@recovery.command("list", help="应收回预付金：逐笔列出欠款、账龄与逾期情况，可导出 .xlsx")
@region_opt
@click.option("--status", type=click.Choice(views.STATUS), default=views.OWING, show_default=True)
@click.option("--overdue", is_flag=True, help="只列逾期未交回的")
@click.option("--xlsx", "xlsx_path", type=click.Path(dir_okay=False, path_type=Path), help="导出 .xlsx")
@with_appcontext
def list_receivables(region_code, status, overdue, xlsx_path) -> None:
    run_service(lambda: access.check_region(app_sessions(), acting_user(), region_code))
    page = run_service(lambda: views.receivables(app_sessions(), region_code, clock.today(), status=status,
                                                 overdue_only=overdue, size=0))
    click.echo(render(["编号", "机构", "险种", "途径", "发生日", "应收回", "已收回", "核销", "尚欠", "状态", "逾期天数"],
                      [[str(r.id), f"{r.code} {r.name}", FUND_CN[Fund(r.fund)], r.route_cn, r.since.isoformat(),
                        fmt_yuan_cn(r.amount), fmt_yuan_cn(r.recovered), fmt_yuan_cn(r.written_off),
                        fmt_yuan_cn(r.outstanding), r.state_cn, str(r.overdue_days or "")] for r in page.rows],
                      right=[5, 6, 7, 8, 10]))
    for tie in page.ties:
        click.echo(f"{FUND_CN[Fund(tie.fund)]}：暂付款余额 {fmt_yuan_cn(tie.advance_balance)}，其中应收回 "
                   f"{fmt_yuan_cn(tie.owed)}，{'与账簿相符' if tie.over_claimed == 0 else f'{tie.over_claimed} 家欠款超过余额'}")
    if xlsx_path:
        write_file(xlsx_path, receivables_xlsx(region_code, page))
        click.echo(f"已导出 {xlsx_path}")


@recovery.command("method", help="选择年终差额的收回方式：offset 冲抵结算款 / refund 机构交回（财务管理部门）")
@receivable_opt
@click.option("--method", required=True, type=click.Choice([m.value for m in Method]))
@click.option("--reason", default="", help="说明")
@with_appcontext
def method(receivable_id, method, reason) -> None:
    user = acting_user()
    run_service(lambda: receivables.choose_method(app_sessions(), receivable_id, Method(method), user, reason))
    click.echo(f"应收回 {receivable_id} 的收回方式已设为 {method}")


@recovery.command("demand", help="发出催收通知：限期（工作日）内交回尚欠的预付金（20§(二)1）")
@receivable_opt
@date_opt
@with_appcontext
def demand(receivable_id, day) -> None:
    user = acting_user()
    done = run_service(lambda: receivables.demand(app_sessions(), receivable_id, business_date(day), user))
    note = "（期限跨入节假日安排未公布的年度，暂按周一至周五计算）" if done.provisional else ""
    click.echo(f"已发出催收通知 {done.demand_ref}：尚欠 {fmt_yuan_cn(done.outstanding)}，须于 {done.due_on} 前交回{note}")


@recovery.command("refund", help="登记机构交回的预付金（记账：借 支出户存款 / 贷 暂付款—医保预付金）")
@receivable_opt
@click.option("--amount", required=True, type=MONEY, help="交回金额（元）")
@click.option("--bank-ref", required=True, type=TextType(100), help="银行交易流水号")
@click.option("--into", "paid_into", type=click.Choice(list(DEPOSIT_ACCOUNTS)), default=DEFAULT_DEPOSIT_ACCOUNT, show_default=True)
@date_opt
@with_appcontext
def refund(receivable_id, amount, bank_ref, paid_into, day) -> None:
    user = acting_user()
    done = run_service(lambda: receivables.record_refund(app_sessions(), receivable_id, amount, business_date(day),
                                                         bank_ref, user, DEPOSIT_ACCOUNTS[paid_into]))
    head = "该笔交回已登记过" if done.replayed else "已登记交回"
    click.echo(f"{head} {fmt_yuan_cn(done.amount)}，尚欠 {fmt_yuan_cn(done.outstanding)}")


@recovery.command("successor", help="转由承继方承担（合并、分立、产权变更）")
@receivable_opt
@click.option("--successor", required=True, type=CODE, help="承继方机构编码")
@click.option("--document", "document_ref", required=True, type=TextType(100), help="承继依据文书")
@date_opt
@with_appcontext
def successor(receivable_id, successor, document_ref, day) -> None:
    user = acting_user()
    done = run_service(lambda: receivables.transfer_to_successor(app_sessions(), receivable_id, successor,
                                                                 document_ref, business_date(day), user))
    if done.applied:
        click.echo(f"先以暂停拨付的结算款抵扣 {fmt_yuan_cn(done.applied)}（冀 五）")
    if done.successor_receivable_id is None:
        click.echo("已全部抵扣，无须转由承继方承担")
    else:
        click.echo(f"已转由 {done.successor_code} 承担 {fmt_yuan_cn(done.amount)}（应收回 {done.successor_receivable_id}）")


@recovery.command("court", help="逾期未交回：" + "或".join(f"{v}（{k}）" for k, v in COURT_ROUTES.items()))
@receivable_opt
@click.option("--route", required=True, type=click.Choice(list(COURT_ROUTES)))
@click.option("--case", "case_ref", required=True, type=TextType(100), help="案号")
@click.option("--court", required=True, type=TextType(100), help="受理法院")
@click.option("--documents", required=True, type=TextType(2000), help="案件文书（起诉状、证据清单等）")
@date_opt
@with_appcontext
def court(receivable_id, route, case_ref, court, documents, day) -> None:
    user = acting_user()
    run_service(lambda: receivables.take_to_court(app_sessions(), receivable_id, route, case_ref, court,
                                                  business_date(day), documents, user))
    click.echo(f"已登记 {court} {case_ref}")


@recovery.command("write-off", help="核销（须法院出具的法律文书和人民政府批准文号，二者缺一不可）")
@receivable_opt
@click.option("--court-document", "court_document_ref", required=True, type=TextType(200), help="法院出具的法律文书")
@click.option("--approval", "approval_ref", required=True, type=TextType(200), help="人民政府批准文号")
@date_opt
@with_appcontext
def write_off(receivable_id, court_document_ref, approval_ref, day) -> None:
    user = acting_user()
    done = run_service(lambda: receivables.write_off(app_sessions(), receivable_id, court_document_ref, approval_ref,
                                                     business_date(day), user))
    click.echo(f"已核销 {fmt_yuan_cn(done.amount)}，记入核销预付金备查簿")


@recovery.command("after-write-off", help="登记核销后又收回的款项（记入备查簿）")
@receivable_opt
@click.option("--amount", required=True, type=MONEY, help="收回金额（元）")
@click.option("--bank-ref", required=True, type=TextType(100), help="银行交易流水号")
@date_opt
@with_appcontext
def after_write_off(receivable_id, amount, bank_ref, day) -> None:
    user = acting_user()
    done = run_service(lambda: receivables.recover_after_write_off(app_sessions(), receivable_id, amount,
                                                                   business_date(day), bank_ref, user))
    click.echo(f"{'该笔已登记过' if done.replayed else '已登记核销后收回'} {fmt_yuan_cn(done.amount)}")


@click.group(help="月度预结金（26§）：登记、逐级签字、拨付；结算时自动扣回")
def presettlement() -> None:
    pass


@presettlement.command("propose", help="登记月度预结金（基金结算部门）")
@region_opt
@click.option("--institution", required=True, type=CODE, help="机构编码（定点医疗机构或定点零售药店）")
@click.option("--fund", required=True, type=FUNDS, help="险种")
@click.option("--month", required=True, type=PERIOD, help="预结的结算年月 YYYY-MM")
@click.option("--case", "case", required=True, type=click.Choice([c.value for c in PresettlementCase]),
              help="；".join(f"{c.value}={t}" for c, t in CASE_CN.items()))
@click.option("--incurred", required=True, type=MONEY, help="基金实际发生金额（元）")
@click.option("--amount", required=True, type=MONEY, help="预结金额（元）")
@click.option("--budget-left", type=MONEY, default=None, help="总额指标余额（第一款必填）")
@click.option("--application", "application_ref", default="", help="机构书面申请文号（第二款必填）")
@click.option("--reason", default="", help="说明")
@with_appcontext
def propose(region_code, institution, fund, month, case, incurred, amount, budget_left, application_ref,
            reason) -> None:
    user = acting_user()
    done = run_service(lambda: presettlements.propose(
        app_sessions(), region_code, institution, Fund(fund), _month(month), PresettlementCase(case), incurred,
        amount, user, budget_left=budget_left, application_ref=application_ref, reason=reason))
    click.echo(f"已登记月度预结金 {done.presettlement_id}（上限 {fmt_yuan_cn(done.limit)}），"
               f"须经：{' → '.join(done.levels)}")


@presettlement.command("sign", help="在本环节签字（须核对摘要：内容变更后签字无效）")
@click.option("--id", "presettlement_id", required=True, type=ID)
@click.option("--hash", "seen_hash", required=True, help="所审阅内容的摘要（见 presettlement show）")
@click.option("--comment", default="", help="意见")
@with_appcontext
def sign(presettlement_id, seen_hash, comment) -> None:
    user = acting_user()
    title = run_service(lambda: presettlements.sign_off(app_sessions(), presettlement_id, user, comment, seen_hash))
    click.echo(f"已签字：{title}")


@presettlement.command("reject", help="退回（本环节）")
@click.option("--id", "presettlement_id", required=True, type=ID)
@click.option("--reason", required=True, type=TextType(500))
@with_appcontext
def reject(presettlement_id, reason) -> None:
    user = acting_user()
    run_service(lambda: presettlements.reject(app_sessions(), presettlement_id, user, reason))
    click.echo(f"已退回月度预结金 {presettlement_id}")


@presettlement.command("pay", help="确认拨付（财务管理部门）：记账，并在此后的月度结算中扣回")
@click.option("--id", "presettlement_id", required=True, type=ID)
@click.option("--bank-ref", required=True, type=TextType(100), help="银行交易流水号")
@click.option("--from", "paid_from", type=click.Choice(list(DEPOSIT_ACCOUNTS)), default=DEFAULT_DEPOSIT_ACCOUNT, show_default=True)
@date_opt
@with_appcontext
def pay(presettlement_id, bank_ref, paid_from, day) -> None:
    user = acting_user()
    done = run_service(lambda: presettlements.pay(app_sessions(), presettlement_id, bank_ref, business_date(day), user,
                                                  DEPOSIT_ACCOUNTS[paid_from]))
    click.echo(f"{'已拨付过' if done.replayed else '已拨付'}，待扣回记录 {done.receivable_id}")


@presettlement.command("show", help="查看一笔月度预结金及其签字摘要")
@click.option("--id", "presettlement_id", required=True, type=ID)
@with_appcontext
def show(presettlement_id) -> None:
    user = acting_user()
    d = run_service(lambda: views.presettlement_detail(app_sessions(), presettlement_id))
    run_service(lambda: access.check_region(app_sessions(), user, d.region_code))
    line = d.line
    click.echo(f"月度预结金 {line.id}：{line.code} {line.name} {FUND_CN[Fund(line.fund)]} {line.month:%Y-%m}")
    click.echo(f"  {line.case_cn}；预结 {fmt_yuan_cn(line.amount)}（{d.limit_note}）")
    click.echo(f"  状态：{line.state_cn}；待签：{line.next_level or '无'}；摘要：{d.hash}")
    for s in d.sign_offs:
        click.echo(f"  {s.level} {s.signer} {s.comment}")
