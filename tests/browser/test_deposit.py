"""DEPOSIT.md: the fund-settlement clerk computes the year's deposit reference from the demo's three years of
inpatient settlements and reads it, filtered, as the auditor does after."""
import re

from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, sign_in


def test_gz12_the_clerk_computes_the_reference_and_the_auditor_filters_it(anonymous_page, live_url):
    page = anonymous_page
    sign_in(page, live_url, "jiesuan1")
    page.wait_for_url(f"{live_url}/")
    page.get_by_role("link", name="住院预交金").first.click()
    expect(page.get_by_role("heading", name=re.compile("住院预交金参考额度"))).to_be_visible()
    page.get_by_role("button", name=re.compile("测算 \\d{4} 年度参考额度|重新测算")).click()
    expect(page.get_by_role("status")).to_contain_text("参考额度已测算")
    expect(page.get_by_text(re.compile(r"本地住院 [\d,]+ 人次（异地 [\d,]+ 人次另计）"))).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "deposit-reference.png"), full_page=False)
    page.get_by_role("button", name="退出登录").click()
    sign_in(page, live_url, "shenji1")
    page.wait_for_url(f"{live_url}/")
    page.get_by_role("link", name="住院预交金").first.click()
    expect(page.get_by_role("button", name=re.compile("重新测算"))).to_be_disabled()
    page.get_by_label("病组编码").fill("OR19")
    page.get_by_label("参保类别").select_option(label="居民医保")
    page.get_by_role("button", name="查询").click()
    rows = page.locator("table.results tbody tr")
    expect(rows.first).to_contain_text("OR19")
    assert all("居民医保" in t for t in rows.all_inner_texts())
    page.get_by_role("link", name="下一页 »").count() == 0 or page.get_by_role("link", name="下一页 »").click()
    page.screenshot(path=str(ARTIFACTS / "deposit-reference-filtered.png"), full_page=True)
