"""The institutions and the books on screen: search and page the register, open an institution with
everything about it (10§, 13§, 16§, 21§), and read the ledger (19§) with its .xlsx downloads; the
finance department closes a period and reopens it with a reason (24§(一))."""
import io

import pytest
from openpyxl import load_workbook

from prepay_admin.services.demo import load_demo
from tests.screens import csrf_token, sign_in


@pytest.fixture
def region(app):
    load_demo(app.extensions["prepay_sessions"], institutions=60, seed=2026, year=2026)
    return app.extensions["prepay_sessions"]


def sheet(response):
    assert response.status_code == 200 and response.data[:2] == b"PK", response.status_code
    return load_workbook(io.BytesIO(response.data)).active


def test_the_institutions_are_searched_paged_and_exported(client, region):
    sign_in(client, "jihe1")
    page = client.get("/institutions/320600").get_data(as_text=True)
    assert "共 60 家" in page and "第 1 / 2 页" in page and "H32060000001" in page
    found = client.get("/institutions/320600?q=H32060000012").get_data(as_text=True)
    assert "共 1 家" in found
    assert "共 0 家" in client.get("/institutions/320600?q=%25").get_data(as_text=True)  # a wildcard is a character
    ws = sheet(client.get("/institutions/320600/export.xlsx?q=H320600000"))
    assert ws["A1"].value == "定点医药机构" and ws["A4"].value == "H32060000001"
    assert client.get("/institutions/320600?q=" + "名" * 61).status_code == 400


def test_21_an_institutions_page_shows_its_standing_security_determination_agreement_statement_and_history(
        client, region):
    sign_in(client, "shenji1")
    page = client.get("/institutions/320600/H32060000001").get_data(as_text=True)
    for heading in ("年度考核与评价", "机构情形（10§）", "担保、抵押（13§）", "核定记录", "预付协议（16§）", "拨付",
                    "对账单：暂付款—医保预付金（21§(一)）", "办理记录"):
        assert heading in page, heading
    assert "已拨付" in page and "签订预付协议" in page  # its payment, and the transition that signed it
    assert "2026 年度 · 第 1 次测算" in page and "期末余额" in page
    missing = client.get("/institutions/320600/H9999999999")
    assert missing.status_code == 404 and "没有定点医药机构 H9999999999" in missing.get_data(as_text=True)
    assert client.get("/institutions/320600/" + "H" * 300).status_code == 404


def test_19_the_trial_balance_detail_statement_and_write_off_register_read_and_download(client, region):
    sign_in(client, "caiwu1")
    tb = client.get("/ledger/320600?from=2026-01&to=2026-12").get_data(as_text=True)
    assert "科目余额表" in tb and "借贷平衡" in tb and "暂付款" in tb
    ws = sheet(client.get("/ledger/320600?from=2026-01&to=2026-12&format=xlsx"))
    assert ws["A1"].value == "科目余额表" and "平衡" in ws["A2"].value
    detail = client.get("/ledger/320600/detail?account=advance&from=2026-01&to=2026-12").get_data(as_text=True)
    assert "明细账" in detail and "期初余额" in detail and "本期合计" in detail
    statement = client.get("/ledger/320600/statements/H32060000001?from=2026-01&to=2026-12").get_data(as_text=True)
    assert "对账单 H32060000001" in statement and "对账确认" in statement
    assert sheet(client.get("/ledger/320600/statements/H32060000001?from=2026-01&to=2026-12&format=xlsx"))[
        "A1"].value == "对账单"
    assert "核销预付金备查簿" in client.get("/ledger/320600/writeoffs?fund=resident").get_data(as_text=True)
    for bad in ("?from=2026-13", "?from=2026-05&to=2026-01", "?fund=dental", "?format=pdf", "/detail?account=x"):
        response = client.get("/ledger/320600" + bad)
        assert response.status_code == 400, bad
        assert "Traceback" not in response.get_data(as_text=True)


def test_24_the_finance_department_closes_a_period_and_reopens_it_with_a_reason(client, region):
    sign_in(client, "caiwu1")
    token = csrf_token(client, "/ledger/320600/closing")
    bad = client.post("/ledger/320600/closing/close", data={"csrf_token": token, "fund": "employee",
                                                             "period": "2026-1", "confirm": "y"})
    assert bad.status_code == 400
    body = bad.get_data(as_text=True)
    assert "会计期间“2026-1”须为 YYYY-MM" in body and 'value="2026-1"' in body  # beside the field, kept
    unticked = client.post("/ledger/320600/closing/close", data={"csrf_token": token, "fund": "employee",
                                                                  "period": "2026-01"})
    assert unticked.status_code == 400 and "请先勾选确认结账" in unticked.get_data(as_text=True)
    closed = client.post("/ledger/320600/closing/close", data={"csrf_token": token, "fund": "employee",
                                                                "period": "2026-01", "confirm": "y"},
                         follow_redirects=True)
    assert "已结账至 2026-01" in closed.get_data(as_text=True)
    unexplained = client.post("/ledger/320600/closing/reopen", data={"csrf_token": token, "fund": "employee",
                                                                      "reason": ""})
    assert unexplained.status_code == 400 and "反结账须说明原因" in unexplained.get_data(as_text=True)
    reopened = client.post("/ledger/320600/closing/reopen", data={"csrf_token": token, "fund": "employee",
                                                                   "reason": "补记一笔"}, follow_redirects=True)
    page = reopened.get_data(as_text=True)
    assert "已撤销最近一次结账" in page and "补记一笔" in page and "尚未结账" in page


def test_30_a_page_about_no_year_still_offers_the_years_screens(client, app):
    """Issue 30 (item 10): the navigation dropped 年度预付办理, 核定名单 and 试算 on pages about no year."""
    from prepay_admin.services.demo import load_demo
    from tests.screens import sign_in

    load_demo(app.extensions["prepay_sessions"], institutions=3, seed=2026, year=2026, play=False)
    sign_in(client, "caiwu1")
    for path in ("/recovery/320600", "/documents/320600", "/institutions/320600"):
        page = client.get(path).get_data(as_text=True)
        assert "/cycle/320600/2026" in page and "核定名单" in page, path
