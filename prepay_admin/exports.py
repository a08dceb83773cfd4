"""The screens' tables as .xlsx downloads, laid out as staff print them (``accounting.xlsx.sheet``).

Amounts stay ``Decimal`` and become number cells formatted to fen.
"""
from __future__ import annotations

from accounting.xlsx import sheet

from .policy.reasons import FUND_CN, KIND_CN
from .queries.institutions import InstitutionList
from .queries.overview import DeterminationPage
from .queries.signoff import SignOffScreen

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
        ["", "合计", "", "", "", "", "", None, page.determined_total, None, ""],
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
