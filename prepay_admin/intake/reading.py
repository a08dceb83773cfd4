"""Reading an import file as a stream of rows: .xlsx (openpyxl, read-only: memory does not grow with
the file) or .csv in UTF-8 (with or without BOM) or GB18030 (what Chinese Excel writes); then each
row checked against its kind into a record, or into errors naming row, column and problem."""
from __future__ import annotations

import codecs
import csv
import io
import unicodedata
from dataclasses import dataclass
from operator import call, itemgetter
from typing import Any, BinaryIO, Callable, Generator, Iterator, Sequence

from openpyxl import load_workbook

from agreements.package import PackageProblem, check_package

from .cells import CellError, blank
from .kinds import ImportKind, row_problems

XLSX_MAGIC = b"PK\x03\x04"
SNIFF = 64 * 1024


class FileProblem(ValueError):
    """The file as a whole cannot be read (format, encoding, headers)."""


@dataclass(frozen=True)
class RowError:
    row: int  # as the spreadsheet numbers it: the header is row 1
    column: str
    message: str


@dataclass(frozen=True)
class Parsed:
    row: int
    record: dict[str, Any] | None  # None when the row has errors
    errors: tuple[RowError, ...]


def rows(stream: BinaryIO, only_sheet: bool = False) -> Generator[list[Any], None, None]:
    """Every row of the first sheet (or of the CSV), header included, as raw cells; ``only_sheet``: a workbook
    with data on another sheet is refused (what the bureau must not hold could hide there)."""
    head = stream.read(len(XLSX_MAGIC))
    stream.seek(0)
    if head == XLSX_MAGIC:
        yield from _xlsx_rows(stream, only_sheet)
    else:
        yield from _csv_rows(stream)


def _xlsx_rows(stream: BinaryIO, only_sheet: bool = False) -> Iterator[list[Any]]:
    try:
        check_package(stream)  # issue 28: sizes, parts and DTDs checked before openpyxl inflates anything
    except PackageProblem as err:
        raise FileProblem(f"无法读取该 Excel 文件：{err}") from None
    try:
        book = load_workbook(stream, read_only=True, data_only=True)
    except Exception:  # a damaged or disguised file: openpyxl raises many kinds
        raise FileProblem("无法读取该 Excel 文件（须为 .xlsx 格式）") from None
    try:
        if only_sheet:
            for sheet in book.worksheets[1:]:
                if any(v is not None and str(v).strip() for row in sheet.iter_rows(values_only=True) for v in row):
                    raise FileProblem(f"工作表“{sheet.title}”也有数据：只导入第一个工作表，请删除其他工作表后重新导出")
        for values in book.worksheets[0].iter_rows(values_only=True):
            yield list(values)
    finally:
        book.close()


def _encoding(stream: BinaryIO) -> str:
    sample = stream.read(SNIFF)
    stream.seek(0)
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)  # a character cut at the end is fine
        return "utf-8"
    except UnicodeDecodeError:
        return "gb18030"


def _csv_rows(stream: BinaryIO) -> Iterator[list[Any]]:
    encoding = _encoding(stream)
    text = io.TextIOWrapper(stream, encoding=encoding, errors="strict", newline="")
    try:
        for values in csv.reader(text):
            if "\x00" in "".join(values):
                raise FileProblem("文件不是文本格式的 CSV（含有空字符）")
            yield values
    except UnicodeDecodeError:
        raise FileProblem("无法识别文件编码：CSV 须为 UTF-8 或 GB18030（中文 Excel 另存为 CSV 的默认编码）") from None
    except csv.Error as err:
        raise FileProblem(f"CSV 格式有误：{err}") from None
    finally:
        text.detach()


INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)


def _plain(header: str) -> str:
    """A header as it reads: NFKC (全角 to 半角), no whitespace nor invisible characters."""
    return "".join(unicodedata.normalize("NFKC", header).translate(INVISIBLE).split())


def header_map(kind: ImportKind, header: list[Any]) -> dict[int, int]:
    """Which cell holds which column: {column index in the kind: cell index in the file}."""
    names = [str(h).strip().lstrip("\ufeff") if h is not None else "" for h in header]
    seen: dict[str, int] = {}
    for i, name in enumerate(names):
        if name and name in seen:
            raise FileProblem(f"表头“{name}”重复出现")
        seen.setdefault(name, i)
    if kind.forbidden:  # DEPOSIT.md: a patient's identity never enters the bureau's copy: the template's columns only
        known = {_plain(c.header) for c in kind.columns}
        other = [name for name in names if name and _plain(name) not in known]
        if other:
            identity = [name for name in other if any(word in _plain(name) for word in kind.forbidden)]
            raise FileProblem(f"文件含有{'患者身份信息的' if identity else '模板以外的'}列（{'、'.join(other[:10])}），整个文件不予导入："
                              f"只导入“{kind.title}”模板中的列，请删除其他列后重新导出")
    missing = [c.header for c in kind.columns if c.header not in seen and c.required]
    if missing:
        raise FileProblem(f"缺少列：{'、'.join(missing)}（请使用“{kind.title}”导入模板的表头）")
    return {n: seen.get(c.header, -1) for n, c in enumerate(kind.columns)}  # -1: an optional column left out


def records(kind: ImportKind, stream: BinaryIO) -> Iterator[Parsed]:
    """Each data row of the file, read into a record or into its errors; blank rows are skipped."""
    all_rows = rows(stream, only_sheet=bool(kind.forbidden))
    try:
        yield from _records(kind, all_rows)
    finally:  # refused half-way: the reader lets go of the file now, not when collected
        all_rows.close()


def _layout(kind: ImportKind, all_rows: Iterator[list[Any]]) -> tuple[list[Any], dict[int, int], list[int]]:
    """The header row, which cell holds which column, and (a kind with forbidden columns) the unnamed cells."""
    header = next(all_rows, None)
    if header is None or all(blank(v) for v in header):
        raise FileProblem("文件为空：第 1 行须为表头")
    where = header_map(kind, header)
    unnamed = [i for i, h in enumerate(header) if blank(h)] if kind.forbidden else []
    return header, where, unnamed


def _refuse_unheaded(kind: ImportKind, number: int, values: list[Any], header: list[Any], unnamed: list[int]) -> None:
    if kind.forbidden and (any(i < len(values) and not blank(values[i]) for i in unnamed)
                           or any(not blank(v) for v in values[len(header):])):
        raise FileProblem(f"第 {number} 行有数据不在任何表头之下：只导入模板中的列，请删除无表头的列后重新导出")


def _records(kind: ImportKind, all_rows: Iterator[list[Any]]) -> Iterator[Parsed]:
    header, where, unnamed = _layout(kind, all_rows)
    readers = [(where[n], column.field, column.read, column.header, column.required)
               for n, column in enumerate(kind.columns)]
    for number, values in enumerate(all_rows, start=2):
        if not values or (blank(values[0]) and all(blank(v) for v in values)):
            continue
        _refuse_unheaded(kind, number, values, header, unnamed)
        record: dict[str, Any] = {}
        errors = []
        width = len(values)
        for i, field, read, header_, required in readers:
            value = values[i] if 0 <= i < width else None
            if value is None or (value.__class__ is str and not value.strip()):
                if required:
                    errors.append(RowError(number, header_, "不能为空"))
                else:
                    record[field] = None
                continue
            try:
                record[field] = read(value)
            except CellError as err:
                errors.append(RowError(number, header_, str(err)))
        if not errors:
            errors = [RowError(number, header_, message) for header_, message in row_problems(kind, record)]
        yield Parsed(number, None if errors else record, tuple(errors))


Converted = tuple[int, "list[Any] | None", tuple[RowError, ...]]


def converted(kind: ImportKind, stream: BinaryIO, readers: Sequence[Callable[[Any], Any]],
              clean: Callable[[list[Any]], bool] | None = None) -> Iterator[Converted]:
    """``records`` column by column: each data row as (row number, its values in the kind's column order or
    None when it has errors, its errors), each cell read by ``readers`` (``compiled.fast_readers``: what
    ``records`` makes of it, blank cells included; amounts in fen), the same errors in the same order.
    ``clean(values)`` says cheaply that a row passes the checks across its cells (else ``row_problems`` says)."""
    all_rows = rows(stream, only_sheet=bool(kind.forbidden))
    try:
        yield from _converted(kind, all_rows, readers, clean)
    finally:
        all_rows.close()


def _converted(kind: ImportKind, all_rows: Iterator[list[Any]], readers: Sequence[Callable[[Any], Any]],
               clean: Callable[[list[Any]], bool] | None) -> Iterator[Converted]:
    header, where, unnamed = _layout(kind, all_rows)
    cells = [where[n] for n in range(len(kind.columns))]
    headers = [column.header for column in kind.columns]
    fields = [column.field for column in kind.columns]
    readers = tuple(readers)
    assert len(readers) == len(cells)
    # every column in the file: a row as long as ``needed`` has its cells where ``pick`` takes them
    complete, needed, pick = min(cells) >= 0, max(cells) + 1, itemgetter(*cells)
    checked, width = bool(kind.forbidden), len(header)
    for number, values in enumerate(all_rows, start=2):
        if not values:
            continue
        first = values[0]
        if (first is None or (first.__class__ is str and (not first or first.isspace()))) \
                and all(blank(v) for v in values):
            continue
        if checked and (unnamed or len(values) > width):
            _refuse_unheaded(kind, number, values, header, unnamed)
        errors: list[RowError] | None = None
        if complete and len(values) >= needed:
            try:
                out = list(map(call, readers, pick(values)))
            except CellError:  # read again cell by cell: each error, in the columns' order
                out, errors = _each(number, values, cells, readers, headers)
        else:
            out, errors = _each(number, values, cells, readers, headers)
        if errors is None and (clean is None or not clean(out)):
            errors = [RowError(number, header_, message)
                      for header_, message in row_problems(kind, dict(zip(fields, out)))] or None
        yield number, None if errors else out, tuple(errors or ())


def _each(number: int, values: list[Any], cells: list[int], readers: Sequence[Callable[[Any], Any]],
          headers: list[str]) -> tuple[list[Any], list[RowError] | None]:
    out: list[Any] = []
    errors: list[RowError] = []
    width = len(values)
    for i, read, header_ in zip(cells, readers, headers):
        try:
            out.append(read(values[i] if 0 <= i < width else None))
        except CellError as err:
            out.append(None)
            errors.append(RowError(number, header_, str(err)))
    return out, errors or None
