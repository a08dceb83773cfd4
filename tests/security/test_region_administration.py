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
