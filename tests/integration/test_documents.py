"""The bureau's documents (16§, 15§(二), 20§(二)1, 21§(一), 22§(一)): rendered from the data the services
hold, read back with python-docx, registered, verified byte for byte."""
from __future__ import annotations

import datetime as dt
import io
import re
import zipfile

import pytest
from docx import Document
from sqlalchemy import select, update

from agreements.typeset import cn_date
from prepay_admin.models import Determination, Institution, IssuedDocument, Receivable
from prepay_admin.policy.facts import Fund
from prepay_admin.policy.recovery import TriggerKind
from prepay_admin.services import document_register, documents, receivables, triggers
from prepay_admin.services.demo import load_demo
from prepay_admin.services.documents import REGISTRY
from prepay_admin.services.errors import ServiceError
from tests.documents_helpers import docx_text

REGION, YEAR = "320600", 2026
HOSTILE = 'A&B <医院> "第一" \'分院\''


text_of = docx_text


@pytest.fixture
def played(sessions):
    load_demo(sessions, institutions=30, seed=2026, year=YEAR)
    with sessions.begin() as s:
        code = s.scalars(select(Institution.code).join(Determination, Determination.institution_id == Institution.id)
                         .where(Determination.state == "paid").order_by(Institution.code)).first()
        s.execute(update(Institution).where(Institution.code == code).values(name=HOSTILE))
    return code


def test_16_the_agreement_names_both_parties_the_amounts_in_words_the_security_and_survives_a_hostile_name(sessions, played):
    issued = documents.issue(sessions, "agreement", REGION, "jiesuan1", year=YEAR, institution=played)
    text = text_of(issued.data)
    assert HOSTILE in text and played in text and "南通市（演示）医疗保险经办机构" in text
    assert "人民币" in text and "元整" in text and "{{" not in text and "{%" not in text
    assert "有效期 3 年" in text and "不计利息" in text and "5 个工作日" in text and "滚动结算" in text
    with pytest.raises(ServiceError) as refused:
        documents.issue(sessions, "agreement", REGION, "caiwu1", year=YEAR, institution=played)
    assert refused.value.field == "user"


def test_15_the_determination_notice_shows_the_calculation_and_every_reason(sessions, played):
    with sessions() as s:
        refused = s.scalars(select(Institution.code).join(Determination, Determination.institution_id == Institution.id)
                            .where(Determination.eligible.is_(False)).order_by(Institution.code)).first()
    text = text_of(documents.issue(sessions, "determination_notice", REGION, "jiesuan1", year=YEAR,
                                   institution=refused).data)
    assert "不予预付" in text and re.search(r"第[一二三四五六七八九十]+条", text)  # the article, as the texts cite it
    paid = text_of(documents.issue(sessions, "determination_notice", REGION, "jiesuan1", year=YEAR,
                                   institution=played).data)
    assert "予以预付" in paid and "取整到万元" in paid


def test_22_the_public_list_has_every_paid_institution_with_totals(sessions, played):
    text = text_of(documents.issue(sessions, "public_list", REGION, "jiesuan1", year=YEAR).data)
    assert played in text and HOSTILE in text and "合计" in text and "计算方法" in text


def test_20_the_demand_says_how_much_why_by_when_and_a_statement_has_its_confirmation_block(sessions, played):
    triggers.record_trigger(sessions, REGION, played, TriggerKind.ASSET_SEIZURE, dt.date(YEAR, 3, 2), "财保1号", "jihe1")
    with sessions() as s:
        rid = s.scalar(select(Receivable.id).where(Receivable.fund == Fund.EMPLOYEE))
    with pytest.raises(ServiceError):
        documents.issue(sessions, "demand", REGION, "caiwu1", receivable_id=rid)  # not demanded yet
    receivables.demand(sessions, rid, dt.date(YEAR, 3, 3), "caiwu1")
    text = text_of(documents.issue(sessions, "demand", REGION, "caiwu1", receivable_id=rid).data)
    assert "2026年3月10日 前" in text and "5 个工作日" in text and "财产被保全" in text and "人民币" in text
    assert "开户行 中国工商银行南通分行营业部，账号 1110132060000000001" in text
    statement = text_of(documents.issue(sessions, "statement", REGION, "caiwu1", institution=played,
                                        fund=Fund.EMPLOYEE, from_period="2026-01", to_period="2026-11").data)
    assert "核对意见" in statement and "盖章" in statement and "记-2026-" in statement


def test_the_register_proves_what_was_issued_and_a_changed_byte_is_not_recognised(sessions, played):
    first = documents.issue(sessions, "agreement", REGION, "jiesuan1", year=YEAR, institution=played)
    second = documents.issue(sessions, "agreement", REGION, "jiesuan1", year=YEAR, institution=played)
    assert second.supersedes == first.id
    found = document_register.verify(sessions, first.data)
    assert found.id == first.id and found.superseded_by_id == second.id and found.title == "预付金预付协议"
    changed = bytearray(second.data)
    changed[len(changed) // 2] ^= 1
    assert document_register.verify(sessions, bytes(changed)) is None
    with sessions() as s:
        doc = s.get(IssuedDocument, second.id)
        assert '"determination_id"' in doc.source_json and doc.generated_by == "jiesuan1"


def test_a_regions_template_using_an_unknown_variable_is_refused_and_a_missing_one_is_named(sessions, played):
    from docx import Document as New

    bad = New()
    bad.add_paragraph("{{ institution.name }} {{ salary_of_director }}")
    data = io.BytesIO()
    bad.save(data)
    with pytest.raises(ServiceError) as refused:
        document_register.upload_template(sessions, REGION, "agreement", data.getvalue(), "guanli1")
    assert "salary_of_director" in refused.value.message
    good = New()
    good.add_paragraph("本地区协议：{{ institution.name }}，{{ total_words }}")
    data = io.BytesIO()
    good.save(data)
    assert document_register.upload_template(sessions, REGION, "agreement", data.getvalue(), "guanli1") == ["institution",
                                                                                                   "total_words"]
    own = documents.issue(sessions, "agreement", REGION, "jiesuan1", year=YEAR, institution=played)
    assert text_of(own.data).startswith("本地区协议：" + HOSTILE)


def test_every_template_with_a_variable_missing_names_it():
    from agreements.rendering import TemplateProblem, render, variables

    for kind in (entry.kind for entry in REGISTRY.values()):
        template = kind.packaged_template()
        missing = sorted(variables(template))[0]
        context = {name: {} for name in variables(template) if name != missing}
        with pytest.raises(TemplateProblem) as problem:
            render(template, context)
        assert problem.value.variable is not None, kind.name


def test_a_year_of_agreements_is_issued_as_one_zip(sessions, played):
    done = documents.issue_batch(sessions, "agreement", REGION, YEAR, "jiesuan1")
    names = zipfile.ZipFile(io.BytesIO(done.data)).namelist()
    assert len(names) == done.count >= 3 and all(n.endswith(".docx") for n in names)


def test_16_documents_are_downloaded_from_the_screens_and_checked_against_the_register(app, client):
    from tests.screens import csrf_token, sign_in

    sessions = app.extensions["prepay_sessions"]
    load_demo(sessions, institutions=30, seed=2026, year=YEAR)
    with sessions() as s:
        code = s.scalars(select(Institution.code).join(Determination, Determination.institution_id == Institution.id)
                         .where(Determination.state == "paid").order_by(Institution.code)).first()
    sign_in(client, "jiesuan1")
    page = client.get(f"/institutions/{REGION}/{code}").get_data(as_text=True)
    assert "生成 2026 年度预付协议" in page and "生成 2026 年度核定通知书" in page
    token = csrf_token(client, "/password")
    got = client.post(f"/documents/{REGION}/2026/{code}/agreement", data={"csrf_token": token})
    assert got.status_code == 200 and got.mimetype == documents.DOCX
    assert "filename*=UTF-8''agreement-320600-2026-" in got.headers["Content-Disposition"]
    assert client.post(f"/documents/{REGION}/2026/{code}/nonsense", data={"csrf_token": token}).status_code == 404
    assert client.post(f"/documents/{REGION}/2026/{code}/agreement", data={}).status_code == 400  # no CSRF token
    zipped = client.post(f"/documents/{REGION}/2026/batch/agreement", data={"csrf_token": token})
    assert zipped.mimetype == "application/zip"
    refused = client.post(f"/documents/{REGION}/statements/{code}", data={"csrf_token": token, "fund": "employee"})
    assert refused.status_code == 403  # statements are the finance department's
    checked = client.post("/documents/verify", data={"csrf_token": csrf_token(client, "/documents/verify"),
                                                     "file": (io.BytesIO(got.data), "a.docx")})
    assert "是本经办机构出具的文书" in checked.get_data(as_text=True)
    forged = client.post("/documents/verify", data={"csrf_token": csrf_token(client, "/documents/verify"),
                                                    "file": (io.BytesIO(got.data + b"x"), "a.docx")})
    assert "不是本经办机构登记出具的文书" in forged.get_data(as_text=True)


def test_16_the_api_returns_the_document_and_verifies_a_file(app, client):
    import base64

    from tests.console import token_for

    sessions = app.extensions["prepay_sessions"]
    load_demo(sessions, institutions=30, seed=2026, year=YEAR)
    auth = {"Authorization": f"Bearer {token_for(app, 'jiesuan1')}"}
    made = client.post(f"/api/v1/regions/{REGION}/documents", json={"kind": "public_list", "year": 2026},
                       headers={**auth, "Idempotency-Key": "pl-1"})
    assert made.status_code == 201 and made.json["file_name"].endswith(".docx")
    data = base64.b64decode(made.json["content_base64"])
    assert "合计" in text_of(data)
    bad = client.post(f"/api/v1/regions/{REGION}/documents", json={"kind": "agreement", "year": "2026"},
                      headers={**auth, "Idempotency-Key": "pl-2"})
    assert bad.status_code == 422 and "year" in bad.json["errors"]
    verified = client.post("/api/v1/documents/verification", data={"file": (io.BytesIO(data), "x.docx")}, headers=auth)
    assert verified.json["issued"] and verified.json["kind"] == "public_list"
    assert not client.post("/api/v1/documents/verification", data={"file": (io.BytesIO(b"x"), "x.docx")},
                           headers=auth).json["issued"]


def test_15_the_application_form_is_filled_from_the_self_check(sessions, played):
    text = text_of(documents.issue(sessions, "application_form", REGION, "jiesuan1", year=YEAR, institution=played).data)
    assert HOSTILE in text and "医保结算是否满一年以上" in text and "是（有）" in text and "良好" in text
    assert "院长" in text and "2025年12月" in text


def test_17_the_year_end_notice_says_repay_clear_or_top_up_fund_by_fund(sessions):
    load_demo(sessions, institutions=40, seed=2026, year=YEAR, years=2)
    repay = text_of(documents.issue(sessions, "year_end_notice", REGION, "caiwu1", year=2025,
                                    institution="H32060000003").data)
    assert "年终差额收回（多退少补）" in repay and "从此后月度结算款中扣回" in repay and "人民币贰拾玖万元整" in repay
    cleared = text_of(documents.issue(sessions, "year_end_notice", REGION, "caiwu1", year=2025,
                                      institution="H32060000001").data)
    assert "清算收回" in cleared
    with pytest.raises(ServiceError):
        documents.issue(sessions, "year_end_notice", REGION, "caiwu1", year=2025, institution="H32060000009")


def test_16_documents_from_the_terminal_and_a_file_checked_against_the_register(app, cli_runner, tmp_path):
    from tests.console import as_user

    sessions = app.extensions["prepay_sessions"]
    load_demo(sessions, institutions=30, seed=2026, year=YEAR)
    with sessions() as s:
        code = s.scalars(select(Institution.code).join(Determination, Determination.institution_id == Institution.id)
                         .where(Determination.state == "paid").order_by(Institution.code)).first()
    words = cli_runner.invoke(args=["docs", "words", "107000.53"])
    assert words.exit_code == 0 and words.output == "人民币壹拾万柒仟元零伍角叁分\n"
    assert cli_runner.invoke(args=["docs", "words", "-1"]).exit_code == 2
    out = tmp_path / "agreement.docx"
    made = cli_runner.invoke(args=["docs", "agreement", "--region", REGION, "--year", "2026", "--institution", code,
                                   "--out", str(out)], env=as_user(app, "jiesuan1"))
    assert made.exit_code == 0 and "文书登记第" in made.output, made.output
    ok = cli_runner.invoke(args=["docs", "verify", str(out)])
    assert ok.exit_code == 0 and "是本经办机构出具的文书" in ok.output and "为现行版本" in ok.output
    changed = tmp_path / "changed.docx"
    data = bytearray(out.read_bytes())
    data[100] ^= 1
    changed.write_bytes(bytes(data))
    bad = cli_runner.invoke(args=["docs", "verify", str(changed)])
    assert bad.exit_code == 1 and "不是本经办机构登记出具的文书" in bad.output
    zipped = tmp_path / "all.zip"
    batch = cli_runner.invoke(args=["docs", "batch", "agreement", "--region", REGION, "--year", "2026", "--out",
                                    str(zipped)], env=as_user(app, "jiesuan1"))
    assert batch.exit_code == 0 and zipfile.is_zipfile(zipped), batch.output
    refused = cli_runner.invoke(args=["docs", "public-list", "--region", REGION, "--year", "2026"],
                                env=as_user(app, "caiwu1"))
    assert refused.exit_code == 2 and "须由基金结算部门办理" in refused.output


def test_a_pdf_is_made_beside_the_docx_where_libreoffice_is_installed_and_a_clear_message_where_not(
        app, cli_runner, tmp_path, monkeypatch):
    import os

    from agreements import pdf
    from tests.console import as_user

    in_ci = os.environ.get("CI", "").lower() in ("1", "true", "yes")
    if pdf.converter() is None:
        if in_ci:
            pytest.fail("LibreOffice not installed (CI=true: the PDF path must be tested)", pytrace=False)
        pytest.skip("LibreOffice not installed")
    sessions = app.extensions["prepay_sessions"]
    load_demo(sessions, institutions=30, seed=2026, year=YEAR)
    out = tmp_path / "list.docx"
    made = cli_runner.invoke(args=["docs", "public-list", "--region", REGION, "--year", "2026", "--out", str(out),
                                   "--pdf"], env=as_user(app, "jiesuan1"))
    assert made.exit_code == 0, made.output
    assert (tmp_path / "list.pdf").read_bytes().startswith(b"%PDF")
    monkeypatch.setattr(pdf, "SOFFICE", ("no-such-office",))
    without = cli_runner.invoke(args=["docs", "public-list", "--region", REGION, "--year", "2026", "--out",
                                      str(tmp_path / "again.docx"), "--pdf"], env=as_user(app, "jiesuan1"))
    assert without.exit_code == 0 and "未安装 LibreOffice" in without.output
    assert (tmp_path / "again.docx").exists() and not (tmp_path / "again.pdf").exists()


def test_the_register_and_the_templates_on_screen_an_administrator_replaces_one(app, client):
    from docx import Document as New

    from tests.screens import csrf_token, sign_in

    sessions = app.extensions["prepay_sessions"]
    load_demo(sessions, institutions=12, seed=2026, year=YEAR)
    documents.issue(sessions, "public_list", REGION, "jiesuan1", year=YEAR)
    sign_in(client, "shenji1")
    page = client.get(f"/documents/{REGION}").get_data(as_text=True)
    assert "预付金公示" in page and "系统模板" in page and "上传并启用" not in page
    template = client.get(f"/documents/{REGION}/templates/agreement")
    assert template.status_code == 200 and template.data == REGISTRY["agreement"].kind.packaged_template()
    client.post("/logout", data={"csrf_token": csrf_token(client, "/password")})

    sign_in(client, "guanli1")
    bad = New()
    bad.add_paragraph("{{ institution.name }} {{ bribe }}")
    data = io.BytesIO()
    bad.save(data)
    token = csrf_token(client, "/password")
    refused = client.post(f"/documents/{REGION}/templates/agreement",
                          data={"csrf_token": token, "file": (io.BytesIO(data.getvalue()), "bad.docx")})
    assert refused.status_code == 400 and "bribe" in refused.get_data(as_text=True)
    done = client.post(f"/documents/{REGION}/templates/agreement", follow_redirects=True,
                       data={"csrf_token": token, "file": (io.BytesIO(REGISTRY["agreement"].kind.packaged_template()), "a.docx")})
    assert "已启用预付金预付协议的新模板" in done.get_data(as_text=True) and "本地区模板" in done.get_data(as_text=True)


def test_16_every_field_of_the_agreement_is_in_its_place(sessions, played):
    from agreements.words import in_words
    from prepay_admin.models import Agreement, DeterminationAdvance, SecurityPledge

    with sessions() as s:
        inst = s.scalar(select(Institution).where(Institution.code == played))
        det = s.scalar(select(Determination).where(Determination.institution_id == inst.id))
        agreement = s.get(Agreement, det.agreement_id)
        pledge = s.get(SecurityPledge, det.security_id)
        amounts = {a.fund: a.final_amount if a.final_amount is not None else a.amount
                   for a in s.scalars(select(DeterminationAdvance).where(DeterminationAdvance.determination_id == det.id))}
    doc = Document(io.BytesIO(documents.issue(sessions, "agreement", REGION, "jiesuan1", year=YEAR,
                                              institution=played).data))
    paragraphs = [p.text for p in doc.paragraphs]
    assert paragraphs[0] == "医保基金预付金预付协议"
    assert f"协议编号：{agreement.agreement_no}" in paragraphs
    assert f"乙方（定点医疗机构）：{HOSTILE}" in paragraphs
    assert f"乙方定点医药机构编码：{played}　　统一社会信用代码：{inst.credit_code}" in paragraphs
    assert f"乙方收款账户：{inst.bank_name}　账号 {inst.bank_account}" in paragraphs
    rows = [[c.text for c in r.cells] for r in doc.tables[0].rows]
    fund_cn = {"employee": "职工医保统筹基金", "resident": "居民医保基金"}
    expected = [[fund_cn[f.value], f"{a:,.2f}", in_words(a)] for f, a in sorted(amounts.items()) if a > 0]
    total = sum(amounts.values())
    assert rows == [["基金", "金额（元）", "大写"], *expected, ["合计", f"{total:,.2f}", in_words(total)]]
    assert any(f"担保额度 {pledge.value:,.2f} 元（{in_words(pledge.value)}）" in p for p in paragraphs)
    assert f"签订日期：{cn_date(agreement.signed_on)}" in paragraphs  # issue 30: dates in Chinese
