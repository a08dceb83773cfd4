"""``prepay-admin cycle``: the annual cycle from the terminal, each step with a Chinese summary."""
from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from decimal import Decimal

import click
from flask.cli import with_appcontext
from marshmallow import ValidationError
from sqlalchemy import select

from ..models import Determination, PaymentBatch, PaymentInstruction
from ..policy.facts import SecurityKind
from ..policy.money import fmt_yuan_cn
from ..policy.reasons import FUND_CN
from ..policy.transitions import BATCH, DETERMINATION, PAYMENT
from ..scheduler import today as beijing_today
from ..services import applications, batch as batches, determination, payment, signing
from ..services.campaign import get_campaign, open_campaign
from ..tables import render
from ..validation import Money
from .common import app_sessions, current_user, fail, run_service

def _date(value: dt.datetime | None) -> dt.date:
    return value.date() if value else beijing_today()


region_opt = click.option("--region", "region_code", required=True, help="统筹地区编码")
year_opt = click.option("--year", required=True, type=int, help="预付年度")
inst_opt = click.option("--institution", required=True, help="定点医疗机构编码")
date_opt = click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]), help="业务日期，默认今天（北京时间）")
batch_opt = click.option("--batch", "batch_id", required=True, type=int, help="拨付批次号")


@click.group(help="年度预付：申请、核定、签约、审核、拨付")
@click.option("--user", default=None, help="操作人用户名（默认 PREPAY_USER 或登录名）")
@click.pass_context
def cycle(ctx, user: str | None) -> None:
    ctx.obj = user or current_user()


@cycle.command("open", help="开启年度预付并测算基金可支付月数（财务管理部门）")
@region_opt
@year_opt
@click.pass_obj
@with_appcontext
def open_(user, region_code, year) -> None:
    opened = run_service(lambda: open_campaign(app_sessions(), region_code, year, user))
    click.echo(f"已开启 {year} 年度预付。基金可支付月数：")
    for g in opened.gates:
        verdict = "可以预付" if g.open else "不予预付：" + "；".join(r["message"] for r in json.loads(g.reasons_json))
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
@click.option("--answers", type=click.File("r", encoding="utf-8"), required=True, help="自查情况 JSON（见 cycle form）")
@date_opt
@click.pass_obj
@with_appcontext
def apply(user, region_code, year, institution, answers, day) -> None:
    try:
        data = json.load(answers)
    except json.JSONDecodeError as err:
        fail(f"--answers: 不是有效的 JSON（第 {err.lineno} 行）")
    run_service(lambda: applications.apply(app_sessions(), region_code, year, institution, data, _date(day), user))
    click.echo(f"已受理 {institution} 的 {year} 年度预付金申请。")


@cycle.command(help="按申请测算核定（名单确定前可重复运行）")
@region_opt
@year_opt
@click.pass_obj
@with_appcontext
def determine(user, region_code, year) -> None:
    def progress(done: int, total: int) -> None:
        click.echo(f"  已核定 {done}/{total}", err=True)

    result = run_service(lambda: determination.determine(app_sessions(), region_code, year, user, progress))
    click.echo(f"第 {result.run} 次测算：{result.determined} 家机构，符合条件 {result.eligible} 家，"
               f"预付金额合计 {fmt_yuan_cn(result.total)} 元。")


@cycle.command("fix-list", help="确定预付名单，开始 7 个工作日签约期（基金结算部门）")
@region_opt
@year_opt
@date_opt
@click.pass_obj
@with_appcontext
def fix_list(user, region_code, year, day) -> None:
    campaign = run_service(lambda: determination.fix_list(app_sessions(), region_code, year, user, _date(day)))
    note = "（暂定：该年度节假日安排尚未载入）" if campaign.signing_deadline_provisional else ""
    click.echo(f"名单已确定。担保、抵押手续和预付协议须于 {campaign.signing_deadline}{note} 前完成，逾期视作放弃。")


@cycle.command("register-security", help="登记担保、抵押（按实际登记金额再次限额）")
@region_opt
@year_opt
@inst_opt
@click.option("--kind", type=click.Choice([k.value for k in SecurityKind]), required=True)
@click.option("--value", required=True, help="担保、抵押金额（元）")
@click.option("--ref", required=True, help="抵押登记或担保函编号")
@date_opt
@click.pass_obj
@with_appcontext
def register_security(user, region_code, year, institution, kind, value, ref, day) -> None:
    try:
        amount = Money().deserialize(value)
    except ValidationError as err:
        fail(f"--value: {err.messages[0]}")
    det = run_service(lambda: signing.register_security(app_sessions(), region_code, year, institution, SecurityKind(kind),
                                                 amount, ref, _date(day), user))
    parts = [f"{FUND_CN[a.fund]} {fmt_yuan_cn(a.final_amount or 0)} 元" for a in det.advances]
    click.echo(f"已登记 {institution} 的担保、抵押 {fmt_yuan_cn(amount)} 元。核定预付：{'；'.join(parts)}。")


@cycle.command(help="签订预付协议（有效期内的协议覆盖本年度）")
@region_opt
@year_opt
@inst_opt
@date_opt
@click.pass_obj
@with_appcontext
def sign(user, region_code, year, institution, day) -> None:
    agreement = run_service(lambda: signing.sign(app_sessions(), region_code, year, institution, _date(day), user))
    click.echo(f"{institution} 已签约：协议 {agreement.agreement_no}，{agreement.first_year}—{agreement.last_year} 年度有效。")


@cycle.command(help="编制拨付批次并提交审核（或以 --batch 提交已编制的批次）")
@region_opt
@year_opt
@click.option("--batch", "batch_id", type=int, help="已编制的批次号")
@click.option("--comment", default="名单及额度经核定无误，提请审核")
@click.pass_obj
@with_appcontext
def submit(user, region_code, year, batch_id, comment) -> None:
    if batch_id is None:
        batch_id = run_service(lambda: batches.prepare(app_sessions(), region_code, year, user))
    entry = run_service(lambda: batches.sign_off(app_sessions(), batch_id, user, comment))
    _show_batch(batch_id)
    click.echo(f"批次 {batch_id} 已提交（批次摘要 {entry.batch_hash[:12]}）。")


@cycle.command(help="审核环节签字：内审、医保行政部门、财政部门依次确认")
@batch_opt
@click.option("--comment", default="同意")
@click.option("--hash", "seen_hash", help="所审阅批次的摘要（与当前不符则拒绝）")
@click.pass_obj
@with_appcontext
def approve(user, batch_id, comment, seen_hash) -> None:
    full = _full_hash(batch_id, seen_hash) if seen_hash else None
    entry = run_service(lambda: batches.sign_off(app_sessions(), batch_id, user, comment, full))
    click.echo(f"批次 {batch_id}：{_level_title(entry.level)}已签字。")


@cycle.command(help="退回批次（须说明原因），已有签字作废")
@batch_opt
@click.option("--reason", required=True)
@click.pass_obj
@with_appcontext
def reject(user, batch_id, reason) -> None:
    run_service(lambda: batches.reject(app_sessions(), batch_id, user, reason))
    click.echo(f"批次 {batch_id} 已退回：{reason}")


@cycle.command(help="从批次中移出机构（批次变更，已有签字作废）")
@batch_opt
@inst_opt
@click.option("--reason", required=True)
@click.pass_obj
@with_appcontext
def remove(user, batch_id, institution, reason) -> None:
    run_service(lambda: batches.remove_item(app_sessions(), batch_id, institution, user, reason))
    click.echo(f"已从批次 {batch_id} 移出 {institution}，须重新提交审核。")


@cycle.command(help="四级审核完成后生成拨付指令（财务管理部门）")
@batch_opt
@click.pass_obj
@with_appcontext
def pay(user, batch_id) -> None:
    ids = run_service(lambda: payment.issue(app_sessions(), batch_id, user))
    _show_instructions(batch_id)
    click.echo(f"已生成拨付指令 {len(ids)} 笔，待银行到账后逐笔确认（cycle confirm）。")


@cycle.command(help="确认拨付到账：记账 借 暂付款—医保预付金 / 贷 支出户存款（重复确认只记一次）")
@click.option("--instruction", "instruction_id", required=True, type=int)
@click.option("--bank-ref", required=True, help="银行交易流水号")
@date_opt
@click.pass_obj
@with_appcontext
def confirm(user, instruction_id, bank_ref, day) -> None:
    result = run_service(lambda: payment.confirm(app_sessions(), instruction_id, bank_ref, _date(day), user))
    click.echo(f"拨付指令 {instruction_id} 已确认{'（此前已确认，未重复记账）' if result.replayed else ''}。")


@cycle.command(help="作废拨付指令（须说明原因）")
@click.option("--instruction", "instruction_id", required=True, type=int)
@click.option("--reason", required=True)
@click.pass_obj
@with_appcontext
def void(user, instruction_id, reason) -> None:
    run_service(lambda: payment.void(app_sessions(), instruction_id, user, reason))
    click.echo(f"拨付指令 {instruction_id} 已作废。")


@cycle.command(help="年度预付进度汇总")
@region_opt
@year_opt
@with_appcontext
def status(region_code, year) -> None:
    with app_sessions()() as session:
        _, campaign = run_service(lambda: get_campaign(session, region_code, year))
        states = Counter(session.scalars(select(Determination.state).where(
            Determination.campaign_id == campaign.id, Determination.run == campaign.determination_run)))
        click.echo(f"{year} 年度：{'名单已确定' if campaign.state == 'list_fixed' else '受理申请中'}"
                   + (f"，签约期限 {campaign.signing_deadline}" if campaign.signing_deadline else ""))
        for state, n in states.most_common():
            click.echo(f"  {DETERMINATION.label(state)}：{n} 家")
        for b in session.scalars(select(PaymentBatch).where(PaymentBatch.campaign_id == campaign.id)):
            click.echo(f"  批次 {b.id}：{BATCH.label(b.state)}，{len(b.items)} 项，"
                       f"合计 {fmt_yuan_cn(sum((i.amount for i in b.items), Decimal(0)))} 元")


def _show_batch(batch_id: int) -> None:
    with app_sessions()() as session:
        b = batches.get_batch(session, batch_id)
        click.echo(render(["机构编码", "机构名称", "基金", "核定额度", "已持有", "本次拨付", "开户行", "账号"],
                          [[i.institution_code, i.institution_name, FUND_CN[i.fund], fmt_yuan_cn(i.determined),
                            fmt_yuan_cn(i.held), fmt_yuan_cn(i.amount), i.bank_name, i.bank_account] for i in b.items],
                          right=[3, 4, 5]))
        click.echo(f"合计 {fmt_yuan_cn(sum((i.amount for i in b.items), Decimal(0)))} 元；批次摘要 {batches.batch_hash(b)}")


def _show_instructions(batch_id: int) -> None:
    with app_sessions()() as session:
        rows = session.scalars(select(PaymentInstruction).where(PaymentInstruction.batch_id == batch_id)
                               .order_by(PaymentInstruction.id))
        click.echo(render(["指令号", "机构编码", "基金", "金额", "账号", "状态"],
                          [[str(p.id), p.institution_code, FUND_CN[p.fund], fmt_yuan_cn(p.amount), p.bank_account,
                            PAYMENT.label(p.state)] for p in rows], right=[3]))


def _full_hash(batch_id: int, prefix: str) -> str:
    with app_sessions()() as session:
        current = batches.batch_hash(batches.get_batch(session, batch_id))
    return current if current.startswith(prefix) and len(prefix) >= 8 else prefix


def _level_title(level: str) -> str:
    return next(lv.title for lv in batches.LEVELS if lv.name == level)
