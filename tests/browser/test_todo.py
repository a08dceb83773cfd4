"""Issue 30: every member of staff opens the service on their own to-do list (待办) and each item leads to
the screen where it is done, which lets them do it (no 403)."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, RETURN_REGION, SIGNING_REGION, sign_in

STAFF = ("jiesuan1", "caiwu1", "neishen1", "yibaoju1", "caizhengju1", "jihe1", "shenji1", "guanli1")


@pytest.mark.parametrize("username", STAFF)
def test_24_each_member_of_staff_opens_on_their_to_do_list_and_every_item_opens(anonymous_page, live_url,
                                                                                 username):
    page = anonymous_page
    sign_in(page, live_url, username)
    page.wait_for_url(f"{live_url}/")
    for region in (SIGNING_REGION, RETURN_REGION):
        page.goto(f"{live_url}/?region={region}")
        heading = page.get_by_role("heading", name=re.compile("我的待办"))
        expect(heading).to_be_visible()
        page.screenshot(path=str(ARTIFACTS / f"todo-{region}-{username}.png"), full_page=False)
        links = [a.get_attribute("href") for a in page.locator("ul.todo-list:not(.others) a").all()]
        for href in links:
            answer = page.goto(f"{live_url}{href}")
            assert answer.status == 200, (username, href, answer.status)
            expect(page.locator("body")).not_to_contain_text("无权")


def test_24_the_auditor_sees_every_action_disabled_with_whose_it_is(anonymous_page, live_url):
    page = anonymous_page
    sign_in(page, live_url, "shenji1")
    page.wait_for_url(f"{live_url}/")
    page.goto(f"{live_url}/cycle/{SIGNING_REGION}/2026")
    expect(page.get_by_text("由基金结算部门办理").first).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "duties-auditor-cycle.png"), full_page=True)
    assert page.locator("main form[method=post] button:enabled").count() == 0  # but signing out, in the header


@pytest.mark.parametrize("path, pages_max", [("/batches/2", 2), (f"/determinations/{SIGNING_REGION}/2026", 3)])
def test_30_a_print_view_fits_a4_without_the_navigation(page, live_url, tmp_path, path, pages_max):
    """The 审批表 of a batch (totals, hash, chain, signatures) on one or two A4 pages; the list likewise."""
    import io

    from pypdf import PdfReader

    page.goto(f"{live_url}{path}")
    page.emulate_media(media="print")
    expect(page.get_by_role("navigation", name="功能")).to_be_hidden()
    printed = PdfReader(io.BytesIO(page.pdf(format="A4", print_background=False, prefer_css_page_size=True)))
    sizes = {(round(float(p.mediabox.width)), round(float(p.mediabox.height))) for p in printed.pages}
    assert sizes == {(595, 842)} and len(printed.pages) <= pages_max, (sizes, len(printed.pages))
    text = "\n".join(p.extract_text() for p in printed.pages)
    assert "退出登录" not in text and not re.search(r"\d[\d,]*[,.]\s*\n\s*\d", text)
    (ARTIFACTS / f"print{path.replace('/', '-')}.pdf").write_bytes(page.pdf(format="A4"))
