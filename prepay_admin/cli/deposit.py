"""``prepay-admin deposit``: patients' inpatient deposits (DEPOSIT.md) from the terminal: the deposit
profiles, the reference run of a region's year and its cells."""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from ..policy.deposit import MEASURE_CN, RECOMPUTE, RECTIFY, InsuranceClass
from ..policy.money import fmt_yuan_cn as fmt_money
from ..profiles.deposit import PARAMETERS, load_deposit_profile, packaged_deposit_texts
from ..queries import access
from ..queries.deposit import findings as finding_lines
from ..queries.deposit import grassroots_page, hospitals_to_notify, reference_page
from ..queries.deposit import overview as overview_of
from ..services import documents
from ..services import grassroots as grassroots_service
from ..services.deposit import check_tables, clear_finding, compute_reference
from ..tables import render
from .common import (
    CODE,
    DATE,
    TEXT,
    YEAR,
    CountType,
    acting_user,
    app_sessions,
    business_date,
    fail,
    run_service,
    write_file,
)

region_opt = click.option("--region", "region_code", required=True, type=CODE, help="统筹地区编码")
year_opt = click.option("--year", required=True, type=YEAR, help="参考年度（以此前完整的若干年度数据测算）")
CLASSES = {"职工": InsuranceClass.EMPLOYEE, "居民": InsuranceClass.RESIDENT, "自费": InsuranceClass.SELF_PAY}


@click.group(help="住院预交金：参考额度测算与监测（以 prepay-admin login 登录的用户身份办理）")
def deposit() -> None:
    pass


@deposit.command(help="列出预交金参数方案，或显示一个方案的每个参数及其依据条款")
@click.option("--name", type=TEXT, help="方案名称，如 guizhou-2025")
def profiles(name: str | None) -> None:
    if name is None:
        for each in packaged_deposit_texts():
            p = run_service(lambda: load_deposit_profile(each))
            click.echo(f"{p.name}  第 {p.version} 版  {p.title}")
        return
    p = run_service(lambda: load_deposit_profile(name))
    click.echo(f"{p.title}（{p.name} 第 {p.version} 版，依据 {p.source}）")
    values = {"measure": MEASURE_CN[p.measure], "freeze_from": str(p.freeze_from or "—")}
    rows = [(k, values.get(k, str(getattr(p, k))), p.article(k)) for k in PARAMETERS]
    click.echo(render(("参数", "取值", "依据"), rows))


@deposit.command(help="测算（或重新测算）统筹地区某年度的住院预交金参考额度（基金结算部门）；重新测算取代前一次，不覆盖")
@region_opt
@year_opt
@with_appcontext
def compute(region_code: str, year: int) -> None:
    done = run_service(lambda: compute_reference(app_sessions(), region_code, year, acting_user()))
    click.echo(f"{year} 年度参考额度已测算（第 {done.run_id} 次，{done.profile}）：数据期间 {done.window[0]} 至 "
               f"{done.window[1]}，本地住院 {done.admissions:,} 人次（异地 {done.out_of_region:,} 人次另计），"
               f"{done.cells:,} 个机构×病组×类别，其中样本不足 {done.small:,} 个。")
    click.echo(f"输入数据摘要 {done.inputs_sha256}" + (f"；已取代第 {done.superseded} 次测算" if done.superseded else ""))


@deposit.command(help="查看住院预交金参考额度（按机构、病组、类别筛选；分页用 --after）")
@region_opt
@year_opt
@click.option("--institution", type=CODE, help="机构编码")
@click.option("--group", type=TEXT, help="病组编码")
@click.option("--class", "class_", type=click.Choice(list(CLASSES)), help="职工、居民或自费")
@click.option("--after", type=CountType(0, 2**62), default=0, help="从此编号之后列出（上一页末尾提示的编号）")
@click.option("--limit", type=CountType(1, 1000), default=50, show_default=True)
@with_appcontext
def reference(region_code: str, year: int, institution: str | None, group: str | None, class_: str | None,
              after: int, limit: int) -> None:
    user = acting_user()
    run_service(lambda: access.check_region(app_sessions(), user, region_code))
    page = run_service(lambda: reference_page(app_sessions(), region_code, year, institution=institution, group=group,
                                              insurance_class=CLASSES[class_] if class_ else None, after=after,
                                              size=limit))
    r = page.run
    click.echo(f"{year} 年度参考额度（第 {r.id} 次测算，{r.profile}，{MEASURE_CN.get(r.measure, r.measure)}；"
               f"{r.window_from} 至 {r.window_to}；输入摘要 {r.inputs_sha256[:16]}…）")
    rows = [(str(c.id), c.institution_code, c.group_code, c.class_cn, str(c.cases), fmt_money(c.mean_cost),
             fmt_money(c.reference), fmt_money(c.median), fmt_money(c.p75),
             "、".join(m for m, on in (("样本不足", c.small), ("推算", c.proxy)) if on)) for c in page.cells]
    click.echo(render(("编号", "机构", "病组", "类别", "例数", "次均费用", "参考额度", "中位数", "P75", "标注"), rows,
                      right=(4, 5, 6, 7, 8)))
    if page.next_after is not None:
        click.echo(f"……下一页：--after {page.next_after}")


@deposit.command(help="检查各医院公示的预交金额度：高于参考额度、高于细则实施前标准、常见病种未公示，以及须重新测算的情形"
                      "（实际负担连续低于预交金 80%、支付标准变动超过 10%）（基金结算部门）")
@region_opt
@year_opt
@click.option("--date", "day", type=DATE, help="检查在这一天执行的公示额度，默认今天（北京时间）")
@with_appcontext
def check(region_code: str, year: int, day) -> None:
    done = run_service(lambda: check_tables(app_sessions(), region_code, year, business_date(day), acting_user()))
    click.echo(f"已检查 {done.hospitals} 家医院在 {done.on} 执行的公示额度（对照第 {done.run_id} 次测算）："
               f"现有问题 {done.found} 项，其中新发 {done.new} 项；已整改 {done.rectified} 项。")


@deposit.command(help="列出住院预交金检查发现的问题（默认未办结的）")
@region_opt
@click.option("--status", type=click.Choice(["new", "notified", "rectified", "cleared"]), help="按状态筛选")
@click.option("--after", type=CountType(0, 2**62), default=0, help="从此编号之后列出")
@with_appcontext
def findings(region_code: str, status: str | None, after: int) -> None:
    user = acting_user()
    run_service(lambda: access.check_region(app_sessions(), user, region_code))
    rows = run_service(lambda: finding_lines(app_sessions(), region_code, status=status, after=after, size=200))
    click.echo(render(("编号", "机构", "病组", "类别", "问题", "依据", "性质", "状态", "说明"),
                      [(str(f.id), f.institution_code, f.group_code, f.class_cn, f.kind_cn, f.article,
                        "违规" if f.breach else "提示", f.status_cn, f.message) for f in rows]))


NOTICES = {"rectification": ("deposit_rectification", RECTIFY), "recompute": ("deposit_recompute", RECOMPUTE)}


@deposit.command(help="住院预交金监测概况：公示与合规、公示额度÷参考额度的分布、未办结的问题、须重新测算的期限")
@region_opt
@year_opt
@click.option("--date", "day", type=DATE, help="对照这一天执行的公示额度，默认今天（北京时间）")
@with_appcontext
def overview(region_code: str, year: int, day) -> None:
    user = acting_user()
    run_service(lambda: access.check_region(app_sessions(), user, region_code))
    o = run_service(lambda: overview_of(app_sessions(), region_code, year, business_date(day)))
    if o.run is None:
        fail(f"{year} 年度尚未测算参考额度：请先 prepay-admin deposit compute")
    rate = f"，合规率 {o.compliance:.2%}" if o.compliance is not None else ""
    click.echo(f"{year} 年度（第 {o.run.id} 次测算，对照 {o.as_of or o.on} 执行的公示额度）：有住院病例的医院 {o.hospitals} 家，"
               f"已公示 {o.publishing} 家；可对照的公示额度 {o.lines:,} 项，不高于参考额度 {o.compliant:,} 项{rate}。")
    click.echo(render(("公示额度 ÷ 参考额度", "项数"), [(label, str(n)) for label, n in o.distribution], right=(1,)))
    click.echo(render(("未办结的问题", "件数", "其中已通知"), [(label, str(n), str(notified))
                                                     for _, label, n, notified in o.open_by_kind], right=(1, 2)))
    if o.triggers:
        click.echo(render(("机构", "病组", "类别", "期限", "剩余天数", "情形"),
                          [(t.finding.institution_code, t.finding.group_code, t.finding.class_cn, str(t.due_on),
                            str(t.days_left), t.finding.message) for t in o.triggers], right=(4,)))


@deposit.command(help="出具住院预交金提示函（基金结算部门）：整改提示函或重新测算提示函，给一家医院或有新发问题的全部医院")
@region_opt
@year_opt
@click.option("--kind", "which", required=True, type=click.Choice(list(NOTICES)),
              help="rectification 整改提示函；recompute 重新测算提示函")
@click.option("--institution", type=CODE, help="机构编码；不填则给有新发问题（尚未通知）的每家医院各出具一份")
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path), help="输出文件夹")
@with_appcontext
def notices(region_code: str, year: int, which: str, institution: str | None, out: Path) -> None:
    kind, kinds = NOTICES[which]
    user = acting_user()
    codes = (institution,) if institution else run_service(
        lambda: hospitals_to_notify(app_sessions(), region_code, year, kinds))
    if not codes:
        click.echo("没有新发问题尚未通知的医院，未出具提示函。")
        return
    for code in codes:
        issued = run_service(lambda: documents.issue(app_sessions(), kind, region_code, user, year=year,
                                                     institution=code))
        path = out / issued.file_name
        write_file(path, issued.data, "out")
        click.echo(f"已出具 {path}（文书登记第 {issued.id} 号，SHA-256 {issued.sha256[:16]}…）")


@deposit.command(help="核销一项住院预交金检查问题（基金结算部门），须说明理由；此后检查在所依据的测算和公示额度不变时不再提出")
@region_opt
@click.option("--finding", "finding_id", required=True, type=CountType(1, 2**31 - 1), help="问题编号（deposit findings 列出）")
@click.option("--reason", required=True, type=TEXT, help="核销理由")
@with_appcontext
def clear(region_code: str, finding_id: int, reason: str) -> None:
    done = run_service(lambda: clear_finding(app_sessions(), region_code, finding_id, reason, acting_user()))
    click.echo(f"已核销问题 {done.finding_id}（{done.institution_code}）。")


@deposit.command(help="基层医疗机构统一住院预交金额度（黔 16）：查看；--propose 由基金结算部门测算提交；"
                      "--approve 或 --return 由医保行政部门审定或退回")
@region_opt
@year_opt
@click.option("--propose", is_flag=True, help="按本年度参考额度测算并提交（取代现表）")
@click.option("--approve", "decision", flag_value="approve", help="审定（医保行政部门）")
@click.option("--return", "decision", flag_value="return", help="退回（医保行政部门，须 --note）")
@click.option("--note", type=TEXT, help="审定意见或退回理由")
@click.option("--area", type=TEXT, help="按区划筛选")
@with_appcontext
def grassroots(region_code: str, year: int, propose: bool, decision: str | None, note: str | None,
               area: str | None) -> None:
    user = acting_user()
    if propose:
        done = run_service(lambda: grassroots_service.propose(app_sessions(), region_code, year, user))
        click.echo(f"已提交第 {done.table_id} 号表：{done.lines} 项，基层机构 {done.institutions} 家，样本不足 {done.small} 项"
                   + (f"；取代第 {done.superseded} 号" if done.superseded else "") + "。待医保行政部门审定。")
        return
    run_service(lambda: access.check_region(app_sessions(), user, region_code))
    page = run_service(lambda: grassroots_page(app_sessions(), region_code, year, area=area, size=1000))
    if page.table is None:
        fail(f"{year} 年度尚未测算基层医疗机构统一额度（--propose）")
    if decision:
        done = run_service(lambda: grassroots_service.decide(app_sessions(), region_code, page.table.id,
                                                             decision == "approve", note or "", user))
        click.echo(f"第 {done.table_id} 号表{'已审定' if done.state == 'approved' else '已退回'}。")
        return
    t = page.table
    click.echo(f"第 {t.id} 号表（第 {t.run_id} 次测算）：{t.state_cn}，{t.lines} 项")
    click.echo(render(("区划", "病组", "类别", "机构数", "例数", "次均个人负担", "统一额度", "标注"),
                      [(a.area, a.group_code, a.class_cn, str(a.institutions), str(a.cases), fmt_money(a.mean),
                        fmt_money(a.amount), "、".join(m for m, on in (("样本不足", a.small), ("推算", a.proxy)) if on))
                       for a in page.amounts], right=(3, 4, 5, 6)))
