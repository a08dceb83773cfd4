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
from ..services.errors import Refused, ServiceError
from ..services.identity import authenticate_token, log_event
from ..validation import (
    INPUT_BYTES_MAX,
    MONEY_MAX,
    YEAR_MAX,
    YEAR_MIN,
    InputError,
    Money,
    parse_count,
    parse_date,
    parse_month,
    read_json,
)

T = TypeVar("T")
ID_MAX = 2**31 - 1  # the databases' integer keys

# A service names the parameter it refuses (``ServiceError.field``); the console finds the option that
# carries it (issue 29: a table of thirty entries did this by hand, and drifted): see ``option_for``.
NO_OPTION = ("user", "token", "state")  # who may act, or where the object stands: the message says enough
DATE_FIELDS = ("on", "today")  # and every ``*_on``: the business date of the command's date option


def option_for(field: str | None) -> str | None:
    """The command-line option (or argument) that carries the service's parameter ``field``: the option
    whose parameter has that name, else one whose name begins or ends with it (``region`` →
    ``region_code``, ``hash`` → ``seen_hash``), for a date the command's date option, else an argument
    of that name; the field's own name as an option when nothing carries it (a file read under that
    name); None when the message says enough."""
    if field is None or field in NO_OPTION:
        return None
    ctx = click.get_current_context(silent=True)
    params = ctx.command.params if ctx is not None else []
    options = [p for p in params if isinstance(p, click.Option) and p.opts and p.name]
    for matches in (lambda n: n == field, lambda n: n.startswith(f"{field}_"), lambda n: n.endswith(f"_{field}")):
        found = [option for option in options if matches(option.name)]
        if len(found) == 1:
            return _flag(found[0])
    if field in DATE_FIELDS or field.endswith("_on"):
        dates = [option for option in options if isinstance(option.type, DateType)]
        if len(dates) == 1:
            return _flag(dates[0])
    for param in params:
        if isinstance(param, click.Argument) and param.name == field:
            return param.human_readable_name
    return field.replace("_", "-")


def _flag(option: click.Option) -> str:
    longs = [o for o in option.opts if o.startswith("--")]
    return (longs or option.opts)[0].lstrip("-")


def app_sessions():
    """The app's session factory, handed to services and queries (never opened here)."""
    return extensions.sessions()


TOKEN_ENV = "PREPAY_TOKEN"


def token_file() -> Path:
    """Where ``prepay-admin login`` keeps the console's token (mode 0600)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "prepay-admin" / "token"


def acting_user() -> str:
    """The member of staff a business command acts as: the user of ``PREPAY_TOKEN`` or of the
    token ``prepay-admin login`` stored. Never a name taken on trust."""
    ctx = click.get_current_context()
    if "prepay_user" not in ctx.meta:
        token = os.environ.get(TOKEN_ENV)
        if not token and token_file().is_file():
            token = token_file().read_text(encoding="utf-8").strip()
        if not token:
            fail("未登录：请先运行 prepay-admin login（或设置环境变量 PREPAY_TOKEN）")
        who = run_service(lambda: authenticate_token(app_sessions(), token))
        ctx.meta["prepay_user"], ctx.meta["prepay_identity"] = who.username, who
    return ctx.meta["prepay_user"]


def acting_identity():
    """The member of staff a business command acts as, with their department and regions."""
    acting_user()
    return click.get_current_context().meta["prepay_identity"]


def operator() -> str:
    """Who runs an operator command (migrations, users, the demo): the OS login, recorded."""
    return getpass.getuser()


def fail(lines: list[str] | str, status: int = 2) -> NoReturn:
    """Print each problem on its own line to stderr and exit (2: bad input)."""
    for line in [lines] if isinstance(lines, str) else lines:
        click.echo(line, err=True)
    sys.exit(status)


REFUSALS = ("user", "region")  # a service's field when the actor may not act: logged as refused


def run_service(action: Callable[[], T]) -> T:
    """Call a service or a query; a refusal becomes one line naming the option, and exit status 2.
    An action refused to the member of staff is recorded in the audit events."""
    try:
        return action()
    except (ServiceError, LedgerError) as err:
        if err.field in REFUSALS:
            actor = click.get_current_context().meta.get("prepay_user", operator())
            log_event(app_sessions(), actor, "refused", f"{' '.join(sys.argv[1:3])}：{err.message}")
        option = option_for(err.field)
        prefix = "" if option is None else (f"{option}: " if option.isupper() else f"--{option}: ")
        if isinstance(err, Refused):  # refused whole: every problem on its own line
            fail([f"{prefix}共 {err.total:,} 处错误，未作保存："]
                 + [f"  {p}: {m}" if p not in ("", "/") else f"  {m}" for p, m in err.problems])
        fail(f"{prefix}{err.message}")


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
    """Write an export whole or not at all (a temporary file beside it, renamed over it): a command
    killed while writing leaves the earlier file or none, never half a zip. A missing folder or a
    refused path is a clear error, not a traceback."""
    partial = path.with_name(f".{path.name}.partial")
    try:
        partial.write_bytes(data)
        os.replace(partial, path)
    except OSError as err:
        partial.unlink(missing_ok=True)
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
        number = parse_count(value, 1, ID_MAX)
        if number is None:
            self.fail_cn(f"“{value[:30]}”不是有效的编号（1—{ID_MAX} 的整数）", param, ctx)
        return number


class CountType(_Strict):
    """A whole number in ``[low, high]``, ASCII digits only (click's IntRange takes "３" and answers in English)."""

    name = "N"

    def __init__(self, low: int, high: int) -> None:
        self.low, self.high = low, high

    def convert(self, value, param, ctx) -> int:
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        elif isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 10:
            number = int(value)
        else:
            self.fail_cn(f"“{str(value)[:30]}”不是整数（{self.low}—{self.high}）", param, ctx)
        if not self.low <= number <= self.high:
            self.fail_cn(f"须在 {self.low}—{self.high} 之间", param, ctx)
        return number


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
