"""Strict marshmallow fields with Chinese messages, and errors as JSON pointers.

Shared by everything that reads outside data (the compute contract, policy
profiles, later the API): a float where money is expected, a bool where a
number is expected, an unknown field — each is refused, naming the field.
"""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any, Iterable, Iterator

from marshmallow import RAISE, Schema, ValidationError, fields, validate

MESSAGES = {
    "required": "缺少必填字段",
    "null": "不能为 null",
}


class StrictSchema(Schema):
    """Unknown fields are errors; messages are Chinese."""

    error_messages = {"unknown": "未知字段", "type": "须为 JSON 对象"}

    class Meta:
        unknown = RAISE


def _msgs(extra: dict[str, str] | None = None) -> dict[str, str]:
    return {**MESSAGES, **(extra or {})}


class DecimalString(fields.Field):
    """A decimal written as a JSON string ("1234.56"): floats and ints are refused
    because JSON numbers may have passed through binary floating point."""

    def __init__(self, *, places: int = 2, minimum: Decimal | None = None,
                 maximum: Decimal | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("error_messages", _msgs())
        super().__init__(**kwargs)
        self.places = places
        self.minimum = minimum
        self.maximum = maximum
        self.pattern = re.compile(r"^-?\d+(\.\d{1,%d})?$" % places if places else r"^-?\d+$")

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Decimal:
        if not isinstance(value, str):
            raise ValidationError(f"须为字符串形式的数字（如 \"1234.56\"），不接受 {_json_type(value)}")
        text = value.strip()
        if not self.pattern.match(text):
            raise ValidationError(f"“{value}”不是小数位不超过 {self.places} 位的数字")
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
    """Yuan with at most two decimals, never negative unless ``signed``."""
    signed = kwargs.pop("signed", False)
    return DecimalString(places=2, minimum=None if signed else Decimal(0), **kwargs)


class StrictInteger(fields.Field):
    def __init__(self, *, minimum: int | None = None, maximum: int | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("error_messages", _msgs())
        super().__init__(**kwargs)
        self.minimum, self.maximum = minimum, maximum

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError(f"须为整数，不接受 {_json_type(value)}")
        if self.minimum is not None and value < self.minimum:
            raise ValidationError(f"不能小于 {self.minimum}")
        if self.maximum is not None and value > self.maximum:
            raise ValidationError(f"不能大于 {self.maximum}")
        return value


class StrictBoolean(fields.Field):
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


def Text(**kwargs: Any) -> fields.String:
    kwargs.setdefault("validate", validate.Length(min=1, error="不能为空"))
    return fields.String(error_messages=_msgs({"invalid": "须为字符串"}), **kwargs)


def Date(**kwargs: Any) -> fields.Date:
    return fields.Date(
        format="iso", error_messages=_msgs({"invalid": "须为日期，格式 YYYY-MM-DD"}), **kwargs
    )


class Month(fields.Field):
    """A calendar month written "YYYY-MM", read as the first day of that month."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("error_messages", _msgs())
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> dt.date:
        if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}", value):
            raise ValidationError("须为月份，格式 YYYY-MM")
        year, month = int(value[:4]), int(value[5:])
        if not 1 <= month <= 12:
            raise ValidationError("须为月份，格式 YYYY-MM")
        return dt.date(year, month, 1)


def List(inner: fields.Field, **kwargs: Any) -> fields.List:
    return fields.List(inner, error_messages=_msgs({"invalid": "须为 JSON 数组"}), **kwargs)


def Nested(schema: type[Schema] | Schema, **kwargs: Any) -> fields.Nested:
    return fields.Nested(schema, error_messages=_msgs({"type": "须为 JSON 对象"}), **kwargs)


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
