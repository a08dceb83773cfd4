"""Issue 28 finding 7: the sign-in limit holds under concurrency, counts guesses from one address across
usernames (the client's address, read through the trusted proxies only), and counts guesses of the old
password on the change-password screen."""
import threading

import pytest

from prepay_admin.services import identity
from prepay_admin.services.demo_cycle import ensure_demo_staff
from prepay_admin.services.errors import ServiceError
from tests.screens import csrf_token, sign_in


@pytest.fixture
def staff(sessions):
    ensure_demo_staff(sessions)
    return sessions


def test_28_thirty_concurrent_guesses_get_no_more_password_checks_than_the_limit(staff, monkeypatch):
    checks, lock = [], threading.Lock()
    real = identity.check_password_hash

    def counted(hashed, password):
        with lock:
            checks.append(password)
        return real(hashed, password)

    monkeypatch.setattr(identity, "check_password_hash", counted)
    answers: list[str] = []

    def guess(n: int) -> None:
        try:
            identity.sign_in(staff, "jiesuan1", f"wrong-guess-{n}", f"10.0.0.{n}")
        except ServiceError as err:
            answers.append(err.message)

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(30)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(checks) == identity.LOCKOUT_FAILURES, f"{len(checks)} password checks for a limit of 5"
    assert len(answers) == 30 and sum("次数过多" in a or "繁忙" in a for a in answers) == 30 - len(checks)


def test_28_guesses_across_usernames_from_one_address_are_limited(staff):
    for n in range(identity.ADDRESS_FAILURES):
        with pytest.raises(ServiceError):
            identity.sign_in(staff, f"nobody{n}", "wrong-password-1", "203.0.113.9")
    with pytest.raises(ServiceError) as refused:  # a real user's right password, from that address
        identity.sign_in(staff, "jiesuan1", "jiesuan1-demo", "203.0.113.9")
    assert "该地址" in refused.value.message
    assert identity.sign_in(staff, "jiesuan1", "jiesuan1-demo", "198.51.100.7").username == "jiesuan1"


def test_28_guesses_of_the_old_password_count_like_failed_sign_ins(staff):
    for _ in range(identity.LOCKOUT_FAILURES):
        with pytest.raises(ServiceError) as wrong:
            identity.change_own_password(staff, "jiesuan1", "guessed-wrong-1", "a-new-password-2", "10.1.1.1")
        assert wrong.value.field == "old_password" and wrong.value.message == "原密码不正确"
    with pytest.raises(ServiceError) as locked:  # the right old password too, for the rest of the window
        identity.change_own_password(staff, "jiesuan1", "jiesuan1-demo", "a-new-password-2", "10.1.1.1")
    assert locked.value.field == "old_password" and "次数过多" in locked.value.message
    with pytest.raises(ServiceError):  # and signing in
        identity.sign_in(staff, "jiesuan1", "jiesuan1-demo", "10.1.1.1")


def test_28_behind_a_trusted_proxy_the_limit_counts_the_client_not_the_proxy(monkeypatch, database_url):
    from prepay_admin.app import create_app

    monkeypatch.setenv("PREPAY_TRUSTED_PROXIES", "1")
    app = create_app({"DATABASE_URL": database_url, "TESTING": True})
    ensure_demo_staff(app.extensions["prepay_sessions"])
    client = app.test_client()
    for n in range(identity.LOCKOUT_FAILURES):
        client.post("/login", data={"csrf_token": csrf_token(client, "/login"), "username": f"x{n}",
                                    "password": "wrong-password-1"},
                    headers={"X-Forwarded-For": "192.0.2.50"}, environ_base={"REMOTE_ADDR": "10.9.9.9"})
    with app.extensions["prepay_sessions"]() as s:
        from sqlalchemy import select

        from prepay_admin.models import LoginAttempt
        assert set(s.scalars(select(LoginAttempt.remote))) == {"192.0.2.50"}


def test_28_a_forged_forwarded_address_is_not_believed_without_a_trusted_proxy(app, client):
    ensure_demo_staff(app.extensions["prepay_sessions"])
    client.post("/login", data={"csrf_token": csrf_token(client, "/login"), "username": "x",
                                "password": "wrong-password-1"}, headers={"X-Forwarded-For": "192.0.2.50"})
    with app.extensions["prepay_sessions"]() as s:
        from sqlalchemy import select

        from prepay_admin.models import LoginAttempt
        assert "192.0.2.50" not in set(s.scalars(select(LoginAttempt.remote)))


def test_28_https_answers_in_production_carry_hsts(monkeypatch, database_url):
    from prepay_admin.app import create_app

    monkeypatch.setenv("PREPAY_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    monkeypatch.setenv("PREPAY_TRUSTED_PROXIES", "1")
    client = create_app({"DATABASE_URL": database_url, "TESTING": True}).test_client()
    secure = client.get("/login", headers={"X-Forwarded-Proto": "https"})
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")
    assert "Strict-Transport-Security" not in client.get("/login").headers  # plain HTTP: never
    monkeypatch.setenv("PREPAY_TRUSTED_PROXIES", "many")
    from prepay_admin.config import ConfigError
    with pytest.raises(ConfigError):
        create_app({"DATABASE_URL": database_url, "TESTING": True})


def test_28_a_screen_guess_of_the_old_password_is_counted(app, client):
    ensure_demo_staff(app.extensions["prepay_sessions"])
    sign_in(client, "jiesuan1")
    for _ in range(identity.LOCKOUT_FAILURES + 1):
        answer = client.post("/password", data={"csrf_token": csrf_token(client, "/password"),
                                                "old_password": "guessed-wrong-1", "new_password": "new-pass-word-2"})
        assert answer.status_code == 400
    assert "次数过多" in answer.get_data(as_text=True)


def test_28_one_guesser_behind_the_bureaus_address_does_not_lock_out_its_staff(staff):
    """The staff share one address behind the bureau's NAT: a member of staff who signed in from it lately
    still gets in after a guesser there reached the address's limit (their own limit still holds)."""
    office = "10.20.0.1"
    assert identity.sign_in(staff, "caiwu1", "caiwu1-demo", office).username == "caiwu1"
    for n in range(identity.ADDRESS_FAILURES):
        with pytest.raises(ServiceError):
            identity.sign_in(staff, f"guess{n}", "wrong-password-1", office)
    assert identity.sign_in(staff, "caiwu1", "caiwu1-demo", office).username == "caiwu1"
    with pytest.raises(ServiceError) as stranger:  # a name never signed in from there is refused
        identity.sign_in(staff, "jiesuan1", "jiesuan1-demo", office)
    assert "该地址" in stranger.value.message


def test_28_an_unknown_name_costs_a_password_check_like_a_known_one(staff, monkeypatch):
    checked = []
    real = identity.check_password_hash
    monkeypatch.setattr(identity, "check_password_hash", lambda h, p: checked.append(h) or real(h, p))
    for name in ("nobody-at-all", "jiesuan1"):
        with pytest.raises(ServiceError):
            identity.sign_in(staff, name, "wrong-password-1", "10.3.3.3")
    assert len(checked) == 2  # the time of the answer does not say which names exist
