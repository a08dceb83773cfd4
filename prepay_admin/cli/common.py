"""What the commands share: the session factory, the acting user, strict option types, and
one way to turn a refusal into a Chinese line on stderr with exit status 2."""
from __future__ import annotations

import datetime as dt
import getpass
import os
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, NoReturn, TypeVar

import click
from accounting.errors import LedgerError

from .. import clock, extensions
from ..services.errors import ServiceError
from ..validation import (
    INPUT_BYTES_MAX,
    MONEY_MAX,
    YEAR_MAX,
    YEAR_MIN,
    InputError,
    Money,
    parse_date,
    parse_month,
    read_json,
)

T = TypeVar("T")
ID_MAX = 2**31 - 1  # the databases' integer keys

# a service's field name → the command-line option that carries it (None: the message says enough)
OPTION_FOR_FIELD = {"on": "date", "today": "date", "submitted_on": "date", "paid_on": "date",
                    "registration_ref": "ref", "bank_ref": "bank-ref", "paid_from": "paid-from",
                    "valid_until": "valid-until", "approval": "approval", "parameter": "set", "region_code": "region-code",
                    "region_name": "region-name", "state": None}


def app_sessions():
    """The app's session factory, handed to services and queries (never opened here)."""
    return extensions.sessions()


def current_user() -> str:
    """Who runs the command: ``PREPAY_USER``, else the login name."""
    return os.environ.get("PREPAY_USER") or getpass.getuser()


def fail(lines: list[str] | str, status: int = 2) -> NoReturn:
    """Print each problem on its own line to stderr and exit (2: bad input)."""
    for line in [lines] if isinstance(lines, str) else lines:
        click.echo(line, err=True)
    sys.exit(status)


def run_service(action: Callable[[], T]) -> T:
    """Call a service or a query; a refusal becomes one line naming the option, and exit status 2."""
    try:
        return action()
    except (ServiceError, LedgerError) as err:
        option = OPTION_FOR_FIELD.get(err.field, err.field)
        fail(f"--{option}: {err.message}" if option else err.message)


def business_date(value: dt.date | None) -> dt.date:
    return value or clock.today()


def read_json_file(path: str, option: str) -> Any:
    """Read an input file the strict way (size, UTF-8, duplicate keys, nesting); exit 2 naming the option."""
    try:
        return read_json(read_bytes(path, option))
    except InputError as err:
        fail([f"--{option}: {p}: {m}" if p != "/" else f"--{option}: {m}" for p, m in err.problems])


def read_bytes(path: str, option: str) -> bytes:
    """A file's bytes (``-``: standard input), at most one byte past the input bound."""
    try:
        if path == "-":
            return sys.stdin.buffer.read(INPUT_BYTES_MAX + 1)
        with open(path, "rb") as f:
            return f.read(INPUT_BYTES_MAX + 1)
    except OSError as err:
        fail(f"--{option}: 无法读取文件 {path}（{err.strerror}）")


def write_file(path: Path, data: bytes, option: str = "xlsx") -> None:
    """Write an export; a missing folder or a refused path is a clear error, not a traceback."""
    try:
        path.write_bytes(data)
    except OSError as err:
        fail(f"--{option}: 无法写入 {path}（{err.strerror}）")


# -- strict option types: ASCII digits, the product's bounds, a Chinese message naming the option --

class _Strict(click.ParamType):
    def fail_cn(self, message: str, param, ctx) -> NoReturn:
        """The house style for bad input: ``--option: 中文说明`` on stderr, exit status 2."""
        name = param.opts[0] if param is not None and param.opts else (param.name if param else "")
        fail(f"{name}: {message}" if name else message)


class DateType(_Strict):
    name = "YYYY-MM-DD"

    def convert(self, value, param, ctx) -> dt.date:
        if isinstance(value, dt.date):
            return value
        day = parse_date(value)
        if day is None:
            self.fail_cn(f"“{value}”不是日期（YYYY-MM-DD，{YEAR_MIN}—{YEAR_MAX} 年）", param, ctx)
        return day


class PeriodType(_Strict):
    name = "YYYY-MM"

    def convert(self, value, param, ctx) -> str:
        if parse_month(value) is None:
            self.fail_cn(f"“{value}”不是会计期间（YYYY-MM，{YEAR_MIN}—{YEAR_MAX} 年）", param, ctx)
        return value


class YearType(_Strict):
    name = "YEAR"

    def convert(self, value, param, ctx) -> int:
        if isinstance(value, int):
            year = value
        elif isinstance(value, str) and value.isascii() and value.isdigit() and len(value) == 4:
            year = int(value)
        else:
            self.fail_cn(f"“{value}”不是年度（四位数字）", param, ctx)
        if not YEAR_MIN <= year <= YEAR_MAX:
            self.fail_cn(f"年度须在 {YEAR_MIN}—{YEAR_MAX} 之间", param, ctx)
        return year


class IdType(_Strict):
    name = "ID"

    def convert(self, value, param, ctx) -> int:
        if isinstance(value, int):
            return value
        if not (isinstance(value, str) and value.isascii() and value.isdigit() and 0 < len(value) <= 10
                and 0 < int(value) <= ID_MAX):
            self.fail_cn(f"“{value[:30]}”不是有效的编号（1—{ID_MAX} 的整数）", param, ctx)
        return int(value)


class MoneyType(_Strict):
    name = "AMOUNT"

    def convert(self, value, param, ctx) -> Decimal:
        if isinstance(value, Decimal):
            return value
        from marshmallow import ValidationError

        try:
            return Money().deserialize(value)
        except ValidationError as err:
            self.fail_cn(f"{err.messages[0]}（上限 {MONEY_MAX:,} 元）", param, ctx)


class TextType(_Strict):
    """Free text: not blank, at most ``max_length`` characters, encodable."""

    name = "TEXT"

    def __init__(self, max_length: int = 200) -> None:
        self.max_length = max_length

    def convert(self, value, param, ctx) -> str:
        text = value.strip()
        if not text or len(text) > self.max_length:
            self.fail_cn(f"须为 1—{self.max_length} 个字符", param, ctx)
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            self.fail_cn("含有无法编码的字符", param, ctx)
        return text


DATE = DateType()
PERIOD = PeriodType()
YEAR = YearType()
ID = IdType()
MONEY = MoneyType()
TEXT = TextType()
CODE = TextType(20)
