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
    assert "审计记录（320600，只读）" in page and "预付金核定" in page and "拨付批次" in page
    assert "登录、拒绝与运维记录" in page and "login" in page
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
