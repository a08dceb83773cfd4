"""One cell of an import file, read strictly: text, dates, amounts, whole numbers, enumerations.

A cell arrives as CSV text or as what openpyxl read (str, int, float, bool, date, datetime, None).
Each reader returns the value or raises ``CellError`` with a Chinese message. Amounts never pass
through float arithmetic: a numeric cell is read through its shortest decimal form (``repr``) and
refused if that has more than two decimal places.
"""
from __future__ import annotations

import datetime as dt
import math
import re
from decimal import Decimal, InvalidOperation
from typing import Any, Mapping, cast

AMOUNT_MAX = Decimal("999999999999.99")  # hundreds of billions: more than any fund holds
_DATE_FORMS = (re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})"), re.compile(r"([0-9]{4})/([0-9]{1,2})/([0-9]{1,2})"),
               re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})"))
_MONTH_FORMS = (re.compile(r"([0-9]{4})-([0-9]{1,2})"), re.compile(r"([0-9]{4})/([0-9]{1,2})"),
                re.compile(r"([0-9]{4})([0-9]{2})"), re.compile(r"([0-9]{4})年([0-9]{1,2})月"))
_AMOUNT = re.compile(r"-?[0-9]+(\.[0-9]+)?")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_PLAIN_AMOUNT = re.compile(r"[0-9]{1,12}(\.[0-9]{1,2})?")  # the common case, read without further checks
YEARS = (2000, 2100)
_CENT = Decimal("0.01")


class CellError(ValueError):
    pass


def blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def text(value: object, max_length: int) -> str:
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        value = _number_text(value)
    if not isinstance(value, str):
        raise CellError("须为文本")
    value = value.strip()
    if len(value) > 1 and value[0] == "'" and value[1] in "=+-@":
        value = value[1:]  # the apostrophe an export put before a formula-like text (issue 28): read back as written
    if not value:
        raise CellError("不能为空")
    if len(value) > max_length:
        raise CellError(f"不能超过 {max_length} 个字符")
    if _CONTROL.search(value):
        raise CellError("含有控制字符")
    return value


def date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        if value.time() != dt.time():
            raise CellError("须为日期（不含时间）")
        value = value.date()
    if isinstance(value, dt.date):
        return _in_years(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = _number_text(value)  # 20250101 typed as a number
    if isinstance(value, str):
        raw = value.strip()
        for form in _DATE_FORMS:
            m = form.fullmatch(raw)
            if m and raw.isascii():
                try:
                    return _in_years(dt.date(int(m[1]), int(m[2]), int(m[3])))
                except ValueError:
                    raise CellError(f"“{raw}”不是有效日期") from None
    raise CellError("日期须为 2025-01-01、2025/1/1 或 20250101")


def month(value: Any) -> dt.date:
    """A settlement month (结算年月) as its first day."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return _in_years(value.replace(day=1))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = _number_text(value)
    if isinstance(value, str):
        raw = value.strip()
        if len(raw) == 7 and raw[4] == "-" and raw[:4].isdigit() and raw[5:].isdigit() and raw.isascii() \
                and 1 <= int(raw[5:]) <= 12:
            return _in_years(dt.date(int(raw[:4]), int(raw[5:]), 1))
        for form in _MONTH_FORMS:
            m = form.fullmatch(raw)
            if m and raw.replace("年", "").replace("月", "").isascii() and 1 <= int(m[2]) <= 12:
                return _in_years(dt.date(int(m[1]), int(m[2]), 1))
    raise CellError("结算年月须为 2025-01、2025/1 或 202501")


def amount(value: Any, *, negative: bool = False) -> Decimal:
    """Yuan with at most two decimals; numeric cells through their shortest decimal form."""
    if value.__class__ is str and _PLAIN_AMOUNT.fullmatch(value):
        return Decimal(value).quantize(_CENT)
    if isinstance(value, bool):
        raise CellError("须为金额")
    if isinstance(value, (int, float, Decimal)):
        raw = _number_text(value)
    elif isinstance(value, str):
        raw = value.strip().replace(",", "")
    else:
        raise CellError("须为金额")
    if not raw.isascii() or not _AMOUNT.fullmatch(raw):
        raise CellError(f"“{str(value)[:20]}”不是有效金额（阿拉伯数字，最多两位小数）")
    number = Decimal(raw)
    if -cast(int, number.as_tuple().exponent) > 2:  # finite: the pattern admits digits only
        raise CellError(f"金额 {raw} 超过两位小数")
    if number < 0 and not negative:
        raise CellError("金额不能为负数")
    if abs(number) > AMOUNT_MAX:
        raise CellError("金额超出范围")
    return number.quantize(_CENT)


def score(value: Any) -> Decimal:
    """A performance score: 0–100 with at most two decimals."""
    number = amount(value)
    if number > 100:
        raise CellError("得分须在 0—100 之间")
    return number


def whole(value: Any, low: int, high: int) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and value.strip().isascii() and value.strip().isdigit() and len(value.strip()) <= 9:
        number = int(value.strip())
    else:
        raise CellError("须为整数")
    if not low <= number <= high:
        raise CellError(f"须在 {low}—{high} 之间")
    return number


def year(value: Any) -> int:
    return whole(value, *YEARS)


def choice(value: Any, options: Mapping[str, Any]) -> Any:
    """One of the Chinese names in ``options`` (their values are what is stored)."""
    raw = text(value, 60)
    if raw not in options:
        raise CellError(f"须为 {'、'.join(dict.fromkeys(k for k in options if not k.isascii()))} 之一")
    return options[raw]


def _number_text(value: int | float | Decimal) -> str:
    if isinstance(value, float):
        if not math.isfinite(value):  # a spreadsheet's NaN or infinity is no amount
            raise CellError("不是有效数字")
        text_ = repr(value)  # the shortest string that reads back as this float
        if "e" in text_ or "E" in text_:
            try:
                text_ = format(Decimal(text_), "f")
            except InvalidOperation:
                raise CellError("不是有效数字") from None
        return text_[:-2] if text_.endswith(".0") else text_
    return format(value, "f") if isinstance(value, Decimal) else str(value)


def _in_years(day: dt.date) -> dt.date:
    if not YEARS[0] <= day.year <= YEARS[1]:
        raise CellError(f"日期须在 {YEARS[0]}—{YEARS[1]} 年之间")
    return day


_MOMENT = re.compile(r"([0-9]{4})[-/]([0-9]{1,2})[-/]([0-9]{1,2})[ T]([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?")
BEIJING = dt.timezone(dt.timedelta(hours=8))


def moment(value: Any) -> dt.datetime:
    """A time of day in Beijing (结算时间): 2025-01-05 10:30[:00], 2025/1/5 10:30, or a spreadsheet's date
    and time; a date alone is its midnight. Returned in UTC, as the database keeps times."""
    if isinstance(value, dt.datetime):
        local = value
    elif isinstance(value, dt.date):
        local = dt.datetime.combine(value, dt.time())
    elif isinstance(value, str) and value.strip().isascii():
        raw = value.strip()
        m = _MOMENT.fullmatch(raw)
        if m is None:
            return moment(date(raw))
        try:
            local = dt.datetime(int(m[1]), int(m[2]), int(m[3]), int(m[4]), int(m[5]), int(m[6] or 0))
        except ValueError:
            raise CellError(f"“{raw}”不是有效的日期时间") from None
    else:
        raise CellError("时间须为 2025-01-05 10:30:00 或 2025-01-05")
    _in_years(local.date())
    return local.replace(tzinfo=BEIJING).astimezone(dt.timezone.utc)
