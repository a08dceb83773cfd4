"""Template filters that turn the dashboard's numbers into bar-chart rows and pixel widths.

Widths are computed in ``Decimal`` (amounts never pass through a float) and the bars are drawn by
``templates/_charts.html`` as inline SVG: no script and no asset from outside the site.
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from flask import Flask

from ..policy.money import fmt_wan


def months_cn(value) -> str:
    """Months as the texts write them: 1.5 个月, 12 个月 (no trailing zeros)."""
    text = f"{Decimal(value).normalize():f}"
    return f"{text} 个月"


def percent(value) -> str:
    """A ratio as 90% (四舍五入 to two decimals of a percent, trailing zeros dropped)."""
    text = f"{(Decimal(value) * 100).quantize(Decimal('0.01'), rounding=ROUND_HALF_UP).normalize():f}"
    return f"{text}%"


def bar(value, maximum, width: int) -> int:
    """The width in pixels of ``value`` on a scale where ``maximum`` fills ``width``."""
    value, maximum = Decimal(value), Decimal(maximum)
    if maximum <= 0 or value <= 0:
        return 0
    return int((value / maximum * width).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def fund_row(gate, fund_cn):
    """9§: a fund's payable months, with its threshold as a tick."""
    return (fund_cn[gate.fund], gate.payable_months, f"{months_cn(gate.payable_months)}（门槛 {months_cn(gate.threshold)}）",
            gate.threshold, "ok" if gate.open else "no")


def money_row(item, fund_cn):
    fund, amount = item
    return (fund_cn[fund], amount, f"{fmt_wan(amount)} 万元", None, fund)  # summaries in 万元 (issue 30)


def stage_row(stage):
    return (stage.label, stage.count, f"{stage.count} 家", None, stage.key)


def count_row(item):
    """DEPOSIT.md: a bin of published deposits ÷ reference, red from above the reference on."""
    label, count = item
    return (label, count, f"{count} 项", None, "no" if label.startswith("超出") else "ok")


def install(app: Flask) -> None:
    for f in (bar, fund_row, money_row, stage_row, count_row, months_cn, percent, fmt_wan):
        app.add_template_filter(f)
