"""The landing page and the database commands."""
import json

from prepay_admin.services.demo import load_demo
from tests.console import token_for
from tests.screens import sign_in


def test_a_fresh_installation_says_how_to_create_the_first_users(client):
    response = client.get("/", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "登录" in page and "prepay-admin demo load" in page and "prepay-admin users create" in page


def test_the_landing_page_shows_the_campaign_its_sign_offs_and_its_determinations(client, app):
    load_demo(app.extensions["prepay_sessions"], institutions=130, seed=4, year=2026)
    sign_in(client, "jiesuan1")
    response = client.get("/")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "南通市（演示）" in page and "职工医保统筹基金" in page and "可以预付" in page
    assert "年度预付进度" in page and "财政部门确认" in page and "暂付款—医保预付金余额" in page
    assert "核定结果（第 1 次测算，按申请）" in page and "申请机构 110 家" in page and "第 1 / 3 页" in page
    assert "已拨付" in page and "视作放弃" in page
    second = client.get("/?region=320600&year=2026&page=2").get_data(as_text=True)
    assert "第 2 / 3 页" in second


def test_the_what_if_lists_every_institution_with_its_reasons(client, app):
    load_demo(app.extensions["prepay_sessions"], institutions=70, seed=4, year=2026, play=False)
    sign_in(client, "shenji1")
    page = client.get("/").get_data(as_text=True)
    assert "定点医疗机构预付金试算" in page and "第 1 / 2 页" in page
    assert "医保基金使用绩效综合评价 79.99 分，低于 80 分（10§(一)）" in page
    assert "第 2 / 2 页" in client.get("/?region=320600&year=2026&page=2&whatif=1").get_data(as_text=True)


def test_the_landing_page_answers_a_bad_query_without_a_traceback(client, app):
    load_demo(app.extensions["prepay_sessions"], institutions=3, seed=4, year=2026)
    sign_in(client, "jiesuan1")
    assert client.get("/?region=999999").status_code == 404
    assert client.get("/?region=320600&page=" + "9" * 25).status_code == 400
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
