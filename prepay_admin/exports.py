"""The screens' tables as .xlsx downloads, laid out as staff print them (``accounting.xlsx.sheet``).

Amounts stay ``Decimal`` and become number cells formatted to fen.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from accounting.xlsx import sheet, workbook

from .clock import TIMEZONE
from .policy.departments import DEPARTMENT_CN
from .policy.reasons import FUND_CN, KIND_CN
from .queries.applications import ApplicationPage
from .queries.audit_trail import Trail, TrailFilter
from .queries.cycle import BankList
from .queries.deposit import ReferencePage
from .queries.institutions import InstitutionList
from .queries.overview import DeterminationPage
from .queries.receivables import ReceivablePage, RunSheet
from .queries.signoff import SignOffScreen

ZERO = Decimal("0.00")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def determinations_xlsx(region_name: str, year: int, page: DeterminationPage) -> bytes:
    """The determination list, one row per institution and fund, with every reason."""
    rows = []
    for r in page.rows:
        if not r.eligible or not r.advances:
            rows.append([r.code, r.name, KIND_CN.get(r.kind, r.kind), r.state, "", "", "", None, None, None,
                         "；".join(r.reasons)])
        for a in r.advances:
            rows.append([r.code, r.name, KIND_CN.get(r.kind, r.kind), r.state, str(r.months or ""),
                         str(r.ratio or ""), FUND_CN[a.fund], a.base, a.amount, a.final_amount,
                         "；".join(a.reasons + r.notes)])
    return sheet(
        "预付金核定名单", f"{region_name}　{year} 年度　第 {page.run} 次测算　共 {page.count} 家",
        ["机构编码", "机构名称", "类型", "状态", "月数", "比例", "基金", "预付基数", "核定金额", "按担保限额后", "说明"],
        rows, [14, 30, 12, 12, 7, 7, 16, 16, 16, 16, 60],
        ["", "合计", "", "", "", "", "", None, page.computed_total, page.determined_total, ""],
    )


def institutions_xlsx(region_name: str, listing: InstitutionList) -> bytes:
    return sheet(
        "定点医药机构", f"{region_name}　共 {listing.count} 家",
        ["机构编码", "机构名称", "类型", "等级", "医保结算起始日期", "开户银行", "银行账号"],
        [[i.code, i.name, KIND_CN.get(i.kind, i.kind), i.level_cn, i.settled_since.isoformat(), i.bank_name,
          i.bank_account] for i in listing.rows],
        [14, 36, 14, 8, 14, 24, 24],
    )


def batch_xlsx(screen: SignOffScreen) -> bytes:
    """A payment batch's every line, with the hash its signers sign."""
    return sheet(
        f"拨付批次 {screen.batch_id}", f"{screen.region_name}　{screen.year} 年度　{screen.state}　批次摘要 {screen.hash}",
        ["机构编码", "机构名称", "基金", "核定额度", "已持有", "本次拨付", "开户行", "账号"],
        [[i.institution_code, i.institution_name, FUND_CN[i.fund], i.determined, i.held, i.amount, i.bank_name,
          i.bank_account] for i in screen.lines],
        [14, 30, 16, 16, 16, 16, 24, 24],
        ["", "合计", "", None, None, screen.total, "", ""],
    )


def receivables_xlsx(region_name: str, page: ReceivablePage) -> bytes:
    """The receivables view with ageing (RULES §5, §6), and each fund's tie to the ledger below it."""
    rows = [[r.id, r.code, r.name, FUND_CN[r.fund], r.route_cn, r.method_cn, r.since, r.amount,
             r.recovered, r.written_off, r.transferred, r.outstanding, r.state_cn,
             r.due_on or "", r.overdue_days or "", r.age_band] for r in page.rows]
    for tie in page.ties:
        rows.append(["", "", f"{FUND_CN[tie.fund]}：暂付款余额", "", "", "", "", None, None, None, None, tie.advance_balance,
                     "其中应收回", "", "", ""])
        rows.append(["", "", f"{FUND_CN[tie.fund]}：应收回合计", "", "", "", "", None, None, None, None, tie.owed,
                     "与账簿相符" if tie.over_claimed == 0 else f"{tie.over_claimed} 家欠款超过余额", "", "", ""])
    return sheet(
        "应收回预付金", f"{region_name}　截至 {page.today}　共 {page.count} 笔",
        ["编号", "机构编码", "机构名称", "险种", "途径", "收回方式", "发生日", "应收回", "已收回", "核销", "承继转出",
         "尚欠", "状态", "催收期限", "逾期天数", "账龄"],
        rows, [8, 14, 30, 16, 22, 12, 12, 16, 16, 16, 16, 16, 14, 12, 9, 12],
        ["", "", "合计", "", "", "", "", sum((r.amount for r in page.rows), ZERO), None, None, None,
         sum((r.outstanding for r in page.rows), ZERO), "", "", "", ""],
    )


def settlement_run_xlsx(run: RunSheet) -> bytes:
    """The bank's payment list of a monthly settlement: one transfer per line, totals that tie to the ledger."""
    r = run.run
    return sheet(
        "年度清算支付清单" if r.kind == "annual_clearing" else "月度结算支付清单",
        f"{run.region_name}　{r.label}　{FUND_CN[r.fund]}　结算日期 {r.settled_on}　"
        f"与账簿{'一致' if run.ties else '不一致'}",
        ["机构编码", "机构名称", "开户银行", "银行账号", "结算金额", "扣回预付金", "暂停拨付", "补付", "实付金额", "尚欠", "说明"],
        [[l.code, l.name, l.bank_name, l.bank_account, l.payable, l.withheld, l.held, l.released, l.net, l.still_owed,
          l.note] for l in run.lines],
        [14, 30, 20, 24, 16, 16, 14, 14, 16, 16, 40],
        ["", "合计", "", "", sum((l.payable for l in run.lines), ZERO), sum((l.withheld for l in run.lines), ZERO),
         sum((l.held for l in run.lines), ZERO), sum((l.released for l in run.lines), ZERO),
         sum((l.net for l in run.lines), ZERO), None, ""],
    )


def audit_trail_xlsx(region_name: str, where: TrailFilter, trail: Trail, today: dt.date) -> bytes:
    """The audit trail as filtered on the screen: the region's transitions, and for those who oversee the
    whole service the sign-ins, refusals and operator commands, newest first, times in Beijing."""
    def beijing(at: dt.datetime) -> dt.datetime:
        return at.astimezone(TIMEZONE).replace(tzinfo=None)

    rows = [[beijing(t.at), t.who, t.what, t.subject, t.object_id, t.action, t.from_state or "", t.to_state, t.reason]
            for t in trail.lines]
    rows += [[beijing(e.at), e.actor, e.kind, "", "", "", "", "", e.detail] for e in trail.events]
    rows.sort(key=lambda r: r[0], reverse=True)
    said = [f"{k} {v}" for k, v in (("流程", where.machine), ("人员", where.actor), ("部门", where.department and
            DEPARTMENT_CN[where.department]), ("机构", where.institution), ("自", where.since), ("至", where.until),
            ("事件", where.event)) if v]
    return sheet(
        "审计记录", f"{region_name}　导出于 {today}　{'　'.join(said) or '全部'}　共 {len(rows)} 条",
        ["时间", "操作人", "流程或事件", "对象", "编号", "操作", "原状态", "新状态", "原因或内容"],
        rows, [17, 18, 14, 36, 8, 16, 14, 14, 50],
    )


def bank_list_xlsx(region_name: str, year: int, batch_id: int, lists: tuple[BankList, ...]) -> bytes:
    """15§(四): the 代发清单 the bank pays from, one sheet per paying account: 收款户名, 开户行, account, the
    amount as a number, the purpose printed on the statement, and the total the account is debited."""
    return workbook([(
        f"代发清单-{bank.fund}", f"{region_name}　{year} 年度　拨付批次 {batch_id}　付款账户：{bank.paying_account}"
                              f"　共 {len(bank.lines)} 笔",
        ["序号", "收款户名", "开户行", "收款账号", "金额（元）", "用途", "指令编号", "机构编码"],
        [[line.number, line.payee, line.bank_name, line.bank_account, line.amount, line.purpose,
          line.instruction_id, line.institution_code] for line in bank.lines],
        [6, 34, 26, 26, 18, 30, 10, 16],
        ["", "合计", "", f"{len(bank.lines)} 笔", bank.total, "", "", ""],
    ) for bank in lists])


def applications_xlsx(region_name: str, year: int, page: ApplicationPage) -> bytes:
    """受理台账 (15§(一)): each application received, with what its self-check declares."""
    return sheet(
        "受理台账", f"{region_name}　{year} 年度　共受理 {page.total} 份",
        ["序号", "受理日期", "机构编码", "机构名称", "医院负责人", "自查申报的情形", "状态", "经办人"],
        [[n, a.submitted_on, a.institution_code, a.institution_name, a.signed_by, "；".join(a.declared) or "无",
          a.state, a.recorded_by] for n, a in enumerate(page.items, start=1)],
        [6, 12, 16, 30, 10, 50, 10, 12],
    )


def deposit_reference_xlsx(region_name: str, year: int, page: ReferencePage) -> bytes:
    """DEPOSIT.md rule 1: the reference cells as filtered on screen, for the bureau's own use (not suppressed)."""
    r = page.run
    return sheet(
        "住院预交金参考额度", f"{region_name}　{year} 年度　第 {r.id} 次测算（{r.profile}）　数据期间 {r.window_from} 至 "
                      f"{r.window_to}　输入摘要 {r.inputs_sha256}",
        ["机构编码", "机构名称", "病组", "类别", "例数", "次均费用", "次均基金支付", "次均自付", "次均自费", "参考额度", "中位数",
         "P75", "上年均值", "异地例数", "标注"],
        [[c.institution_code, c.institution_name, c.group_code, c.class_cn, c.cases, c.mean_cost, c.mean_fund,
          c.mean_copay, c.mean_self_pay, c.reference, c.median, c.p75, c.last_year_reference, c.out_of_region_cases,
          "、".join(m for m, on in (("样本不足", c.small), ("推算", c.proxy)) if on)] for c in page.cells],
        [14, 30, 10, 10, 7, 14, 14, 14, 14, 14, 14, 14, 14, 8, 10],
    )


def hospital_reference_xlsx(region_name: str, year: int, code: str, name: str, page: ReferencePage,
                            published_min_cases: int) -> bytes:
    """DEPOSIT.md rule 1, sent out: one hospital's reference (its 计算依据), cells under ``published_min_cases``
    left out (rule 1's suppression), 样本不足 and 推算 marked."""
    r = page.run
    shown = [c for c in page.cells if c.cases >= published_min_cases]
    return sheet(
        "住院预交金参考额度", f"{region_name}　{name}（{code}）　{year} 年度　第 {r.id} 次测算　数据期间 {r.window_from} 至 "
                      f"{r.window_to}　例数少于 {published_min_cases} 例的 {len(page.cells) - len(shown)} 项不予列示",
        ["病组", "类别", "例数", "次均费用", "次均基金支付", "次均自付", "次均自费", "参考额度（次均个人负担）", "中位数", "P75", "标注"],
        [[c.group_code, c.class_cn, c.cases, c.mean_cost, c.mean_fund, c.mean_copay, c.mean_self_pay, c.reference,
          c.median, c.p75, "、".join(m for m, on in (("样本不足，仅供参考", c.small), ("推算", c.proxy)) if on)]
         for c in shown],
        [10, 10, 7, 14, 14, 14, 14, 16, 14, 14, 16],
    )
