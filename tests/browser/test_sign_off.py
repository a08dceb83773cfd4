"""The sign-offs of Nantong's chain on screen (24§(五), RULES §4), and a clerk who cannot reach the action."""
import re

from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, SIGNING_REGION, sign_in


def test_each_level_of_the_chain_signs_the_batch_on_screen(anonymous_page, live_url):
    page = anonymous_page
    for n, (user, level) in enumerate((("jiesuan1", "基金结算部门编制"), ("caiwu1", "财务管理部门审核申报"),
                                        ("neishen1", "内审部门监督审核"), ("yibaoju1", "医保行政部门确认盖章"),
                                        ("caizhengju1", "财政部门确认盖章"))):
        sign_in(page, live_url, user)
        page.goto(f"{live_url}/?region={SIGNING_REGION}&year=2026")
        page.get_by_role("link", name=re.compile("拨付批次")).first.click()
        expect(page.get_by_role("heading", name=level, exact=True)).to_be_visible()
        expect(page.get_by_text("计算方法")).to_be_visible()
        if n == 1:
            expect(page.get_by_text("✓ 基金结算部门编制")).to_be_visible()  # where the chain stands
        if n == 4:
            page.screenshot(path=str(ARTIFACTS / "sign-off.png"), full_page=True)
        page.get_by_label("审核意见").fill(f"{level}：同意")
        page.get_by_role("button", name="同意并签字").click()
        expect(page.get_by_role("status")).to_contain_text(f"已签字：{level}")
        page.get_by_role("button", name="退出登录").click()
    sign_in(page, live_url, "shenji1")
    page.goto(f"{live_url}/?region={SIGNING_REGION}&year=2026")
    page.get_by_role("link", name=re.compile("拨付批次")).first.click()
    expect(page.get_by_role("heading", name=re.compile("已审批"))).to_be_visible()
    expect(page.get_by_text("同意并签字")).to_have_count(0)


def test_a_clerk_sees_why_they_cannot_sign_the_paid_batch(page, live_url):
    page.get_by_role("link", name=re.compile("拨付批次 1")).click()
    expect(page.get_by_role("note")).to_contain_text("没有待签的审核环节")
    expect(page.get_by_role("button", name="同意并签字")).to_have_count(0)
