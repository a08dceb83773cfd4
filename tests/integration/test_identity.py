"""24§ on authenticated identities: the console acts as the user of a token, never a name on trust;
a region's data is only for those it is granted to; sign-ins are rate-limited; refusals are recorded."""
import datetime as dt
import os
import stat

import pytest
from sqlalchemy import select

from prepay_admin.models import AuditEvent
from prepay_admin.policy.departments import Department
from prepay_admin.services import identity
from prepay_admin.services.campaign import open_campaign
from prepay_admin.services.demo import load_demo
from prepay_admin.services.errors import ServiceError
from tests.console import as_user, token_for


@pytest.fixture
def region(app):
    load_demo(app.extensions["prepay_sessions"], institutions=5, seed=1, year=2026, play=False)
    return app.extensions["prepay_sessions"]


def test_24_the_console_acts_as_the_user_of_its_token_not_a_name_taken_on_trust(app, region, cli_runner):
    args = ["cycle", "open", "--region", "320600", "--year", "2026"]
    anonymous = cli_runner.invoke(args=args, env={"PREPAY_USER": "caiwu1", "PREPAY_TOKEN": ""})
    assert anonymous.exit_code == 2 and anonymous.output.startswith("未登录")
    forged = cli_runner.invoke(args=args, env={"PREPAY_TOKEN": "pa_forged"})
    assert forged.exit_code == 2 and "登录凭证无效" in forged.output
    wrong_department = cli_runner.invoke(args=args, env=as_user(app, "jiesuan1"))
    assert wrong_department.exit_code == 2 and "须由财务管理部门办理" in wrong_department.output
    assert cli_runner.invoke(args=args, env=as_user(app, "caiwu1")).exit_code == 0
    with region() as s:  # the refusal is recorded, with who
        refused = s.scalars(select(AuditEvent).where(AuditEvent.kind == "refused")).all()
    assert [(e.actor, "财务管理部门" in e.detail) for e in refused] == [("jiesuan1", True)]


def test_24_a_revoked_token_or_a_disabled_user_acts_no_more(app, region):
    token = token_for(app, "caiwu1")
    assert identity.authenticate_token(region, token).username == "caiwu1"
    identity.disable_user(region, "caiwu1", "root")
    with pytest.raises(ServiceError):
        identity.authenticate_token(region, token)
    with pytest.raises(ServiceError):
        open_campaign(region, "320600", 2026, "caiwu1")


def test_nobody_acts_on_a_region_they_were_not_granted(app, region):
    identity.create_user(region, "caiwu9", "外地财务", Department.FINANCE, "another-secret-1", (), "root")
    with pytest.raises(ServiceError) as err:
        open_campaign(region, "320600", 2026, "caiwu9")
    assert err.value.field == "region"
    identity.grant_region(region, "caiwu9", "320600", "root")
    open_campaign(region, "320600", 2026, "caiwu9")


def test_sign_in_checks_the_password_and_locks_after_repeated_failures(region):
    assert identity.sign_in(region, "jiesuan1", "jiesuan1-demo", "test").username == "jiesuan1"
    for _ in range(identity.LOCKOUT_FAILURES):
        with pytest.raises(ServiceError) as err:
            identity.sign_in(region, "jiesuan1", "wrong-password-1", "test")
        assert err.value.message == "用户名或密码不正确"  # the same answer for a wrong name or password
    with pytest.raises(ServiceError) as err:
        identity.sign_in(region, "jiesuan1", "jiesuan1-demo", "test")  # even the right password, for a while
    assert "次数过多" in err.value.message


def test_passwords_are_hashed_and_must_be_reasonable(region):
    with pytest.raises(ServiceError):
        identity.create_user(region, "weak", "弱口令", Department.FINANCE, "12345678901", ("320600",), "root")
    identity.create_user(region, "strong", "强口令", Department.FINANCE, "correct-horse-1", ("320600",), "root")
    with region() as s:
        from prepay_admin.models import Staff
        stored = s.scalar(select(Staff.password_hash).where(Staff.username == "strong"))
    assert stored.startswith("scrypt:") and "correct-horse-1" not in stored


def test_login_stores_a_private_token_and_logout_revokes_it(app, region, cli_runner, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.delenv("PREPAY_TOKEN", raising=False)
    bad = cli_runner.invoke(args=["login", "--username", "caiwu1", "--password-stdin"], input="nope-nope-1\n")
    assert bad.exit_code == 2 and "用户名或密码不正确" in bad.output
    ok = cli_runner.invoke(args=["login", "--username", "caiwu1", "--password-stdin"], input="caiwu1-demo\n")
    assert ok.exit_code == 0, ok.output
    stored = tmp_path / "prepay-admin" / "token"
    assert stat.S_IMODE(os.stat(stored).st_mode) == 0o600
    assert "caiwu1" in cli_runner.invoke(args=["whoami"]).output
    assert cli_runner.invoke(args=["cycle", "open", "--region", "320600", "--year", "2026"]).exit_code == 0
    token = stored.read_text().strip()
    assert cli_runner.invoke(args=["logout"]).exit_code == 0 and not stored.exists()
    with pytest.raises(ServiceError):
        identity.authenticate_token(region, token)


def test_operators_manage_users_from_the_terminal(app, region, cli_runner):
    made = cli_runner.invoke(args=["users", "create", "liuyi", "--name", "刘一", "--department", "fund_settlement",
                                   "--region", "320600", "--password-stdin"], input="liuyi-password-1\n")
    assert made.exit_code == 0 and "已创建用户 liuyi" in made.output, made.output
    assert identity.sign_in(region, "liuyi", "liuyi-password-1", "test").regions == ("320600",)
    again = cli_runner.invoke(args=["users", "create", "liuyi", "--name", "刘一", "--department", "finance",
                                    "--password-stdin"], input="liuyi-password-1\n")
    assert again.exit_code == 2 and "已存在" in again.output
    assert cli_runner.invoke(args=["users", "disable", "liuyi"]).exit_code == 0
    with pytest.raises(ServiceError):
        identity.sign_in(region, "liuyi", "liuyi-password-1", "test")
    with region() as s:
        kinds = [e.detail for e in s.scalars(select(AuditEvent).where(AuditEvent.kind == "operator"))]
    assert any("创建用户 liuyi" in k for k in kinds) and any("停用用户 liuyi" in k for k in kinds)


def test_an_expired_token_is_refused(app, region):
    token = identity.issue_token(region, "caiwu1", "短期", "root", lifetime=dt.timedelta(seconds=-1))
    with pytest.raises(ServiceError) as err:
        identity.authenticate_token(region, token)
    assert "过期" in err.value.message
