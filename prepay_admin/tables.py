"""Plain-text Chinese tables for the terminal, aligned for CJK double-width characters."""
from __future__ import annotations

import unicodedata
from typing import Sequence

from .policy.engine import Evaluation
from .policy.facts import Fund
from .policy.money import fmt_yuan_cn
from .policy.reasons import FUND_CN


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def render(headers: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[int] = ()) -> str:
    widths = [max([_width(h)] + [_width(r[i]) for r in rows]) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        out = []
        for i, cell in enumerate(cells):
            pad = " " * (widths[i] - _width(cell))
            out.append(pad + cell if i in right else cell + pad)
        return "  ".join(out).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), rule, *(line(r) for r in rows)])


def evaluation_table(ev: Evaluation) -> str:
    """The what-if result as staff read it: fund gates, then one row per institution and fund."""
    out = [f"{ev.year} 年度医保预付金测算（政策参数方案：{ev.profile}）", "", "一、基金可支付月数"]
    out.append(render(
        ["基金", "可支付月数", "结论", "原因"],
        [[FUND_CN[g.fund], str(g.payable_months), "可以预付" if g.open else "不予预付",
          "；".join(f"{r.message}（{r.article}）" for r in g.reasons)] for g in ev.funds],
        right=[1],
    ))
    out += ["", "二、定点医疗机构预付金额"]
    rows: list[list[str]] = []
    for r in ev.institutions:
        if not r.eligible:
            rows.append([r.code, r.name, "不符合", "", "", "", "", "", "0.00",
                         "；".join(f"{x.message}（{x.article}）" for x in r.reasons)])
            continue
        for a in r.advances:
            rows.append([r.code, r.name, FUND_CN[a.fund], str(r.months), str(r.ratio), fmt_yuan_cn(a.base),
                         fmt_yuan_cn(a.raw), fmt_yuan_cn(a.rounded), fmt_yuan_cn(a.amount),
                         "；".join(f"{x.message}（{x.article}）" for x in a.reasons)])
    out.append(render(
        ["机构编码", "机构名称", "基金", "月数", "比例", "预付基数", "测算金额", "取整金额", "预付金额", "说明"],
        rows, right=[3, 4, 5, 6, 7, 8],
    ))
    eligible = sum(1 for r in ev.institutions if r.eligible)
    paid = sum(1 for r in ev.institutions if r.total > 0)
    out += [
        "",
        f"合计：机构 {len(ev.institutions)} 家，符合条件 {eligible} 家，获得预付 {paid} 家；"
        f"职工 {fmt_yuan_cn(ev.total_for(Fund.EMPLOYEE))} 元，居民 {fmt_yuan_cn(ev.total_for(Fund.RESIDENT))} 元，"
        f"总计 {fmt_yuan_cn(ev.total_for())} 元",
    ]
    return "\n".join(out)
