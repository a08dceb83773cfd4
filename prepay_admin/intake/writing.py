"""Import files written out: the template of a kind (headers, drop-down lists for enumerations, a
note per column) and data in the same layout (an export, or the demo region as files), so that what
is written can be imported back unchanged."""
from __future__ import annotations

import csv
import io
from typing import Any, BinaryIO, Iterable

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from accounting.xlsx import text_only

from .kinds import ImportKind

TEMPLATE_ROWS = 10_000  # how far down the drop-down lists reach in a template


def template_xlsx(kind: ImportKind) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = kind.title
    sheet.append([c.header for c in kind.columns])
    for n, column in enumerate(kind.columns, start=1):
        cell = sheet.cell(row=1, column=n)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="EEF3F8")
        cell.comment = Comment(column.note + ("" if column.required else "（可空）"), "prepay-admin")
        letter = get_column_letter(n)
        sheet.column_dimensions[letter].width = max(14, len(column.header) * 2 + 2)
        if column.choices:
            listed = DataValidation(type="list", formula1='"' + ",".join(column.choices) + '"', allow_blank=False,
                                    showErrorMessage=True, errorTitle="输入有误",
                                    error=f"{column.header}须为：{'、'.join(column.choices)}")
            sheet.add_data_validation(listed)
            listed.add(f"{letter}2:{letter}{TEMPLATE_ROWS}")
        else:
            for row in range(2, 3):
                sheet.cell(row=row, column=n).number_format = "@"  # codes and accounts stay text
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _cells(kind: ImportKind, record: dict[str, Any]) -> list[Any]:
    out = []
    for column in kind.columns:
        value = column.display(record[column.field])
        out.append(str(value) if column.field in ("institution_code", "bank_account", "credit_code") else value)
    return out


def data_xlsx(kind: ImportKind, records: Iterable[dict[str, Any]], out: BinaryIO) -> None:
    """Records in the template's layout, streamed (write-only: memory does not grow with the rows)."""
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    sheet = book.create_sheet(kind.title)
    sheet.append([c.header for c in kind.columns])
    for record in records:
        row = []
        for value in _cells(kind, record):
            cell = WriteOnlyCell(sheet, value=str(value) if hasattr(value, "as_tuple") else value)
            text_only(cell)  # issue 28: text stays text, never a formula
            row.append(cell)
        sheet.append(row)
    book.save(out)


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_text(value: Any) -> Any:
    """Issue 28 finding 2: a text cell a spreadsheet would take for a formula (starting with = + - @,
    tab or CR) is neutralised with a leading apostrophe, as OWASP advises; numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def data_csv(kind: ImportKind, records: Iterable[dict[str, Any]], out: BinaryIO) -> None:
    """The same as UTF-8 CSV with a BOM (what Excel opens without garbling Chinese)."""
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="")
    writer = csv.writer(text)
    writer.writerow([c.header for c in kind.columns])
    for record in records:
        writer.writerow([csv_text(v) for v in _cells(kind, record)])
    text.flush()
    text.detach()
