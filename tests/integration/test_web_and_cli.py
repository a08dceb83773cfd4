"""The landing page and the database commands."""
import json

from prepay_admin.services.demo import load_demo
from tests.console import token_for
from tests.screens import sign_in


def test_a_fresh_installation_says_how_to_create_the_first_users(client):
    response = client.get("/", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "登录" in page and "prepay-admin demo load" in page and "prepay-admin users create" in page


def test_the_dashboard_shows_the_funds_months_the_pipeline_the_deadlines_and_what_is_outstanding(client, app):
    load_demo(app.extensions["prepay_sessions"], institutions=130, seed=4, year=2026)
    sign_in(client, "jiesuan1")
    response = client.get("/")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "南通市（演示）" in page and "职工医保统筹基金" in page and "可以预付" in page
    assert "基金可支付月数与门槛（9§）" in page and "门槛 12" in page and "门槛 6" in page  # 9§ thresholds
    assert "各环节机构数（家）" in page and "逐级审核通过" in page and "视作放弃" in page
    assert "确认并拨付预付金（15§(四)）" in page and "签约、办理担保截止（15§(三)）" in page
    assert page.count("（已办结）") == 2  # the played year: every listed institution signed or gave up, all paid
    assert "年度预付进度" in page and "财政部门确认" in page and "暂付款—医保预付金余额" in page
    assert "<script" not in page and "<svg" in page  # charts drawn on the server, no script


def test_the_determination_list_filters_sorts_pages_and_exports(client, app):
    load_demo(app.extensions["prepay_sessions"], institutions=130, seed=4, year=2026)
    sign_in(client, "jiesuan1")
    page = client.get("/determinations/320600/2026").get_data(as_text=True)
    assert "第 1 次测算（按申请）：符合筛选条件的机构 110 家" in page and "第 1 / 3 页" in page
    assert "第 2 / 3 页" in client.get("/determinations/320600/2026?page=2").get_data(as_text=True)
    paid = client.get("/determinations/320600/2026?state=paid&sort=amount").get_data(as_text=True)
    assert "已拨付" in paid and "未列入名单" not in paid.split("<tbody>")[1]
    assert "符合筛选条件的机构 1 家" in client.get("/determinations/320600/2026?q=H32060000001").get_data(as_text=True)
    assert "符合筛选条件的机构 0 家" in client.get("/determinations/320600/2026?q=%25_").get_data(as_text=True)
    export = client.get("/determinations/320600/2026.xlsx?state=paid")
    assert export.status_code == 200 and export.data[:2] == b"PK"
    import io

    from openpyxl import load_workbook
    sheet = load_workbook(io.BytesIO(export.data)).active
    assert sheet["A1"].value == "预付金核定名单" and sheet["A3"].value == "机构编码"
    assert all(row[3] == "已拨付" for row in sheet.iter_rows(min_row=4, max_row=sheet.max_row - 1, values_only=True))
    for bad in ("state=nope", "sort=price", "eligible=maybe", "page=" + "9" * 25, "q=" + "x" * 61):
        assert client.get(f"/determinations/320600/2026?{bad}").status_code == 400, bad


def test_the_what_if_lists_every_institution_with_its_reasons(client, app):
    load_demo(app.extensions["prepay_sessions"], institutions=70, seed=4, year=2026, play=False)
    sign_in(client, "shenji1")
    page = client.get("/whatif/320600/2026").get_data(as_text=True)
    assert "定点医疗机构预付金试算" in page and "第 1 / 2 页" in page
    assert "医保基金使用绩效综合评价 79.99 分，低于 80 分（10§(一)）" in page
    assert "第 2 / 2 页" in client.get("/whatif/320600/2026?page=2").get_data(as_text=True)
    assert "尚未开启" in client.get("/").get_data(as_text=True)


def test_the_landing_page_answers_a_bad_query_without_a_traceback(client, app):
    load_demo(app.extensions["prepay_sessions"], institutions=3, seed=4, year=2026)
    sign_in(client, "jiesuan1")
    assert client.get("/?region=999999").status_code == 404
    assert client.get("/institutions/320600?page=" + "9" * 25).status_code == 400  # the lists page; the dashboard does not
    assert client.get("/institutions/320600?page=0").status_code == 400
    assert client.get("/?region=320600&year=abc").status_code == 400
    assert "还没有基金结余数据" in client.get("/?region=320600&year=1999").get_data(as_text=True)


def test_demo_load_and_compute_from_the_database_through_the_cli(app, cli_runner, monkeypatch):
    result = cli_runner.invoke(args=["demo", "load", "--institutions", "25", "--seed", "9", "--year", "2026"])
    assert result.exit_code == 0 and "已载入演示统筹地区 320600" in result.output
    again = cli_runner.invoke(args=["demo", "load"])
    assert "已存在，未重复载入" in again.output
    verified = cli_runner.invoke(args=["ledger", "verify"])  # the played cycle: ledger and security cover
    assert verified.exit_code == 0 and "预付金均在担保额度内" in verified.output
    assert cli_runner.invoke(args=["compute", "--region", "320600", "--year", "2026"]).output.startswith("未登录")
    monkeypatch.setenv("PREPAY_TOKEN", token_for(app, "shenji1"))  # the auditor reads the region
    out = cli_runner.invoke(args=["compute", "--region", "320600", "--year", "2026"])
    assert out.exit_code == 0
    data = json.loads(out.output)
    assert len(data["institutions"]) == 25 and data["profile"] == "nantong-2025"


def test_compute_for_an_unknown_region_or_year_names_the_option(app, cli_runner, monkeypatch):
    load_demo(app.extensions["prepay_sessions"], institutions=3, seed=1, year=2026, play=False)
    monkeypatch.setenv("PREPAY_TOKEN", token_for(app, "shenji1"))
    result = cli_runner.invoke(args=["compute", "--region", "000000", "--year", "2026"])
    assert result.exit_code == 2 and result.output.startswith("--region: 无权查看统筹地区 000000")


def test_policy_override_through_the_cli(app, cli_runner, monkeypatch):
    cli_runner.invoke(args=["demo", "load", "--institutions", "3"])
    monkeypatch.setenv("PREPAY_TOKEN", token_for(app, "caiwu1"))
    ok = cli_runner.invoke(args=["policy", "override", "--region", "320600", "--year", "2026",
                                 "--set", 'amount.minimum="50000"', "--approval", "苏医保〔2026〕1号"])
    assert ok.exit_code == 0, ok.output
    bad = cli_runner.invoke(args=["policy", "override", "--region", "320600", "--year", "2026",
                                  "--set", "amount.minimum=50000.5", "--approval", "x"])
    assert bad.exit_code == 2 and bad.output.startswith("--set: amount.minimum：")
