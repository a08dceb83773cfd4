"""Template filters that turn the dashboard's numbers into bar-chart rows and pixel widths.

Widths are computed in ``Decimal`` (amounts never pass through a float) and the bars are drawn by
``templates/_charts.html`` as inline SVG: no script and no asset from outside the site.
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from flask import Flask

from ..policy.money import fmt_yuan_cn


def bar(value, maximum, width: int) -> int:
    """The width in pixels of ``value`` on a scale where ``maximum`` fills ``width``."""
    value, maximum = Decimal(value), Decimal(maximum)
    if maximum <= 0 or value <= 0:
        return 0
    return int((value / maximum * width).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def fund_row(gate, fund_cn):
    """9§: a fund's payable months, with its threshold as a tick."""
    return (fund_cn[gate.fund], gate.payable_months, f"{gate.payable_months} 个月（门槛 {gate.threshold}）",
            gate.threshold, "ok" if gate.open else "no")


def money_row(item, fund_cn):
    fund, amount = item
    return (fund_cn[fund], amount, f"{fmt_yuan_cn(amount)} 元", None, fund)


def stage_row(stage):
    return (stage.label, stage.count, f"{stage.count} 家", None, stage.key)


def install(app: Flask) -> None:
    for f in (bar, fund_row, money_row, stage_row):
        app.add_template_filter(f)
