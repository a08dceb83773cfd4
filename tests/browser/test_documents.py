"""Documents on screen: the clerk downloads an institution's agreement, the register lists it, anyone checks
the file against the register."""
import re

from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, sign_in


def test_16_an_agreement_is_downloaded_registered_and_verified(anonymous_page, live_url, tmp_path):
    page = anonymous_page
    sign_in(page, live_url, "jiesuan1")
    page.wait_for_url(f"{live_url}/")
    page.goto(f"{live_url}/institutions/320600/H32060000003")
    with page.expect_download() as download:
        page.get_by_role("button", name="生成 2026 年度预付协议").click()
    saved = tmp_path / "agreement.docx"
    download.value.save_as(saved)
    assert download.value.suggested_filename == "agreement-320600-2026-H32060000003.docx"

    page.get_by_role("navigation", name="功能").get_by_role("link", name="文书", exact=True).click()
    expect(page.get_by_role("cell", name="预付金预付协议").first).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "documents.png"), full_page=True)

    page.get_by_role("navigation", name="功能").get_by_role("link", name="文书核验").click()
    page.get_by_label("文书文件（.docx）").set_input_files(str(saved))
    page.get_by_role("button", name="核验").click()
    expect(page.get_by_role("status")).to_contain_text(re.compile("是本经办机构出具的文书"))
    page.screenshot(path=str(ARTIFACTS / "document-verified.png"), full_page=True)
