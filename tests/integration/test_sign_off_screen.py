"""24§(五) on screens: each level reads the batch and signs the hash of what it saw; anyone else
is shown why they cannot sign, and a forged request is refused with 403, changing nothing."""
import re

import pytest
from sqlalchemy import func, select

from prepay_admin.models import AuditEvent, SignOff
from prepay_admin.services import batch as batches
from prepay_admin.services.demo import load_demo
from tests.cycle_helpers import REGION, YEAR, listed_through_fixing, secure_and_sign
from tests.screens import csrf_token, sign_in
from tests.signing_helpers import batch_signers


@pytest.fixture
def batch_id(sessions, app):
    rows = listed_through_fixing(app.extensions["prepay_sessions"], institutions=20)
    secure_and_sign(app.extensions["prepay_sessions"], rows[:3])
    return batches.prepare(app.extensions["prepay_sessions"], REGION, YEAR, "jiesuan1")


def form_hash(page: str) -> str:
    return re.search(r'name="seen_hash" type="hidden" value="([0-9a-f]{64})"', page).group(1)


def test_each_level_of_the_chain_signs_on_screen_naming_the_hash_it_saw(client, app, batch_id):
    for user in batch_signers(app.extensions["prepay_sessions"], batch_id):
        sign_in(client, user)
        page = client.get(f"/batches/{batch_id}").get_data(as_text=True)
        assert "计算方法" in page and "以上年月均医保基金支付额为基数" in page and "拨付明细" in page
        token = csrf_token(client, f"/batches/{batch_id}")
        done = client.post(f"/batches/{batch_id}/sign", data={"csrf_token": token, "seen_hash": form_hash(page),
                                                               "comment": f"{user} 同意"})
        assert done.status_code == 302, done.get_data(as_text=True)
        client.post("/logout", data={"csrf_token": csrf_token(client, "/password")})
    with app.extensions["prepay_sessions"]() as s:
        assert s.scalar(select(func.count()).select_from(SignOff).where(SignOff.voided_at.is_(None))) == len(
            batch_signers(app.extensions["prepay_sessions"], batch_id))


def test_a_clerk_sees_why_they_cannot_sign_and_a_forged_sign_off_is_refused_with_403(client, app, batch_id):
    sign_in(client, "jiesuan1")
    token = csrf_token(client, f"/batches/{batch_id}")
    page = client.get(f"/batches/{batch_id}").get_data(as_text=True)
    client.post(f"/batches/{batch_id}/sign", data={"csrf_token": token, "seen_hash": form_hash(page),
                                                   "comment": "提请审核"})
    page = client.get(f"/batches/{batch_id}").get_data(as_text=True)
    assert "同意并签字" not in page and "须由财务管理部门办理" in page  # RULES §4: Nantong's next level
    assert "✓ 基金结算部门编制" in page and "财务管理部门审核申报（待签）" in page  # the chain, and where it stands
    forged = client.post(f"/batches/{batch_id}/sign", data={"csrf_token": token, "seen_hash": "0" * 64,
                                                            "comment": "越权"})
    assert forged.status_code == 403 and "须由财务管理部门办理" in forged.get_data(as_text=True)
    with app.extensions["prepay_sessions"]() as s:
        assert s.scalar(select(func.count()).select_from(SignOff)) == 1
        assert s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.kind == "refused")) == 1


def test_a_signer_who_saw_another_batch_is_refused_and_the_comment_kept(client, app, batch_id):
    sign_in(client, "jiesuan1")
    page = client.get(f"/batches/{batch_id}").get_data(as_text=True)
    response = client.post(f"/batches/{batch_id}/sign", data={"csrf_token": csrf_token(client, f"/batches/{batch_id}"),
                                                              "seen_hash": "f" * 64, "comment": "我核对过的意见"})
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "批次内容已变更或摘要不符" in body and "我核对过的意见" in body and form_hash(page) in body


def test_a_rejection_needs_a_reason_and_voids_what_was_signed(client, app, batch_id):
    sign_in(client, "jiesuan1")
    page = client.get(f"/batches/{batch_id}").get_data(as_text=True)
    client.post(f"/batches/{batch_id}/sign", data={"csrf_token": csrf_token(client, f"/batches/{batch_id}"),
                                                   "seen_hash": form_hash(page), "comment": "提请审核"})
    client.post("/logout", data={"csrf_token": csrf_token(client, "/password")})
    sign_in(client, "caiwu1")  # the level whose turn it is returns it: 财务管理部门审核申报
    empty = client.post(f"/batches/{batch_id}/reject", data={"csrf_token": csrf_token(client, f"/batches/{batch_id}"),
                                                             "reason": ""})
    assert empty.status_code == 400 and "退回须说明原因" in empty.get_data(as_text=True)
    ok = client.post(f"/batches/{batch_id}/reject", data={"csrf_token": csrf_token(client, f"/batches/{batch_id}"),
                                                          "reason": "第 3 项账号待核"})
    assert ok.status_code == 302
    page = client.get(f"/batches/{batch_id}").get_data(as_text=True)
    assert "已作废：退回：第 3 项账号待核" in page and "退回：第 3 项账号待核" in page


def test_another_regions_batch_does_not_exist_for_this_user(client, app, batch_id):
    from prepay_admin.policy.departments import Department
    from prepay_admin.services import identity

    load_demo(app.extensions["prepay_sessions"], institutions=3, seed=2, year=YEAR, profile="hebei-2024",
              region_code="130100", region_name="石家庄市（演示）", play=False)
    identity.create_user(app.extensions["prepay_sessions"], "hebei1", "石家庄内审", Department.INTERNAL_AUDIT,
                         "hebei-pass-123", ("130100",), "root")
    sign_in(client, "hebei1", "hebei-pass-123")
    assert client.get(f"/batches/{batch_id}").status_code == 404
    assert client.post(f"/batches/{batch_id}/sign", data={"csrf_token": csrf_token(client, "/password"),
                                                          "seen_hash": "0" * 64, "comment": "x"}).status_code == 404


def test_24_a_large_batch_is_read_a_page_at_a_time_and_downloaded_whole_under_the_one_hash(client, app):
    import io

    from openpyxl import load_workbook

    from prepay_admin.models import PaymentBatch
    from prepay_admin.queries.signoff import LINES_PER_PAGE

    sessions = app.extensions["prepay_sessions"]
    load_demo(sessions, institutions=360, seed=2026, year=YEAR)  # played: batch 1 holds well over a page
    with sessions() as s:
        orm_hash = batches.batch_hash(s.get(PaymentBatch, 1))
        lines = len(s.get(PaymentBatch, 1).items)
    assert lines > LINES_PER_PAGE
    sign_in(client, "shenji1")
    first = client.get("/batches/1").get_data(as_text=True)
    assert f"拨付明细（{lines} 项，每页 {LINES_PER_PAGE} 项）" in first and "第 1 / " in first
    assert orm_hash in first  # the hash over every line, read from the rows, is the service's own
    last = client.get(f"/batches/1?page={-(-lines // LINES_PER_PAGE)}").get_data(as_text=True)
    assert "上一页" in last and "下一页" not in last
    workbook = load_workbook(io.BytesIO(client.get("/batches/1/lines.xlsx").data)).active
    assert workbook.max_row == 3 + lines + 1 and orm_hash in workbook["A2"].value  # title, subtitle, header, total
    assert client.get("/batches/1?page=0").status_code == 400
