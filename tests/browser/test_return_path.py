"""The return path on screen, over two played years: the finance clerk reads what is owed with its age
and its tie to the ledger, opens a written-off lawsuit and a month's payment list; the inspector
records a trigger; the clerk demands the rest."""
import re

from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, RETURN_REGION, sign_in


def test_20_what_is_owed_back_its_history_and_a_month_of_settlement(anonymous_page, live_url):
    page = anonymous_page
    sign_in(page, live_url, "caiwu1")
    page.wait_for_url(f"{live_url}/")
    page.goto(f"{live_url}/recovery/{RETURN_REGION}?status=all")
    expect(page.get_by_role("heading", name=re.compile("应收回预付金"))).to_be_visible()
    expect(page.get_by_role("table", name="与账簿核对")).to_contain_text("与账簿相符")
    for route in ("触发收回", "清算收回", "年终差额收回（多退少补）"):
        expect(page.get_by_role("cell", name=route).first).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "receivables.png"), full_page=True)

    page.get_by_role("row", name=re.compile("已核销")).get_by_role("link").first.click()
    expect(page.get_by_text(re.compile("民初1024号")).first).to_be_visible()
    expect(page.get_by_role("cell", name="核销", exact=True).first).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "receivable-written-off.png"), full_page=True)

    page.get_by_role("link", name="月度结算").click()
    page.get_by_role("link", name="2025-12").first.click()
    expect(page.get_by_text(re.compile("与账簿核对：一致"))).to_be_visible()
    expect(page.get_by_role("cell", name=re.compile("扣回预付金")).first).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "settlement-run.png"), full_page=True)
    with page.expect_download() as download:
        page.get_by_role("link", name="导出银行支付清单").click()
    assert download.value.suggested_filename.startswith("payments-")


def test_20_the_inspector_records_a_trigger_and_the_finance_clerk_demands_the_rest(anonymous_page, live_url):
    page = anonymous_page
    sign_in(page, live_url, "jihe1")
    page.wait_for_url(f"{live_url}/")
    page.goto(f"{live_url}/recovery/{RETURN_REGION}")
    section = page.locator("section", has=page.get_by_role("heading", name=re.compile("登记收回情形")))
    section.get_by_label("机构编码").fill("H32060000035")
    section.get_by_label("收回情形（20§(一)）").select_option(label="违反预付金使用、管理和核算相关规定")
    section.get_by_label("依据文书或证据").fill("专项检查：预付金用于基本建设")
    section.get_by_label("发生日期").fill("2026-11-02")
    section.get_by_role("button", name="登记").click()
    expect(page.get_by_role("status")).to_contain_text("已登记 H32060000035 的收回情形")
    page.screenshot(path=str(ARTIFACTS / "trigger-recorded.png"), full_page=True)
    page.get_by_role("button", name=re.compile("退出")).click()

    sign_in(page, live_url, "caiwu1")
    page.wait_for_url(f"{live_url}/")
    page.goto(f"{live_url}/recovery/{RETURN_REGION}?q=H32060000035")
    page.get_by_role("row", name=re.compile("触发收回")).get_by_role("link").first.click()
    section = page.locator("section", has=page.get_by_role("heading", name=re.compile("发出催收通知")))
    section.get_by_label("催收日期").fill("2026-11-03")
    section.get_by_role("button", name="发出催收通知").click()
    expect(page.get_by_role("status")).to_contain_text(re.compile("须于 2026-11-10 前交回"))
    page.screenshot(path=str(ARTIFACTS / "demand.png"), full_page=True)


def test_10_the_inspector_lifts_a_triggers_seizure_with_its_evidence_on_the_institutions_page(anonymous_page, live_url):
    """RULES §2: a trigger's asset seizure stays a condition of 10§ until 稽核 records why it no longer
    applies, beside the condition on the institution's page."""
    page = anonymous_page
    sign_in(page, live_url, "jihe1")
    page.wait_for_url(f"{live_url}/")
    page.goto(f"{live_url}/recovery/{RETURN_REGION}")
    section = page.locator("section", has=page.get_by_role("heading", name=re.compile("登记收回情形")))
    section.get_by_label("机构编码").fill("H32060000034")
    section.get_by_label("收回情形（20§(一)）").select_option(label="财产被保全")
    section.get_by_label("依据文书或证据").fill("（2026）苏0602财保31号民事裁定书")
    section.get_by_label("发生日期").fill("2026-11-02")
    section.get_by_role("button", name="登记").click()
    expect(page.get_by_role("status")).to_contain_text("已登记 H32060000034 的收回情形")

    page.goto(f"{live_url}/institutions/{RETURN_REGION}/H32060000034")
    row = page.get_by_role("row", name=re.compile("收回情形：财产被保全"))
    expect(row).to_contain_text("适用中")
    row.get_by_label("依据").fill("（2026）苏0602执保31号之二解除保全裁定书")
    row.get_by_role("button", name="登记不适用").click()
    expect(page.get_by_role("status")).to_contain_text("不再适用")
    expect(page.get_by_role("row", name=re.compile("收回情形：财产被保全"))).to_contain_text("由 jihe1 解除")
    page.screenshot(path=str(ARTIFACTS / "condition-lifted.png"), full_page=True)
