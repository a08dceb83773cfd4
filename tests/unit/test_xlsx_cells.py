"""Issue 30 (item 10): in the .xlsx exports an id or a count is a whole number (never "1.00"), an amount
is to the fen, and a date is a date the spreadsheet can sort."""
import datetime as dt
import io
from decimal import Decimal

from openpyxl import load_workbook

from accounting.xlsx import sheet


def test_30_ids_are_whole_numbers_amounts_to_the_fen_and_dates_are_dates():
    data = sheet("t", "s", ["编号", "金额", "日期"], [[7, Decimal("1234.5"), dt.date(2026, 3, 2)]], [8, 12, 12])
    ws = load_workbook(io.BytesIO(data)).active
    number, amount, day = ws[4]
    assert number.value == 7 and number.number_format == "0"
    assert amount.number_format.endswith("0.00")
    assert day.is_date and day.number_format == "yyyy-mm-dd"
