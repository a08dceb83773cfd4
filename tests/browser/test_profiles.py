"""A region's own rules on screen (issue 14): the administrator uploads a profile with mistakes and sees every
one listed, corrects it, adds it, reads its parameters and compares it with the reference profile."""
from pathlib import Path

from playwright.sync_api import expect

from prepay_admin.profiles import load_profile
from tests.browser.conftest import ARTIFACTS, sign_in

LAKESIDE = Path(__file__).parents[1] / "data/profiles/lakeside-2026.toml"


def test_14_the_administrator_adds_a_regions_profile_and_compares_it(anonymous_page, live_url, tmp_path):
    page = anonymous_page
    sign_in(page, live_url, "guanli1")
    page.wait_for_url(f"{live_url}/**")
    page.goto(f"{live_url}/admin/users")
    page.get_by_role("navigation", name="系统管理").get_by_role("link", name="政策参数方案").click()
    expect(page.get_by_role("cell", name="nantong-2025")).to_be_visible()

    broken = tmp_path / "lakeside-2026.toml"
    broken.write_text(LAKESIDE.read_text(encoding="utf-8").replace('minimum = "50000"', "minimum = 50000.0")
                      .replace("list_fixed_by = { month = 1, day = 8 }", "list_fixed_by = { month = 13, day = 8 }"),
                      encoding="utf-8")
    page.get_by_label("政策参数方案文件（.toml，UTF-8）").set_input_files(str(broken))
    page.get_by_role("button", name="校验并新增").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("未保存，共 2 处错误")
    expect(alert).to_contain_text("amount.minimum")
    expect(alert).to_contain_text("calendar.list_fixed_by.month")
    page.screenshot(path=str(ARTIFACTS / "profile-refused.png"), full_page=True)

    page.get_by_label("政策参数方案文件（.toml，UTF-8）").set_input_files(str(LAKESIDE))
    page.get_by_role("button", name="校验并新增").click()
    expect(page.get_by_role("status")).to_contain_text("已新增政策参数方案 lakeside-2026 第 1 版")
    expect(page.get_by_role("row", name="amount.rounding_unit 1000")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "profile.png"), full_page=True)

    page.goto(f"{live_url}/admin/profiles/diff")
    page.get_by_label("方案 A").select_option(f"nantong-2025@{load_profile('nantong-2025').version}")  # as shipped
    page.get_by_label("方案 B").select_option("lakeside-2026@1")
    page.get_by_role("button", name="比较").click()
    expect(page.get_by_role("row", name="year_end.mode rollover recover")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "profile-diff.png"), full_page=True)
