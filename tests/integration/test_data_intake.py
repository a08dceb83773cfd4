"""A real bureau's data (issue 10): the demo region written as import files and imported into an empty
database determines as ``demo load`` does; a malformed file of each kind is refused whole with every
error listed and nothing written; importing a file twice changes nothing; a correction keeps the
earlier version and its reason; only the department that owns the data imports it (24§)."""
import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from sqlalchemy import func, select, table, text

from prepay_admin.demo.files import ORDER, write_demo_files
from prepay_admin.models import DataCorrection, DataImport, Determination, Institution, Region
from prepay_admin.services import applications, determination, identity
from prepay_admin.services.campaign import open_campaign
from prepay_admin.services.demo import load_demo
from prepay_admin.services.errors import ServiceError
from prepay_admin.services.imports import import_file
from prepay_admin.services.regions import create_region

YEAR = 2026
DEMO, IMPORTED = "320600", "320601"
OWNERS = {"institutions": "jiesuan1", "standings": "jiesuan1", "conditions": "jihe1", "bars": "jihe1",
          "securities": "jiesuan1", "funds": "caiwu1", "settlement": "jiesuan1", "discharges": "jiesuan1",
          "payment-standards": "jiesuan1", "deposit-tables": "jiesuan1", "complaints": "jiesuan1"}
COUNTED = ("institution", "annual_standing", "institution_condition", "institution_bar", "security_pledge",
           "fund_position", "monthly_payout", "data_import", "data_correction")


def counts(sessions) -> dict[str, int]:
    with sessions() as s:
        return {name: s.scalar(select(func.count()).select_from(table(name))) for name in COUNTED}


def imported(sessions, kind: str, data: bytes, name: str = "file.csv", user: str | None = None, **options):
    return import_file(sessions, user or OWNERS[kind], IMPORTED, kind, name, io.BytesIO(data), **options)


@pytest.fixture
def region(app):
    """An empty region the demo's staff may work in (the demo region exists beside it for its staff)."""
    sessions = app.extensions["prepay_sessions"]
    load_demo(sessions, institutions=3, seed=1, year=YEAR, region_code="110100", region_name="他处", play=False)
    create_region(sessions, IMPORTED, "导入市", "nantong-2025", YEAR, "root")
    for username in set(OWNERS.values()) | {"shenji1"}:
        identity.grant_region(sessions, username, IMPORTED, "root")
    return sessions


def settlement_csv(*rows: str, encoding: str = "utf-8") -> bytes:
    return ("机构编码,结算年月,险种,基金支付金额,其中异地就医金额\n" + "\n".join(rows) + "\n").encode(encoding)


def institutions_csv(*rows: str) -> bytes:
    head = "机构编码,机构名称,统一社会信用代码,机构类型,医疗机构等级,是否国家机关或国有资产举办的公益性机构,医保结算起始日期,开户银行,银行账号\n"
    return (head + "\n".join(rows) + "\n").encode("utf-8")


SECOND_USCC = "12320600000000002A"  # a valid 统一社会信用代码 (GB 32100-2015 check character)
GOOD_INSTITUTION = "H32060100001,导入市人民医院,123206000000000017,医院,二级,是,2018-03-01,中国银行导入支行,6216600000000001"


def determinations(sessions, region_code: str) -> list[tuple]:
    """What the rules decided for each institution: eligibility, months, ratio, amounts, reasons."""
    with sessions() as s:
        rows = s.execute(select(Institution.code, Determination).join(
            Determination, Determination.institution_id == Institution.id).join(Region, Region.id == Institution.region_id)
            .where(Region.code == region_code).order_by(Institution.code)).all()
        return [(code, d.eligible, d.months, d.ratio, json.loads(d.reasons_json),
                 [(a.fund, a.amount, json.loads(a.reasons_json)) for a in d.advances]) for code, d in rows]


def play_to_determination(sessions, region_code: str) -> None:
    open_campaign(sessions, region_code, YEAR, "caiwu1")
    with sessions() as s:
        codes = s.scalars(select(Institution.code).join(Region, Region.id == Institution.region_id)
                          .where(Region.code == region_code).order_by(Institution.code)).all()
    for code in codes:
        applications.apply(sessions, region_code, YEAR, code, applications.clean_answers(), dt.date(YEAR - 1, 12, 28),
                           "jiesuan1")
    determination.determine(sessions, region_code, YEAR, "jiesuan1")


def test_the_demo_as_files_imported_into_an_empty_region_determines_as_demo_load(app, region, tmp_path):
    sessions = region
    load_demo(sessions, institutions=60, seed=2026, year=YEAR, play=False, discharges=True)  # 320600, the reference
    files = write_demo_files(tmp_path, 60, 2026, YEAR, IMPORTED)
    assert tuple(files) == ORDER
    for kind, path in files.items():
        with path.open("rb") as stream:
            report = import_file(sessions, OWNERS[kind], IMPORTED, kind, path.name, stream)
        assert report.error_count == 0, (kind, report.errors[:5])
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(DataImport).join(Region, Region.id == DataImport.region_id)
                        .where(Region.code == IMPORTED)) == len(ORDER) - 1  # the empty securities file
    play_to_determination(sessions, DEMO)
    play_to_determination(sessions, IMPORTED)
    reference, from_files = determinations(sessions, DEMO), determinations(sessions, IMPORTED)
    assert len(reference) == 60 and any(eligible for _, eligible, *_ in reference)
    assert from_files == reference  # the same codes (both regions' prefix is 3206), the same decisions
    # DEPOSIT.md item 9: the settlements imported from the files give the same reference as those loaded
    from prepay_admin.queries.deposit import reference_page
    from prepay_admin.services.deposit import compute_reference
    runs = [compute_reference(sessions, code, YEAR, "jiesuan1") for code in (DEMO, IMPORTED)]
    assert runs[0].admissions == runs[1].admissions > 1000 and runs[0].out_of_region == runs[1].out_of_region > 0
    cells = [{(c.institution_code, c.group_code, c.insurance_class): (c.cases, c.reference, c.p75)
              for c in reference_page(sessions, code, YEAR, size=100_000).cells} for code in (DEMO, IMPORTED)]
    assert cells[0] == cells[1] and len(cells[0]) > 50
    # and the published tables and payment standards the same findings as the demo's (checked as it loaded)
    from prepay_admin.queries.deposit import findings
    from prepay_admin.services.demo import watch_deposits
    watch_deposits(sessions, IMPORTED, YEAR)  # as the demo's bureau did when it loaded
    found = [sorted((f.institution_code, f.kind, f.group_code, f.class_cn, f.published) for f in
                    findings(sessions, code, size=10_000)) for code in (DEMO, IMPORTED)]
    assert found[0] == found[1] and {f[1] for f in found[0]} >= {"above_reference", "standard_changed"}


def test_a_file_imported_twice_changes_nothing_and_says_so(region):
    first = imported(region, "institutions", institutions_csv(GOOD_INSTITUTION))
    assert first.applied and first.added == 1
    before = counts(region)
    again = imported(region, "institutions", institutions_csv(GOOD_INSTITUTION))
    assert not again.applied and again.unchanged == 1 and again.seen_before
    assert "该文件此前已导入" in again.message and "未做任何更改" in again.message
    assert counts(region) == before


def test_a_row_that_would_change_recorded_data_is_refused_unless_it_is_a_correction_with_a_reason(region):
    imported(region, "institutions", institutions_csv(GOOD_INSTITUTION))
    renamed = GOOD_INSTITUTION.replace("导入市人民医院", "导入市第一人民医院")
    before = counts(region)
    refused = imported(region, "institutions", institutions_csv(renamed))
    assert refused.error_count == 1 and "与已登记数据不一致（机构名称）" in refused.errors[0].message
    assert refused.changes[0].before == "导入市人民医院" and counts(region) == before
    with pytest.raises(ServiceError, match="更正导入须说明原因"):
        imported(region, "institutions", institutions_csv(renamed), correct=True)
    done = imported(region, "institutions", institutions_csv(renamed), correct=True, reason="机构更名（批复文号 1 号）")
    assert done.applied and done.changed == 1
    with region() as s:
        correction = s.scalar(select(DataCorrection))
        assert json.loads(correction.before_json) == {"机构名称": "导入市人民医院"}
        assert json.loads(correction.after_json) == {"机构名称": "导入市第一人民医院"}
        assert correction.record_key == "H32060100001"
        assert s.scalar(select(DataImport.reason).where(DataImport.id == correction.import_id)) == "机构更名（批复文号 1 号）"
        assert s.scalar(select(Institution.name).where(Institution.code == "H32060100001")) == "导入市第一人民医院"


MALFORMED = {
    "institutions": (institutions_csv(
        GOOD_INSTITUTION,
        "H3206010002,坏编码医院,123206000000000017,医院,二级,是,2018-03-01,中国银行,6216600000000002",
        "H32060100003,坏校验医院,123206000000000018,医院,二级,是,2018-03-01,中国银行,6216600000000003",
        "H32060100004,未知类型,123206000000000017,卫生院,五级,也许,2018-02-30,中国银行,62166",
        GOOD_INSTITUTION), {"机构编码", "统一社会信用代码", "机构类型", "医疗机构等级",
                            "是否国家机关或国有资产举办的公益性机构", "医保结算起始日期", "银行账号"}),
    "standings": ("机构编码,年度,年度考核结果,绩效综合评价得分,诚信服务信用等级\n"
                  "H32060199999,2026,良好,90,A\nH32060100001,2026,很好,100.5,E\n".encode(),
                  {"机构编码", "年度考核结果", "绩效综合评价得分", "诚信服务信用等级"}),
    "conditions": ("机构编码,年度,情形,依据文书,登记日期\nH32060100001,2026,随便什么,,2025/13/1\n".encode(),
                   {"情形", "依据文书", "登记日期"}),
    "bars": ("机构编码,起始日期,截止日期,原因,处理决定文号\nH32060100001,2025-07-01,2024-06-30,虚假报表,处〔1〕号\n".encode(),
             {"截止日期"}),
    "securities": ("机构编码,类型,金额,登记编号,起始日期,截止日期\nH32060100001,资产抵押,100.005,抵1,2026-01-01,2029-01-20\n"
                   "H32060100001,口头担保,1000,抵2,2026-01-01,2029-01-20\n".encode(), {"金额", "类型"}),
    "funds": ("年度,险种,上年末累计结余,月均基金支出,上年当期结余,预测当期结余\n2026,职工,1000.001,0,1,1\n"
              "2026,职工,1000,100,1,1\n2026,职工,1000,100,1,1\n".encode(), {"上年末累计结余", "年度"}),
    "settlement": (settlement_csv("H32060100001,2025-01,职工,1000.123,0", "H32060199999,2025-01,职工,10,0",
                                  "H32060100001,2025-02,居民,10,20", "H32060100001,2025-03,职工,10,0",
                                  "H32060100001,2025-03,职工,10,0", encoding="gb18030"),
                   {"基金支付金额", "机构编码", "其中异地就医金额"}),
}


@pytest.mark.parametrize("kind", list(MALFORMED))
def test_a_malformed_file_is_refused_whole_with_every_error_listed_and_nothing_written(region, kind):
    if kind != "institutions":
        imported(region, "institutions", institutions_csv(GOOD_INSTITUTION))
    data, columns = MALFORMED[kind]
    before = counts(region)
    report = imported(region, kind, data)
    assert report.error_count >= len(columns) and not report.applied
    assert columns <= {e.column for e in report.errors}, [(e.row, e.column, e.message) for e in report.errors]
    assert all(e.row >= 2 and e.message for e in report.errors)
    assert counts(region) == before


def test_a_duplicate_row_names_the_row_it_repeats(region):
    imported(region, "institutions", institutions_csv(GOOD_INSTITUTION))
    report = imported(region, "settlement", settlement_csv("H32060100001,2025-03,职工,10,0",
                                                           "H32060100001,2025-04,职工,10,0",
                                                           "H32060100001,2025-03,职工,10,0"))
    assert [(e.row, e.message) for e in report.errors] == [(4, "与第 2 行重复（机构编码、结算年月、险种相同）")]


def test_an_xlsx_with_numeric_and_date_cells_is_read_without_float_arithmetic(region):
    from openpyxl import Workbook

    imported(region, "institutions", institutions_csv(GOOD_INSTITUTION))
    book = Workbook()
    sheet = book.active
    sheet.append(["机构编码", "结算年月", "险种", "基金支付金额", "其中异地就医金额"])
    sheet.append(["H32060100001", dt.datetime(2025, 1, 1), "职工", 1409.5, 0.1])
    sheet.append(["H32060100001", "2025/2", "居民", 107000.53, 0])
    data = io.BytesIO()
    book.save(data)
    report = imported(region, "settlement", data.getvalue(), name="settlement.xlsx")
    assert report.applied and report.added == 2
    with region() as s:
        amounts = sorted(s.execute(text("SELECT p.amount FROM monthly_payout p JOIN institution i ON i.id = p.institution_id "
                                             "WHERE i.code = 'H32060100001'")).scalars())
    assert amounts == [140950, 10700053]  # fen, exactly
    book.active.append(["H32060100001", "2025-03", "职工", 1.005, 0])
    data = io.BytesIO()
    book.save(data)
    refused = imported(region, "settlement", data.getvalue(), name="settlement.xlsx")
    assert refused.errors[0].row == 4 and "超过两位小数" in refused.errors[0].message


def test_24_only_the_department_that_owns_the_data_imports_it(region):
    before = counts(region)
    for kind, data, others in (("settlement", settlement_csv("H32060100001,2025-01,职工,10,0"), ("jihe1", "caiwu1")),
                               ("conditions", "机构编码,年度,情形,依据文书,登记日期\n".encode(), ("jiesuan1",)),
                               ("funds", "年度,险种,上年末累计结余,月均基金支出,上年当期结余,预测当期结余\n".encode(),
                                ("jiesuan1", "jihe1"))):
        for user in others + ("shenji1",):
            with pytest.raises(ServiceError) as refused:
                imported(region, kind, data, user=user)
            assert refused.value.field == "user", (kind, user)
    assert counts(region) == before


def test_a_dry_run_reports_what_it_would_do_and_writes_nothing(region):
    before = counts(region)
    report = imported(region, "institutions", institutions_csv(GOOD_INSTITUTION), dry_run=True)
    assert report.added == 1 and not report.applied and report.message.startswith("试导入（未写入）")
    assert counts(region) == before


def test_an_amount_is_stored_to_the_fen(region):
    imported(region, "funds", "年度,险种,上年末累计结余,月均基金支出,上年当期结余,预测当期结余\n"
                              "2026,职工,\"1,234,567.89\",100000.10,-1.5,0\n".encode())
    with region() as s:
        row = s.execute(text("SELECT f.cumulative_surplus, f.last_year_current_balance FROM fund_position f "
                             "JOIN region r ON r.id = f.region_id WHERE r.code = '320601'")).one()
    assert tuple(row) == (123456789, -150) and Decimal("1234567.89") == Decimal(row[0]).scaleb(-2)


def test_on_screen_a_file_is_previewed_then_confirmed_and_shows_in_the_history(client, region):
    from tests.screens import csrf_token, sign_in

    imported(region, "institutions", institutions_csv(GOOD_INSTITUTION))
    sign_in(client, "jiesuan1")
    page = client.get(f"/imports/{IMPORTED}").get_data(as_text=True)
    assert "导入月度结算" in page and "导入机构情形" not in page  # 稽核's kind: not this department's
    token = csrf_token(client, "/password")
    bad = client.post(f"/imports/{IMPORTED}/settlement/preview", data={
        "csrf_token": token, "file": (io.BytesIO(settlement_csv("H32060100001,2025-01,职工,1.001,0")),
                                                 "s.csv")})
    assert bad.status_code == 400 and "金额 1.001 超过两位小数" in bad.get_data(as_text=True)
    assert "确认导入" not in bad.get_data(as_text=True)
    good = client.post(f"/imports/{IMPORTED}/settlement/preview", data={
        "csrf_token": token, "file": (io.BytesIO(settlement_csv("H32060100001,2025-01,职工,1000,0")),
                                                 "s.csv")})
    body = good.get_data(as_text=True)
    assert good.status_code == 200 and "试导入（未写入）：新增 1 行" in body and "确认导入" in body
    upload = body.split("/uploads/")[1].split("/confirm")[0]
    done = client.post(f"/imports/{IMPORTED}/uploads/{upload}/confirm", data={"csrf_token": token})
    assert done.status_code == 200 and "已导入：新增 1 行" in done.get_data(as_text=True)
    again = client.post(f"/imports/{IMPORTED}/uploads/{upload}/confirm", data={"csrf_token": token})
    assert again.status_code == 404  # confirmed once
    history = client.get(f"/imports/{IMPORTED}").get_data(as_text=True)
    assert "月度结算" in history and "s.csv" in history
    template = client.get(f"/imports/{IMPORTED}/settlement/template.xlsx")
    assert template.status_code == 200 and template.data[:2] == b"PK"
    assert client.get(f"/imports/{IMPORTED}/nothing/template.xlsx").status_code == 404
    assert client.get(f"/imports/{IMPORTED}/settlement/export.xlsx").status_code == 400  # a month, not all history
    exported = client.get(f"/imports/{IMPORTED}/settlement/export.xlsx?month=2025-01")
    from openpyxl import load_workbook
    sheet = load_workbook(io.BytesIO(exported.data)).active
    assert [c.value for c in sheet[2]] == ["H32060100001", "2025-01", "职工", "1000.00", "0.00"]
    reimported = imported(region, "settlement", exported.data, name="export.xlsx")
    assert reimported.unchanged == 1 and not reimported.applied  # an export imports back unchanged


def test_the_api_imports_a_multipart_file_once_per_idempotency_key(client, app, region):
    from tests.console import token_for

    imported(region, "institutions", institutions_csv(GOOD_INSTITUTION))
    headers = {"Authorization": f"Bearer {token_for(app, 'jiesuan1')}", "Idempotency-Key": "settle-2025-01"}
    data = settlement_csv("H32060100001,2025-01,职工,1000,0")
    first = client.post("/api/v1/imports/settlement", headers=headers,
                        data={"region": IMPORTED, "file": (io.BytesIO(data), "s.csv")})
    again = client.post("/api/v1/imports/settlement", headers=headers,
                        data={"region": IMPORTED, "file": (io.BytesIO(data), "s.csv")})
    assert first.status_code == again.status_code == 200 and first.json == again.json
    assert first.json["added"] == 1 and first.json["applied"] is True
    other = client.post("/api/v1/imports/settlement", headers=headers,
                        data={"region": IMPORTED, "file": (io.BytesIO(settlement_csv("H32060100001,2025-02,职工,1,0")),
                                                           "s.csv")})
    assert other.status_code == 409
    bad = client.post("/api/v1/imports/settlement", headers={**headers, "Idempotency-Key": "bad"},
                      data={"region": IMPORTED, "file": (io.BytesIO(settlement_csv("H32060199999,2025-01,职工,1,0")),
                                                         "s.csv")})
    assert bad.status_code == 422 and bad.json["report"]["error_count"] == 1
    assert "第 2 行 机构编码" in bad.json["errors"]["file"][0]
    hidden = client.post("/api/v1/imports/settlement", headers={**headers, "Idempotency-Key": "elsewhere"},
                         data={"region": "999999", "file": (io.BytesIO(data), "s.csv")})
    assert hidden.status_code == 404


def test_the_console_writes_templates_imports_with_a_dry_run_refuses_a_bad_file_and_lists_the_history(
        region, cli_runner, tmp_path):
    from openpyxl import load_workbook

    from tests.console import as_user

    def run(*args, user="jiesuan1"):
        return cli_runner.invoke(args=["import", *args], env=as_user(cli_runner.app, user))

    template = tmp_path / "模板.xlsx"
    assert run("template", "institutions", "--out", str(template)).exit_code == 0
    assert [c.value for c in load_workbook(template).active[1]][:2] == ["机构编码", "机构名称"]
    good = tmp_path / "institutions.csv"
    good.write_bytes(institutions_csv(GOOD_INSTITUTION))
    dry = run("institutions", str(good), "--region", IMPORTED, "--dry-run")
    assert dry.exit_code == 0 and "试导入（未写入）：新增 1 行" in dry.output
    done = run("institutions", str(good), "--region", IMPORTED)
    assert done.exit_code == 0 and "已导入：新增 1 行" in done.output
    bad = tmp_path / "settlement.csv"
    bad.write_bytes(settlement_csv("H32060100001,2025-01,职工,1.001,0", encoding="gb18030"))
    refused = run("settlement", str(bad), "--region", IMPORTED)
    assert refused.exit_code == 2 and "金额 1.001 超过两位小数" in refused.output and "整个文件未导入" in refused.output
    assert run("settlement", str(bad), "--region", IMPORTED, user="jihe1").exit_code == 2  # not 稽核's data
    missing = run("settlement", str(tmp_path / "none.csv"), "--region", IMPORTED)
    assert missing.exit_code == 2 and "无法读取文件" in missing.output
    unexplained = run("institutions", str(good), "--region", IMPORTED, "--correct")
    assert unexplained.exit_code == 2 and "更正导入须说明原因" in unexplained.output
    history = run("history", "--region", IMPORTED)
    assert history.exit_code == 0 and "定点医药机构" in history.output and "institutions.csv" in history.output
    out = tmp_path / "export.xlsx"
    assert run("export", "institutions", "--region", IMPORTED, "--out", str(out)).exit_code == 0
    assert load_workbook(out).active["A2"].value == "H32060100001"
    assert run("export", "settlement", "--region", IMPORTED, "--out", str(out)).exit_code == 2  # a month is needed


def test_28_a_file_that_would_change_two_recorded_rows_is_refused_row_by_row_not_crashed(region):
    """Issue 28 finding 9: the second changed row read the error's text as the columns to compare (a
    KeyError, HTTP 500). Every changed row is named, nothing is written."""
    second = "H32060100002,导入市中医院,{uscc},医院,二级,是,2019-05-01,中国银行导入支行,6216600000000002"
    second = second.format(uscc=SECOND_USCC)
    imported(region, "institutions", institutions_csv(GOOD_INSTITUTION, second))
    before = counts(region)
    both = institutions_csv(GOOD_INSTITUTION.replace("导入市人民医院", "导入市第一人民医院"),
                            second.replace("导入市中医院", "导入市第二中医院"))
    refused = imported(region, "institutions", both)
    assert refused.error_count == 2 and all("与已登记数据不一致（机构名称）" in e.message for e in refused.errors)
    assert counts(region) == before
