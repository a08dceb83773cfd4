"""The audit trail: read-only, filterable, for overseers; the region's transitions only."""
from prepay_admin.services.demo import load_demo
from tests.screens import sign_in


def test_the_auditor_reads_the_regions_transitions_and_the_services_events(client, app):
    load_demo(app.extensions["prepay_sessions"], institutions=30, seed=3, year=2026)
    load_demo(app.extensions["prepay_sessions"], institutions=5, seed=4, year=2026, profile="hebei-2024",
              region_code="130100", region_name="石家庄市（演示）")
    sign_in(client, "shenji1")
    assert 'href="/audit/130100">审计记录</a>' in client.get("/").get_data(as_text=True)  # its first region
    page = client.get("/audit/320600").get_data(as_text=True)
    assert "审计记录 · 南通市（演示）（只读）" in page and "预付金核定" in page and "拨付批次" in page
    assert "登录、拒绝与运维记录" in page and "<td>登录</td>" in page  # issue 30: event types in Chinese
    batches = client.get("/audit/320600?machine=batch").get_data(as_text=True)
    assert "财政部门确认" in batches and "预付金申请" not in batches.split("<tbody>")[1].split("</tbody>")[0]
    assert client.get("/audit/320600?machine=nonsense").status_code == 400
    assert client.get("/audit/320600?page=" + "9" * 25).status_code == 400
    assert client.post("/audit/320600").status_code in (400, 405)  # read-only


def test_a_clerk_is_refused_the_audit_trail(client, app):
    load_demo(app.extensions["prepay_sessions"], institutions=3, seed=3, year=2026, play=False)
    sign_in(client, "jiesuan1")
    assert "审计记录" not in client.get("/").get_data(as_text=True)
    assert client.get("/audit/320600").status_code == 403


def test_30_the_trail_names_its_subjects_and_filters_by_institution_department_person_and_dates(client, app):
    """Every workflow of the region is there (receivables and pre-settlements too), named by code and name,
    in Chinese, and narrowed as an auditor asks; the export holds what the screen filtered."""
    import io

    import openpyxl
    from sqlalchemy import select

    from prepay_admin.models import Institution, Receivable, Transition
    from prepay_admin.policy.transitions import MACHINES

    sessions = app.extensions["prepay_sessions"]
    load_demo(sessions, institutions=20, seed=2026, year=2026, years=2)
    labels = {m.name: m for m in MACHINES}
    with sessions() as s:
        for machine, action, before, after in s.execute(select(Transition.machine, Transition.action,
                                                               Transition.from_state, Transition.to_state).distinct()):
            for key in (action, before, after):
                assert key is None or key in labels[machine].labels, (machine, key)  # nothing shown in English
        code, name = s.execute(select(Institution.code, Institution.name).join(
            Receivable, Receivable.institution_id == Institution.id)).first()
    sign_in(client, "shenji1")
    page = client.get(f"/audit/320600?institution={code}").get_data(as_text=True)
    body = page.split("<tbody>")[1].split("</tbody>")[0]
    assert f"{code} {name}" in body and "应收回预付金" in body  # receivables are the region's too
    assert all(code in row for row in body.split("<tr>")[1:])
    finance = client.get("/audit/320600?department=finance").get_data(as_text=True).split("<tbody>")[1]
    assert "王芳（财务管理部门）" in finance and "张敏（基金结算部门）" not in finance.split("</tbody>")[0]
    by_name = client.get("/audit/320600?actor=王芳").get_data(as_text=True).split("<tbody>")[1].split("</tbody>")[0]
    assert "王芳" in by_name and "张敏" not in by_name
    assert "没有符合条件的记录" in client.get("/audit/320600?since=2099-01-01").get_data(as_text=True)
    assert client.get("/audit/320600?since=2026-13-01").status_code == 400
    assert client.get("/audit/320600?since=2026-02-01&until=2026-01-01").status_code == 400
    exported = client.get(f"/audit/320600/trail.xlsx?institution={code}")
    assert exported.status_code == 200
    ws = openpyxl.load_workbook(io.BytesIO(exported.data)).active
    rows = list(ws.iter_rows(min_row=4, values_only=True))
    assert rows and all(code in (r[3] or "") for r in rows)
    assert int(ws.page_setup.paperSize) == 9 and ws.print_title_rows  # prints on A4 (9) with its headers


def test_30_the_api_trail_filters_as_the_screen_does(client, app):
    from tests.console import token_for

    load_demo(app.extensions["prepay_sessions"], institutions=10, seed=2026, year=2026)
    headers = {"Authorization": f"Bearer {token_for(app, 'shenji1')}"}
    answer = client.get("/api/v1/regions/320600/audit-trail?department=finance&per_page=200", headers=headers)
    assert answer.status_code == 200
    items = answer.json["items"]
    assert items and all("财务管理部门" in i["who"] for i in items) and all(i["subject"] for i in items)
    wrong = client.get("/api/v1/regions/320600/audit-trail?since=2026-02-01&until=2026-01-01", headers=headers)
    assert wrong.status_code == 400 and "since" in wrong.json["errors"]
