"""DEPOSIT.md, data in: a month of inpatient settlements imported through the intake's rules; no patient's
identity ever enters (a file carrying it is refused whole); the ids kept only as keyed hashes; the fen
identities checked; a refund names what it refunds; a systematically bad file reported by kind of error."""
import datetime as dt
import io
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from prepay_admin.models import Discharge
from prepay_admin.services.demo import load_demo
from prepay_admin.services.errors import ServiceError
from prepay_admin.services.imports import import_file, pseudonym

REGION = "320600"
HEADER = ("结算ID,就诊ID,原结算ID,退费标志,机构编码,险种类型,参保地医保区划,医疗类别,入院日期,出院日期,结算时间,出院科别,"
          "主要诊断编码,主要手术编码,病组编码,分组版本,医疗费总额,基金支付总额,个人负担总金额,个人自付,个人自费,个人账户支出,"
          "个人现金支出,医院负担金额")


def row(sid="S1", visit="V1", original="", refund="否", code="H32060000001", cls="310", area="320600",
        total="10000.00", fund="7000.00", burden="3000.00", copay="2000.00", self_pay="1000.00", account="500.00",
        cash="2500.00", hospital="0.00", group="GB19", admitted="2025-03-01", discharged="2025-03-08"):
    return (f"{sid},{visit},{original},{refund},{code},{cls},{area},21,{admitted},{discharged},{discharged} 10:30:00,"
            f"心内科,I10,,{group},CHS-DRG 2.0,{total},{fund},{burden},{copay},{self_pay},{account},{cash},{hospital}")


def csv(*rows: str, header: str = HEADER) -> bytes:
    return ("\n".join((header, *rows)) + "\n").encode()


@pytest.fixture
def region(sessions):
    load_demo(sessions, institutions=4, seed=1, year=2026, play=False)
    return sessions


def imported(sessions, data: bytes, **options):
    return import_file(sessions, "jiesuan1", REGION, "discharges", "住院结算明细.csv", io.BytesIO(data), **options)


def test_gz12_settlements_are_kept_under_keyed_hashes_with_their_figures_and_their_refunds(region):
    report = imported(region, csv(row(), row(sid="S2", visit="V2", cls="390", area="110100"),
                                  row(sid="S3", original="S1", refund="是", total="-1000.00", fund="-700.00",
                                      burden="-300.00", copay="-200.00", self_pay="-100.00", account="0.00",
                                      cash="-300.00")))
    assert report.error_count == 0 and report.added == 3, report.errors
    with region() as s:
        rows = {r.settlement_key: r for r in s.scalars(select(Discharge))}
    first = rows[pseudonym(REGION, "S1")]
    assert first.visit_key == pseudonym(REGION, "V1") and "S1" not in first.settlement_key
    assert (first.total, first.personal_burden, first.insurance_class, first.out_of_region) == (
        10000, 3000, "employee", False)
    refund = rows[pseudonym(REGION, "S3")]
    assert refund.refund and refund.original_key == first.settlement_key and refund.total == -1000
    assert rows[pseudonym(REGION, "S2")].out_of_region  # insured elsewhere: 异地, counted apart
    assert imported(region, csv(row())).added == 0  # the same settlement again changes nothing


@pytest.mark.parametrize("column", ["患者姓名", "身份证号码", "人员编号"])
def test_a_file_carrying_a_patients_identity_is_refused_whole(region, column):
    with pytest.raises(ServiceError) as err:
        imported(region, csv(row() + ",张三", header=HEADER + f",{column}"))
    assert err.value.field == "file" and column in err.value.message and "不予导入" in err.value.message
    with region() as s:
        assert s.scalar(select(func.count()).select_from(Discharge)) == 0


def test_the_fen_identities_and_refunds_are_checked_row_by_row(region):
    report = imported(region, csv(row(total="10000.01"), row(sid="S2", burden="3000.00", copay="2500.00"),
                                  row(sid="S3", refund="是", total="-1.00", fund="-1.00", burden="0.00", copay="0.00",
                                      self_pay="0.00", cash="0.00", account="0.00"),
                                  row(sid="S4", total="-1.00", fund="-1.00", burden="0.00", copay="0.00",
                                      self_pay="0.00", cash="0.00", account="0.00")))
    assert report.error_count == 4 and not report.applied
    found = {(e.row, e.column) for e in report.errors}
    assert found == {(2, "医疗费总额"), (3, "个人负担总金额"), (4, "原结算ID"), (5, "医疗费总额")}


REFUND = dict(refund="是", total="-1000.00", fund="-700.00", burden="-300.00", copay="-200.00", self_pay="-100.00",
              account="0.00", cash="-300.00")


def test_a_refund_must_correct_a_settlement_of_its_visit_held_or_in_the_same_file(region):
    # the original later in the same file, and one imported before: both net against what they correct
    assert imported(region, csv(row(sid="R1", original="S1", **REFUND), row())).error_count == 0
    assert imported(region, csv(row(sid="R2", original="S1", **REFUND))).added == 1
    # an original nobody holds, and one of another visit: refused whole, each by its row
    report = imported(region, csv(row(sid="S9", visit="V9"), row(sid="R3", original="NOPE", **REFUND),
                                  row(sid="R4", visit="V9", original="S1", **REFUND)))
    assert not report.applied and {(e.row, e.column) for e in report.errors} == {(3, "原结算ID"), (4, "原结算ID")}
    with region() as s:
        assert s.scalar(select(func.count()).select_from(Discharge)) == 3
    # a refund naming itself, two refunds naming each other, a refund of a refund: none corrects a settlement
    cyclic = imported(region, csv(row(sid="SELF", visit="V1", original="SELF", **REFUND),
                                  row(sid="C1", visit="V1", original="C2", **REFUND),
                                  row(sid="C2", visit="V1", original="C1", **REFUND),
                                  row(sid="RR", visit="V1", original="R1", **REFUND)))
    assert not cyclic.applied and {e.row for e in cyclic.errors} == {2, 3, 4, 5}


def test_a_systematically_bad_file_is_reported_as_its_first_errors_and_counts_per_kind(region):
    rows = [row(sid=f"S{n}", code="H99999999999") for n in range(1500)]
    report = imported(region, csv(*rows))
    assert report.error_count == 1500 and len(report.errors) == 1000
    assert report.error_kinds[0][0] == "机构编码" and report.error_kinds[0][2] == 1500


def _month_of_settlements():
    """Hospital 1, group GB19: 24 employee stays (burden 2,000 or 4,000), one settled then partly refunded
    (netting to 3,000), one wholly refunded, 2 employees insured elsewhere (异地); 3 resident stays."""
    rows = []
    for n in range(24):
        burden = "2000.00" if n % 2 else "4000.00"
        copay = "1500.00" if n % 2 else "3000.00"
        self_pay = "500.00" if n % 2 else "1000.00"
        year = 2023 + n % 3
        rows.append(row(sid=f"E{n}", visit=f"VE{n}", total="10000.00", fund=f"{10000 - float(burden):.2f}",
                        burden=burden, copay=copay, self_pay=self_pay, cash=burden, account="0.00",
                        admitted=f"{year}-05-01", discharged=f"{year}-05-09"))
    rows.append(row(sid="P1", visit="VP", total="12000.00", fund="8000.00", burden="4000.00", copay="3000.00",
                    self_pay="1000.00", cash="4000.00", account="0.00", discharged="2025-06-09", admitted="2025-06-01"))
    rows.append(row(sid="P2", visit="VP", original="P1", refund="是", total="-1000.00", fund="0.00",
                    burden="-1000.00", copay="-1000.00", self_pay="0.00", cash="-1000.00", account="0.00",
                    discharged="2025-06-09", admitted="2025-06-01"))
    rows.append(row(sid="W1", visit="VW", discharged="2025-07-09", admitted="2025-07-01"))
    rows.append(row(sid="W2", visit="VW", original="W1", refund="是", total="-10000.00", fund="-7000.00",
                    burden="-3000.00", copay="-2000.00", self_pay="-1000.00", account="-500.00", cash="-2500.00",
                    discharged="2025-07-09", admitted="2025-07-01"))
    rows += [row(sid=f"X{n}", visit=f"VX{n}", area="110100", burden="9000.00", copay="9000.00", self_pay="0.00",
                 fund="1000.00", cash="9000.00", account="0.00") for n in range(2)]
    rows += [row(sid=f"R{n}", visit=f"VR{n}", cls="390", total="8000.00", fund="5000.00", burden="3000.00",
                 copay="3000.00", self_pay="0.00", cash="3000.00", account="0.00") for n in range(3)]
    return csv(*rows)


def test_gz12_the_reference_run_nets_refunds_leaves_out_elsewhere_insured_and_marks_small_cells(region):
    from prepay_admin.queries.deposit import reference_page
    from prepay_admin.services.deposit import compute_reference

    assert imported(region, _month_of_settlements()).error_count == 0
    done = compute_reference(region, REGION, 2026, "jiesuan1")
    assert done.window == (dt.date(2023, 1, 1), dt.date(2025, 12, 31)) and done.superseded is None
    assert (done.admissions, done.out_of_region) == (28, 2)  # 24 + the netted one + 3; the refunded one is none
    cells = {c.insurance_class: c for c in reference_page(region, REGION, 2026).cells}
    employee = cells["employee"]
    # 12 × 4,000 + 12 × 2,000 + 3,000 (12,000 − 1,000 refunded; its burden 4,000 − 1,000) over 25 stays
    assert employee.cases == 25 and employee.reference == D("3000.00") and not employee.small
    assert employee.mean_cost == D("10040.00") and employee.out_of_region_cases == 2  # 251,000 over 25
    assert employee.median == D("3000.00") and employee.p75 == D("4000.00")
    assert cells["resident"].small and cells["resident"].cases == 3 and cells["resident"].reference == D("3000.00")
    proxy = cells["self_pay"]  # 推算: the insured mean cost of the hospital and group
    assert proxy.proxy and proxy.cases == 28 and proxy.reference == D("9821.43")  # 275,000 over 28
    again = compute_reference(region, REGION, 2026, "jiesuan1")
    assert again.superseded == done.run_id and again.inputs_sha256 == done.inputs_sha256
    assert reference_page(region, REGION, 2026).run.id == again.run_id


def test_gz12_the_reference_from_the_terminal_and_who_may_compute_it(region, app, cli_runner):
    from tests.console import as_user

    assert imported(region, _month_of_settlements()).error_count == 0
    listed = cli_runner.invoke(args=["deposit", "profiles"])
    assert listed.exit_code == 0 and "guizhou-2025" in listed.output and "xinjiang-2025" in listed.output
    shown = cli_runner.invoke(args=["deposit", "profiles", "--name", "guizhou-2025"])
    assert "missing_common_is_breach" in shown.output and "GZ 18" in shown.output
    refused = cli_runner.invoke(args=["deposit", "compute", "--region", REGION, "--year", "2026"],
                                env=as_user(app, "caiwu1"))
    assert refused.exit_code == 2 and "基金结算部门" in refused.output
    done = cli_runner.invoke(args=["deposit", "compute", "--region", REGION, "--year", "2026"],
                             env=as_user(app, "jiesuan1"))
    assert done.exit_code == 0 and "本地住院 28 人次（异地 2 人次另计）" in done.output, done.output
    table = cli_runner.invoke(args=["deposit", "reference", "--region", REGION, "--year", "2026", "--limit", "2"],
                              env=as_user(app, "shenji1"))
    assert table.exit_code == 0 and "3,000.00" in table.output and "下一页：--after" in table.output, table.output
    rest = cli_runner.invoke(args=["deposit", "reference", "--region", REGION, "--year", "2026", "--class", "自费"],
                             env=as_user(app, "shenji1"))
    assert "推算" in rest.output and "9,821.43" in rest.output
    missing = cli_runner.invoke(args=["deposit", "reference", "--region", REGION, "--year", "2030"],
                                env=as_user(app, "shenji1"))
    assert missing.exit_code == 2 and "尚未测算 2030 年度" in missing.output


def test_gz12_the_reference_browser_computes_filters_pages_and_exports_and_only_fund_settlement_computes(
        region, app, client):
    from openpyxl import load_workbook

    from tests.screens import csrf_token, sign_in

    assert imported(region, _month_of_settlements()).error_count == 0
    sign_in(client, "caiwu1")
    page = client.get(f"/deposit/{REGION}/2026").get_data(as_text=True)
    assert "尚未测算" in page and "由基金结算部门办理" in page
    token = csrf_token(client, "/password")
    assert client.post(f"/deposit/{REGION}/2026/runs", data={"csrf_token": token}).status_code == 403
    client.post("/logout", data={"csrf_token": token})
    sign_in(client, "jiesuan1")
    token = csrf_token(client, "/password")
    assert client.post(f"/deposit/{REGION}/2026/runs", data={"csrf_token": token}).status_code == 302
    page = client.get(f"/deposit/{REGION}/2026").get_data(as_text=True)
    assert "已测算" in page and "3,000.00" in page and "样本不足" in page and "推算" in page and "异地 2 人次另计" in page
    only = client.get(f"/deposit/{REGION}/2026?class=resident").get_data(as_text=True)
    assert "居民医保" in only and "职工医保</td>" not in only
    export = client.get(f"/deposit/{REGION}/2026.xlsx?class=employee")
    sheet = load_workbook(__import__("io").BytesIO(export.data)).active
    assert export.status_code == 200 and [c.value for c in sheet[3]][:4] == ["机构编码", "机构名称", "病组", "类别"]
    assert sheet.cell(4, 4).value == "职工医保" and sheet.cell(4, 10).value == 3000


def test_gz12_the_reference_through_the_api_paged_by_keyset_and_computed_once_per_key(region, app, client):
    from tests.console import token_for

    assert imported(region, _month_of_settlements()).error_count == 0
    url = f"/api/v1/regions/{REGION}/deposit-references/2026"
    fund = {"Authorization": f"Bearer {token_for(app, 'jiesuan1')}", "Idempotency-Key": "ref-1"}
    assert client.get(url, headers={"Authorization": fund["Authorization"]}).status_code == 404
    first = client.post(f"{url}/runs", headers=fund)
    again = client.post(f"{url}/runs", headers=fund)
    assert first.status_code == again.status_code == 201 and first.json == again.json  # computed once
    finance = {"Authorization": f"Bearer {token_for(app, 'caiwu1')}", "Idempotency-Key": "ref-2"}
    assert client.post(f"{url}/runs", headers=finance).status_code == 403
    auditor = {"Authorization": f"Bearer {token_for(app, 'shenji1')}"}
    page = client.get(f"{url}?limit=2", headers=auditor).json
    assert len(page["items"]) == 2 and page["next_after"] == page["items"][-1]["id"]
    assert page["items"][0]["reference"] == "3000.00" and page["run"]["inputs_sha256"] == first.json["inputs_sha256"]
    rest = client.get(f"{url}?after={page['next_after']}", headers=auditor).json
    assert [c["insurance_class"] for c in rest["items"]] == ["self_pay"] and rest["next_after"] is None
    assert client.get(f"{url}?class=nobody", headers=auditor).status_code == 422


def test_gz12_a_reference_without_settlements_in_its_window_is_refused_naming_the_window(region):
    from prepay_admin.services.deposit import compute_reference

    with pytest.raises(ServiceError) as err:
        compute_reference(region, REGION, 2026, "jiesuan1")
    assert "2023-01-01 至 2025-12-31 内没有住院结算数据" in err.value.message


TABLE_HEADER = "机构编码,病组编码,参保类别,预交金额度,测算依据,执行日期,细则实施前标准"


def _published(sessions, *lines: str):
    return import_file(sessions, "jiesuan1", REGION, "deposit-tables", "公示.csv",
                       io.BytesIO(("\n".join((TABLE_HEADER, *lines)) + "\n").encode()))


def test_gz12_gz18_a_published_table_is_checked_against_the_reference_the_freeze_and_the_common_groups(region):
    from sqlalchemy import select as sa_select

    from prepay_admin.models import DepositFinding
    from prepay_admin.services.deposit import check_tables, compute_reference

    assert imported(region, _month_of_settlements()).error_count == 0
    compute_reference(region, REGION, 2026, "jiesuan1")
    table = _published(region, "H32060000001,GB19,职工医保,3500.00,近三年个人负担均值,2026-01-01,3000.00",
                       "H32060000001,GB19,居民医保,5000.00,,2026-01-01,")
    assert table.error_count == 0, table.errors
    done = check_tables(region, REGION, 2026, dt.date(2026, 2, 1), "jiesuan1")
    assert (done.hospitals, done.new) == (1, 2)
    with region() as s:
        found = {(f.kind, f.insurance_class): f for f in s.scalars(sa_select(DepositFinding))}
    above = found[("above_reference", "employee")]
    assert above.breach and above.published == D("3500.00") and above.reference == D("3000.00")
    assert above.article == "默认" and above.status == "new"  # national defaults: no text gives a tolerance
    assert ("above_frozen", "employee") in found  # 3,500 against the standard of 3,000 before 2025-06-30
    assert ("above_reference", "resident") not in found  # a 样本不足 cell (3 cases) is no basis
    # the hospital lowers its deposit: the next check finds it rectified, the frozen finding too
    _published(region, "H32060000001,GB19,职工医保,2800.00,,2026-03-01,3000.00")
    again = check_tables(region, REGION, 2026, dt.date(2026, 3, 2), "jiesuan1")
    assert (again.found, again.rectified) == (0, 2)


def test_gz12_findings_on_screen_from_the_terminal_and_through_the_api(region, app, client, cli_runner):
    from tests.console import as_user, token_for
    from tests.screens import csrf_token, sign_in

    assert imported(region, _month_of_settlements()).error_count == 0
    from prepay_admin.services.deposit import compute_reference
    compute_reference(region, REGION, 2026, "jiesuan1")
    _published(region, "H32060000001,GB19,职工医保,3500.00,,2026-01-01,")
    checked = cli_runner.invoke(args=["deposit", "check", "--region", REGION, "--year", "2026", "--date", "2026-02-01"],
                                env=as_user(app, "jiesuan1"))
    assert checked.exit_code == 0 and "新发 1 项" in checked.output, checked.output
    listed = cli_runner.invoke(args=["deposit", "findings", "--region", REGION], env=as_user(app, "shenji1"))
    assert "预交金额度高于同病种同类别个人平均负担" in listed.output and "违规" in listed.output
    sign_in(client, "shenji1")
    page = client.get(f"/deposit/{REGION}/2026").get_data(as_text=True)
    assert "未办结的问题（1 项）" in page and "3,500.00" in page and "由基金结算部门办理" in page
    client.post("/logout", data={"csrf_token": csrf_token(client, "/password")})
    sign_in(client, "jiesuan1")
    assert client.post(f"/deposit/{REGION}/2026/checks",
                       data={"csrf_token": csrf_token(client, "/password")}).status_code == 302
    auditor = {"Authorization": f"Bearer {token_for(app, 'shenji1')}"}
    found = client.get(f"/api/v1/regions/{REGION}/deposit-findings", headers=auditor).json
    assert len(found) == 1 and found[0]["published"] == "3500.00" and found[0]["status"] == "new"
    again = client.post(f"/api/v1/regions/{REGION}/deposit-references/2026/checks", json={"on": "2026-02-02"},
                        headers={"Authorization": f"Bearer {token_for(app, 'jiesuan1')}", "Idempotency-Key": "c1"})
    assert again.status_code == 200 and again.json["found"] == 1 and again.json["new"] == 0


@pytest.mark.parametrize("header", ["姓 名", "姓\u3000名", "姓\u200b名", "psn_name", "PSN_NO", "certno", "家庭地址", "社会保障卡号",
                                    "病案号", "出生日期", ""])
def test_only_the_templates_columns_are_taken_so_no_identity_slips_in_under_another_name(region, header):
    with pytest.raises(ServiceError) as err:
        imported(region, csv(row() + ",张三", header=HEADER + f",{header}"))
    assert err.value.field == "file" and "不予导入" in err.value.message or "无表头" in err.value.message


def test_free_text_that_looks_like_an_id_or_phone_number_is_refused(region):
    report = imported(region, csv(row().replace("心内科", "心内科320602199001011234")))
    assert report.error_count == 1 and report.errors[0].column == "出院科别" and "疑似身份证号" in report.errors[0].message


def test_a_workbook_with_data_on_a_second_sheet_is_refused_whole(region):
    from openpyxl import Workbook
    book = Workbook()
    book.active.append(HEADER.split(","))
    book.active.append(row().split(","))
    book.create_sheet("人员").append(["张三", "320602199001011234"])
    out = io.BytesIO()
    book.save(out)
    with pytest.raises(ServiceError) as err:
        import_file(region, "jiesuan1", REGION, "discharges", "x.xlsx", io.BytesIO(out.getvalue()))
    assert "工作表“人员”也有数据" in err.value.message


def test_a_correction_records_the_settlement_by_its_pseudonym_never_its_id(region):
    from prepay_admin.models import DataCorrection

    imported(region, csv(row(sid="RAWSETTLE777")))
    imported(region, csv(row(sid="RAWSETTLE777", department="外科") if False else row(sid="RAWSETTLE777").replace(
        "心内科", "外科")), correct=True, reason="科别更正")
    with region() as s:
        keys = s.scalars(select(DataCorrection.record_key)).all()
    assert keys and all("RAWSETTLE777" not in k for k in keys)


def test_gz12_an_admission_is_counted_whole_in_the_year_of_its_last_discharge(region):
    """A stay settled mid-way in December and at discharge in January is one admission of January, with both
    parts; one still open on 31 December of the window's last year waits for the next window."""
    from prepay_admin.queries.deposit import reference_page
    from prepay_admin.services.deposit import compute_reference

    rows = [row(sid=f"N{n}", visit=f"VN{n}", admitted="2024-04-01", discharged="2024-04-08") for n in range(20)]
    rows += [row(sid="A1", visit="VA", total="5000.00", fund="3500.00", burden="1500.00", copay="1000.00",
                 self_pay="500.00", cash="1500.00", account="0.00", admitted="2022-12-01", discharged="2022-12-31"),
             row(sid="A2", visit="VA", total="5000.00", fund="3500.00", burden="1500.00", copay="1000.00",
                 self_pay="500.00", cash="1500.00", account="0.00", admitted="2022-12-01", discharged="2023-01-10"),
             row(sid="B1", visit="VB", total="9000.00", fund="8000.00", burden="1000.00", copay="1000.00",
                 self_pay="0.00", cash="1000.00", account="0.00", admitted="2025-12-01", discharged="2025-12-31"),
             row(sid="B2", visit="VB", admitted="2025-12-01", discharged="2026-01-12")]
    assert imported(region, csv(*rows)).error_count == 0
    done = compute_reference(region, REGION, 2026, "jiesuan1")
    assert done.admissions == 21  # the 20, and A whole; B is discharged in 2026
    employee = next(c for c in reference_page(region, REGION, 2026).cells if c.insurance_class == "employee")
    assert (employee.cases, employee.reference, employee.mean_cost) == (21, D("3000.00"), D("10000.00"))


def test_gz18_a_guizhou_region_runs_under_its_profile_and_a_missing_common_group_is_a_breach(region, cli_runner):
    from sqlalchemy import select as sa_select

    from prepay_admin.models import DepositFinding
    from prepay_admin.services.deposit import check_tables, compute_reference

    unknown = cli_runner.invoke(args=["region", "deposit-profile", "--code", REGION, "--profile", "nowhere-2025"])
    assert unknown.exit_code == 2 and "guizhou-2025" in unknown.output
    done = cli_runner.invoke(args=["region", "deposit-profile", "--code", REGION, "--profile", "guizhou-2025"])
    assert done.exit_code == 0 and "贵州省规范公立医疗机构预交金管理工作实施细则（试行）" in done.output
    rows = [row(sid=f"G{n}", visit=f"VG{n}", admitted="2025-04-01", discharged="2025-04-08") for n in range(25)]
    rows += [row(sid=f"K{n}", visit=f"VK{n}", group="ES39", total="2000.00", fund="1400.00", burden="600.00",
                 copay="400.00", self_pay="200.00", cash="600.00", account="0.00") for n in range(5)]
    assert imported(region, csv(*rows)).error_count == 0
    compute_reference(region, REGION, 2026, "jiesuan1")
    _published(region, "H32060000001,ES39,职工医保,500.00,,2026-01-01,")  # GB19, the costliest, left out
    check_tables(region, REGION, 2026, dt.date(2026, 2, 1), "jiesuan1")
    with region() as s:
        missing = s.scalar(sa_select(DepositFinding).where(DepositFinding.kind == "common_missing"))
    assert missing.group_code == "GB19" and missing.breach and missing.article == "GZ 18"


def _stored(sessions):
    from sqlalchemy import text

    with sessions() as s:
        columns = [c for c in Discharge.__table__.columns.keys() if c != "id"]
        return sorted(tuple(r) for r in s.execute(text(f"SELECT {', '.join(columns)} FROM discharge")).all())


def test_the_column_by_column_import_reports_and_stores_what_the_cell_by_cell_import_does(region, monkeypatch):
    """The discharges' fast path (``COMPILED``) against the general one, file by file: the same report (counts,
    errors in order, their kinds, changes) and the same rows as the database stores them."""
    from sqlalchemy import text

    from prepay_admin.services import imports

    def both(data: bytes, **options):
        reports = []
        for compiled in ({"discharges"}, set()):
            monkeypatch.setattr(imports, "COMPILED", compiled)
            reports.append(imported(region, data, dry_run=True, **options))
        assert reports[0] == reports[1]
        return reports[0]

    messy = csv(row(), row(sid="S2", code="H99999999999"), row(sid="S3", total="1.00"), row(sid="S1", visit="V9"),
                row(sid="R1", original="NOPE", **REFUND), row(sid="S4", cls="999", admitted="2025-02-30"),
                row(sid="S5", group="G1 13812345678"), "," * 23, row(sid="S6", visit="V6", original="S1", **REFUND))
    report = both(messy)
    assert report.error_count == 8 and [e.row for e in report.errors] == [4, 7, 7, 8, 3, 5, 6, 10]
    good = csv(*(row(sid=f"S{n}", visit=f"V{n}", code=f"H3206000000{1 + n % 4}", cls="390" if n % 3 else "310",
                     area="110100" if n % 7 == 0 else "320600") for n in range(30)),
               row(sid="R1", visit="V3", original="S3", **REFUND))
    assert both(good).added == 31
    stored = {}
    for compiled in ({"discharges"}, set()):
        monkeypatch.setattr(imports, "COMPILED", compiled)
        with region.begin() as s:
            s.execute(text("DELETE FROM discharge"))
        assert imported(region, good).added == 31
        stored[bool(compiled)] = _stored(region)
    assert stored[True] == stored[False]
    changed = csv(row(sid="S1", visit="V1", code="H32060000002", cls="390").replace("心内科", "外科"),
                  row(sid="S2", visit="V2", code="H32060000003", cls="390"), row(sid="S99", visit="V99"))
    refused = both(changed)
    assert refused.error_count == 1 and (refused.added, refused.unchanged) == (1, 1) and "不一致" in refused.errors[0].message
    corrected = both(changed, correct=True, reason="科别更正")
    assert corrected.changed == 1 and corrected.changes and corrected.changes[0].field == "出院科别"
    monkeypatch.setattr(imports, "COMPILED", {"discharges"})
    applied = imported(region, changed, correct=True, reason="科别更正")
    assert applied.applied and (applied.added, applied.changed, applied.unchanged) == (1, 1, 1)
    with region() as s:
        assert s.scalar(select(Discharge.department).where(Discharge.settlement_key == pseudonym(REGION, "S1"))) == "外科"
    assert imported(region, changed).added == 0  # the same file again changes nothing


@pytest.mark.parametrize("measure, seed", [("burden", 1), ("copay", 2), ("cash", 3)])
def test_gz12_every_cell_of_the_run_is_rule_1_over_its_admissions_however_they_were_settled(region, monkeypatch,
                                                                                          measure, seed):
    """The run sums cells in the database; rule 1 written out over Decimal admissions must give the same
    figures for every cell: mid-stay settlements the year before the window, refunds (partial and whole),
    異地 patients, admissions still open after the window, small and large cells, every class."""
    import dataclasses
    import random
    from collections import defaultdict

    from prepay_admin.models import DepositCell, DepositGroup, Institution, Region
    from prepay_admin.policy.deposit import Admission, Measure, cell_figures
    from prepay_admin.profiles.deposit import load_deposit_profile
    from prepay_admin.services import deposit as service

    chosen = Measure(measure)
    monkeypatch.setattr(service, "load_deposit_profile",
                        lambda name: dataclasses.replace(load_deposit_profile(name), measure=chosen))
    rng = random.Random(seed)
    with region.begin() as s:
        region_id = s.scalar(select(Region.id).where(Region.code == REGION))
        hospitals = s.scalars(select(Institution.id).where(Institution.region_id == region_id)).all()[:3]
        visits: dict[tuple, list[tuple]] = {}
        for v in range(400):
            inst, group = rng.choice(hospitals), rng.choice(["GA", "GB", "GC"])
            cls, away = rng.choice(["employee", "resident"]), rng.random() < 0.1
            last = dt.date(2022, 11, 1) + dt.timedelta(days=rng.randrange(0, 1250))  # before, in and after
            settlements = []
            for k in range(rng.choice([1, 1, 1, 2, 3])):  # a mid-stay settlement, a partial or whole refund
                on = last - dt.timedelta(days=rng.choice([0, 40, 300])) if k else last  # a stay of under a year
                cost = rng.randrange(100_00, 50_000_00)
                copay, self_pay = rng.randrange(0, cost // 3), rng.randrange(0, cost // 5)
                fund = cost - copay - self_pay
                account = rng.randrange(0, copay + self_pay + 1)
                sign = -1 if k == 2 else 1
                settlements.append((on, *(sign * a for a in (cost, fund, copay, self_pay, account))))
            if len(settlements) == 3 and rng.random() < 0.5:  # wholly refunded: no admission
                settlements[2] = (last, *(-sum(x[i] for x in settlements[:2]) for i in range(1, 6)))
            visits[(inst, f"V{seed}-{v}", group, cls, away)] = settlements
            for n, (on, cost, fund, copay, self_pay, account) in enumerate(settlements):
                y = lambda fen_: D(fen_).scaleb(-2)  # noqa: E731
                s.add(Discharge(region_id=region_id, institution_id=inst, settlement_key=f"K{seed}-{v}-{n}",
                                visit_key=f"V{seed}-{v}", original_key=None, refund=cost < 0, insurance_class=cls,
                                insured_region="110100" if away else REGION, out_of_region=away,
                                medical_category="21", admitted_on=on - dt.timedelta(days=5), discharged_on=on,
                                settled_at=dt.datetime.combine(on, dt.time(9), tzinfo=dt.timezone.utc),
                                group_code=group, total=y(cost), fund_paid=y(fund),
                                personal_burden=y(copay + self_pay), copay=y(copay), self_pay=y(self_pay),
                                account_paid=y(account), cash_paid=y(copay + self_pay - account),
                                hospital_borne=D(0)))
    done = service.compute_reference(region, REGION, 2026, "jiesuan1")
    profile = dataclasses.replace(load_deposit_profile("national-2025"), measure=chosen)
    cells, last_year, proxy, proxy_last = defaultdict(list), defaultdict(list), defaultdict(list), defaultdict(list)
    away_count, groups = defaultdict(int), defaultdict(lambda: [0, D(0)])
    for (inst, _, group, cls, away), settlements in visits.items():
        last = max(x[0] for x in settlements)
        net = [sum(x[i] for x in settlements) for i in range(1, 6)]
        if not dt.date(2023, 1, 1) <= last <= dt.date(2025, 12, 31) or net[0] <= 0:
            continue
        if last.year == 2025:  # rule 3's base: every admission of the last year, 异地 included
            groups[(inst, group)][0] += 1
            groups[(inst, group)][1] += D(net[0]).scaleb(-2)
        if away:
            away_count[(inst, group, cls)] += 1
            continue
        cost, fund, copay, self_pay, account = (D(a).scaleb(-2) for a in net)
        stay = Admission(cost, fund, copay, self_pay, copay + self_pay - account)
        cells[(inst, group, cls)].append(stay)
        proxy[(inst, group)].append(Admission(cost, D(0), D(0), cost, cost))
        if last.year == 2025:
            last_year[(inst, group, cls)].append(stay)
            proxy_last[(inst, group)].append(Admission(cost, D(0), D(0), cost, cost))
    with region() as s:
        stored = {(c.institution_id, c.group_code, c.insurance_class): c
                  for c in s.scalars(select(DepositCell).where(DepositCell.run_id == done.run_id))}
        kept = {(g.institution_id, g.group_code): [g.admissions, g.cost]
                for g in s.scalars(select(DepositGroup).where(DepositGroup.run_id == done.run_id))}
    assert kept == dict(groups)
    expected = {**cells, **{(i, g, "self_pay"): a for (i, g), a in proxy.items()}}
    assert set(stored) == set(expected) and done.admissions == sum(map(len, cells.values()))
    assert done.out_of_region == sum(away_count.values())
    for key, stays in expected.items():
        self_paid = key[2] == "self_pay"
        rule = cell_figures(stays, dataclasses.replace(profile, measure=Measure.BURDEN) if self_paid else profile)
        cell = stored[key]
        got = (cell.cases, cell.mean_cost, cell.mean_fund, cell.mean_copay, cell.mean_self_pay, cell.mean_cash,
               cell.reference, cell.median, cell.p75, cell.small)
        assert got == (rule.cases, rule.mean_cost, rule.mean_fund, rule.mean_copay, rule.mean_self_pay,
                       rule.mean_cash, rule.reference, rule.median, rule.p75, rule.small), key
        before = (proxy_last[key[:2]] if self_paid else last_year[key])
        assert cell.last_year_cases == len(before) and cell.proxy == self_paid
        assert cell.last_year_reference == (cell_figures(before, dataclasses.replace(
            profile, measure=Measure.BURDEN) if self_paid else profile).reference if before else None)
        assert cell.out_of_region_cases == (0 if self_paid else away_count[key])
