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
    expect(page.get_by_role("heading", name=re.compile("住院预交金监测"))).to_be_visible()
    page.get_by_role("button", name=re.compile("测算 \\d{4} 年度参考额度|重新测算")).click()
    expect(page.get_by_role("status")).to_contain_text("参考额度已测算")
    page.get_by_role("link", name=re.compile("参考额度明细")).click()
    expect(page.get_by_role("heading", name=re.compile("住院预交金参考额度"))).to_be_visible()
    expect(page.get_by_text(re.compile(r"本地住院 [\d,]+ 人次（异地 [\d,]+ 人次另计）"))).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "deposit-reference.png"), full_page=False)
    page.get_by_role("button", name="退出登录").click()
    sign_in(page, live_url, "shenji1")
    page.wait_for_url(f"{live_url}/")
    page.get_by_role("link", name="住院预交金").first.click()
    expect(page.get_by_role("button", name=re.compile("重新测算"))).to_be_disabled()
    page.get_by_role("link", name=re.compile("参考额度明细")).click()
    page.get_by_label("病组编码").fill("OR19")
    page.get_by_label("参保类别").select_option(label="居民医保")
    page.get_by_role("button", name="查询").click()
    rows = page.get_by_role("table", name="参考额度明细").locator("tbody tr")
    expect(rows.first).to_contain_text("OR19")
    assert all("居民医保" in t for t in rows.all_inner_texts())
    page.get_by_role("link", name="下一页 »").count() == 0 or page.get_by_role("link", name="下一页 »").click()
    page.screenshot(path=str(ARTIFACTS / "deposit-reference-filtered.png"), full_page=True)


def test_item7_the_clerk_reads_the_dashboard_opens_a_hospital_and_issues_its_notice(anonymous_page, live_url):
    """The demo's tables were checked as it loaded: the dashboard shows where deposits stand, the clerk opens
    the hospital with the largest excess and issues its 整改提示函; the findings read 已通知 and the notice is
    listed to download; the auditor sees the same page without the button."""
    page = anonymous_page
    sign_in(page, live_url, "jiesuan1")
    page.wait_for_url(f"{live_url}/")
    page.get_by_role("link", name="住院预交金").first.click()
    expect(page.get_by_role("heading", name="公示与合规")).to_be_visible()
    expect(page.get_by_role("img", name=re.compile("公示额度 ÷ 参考额度"))).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("须重新测算的医院"))).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "deposit-dashboard.png"), full_page=True)
    excess = page.get_by_role("region", name="公示额度超出参考额度最多的")
    link = excess.get_by_role("link").first
    code = link.inner_text()
    link.click()
    expect(page.get_by_role("heading", name=re.compile(f"{code}.*住院预交金"))).to_be_visible()
    expect(page.get_by_text("高于参考额度").first).to_be_visible()
    page.get_by_role("button", name=re.compile("出具整改提示函")).click()
    expect(page.get_by_role("status")).to_contain_text("已出具住院预交金整改提示函")
    expect(page.get_by_role("link", name="住院预交金整改提示函")).to_be_visible()
    expect(page.get_by_role("cell", name="已通知").first).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "deposit-hospital.png"), full_page=True)
    with page.expect_download() as download:
        page.get_by_role("link", name="住院预交金整改提示函").click()
    assert download.value.suggested_filename.endswith(".docx")
    page.get_by_role("button", name="退出登录").click()
    sign_in(page, live_url, "shenji1")
    page.wait_for_url(f"{live_url}/")
    page.goto(f"{live_url}/deposit/320600/2026/hospitals/{code}")
    expect(page.get_by_role("button", name=re.compile("出具整改提示函"))).to_be_disabled()
