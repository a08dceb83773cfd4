"""Issue 30 (item 4): every role of the region reads any issued document as it was issued — on screen,
on the console and through the API — without issuing it again; issuing stays with the department that
issues. Another region's register is not found; a document registered before files were kept says so."""
import base64

import pytest
from sqlalchemy import text

from prepay_admin.policy.departments import Department
from prepay_admin.services import documents
from prepay_admin.services.demo import load_demo
from tests.console import token_for
from tests.screens import sign_in

EVERY_ROLE = ("jiesuan1", "caiwu1", "neishen1", "yibaoju1", "caizhengju1", "jihe1", "shenji1", "guanli1")


@pytest.fixture
def issued(app):
    """A played year with an agreement issued by the fund settlement department."""
    sessions = app.extensions["prepay_sessions"]
    load_demo(sessions, institutions=4, seed=2026, year=2026)
    with sessions() as s:
        code = s.execute(text("SELECT institution_code FROM payment_instruction WHERE state = 'paid' "
                              "ORDER BY id LIMIT 1")).scalar()
    return documents.issue(sessions, "agreement", "320600", "jiesuan1", year=2026, institution=code)


def test_30_every_role_downloads_an_issued_agreement_as_issued(app, issued):
    for user in EVERY_ROLE:
        client = app.test_client()
        sign_in(client, user)
        register = client.get("/documents/320600?kind=agreement").get_data(as_text=True)
        assert f"/documents/320600/issued/{issued.id}" in register, user
        got = client.get(f"/documents/320600/issued/{issued.id}")
        assert got.status_code == 200 and got.data == issued.data, user  # byte for byte, not issued again
    with app.extensions["prepay_sessions"]() as s:
        assert s.execute(text("SELECT COUNT(*) FROM issued_document WHERE kind = 'agreement'")).scalar() == 1


def test_30_the_sign_off_levels_find_the_documents_they_sign_for(app, issued):
    client = app.test_client()
    sign_in(client, "caizhengju1")  # 财政部门, the chain's last level
    page = client.get("/documents/320600?kind=agreement").get_data(as_text=True)
    assert issued.file_name in page and "出具时原件" in page


def test_30_the_api_and_the_console_read_it_too(app, issued, tmp_path, monkeypatch):
    client = app.test_client()
    got = client.get(f"/api/v1/regions/320600/documents/{issued.id}",
                     headers={"Authorization": f"Bearer {token_for(app, 'shenji1')}"})
    assert got.status_code == 200 and base64.b64decode(got.json["content_base64"]) == issued.data
    assert got.json["sha256"] == issued.sha256
    monkeypatch.setenv("PREPAY_TOKEN", token_for(app, "neishen1"))
    out = tmp_path / "copy.docx"
    run = app.test_cli_runner().invoke(args=["docs", "download", "--region", "320600", "--document",
                                             str(issued.id), "--out", str(out)])
    assert run.exit_code == 0, run.output
    assert out.read_bytes() == issued.data


def test_30_another_regions_register_is_not_found(app, issued):
    from prepay_admin.services import identity

    sessions = app.extensions["prepay_sessions"]
    load_demo(sessions, institutions=3, seed=2, year=2026, profile="hebei-2024", region_code="130100",
              region_name="石家庄市（演示）", play=False)
    identity.create_user(sessions, "clerk_b", "乙地经办", Department.FUND_SETTLEMENT, "clerk_b-pass-1",
                         ("130100",), "root")
    client = app.test_client()
    sign_in(client, "clerk_b", "clerk_b-pass-1")
    assert client.get(f"/documents/320600/issued/{issued.id}").status_code == 404
    assert client.get(f"/documents/130100/issued/{issued.id}").status_code == 404  # not in B's register
    api = client.get(f"/api/v1/regions/130100/documents/{issued.id}",
                     headers={"Authorization": f"Bearer {token_for(app, 'clerk_b')}"})
    assert api.status_code == 404


def test_30_a_document_registered_before_files_were_kept_says_so(app, issued):
    from prepay_admin.queries.documents import issued_file
    from prepay_admin.services.errors import NotFound

    sessions = app.extensions["prepay_sessions"]
    with app.extensions["prepay_engine"].begin() as conn:  # as migration 0019 left the earlier rows
        from accounting import guards
        guards.unguard_table(conn, "issued_document")
        conn.exec_driver_sql(f"UPDATE issued_document SET content = NULL WHERE id = {issued.id}")
    with pytest.raises(NotFound) as missing:
        issued_file(sessions, "320600", issued.id)
    assert "未留存文件" in missing.value.message and issued.sha256 in missing.value.message
