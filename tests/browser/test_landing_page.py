"""What a member of staff sees when opening the service on the demo region."""
import re

from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS


def test_staff_see_the_years_progress_its_sign_offs_and_the_determinations(page, live_url, tmp_path):
    page.goto(live_url)
    expect(page.get_by_role("heading", name=re.compile("南通市（演示） 2026 年度"))).to_be_visible()
    expect(page.get_by_text("年度预付进度")).to_be_visible()
    sign_offs = page.locator("table").first
    for level in ("基金结算部门编制提交", "内审部门审核", "医保行政部门确认", "财政部门确认"):
        expect(sign_offs).to_contain_text(level)
    expect(page.get_by_text(re.compile(r"暂付款—医保预付金余额：职工 [\d,]+\.\d{2} 元"))).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("核定结果"))).to_be_visible()
    expect(page.get_by_text(re.compile("须于 2026-01-31 前确认并拨付"))).to_be_visible()  # 15§(四)
    page.screenshot(path=str(ARTIFACTS / "landing.png"), full_page=True)


def test_staff_can_page_through_and_open_the_what_if(page, live_url):
    page.goto(live_url)
    page.get_by_role("link", name="按当前数据试算全部机构").click()
    expect(page.get_by_role("heading", name=re.compile("定点医疗机构预付金试算"))).to_be_visible()
    expect(page.get_by_text("医保基金使用绩效综合评价 79.99 分，低于 80 分（10§(一)）")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "what-if.png"), full_page=True)
    page.get_by_role("link", name="下一页").click()
    expect(page.get_by_text(re.compile(r"第 2 / \d+ 页"))).to_be_visible()
    assert "whatif=1" in page.url
