"""Every screen and every endpoint, read from the app's URL map (so a new route is covered the day it
is added): an anonymous visitor is sent to sign in (screens) or answered 401 (API), and a member of
staff of another region never sees this region's data."""
import pytest

from prepay_admin.policy.departments import Department
from prepay_admin.profiles import load_profile
from prepay_admin.services import identity
from prepay_admin.services.demo import load_demo
from tests.console import token_for
from tests.screens import csrf_token, sign_in

pytestmark = pytest.mark.slow  # left out of make test-fast

PUBLIC = {"/login", "/static/<path:filename>", "/favicon.ico", "/api/openapi.json", "/api/docs"}
VALUES = {"region_code": "320600", "year": "2026", "batch_id": "1", "instruction_id": "1", "token_id": "1",
          "code": "H32060000001", "username": "jiesuan1", "kind": "settlement", "upload_id": "1",
          "receivable_id": "1", "run_id": "1", "action": "demand", "presettlement_id": "1",
          "document_kind": "agreement", "name": "nantong-2025", "document_id": "1",
          "version": str(load_profile("nantong-2025").version),  # the packaged version a fresh database holds
          "finding_id": "1", "table_id": "1", "which": "rectification"}


def routes(app):
    for rule in app.url_map.iter_rules():
        if rule.rule in PUBLIC:
            continue
        path = rule.rule
        for name, value in VALUES.items():
            path = path.replace(f"<{name}>", value).replace(f"<id:{name}>", value).replace(f"<year:{name}>", value)
        assert "<" not in path, f"a value for {path} is missing from VALUES"
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield method, path


@pytest.fixture
def region(app):
    sessions = app.extensions["prepay_sessions"]
    load_demo(sessions, institutions=12, seed=2026, year=2026)  # played: batch 1 and instruction 1 exist
    load_demo(sessions, institutions=3, seed=2, year=2026, profile="hebei-2024", region_code="130100",
              region_name="石家庄市（演示）", play=False)
    for username, department in (("outsider", Department.FINANCE), ("outaudit", Department.AUDITOR)):
        identity.create_user(sessions, username, "外地人员", department, "outsider-pass-1", ("130100",), "root")
    return sessions


def test_every_screen_and_endpoint_refuses_an_anonymous_visitor(client, app, region):
    checked = 0
    for method, path in routes(app):
        response = client.open(path, method=method)
        if path.startswith("/api/"):
            assert response.status_code == 401 and response.is_json, (method, path)
        else:
            assert response.status_code in (302, 400), (method, path, response.status_code)  # 400: a POST without CSRF
            if response.status_code == 302:
                assert response.headers["Location"].startswith("/login"), (method, path)
        checked += 1
    assert checked >= 20


@pytest.mark.parametrize("outsider", ["outsider", "outaudit"])
def test_every_screen_and_endpoint_hides_this_region_from_another_regions_staff(client, app, region, outsider):
    sign_in(client, outsider, "outsider-pass-1")
    token = csrf_token(client, "/password")
    api = {"Authorization": f"Bearer {token_for(app, outsider)}", "Idempotency-Key": "k"}
    leaks = []
    for method, path in routes(app):
        if path in ("/logout", "/password", "/") or (not path.startswith("/api/") and "320600" not in path
                                                    and "batches" not in path and "audit" not in path):
            continue
        if path.startswith("/api/"):
            if path == "/api/v1/regions":
                continue
            response = client.open(path, method=method, headers=api, json={} if method == "POST" else None)
            ok = response.status_code in (404, 422)  # invisible (422: a body refused before the lookup)
            if path.startswith("/api/v1/profiles") and method == "GET":
                # the rules are every region's reference data; which regions and years run on them is not
                ok = response.status_code in (200, 422)
        else:
            response = client.open(path, method=method, data={"csrf_token": token})
            ok = response.status_code in (403, 404)
        body = response.get_data(as_text=True)
        if not ok or "南通市（演示）" in body or "H32060000001" in body:
            leaks.append((method, path, response.status_code))
    assert leaks == []
    assert "南通市（演示）" not in client.get("/").get_data(as_text=True)
