"""管理员 on screens: staff, their roles and regions, tokens for other systems (shown once, stored
hashed, revocable), the year's policy overrides with their approval reference (14§), and the holiday
calendar; an administrator of one bureau never reaches another bureau's staff."""
import pytest
from sqlalchemy import select

from prepay_admin.models import ApiToken
from prepay_admin.policy.departments import Department
from prepay_admin.services import identity
from prepay_admin.services.demo import load_demo
from tests.screens import csrf_token, sign_in


@pytest.fixture
def region(app):
    sessions = app.extensions["prepay_sessions"]
    load_demo(sessions, institutions=6, seed=2026, year=2026, play=False)
    load_demo(sessions, institutions=3, seed=2, year=2026, profile="hebei-2024", region_code="130100",
              region_name="石家庄市（演示）", play=False)
    identity.create_user(sessions, "hbadmin", "石家庄管理员", Department.ADMINISTRATOR, "hebei-admin-pass-1",
                         ("130100",), "root")
    identity.create_user(sessions, "ntadmin", "南通管理员", Department.ADMINISTRATOR, "nantong-admin-pass-1",
                         ("320600",), "root")  # the demo's own staff are granted every demo region
    identity.create_user(sessions, "hbclerk", "石家庄经办", Department.FUND_SETTLEMENT, "hebei-clerk-pass-1",
                         ("130100",), "root")
    return sessions


def post(client, path, **data):
    return client.post(path, data={"csrf_token": csrf_token(client, "/password"), **data})


def test_an_administrator_creates_a_member_of_staff_who_can_then_sign_in(client, region):
    sign_in(client, "ntadmin", "nantong-admin-pass-1")
    page = client.get("/admin/users").get_data(as_text=True)
    assert "jiesuan1" in page and "基金结算部门" in page and "hbclerk" not in page  # another bureau's staff
    weak = post(client, "/admin/users", username="xinren", name="新人", department="finance", region="320600",
                password="short")
    body = weak.get_data(as_text=True)
    assert weak.status_code == 400 and 'value="xinren"' in body and 'value="新人"' in body
    made = post(client, "/admin/users", username="xinren", name="新人", department="finance", region="320600",
                password="a-long-password-1")
    assert made.status_code == 302
    outside = post(client, "/admin/users", username="waidi", name="外地", department="finance", region="130100",
                   password="a-long-password-1")
    assert outside.status_code == 400  # 130100 is not among the administrator's regions: not even a choice
    client.post("/logout", data={"csrf_token": csrf_token(client, "/password")})
    assert sign_in(client, "xinren", "a-long-password-1").status_code == 302
    assert "新人（财务管理部门）" in client.get("/").get_data(as_text=True)


def test_an_administrator_resets_a_password_grants_a_region_and_disables_an_account(client, region):
    sign_in(client, "guanli1")
    assert post(client, "/admin/users/jihe1/password", password="brand-new-password-1").status_code == 302
    unticked = post(client, "/admin/users/jihe1/disable")  # a step that cannot be undone asks for a tick
    assert unticked.status_code == 302 and "请先勾选确认停用该用户" in client.get("/admin/users").get_data(as_text=True)
    assert sign_in(client.application.test_client(), "jihe1", "brand-new-password-1").status_code == 302  # still active
    assert post(client, "/admin/users/jihe1/disable", confirm="y").status_code == 302
    assert "已停用" in client.get("/admin/users").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/password")})
    assert sign_in(client, "jihe1", "brand-new-password-1").status_code == 400  # disabled: cannot sign in


def test_an_administrator_cannot_reach_another_bureaus_staff(client, region):
    sign_in(client, "ntadmin", "nantong-admin-pass-1")
    for path, data in (("/admin/users/hbclerk/password", {"password": "brand-new-password-1"}),
                       ("/admin/users/hbclerk/disable", {"confirm": "y"}), ("/admin/users/hbclerk/grant", {"region": "320600"})):
        response = post(client, path, **data)
        assert response.status_code in (400, 404), path
        assert "hbclerk" not in client.get("/admin/users").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/password")})
    sign_in(client, "hbadmin", "hebei-admin-pass-1")
    page = client.get("/admin/users").get_data(as_text=True)
    assert "hbclerk" in page and "ntadmin" not in page


def test_a_token_is_shown_once_stored_hashed_works_on_the_api_and_is_revoked(client, region):
    sign_in(client, "guanli1")
    issued = post(client, "/admin/tokens", username="shenji1", name="审计系统")
    assert issued.status_code == 302
    page = client.get("/admin/users").get_data(as_text=True)
    token = page.split('<code class="token">')[1].split("</code>")[0]
    assert token.startswith("pa_") and token not in client.get("/admin/users").get_data(as_text=True)  # once
    with region() as s:
        row = s.scalar(select(ApiToken).where(ApiToken.name == "审计系统"))
        assert row.token_hash != token and token not in row.token_hash
    api = client.get("/api/v1/regions", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 200 and "320600" in {r["code"] for r in api.json}
    assert post(client, f"/admin/tokens/{row.id}/revoke").status_code == 302
    assert client.get("/api/v1/regions", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_14_a_years_override_needs_an_approval_reference_and_shows_in_the_profile(client, region):
    sign_in(client, "yibaoju1")
    path = "/admin/policy/320600/2027"
    missing = post(client, path, parameter="amount.minimum", value='"50000"', approval_ref="")
    assert missing.status_code == 400 and "调整参数须记录批准文号（14§）" in missing.get_data(as_text=True)
    not_json = post(client, path, parameter="amount.minimum", value="50000元", approval_ref="苏医保〔2026〕9号")
    body = not_json.get_data(as_text=True)
    assert not_json.status_code == 400 and "不是有效的 JSON 值" in body and 'value="50000元"' in body
    unknown = post(client, path, parameter="amount.nothing", value='"1"', approval_ref="苏医保〔2026〕9号")
    assert unknown.status_code == 400 and "amount.nothing" in unknown.get_data(as_text=True)
    done = post(client, path, parameter="amount.minimum", value='"50000"', approval_ref="苏医保〔2026〕9号")
    assert done.status_code == 302
    page = client.get(path).get_data(as_text=True)
    assert "苏医保〔2026〕9号" in page and "amount.minimum" in page and "生效" in page and "计算方法" in page


def test_the_holiday_calendar_records_a_day_with_its_source(client, region):
    sign_in(client, "guanli1")
    bad = post(client, "/admin/calendar", day="2027-02-30", note="国办发明电〔2026〕1号")
    assert bad.status_code == 400 and "日期格式须为 YYYY-MM-DD" in bad.get_data(as_text=True)
    done = post(client, "/admin/calendar", day="2027-10-08", note="国办发明电〔2026〕1号")
    assert done.status_code == 302
    page = client.get("/admin/calendar?year=2027").get_data(as_text=True)
    assert "2027-10-08" in page and "放假" in page
    assert client.get("/admin/calendar?year=99999").status_code == 400


def test_an_unknown_member_of_staff_or_token_is_not_found_not_a_refusal(client, region):
    sign_in(client, "guanli1")
    assert post(client, "/admin/users/nobody/disable", confirm="y").status_code == 404
    assert post(client, "/admin/users/nobody/password", password="brand-new-password-1").status_code == 400
    assert post(client, "/admin/tokens/99999/revoke").status_code == 404
