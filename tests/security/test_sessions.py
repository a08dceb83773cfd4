"""Issue 28 finding 3: a session ends when its user signs out, changes the password, has it reset by an
administrator, or is disabled; a cookie copied before any of these signs nobody in afterwards."""
import pytest

from prepay_admin.services import administration
from prepay_admin.services.demo import load_demo
from tests.screens import csrf_token, sign_in


@pytest.fixture
def staff(app):
    sessions = app.extensions["prepay_sessions"]
    load_demo(sessions, institutions=6, seed=2026, year=2026, play=False)
    return sessions


def second_browser(app, client):
    """Another browser holding a copy of ``client``'s session cookie."""
    other = app.test_client()
    cookie = client.get_cookie("session")
    other.set_cookie(cookie.key, cookie.value)
    return other


def signed_in(client) -> bool:
    return client.get("/").status_code == 200


def test_28_a_cookie_copied_before_sign_out_no_longer_works(app, client, staff):
    sign_in(client, "jiesuan1")
    copy = second_browser(app, client)
    assert signed_in(copy)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/password")})
    assert not signed_in(copy)
    # replayed to record something: refused, and nothing is written
    response = copy.post("/password", data={"csrf_token": "x", "old_password": "a", "new_password": "b"})
    assert response.status_code in (302, 400)


def test_28_a_password_change_ends_the_other_sessions_and_keeps_this_one(app, client, staff):
    sign_in(client, "jiesuan1")
    elsewhere = app.test_client()
    sign_in(elsewhere, "jiesuan1")
    assert signed_in(elsewhere)
    done = client.post("/password", data={"csrf_token": csrf_token(client, "/password"),
                                          "old_password": "jiesuan1-demo", "new_password": "another-pass-9"})
    assert done.status_code == 200 and "密码已修改" in done.get_data(as_text=True)
    assert signed_in(client) and not signed_in(elsewhere)


@pytest.mark.parametrize("action", ["reset", "disable"])
def test_28_an_administrators_reset_or_disabling_ends_every_session(app, client, staff, action):
    sign_in(client, "jiesuan1")
    assert signed_in(client)
    if action == "reset":
        administration.reset_password(staff, "guanli1", "jiesuan1", "reset-pass-77")
    else:
        administration.disable(staff, "guanli1", "jiesuan1")
    assert not signed_in(client)
