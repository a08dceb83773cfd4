"""``/api/v1``: bearer tokens, JSON errors naming the field, money as strings, idempotency keys,
another region invisible, and the OpenAPI document fuzzed by schemathesis."""
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks
from sqlalchemy import func, select

from prepay_admin.models import PaymentInstruction, SignOff
from prepay_admin.services import batch as batches
from prepay_admin.services import payment
from prepay_admin.services.demo import load_demo
from tests.console import token_for
from tests.cycle_helpers import REGION, YEAR, listed_through_fixing, secure_and_sign
from tests.ledger_helpers import vouchers
from tests.signing_helpers import batch_signers


def auth(app, user):
    return {"Authorization": f"Bearer {token_for(app, user)}"}


@pytest.fixture
def batch_id(app):
    sessions = app.extensions["prepay_sessions"]
    rows = listed_through_fixing(sessions, institutions=20)
    secure_and_sign(sessions, rows[:2])
    return batches.prepare(sessions, REGION, YEAR, "jiesuan1")


def test_every_endpoint_needs_a_valid_bearer_token(client, app, batch_id):
    for path in ("/api/v1/regions", f"/api/v1/batches/{batch_id}"):
        assert client.get(path).status_code == 401
        bad = client.get(path, headers={"Authorization": "Bearer pa_forged"})
        assert bad.status_code == 401 and bad.json["message"].startswith("登录凭证无效")


def test_determinations_come_paged_with_money_as_strings(client, app, batch_id):
    response = client.get(f"/api/v1/regions/{REGION}/campaigns/{YEAR}/determinations?per_page=5",
                          headers=auth(app, "shenji1"))
    assert response.status_code == 200
    body = response.json
    assert body["per_page"] == 5 and len(body["items"]) == 5 and body["total"] == 20
    assert isinstance(body["determined_total"], str) and body["determined_total"].endswith(
        tuple(f".{n:02d}" for n in range(100)))
    advance = next(a for item in body["items"] for a in item["advances"])
    assert isinstance(advance["amount"], str)
    too_far = client.get(f"/api/v1/regions/{REGION}/campaigns/{YEAR}/determinations?page=" + "9" * 25,
                         headers=auth(app, "shenji1"))
    assert too_far.status_code == 422 and "page" in too_far.json["errors"]


def test_another_regions_data_is_invisible(client, app, batch_id):
    from prepay_admin.policy.departments import Department
    from prepay_admin.services import identity

    sessions = app.extensions["prepay_sessions"]
    load_demo(sessions, institutions=3, seed=2, year=YEAR, profile="hebei-2024", region_code="130100",
              region_name="石家庄市（演示）", play=False)
    identity.create_user(sessions, "hebei1", "石家庄内审", Department.INTERNAL_AUDIT, "hebei-pass-123", ("130100",),
                         "root")
    headers = auth(app, "hebei1")
    assert [r["code"] for r in client.get("/api/v1/regions", headers=headers).json] == ["130100"]
    assert client.get(f"/api/v1/regions/{REGION}/campaigns/{YEAR}", headers=headers).status_code == 404
    assert client.get(f"/api/v1/batches/{batch_id}", headers=headers).status_code == 404


def test_a_sign_off_names_the_hash_and_a_replay_under_its_key_signs_once(client, app, batch_id):
    seen = client.get(f"/api/v1/batches/{batch_id}", headers=auth(app, "jiesuan1")).json["hash"]
    body = {"batch_hash": seen, "comment": "名单及额度经核定无误"}
    no_key = client.post(f"/api/v1/batches/{batch_id}/sign-offs", json=body, headers=auth(app, "jiesuan1"))
    assert no_key.status_code == 400 and "Idempotency-Key" in no_key.json["errors"]
    headers = {**auth(app, "jiesuan1"), "Idempotency-Key": "sign-1"}
    first = client.post(f"/api/v1/batches/{batch_id}/sign-offs", json=body, headers=headers)
    again = client.post(f"/api/v1/batches/{batch_id}/sign-offs", json=body, headers=headers)
    assert first.status_code == again.status_code == 201 and first.json == again.json
    other = client.post(f"/api/v1/batches/{batch_id}/sign-offs", json={**body, "comment": "另一意见"}, headers=headers)
    assert other.status_code == 409
    with app.extensions["prepay_sessions"]() as s:
        assert s.scalar(select(func.count()).select_from(SignOff)) == 1
    # RULES §4: Nantong's next level is 财务管理部门审核申报 (24§(一)), before internal audit
    refused = client.post(f"/api/v1/batches/{batch_id}/sign-offs", json=body,
                          headers={**auth(app, "neishen1"), "Idempotency-Key": "sign-2"})
    assert refused.status_code == 403 and "须由财务管理部门办理" in refused.json["message"]
    wrong = client.post(f"/api/v1/batches/{batch_id}/sign-offs", json={**body, "batch_hash": "0" * 64},
                        headers={**auth(app, "caiwu1"), "Idempotency-Key": "sign-3"})
    assert wrong.status_code == 422 and "hash" in wrong.json["errors"]


def test_bad_input_is_a_json_error_naming_the_field(client, app, batch_id):
    headers = {**auth(app, "caiwu1"), "Idempotency-Key": "c-1"}
    cases = [({"bank_ref": "B1", "paid_on": "２０２６-01-26"}, "paid_on"),
             ({"bank_ref": "B1", "paid_on": "2026-01-26", "paid_from": "cash"}, "paid_from"),
             ({"bank_ref": "B1", "paid_on": "2026-01-26", "extra": 1}, "extra"),
             ({"paid_on": "2026-01-26"}, "bank_ref")]
    for body, field in cases:
        response = client.post("/api/v1/payment-instructions/1/confirmation", json=body, headers=headers)
        assert response.status_code == 422 and field in response.json["errors"], response.json
    garbage = client.post("/api/v1/payment-instructions/1/confirmation", data=b"\xff\xfe{",
                          content_type="application/json", headers=headers)
    assert 400 <= garbage.status_code < 500


def test_a_confirmation_through_the_api_posts_once(client, app, batch_id):
    sessions = app.extensions["prepay_sessions"]
    seen = batches.current_hash(sessions, batch_id)
    for user in batch_signers(sessions, batch_id):
        batches.sign_off(sessions, batch_id, user, "同意", seen)
    import datetime as dt
    first = payment.issue(sessions, batch_id, "caiwu1", dt.date(YEAR, 1, 23))[0]
    headers = {**auth(app, "caiwu1"), "Idempotency-Key": "confirm-1"}
    body = {"bank_ref": "BK-1", "paid_on": "2026-01-26", "paid_from": "expenditure"}
    a = client.post(f"/api/v1/payment-instructions/{first}/confirmation", json=body, headers=headers)
    b = client.post(f"/api/v1/payment-instructions/{first}/confirmation", json=body, headers=headers)
    assert a.status_code == b.status_code == 200 and a.json == b.json
    with sessions() as s:
        assert vouchers(s, "payment-instruction:") == 2  # the payment, and (RULES §7) the transfer funding it
        assert vouchers(s, f"payment-instruction:{first}:funding") == 1
        assert s.get(PaymentInstruction, first).state == "paid"


def test_the_openapi_document_describes_every_endpoint_and_the_docs_page_works_offline(client):
    spec = client.get("/api/openapi.json").json
    assert spec["openapi"].startswith("3.") and "bearer" in spec["components"]["securitySchemes"]
    assert "/api/v1/batches/{batch_id}/sign-offs" in spec["paths"]
    page = client.get("/api/docs").get_data(as_text=True)
    assert "/api/v1/regions" in page and "cdn" not in page.lower()


CHECKS = [checks.not_a_server_error, checks.status_code_conformance, checks.content_type_conformance,
          checks.response_schema_conformance]


def test_the_api_never_answers_500_nor_breaks_its_schema(app, batch_id):
    """schemathesis generates requests from the OpenAPI document; each answer must not be a 5xx,
    must have a documented status and content type, and must conform to its documented schema.
    (Its "schema-valid data must be accepted" check is left out: the services refuse by business
    rule much that the schema allows — an instruction that does not exist, a date outside the year.)"""
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    routes = sum(len(rule.methods - {"HEAD", "OPTIONS"}) for rule in app.url_map.iter_rules()
                 if rule.rule.startswith("/api/v1/"))
    assert len(operations) == routes >= 18  # every endpoint is documented, and so fuzzed
    for operation in operations:
        @settings(max_examples=25, suppress_health_check=list(HealthCheck), deadline=None, database=None)
        @given(case=operation.as_strategy())
        def fuzz(case):
            case.call_and_validate(headers={**auth(app, "jiesuan1"), "Idempotency-Key": "fuzz"}, checks=CHECKS)

        fuzz()


def test_15_an_application_security_and_agreement_through_the_api_are_idempotent(client, app):
    import datetime as dt

    from prepay_admin.services import applications, determination
    from prepay_admin.services.campaign import open_campaign
    from tests.cycle_helpers import listed, region_ready

    sessions = app.extensions["prepay_sessions"]
    region_ready(sessions, institutions=12)
    open_campaign(sessions, REGION, YEAR, "caiwu1")
    base = f"/api/v1/regions/{REGION}/campaigns/{YEAR}"
    headers = {**auth(app, "jiesuan1"), "Idempotency-Key": "apply-1"}
    body = {"institution_code": "H32060000001", "submitted_on": "2025-12-28", "answers": applications.clean_answers()}
    first = client.post(f"{base}/applications", json=body, headers=headers)
    again = client.post(f"{base}/applications", json=body, headers=headers)
    assert first.status_code == again.status_code == 201 and first.json == again.json
    other = client.post(f"{base}/applications", json={**body, "institution_code": "H32060000002"}, headers=headers)
    assert other.status_code == 409
    no_promise = client.post(f"{base}/applications", headers={**headers, "Idempotency-Key": "apply-2"},
                             json={**body, "answers": {**body["answers"], "commitment": False}})
    assert no_promise.status_code == 422 and "须承诺对所提交资料的真实性负责" in no_promise.json["message"]
    listing = client.get(f"{base}/applications", headers=auth(app, "shenji1")).json
    assert listing["total"] == 1 and listing["items"][0]["self_check"]["commitment"] is True
    from prepay_admin.models import Institution
    with sessions() as s:
        others = s.scalars(select(Institution.code).where(Institution.code != "H32060000001")).all()
    for other_code in others:
        applications.apply(sessions, REGION, YEAR, other_code, applications.clean_answers(),
                           dt.date(2025, 12, 28), "jiesuan1")
    determination.determine(sessions, REGION, YEAR, "jiesuan1")
    determination.fix_list(sessions, REGION, YEAR, "jiesuan1", dt.date(YEAR, 1, 5))
    code, kind, value, ref = listed(sessions)[0]
    typed = client.post(f"{base}/securities", headers={**auth(app, "jiesuan2"), "Idempotency-Key": "sec-0"},
                        json={"institution_code": code, "kind": kind, "value": "100万",
                              "registration_ref": ref, "registered_on": "2026-01-08"})
    assert typed.status_code in (400, 422) and "value" in typed.json["errors"]  # the API stays strict (issue 30)
    secured = client.post(f"{base}/securities", headers={**auth(app, "jiesuan2"), "Idempotency-Key": "sec-1"},
                          json={"institution_code": code, "kind": kind, "value": str(value),
                                "registration_ref": ref, "registered_on": "2026-01-08"})
    assert secured.status_code == 201 and all(isinstance(a["final"], str) for a in secured.json["amounts"])
    signed = client.post(f"{base}/agreements", headers={**auth(app, "jiesuan2"), "Idempotency-Key": "sign-1"},
                         json={"institution_code": code, "signed_on": "2026-01-08"})
    assert signed.status_code == 201 and signed.json["agreement_no"]
    page = client.get(f"/api/v1/regions/{REGION}/institutions/{code}", headers=auth(app, "shenji1")).json
    assert page["agreements"][0]["agreement_no"] == signed.json["agreement_no"]
    assert page["securities"][0]["registration_ref"] == ref and isinstance(page["securities"][0]["value"], str)
    board = client.get(f"{base}/dashboard", headers=auth(app, "shenji1")).json
    assert {s["key"]: s["count"] for s in board["pipeline"]}["signed"] == 1
    assert board["funds"][0]["threshold"] == "12"


def test_19_the_books_and_the_audit_trail_through_the_api(client, app):
    sessions = app.extensions["prepay_sessions"]
    load_demo(sessions, institutions=12, seed=2026, year=YEAR)
    period = {"fund": "employee", "from": "2026-01", "to": "2026-12"}
    tb = client.get(f"/api/v1/regions/{REGION}/ledger/trial-balance", query_string=period,
                    headers=auth(app, "caiwu1"))
    assert tb.status_code == 200 and tb.json["balanced"] is True
    assert tb.json["totals"]["debit"] == tb.json["totals"]["credit"] and isinstance(tb.json["totals"]["debit"], str)
    paid = client.get("/api/v1/batches/1/payment-instructions", headers=auth(app, "caiwu1")).json
    code = paid[0]["institution_code"]
    st = client.get(f"/api/v1/regions/{REGION}/ledger/statements/{code}", query_string=period,
                    headers=auth(app, "caiwu1")).json
    assert st["party"] == code and st["movements"] and st["closing"] != "0.00"
    bad = client.get(f"/api/v1/regions/{REGION}/ledger/trial-balance", query_string={**period, "from": "2026-13"},
                     headers=auth(app, "caiwu1"))
    assert bad.status_code == 422 and "period" in bad.json["errors"]
    trail = client.get(f"/api/v1/regions/{REGION}/audit-trail?machine=batch", headers=auth(app, "shenji1"))
    assert trail.status_code == 200 and trail.json["total"] >= 5 and trail.json["items"][0]["what"] == "拨付批次"
    refused = client.get(f"/api/v1/regions/{REGION}/audit-trail", headers=auth(app, "jiesuan1"))
    assert refused.status_code == 403
    found = client.get(f"/api/v1/regions/{REGION}/institutions?q=H32060000001", headers=auth(app, "jihe1")).json
    assert found["total"] == 1 and found["items"][0]["code"] == "H32060000001"


def test_15_3_15_4_bulk_steps_through_the_api_are_idempotent_and_name_each_refusal(client, app):
    from tests.cycle_helpers import listed_codes, pay_batch

    sessions = app.extensions["prepay_sessions"]
    listed_through_fixing(sessions, institutions=20)
    codes = listed_codes(sessions)[:3]
    url = f"/api/v1/regions/{REGION}/campaigns/{YEAR}/signing-window"
    body = {"institution_codes": codes, "on": "2026-01-08"}
    refused = client.post(url, json=body, headers={**auth(app, "jiesuan2"), "Idempotency-Key": "w-0"})
    assert refused.status_code == 422 and f"机构 {codes[0]}" in str(refused.json)
    body |= {"registration_ref": "通卫担〔2026〕9号", "covered": "100000000.00"}
    headers = {**auth(app, "jiesuan2"), "Idempotency-Key": "w-1"}
    first = client.post(url, json=body, headers=headers)
    again = client.post(url, json=body, headers=headers)
    assert first.status_code == again.status_code == 200 and first.json == again.json
    assert sorted(first.json["signed"]) == sorted(codes) and first.json["agreements"] == 3
    instructions = pay_batch(sessions)
    with sessions() as s:
        batch = s.scalar(select(PaymentInstruction.batch_id).where(PaymentInstruction.id == instructions[0]))
    with sessions() as s:
        rows = s.execute(select(PaymentInstruction.id, PaymentInstruction.amount).where(
            PaymentInstruction.id.in_(instructions), PaymentInstruction.fund == "employee")).all()
    instructions = [i for i, _ in rows]
    confirm = {"instruction_ids": instructions, "bank_ref": "DF0126", "paid_on": "2026-01-26",
               "paid_from": "expenditure", "paid_count": len(rows), "paid_total": f"{sum(a for _, a in rows):.2f}"}
    done = client.post(f"/api/v1/batches/{batch}/selected-confirmation", json=confirm,
                       headers={**auth(app, "caiwu1"), "Idempotency-Key": "c-1"})
    assert done.status_code == 200 and done.json["confirmed"] == len(instructions) and isinstance(done.json["amount"], str)
    replay = client.post(f"/api/v1/batches/{batch}/selected-confirmation", json=confirm,
                         headers={**auth(app, "caiwu1"), "Idempotency-Key": "c-2"})
    assert replay.status_code == 200 and replay.json["replayed"] == len(instructions) and replay.json["confirmed"] == 0
    with sessions() as s:
        assert vouchers(s, "payment-instruction:") == len(instructions)
