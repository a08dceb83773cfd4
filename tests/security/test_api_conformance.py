"""Issue 28 finding 11: the API says what it accepts. A 405 names the allowed methods; the OpenAPI
document is as strict as the validation, so no request the document allows is refused by validation
(a refusal by business rule, such as an institution that does not exist, is the service's answer)."""
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from prepay_admin.api.routing import blp
from prepay_admin.services import batch as batches
from tests.console import token_for
from tests.cycle_helpers import REGION, YEAR, listed_through_fixing, secure_and_sign


@pytest.fixture
def batch_id(app):
    sessions = app.extensions["prepay_sessions"]
    rows = listed_through_fixing(sessions, institutions=6)
    secure_and_sign(sessions, rows[:2])
    return batches.prepare(sessions, REGION, YEAR, "jiesuan1")


def test_28_a_method_not_allowed_says_which_are(client, app, batch_id):
    token = {"Authorization": f"Bearer {token_for(app, 'jiesuan1')}"}
    answer = client.delete(f"/api/v1/batches/{batch_id}", headers=token)
    assert answer.status_code == 405 and "GET" in answer.headers["Allow"]
    assert answer.json["code"] == 405
    page = client.put("/login")
    assert page.status_code == 405 and "POST" in page.headers["Allow"]


def test_28_no_request_the_openapi_document_allows_is_refused_by_validation(app, batch_id, monkeypatch):
    parser = blp.ARGUMENTS_PARSER
    refused: list = []
    original = parser.handle_error

    def recording(error, *args, **kwargs):
        refused.append(error.messages)
        return original(error, *args, **kwargs)

    monkeypatch.setattr(parser, "handle_error", recording)
    headers = {"Authorization": f"Bearer {token_for(app, 'jiesuan1')}"}
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(max_examples=50, suppress_health_check=list(HealthCheck), deadline=None, database=None)
        @given(case=operation.as_strategy())
        def fuzz(case):
            refused.clear()
            response = case.call(headers={**headers, "Idempotency-Key": "fuzz-conformance"})
            assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.status_code}"
            if refused:
                failures.append(f"{case.method} {case.path}: {refused[0]} <- {case.body!r} {case.query!r}")

        fuzz()
    assert not failures, "\n".join(sorted(set(f.split(" <- ")[0] for f in failures))) + "\n" + "\n".join(failures[:20])


def test_28_a_text_part_under_the_files_name_is_refused_not_read(client, app):
    from prepay_admin.services.demo_cycle import ensure_demo_staff

    ensure_demo_staff(app.extensions["prepay_sessions"])
    token = {"Authorization": f"Bearer {token_for(app, 'jiesuan1')}", "Idempotency-Key": "text-as-file"}
    answer = client.post("/api/v1/imports/institutions", data={"region": REGION, "file": "abc"}, headers=token,
                         content_type="multipart/form-data")
    assert answer.status_code == 422 and "file" in answer.json["errors"]


def test_28_a_nul_character_in_a_path_or_query_is_a_400_on_both_databases(client, app):
    from prepay_admin.services.demo_cycle import ensure_demo_staff

    ensure_demo_staff(app.extensions["prepay_sessions"])
    token = {"Authorization": f"Bearer {token_for(app, 'guanli1')}"}
    for path in ("/api/v1/profiles/%00", "/api/v1/regions?q=%00"):
        answer = client.get(path, headers=token)
        assert answer.status_code == 400 and answer.json["code"] == 400, path
    assert client.get("/login?next=%00").status_code == 400
