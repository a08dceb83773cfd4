"""Issue 30: the landing page lists, for each department, exactly what waits for it (待办), and links it to
the screen where it is done; the scheduler's notices go to the region and department they are for."""
import datetime as dt

import pytest
from sqlalchemy import func, select

from prepay_admin import clock
from prepay_admin.models import Determination, Notice, Region
from prepay_admin.policy.departments import Department
from prepay_admin.policy.transitions import DeterminationState
from prepay_admin.queries.todo import todo_list
from prepay_admin.services import batch
from prepay_admin.services.deadlines import notify, remind
from prepay_admin.services.demo import load_demo
from prepay_admin.services.demo_cycle import SIGNERS
from tests.cycle_helpers import YEAR, batch_awaiting_sign_off
from tests.screens import sign_in
from tests.signing_helpers import batch_signers

REGION = "320699"
ON = dt.date(YEAR, 1, 9)
STAFF = {Department.FUND_SETTLEMENT: "jiesuan1", Department.FINANCE: "caiwu1", Department.INTERNAL_AUDIT: "neishen1",
         Department.ADMINISTRATION: "yibaoju1", Department.FINANCE_BUREAU: "caizhengju1",
         Department.INSPECTION: "jihe1", Department.AUDITOR: "shenji1", Department.ADMINISTRATOR: "guanli1"}


@pytest.fixture
def prepared(sessions):
    """A January stopped at a prepared batch: 3 institutions signed and batched, the others listed to secure."""
    batch_id = batch_awaiting_sign_off(sessions, REGION, "南通市（待办演示）")
    return sessions, batch_id


def _listed(sessions) -> int:
    with sessions() as s:
        return s.scalar(select(func.count()).select_from(Determination).where(
            Determination.state == DeterminationState.LISTED))


def _keys(sessions, department):
    return sorted(t.key for t in todo_list(sessions, REGION, ON).of(department))


def test_24_each_department_is_shown_only_its_own_work(prepared):
    sessions, batch_id = prepared
    work = todo_list(sessions, REGION, ON)
    mine = {d: sorted(t.key for t in work.of(d)) for d in Department}
    assert mine[Department.FUND_SETTLEMENT] == ["security", "submit_batch"]  # 15§(三), 24§(二)
    assert all(not mine[d] for d in Department if d != Department.FUND_SETTLEMENT), mine
    security = next(t for t in work.items if t.key == "security")
    assert security.count == _listed(sessions) and security.days_left == (security.due - ON).days
    assert f"{security.count} 家待办理担保" in security.label and security.article == "13§、15§(三)"


def test_24_a_batch_in_review_waits_for_the_department_of_its_next_level_only(prepared):
    sessions, batch_id = prepared
    for signer in batch_signers(sessions, batch_id):
        department = next(d for d, (who, _) in SIGNERS.items() if who == signer)
        waiting = {d for d in Department if "sign_batch" in _keys(sessions, d)
                   or (d == Department.FUND_SETTLEMENT and "submit_batch" in _keys(sessions, d))}
        assert waiting == {department}, (signer, waiting)
        batch.sign_off(sessions, batch_id, signer, "同意", batch.current_hash(sessions, batch_id))
    assert _keys(sessions, Department.FINANCE) == ["pay_batch"]  # every level signed: the finance department pays
    assert not any("sign_batch" in _keys(sessions, d) for d in Department)


def test_15_a_year_with_fund_figures_and_no_campaign_waits_for_the_finance_department(sessions):
    load_demo(sessions, institutions=6, seed=2026, year=YEAR, region_code=REGION, region_name="一月", play=False)
    items = todo_list(sessions, REGION, dt.date(YEAR - 1, 12, 1)).of(Department.FINANCE)
    assert [(t.key, t.ids) for t in items] == [("open_year", {"year": YEAR})]


def test_20_a_notice_is_shown_to_its_region_and_department_only(prepared):
    sessions, _ = prepared
    load_demo(sessions, institutions=4, seed=2026, year=YEAR, region_code="320698", region_name="另一地区", play=False)
    with sessions.begin() as s:
        other = s.scalar(select(Region.id).where(Region.code == "320698"))
        notify(s, "t:other", "warning", "另一地区的催收提醒", region_id=other, department=Department.FINANCE)
        notify(s, "t:all", "warning", "全系统的提醒", region_id=None, department=None)
    day = dt.date(YEAR, 1, 12)  # two days before the signing window closes
    assert remind(sessions, day) > 0  # the signing window's reminders: this region's fund-settlement department
    since = dt.datetime.combine(day, dt.time(), tzinfo=dt.timezone.utc) - dt.timedelta(days=1)
    with sessions() as s:
        assert s.scalar(select(Notice.department).where(Notice.key.like("remind:%"))) == "fund_settlement"
        s.execute(Notice.__table__.update().values(created_at=since))
    seen = {d: [n.message for n in todo_list(sessions, REGION, day, d).notices] for d in Department}
    assert "另一地区的催收提醒" not in sum(seen.values(), [])
    # a notice about no one region may name any region's institutions: only 审计 and 管理员 see it (review)
    assert {d for d, m in seen.items() if "全系统的提醒" in m} == {Department.AUDITOR, Department.ADMINISTRATOR}
    assert any("逾期视作放弃" in m for m in seen[Department.FUND_SETTLEMENT])
    assert not any("逾期视作放弃" in m for m in seen[Department.FINANCE])


@pytest.mark.parametrize("department", list(Department))
def test_24_the_landing_page_lists_what_waits_for_the_signed_in_department(prepared, app, client, monkeypatch,
                                                                             department):
    monkeypatch.setattr(clock, "today", lambda: ON)
    sign_in(client, STAFF[department])
    page = client.get(f"/?region={REGION}").get_data(as_text=True)
    mine = page.split('id="todo-title"')[1].split("<details")[0]
    if department == Department.FUND_SETTLEMENT:
        assert f"{_listed(prepared[0])} 家待办理担保、抵押手续" in mine and f'href="/cycle/{REGION}/{YEAR}"' in mine
        assert f"拨付批次 {prepared[1]}：待核对并提交逐级审核" in mine and f'href="/batches/{prepared[1]}"' in mine
    elif department == Department.AUDITOR:
        assert "审计只查阅、不办理业务" in mine
    else:
        assert "目前没有等待" in mine
    if department != Department.FUND_SETTLEMENT:
        assert "其他部门的待办（2 项）" in page  # what waits elsewhere is seen, not offered


def test_24_the_api_gives_each_caller_its_own_work_and_the_region_s(prepared, app, client, monkeypatch):
    from tests.console import token_for

    monkeypatch.setattr(clock, "today", lambda: ON)
    for username, keys in (("jiesuan1", ["security", "submit_batch"]), ("neishen1", [])):
        answer = client.get(f"/api/v1/regions/{REGION}/todo",
                            headers={"Authorization": f"Bearer {token_for(app, username)}"})
        assert answer.status_code == 200, answer.get_json()
        body = answer.get_json()
        assert sorted(t["key"] for t in body["mine"]) == keys
        assert sorted(t["key"] for t in body["items"]) == ["security", "submit_batch"]
        assert all(t["department"] == "fund_settlement" for t in body["items"])
    assert client.get("/api/v1/regions/110100/todo",
                      headers={"Authorization": f"Bearer {token_for(app, 'jiesuan1')}"}).status_code in (403, 404)


def test_24_the_console_lists_my_work_like_the_landing_page(prepared, app, cli_runner, monkeypatch):
    from tests.console import as_user

    monkeypatch.setattr(clock, "today", lambda: ON)
    out = cli_runner.invoke(args=["todo", "--region", REGION], env=as_user(app, "jiesuan1"))
    assert out.exit_code == 0, out.output
    assert "基金结算部门的待办：2 项" in out.output and f"拨付批次 {prepared[1]}：待核对并提交逐级审核" in out.output
    quiet = cli_runner.invoke(args=["todo", "--region", REGION, "--all"], env=as_user(app, "shenji1"))
    assert "审计的待办：0 项" in quiet.output and "〔基金结算部门〕" in quiet.output
    elsewhere = cli_runner.invoke(args=["todo", "--region", "110100"], env=as_user(app, "jiesuan1"))
    assert elsewhere.exit_code != 0 and "Traceback" not in elsewhere.output


def test_15_a_year_not_opened_lists_what_it_needs_and_where_to_provide_it(app, client, sessions):
    load_demo(sessions, institutions=6, seed=2026, year=YEAR, region_code=REGION, region_name="一月", play=False)
    sign_in(client, "caiwu1")
    page = client.get(f"/cycle/{REGION}/{YEAR + 1}").get_data(as_text=True)
    assert f"{YEAR + 1} 年度基金结余数据（职工、居民）（开启必需）" in page and "缺少：" in page
    assert f'href="/imports/{REGION}">去导入</a>' in page
    assert "须先备齐" in page and 'type="submit" disabled>开启' in page
    ready = client.get(f"/cycle/{REGION}/{YEAR}").get_data(as_text=True)
    assert "须先备齐" not in ready and "✓ 2026 年度基金结余数据" in ready
    assert f'href="/cycle/{REGION}/{YEAR + 1}">准备 {YEAR + 1} 年度' in client.get(f"/?region={REGION}").get_data(
        as_text=True)


def test_17_the_settlement_form_offers_the_month_that_is_due(app, client, sessions):
    from prepay_admin.queries.todo import next_settlement

    load_demo(sessions, institutions=6, seed=2026, year=YEAR, region_code=REGION, region_name="两年", years=2)
    due = next_settlement(sessions, REGION)
    assert due is not None  # the demo imports months it has not settled yet
    sign_in(client, "caiwu1")
    page = client.get(f"/recovery/{REGION}/settlements").get_data(as_text=True)
    assert f'value="{due[0]:%Y-%m}"' in page
    assert any(t.key == "settle" and f"最早 {due[0]:%Y年%m月}" in t.label
               for t in todo_list(sessions, REGION, dt.date(2026, 12, 7)).of(Department.FINANCE))


def test_15_1_the_register_of_received_applications_lists_each_with_what_it_declares(app, client, sessions):
    import io

    import openpyxl

    from prepay_admin.services import applications
    from prepay_admin.services.campaign import open_campaign

    load_demo(sessions, institutions=6, seed=2026, year=YEAR, region_code=REGION, region_name="一月", play=False)
    open_campaign(sessions, REGION, YEAR, "caiwu1")
    seized = {**applications.clean_answers(), "asset_seizure": True}
    applications.apply(sessions, REGION, YEAR, "H32060000001", applications.clean_answers(), dt.date(YEAR - 1, 12, 28),
                       "jiesuan1")
    applications.apply(sessions, REGION, YEAR, "H32060000002", seized, dt.date(YEAR - 1, 12, 29), "jiesuan1")
    sign_in(client, "shenji1")  # everyone reads the register
    page = client.get(f"/cycle/{REGION}/{YEAR}/applications").get_data(as_text=True)
    assert "共受理 2 份" in page and "有无财产被保全的情形：有" in page and "张敏（基金结算部门）" in page
    book = openpyxl.load_workbook(io.BytesIO(client.get(f"/cycle/{REGION}/{YEAR}/applications.xlsx").data))
    rows = list(book.active.iter_rows(min_row=4, values_only=True))
    assert [r[2] for r in rows] == ["H32060000001", "H32060000002"] and rows[0][5] == "无"
    assert "有无财产被保全的情形：有" in rows[1][5]


def test_30_one_search_box_finds_an_institution_a_voucher_a_document_and_a_batch(app, client, sessions):
    from prepay_admin.services import documents

    load_demo(sessions, institutions=8, seed=2026, year=YEAR, region_code=REGION, region_name="查找")
    issued = documents.issue(sessions, "public_list", REGION, "jiesuan1", year=YEAR)
    sign_in(client, "shenji1")

    def found(q):
        return client.get(f"/search/{REGION}", query_string={"q": q}).get_data(as_text=True)

    assert f'href="/institutions/{REGION}/H32060000001"' in found("H32060000001")
    assert "记-2026-0001" in found("记-2026-0001") and "凭证" in found("2026-1")
    assert f'href="/documents/{REGION}/issued/{issued.id}"' in found(issued.sha256[:12])
    assert 'href="/batches/1"' in found("1")
    assert "没有找到" in found("%_%") or "机构" in found("%_%")  # LIKE's wildcards are searched as text
    assert client.get("/search/110100", query_string={"q": "H"}).status_code == 404  # another region's: none
    assert 'class="nav-search"' in client.get(f"/institutions/{REGION}").get_data(as_text=True)
