"""``prepay-admin cycle``: the annual cycle from the terminal, each step with a Chinese summary."""
from __future__ import annotations

import io
import json
from pathlib import Path

import click
from flask.cli import with_appcontext

from ..intake.kinds import PAYMENT_RETURN
from ..intake.writing import data_csv, data_xlsx
from ..policy.accounts import DEFAULT_DEPOSIT_ACCOUNT, DEPOSIT_ACCOUNTS, DEPOSIT_ACCOUNTS_TEXT
from ..policy.facts import SecurityKind
from ..policy.money import fmt_yuan_cn
from ..policy.reasons import FUND_CN
from ..queries import access
from ..queries import cycle as views
from ..services import applications, determination, payment, payment_return, signing
from ..services import batch as batches
from ..services.campaign import open_campaign
from ..tables import render
from .common import (
    CODE,
    DATE,
    ID,
    MONEY,
    TEXT,
    YEAR,
    CountType,
    acting_user,
    app_sessions,
    business_date,
    fail,
    read_json_file,
    run_service,
    write_file,
)

region_opt = click.option("--region", "region_code", required=True, type=CODE, help="统筹地区编码")
year_opt = click.option("--year", required=True, type=YEAR, help="预付年度")
inst_opt = click.option("--institution", required=True, type=CODE, help="定点医疗机构编码")
date_opt = click.option("--date", "day", type=DATE, help="业务日期 YYYY-MM-DD，默认今天（北京时间）")
batch_opt = click.option("--batch", "batch_id", required=True, type=ID, help="拨付批次号")


@click.group(help="年度预付：申请、核定、签约、审核、拨付（以 prepay-admin login 登录的用户身份办理）")
def cycle() -> None:
    pass


@cycle.command("open", help="开启年度预付并测算基金可支付月数（财务管理部门）；按统筹地区方案的最新版本，"
                            "或 --profile-version 指定的版本，全年度沿用")
@region_opt
@year_opt
@click.option("--profile-version", type=CountType(1, 9999), help="政策参数方案的版本（默认最新；policy list 可查）")
@with_appcontext
def open_(region_code, year, profile_version) -> None:
    user = acting_user()
    opened = run_service(lambda: open_campaign(app_sessions(), region_code, year, user, profile_version))
    click.echo(f"已开启 {year} 年度预付（政策参数方案 {opened.profile} 第 {opened.profile_version} 版，"
               f"SHA-256 {opened.profile_sha256[:12]}…）。基金可支付月数：")
    for g in opened.gates:
        verdict = "可以预付" if g.open else "不予预付：" + "；".join(g.reasons)
        click.echo(f"  {FUND_CN[g.fund]}：{g.payable_months} 个月，{verdict}")


@cycle.command(help="打印申请表自查项目的 JSON 模板（填好后用于 cycle apply --answers）")
def form() -> None:
    template = {key: f"<{question}>" for key, question in applications.SELF_CHECK_QUESTIONS.items()}
    template.update(commitment="<true：承诺对所提交资料的真实性负责>", signed_by="<医院负责人>")
    click.echo(json.dumps(template, ensure_ascii=False, indent=2))


@cycle.command(help="登记机构的预付金申请（附申请表自查情况）")
@region_opt
@year_opt
@inst_opt
@click.option("--answers", "answers_path", required=True, help="自查情况 JSON 文件（见 cycle form；- 为标准输入）")
@date_opt
@with_appcontext
def apply(region_code, year, institution, answers_path, day) -> None:
    user = acting_user()
    data = read_json_file(answers_path, "answers")
    run_service(lambda: applications.apply(app_sessions(), region_code, year, institution, data,
                                           business_date(day), user))
    click.echo(f"已受理 {institution} 的 {year} 年度预付金申请。")


@cycle.command(help="按申请测算核定（名单确定前可重复运行）")
@region_opt
@year_opt
@with_appcontext
def determine(region_code, year) -> None:
    user = acting_user()
    def progress(done: int, total: int) -> None:
        click.echo(f"  已核定 {done}/{total}", err=True)

    result = run_service(lambda: determination.determine(app_sessions(), region_code, year, user, progress))
    click.echo(f"第 {result.run} 次测算：{result.determined} 家机构，符合条件 {result.eligible} 家"
               f"（其中待办理担保 {result.security_pending} 家），预付金额合计 {fmt_yuan_cn(result.total)} 元。")


@cycle.command("fix-list", help="确定预付名单，开始签约期（基金结算部门）")
@region_opt
@year_opt
@date_opt
@with_appcontext
def fix_list(region_code, year, day) -> None:
    user = acting_user()
    fixed = run_service(lambda: determination.fix_list(app_sessions(), region_code, year, user, business_date(day)))
    note = "（暂定：该年度节假日安排尚未载入）" if fixed.provisional else ""
    click.echo(f"名单已确定，列入 {fixed.listed} 家。担保、抵押手续和预付协议须于 {fixed.signing_working_days} 个工作日内、"
               f"{fixed.signing_deadline}{note} 前完成，逾期视作放弃。")


@cycle.command("register-security", help="登记担保、抵押（两项基金合计按其额度限额）")
@region_opt
@year_opt
@inst_opt
@click.option("--kind", type=click.Choice([k.value for k in SecurityKind]), required=True)
@click.option("--value", required=True, type=MONEY, help="担保、抵押金额（元）")
@click.option("--ref", "registration_ref", required=True, type=TEXT, help="抵押登记或担保函编号")
@click.option("--valid-until", type=DATE, help="有效期截止日，默认协议期满（资格期末）")
@date_opt
@with_appcontext
def register_security(region_code, year, institution, kind, value, registration_ref, valid_until, day) -> None:
    user = acting_user()
    done = run_service(lambda: signing.register_security(
        app_sessions(), region_code, year, institution, SecurityKind(kind), value, registration_ref, business_date(day), user,
        valid_until))
    parts = [f"{FUND_CN[a.fund]} {fmt_yuan_cn(a.final)} 元" for a in done.amounts]
    click.echo(f"已登记 {institution} 的担保、抵押 {fmt_yuan_cn(done.value)} 元（有效期 {done.valid_from} 至 "
               f"{done.valid_until}）。核定预付：{'；'.join(parts)}。")


@cycle.command("renew-security", help="协议期内续办或替换担保、抵押（须覆盖已持有的预付金）")
@region_opt
@inst_opt
@click.option("--kind", type=click.Choice([k.value for k in SecurityKind]), required=True)
@click.option("--value", required=True, type=MONEY, help="担保、抵押金额（元）")
@click.option("--ref", "registration_ref", required=True, type=TEXT, help="抵押登记或担保函编号")
@click.option("--valid-from", required=True, type=DATE)
@click.option("--valid-until", required=True, type=DATE)
@with_appcontext
def renew_security(region_code, institution, kind, value, registration_ref, valid_from, valid_until) -> None:
    user = acting_user()
    done = run_service(lambda: signing.renew_security(app_sessions(), region_code, institution, SecurityKind(kind),
                                                      value, registration_ref, valid_from, valid_until, user))
    click.echo(f"已登记 {institution} 的担保、抵押 {fmt_yuan_cn(done.value)} 元，有效期 {done.valid_from} 至 {done.valid_until}。")


@cycle.command(help="签订预付协议（有效期内的协议覆盖本年度）")
@region_opt
@year_opt
@inst_opt
@date_opt
@with_appcontext
def sign(region_code, year, institution, day) -> None:
    user = acting_user()
    signed = run_service(lambda: signing.sign(app_sessions(), region_code, year, institution, business_date(day), user))
    click.echo(f"{institution} 已签约：协议 {signed.agreement_no}，{signed.first_year}—{signed.last_year} 年度有效。")


@cycle.command("sign-many", help="批量办理签约期业务（基金结算部门）：为多家机构登记同一份信用担保函（额度为各机构核定预付金额，合计不超过担保总额）"
                                  "并/或签订预付协议，一步办理、逐家记录；任一家不符合条件则全部不办理并逐家列明原因")
@region_opt
@year_opt
@click.option("--institution", "codes", multiple=True, type=CODE, help="机构编码（可重复）")
@click.option("--all", "everyone", is_flag=True, help="名单内尚待办理的全部机构（可用 --search 缩小）")
@click.option("--search", type=TEXT, help="与 --all 一起：机构编码或名称包含的文字")
@click.option("--guarantee", "registration_ref", type=TEXT, help="登记信用担保时：担保函编号（资产抵押须逐家登记）")
@click.option("--covered", type=MONEY, help="与 --guarantee 一起：担保函载明的担保总额（元）")
@click.option("--sign/--no-sign", default=True, show_default=True, help="是否签订预付协议")
@date_opt
@with_appcontext
def sign_many(region_code, year, codes, everyone, search, registration_ref, covered, sign, day) -> None:
    user = acting_user()
    if bool(codes) == everyone:
        fail("--institution: 请列出机构编码，或用 --all 办理名单内全部待办机构（二者选一）")
    if (registration_ref is None) != (covered is None):
        fail("--covered: 登记信用担保须同时给出 --guarantee 与 --covered")
    security = (SecurityKind.CREDIT_GUARANTEE, registration_ref) if registration_ref else None
    run_service(lambda: access.check_region(app_sessions(), user, region_code))  # before anything of it is read
    if everyone:
        states = ("listed",) if security else ("listed", "secured")
        codes = run_service(lambda: views.window_codes(app_sessions(), region_code, year, states, search))
    done = run_service(lambda: signing.register_and_sign(app_sessions(), region_code, year, list(codes),
                                                         business_date(day), user, security=security, sign=sign,
                                                         covered=covered))
    click.echo(f"已办理 {len(set(done.secured) | set(done.signed))} 家机构：登记担保 {len(done.secured)} 家，"
               f"签订协议 {len(done.signed)} 家（新签 {done.agreements} 份，其余由有效期内的协议覆盖）。")


@cycle.command(help="编制拨付批次（之后用 cycle submit --batch 提交）")
@region_opt
@year_opt
@with_appcontext
def prepare(region_code, year) -> None:
    user = acting_user()
    batch_id = run_service(lambda: batches.prepare(app_sessions(), region_code, year, user))
    _show_batch(batch_id)
    click.echo(f"已编制批次 {batch_id}。核对无误后提交：cycle submit --batch {batch_id} --hash <批次摘要>")


def _sign_off_options(default_comment: str):
    """A sign-off names the batch and the hash of the batch the signer saw (24§(五))."""
    def wrap(f):
        f = click.option("--comment", default=default_comment, type=TEXT, help="意见")(f)
        f = click.option("--hash", "seen_hash", required=True,
                         help="所审阅批次的摘要（cycle show-batch 显示；与当前不符则拒绝）")(f)
        return batch_opt(f)
    return wrap


@cycle.command(help="提交批次（第一级签字），须写明所核对批次的摘要")
@_sign_off_options("名单及额度经核定无误，提请审核")
@with_appcontext
def submit(batch_id, seen_hash, comment) -> None:
    user = acting_user()
    signed = run_service(lambda: batches.sign_off(app_sessions(), batch_id, user, comment, seen_hash))
    click.echo(f"批次 {batch_id} 已提交（批次摘要 {signed.batch_hash}）。")


@cycle.command("show-batch", help="显示批次明细与摘要（签字时须写明摘要）")
@batch_opt
@with_appcontext
def show_batch(batch_id) -> None:
    run_service(lambda: access.check_batch(app_sessions(), acting_user(), batch_id))
    _show_batch(batch_id)


@cycle.command(help="审核环节签字：内审、医保行政部门、财政部门依次确认，须写明所审阅批次的摘要")
@_sign_off_options("同意")
@with_appcontext
def approve(batch_id, seen_hash, comment) -> None:
    user = acting_user()
    signed = run_service(lambda: batches.sign_off(app_sessions(), batch_id, user, comment, seen_hash))
    click.echo(f"批次 {batch_id}：{signed.title}已签字。")


@cycle.command(help="退回批次（须说明原因），已有签字作废")
@batch_opt
@click.option("--reason", required=True, type=TEXT)
@with_appcontext
def reject(batch_id, reason) -> None:
    user = acting_user()
    run_service(lambda: batches.reject(app_sessions(), batch_id, user, reason))
    click.echo(f"批次 {batch_id} 已退回：{reason}")


@cycle.command(help="从批次中移出机构（批次变更，已有签字作废）")
@batch_opt
@inst_opt
@click.option("--reason", required=True, type=TEXT)
@with_appcontext
def remove(batch_id, institution, reason) -> None:
    user = acting_user()
    run_service(lambda: batches.remove_item(app_sessions(), batch_id, institution, user, reason))
    click.echo(f"已从批次 {batch_id} 移出 {institution}，须重新提交审核。")


@cycle.command(help="各级审核完成后生成拨付指令（财务管理部门）")
@batch_opt
@date_opt
@with_appcontext
def pay(batch_id, day) -> None:
    user = acting_user()
    ids = run_service(lambda: payment.issue(app_sessions(), batch_id, user, business_date(day)))
    _show_instructions(batch_id)
    click.echo(f"已生成拨付指令 {len(ids)} 笔：导出交银行代发（cycle payment-sheet），到账后按回单批量确认（cycle confirm-return）或逐笔确认（cycle confirm）。")


@cycle.command(help="确认拨付到账：记账 借 暂付款—医保预付金 / 贷 付款账户（重复确认只记一次）")
@click.option("--instruction", "instruction_id", required=True, type=ID)
@click.option("--bank-ref", required=True, type=TEXT, help="银行交易流水号（同一付款账户内唯一）")
@click.option("--paid-from", type=click.Choice(list(DEPOSIT_ACCOUNTS)), default=DEFAULT_DEPOSIT_ACCOUNT, show_default=True,
              help=f"付款账户：{DEPOSIT_ACCOUNTS_TEXT}")
@date_opt
@with_appcontext
def confirm(instruction_id, bank_ref, paid_from, day) -> None:
    user = acting_user()
    result = run_service(lambda: payment.confirm(app_sessions(), instruction_id, bank_ref, business_date(day), user,
                                                 DEPOSIT_ACCOUNTS[paid_from]))
    click.echo(f"拨付指令 {instruction_id} 已确认{'（此前已确认，未重复记账）' if result.replayed else ''}。")


@cycle.command("confirm-selected", help="按银行代发批次确认多笔拨付到账并记账（财务管理部门）：各笔流水号记为“批次流水号-指令号”，"
                                         "整批有误则全部不保存，重复确认不重复记账")
@batch_opt
@click.option("--instruction", "instruction_ids", multiple=True, type=ID, help="拨付指令号（可重复）")
@click.option("--all", "everyone", is_flag=True, help="批次中待银行确认的全部指令")
@click.option("--bank-ref", required=True, type=TEXT, help="银行代发批次流水号")
@click.option("--count", "paid_count", required=True, type=CountType(1, 200_000), help="银行回单上的成功笔数")
@click.option("--total", "paid_total", required=True, type=MONEY, help="银行回单上的成功金额（元）")
@click.option("--paid-from", type=click.Choice(list(DEPOSIT_ACCOUNTS)), default=DEFAULT_DEPOSIT_ACCOUNT, show_default=True,
              help=f"付款账户：{DEPOSIT_ACCOUNTS_TEXT}")
@date_opt
@with_appcontext
def confirm_selected(batch_id, instruction_ids, everyone, bank_ref, paid_count, paid_total, paid_from, day) -> None:
    user = acting_user()
    if bool(instruction_ids) == everyone:
        fail("--instruction: 请列出拨付指令号，或用 --all 确认批次中待确认的全部指令（二者选一）")
    ids = list(instruction_ids)
    run_service(lambda: access.check_batch(app_sessions(), user, batch_id))
    if everyone:
        ids = views.sendable_instruction_ids(app_sessions(), batch_id)
    done = run_service(lambda: payment_return.confirm_selected(app_sessions(), batch_id, ids, bank_ref,
                                                               business_date(day), user, DEPOSIT_ACCOUNTS[paid_from],
                                                               paid_count=paid_count, paid_total=paid_total))
    click.echo(f"批次 {batch_id}：确认到账并记账 {done.confirmed} 笔，合计 {fmt_yuan_cn(done.amount)} 元"
               + (f"；{done.replayed} 笔此前已确认，未重复记账" if done.replayed else "") + "。")


@cycle.command("payment-sheet", help="导出批次待确认的拨付指令（交银行代发；银行按同一格式填写银行流水号、到账日期后退回）")
@batch_opt
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="输出 .xlsx 或 .csv 文件")
@with_appcontext
def payment_sheet(batch_id, out: Path) -> None:
    run_service(lambda: access.check_batch(app_sessions(), acting_user(), batch_id))
    if not out.parent.is_dir():
        fail(f"--out: 文件夹 {out.parent} 不存在")
    data = io.BytesIO()
    records = list(views.pending_instruction_records(app_sessions(), batch_id))
    (data_csv if out.suffix.lower() == ".csv" else data_xlsx)(PAYMENT_RETURN, records, data)
    write_file(out, data.getvalue(), "out")
    click.echo(f"已导出批次 {batch_id} 待确认的拨付指令 {len(records)} 笔：{out}")


@cycle.command("confirm-return", help="按银行代发回单批量确认到账并记账（财务管理部门；整份文件有误则全部不保存，重复上传不重复记账）")
@batch_opt
@click.option("--file", "file", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="银行回单 .xlsx 或 .csv（cycle payment-sheet 导出的格式，已填银行流水号、到账日期）")
@click.option("--paid-from", type=click.Choice(list(DEPOSIT_ACCOUNTS)), default=DEFAULT_DEPOSIT_ACCOUNT, show_default=True,
              help=f"付款账户：{DEPOSIT_ACCOUNTS_TEXT}")
@with_appcontext
def confirm_return(batch_id, file: Path, paid_from) -> None:
    user = acting_user()
    try:
        stream = file.open("rb")
    except OSError as err:
        fail(f"--file: 无法读取文件 {file}（{err.strerror}）")
    with stream:
        done = run_service(lambda: payment_return.confirm_return(app_sessions(), batch_id, stream, user,
                                                                 DEPOSIT_ACCOUNTS[paid_from]))
    click.echo(f"批次 {batch_id} 回单 {done.rows} 行：确认到账并记账 {done.confirmed} 笔，合计 {fmt_yuan_cn(done.amount)}"
               + (f"；银行退票 {done.failed} 笔，已标记，待更正账户后重新拨付" if done.failed else "")
               + (f"；{done.replayed} 笔此前已确认，未重复记账" if done.replayed else "") + "。")


@cycle.command(help="登记银行退票：拨付指令未到账（账户销户、户名不符等），不记账，待重新拨付或作废")
@click.option("--instruction", "instruction_id", required=True, type=ID)
@click.option("--reason", required=True, type=TEXT, help="银行的退票原因")
@with_appcontext
def bounce(instruction_id, reason) -> None:
    user = acting_user()
    run_service(lambda: payment.bounce(app_sessions(), instruction_id, reason, user))
    click.echo(f"拨付指令 {instruction_id} 已登记银行退票：{reason}。")


@cycle.command(help="重新拨付被退票的指令：同一金额，付至机构现登记的账户（账户有误的先以更正导入更新机构信息）")
@click.option("--instruction", "instruction_id", required=True, type=ID)
@click.option("--note", required=True, type=TEXT, help="重新拨付的依据，如机构账户变更函")
@date_opt
@with_appcontext
def reissue(instruction_id, note, day) -> None:
    user = acting_user()
    done = run_service(lambda: payment.reissue(app_sessions(), instruction_id, user, note, day))
    click.echo(f"拨付指令 {instruction_id} 已重新拨付至 {done.bank_name} {done.bank_account}"
               f"{'（账户已变更）' if done.changed else '（原账户）'}，待内审部门复核后发送银行。")


@cycle.command("approve-reissue", help="内审复核重新拨付（24§(四)）：复核同意后方可发送银行、确认到账；经办人不能复核自己的")
@click.option("--instruction", "instruction_id", required=True, type=ID)
@click.option("--comment", required=True, type=TEXT, help="复核意见")
@with_appcontext
def approve_reissue(instruction_id, comment) -> None:
    user = acting_user()
    run_service(lambda: payment.approve_reissue(app_sessions(), instruction_id, user, comment))
    click.echo(f"拨付指令 {instruction_id} 的重新拨付已复核同意，可发送银行。")


@cycle.command(help="作废拨付指令（须说明原因）")
@click.option("--instruction", "instruction_id", required=True, type=ID)
@click.option("--reason", required=True, type=TEXT)
@with_appcontext
def void(instruction_id, reason) -> None:
    user = acting_user()
    run_service(lambda: payment.void(app_sessions(), instruction_id, user, reason))
    click.echo(f"拨付指令 {instruction_id} 已作废。")


@cycle.command(help="年度预付进度汇总")
@region_opt
@year_opt
@with_appcontext
def status(region_code, year) -> None:
    run_service(lambda: access.check_region(app_sessions(), acting_user(), region_code))
    s = run_service(lambda: views.status(app_sessions(), region_code, year))
    line = f"{year} 年度（{s.profile} 第 {s.profile_version} 版）：{s.state}"
    if s.signing_deadline:
        line += f"，签约期限 {s.signing_deadline}（{s.signing_working_days} 个工作日{'，暂定' if s.provisional else ''}）"
    click.echo(line + f"；须于 {s.pay_by} 前确认并拨付（15§(四)）")
    for state, n in s.determinations:
        click.echo(f"  {state}：{n} 家")
    for b in s.batches:
        click.echo(f"  批次 {b.id}：{b.state}，{b.items} 项，合计 {fmt_yuan_cn(b.amount)} 元")


def _show_batch(batch_id: int) -> None:
    view = run_service(lambda: views.batch_view(app_sessions(), batch_id))
    click.echo(render(["机构编码", "机构名称", "基金", "核定额度", "已持有", "本次拨付", "开户行", "账号"],
                      [[i.institution_code, i.institution_name, FUND_CN[i.fund], fmt_yuan_cn(i.determined),
                        fmt_yuan_cn(i.held), fmt_yuan_cn(i.amount), i.bank_name, i.bank_account] for i in view.lines],
                      right=[3, 4, 5]))
    due = f"；待{view.next_level}" if view.next_level else ""
    click.echo(f"批次 {view.id}（{view.state}{due}）合计 {fmt_yuan_cn(view.total)} 元；批次摘要 {view.hash}")


def _show_instructions(batch_id: int) -> None:
    rows = run_service(lambda: views.instructions(app_sessions(), batch_id))
    click.echo(render(["指令号", "机构编码", "基金", "金额", "账号", "状态"],
                      [[str(p.id), p.institution_code, FUND_CN[p.fund], fmt_yuan_cn(p.amount), p.bank_account,
                        p.state] for p in rows], right=[3]))
