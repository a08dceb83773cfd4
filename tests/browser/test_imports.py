"""Data intake on screen: a clerk uploads a month's settlement, reads the preview, confirms; a file
with a mistake shows every error by row and column and cannot be confirmed."""
import re

from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS

HEADER = "机构编码,结算年月,险种,基金支付金额,其中异地就医金额\n"


def upload(page, tmp_path, name: str, text: str, encoding: str = "gb18030") -> None:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    section = page.locator("section", has=page.get_by_role("heading", name="导入月度结算"))
    section.get_by_label("文件（.xlsx 或 .csv）").set_input_files(str(path))
    section.get_by_role("button", name="预览").click()


def test_a_month_of_settlement_is_previewed_then_imported_and_a_bad_file_is_refused(page, live_url, tmp_path):
    page.get_by_role("navigation", name="功能").get_by_role("link", name="数据导入").click()
    expect(page.get_by_role("heading", name=re.compile("数据导入"))).to_be_visible()
    upload(page, tmp_path, "bad.csv", HEADER + "H32060000001,2026-10,职工,1000.005,0\nH32069999999,2026-10,居民,10,0\n")
    expect(page.get_by_role("status")).to_contain_text("文件有 2 处错误，整个文件未导入")
    expect(page.get_by_role("cell", name="金额 1000.005 超过两位小数")).to_be_visible()
    expect(page.get_by_role("button", name="确认导入")).to_have_count(0)
    page.screenshot(path=str(ARTIFACTS / "import-errors.png"), full_page=True)
    page.get_by_role("link", name=re.compile("数据导入")).first.click()
    upload(page, tmp_path, "2026-10.csv", HEADER + "H32060000001,2026-10,职工,1000.00,0\nH32060000001,2026-10,居民,500,0\n")
    expect(page.get_by_role("status")).to_contain_text("试导入（未写入）：新增 2 行")
    page.get_by_role("button", name="确认导入").click()
    expect(page.get_by_role("status")).to_contain_text("已导入：新增 2 行")
    page.get_by_role("link", name=re.compile("数据导入")).first.click()
    expect(page.get_by_role("cell", name=re.compile("2026-10.csv"))).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "imports.png"), full_page=True)
