"""Signing in on the screen: errors beside their field, what was typed kept, then the region's year."""
import re

from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, sign_in


def test_a_wrong_password_shows_the_error_beside_the_field_and_keeps_the_username(anonymous_page, live_url):
    page = anonymous_page
    sign_in(page, live_url, "caiwu1", "not-the-password-1")
    expect(page.locator("#password-error")).to_have_text("用户名或密码不正确")
    expect(page.get_by_label("用户名")).to_have_value("caiwu1")
    expect(page.get_by_label("密码")).to_be_focused()
    page.screenshot(path=str(ARTIFACTS / "sign-in-error.png"))


def test_each_department_signs_in_and_sees_its_name_and_the_demo_region(anonymous_page, live_url):
    page = anonymous_page
    for username, department in (("caiwu1", "财务管理部门"), ("neishen1", "内审部门"), ("yibaoju1", "医保行政部门"),
                                 ("caizhengju1", "财政部门"), ("shenji1", "审计")):
        sign_in(page, live_url, username)
        expect(page.get_by_role("navigation", name="当前用户")).to_contain_text(f"（{department}）")
        expect(page.get_by_role("heading", name=re.compile("南通市（演示） 2026 年度"))).to_be_visible()
        page.get_by_role("button", name="退出登录").click()
        expect(page.get_by_role("heading", name="登录")).to_be_visible()
