"""The return path on screen (RULES §5, §6): the inspection department records a trigger, the finance
department runs the month and works the receivable; everyone granted the region reads; a refusal of
the department is a 403 and changes nothing."""
from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal as D

from openpyxl import load_workbook
from sqlalchemy import select

from prepay_admin.models import Determination, Institution
from prepay_admin.services.demo import load_demo
from tests.return_path_helpers import REGION, books_sound, settlement_file
from tests.screens import csrf_token, sign_in
from tests.signing_helpers import presettlement_signers

BASE = f"/recovery/{REGION}"


def _paid_code(sessions) -> str:
    with sessions() as s:
        return s.scalars(select(Institution.code).join(Determination, Determination.institution_id == Institution.id)
                         .where(Determination.state == "paid").order_by(Institution.code)).first()


def test_20_a_trigger_a_settlement_and_a_demand_on_screen(app, client):
    sessions = app.extensions["prepay_sessions"]
    load_demo(sessions, institutions=20, seed=2026, year=2026)
    code = _paid_code(sessions)

    sign_in(client, "caiwu1")
    token = csrf_token(client, BASE)
    refused = client.post(f"{BASE}/triggers", data={"csrf_token": token, "institution": code, "kind": "misuse",
                                                     "evidence": "挪用", "day": "2026-03-02"})
    assert refused.status_code == 403
    client.post("/logout", data={"csrf_token": token})

    sign_in(client, "jihe1")
    token = csrf_token(client, BASE)
    page = client.get(BASE).get_data(as_text=True)
    assert "登记收回情形" in page and "与账簿相符" in page
    empty = client.post(f"{BASE}/triggers", data={"csrf_token": token, "institution": code, "kind": "misuse",
                                                   "evidence": "", "day": "2026-03-02"})
    assert empty.status_code == 400 and "须填写依据" in empty.get_data(as_text=True)
    done = client.post(f"{BASE}/triggers", data={"csrf_token": token, "institution": code, "kind": "misuse",
                                                  "evidence": "专项检查：预付金用于基建", "day": "2026-03-02"},
                       follow_redirects=True)
    assert done.status_code == 200 and f"已登记 {code} 的收回情形" in done.get_data(as_text=True)
    client.post("/logout", data={"csrf_token": token})

    settlement_file(sessions, dt.date(2026, 3, 1), {code: D("15000.00")})
    sign_in(client, "caiwu1")
    token = csrf_token(client, f"{BASE}/settlements")
    bad = client.post(f"{BASE}/settlements", data={"csrf_token": token, "month": "2026-3", "fund": "employee",
                                                    "day": "2026-04-08"})
    assert bad.status_code == 400 and "结算年月须为 YYYY-MM" in bad.get_data(as_text=True)
    ran = client.post(f"{BASE}/settlements", data={"csrf_token": token, "month": "2026-03", "fund": "employee",
                                                    "day": "2026-04-08"}, follow_redirects=True)
    text = ran.get_data(as_text=True)
    assert ran.status_code == 200 and "扣回预付金 15,000.00" in text and "与账簿核对：一致" in text
    again = client.post(f"{BASE}/settlements", data={"csrf_token": token, "month": "2026-03", "fund": "employee",
                                                      "day": "2026-04-08"}, follow_redirects=True)
    assert "该月已结算，未重复记账" in again.get_data(as_text=True)
    run_url = ran.request.path
    payments = client.get(f"{run_url}?format=xlsx")
    assert payments.status_code == 200 and load_workbook(io.BytesIO(payments.data)).active["A1"].value == "月度结算支付清单"
    books_sound(sessions)

    listing = client.get(BASE).get_data(as_text=True)
    assert code in listing and "触发收回" in listing
    assert client.get(f"{BASE}?format=xlsx").status_code == 200
    assert client.get(f"{BASE}?status=nonsense").status_code == 400
    detail = client.get(f"{BASE}/1")
    assert detail.status_code == 200 and "发出催收通知" in detail.get_data(as_text=True)
    demanded = client.post(f"{BASE}/1/demand", data={"csrf_token": token, "day": "2026-04-09"}, follow_redirects=True)
    assert "已发出催收通知" in demanded.get_data(as_text=True)
    no_refs = client.post(f"{BASE}/1/write-off", data={"csrf_token": token, "court_document_ref": "（2026）执1号",
                                                       "approval_ref": "", "day": "2026-04-20"})
    assert no_refs.status_code == 400 and "核销须有人民政府批准文号" in no_refs.get_data(as_text=True)
    refund = client.post(f"{BASE}/1/refund", data={"csrf_token": token, "amount": "1,00", "bank_ref": "B1",
                                                   "paid_into": "expenditure", "day": "2026-04-10"})
    assert refund.status_code == 400 and "千分位逗号须每三位一组" in refund.get_data(as_text=True)
    # issue 30: as staff type it (thousands separated, full-width)
    refund = client.post(f"{BASE}/1/refund", data={"csrf_token": token, "amount": "１,０００.００", "bank_ref": "B1",
                                                   "paid_into": "expenditure", "day": "2026-04-10"},
                         follow_redirects=True)
    assert "已登记交回 1,000.00" in refund.get_data(as_text=True)
    assert client.get(f"{BASE}/999").status_code == 404
    assert client.post(f"{BASE}/1/nonsense", data={"csrf_token": token}).status_code == 404
    books_sound(sessions)


def test_20_the_return_path_through_the_api(app, client):
    from tests.console import token_for

    sessions = app.extensions["prepay_sessions"]
    load_demo(sessions, institutions=20, seed=2026, year=2026)
    code = _paid_code(sessions)

    def post(user, path, body, key):
        return client.post(path, json=body, headers={"Authorization": f"Bearer {token_for(app, user)}",
                                                     "Idempotency-Key": key})

    def get(user, path):
        return client.get(path, headers={"Authorization": f"Bearer {token_for(app, user)}"})

    trigger = {"institution_code": code, "kind": "asset_seizure", "occurred_on": "2026-03-02",
               "evidence": "（2026）苏0602财保3号"}
    assert post("caiwu1", f"/api/v1/regions/{REGION}/recovery-triggers", trigger, "t0").status_code == 403
    bad = post("jihe1", f"/api/v1/regions/{REGION}/recovery-triggers", {**trigger, "kind": "rumour"}, "t1")
    assert bad.status_code == 422 and "kind" in bad.json["errors"]
    made = post("jihe1", f"/api/v1/regions/{REGION}/recovery-triggers", trigger, "t2")
    assert made.status_code == 201 and made.json["owed"]["employee"].endswith(".00")
    assert post("jihe1", f"/api/v1/regions/{REGION}/recovery-triggers", trigger, "t2").json == made.json

    settlement_file(sessions, dt.date(2026, 3, 1), {code: D("12000.00")})
    body = {"month": "2026-03", "fund": "employee", "settled_on": "2026-04-08"}
    assert post("caiwu1", f"/api/v1/regions/{REGION}/settlement-runs", {**body, "month": "2026-3"}, "s0").status_code == 422
    ran = post("caiwu1", f"/api/v1/regions/{REGION}/settlement-runs", body, "s1")
    assert ran.status_code == 201 and ran.json["withheld"] == "12000.00" and not ran.json["replayed"]
    again = post("caiwu1", f"/api/v1/regions/{REGION}/settlement-runs", body, "s2")  # a new key: the month is settled
    assert again.json["replayed"] and again.json["run_id"] == ran.json["run_id"]
    sheet = get("shenji1", f"/api/v1/settlement-runs/{ran.json['run_id']}?per_page=5")
    assert sheet.status_code == 200 and sheet.json["ties"] and len(sheet.json["lines"]) == 5

    page = get("shenji1", f"/api/v1/regions/{REGION}/receivables")
    assert page.status_code == 200 and all(t["over_claimed"] == 0 for t in page.json["ties"])
    rid = page.json["items"][0]["id"]
    assert get("shenji1", f"/api/v1/receivables/{rid}").json["line"]["code"] == code
    assert get("shenji1", "/api/v1/receivables/99999").status_code == 404
    demanded = post("caiwu1", f"/api/v1/receivables/{rid}/demands", {"on": "2026-04-09"}, "d1")
    assert demanded.status_code == 201 and demanded.json["due_on"] == "2026-04-16"
    no_approval = post("caiwu1", f"/api/v1/receivables/{rid}/write-off",
                       {"court_document_ref": "（2026）执1号", "on": "2026-05-01"}, "w1")
    assert no_approval.status_code == 422 and "approval_ref" in no_approval.json["errors"]
    refund = post("caiwu1", f"/api/v1/receivables/{rid}/refunds",
                  {"amount": "1e3", "paid_on": "2026-04-10", "bank_ref": "B9"}, "r0")
    assert refund.status_code == 422 and "amount" in refund.json["errors"]
    refund = post("caiwu1", f"/api/v1/receivables/{rid}/refunds",
                  {"amount": "1000.00", "paid_on": "2026-04-10", "bank_ref": "B9"}, "r1")
    assert refund.status_code == 201 and refund.json["amount"] == "1000.00"
    books_sound(sessions)


def test_26_a_pre_settlement_recorded_signed_and_paid_on_screen(app, client):
    import re

    sessions = app.extensions["prepay_sessions"]
    load_demo(sessions, institutions=20, seed=2026, year=2026)
    with sessions() as s:
        pharmacy = s.scalar(select(Institution.code).where(Institution.kind == "pharmacy").order_by(Institution.code))
    base = f"{BASE}/presettlements"
    form = {"institution": pharmacy, "fund": "employee", "month": "2026-05", "case": "cannot_settle",
            "incurred": "80000.00", "settled": "0", "budget_left": "100000.00", "amount": "72000.01"}

    sign_in(client, "jiesuan1")
    token = csrf_token(client, base)
    over = client.post(base, data={"csrf_token": token, **form})
    assert over.status_code == 400 and "超过上限 72,000.00" in over.get_data(as_text=True)
    made = client.post(base, data={"csrf_token": token, **form, "amount": "72000.00"}, follow_redirects=True)
    page = made.get_data(as_text=True)
    # the profile's chain (26§ 第一款: the bureau's own levels, RULES §4)
    assert made.status_code == 200 and "基金结算部门编制 → 财务管理部门审核申报 → 内审部门审核通过" in page
    url = made.request.path
    seen = re.search(r"<code>([0-9a-f]{64})</code>", page).group(1)
    assert client.post(f"{url}/sign", data={"csrf_token": token, "seen_hash": seen, "comment": "提交"},
                       follow_redirects=True).status_code == 200
    again = client.post(f"{url}/sign", data={"csrf_token": token, "seen_hash": seen, "comment": "再签"})
    assert again.status_code == 403  # maker ≠ checker: the next level is the finance department's
    client.post("/logout", data={"csrf_token": token})

    sign_in(client, "caiwu1")
    token = csrf_token(client, url)
    stale = client.post(f"{url}/sign", data={"csrf_token": token, "seen_hash": "0" * 64, "comment": "同意"})
    assert stale.status_code == 400 and "摘要不符" in stale.get_data(as_text=True)
    client.post(f"{url}/sign", data={"csrf_token": token, "seen_hash": seen, "comment": "审核申报"})
    client.post("/logout", data={"csrf_token": token})
    sign_in(client, "neishen1")
    token = csrf_token(client, url)
    client.post(f"{url}/sign", data={"csrf_token": token, "seen_hash": seen, "comment": "同意"})
    client.post("/logout", data={"csrf_token": token})

    sign_in(client, "caiwu1")
    token = csrf_token(client, url)
    paid = client.post(f"{url}/pay", data={"csrf_token": token, "bank_ref": "B-PRE-9", "paid_from": "expenditure",
                                           "day": "2026-06-02"}, follow_redirects=True)
    assert "已确认拨付" in paid.get_data(as_text=True) and "扣回记录" in paid.get_data(as_text=True)
    assert "月度预结金扣回" in client.get(BASE).get_data(as_text=True)
    books_sound(sessions)


def test_26_a_pre_settlement_through_the_api(app, client):
    from tests.console import token_for

    sessions = app.extensions["prepay_sessions"]
    load_demo(sessions, institutions=20, seed=2026, year=2026)
    code = _paid_code(sessions)

    def call(user, path, body=None, key=None):
        headers = {"Authorization": f"Bearer {token_for(app, user)}"}
        if body is None:
            return client.get(path, headers=headers)
        return client.post(path, json=body, headers={**headers, "Idempotency-Key": key})

    settlement_file(sessions, dt.date(2026, 5, 1), {code: D("100000.00")})  # what was settled: from the feed
    body = {"institution_code": code, "fund": "resident", "month": "2026-05", "case": "large_gap",
            "incurred": "200000.00", "amount": "80000.00"}
    typed = call("jiesuan1", f"/api/v1/regions/{REGION}/presettlements", {**body, "settled": "0"}, "p-typed")
    assert typed.status_code == 422 and "settled" in typed.json["errors"]  # RULES §8: never typed in
    missing = call("jiesuan1", f"/api/v1/regions/{REGION}/presettlements", body, "p0")
    assert missing.status_code == 422 and "application_ref" in missing.json["errors"]
    made = call("jiesuan1", f"/api/v1/regions/{REGION}/presettlements", {**body, "application_ref": "申请〔2026〕8号"}, "p1")
    # 26§ 第二款, RULES §4: up to the finance bureau, on the profile's chain (Nantong's five levels)
    assert made.status_code == 201 and made.json["limit"] == "80000.00" and len(made.json["levels"]) == 5
    pid = made.json["presettlement_id"]
    seen = call("shenji1", f"/api/v1/presettlements/{pid}").json["hash"]
    for n, user in enumerate(presettlement_signers(app.extensions["prepay_sessions"], pid)):
        signed = call(user, f"/api/v1/presettlements/{pid}/sign-offs", {"hash": seen, "comment": "同意"}, f"s{n}")
        assert signed.status_code == 201, signed.json
    paid = call("caiwu1", f"/api/v1/presettlements/{pid}/payment", {"bank_ref": "B-API-1", "paid_on": "2026-06-02"}, "pay")
    assert paid.status_code == 201 and paid.json["receivable_id"]
    listed = call("shenji1", f"/api/v1/regions/{REGION}/presettlements")
    assert listed.json[0]["state"] == "paid"
    books_sound(sessions)


def test_30_a_settled_debt_shows_no_age(sessions):
    """Issue 30 (item 10): settled receivables still showed 账龄 and 逾期."""
    import datetime as dt

    from prepay_admin.policy.transitions import RECEIVABLE_OPEN_STATES
    from prepay_admin.queries.receivables import receivables

    load_demo(sessions, institutions=6, seed=2026, year=2026, years=2)
    page = receivables(sessions, REGION, dt.date(2026, 12, 31), status="all", page=1, size=500)
    settled = [r for r in page.rows if r.state not in RECEIVABLE_OPEN_STATES]
    assert settled and all(r.age_band == "—" and r.overdue_days == 0 for r in settled)
    assert all(r.age_band != "—" for r in page.rows if r.state in RECEIVABLE_OPEN_STATES and r.outstanding > 0)
