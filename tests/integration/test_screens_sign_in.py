"""Screens are for signed-in staff: CSRF on every form, a rate-limited sign-in, an idle timeout,
security headers, and no region's data for those it is not granted to."""
import datetime as dt

import pytest

from prepay_admin.policy.departments import Department
from prepay_admin.services import identity
from prepay_admin.services.demo import load_demo
from tests.screens import csrf_token, sign_in


@pytest.fixture
def two_regions(app):
    sessions = app.extensions["prepay_sessions"]
    load_demo(sessions, institutions=3, seed=1, year=2026, play=False)
    load_demo(sessions, institutions=3, seed=2, year=2026, profile="hebei-2024", region_code="130100",
              region_name="石家庄市（演示）", play=False)
    return sessions


def test_a_screen_sends_an_anonymous_visitor_to_sign_in(client, two_regions):
    response = client.get("/?region=320600")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=")


def test_a_wrong_password_is_shown_next_to_its_field_and_the_username_is_kept(client, two_regions):
    response = sign_in(client, "jiesuan1", "wrong-password-1")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="password-error"' in page and "用户名或密码不正确" in page
    assert 'value="jiesuan1"' in page and "wrong-password-1" not in page


def test_a_form_without_its_csrf_token_is_refused(client, two_regions):
    response = client.post("/login", data={"username": "jiesuan1", "password": "jiesuan1-demo"})
    assert response.status_code == 400
    assert client.get("/").status_code == 302  # not signed in


def test_signed_in_staff_see_their_region_and_never_another(client, two_regions):
    identity.create_user(two_regions, "nantong1", "南通经办", Department.FUND_SETTLEMENT, "nantong-pass-1",
                         ("320600",), "root")
    response = sign_in(client, "nantong1", "nantong-pass-1")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    page = client.get("/").get_data(as_text=True)
    assert "南通经办（基金结算部门）" in page and "南通市（演示）" in page and "石家庄市（演示）" not in page
    assert client.get("/?region=130100").status_code == 404  # as if it did not exist


def test_sign_out_is_a_post_with_its_token_and_ends_the_session(client, two_regions):
    sign_in(client, "jiesuan1")
    assert client.get("/").status_code == 200
    assert client.get("/logout").status_code == 405  # a link cannot sign anyone out
    assert client.post("/logout").status_code == 400  # nor a forged form
    assert client.post("/logout", data={"csrf_token": csrf_token(client, "/password")}).status_code == 302
    assert client.get("/").status_code == 302


def test_staff_change_their_own_password(client, two_regions):
    sign_in(client, "caiwu1")
    wrong = client.post("/password", data={"csrf_token": csrf_token(client, "/password"),
                                           "old_password": "not-my-password-1", "new_password": "brand-new-pass-2"})
    assert wrong.status_code == 400 and "原密码不正确" in wrong.get_data(as_text=True)
    weak = client.post("/password", data={"csrf_token": csrf_token(client, "/password"),
                                          "old_password": "caiwu1-demo", "new_password": "short"})
    assert weak.status_code == 400 and "密码须为" in weak.get_data(as_text=True)
    ok = client.post("/password", data={"csrf_token": csrf_token(client, "/password"),
                                        "old_password": "caiwu1-demo", "new_password": "brand-new-pass-2"})
    assert ok.status_code == 200 and "密码已修改" in ok.get_data(as_text=True)
    assert identity.sign_in(two_regions, "caiwu1", "brand-new-pass-2", "test").username == "caiwu1"


def test_after_sign_in_only_a_path_of_this_site_is_followed(client, two_regions):
    token = csrf_token(client)
    response = client.post("/login?next=//evil.example/x", data={"csrf_token": token, "username": "jiesuan1",
                                                                  "password": "jiesuan1-demo"})
    assert response.headers["Location"] == "/"


def test_the_session_ends_after_thirty_idle_minutes_and_cookies_are_guarded(client, two_regions, app):
    response = sign_in(client, "jiesuan1")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Expires=" in cookie
    assert app.permanent_session_lifetime == dt.timedelta(minutes=30) and app.config["SESSION_REFRESH_EACH_REQUEST"]


def test_every_response_carries_the_security_headers_and_no_server_banner(client, two_regions):
    response = client.get("/login")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "Server" not in response.headers
    assert "<script" not in response.get_data(as_text=True)


def test_in_production_the_app_refuses_to_start_without_a_secret_key(monkeypatch, database_url):
    from prepay_admin.app import create_app
    from prepay_admin.config import ConfigError

    monkeypatch.setenv("PREPAY_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("DATABASE_URL", database_url)
    with pytest.raises(ConfigError):
        create_app()
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    assert create_app().config["SESSION_COOKIE_SECURE"] is True


def test_30_the_sign_in_page_focuses_one_field_and_never_writes_none(client):
    page = client.get("/login").get_data(as_text=True)
    assert 'autofocus="None"' not in page and page.count("autofocus") == 1


def test_30_the_site_has_an_icon(client):
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"
    assert "favicon.svg" in client.get("/login").get_data(as_text=True)
