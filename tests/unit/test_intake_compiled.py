"""The discharges read column by column (issue: the import's speed): each column's converter gives what its
reader gives (amounts in fen), refuses what it refuses with the same message, and a file read this way has
the same rows and the same errors, in the same order, as read cell by cell."""
import datetime as dt
import io
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from prepay_admin.intake import cells
from prepay_admin.intake.compiled import fast_reader, fast_readers, in_fen, remembered
from prepay_admin.intake.kinds import DISCHARGE_MONEY, DISCHARGES, _discharge_problems, discharge_clean
from prepay_admin.intake.reading import converted, records

COLUMNS = {c.field: c for c in DISCHARGES.columns}


def outcome(read, value):
    """What a reader makes of a cell: ("ok", value) or ("refused", message)."""
    try:
        return "ok", read(value)
    except cells.CellError as err:
        return "refused", str(err)


def as_records_reads(column, value):
    """A cell as ``reading.records`` reads it (blank: None or 不能为空), amounts in fen."""
    if cells.blank(value):
        return ("refused", "不能为空") if column.required else ("ok", None)
    kind, got = outcome(column.read, value)
    if kind == "ok" and in_fen(column):
        got = int(got.scaleb(2))
    return kind, got


AMOUNTS = ["1234.56", "-100.00", "0.00", "-0.00", "0", "12", "12.5", "1,234.56", " 12.50 ", "007.10", "999999999999.99",
           "9999999999999.00", "1.234", "１００", "-", "1e3", "NaN", "12元", "", "  ", None, 12, 12.5, 0.1 + 0.2,
           Decimal("3.10"), True, "+5.00", ".50", "-.50", "1_0.00", "１.00", "-１.00", "--1.00", "1.00-", "12.3.45", "-"]


@pytest.mark.parametrize("value", AMOUNTS)
@pytest.mark.parametrize("field", ["total", "fund_paid"])
def test_an_amount_is_read_in_fen_exactly_as_the_reader_reads_it_in_yuan(field, value):
    column = COLUMNS[field]
    assert outcome(fast_reader(column), value) == as_records_reads(column, value)


def test_an_amount_that_may_not_be_negative_is_refused_negative_on_the_short_path_too():
    from prepay_admin.intake.kinds import KINDS

    column = next(c for c in KINDS["settlement"].columns if c.field == "amount")
    for value in ("-100.00", "-0.00", "100.00"):
        assert outcome(fast_reader(column), value) == as_records_reads(column, value)


@given(st.integers(min_value=-99_999_999_999_999, max_value=99_999_999_999_999))
def test_any_amount_in_fen_written_with_two_decimals_reads_back_as_those_fen(fen):
    text = f"{'-' if fen < 0 else ''}{abs(fen) // 100}.{abs(fen) % 100:02d}"
    assert fast_reader(COLUMNS["total"])(text) == fen == int(cells.amount(text, negative=True).scaleb(2))


MOMENTS = ["2025-01-11 09:30:00", "2025-01-11 00:00:00", "2025-02-30 10:00:00", "2025-01-11 24:00:00",
           "1999-12-31 23:59:59", "2101-01-01 00:00:00", "2025/1/5 10:30", "2025-01-05", "2025-01-05T10:30:00",
           "2025-01-05 10:30:00+08:00", "２０２５-01-05 10:30:00", "", None, dt.datetime(2025, 1, 5, 10, 30),
           dt.date(2025, 1, 5), 45658.0]


@pytest.mark.parametrize("value", MOMENTS)
def test_a_settlement_time_is_read_as_the_reader_reads_it_beijing_time_in_utc(value):
    assert outcome(fast_reader(COLUMNS["settled_at"]), value) == as_records_reads(COLUMNS["settled_at"], value)


IDS = ["S1", "V2025000123", "S-1_2", "a b", " S1 ", "'=1", "x" * 60, "x" * 61, "身份", "S1\x07", "", None, 12345, 1.5]


@pytest.mark.parametrize("value", IDS)
@pytest.mark.parametrize("field", ["settlement_id", "original_id"])
def test_an_id_of_letters_and_digits_is_taken_as_written_and_any_other_as_the_reader_says(field, value):
    assert outcome(fast_reader(COLUMNS[field]), value) == as_records_reads(COLUMNS[field], value)


REPEATED = {"insurance_class": ["310", "390", "职工", "999", "999", ""], "admitted_on": ["2025-01-03", "2025/1/3",
                                                                                      "2025-02-30", "2025-02-30", None],
            "refund": ["否", "是", "1", "2", "2", "  "], "department": ["内科", "内科320602199001011234", "内科"],
            "institution_code": ["H32060000001", "h32060000001", "X1", "X1"], "insured_region": ["320600", "32060"]}


@pytest.mark.parametrize("field", sorted(REPEATED))
def test_a_column_whose_cells_repeat_gives_each_text_its_value_or_its_refusal_again(field):
    read = fast_reader(COLUMNS[field])
    for value in REPEATED[field] * 2:
        assert outcome(read, value) == as_records_reads(COLUMNS[field], value)


def test_a_remembered_reader_never_takes_one_spreadsheet_number_for_another_that_compares_equal():
    read = remembered(lambda value: type(value).__name__)
    assert [read(v) for v in ("1", 1, 1.0, True, "1")] == ["str", "int", "float", "bool", "str"]


def test_a_remembered_reader_forgets_beyond_its_limit_and_still_reads_right():
    calls = []

    def read(value):
        calls.append(value)
        return value.upper()

    fast = remembered(read, limit=3)
    assert [fast(v) for v in "abcdabcd"] == list("ABCDABCD")
    assert len(calls) == 8 and fast("d") == "D" and len(calls) == 8  # the last few are remembered


@given(st.lists(st.integers(min_value=-3, max_value=3), min_size=8, max_size=8), st.booleans(),
       st.sampled_from([None, "S1"]), st.integers(min_value=-2, max_value=2))
def test_the_cheap_row_test_passes_exactly_the_settlements_the_checks_pass(amounts, refund, original, days):
    fields = [c.field for c in DISCHARGES.columns]
    record = dict.fromkeys(fields)
    record.update(zip((f for _, f in DISCHARGE_MONEY), amounts), refund=refund, original_id=original,
                  admitted_on=dt.date(2025, 1, 10), discharged_on=dt.date(2025, 1, 10) + dt.timedelta(days=days))
    assert discharge_clean(fields)([record[f] for f in fields]) == (not _discharge_problems(record))


HEADER = ("结算ID,就诊ID,原结算ID,退费标志,机构编码,险种类型,参保地医保区划,医疗类别,入院日期,出院日期,结算时间,出院科别,"
          "主要诊断编码,主要手术编码,病组编码,分组版本,医疗费总额,基金支付总额,个人负担总金额,个人自付,个人自费,个人账户支出,"
          "个人现金支出,医院负担金额")
GOOD = ("S{n},V{n},,否,H32060000001,310,320600,21,2025-03-01,2025-03-08,2025-03-08 10:30:00,心内科,I10,,GB19,"
        "CHS-DRG 2.0,10000.00,7000.00,3000.00,2000.00,1000.00,500.00,2500.00,0.00")
MESSY = [
    GOOD,
    GOOD.replace("10000.00", "10000.01"),  # the fen identity
    GOOD.replace(",否,", ",是,"),  # a refund with positive amounts and no original
    GOOD.replace("S{n},", ",").replace("310", "999"),  # two cells refused: both, in the columns' order
    GOOD.replace("2025-03-08 10:30:00", "2025-02-30 10:30:00"),
    GOOD.replace("2025-03-01", "2025-04-01"),  # discharged before admitted
    GOOD.replace("心内科", "心内科13812345678"),
    GOOD.replace("S{n},V{n},", "S{n}-x,V {n},").replace(",500.00,", ",500,"),
    GOOD.replace(",21,", ",,").replace(",I10,", ",  ,"),  # optional columns left blank
    "S{n},V{n}",  # a short row: the missing cells blank
    ",,,,,,,,,,,,,,,,,,,,,,,",  # a blank row: skipped
    GOOD.replace("7000.00", "-7000.00").replace("10000.00", "-4000.00"),
]


def _file(header=HEADER, rows=MESSY):
    return ("\n".join([header] + [r.replace("{n}", str(n)) for n, r in enumerate(rows)]) + "\n").encode()


def _without(line, *cells):
    return ",".join(v for n, v in enumerate(line.split(",")) if n not in cells)


@pytest.mark.parametrize("left_out", [(), (2, 7)])  # 原结算ID and 医疗类别 may be left out of the file
def test_a_file_read_column_by_column_has_the_rows_and_errors_of_the_file_read_cell_by_cell(left_out):
    data = _file(_without(HEADER, *left_out), [_without(r, *left_out) for r in MESSY])
    fields = [c.field for c in DISCHARGES.columns]
    slow = list(records(DISCHARGES, io.BytesIO(data)))
    fast = list(converted(DISCHARGES, io.BytesIO(data), fast_readers(DISCHARGES), discharge_clean(fields)))
    assert [(n, errors) for n, _, errors in fast] == [(p.row, p.errors) for p in slow]
    assert any(errors for _, _, errors in fast) and any(v is not None for _, v, _ in fast)
    for (_, values, _), parsed in zip(fast, slow):
        if parsed.record is None:
            assert values is None
            continue
        expected = {f: (int(v.scaleb(2)) if isinstance(v, Decimal) else v) for f, v in parsed.record.items()}
        assert dict(zip(fields, values)) == {f: expected.get(f) for f in fields}


@pytest.mark.parametrize("line", [GOOD + ",张三", "S1,V1" + "," * 23 + ",张三"])
def test_a_row_with_a_cell_under_no_header_is_refused_whole_either_way(line):
    from prepay_admin.intake.reading import FileProblem

    data = _file(HEADER, [GOOD, line])
    with pytest.raises(FileProblem) as slow:
        list(records(DISCHARGES, io.BytesIO(data)))
    with pytest.raises(FileProblem) as fast:
        list(converted(DISCHARGES, io.BytesIO(data), fast_readers(DISCHARGES)))
    assert str(fast.value) == str(slow.value) and "第 3 行" in str(fast.value)


@pytest.mark.parametrize("key", ["k" * 32, "k" * 64, "长" * 40 + "k" * 100])
def test_a_files_pseudonymiser_gives_each_id_its_pseudonym_whatever_the_keys_length(monkeypatch, key):
    from prepay_admin.services.imports import pseudonym, pseudonymiser

    monkeypatch.setenv("PREPAY_PSEUDONYM_KEY", key)
    of = pseudonymiser("320600")
    for raw in ("S1", "V2025000123", "S-1_2", "x" * 60):
        assert of(raw) == pseudonym("320600", raw) != pseudonym("320681", raw)


def test_a_hostile_files_long_texts_are_read_each_time_never_held_so_memory_stays_bounded():
    """A cell may hold 131,072 characters: a column's memory of texts read keeps only short ones (a code, a date),
    so a file of long unique cells costs what one row does, not 4,096 of them per column."""
    calls = []

    def read(value):
        calls.append(value)
        if len(value) > 60:
            raise cells.CellError("过长")
        return value

    fast = remembered(read, limit=4)
    long = "a" * 100_000 + "😀"
    for _ in range(2):
        with pytest.raises(cells.CellError):
            fast(long)
        assert fast("H32060000001") == "H32060000001"
    assert calls == [long, "H32060000001", long]  # the short text read once, the long one each time
    assert fast.__closure__ is not None
    held = [c.cell_contents for c in fast.__closure__ if isinstance(c.cell_contents, dict)]
    assert held and all(len(k) <= 64 for k in held[0])
