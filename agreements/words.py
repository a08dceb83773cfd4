"""Money in Chinese uppercase (中文大写金额), as 《正确填写票据和结算凭证的基本规定》 writes it.

- digits 零壹贰叁肆伍陆柒捌玖 and units 拾佰仟万亿, "人民币" before, "元角分" after;
- "整" after 元 when there are no 角 or 分; none after 角 or 分 (¥1,409.50 → 人民币壹仟肆佰零玖元伍角);
- a run of zeros between digits is one 零 (¥6,007.14 → 人民币陆仟零柒元壹角肆分); where the run ends at
  the 万 (or 亿) digit and the 仟 digit after it is not zero, the unit word stands for it and no 零 is
  written; a zero 元 digit before 角 or 分 is written 零 (¥107,000.53 → 人民币壹拾万柒仟元零伍角叁分);
- the leading ten is 壹拾 (¥15 → 人民币壹拾伍元整).
"""
from __future__ import annotations

from decimal import Decimal

DIGITS = "零壹贰叁肆伍陆柒捌玖"
SMALL_UNITS = ("", "拾", "佰", "仟")
GROUP_UNITS = ("", "万", "亿")
LIMIT = Decimal("1000000000000")  # up to 9,999 亿 (hundreds of billions)


def in_words(amount: Decimal) -> str:
    """``Decimal("1670000")`` → ``人民币壹佰陆拾柒万元整``; negative, float, more than two decimals or
    a trillion and more are refused."""
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise TypeError("金额须为 Decimal")
    if amount < 0:
        raise ValueError("大写金额不能为负数")
    if amount != amount.quantize(Decimal("0.01")):
        raise ValueError("金额最多两位小数")
    if amount >= LIMIT:
        raise ValueError("金额须小于壹万亿元")
    fen_total = int(amount * 100)
    yuan, jiao, fen = fen_total // 100, fen_total // 10 % 10, fen_total % 10
    text = _integer(yuan)
    if yuan:
        text += "元"
    if not jiao and not fen:
        return "人民币" + (text if yuan else "零元") + "整"
    if yuan and yuan % 10 == 0 or (yuan and not jiao):
        text += "零"  # 元位是 0 (¥107,000.53 → …元零伍角), or 角位是 0 before the 分 (…玖元零伍分)
    if jiao:
        text += DIGITS[jiao] + "角"
    if fen:
        text += DIGITS[fen] + "分"
    return "人民币" + text


def _integer(number: int) -> str:
    """The 元 part: digits from the highest, units, one 零 per run of zeros between digits."""
    if number == 0:
        return ""
    digits = [int(d) for d in str(number)]
    top = len(digits) - 1
    out: list[str] = []
    zeros_from: int | None = None  # the highest position of the pending run of zeros
    for i, digit in enumerate(digits):
        position = top - i
        if digit == 0:
            if zeros_from is None and out:
                zeros_from = position
        else:
            if zeros_from is not None and not _unit_stands_for_zero(zeros_from, position):
                out.append("零")
            zeros_from = None
            out.append(DIGITS[digit] + SMALL_UNITS[position % 4])
        if position % 4 == 0 and position and any(digits[max(0, i - 3):i + 1]):
            out.append(GROUP_UNITS[position // 4])
    return "".join(out)


def _unit_stands_for_zero(zeros_from: int, next_position: int) -> bool:
    """The run of zeros reaches down to the 万 (or 亿) digit and the next digit is the 仟 below it: the
    unit word is written there, and 零 may be left out (the standard allows either; we leave it out)."""
    return next_position % 4 == 3 and zeros_from >= next_position + 1
