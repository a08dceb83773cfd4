"""What a member of staff sees when opening the service on the demo region: the dashboard, then the
determination list and the what-if one click away."""
import re

from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS


def test_staff_see_the_dashboard_with_its_charts_deadlines_and_sign_offs(page, live_url):
    page.goto(live_url)
    expect(page.get_by_role("heading", name=re.compile("南通市（演示） 2026 年度"))).to_be_visible()
    expect(page.get_by_role("img", name="基金可支付月数与门槛（9§）")).to_be_visible()
    expect(page.get_by_role("img", name="各环节机构数（家）")).to_be_visible()
    expect(page.get_by_role("img", name="预付金余额（按基金）")).to_be_visible()
    expect(page.get_by_text("确认并拨付预付金（15§(四)）")).to_be_visible()
    sign_offs = page.locator("table", has_text="审核环节").first
    for level in ("基金结算部门编制", "财务管理部门审核申报", "内审部门监督审核", "医保行政部门确认盖章", "财政部门确认盖章"):
        expect(sign_offs).to_contain_text(level)
    # summaries in 万元, with the exact amount beside (issue 30)
    expect(page.get_by_text(re.compile(r"暂付款—医保预付金余额：职工 [\d,]+\.\d{2} 万元（[\d,]+\.\d{2} 元）"))).to_be_visible()
    expect(page.get_by_text(re.compile("须于 2026-01-31 前确认并拨付"))).to_be_visible()  # 15§(四)
    page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)


def test_staff_filter_the_determination_list_and_open_an_institution(page, live_url):
    page.get_by_role("navigation", name="功能").get_by_role("link", name="核定名单").click()
    expect(page.get_by_role("heading", name=re.compile("预付金核定名单"))).to_be_visible()
    page.get_by_label("状态").select_option(label="已拨付")
    page.get_by_label("排序").select_option(label="预付金额（大到小）")
    page.get_by_role("button", name="查询").click()
    expect(page.get_by_text(re.compile(r"符合筛选条件的机构 \d+ 家"))).to_be_visible()
    assert "state=paid" in page.url and "sort=amount" in page.url
    expect(page.get_by_role("link", name="导出 Excel")).to_have_attribute("href", re.compile(r"\.xlsx\?.*state=paid"))
    page.screenshot(path=str(ARTIFACTS / "determinations.png"), full_page=False)
    page.locator("table.results a").first.click()
    expect(page.get_by_role("heading", name="对账单：暂付款—医保预付金（21§(一)）")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "institution.png"), full_page=True)


def test_staff_can_page_through_and_open_the_what_if(page, live_url):
    page.get_by_role("navigation", name="功能").get_by_role("link", name="试算").click()
    expect(page.get_by_role("heading", name=re.compile("定点医疗机构预付金试算"))).to_be_visible()
    expect(page.get_by_text("医保基金使用绩效综合评价 79.99 分，低于 80 分（10§(一)）")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "what-if.png"), full_page=True)
    page.get_by_role("link", name="下一页").click()
    expect(page.get_by_text(re.compile(r"第 2 / \d+ 页"))).to_be_visible()
    assert "/whatif/" in page.url
