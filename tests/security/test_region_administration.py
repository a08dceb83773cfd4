"""Issue 28 finding 4: an administrator manages only staff all of whose regions they manage too."""
import pytest

from prepay_admin.policy.departments import Department
from prepay_admin.services import administration, identity
from prepay_admin.services.demo import load_demo
from prepay_admin.services.errors import NotFound, ServiceError


@pytest.fixture
def two_regions(sessions):
    load_demo(sessions, institutions=3, seed=2026, year=2026, play=False)
    load_demo(sessions, institutions=3, seed=2, year=2026, profile="hebei-2024", region_code="130100",
              region_name="石家庄市（演示）", play=False)
    identity.create_user(sessions, "admin_b", "乙地管理员", Department.ADMINISTRATOR, "admin_b-pass-1", ("130100",), "root")
    identity.create_user(sessions, "both", "两地经办", Department.FUND_SETTLEMENT, "both-pass-1",
                         ("320600", "130100"), "root")
    identity.create_user(sessions, "only_a", "甲地经办", Department.FUND_SETTLEMENT, "only_a-pass-1", ("320600",), "root")
    return sessions


@pytest.mark.parametrize("act", [
    lambda s: administration.reset_password(s, "admin_b", "both", "taken-over-9"),
    lambda s: administration.issue_token(s, "admin_b", "both", "接管"),
    lambda s: administration.disable(s, "admin_b", "both"),
])
def test_28_another_regions_administrator_cannot_take_over_a_user_who_also_works_here(two_regions, act):
    with pytest.raises(ServiceError) as refused:
        act(two_regions)
    assert refused.value.field == "username" and "不管辖" in refused.value.message
    assert identity.sign_in(two_regions, "both", "both-pass-1", "test").username == "both"  # untouched


def test_28_a_user_of_another_region_only_is_not_even_found(two_regions):
    with pytest.raises(NotFound):
        administration.reset_password(two_regions, "admin_b", "only_a", "taken-over-9")


def test_28_9_only_an_administrator_of_every_region_running_a_profile_adds_a_version_of_it(two_regions):
    """RULES §9 (turn 3): region B's administrator may not revise the profile region A runs on."""
    from importlib import resources

    from prepay_admin.services.errors import ProfileRefused
    from prepay_admin.services.profiles import add_profile

    text = resources.files("prepay_admin.profiles").joinpath("nantong-2025.toml").read_text("utf-8")
    revised = text.replace("version = 2 ", "version = 9 ", 1).encode("utf-8")
    with pytest.raises(ProfileRefused) as refused:
        add_profile(two_regions, revised, "admin_b")
    assert any("320600" in message for _, message in refused.value.problems)
    assert add_profile(two_regions, revised, "guanli1").version == 9  # 南通's own administrator may


def test_28_9_a_regions_own_calendar_entry_changes_only_its_own_deadlines(two_regions):
    """RULES §9 (turn 3): a bureau's own calendar entries belong to its region. Issue 28: a region B
    clerk changed the holiday calendar region A's signing deadline counts on."""
    import datetime as dt

    from prepay_admin.services import calendar as cal

    identity.create_user(two_regions, "clerk_b", "乙地经办", Department.FUND_SETTLEMENT, "clerk_b-pass-1",
                         ("130100",), "root")
    start = dt.date(2026, 6, 1)  # a Monday; 7 working days on: Wednesday 10 June
    with two_regions() as s:
        before = cal.working_days_after(s, "320600", start, 7).date
    assert before == dt.date(2026, 6, 10)
    with pytest.raises(ServiceError) as refused:
        cal.set_day(two_regions, dt.date(2026, 6, 2), False, "乙地想放假", "clerk_b", "320600")
    assert refused.value.field == "region"
    with pytest.raises(ServiceError) as refused:  # nor as a national entry, which A counts on too
        cal.set_day(two_regions, dt.date(2026, 6, 2), False, "乙地想放假", "clerk_b", None)
    assert refused.value.field == "region" and "全部统筹地区" in refused.value.message
    cal.set_day(two_regions, dt.date(2026, 6, 2), False, "乙地临时停止办公", "clerk_b", "130100")
    with two_regions() as s:
        assert cal.working_days_after(s, "320600", start, 7).date == before  # A's window unchanged
        assert cal.working_days_after(s, "130100", start, 7).date == dt.date(2026, 6, 11)
    # someone granted every region records the national arrangement, which both count on
    cal.set_day(two_regions, dt.date(2026, 6, 3), False, "全国统一安排（示例）", "both", None)
    with two_regions() as s:
        assert cal.working_days_after(s, "320600", start, 7).date == dt.date(2026, 6, 11)
        assert cal.working_days_after(s, "130100", start, 7).date == dt.date(2026, 6, 12)


def test_28_9_the_calendar_screen_records_a_regions_own_day_and_refuses_another_regions(app, client):
    import datetime as dt

    from tests.screens import csrf_token, sign_in

    sessions = app.extensions["prepay_sessions"]
    load_demo(sessions, institutions=3, seed=2026, year=2026, play=False)
    load_demo(sessions, institutions=3, seed=2, year=2026, profile="hebei-2024", region_code="130100",
              region_name="石家庄市（演示）", play=False)
    identity.create_user(sessions, "clerk_b", "乙地经办", Department.FUND_SETTLEMENT, "clerk_b-pass-1",
                         ("130100",), "root")
    sign_in(client, "clerk_b", "clerk_b-pass-1")
    page = client.get("/admin/calendar?year=2026")
    assert page.status_code == 200 and "石家庄市（演示）（本地区调整）" in page.get_data(as_text=True)
    token = csrf_token(client, "/admin/calendar")
    refused = client.post("/admin/calendar", data={"csrf_token": token, "scope": "320600", "day": "2026-06-02",
                                                   "note": "乙地想改甲地"})
    assert refused.status_code == 403
    national = client.post("/admin/calendar", data={"csrf_token": token, "scope": "national", "day": "2026-06-02",
                                                    "note": "乙地想改全国"})
    assert national.status_code == 403 and "全部统筹地区" in national.get_data(as_text=True)
    done = client.post("/admin/calendar", data={"csrf_token": token, "scope": "130100", "day": "2026-06-02",
                                                "note": "乙地临时停止办公"}, follow_redirects=True)
    text = done.get_data(as_text=True)
    assert done.status_code == 200 and "本地区调整" in text and "乙地临时停止办公" in text
    from prepay_admin.services.calendar import working_days_after
    with sessions() as s:
        assert working_days_after(s, "320600", dt.date(2026, 6, 1), 7).date == dt.date(2026, 6, 10)
