"""Issue 30, done when: a new year walked through the to-do list alone. Each department in turn opens the
service on its 我的待办, clicks the item that waits for it and does the work on the screen it leads to,
from opening the year to the bank's return with one transfer returned unpaid (退票), re-issued, reviewed
by 内审 and confirmed. Nobody types a URL of a screen; each step's screenshot is kept."""
import re

from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, TODO_REGION, sign_in

HOME = f"/?region={TODO_REGION}"


def todo_of(page, live_url, user, shot):
    """Sign in as ``user`` and open their to-do list of the walk's region."""
    page.goto(f"{live_url}/")
    if page.get_by_role("button", name="退出登录").count():
        page.get_by_role("button", name="退出登录").click()
    sign_in(page, live_url, user)
    page.wait_for_url(f"{live_url}/")
    page.goto(live_url + HOME)
    expect(page.get_by_role("heading", name=re.compile("我的待办"))).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / f"walk-{shot}-todo-{user}.png"), full_page=False)
    return page.locator("ul.todo-list:not(.others)")


def follow(mine, text):
    """Click the to-do item whose label matches ``text``."""
    mine.get_by_role("link", name=re.compile(text)).click()


def done(page, text):
    expect(page.get_by_role("status")).to_contain_text(text)


def test_30_a_year_is_walked_through_the_to_do_list_alone(anonymous_page, live_url, tmp_path):
    page = anonymous_page
    mine = todo_of(page, live_url, "caiwu1", "01")
    follow(mine, "开启 2026 年度预付")
    page.get_by_role("button", name="开启 2026 年度预付").click()
    done(page, "已开启 2026 年度预付")

    # the hospitals' applications, taken by 基金结算 (picked by name: the picker offers the region's institutions)
    mine = todo_of(page, live_url, "jiesuan1", "02")
    follow(mine, "受理定点医疗机构的预付申请")
    hospitals = page.request.get(f"{live_url}/institutions/{TODO_REGION}/suggest.json?q=医院").json()["items"][:3]
    assert len(hospitals) == 3
    code_field = page.get_by_label("机构编码")
    code_field.press_sequentially(hospitals[0]["name"][:4], delay=30)
    expect(page.locator("datalist#institution-picker option").first).to_be_attached()
    page.screenshot(path=str(ARTIFACTS / "walk-03-picker.png"), full_page=False)
    for hospital in hospitals:
        page.get_by_label("机构编码").fill(hospital["name"])
        page.get_by_label("申请日期").fill("2025-12-28")
        page.get_by_label("医院负责人").fill("院长")
        page.get_by_label("承诺对所提交资料的真实性负责").check()
        page.get_by_role("button", name="受理申请").click()
        done(page, f"已受理 {hospital['code']} 的申请")
    mine = todo_of(page, live_url, "jiesuan1", "04")
    follow(mine, "3 份预付申请待审核核定")
    page.get_by_role("button", name="按申请测算核定").click()
    done(page, "已按申请测算核定")
    mine = todo_of(page, live_url, "jiesuan1", "05")
    follow(mine, "待确定预付名单")
    page.get_by_label("日期", exact=True).fill("2026-01-05")
    page.get_by_label("我已核对，确认预付名单并开始签约期（不可撤销）").check()
    page.get_by_role("button", name="确定名单，开始签约期").click()
    done(page, "名单已确定")

    # the signing window in one bulk step: every listed institution, one letter, each recorded
    mine = todo_of(page, live_url, "jiesuan1", "06")
    follow(mine, "家待办理担保、抵押手续")
    bulk = page.locator("form#bulk-window")
    bulk.get_by_label("查询结果中全部待办的").check()
    bulk.get_by_label("信用担保函编号").fill("通卫担〔2026〕9号")  # the health commission's letter for its hospitals
    bulk.get_by_label("担保函载明的担保总额（元）").fill("1000万")
    bulk.get_by_label("办理日期").fill("2026-01-08")
    page.screenshot(path=str(ARTIFACTS / "walk-07-bulk-window.png"), full_page=True)
    bulk.get_by_role("button", name="登记信用担保并签订协议").click()
    done(page, "登记信用担保并签订协议")
    mine = todo_of(page, live_url, "jiesuan1", "08")
    follow(mine, "家已签协议，待编制拨付批次")
    page.get_by_role("button", name="编制拨付批次（已签约机构）").click()
    done(page, "已编制拨付批次")

    for n, (user, level) in enumerate((("jiesuan1", "基金结算部门编制"), ("caiwu1", "财务管理部门审核申报"),
                                       ("neishen1", "内审部门监督审核"), ("yibaoju1", "医保行政部门确认盖章"),
                                       ("caizhengju1", "财政部门确认盖章"))):
        mine = todo_of(page, live_url, user, f"09-{n}")
        follow(mine, "待核对并提交逐级审核" if n == 0 else f"待“{level}”签字")
        page.get_by_label("审核意见").fill(f"{level}：同意")
        page.get_by_role("button", name="同意并签字").click()
        done(page, f"已签字：{level}")

    mine = todo_of(page, live_url, "caiwu1", "10")
    follow(mine, "逐级审核已通过，待下达拨付指令")
    page.locator("form", has=page.get_by_role("button", name="生成拨付指令")).get_by_label("日期").fill("2026-01-23")
    page.get_by_role("button", name="生成拨付指令").click()
    done(page, "已生成拨付指令")

    # the bank's return: every transfer paid but one, returned unpaid (退票)
    mine = todo_of(page, live_url, "caiwu1", "11")
    follow(mine, "笔拨付指令待确认到账")
    with page.expect_download() as download:
        page.get_by_role("link", name="导出回单模板").click()
    sheet = tmp_path / download.value.suggested_filename
    download.value.save_as(sheet)
    book = load_workbook(sheet)
    rows = list(book.active.iter_rows(min_row=2))
    assert len(rows) >= 3
    rows[0][7].value, rows[0][8].value = "失败", "账户已销户"
    for n, row in enumerate(rows[1:]):
        row[5].value, row[6].value = f"BK2026012600{n}", "2026-01-26"
    returned = tmp_path / "回单.xlsx"
    book.save(returned)
    page.get_by_label("银行代发回单（.xlsx 或 .csv）").set_input_files(str(returned))
    page.get_by_role("button", name="按回单批量确认到账").click()
    done(page, f"确认到账并记账 {len(rows) - 1} 笔")
    expect(page.get_by_role("status")).to_contain_text("银行退票 1 笔")

    mine = todo_of(page, live_url, "caiwu1", "12")
    follow(mine, "笔被银行退票")
    failed = page.locator("tr", has_text="账户已销户")
    failed.get_by_label("重新拨付依据").fill("机构账户变更函〔2026〕1号")
    failed.get_by_label("日期").fill("2026-01-27")
    failed.get_by_role("button", name="按机构现登记账户重新拨付").click()
    done(page, "已重新拨付")

    mine = todo_of(page, live_url, "neishen1", "13")
    follow(mine, "笔重新拨付待复核")
    review = page.locator("tr", has_text="重新拨付待内审部门复核")
    review.get_by_label("复核意见").fill("已核对账户变更函及银行核实记录")
    review.get_by_role("button", name="复核同意重新拨付").click()
    done(page, "已复核同意")

    # the re-issued transfer, sent on its own, confirmed with its own bank reference
    mine = todo_of(page, live_url, "caiwu1", "14")
    follow(mine, "1 笔拨付指令待确认到账")
    expect(page.locator("input[name=instruction]")).to_have_count(0)  # a re-issue is no part of a batch transfer
    row = page.locator("form", has=page.get_by_role("button", name="确认", exact=True)).first
    row.get_by_label("银行流水号").fill("BK20260127000")
    row.get_by_label("到账日期").fill("2026-01-27")
    page.screenshot(path=str(ARTIFACTS / "walk-15-confirm-reissued.png"), full_page=True)
    row.get_by_role("button", name="确认", exact=True).click()
    done(page, "已确认到账并记账")
    mine = todo_of(page, live_url, "caiwu1", "16")
    expect(mine.get_by_role("link", name=re.compile("待确认到账|退票|待下达"))).to_have_count(0)
    page.goto(f"{live_url}/?region={TODO_REGION}&year=2026")
    expect(page.get_by_text(re.compile(r"已拨付 3 家"))).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "walk-17-dashboard.png"), full_page=True)
