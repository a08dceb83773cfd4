"""Reports as .xlsx workbooks, laid out as staff print them: title, header, rows, totals.

Amounts go in as ``Decimal`` and become Excel number cells (formatted to fen);
the ledger itself never leaves ``Decimal``.
"""
from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any, Sequence

from .reports import AccountDetail, MemoRow, TrialBalance, side

MONEY_FORMAT = "#,##0.00"


def text_only(cell: Any) -> None:  # an openpyxl cell
    """Issue 28 finding 2: a text a user entered (an institution's name ``=HYPERLINK(…)``) is written as
    text, never as a formula: openpyxl would take a string starting with ``=`` for one."""
    if isinstance(cell.value, str):
        cell.data_type = "s"


def sheet(title: str, subtitle: str, headers: Sequence[str], rows: Sequence[Sequence[object]],
           widths: Sequence[int], total: Sequence[object] | None = None) -> bytes:
    """One table on one sheet: a title and a subtitle above, bold headers, borders, amounts to fen.

    openpyxl is imported here, when a workbook is asked for: a console command that prints its
    report to the terminal does not pay for it at start."""
    return workbook([(title, subtitle, headers, rows, widths, total)])


def workbook(tables: Sequence[tuple[Any, ...]]) -> bytes:
    """One sheet per table (title, subtitle, headers, rows, widths, total), each laid out as ``sheet``."""
    from openpyxl import Workbook

    wb = Workbook()
    for n, table in enumerate(tables):
        _fill(wb.active if n == 0 else wb.create_sheet(), *table)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _fill(ws: Any, title: str, subtitle: str, headers: Sequence[str], rows: Sequence[Sequence[object]],
          widths: Sequence[int], total: Sequence[object] | None = None) -> None:
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    thin = Side(style="thin", color="999999")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    ws.title = title[:31]
    ws.append([title])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
    ws["A1"].font = Font(size=14, bold=True)
    ws["A1"].alignment = Alignment(horizontal="center")
    ws.append([subtitle])
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=len(headers))
    ws.append(list(headers))
    for cell in ws[3]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="EEF3F8")
        cell.alignment = Alignment(horizontal="center")
    for row in rows:
        ws.append(list(row))
    if total is not None:
        ws.append(list(total))
        for cell in ws[ws.max_row]:
            cell.font = Font(bold=True)
    for row in ws.iter_rows(min_row=1, max_row=ws.max_row):
        for cell in row:
            text_only(cell)
            if cell.row < 3:
                continue
            cell.border = border
            if isinstance(cell.value, Decimal):
                cell.number_format = MONEY_FORMAT
            elif isinstance(cell.value, int) and not isinstance(cell.value, bool):
                cell.number_format = "0"  # an id, a count, days: never "1.00" (issue 30)
            elif isinstance(cell.value, dt.datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
            elif isinstance(cell.value, dt.date):
                cell.number_format = "yyyy-mm-dd"  # a date the spreadsheet can sort and compute with
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A4"
    # printed as a bureau files it (issue 30): A4, landscape when wide, every column on the page's width,
    # the title and the headers repeated on each page, page numbers in the footer
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if sum(widths) > 100 else "portrait"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "1:3"
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"


def trial_balance_xlsx(tb: TrialBalance) -> bytes:
    rows = [[r.code, r.name, side(r.opening), abs(r.opening), r.debit, r.credit, side(r.closing), abs(r.closing)]
            for r in tb.rows]
    t = tb.totals
    return sheet(
        "科目余额表", f"{tb.book}　{tb.from_period} 至 {tb.to_period}　（借贷合计{'平衡' if tb.balanced else '不平衡'}）",
        ["科目代码", "科目名称", "期初方向", "期初余额", "本期借方", "本期贷方", "期末方向", "期末余额"],
        rows, [12, 24, 9, 18, 18, 18, 9, 18],
        ["", "合计", side(t.opening), abs(t.opening), t.debit, t.credit, side(t.closing), abs(t.closing)],
    )


def account_detail_xlsx(detail: AccountDetail) -> bytes:
    title = "对账单" if detail.party else "明细账"
    who = f"　机构 {detail.party}" if detail.party else ""
    rows: list[list[object]] = [["", "", "期初余额", "", None, None, side(detail.opening), abs(detail.opening)]]
    rows += [[m.entry_date.isoformat(), m.voucher, m.summary, m.party or "", m.debit, m.credit, side(m.balance),
              abs(m.balance)] for m in detail.movements]
    return sheet(
        title, f"{detail.book}　{detail.account_code} {detail.account_name}{who}　{detail.from_period} 至 {detail.to_period}",
        ["日期", "凭证号", "摘要", "机构", "借方", "贷方", "方向", "余额"], rows, [12, 16, 36, 14, 18, 18, 7, 18],
        ["", "", "本期合计", "", detail.debit, detail.credit, side(detail.closing), abs(detail.closing)],
    )


def writeoff_register_xlsx(book: str, rows: Sequence[MemoRow]) -> bytes:
    return sheet(
        "核销预付金备查簿", book,
        ["凭证号", "核销日期", "机构", "核销金额", "法律文书", "批准文号", "冲销凭证", "核销后收回"],
        [[r.voucher, r.entry_date.isoformat(), r.party, r.amount, r.court_document_ref, r.approval_ref,
          r.reversed_by or "", r.recovered_later] for r in rows],
        [16, 12, 14, 18, 32, 32, 16, 18],
        ["", "合计", "", sum((r.amount for r in rows if not r.reversed_by), Decimal("0.00")), "", "", "",
         sum((r.recovered_later for r in rows), Decimal("0.00"))],
    )
