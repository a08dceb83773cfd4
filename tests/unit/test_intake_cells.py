"""Reading what staff type into a spreadsheet: dates in four forms, amounts that never pass through
float arithmetic, national institution codes and unified social credit codes (GB 32100-2015)."""
import datetime as dt
import io
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from prepay_admin.intake import cells
from prepay_admin.intake.codes import institution_code_problem, uscc_check_character, uscc_problem
from prepay_admin.intake.kinds import KINDS
from prepay_admin.intake.reading import FileProblem, records
from prepay_admin.intake.writing import template_xlsx


@pytest.mark.parametrize("raw", ["2025-01-01", "2025/1/1", "20250101", dt.date(2025, 1, 1),
                                 dt.datetime(2025, 1, 1), 20250101])
def test_a_date_is_read_in_each_form_staff_use(raw):
    assert cells.date(raw) == dt.date(2025, 1, 1)


@pytest.mark.parametrize("raw", ["2025-02-30", "2025.1.1", "１２３", "1999-12-31", "yesterday", 45658.0])
def test_a_date_that_is_not_one_is_refused(raw):
    with pytest.raises(cells.CellError):
        cells.date(raw)


@pytest.mark.parametrize("raw, expected", [("1000.5", "1000.50"), (1000.1, "1000.10"), (0.1 + 0.2, None),
                                           (1409.5, "1409.50"), ("1,234.56", "1234.56"), (12, "12.00"),
                                           (Decimal("3.10"), "3.10")])
def test_an_amount_is_read_through_its_shortest_decimal_form_never_float_arithmetic(raw, expected):
    if expected is None:  # 0.30000000000000004 has 17 decimals: refused, not rounded
        with pytest.raises(cells.CellError, match="超过两位小数"):
            cells.amount(raw)
    else:
        assert cells.amount(raw) == Decimal(expected)


@pytest.mark.parametrize("raw", ["1.234", 1.005, "１００", "-5", "1e3", "NaN", True, "12元"])
def test_an_amount_with_three_decimals_full_width_digits_or_a_sign_is_refused(raw):
    with pytest.raises(cells.CellError):
        cells.amount(raw)


@given(st.integers(min_value=0, max_value=99_999_999_999_999))
def test_any_amount_in_fen_written_as_a_float_reads_back_exactly(fen):
    value = Decimal(fen).scaleb(-2)
    assert cells.amount(float(value)) == value  # repr() of a float is its shortest round-tripping form


def test_the_13_national_institution_code_is_h_or_p_and_eleven_digits():
    assert institution_code_problem("H32060000001") is None and institution_code_problem("P32060000001") is None
    for bad in ("H3206000001", "X32060000001", "H3206000000１", "h32060000001"):
        assert institution_code_problem(bad)


def test_the_unified_social_credit_code_check_character_follows_gb_32100():
    for valid in ("91350100M000100Y43", "91110000600037341L", "12320600000000001" + uscc_check_character(
            "12320600000000001")):
        assert uscc_problem(valid) is None, valid
    assert "校验码错误" in uscc_problem("91350100M000100Y44")
    assert uscc_problem("91350100M000100Y4") == "统一社会信用代码须为 18 位"
    assert "不含 I、O、Z、S、V" in uscc_problem("91350100M000100YI3")


def test_a_template_has_every_header_a_drop_down_for_each_enumeration_and_reads_back_empty():
    from openpyxl import load_workbook

    for kind in KINDS.values():
        data = template_xlsx(kind)
        sheet = load_workbook(io.BytesIO(data)).active
        assert [c.value for c in sheet[1]] == [c.header for c in kind.columns]
        assert all(sheet.cell(row=1, column=n).comment for n in range(1, len(kind.columns) + 1))
        assert len(sheet.data_validations.dataValidation) == sum(1 for c in kind.columns if c.choices)
        assert list(records(kind, io.BytesIO(data))) == []


def test_a_file_without_the_kinds_headers_or_with_a_header_twice_is_refused_whole():
    kind = KINDS["settlement"]
    with pytest.raises(FileProblem, match="缺少列：险种"):
        list(records(kind, io.BytesIO("机构编码,结算年月,基金支付金额,其中异地就医金额\n".encode())))
    with pytest.raises(FileProblem, match="重复"):
        list(records(kind, io.BytesIO("机构编码,机构编码,结算年月,险种,基金支付金额,其中异地就医金额\n".encode())))
    with pytest.raises(FileProblem, match="文件为空"):
        list(records(kind, io.BytesIO(b"")))
    with pytest.raises(FileProblem, match="无法读取该 Excel 文件"):
        list(records(kind, io.BytesIO(b"PK\x03\x04 not really a workbook")))


def test_a_csv_in_utf8_with_a_bom_or_in_gb18030_reads_the_same():
    kind = KINDS["funds"]
    text = "年度,险种,上年末累计结余,月均基金支出,上年当期结余,预测当期结余\n2026,职工,1000.00,100.00,-5.00,6\n"
    read = [list(records(kind, io.BytesIO(data))) for data in (text.encode("utf-8-sig"), text.encode("gb18030"),
                                                              text.encode("utf-8"))]
    assert read[0] == read[1] == read[2] and read[0][0].record["last_year_current_balance"] == Decimal("-5.00")


def _settlement_records():
    from prepay_admin.policy.facts import Fund

    amounts = st.integers(min_value=0, max_value=99_999_999_999).map(lambda fen: Decimal(fen).scaleb(-2))
    return st.lists(st.builds(
        lambda n, y, m, fund, amount, share: {
            "institution_code": f"H{n:011d}", "month": dt.date(y, m, 1), "fund": fund, "amount": amount,
            "out_of_region": (amount * share / 100).quantize(Decimal("0.01"), rounding="ROUND_DOWN")},
        st.integers(1, 10**11 - 1), st.integers(2000, 2100), st.integers(1, 12), st.sampled_from(list(Fund)),
        amounts, st.integers(0, 100)), max_size=30)


@given(_settlement_records(), st.sampled_from(["xlsx", "csv"]))
def test_what_the_writer_writes_the_reader_reads_back_exactly(records_, form):
    from prepay_admin.intake.writing import data_csv, data_xlsx

    kind = KINDS["settlement"]
    out = io.BytesIO()
    (data_xlsx if form == "xlsx" else data_csv)(kind, records_, out)
    read = list(records(kind, io.BytesIO(out.getvalue())))
    assert [p.errors for p in read] == [()] * len(records_)
    assert [p.record for p in read] == records_
