"""Issue 29: the document kinds are one registry that the service dispatches through and every shell lists
from. A kind registered by a test (its template and builder only) is offered by the console, the screens
and the API with no change to any of them; the API generates every kind the others do."""
import base64
import io

import pytest
from docx import Document

from agreements.kinds import COMMON, DocumentKind
from prepay_admin.policy.departments import Department
from prepay_admin.services import documents
from prepay_admin.services.demo import load_demo
from tests.console import token_for
from tests.documents_helpers import docx_text
from tests.screens import csrf_token, sign_in


def _template() -> bytes:
    doc = Document()
    doc.add_paragraph("{{ region }} {{ year }} 年度试行文书：{{ note }}")
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


@pytest.fixture
def trial_kind(monkeypatch):
    entry = documents.Registered(
        DocumentKind("trial_notice", "试行通知", "22§", COMMON | {"note"}, per_institution=False, template=_template()),
        Department.FUND_SETTLEMENT, documents.Scope.REGION_YEAR,
        lambda step, r: (f"{r.year}", None, {"note": f"公示 {r.days} 日"}, {"days": r.days}),
        "trial-notice", "试行通知", campaign=False)
    monkeypatch.setitem(documents.REGISTRY, entry.name, entry)
    return entry


@pytest.fixture
def region(app):
    sessions = app.extensions["prepay_sessions"]
    load_demo(sessions, institutions=3, seed=2026, year=2026, play=False)
    return sessions


def test_29_a_registered_kind_is_offered_by_the_console_the_screens_and_the_api(app, client, region, trial_kind,
                                                                                  tmp_path, monkeypatch, database_url):
    monkeypatch.setenv("PREPAY_TOKEN", token_for(app, "jiesuan1"))
    out = tmp_path / "trial.docx"
    console = app.test_cli_runner().invoke(args=["docs", "issue", "trial_notice", "--region", "320600",
                                                 "--year", "2026", "--days", "5", "--out", str(out)])
    assert console.exit_code == 0, console.output
    assert "试行文书：公示 5 日" in docx_text(out.read_bytes())

    sign_in(client, "jiesuan1")
    page = client.get("/documents/320600").get_data(as_text=True)
    assert "试行通知（22§）" in page
    screen = client.post("/documents/320600/issue", data={"csrf_token": csrf_token(client, "/documents/320600"),
                                                          "kind": "trial_notice", "year": "2026", "days": "9"})
    assert screen.status_code == 200 and "试行文书：公示 9 日" in docx_text(screen.data)

    api = client.post("/api/v1/regions/320600/documents", json={"kind": "trial_notice", "year": 2026, "days": 3},
                      headers={"Authorization": f"Bearer {token_for(app, 'jiesuan1')}", "Idempotency-Key": "t-1"})
    assert api.status_code == 201, api.json
    assert "试行文书：公示 3 日" in docx_text(base64.b64decode(api.json["content_base64"]))
    from prepay_admin.app import create_app  # the document is drawn up when an app starts: one started now

    later = create_app({"DATABASE_URL": database_url, "TESTING": True})
    spec = later.test_client().get("/api/openapi.json").json
    later.extensions["prepay_engine"].dispose()
    assert "trial_notice" in spec["components"]["schemas"]["DocumentIn"]["properties"]["kind"]["enum"]


def test_29_the_api_accepts_every_kind_the_console_offers(app, client):
    spec = client.get("/api/openapi.json").json
    assert set(spec["components"]["schemas"]["DocumentIn"]["properties"]["kind"]["enum"]) == set(documents.REGISTRY)
    commands = set(app.cli.commands["docs"].commands)
    assert {entry.command for entry in documents.REGISTRY.values()} <= commands
    assert {"agreement", "application_form", "year_end_notice", "determination_notice", "demand", "public_list",
            "statement"} <= set(documents.REGISTRY)  # the API once lacked application_form and year_end_notice


def test_29_a_kind_issued_by_another_department_is_refused_on_screen(app, client, region, trial_kind):
    sign_in(client, "caiwu1")  # 财务管理部门; the trial kind is the fund settlement department's
    refused = client.post("/documents/320600/issue", data={"csrf_token": csrf_token(client, "/documents/320600"),
                                                           "kind": "trial_notice", "year": "2026"})
    assert refused.status_code == 403
