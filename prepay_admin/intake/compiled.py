"""A kind's cells read column by column, fast: each column's converter chosen once per file.

A converter gives what ``reading.records`` makes of a cell with the column's own reader (``Column.read``),
blank cells included, and refuses what it refuses with the same message: the common spellings of a CSV cell are read on a short path (an id of letters and
digits, an amount ``1234.56``, a time ``2025-01-11 09:30:00``), anything else goes to the column's
reader. Columns whose cells repeat (codes, classes, dates, departments) remember their last few
thousand texts, refusals included; what is remembered is bounded, so memory does not grow with the
file. The one difference: amounts are integer fen (``Decimal`` yuan × 100, exactly), as they are stored.
"""
from __future__ import annotations

import datetime as dt
import re
from functools import partial
from typing import Any, Callable

from .cells import BEIJING, YEARS, CellError, amount, moment
from .kinds import Column, ImportKind, identifier

Reader = Callable[[Any], Any]
REMEMBERED = 4096  # texts a column remembers (then it starts afresh)

_PLAIN_FEN = re.compile(r"(-?)[0-9]{1,12}\.[0-9]{2}")  # "1234.56", "-100.00": at most 999,999,999,999.99
_IN_BEIJING = dt.datetime(2025, 1, 1, tzinfo=BEIJING).isoformat()[-6:]  # "+08:00"
_PLAIN_MOMENT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}")


def fen(value: Any, *, negative: bool = False) -> int:
    """``cells.amount`` as integer fen: the same amounts, the same refusals."""
    if value.__class__ is str:
        m = _PLAIN_FEN.fullmatch(value)
        if m is not None and (negative or not m[1]):
            return int(value[:-3] + value[-2:])
    return int(amount(value, negative=negative).scaleb(2))


def is_blank(value: Any) -> bool:
    """``cells.blank``: nothing, or a text of nothing but whitespace."""
    return value is None or (value.__class__ is str and (not value or value.isspace()))


def cell_reader(column: Column, read: Reader) -> Reader:
    """``read`` of one of the column's cells as ``reading.records`` takes it: a blank cell is ``None`` where the
    column may be left empty and refused (不能为空) where it may not."""
    required = column.required

    def blank() -> None:
        if required:
            raise CellError("不能为空")
        return None

    def of(value: Any) -> Any:
        if is_blank(value):
            return blank()
        return read(value)

    return of


REMEMBERED_LENGTH = 64  # a longer text (never a valid code or date) is read each time, never held


def remembered(read: Reader, limit: int = REMEMBERED) -> Reader:
    """``read`` of a text cell looked up among the texts read before (its value, or its refusal); other
    cells (a spreadsheet's numbers and dates: ``1 == 1.0 == True``) and long texts are always read: what is
    held is bounded (``limit`` texts of at most ``REMEMBERED_LENGTH`` characters), whatever the file holds."""
    seen: dict[str, tuple[bool, Any]] = {}

    def fast(value: Any) -> Any:
        if value.__class__ is not str or len(value) > REMEMBERED_LENGTH:
            return read(value)
        hit = seen.get(value)
        if hit is None:
            try:
                hit = (True, read(value))
            except CellError as err:
                hit = (False, str(err))
            if len(seen) >= limit:
                seen.clear()
            seen[value] = hit
        if hit[0]:
            return hit[1]
        raise CellError(hit[1])

    return fast


def fast_reader(column: Column) -> Reader:
    """The column's converter of a cell (blank ones included): a short path for the common text where its
    reader has one (the reader itself for the rest), else its reader remembered."""
    read = column.read
    whole = cell_reader(column, read)
    if in_fen(column):
        negative = bool(read.keywords.get("negative")) if isinstance(read, partial) else False
        slow = cell_reader(column, partial(fen, negative=negative))

        def money(value: Any) -> Any:
            # "1234.56" (or "-1234.56" where negative amounts are taken): at most 12 digits, a point, 2 digits
            if value.__class__ is str and value[-3:-2] == ".":
                digits = value[:-3] + value[-2:]
                if digits.isascii() and (digits.isdigit() and 3 <= len(digits) <= 14
                                         or negative and digits[0] == "-" and digits[1:].isdigit()
                                         and 4 <= len(digits) <= 15):
                    return int(digits)
            return slow(value)

        return money
    if read is moment:
        plain = _PLAIN_MOMENT.fullmatch
        fromisoformat, utc = dt.datetime.fromisoformat, dt.timezone.utc
        low, high = YEARS

        def moment_(value: Any) -> Any:
            if value.__class__ is str and plain(value) and low <= int(value[:4]) <= high:
                try:  # Beijing time, in UTC
                    return fromisoformat(value + _IN_BEIJING).astimezone(utc)
                except ValueError:  # 2025-02-30 …: ``moment`` says why
                    pass
            return whole(value)

        return moment_
    if read is identifier:
        def identifier_(value: Any) -> Any:
            if value.__class__ is str and len(value) <= 60 and value.isascii() and value.isalnum():
                return value
            return whole(value)

        return identifier_
    return remembered(whole)


def fast_readers(kind: ImportKind) -> tuple[Reader, ...]:
    """Each column's converter, in the kind's column order."""
    return tuple(fast_reader(column) for column in kind.columns)


def in_fen(column: Column) -> bool:
    """Whether the column's converter gives integer fen (an amount) rather than the reader's ``Decimal``."""
    read = column.read
    return read is amount or (isinstance(read, partial) and read.func is amount)
