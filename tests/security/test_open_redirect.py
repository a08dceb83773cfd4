"""Issue 28 finding 6: after sign-in only a path of this site is followed. Browsers drop tabs and line
breaks from a URL, so ``/\\t/evil.example`` would reach ``//evil.example``: every such target goes home."""
import pytest

from tests.screens import csrf_token

TARGETS = ["//evil.example/x", "/\t/evil.example", "/\n/evil.example", "/\\evil.example",
           "https://evil.example/", "/ /evil.example", "javascript:alert(1)", "\x7f//evil.example"]


@pytest.mark.parametrize("target", TARGETS)
def test_28_a_next_that_leaves_the_site_is_not_followed(client, app, target):
    from prepay_admin.services.demo_cycle import ensure_demo_staff

    ensure_demo_staff(app.extensions["prepay_sessions"])
    token = csrf_token(client)
    response = client.post("/login", query_string={"next": target},
                           data={"csrf_token": token, "username": "jiesuan1", "password": "jiesuan1-demo"})
    assert response.status_code == 302 and response.headers["Location"] == "/", (target, response.headers["Location"])


def test_28_a_path_of_this_site_is_still_followed(client, app):
    from prepay_admin.services.demo_cycle import ensure_demo_staff

    ensure_demo_staff(app.extensions["prepay_sessions"])
    token = csrf_token(client)
    response = client.post("/login", query_string={"next": "/ledger/320600?from=2026-01"},
                           data={"csrf_token": token, "username": "jiesuan1", "password": "jiesuan1-demo"})
    assert response.headers["Location"] == "/ledger/320600?from=2026-01"
