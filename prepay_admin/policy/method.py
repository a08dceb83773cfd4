"""The calculation method in words (13§, 22§(一)): what signers read and what the public list states.

Written from the year's effective profile, so an override (14§) shows in the words too.
"""
from __future__ import annotations

from decimal import Decimal

from .money import fmt_yuan_cn
from .profile import PolicyProfile

GRADE_ORDER = ("A", "B", "C", "D")


def _num(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _yuan(value: Decimal) -> str:
    """Whole yuan without decimals (10,000), else with them."""
    return f"{value:,.0f}" if value == value.to_integral_value() else fmt_yuan_cn(value)


def _percent(value: Decimal) -> str:
    return f"{_num(value * 100)}%"


UNIT_CN = {Decimal(10000): "万元", Decimal(1000): "千元", Decimal(100): "百元", Decimal(10): "十元", Decimal(1): "元"}


def rounding_unit_cn(unit: Decimal) -> str:
    """The profile's rounding unit as a table heading says it (13§: 取整到万元; another region's 千元)."""
    return UNIT_CN.get(unit.normalize(), f"{_yuan(unit)} 元")


def describe_method(profile: PolicyProfile) -> tuple[str, ...]:
    """The method as numbered sentences, in Chinese."""
    a = profile.amount
    window = "上年" if a.base_years == 1 else f"前 {a.base_years} 年"
    base = f"以{window}月均医保基金支付额为基数" + ("（不含异地就医）" if a.base_excludes_out_of_region else "")
    if a.base_months_from_settlement_start:
        base += "，结算不足期间的按实际结算月数平均"
    bands = sorted(a.months_by_score, key=lambda b: b.min_score)
    parts = []
    for band, above in zip(bands, [*bands[1:], None]):
        scope = f"绩效评分 {_num(band.min_score)} 分及以上" if band.min_score > 0 else "各机构"
        if above is not None:
            scope += f"、不足 {_num(above.min_score)} 分"
        parts.append(f"{scope} {_num(band.months)} 个月")
    months = "；".join(parts)
    bonus = a.resident_share_bonus
    if bonus is not None:
        months += (f"；{_num(bonus.min_score)} 分及以上且居民医保基金支付占比超过 {_percent(bonus.share_above)} 的，"
                   f"另加 {_num(bonus.months)} 个月")
    grades = [g for g in GRADE_ORDER if g in {k.value for k in a.ratio_by_grade}]
    ratios = {k.value: v for k, v in a.ratio_by_grade.items()}
    if len({ratios[g] for g in grades}) == 1:
        ratio = f"各等级均为 {_percent(ratios[grades[0]])}"
    else:
        ratio = "、".join(f"{g} 级 {_percent(ratios[g])}" for g in grades)
    rounding = "四舍五入" if a.rounding_mode == "half_up" else "向下取整"
    lines = [
        f"{base}，职工医保统筹基金与居民医保基金分别计算。",
        f"预付月数：{months}。",
        f"预付比例按诚信服务信用等级：{ratio}。",
        f"预付金额 = 基数 × 月数 × 比例，取整到 {_yuan(a.rounding_unit)} 元（{rounding}）；"
        f"不足 {_yuan(a.minimum)} 元的不实行预付。",
    ]
    if a.cap_by_security:
        lines.append("预付金额以机构提供的担保、抵押额度为限，一份担保覆盖两项基金合计；超过时按比例分摊，"
                     "分摊后不足最低额的基金不实行预付。")
    return tuple(f"{i}. {line}" for i, line in enumerate(lines, start=1))
