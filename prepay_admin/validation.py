"""Strict marshmallow fields with Chinese messages, and errors as JSON pointers.

Shared by everything that reads outside data (the compute contract, policy
profiles, later the API): a float where money is expected, a bool where a
number is expected, an unknown field — each is refused, naming the field.
"""
from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Any, Iterable, Iterator

from marshmallow import RAISE, Schema, ValidationError, fields, validate
from marshmallow.types import ErrorMessages

# Bounds on outside input (documented in docs/compute-contract.md): beyond them a value is a typo or an attack.
MONEY_MAX = Decimal("10000000000000")  # 10^13 yuan
YEAR_MIN, YEAR_MAX = 2000, 2100
INTEGER_DIGITS_MAX = 18  # fits a 64-bit column

MESSAGES = {
    "required": "缺少必填字段",
    "null": "不能为 null",
}


# what the fields below accept, as the OpenAPI document states it (issue 28: the document must be no
# looser than the validation); ECMA-262 patterns, anchored
YEAR_PATTERN = "(20[0-9]{2}|2100)"
assert (YEAR_MIN, YEAR_MAX) == (2000, 2100), "YEAR_PATTERN states 2000—2100"
MONTH_PATTERN = f"^{YEAR_PATTERN}-(0[1-9]|1[0-2])$"
DATE_PATTERN = f"^{YEAR_PATTERN}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"  # with format: date, a real day


def decimal_pattern(places: int, minimum: Decimal | None, maximum: Decimal | None) -> str:
    """A pattern that accepts only what ``DecimalString``'s check accepts (issue 28: the OpenAPI document
    must not be looser than the validation), and all of it but leading zeros: the sign only where the range
    is symmetric about zero, the integer part up to a whole maximum (that maximum itself with a zero
    fraction only), zero left out where the minimum is the smallest positive amount. A range it cannot
    state exactly is refused, so that no field documents more than it takes."""
    fraction = r"(\.[0-9]{1,%d})?" % places if places else ""
    zero_fraction = r"(\.0{1,%d})?" % places if places else ""
    if maximum is None:
        if minimum is not None:
            raise ValueError("a minimum without a maximum is not stated as a pattern")
        return f"^-?[0-9]{{1,{INTEGER_DIGITS_MAX}}}{fraction}$"
    if maximum != maximum.to_integral_value() or maximum <= 0:
        raise ValueError(f"a maximum of {maximum} is not stated as a pattern")
    below = [f"({alternative}){fraction}" for alternative in _integers_below(int(maximum))]
    magnitude = "|".join(below + [f"{int(maximum)}{zero_fraction}"])
    if minimum is not None and minimum < 0:
        if minimum != -maximum:
            raise ValueError(f"a range of {minimum}—{maximum} is not stated as a pattern")
        return f"^-?({magnitude})$"
    if minimum is None or minimum == 0:
        return f"^({magnitude})$"
    if places and minimum == Decimal(1).scaleb(-places):  # the smallest positive amount: any but zero
        nonzero = "|".join("0" * lead + "[1-9]" + (f"[0-9]{{0,{places - 1 - lead}}}" if places - 1 - lead else "")
                           for lead in range(places))
        positive = [f"({alternative}){fraction}" for alternative in _integers_below(int(maximum)) if alternative != "0"]
        return f"^(0\\.({nonzero})|{'|'.join(positive + [f'{int(maximum)}{zero_fraction}'])})$"
    raise ValueError(f"a minimum of {minimum} is not stated as a pattern")


def _integers_below(bound: int) -> list[str]:
    """Patterns that together match the integers 0 … bound - 1, written without leading zeros."""
    digits = str(bound)
    out = ["0"] if bound > 0 else []
    for length in range(1, len(digits)):  # every shorter number
        out.append("[1-9]" + (f"[0-9]{{{length - 1}}}" if length > 1 else ""))
    for i, d in enumerate(digits):  # as long as the bound: equal up to i, smaller at i, anything after
        low = 1 if i == 0 else 0
        if int(d) > low:
            rest = len(digits) - i - 1
            out.append(digits[:i] + f"[{low}-{int(d) - 1}]" + (f"[0-9]{{{rest}}}" if rest else ""))
    if len(digits) == 1:  # a one-digit bound: 0 and 1 … bound - 1
        return ["0"] + ([f"[1-{bound - 1}]"] if bound > 1 else [])
    return out


class StrictSchema(Schema):
    """Unknown fields are errors; messages are Chinese."""

    error_messages = {"unknown": "未知字段", "type": "须为 JSON 对象"}

    class Meta:
        unknown = RAISE


def _msgs(extra: dict[str, str] | None = None) -> ErrorMessages:
    return {**MESSAGES, **(extra or {})}


class DecimalString(fields.Field[Decimal]):
    """A decimal written as a JSON string ("1234.56"): floats and ints are refused
    because JSON numbers may have passed through binary floating point."""

    def __init__(self, *, places: int = 2, minimum: Decimal | None = None,
                 maximum: Decimal | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("error_messages", _msgs())
        super().__init__(**kwargs)
        self.places = places
        self.minimum = minimum
        self.maximum = maximum
        # ASCII digits only: full-width or Arabic-Indic digits are not money (re's \d would take them)
        self.pattern = re.compile(r"-?[0-9]{1,%d}(\.[0-9]{1,%d})?" % (INTEGER_DIGITS_MAX, places) if places
                                  else r"-?[0-9]{1,%d}" % INTEGER_DIGITS_MAX)

    def openapi(self) -> dict[str, Any]:
        return {"pattern": decimal_pattern(self.places, self.minimum, self.maximum)}

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Decimal:
        if not isinstance(value, str):
            raise ValidationError(f"须为字符串形式的数字（如 \"1234.56\"），不接受 {_json_type(value)}")
        text = value.strip()
        if not self.pattern.fullmatch(text):
            shown = value if len(value) <= 30 else value[:30] + "…"
            raise ValidationError(f"“{shown}”不是有效的数字（ASCII 数字，整数部分至多 {INTEGER_DIGITS_MAX} 位，"
                                  f"小数位不超过 {self.places} 位）")
        try:
            number = Decimal(text)
        except InvalidOperation:  # pragma: no cover - the pattern already guarantees it
            raise ValidationError(f"“{value}”不是数字") from None
        if self.minimum is not None and number < self.minimum:
            raise ValidationError(f"不能小于 {self.minimum}")
        if self.maximum is not None and number > self.maximum:
            raise ValidationError(f"不能大于 {self.maximum}")
        return number


def Money(**kwargs: Any) -> DecimalString:
    """Yuan with at most two decimals, at most ``MONEY_MAX`` either way, never negative unless ``signed``."""
    signed = kwargs.pop("signed", False)
    return DecimalString(places=2, minimum=-MONEY_MAX if signed else Decimal(0), maximum=MONEY_MAX, **kwargs)


class StrictInteger(fields.Field[int]):
    def __init__(self, *, minimum: int | None = None, maximum: int | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("error_messages", _msgs())
        super().__init__(**kwargs)
        self.minimum, self.maximum = minimum, maximum

    def openapi(self) -> dict[str, Any]:
        return {k: v for k, v in (("minimum", self.minimum), ("maximum", self.maximum)) if v is not None}

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError(f"须为整数，不接受 {_json_type(value)}")
        if self.minimum is not None and value < self.minimum:
            raise ValidationError(f"不能小于 {self.minimum}")
        if self.maximum is not None and value > self.maximum:
            raise ValidationError(f"不能大于 {self.maximum}")
        return value


class StrictBoolean(fields.Field[bool]):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("error_messages", _msgs())
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise ValidationError(f"须为 true 或 false，不接受 {_json_type(value)}")
        return value


def Choice(choices: Iterable[str], **kwargs: Any) -> fields.String:
    choices = list(choices)
    return fields.String(
        validate=validate.OneOf(choices, error="“{input}”不在可选值之内：{choices}"),
        error_messages=_msgs({"invalid": "须为字符串"}),
        **kwargs,
    )


def Text(max_length: int = 200, **kwargs: Any) -> fields.String:
    kwargs.setdefault("validate", validate.Length(min=1, max=max_length, error=f"须为 1—{max_length} 个字符"))
    return fields.String(error_messages=_msgs({"invalid": "须为字符串"}), **kwargs)


def visible_text(raw: object, max_length: int) -> str | None:
    """Free text a person writes (a reason, an opinion): stripped, 1—``max_length`` characters, with no control
    character and no invisible or direction-changing one (NUL, U+202E, zero-width …: unicode categories Cc and
    Cf), else None — the same answer on every database."""
    if not isinstance(raw, str):
        return None
    text = raw.strip()
    if not 1 <= len(text) <= max_length or any(unicodedata.category(ch) in ("Cc", "Cf") for ch in text):
        return None
    return text


def parse_count(raw: object, low: int, high: int) -> int | None:
    """A whole number written in ASCII digits (no sign, no space, no full-width or other script's digits,
    which str.isdigit would take) within ``low``…``high``, else None: the one reading of a number typed
    into a query, a form or the console (issue 29: it was written twelve times)."""
    if not (isinstance(raw, str) and raw.isascii() and raw.isdigit()) or len(raw) > max(len(str(high)), 1) + 2:
        return None
    value = int(raw)
    return value if low <= value <= high else None


def parse_date(value: str) -> dt.date | None:
    """``YYYY-MM-DD`` in ASCII digits within the years the product keeps, else None."""
    if not isinstance(value, str) or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value, re.ASCII):
        return None
    try:
        day = dt.date(int(value[:4]), int(value[5:7]), int(value[8:]))
    except ValueError:
        return None
    return day if YEAR_MIN <= day.year <= YEAR_MAX else None


def parse_month(value: str) -> dt.date | None:
    """``YYYY-MM`` in ASCII digits within the years the product keeps, as its first day; else None."""
    if not isinstance(value, str) or not re.fullmatch(r"[0-9]{4}-[0-9]{2}", value, re.ASCII):
        return None
    year, month = int(value[:4]), int(value[5:])
    if not (YEAR_MIN <= year <= YEAR_MAX and 1 <= month <= 12):
        return None
    return dt.date(year, month, 1)


class Date(fields.Field[dt.date]):
    """A date written ``YYYY-MM-DD`` (ASCII digits, years 2000–2100)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("error_messages", _msgs())
        super().__init__(**kwargs)

    def openapi(self) -> dict[str, Any]:
        return {"pattern": DATE_PATTERN}

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> dt.date:
        day = parse_date(value)
        if day is None:
            raise ValidationError(f"须为日期，格式 YYYY-MM-DD，年份 {YEAR_MIN}—{YEAR_MAX}")
        return day


class Month(fields.Field[dt.date]):
    """A calendar month written "YYYY-MM", read as the first day of that month."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("error_messages", _msgs())
        super().__init__(**kwargs)

    def openapi(self) -> dict[str, Any]:
        return {"pattern": MONTH_PATTERN}

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> dt.date:
        month = parse_month(value)
        if month is None:
            raise ValidationError(f"须为月份，格式 YYYY-MM，年份 {YEAR_MIN}—{YEAR_MAX}")
        return month


def Mapping(keys: fields.Field[Any], values: fields.Field[Any], **kwargs: Any) -> fields.Dict:
    """A table of named values (a TOML table, a JSON object), with Chinese messages."""
    return fields.Dict(keys=keys, values=values, error_messages=_msgs({"invalid": "须为表（名称 = 值）"}), **kwargs)


def List(inner: fields.Field[Any], **kwargs: Any) -> fields.List[Any]:
    return fields.List(inner, error_messages=_msgs({"invalid": "须为 JSON 数组"}), **kwargs)


def Nested(schema: type[Schema] | Schema, **kwargs: Any) -> fields.Nested:
    return fields.Nested(schema, error_messages=_msgs({"type": "须为 JSON 对象"}), **kwargs)


INPUT_BYTES_MAX = 64 * 1024 * 1024  # a what-if of 100,000 institutions is about 40 MiB
NESTING_MAX = 32  # the contract nests 4 deep


class InputError(ValueError):
    """Outside input that cannot even be read: ``problems`` are (JSON pointer, message) pairs."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        super().__init__("\n".join(f"{p}: {m}" for p, m in problems))


class FloatMarker(float):
    """A JSON number with a fraction (or NaN/Infinity). Kept, not refused at parse
    time, so that the strict field it lands in refuses it and names the field."""

    def __new__(cls, text: str) -> "FloatMarker":
        return super().__new__(cls, text)


def read_json(raw: bytes) -> Any:
    """Decode outside JSON strictly: bounded size, UTF-8 (a BOM allowed), no duplicate keys,
    bounded nesting and integers, no lone surrogates. Raises ``InputError`` naming the problem."""
    if len(raw) > INPUT_BYTES_MAX:
        raise InputError([("/", f"输入超过 {INPUT_BYTES_MAX // 1024 // 1024} MiB")])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise InputError([("/", f"须为 UTF-8 编码的文本（第 {err.start + 1} 个字节无法解码）")]) from None
    try:
        data = json.loads(text, parse_float=FloatMarker, parse_constant=FloatMarker, parse_int=_bounded_int,
                          object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as err:
        raise InputError([("/", f"不是有效的 JSON：第 {err.lineno} 行第 {err.colno} 列，{err.msg}")]) from None
    except RecursionError:
        raise InputError([("/", f"嵌套层数过多（不超过 {NESTING_MAX} 层）")]) from None
    except _Refused as err:
        raise InputError([("/", str(err))]) from None
    problems = list(_walk(data, "", 0))
    if problems:
        raise InputError(problems[:20])
    return data


class _Refused(ValueError):
    pass


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > INTEGER_DIGITS_MAX:
        raise _Refused(f"整数 {text[:20]}… 超过 {INTEGER_DIGITS_MAX} 位")
    return int(text)


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for key, value in pairs:
        if key in data:
            raise _Refused(f"字段“{key}”重复出现（不取其中任何一个）")
        data[key] = value
    return data


def _walk(value: Any, pointer: str, depth: int) -> Iterator[tuple[str, str]]:
    if depth > NESTING_MAX:
        yield (pointer or "/", f"嵌套层数过多（不超过 {NESTING_MAX} 层）")
        return
    if isinstance(value, str):
        if not _encodable(value):
            yield (pointer or "/", "含有无法编码的字符（孤立的代理项）")
    elif isinstance(value, dict):
        for key, item in value.items():
            if not _encodable(key):
                yield (pointer or "/", "字段名含有无法编码的字符")
                continue
            yield from _walk(item, f"{pointer}/{_escape(key)}", depth + 1)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _walk(item, f"{pointer}/{i}", depth + 1)


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


def pointer_errors(messages: Any, prefix: str = "") -> Iterator[tuple[str, str]]:
    """Flatten marshmallow's nested messages into (JSON pointer, message) pairs."""
    if isinstance(messages, dict):
        for key, value in messages.items():
            path = prefix if key == "_schema" else f"{prefix}/{_escape(key)}"
            yield from pointer_errors(value, path)
    elif isinstance(messages, (list, tuple)):
        for item in messages:
            if isinstance(item, (dict, list, tuple)):
                yield from pointer_errors(item, prefix)
            else:
                yield (prefix or "/", str(item))
    else:
        yield (prefix or "/", str(messages))


def _escape(key: Any) -> str:
    return str(key).replace("~", "~0").replace("/", "~1")


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "布尔值"
    if isinstance(value, float):
        return f"浮点数 {value!r}"
    if isinstance(value, int):
        return f"数字 {value}"
    if isinstance(value, (list, tuple)):
        return "数组"
    if isinstance(value, dict):
        return "对象"
    return f"“{value}”"
