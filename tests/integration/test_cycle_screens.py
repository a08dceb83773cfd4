"""A whole January on screens (RULES §4): each department does its step in the browser's forms;
bad input is shown beside its field with what was typed kept; a department that may not act gets 403."""
import re

import pytest
from sqlalchemy import func, select

from prepay_admin.models import Application, AuditEvent, PaymentInstruction
from prepay_admin.services.demo import load_demo
from tests.ledger_helpers import vouchers
from tests.screens import csrf_token, sign_in
from tests.signing_helpers import batch_signers

BASE = "/cycle/320600/2026"


@pytest.fixture
def region(app):
    load_demo(app.extensions["prepay_sessions"], institutions=12, seed=2026, year=2026, play=False)
    return app.extensions["prepay_sessions"]


def post(client, path, **data):
    return client.post(BASE + path, data={"csrf_token": csrf_token(client, "/password"), **data})


def switch(client, user):
    client.post("/logout", data={"csrf_token": csrf_token(client, "/password")})
    sign_in(client, user)


APPLY = {"submitted_on": "2025-12-28", "last_assessment": "good", "signed_by": "院长", "commitment": "y",
         "settled_over_one_year": "y", "operating_normally": "y", "finance_system_sound": "y",
         "cooperates_with_reforms": "y", "traceability_codes_uploaded": "y", "cooperates_with_supervision": "y"}


def test_a_january_on_screens_from_opening_to_confirmed_payment(client, region):
    sign_in(client, "caiwu1")
    assert post(client, "/open").status_code == 302
    switch(client, "jiesuan1")
    for code in ("H32060000001", "H32060000002"):
        assert post(client, "/apply", institution=code, **APPLY).status_code == 302
    assert post(client, "/determine").status_code == 302
    assert post(client, "/fix-list", day="2026-01-05", confirm="y").status_code == 302
    page = client.get(BASE).get_data(as_text=True)
    assert "待办理担保" in page
    # issue 30: the amount as staff type it, in 万 with full-width digits
    assert post(client, "/security", institution="H32060000002", kind="pledge", value="１５０万", ref="通抵押〔2026〕2号",
                day="2026-01-07").status_code == 302
    assert "1,500,000.00" in client.get("/institutions/320600/H32060000002").get_data(as_text=True)
    assert post(client, "/sign", institution="H32060000002", day="2026-01-07").status_code == 302
    assert post(client, "/prepare").status_code == 302
    batch_page = client.get("/batches/1").get_data(as_text=True)
    seen = re.search(r'name="seen_hash" type="hidden" value="([0-9a-f]{64})"', batch_page).group(1)
    for user in batch_signers(region, 1):
        switch(client, user)
        response = client.post("/batches/1/sign", data={"csrf_token": csrf_token(client, "/batches/1"),
                                                         "seen_hash": seen, "comment": "同意"})
        assert response.status_code == 302
    switch(client, "caiwu1")
    assert client.post(BASE + "/batches/1/pay", data={"csrf_token": csrf_token(client, "/password"),
                                                      "day": "2026-01-23"}).status_code == 302
    with region() as s:
        ids = s.scalars(select(PaymentInstruction.id).order_by(PaymentInstruction.id)).all()
    for n, i in enumerate(ids):
        done = client.post(f"{BASE}/instructions/{i}/confirm", data={
            "csrf_token": csrf_token(client, "/password"), "bank_ref": f"BK{n}", "paid_from": "expenditure",
            "day": "2026-01-26"})
        assert done.status_code == 302
    with region() as s:
        assert vouchers(s, "payment-instruction:") == 2 * len(ids) == 4  # each payment and its funding
    assert "已拨付" in client.get(BASE).get_data(as_text=True)


def test_bad_input_is_shown_beside_its_field_and_what_was_typed_is_kept(client, region):
    sign_in(client, "caiwu1")
    post(client, "/open")
    switch(client, "jiesuan1")
    late = post(client, "/apply", institution="H32060000001", **{**APPLY, "submitted_on": "２０２６-01-02"})
    body = late.get_data(as_text=True)
    assert late.status_code == 400 and "日期格式须为 YYYY-MM-DD" in body and 'value="H32060000001"' in body
    unknown = post(client, "/apply", institution="H9999", **APPLY)
    assert unknown.status_code == 400 and "没有定点医药机构 H9999" in unknown.get_data(as_text=True)
    with region() as s:
        assert s.scalar(select(func.count()).select_from(Application)) == 0
    post(client, "/apply", institution="H32060000002", **APPLY)
    post(client, "/determine")
    post(client, "/fix-list", day="2026-01-05", confirm="y")
    bad = post(client, "/security", institution="H32060000002", kind="pledge", value="1.234", ref="x", day="2026-01-07")
    body = bad.get_data(as_text=True)
    assert bad.status_code == 400 and "小数位不超过 2 位" in body and 'value="1.234"' in body


def test_a_department_that_may_not_act_gets_403_and_is_recorded(client, region):
    sign_in(client, "jiesuan1")
    refused = post(client, "/open")
    assert refused.status_code == 403 and "须由财务管理部门办理" in refused.get_data(as_text=True)
    with region() as s:
        assert s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.kind == "refused")) == 1


def test_another_regions_cycle_does_not_exist_for_this_user(client, region):
    sign_in(client, "caiwu1")
    assert client.get("/cycle/130100/2026").status_code == 404
    assert client.post("/cycle/130100/2026/open", data={"csrf_token": csrf_token(client, "/password")}).status_code == 404


def test_a_refused_button_says_why_beside_it(client, region):
    sign_in(client, "caiwu1")
    post(client, "/open")
    again = post(client, "/open")  # the campaign is open already: the page shows why, not a bare 400
    assert again.status_code == 400 and "年度预付已开启" in again.get_data(as_text=True)
    switch(client, "jiesuan1")
    nothing = post(client, "/determine")
    assert nothing.status_code == 400 and "没有待核定的申请" in nothing.get_data(as_text=True)
    post(client, "/apply", institution="H32060000002", **APPLY)
    post(client, "/determine")
    post(client, "/fix-list", day="2026-01-05", confirm="y")
    unsigned = post(client, "/prepare")
    assert unsigned.status_code == 400 and "没有已签约、尚未编入批次的机构" in unsigned.get_data(as_text=True)


def test_15_the_signing_window_is_searched_and_paged(client, app):
    load_demo(app.extensions["prepay_sessions"], institutions=320, seed=2026, year=2026)
    sign_in(client, "jiesuan1")
    page = client.get(BASE).get_data(as_text=True)
    total = int(re.search(r"名单内机构 (\d+) 家", page).group(1))
    assert total > 50 and "第 1 / " in page and page.count('name="institution"') <= 2 * 50
    found = client.get(BASE + "?q=H32060000001").get_data(as_text=True)
    assert "名单内机构 1 家（符合“H32060000001”）" in found or "名单内机构 0 家" in found
    assert client.get(BASE + "?page=abc").status_code == 400
    assert client.get(BASE + "?q=" + "x" * 61).status_code == 400


def test_30_a_refusal_stands_beside_the_field_it_is_about(client, app):
    """Issue 30 (item 10): "/commitment: 须承诺…" appeared under 机构编码; a short password under 用户名."""
    import re

    from prepay_admin.services.campaign import open_campaign
    from tests.cycle_helpers import REGION, YEAR, region_ready
    from tests.screens import csrf_token, sign_in

    sessions = app.extensions["prepay_sessions"]
    region_ready(sessions, institutions=3)
    open_campaign(sessions, REGION, YEAR, "caiwu1")
    sign_in(client, "jiesuan1")
    base = f"/cycle/{REGION}/{YEAR}"
    page = client.post(f"{base}/apply", data={"csrf_token": csrf_token(client, base), "institution": "H32060000001",
                                              "submitted_on": f"{YEAR - 1}-12-28", "last_assessment": "good",
                                              "signed_by": "张三"})  # the commitment left unticked
    html = page.get_data(as_text=True)
    assert page.status_code == 400
    assert re.search(r'f?commitment[^>]*>[^<]*</label>\s*<p class="error" role="alert">[^<]*须承诺', html), html[-2000:]
    assert "/commitment" not in html
    client.post("/logout", data={"csrf_token": csrf_token(client, "/password")})
    sign_in(client, "guanli1")
    made = client.post("/admin/users", data={"csrf_token": csrf_token(client, "/admin/users"), "username": "newone",
                                             "name": "新人", "department": "finance", "region": REGION,
                                             "password": "short1"})
    text = made.get_data(as_text=True)
    assert made.status_code == 400
    assert re.search(r'id="password-error"[^>]*>密码须为', text), text[-1500:]


def _to_the_window(client, codes):
    sign_in(client, "caiwu1")
    assert post(client, "/open").status_code == 302
    switch(client, "jiesuan1")
    for code in codes:
        assert post(client, "/apply", institution=code, **APPLY).status_code == 302
    assert post(client, "/determine").status_code == 302
    assert post(client, "/fix-list", day="2026-01-05", confirm="y").status_code == 302


def test_15_3_the_ticked_institutions_are_secured_and_signed_in_one_bulk_step_on_screen(client, region):
    codes = ["H32060000001", "H32060000002", "H32060000003"]
    _to_the_window(client, codes)
    page = client.get(BASE).get_data(as_text=True)
    assert 'form="bulk-window"' in page and "登记信用担保并签订协议" in page
    # a reference left out is named beside its field, the ticks kept
    refused = post(client, "/window/bulk", action="security_sign", scope="selected", code=codes[:2],
                   registration_ref="", covered="1000万", day="2026-01-07")
    text = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "登记担保须填写信用担保函编号" in text
    assert text.count(" checked>") >= 2
    done = post(client, "/window/bulk", action="security_sign", scope="selected", code=codes[:2],
                registration_ref="通卫担〔2026〕5号", covered="1000万", day="2026-01-07")
    assert done.status_code == 302
    assert "已为 2 家机构登记信用担保并签订协议" in client.get(BASE).get_data(as_text=True)
    # "all the search finds": the one left, found by its code
    done = client.post(BASE + "/window/bulk?q=H32060000003", data={
        "csrf_token": csrf_token(client, "/password"), "action": "security_sign", "scope": "all",
        "registration_ref": "通卫担〔2026〕6号", "covered": "10000000", "day": "2026-01-07"})
    assert done.status_code == 302
    with region() as s:
        from prepay_admin.models import Determination
        assert set(s.scalars(select(Determination.state).where(Determination.state != "superseded"))) >= {"signed"}
        assert s.scalar(select(func.count()).select_from(Determination).where(Determination.state == "signed")) == 3


def test_15_3_a_bulk_step_refused_for_one_institution_names_it_and_does_nothing(client, region):
    codes = ["H32060000001", "H32060000002"]
    _to_the_window(client, codes)
    refused = post(client, "/window/bulk", action="sign", scope="selected", code=codes, day="2026-01-07")
    text = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "机构 H32060000001" in text and "须先办理担保" in text
    switch(client, "caiwu1")
    page = client.get(BASE).get_data(as_text=True)
    assert 'form="bulk-window"' not in page and "由基金结算部门办理" in page
    assert post(client, "/window/bulk", action="sign", scope="selected", code=codes, day="2026-01-07").status_code == 403


def test_15_4_ticked_instructions_are_confirmed_from_one_batch_transfer_on_screen(client, region):
    codes = ["H32060000001", "H32060000002"]
    _to_the_window(client, codes)
    assert post(client, "/window/bulk", action="security_sign", scope="selected", code=codes,
                registration_ref="通卫担〔2026〕5号", covered="1000万", day="2026-01-07").status_code == 302
    assert post(client, "/prepare").status_code == 302
    batch_page = client.get("/batches/1").get_data(as_text=True)
    seen = re.search(r'name="seen_hash" type="hidden" value="([0-9a-f]{64})"', batch_page).group(1)
    for user in batch_signers(region, 1):
        switch(client, user)
        client.post("/batches/1/sign", data={"csrf_token": csrf_token(client, "/batches/1"), "seen_hash": seen,
                                             "comment": "同意"})
    switch(client, "caiwu1")
    assert post(client, "/batches/1/pay", day="2026-01-23").status_code == 302
    page = client.get(BASE).get_data(as_text=True)
    ticks = re.findall(r'name="instruction" value="(\d+)" form="bulk-confirm-1"', page)
    assert len(ticks) >= 2
    with region() as s:  # one transfer pays one fund's instructions: the employee fund's
        ticks = [str(i) for i in s.scalars(select(PaymentInstruction.id).where(
            PaymentInstruction.id.in_([int(t) for t in ticks]), PaymentInstruction.fund == "employee"))]
        total = sum(s.scalars(select(PaymentInstruction.amount).where(PaymentInstruction.id.in_([int(t) for t in ticks]))))
    wrong = post(client, "/batches/1/confirm-selected", scope="selected", instruction=ticks, bank_ref="DF20260126",
                 paid_count=str(len(ticks)), paid_total=f"{total - 1:.2f}", paid_from="expenditure", day="2026-01-26")
    assert wrong.status_code == 400 and "不一致：有退票的请以银行回单文件确认" in wrong.get_data(as_text=True)
    done = post(client, "/batches/1/confirm-selected", scope="selected", instruction=ticks, bank_ref="DF20260126",
                paid_count=str(len(ticks)), paid_total=f"{total:,.2f}", paid_from="expenditure", day="2026-01-26")
    assert done.status_code == 302
    assert f"已确认到账并记账 {len(ticks)} 笔" in client.get(BASE).get_data(as_text=True)
    with region() as s:
        refs = s.scalars(select(PaymentInstruction.bank_ref).where(PaymentInstruction.id.in_([int(t) for t in ticks])))
        assert sorted(refs) == sorted(f"DF20260126-{t}" for t in ticks)
        assert vouchers(s, "payment-instruction:") == len(ticks)


def test_15_1_an_institution_is_picked_by_code_or_name_and_an_ambiguous_name_lists_the_candidates(client, region):
    from prepay_admin.models import Institution
    with region() as s:
        code, name = s.execute(select(Institution.code, Institution.name).order_by(Institution.code)).first()
    sign_in(client, "caiwu1")
    assert post(client, "/open").status_code == 302
    switch(client, "jiesuan1")
    found = client.get(f"/institutions/320600/suggest.json?q={name[-6:]}").json["items"]
    assert {"code": code, "name": name} in found
    assert client.get(f"/institutions/320600/suggest.json?q={code[:9]}").json["items"][0]["code"].startswith(code[:9])
    page = client.get(BASE).get_data(as_text=True)
    assert 'data-picker="/institutions/320600/suggest.json"' in page and 'list="institution-picker"' in page
    ambiguous = post(client, "/apply", institution="医院", **APPLY)
    assert ambiguous.status_code == 400 and "对应多家机构" in ambiguous.get_data(as_text=True)
    unknown = post(client, "/apply", institution="不存在的医院", **APPLY)
    assert unknown.status_code == 400 and "没有名称含“不存在的医院”的机构" in unknown.get_data(as_text=True)
    mistyped = post(client, "/apply", institution=code[:-2] + code[-1], **APPLY)  # one digit left out
    assert mistyped.status_code == 400 and f"没有定点医药机构 {code[:-2] + code[-1]}" in mistyped.get_data(as_text=True)
    assert post(client, "/apply", institution=code.lower(), **APPLY).status_code == 302  # a code is a code, any case
    assert post(client, "/apply", institution=code, **APPLY).status_code == 400  # applied once already
    with region() as s:
        other_code, other_name = s.execute(select(Institution.code, Institution.name).order_by(Institution.code)
                                           .offset(1)).first()
    assert post(client, "/apply", institution=other_name, **APPLY).status_code == 302  # the whole name fits one
    with region() as s:
        assert s.scalar(select(func.count()).select_from(Application)) == 2


def test_30_the_pickers_background_fetch_never_writes_the_session_back(client, region):
    """Sent while a form is posted, its answer would bring back a message already shown (seen in the walk)."""
    sign_in(client, "jiesuan1")
    answer = client.get("/institutions/320600/suggest.json?q=医院")
    assert answer.status_code == 200 and "Set-Cookie" not in answer.headers
    assert "Set-Cookie" in client.get("/").headers  # a screen still extends the idle timeout
