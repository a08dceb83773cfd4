"""24§: every action on a screen and through the API belongs to a department; a member of staff of
any other department is answered 403, nothing changes, and the refusal is recorded.

The table below names each mutating route of the URL map with the departments whose duty it is and
a request that is otherwise valid; a test checks that the table covers every such route, so a new
route cannot be added without saying whose it is.
"""
import datetime as dt
import io
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest
from sqlalchemy import func, select

from prepay_admin.models import AuditEvent
from prepay_admin.policy.departments import Department as D
from prepay_admin.policy.facts import Fund
from prepay_admin.policy.recovery import PresettlementCase, TriggerKind
from prepay_admin.profiles import load_profile
from prepay_admin.services import batch as batches
from prepay_admin.services import documents, presettlement, settlement, triggers
from prepay_admin.services.applications import clean_answers
from prepay_admin.services.demo import load_demo
from prepay_admin.services.imports import import_file, preview_upload
from tests.console import token_for
from tests.cycle_helpers import batch_awaiting_sign_off
from tests.return_path_helpers import settlement_file
from tests.screens import csrf_token, sign_in

pytestmark = pytest.mark.slow  # left out of make test-fast

REGION, SIGNING = "320600", "320699"
LAKESIDE = (Path(__file__).parents[1] / "data/profiles/lakeside-2026.toml").read_bytes()
SETTLEMENT = "机构编码,结算年月,险种,基金支付金额,其中异地就医金额\nH32060000001,2026-01,职工,1000.00,0\n".encode()
PAYMENT_RETURN_CSV = ("指令编号,机构编码,险种,收款账号,金额,银行流水号,到账日期\n"
                      "1,H32060000001,职工,6222000000000001,100000.00,BK-9,2026-01-26\n").encode()
STAFF = {D.FUND_SETTLEMENT: "jiesuan1", D.FINANCE: "caiwu1", D.INTERNAL_AUDIT: "neishen1", D.INSPECTION: "jihe1",
         D.ADMINISTRATION: "yibaoju1", D.FINANCE_BUREAU: "caizhengju1", D.AUDITOR: "shenji1",
         D.ADMINISTRATOR: "guanli1"}
ALL = frozenset(D)
CYCLE = f"/cycle/{REGION}/2026"
DAY = {"day": "2026-01-08"}
# route (as in the URL map) -> (the departments whose duty it is, an otherwise valid form or body)
SCREENS = {
    "/cycle/<region_code>/<year:year>/open": ({D.FINANCE}, f"{CYCLE}/open", {}),
    "/cycle/<region_code>/<year:year>/apply": ({D.FUND_SETTLEMENT}, f"{CYCLE}/apply", {
        "institution": "H32060000001", "submitted_on": "2025-12-28", "last_assessment": "good", "signed_by": "院长",
        "commitment": "y"}),
    "/cycle/<region_code>/<year:year>/determine": ({D.FUND_SETTLEMENT}, f"{CYCLE}/determine", {}),
    "/cycle/<region_code>/<year:year>/fix-list": ({D.FUND_SETTLEMENT}, f"{CYCLE}/fix-list", {**DAY, "confirm": "y"}),
    "/cycle/<region_code>/<year:year>/security": ({D.FUND_SETTLEMENT}, f"{CYCLE}/security", {
        "institution": "H32060000001", "kind": "pledge", "value": "2000000.00", "ref": "抵押〔2026〕1号",
        **DAY}),
    "/cycle/<region_code>/<year:year>/sign": ({D.FUND_SETTLEMENT}, f"{CYCLE}/sign",
                                              {"institution": "H32060000001", **DAY}),
    "/cycle/<region_code>/<year:year>/window/bulk": ({D.FUND_SETTLEMENT}, f"{CYCLE}/window/bulk", {
        "action": "security_sign", "scope": "selected", "code": "H32060000001", "covered": "10000000",
        "registration_ref": "通卫担〔2026〕1号", **DAY}),
    "/cycle/<region_code>/<year:year>/prepare": ({D.FUND_SETTLEMENT}, f"{CYCLE}/prepare", {}),
    "/deposit/<region_code>/<year:year>/runs": ({D.FUND_SETTLEMENT}, f"/deposit/{REGION}/2026/runs", {}),
    "/deposit/<region_code>/<year:year>/checks": ({D.FUND_SETTLEMENT}, f"/deposit/{REGION}/2026/checks", {}),
    "/deposit/<region_code>/<year:year>/hospitals/<code>/findings/<id:finding_id>/clearance": (
        {D.FUND_SETTLEMENT}, f"/deposit/{REGION}/2026/hospitals/H32060000001/findings/1/clearance", {"note": "核销"}),
    "/deposit/<region_code>/<year:year>/grassroots": ({D.FUND_SETTLEMENT}, f"/deposit/{REGION}/2026/grassroots", {}),
    "/deposit/<region_code>/<year:year>/grassroots/<id:table_id>/decision": (
        {D.ADMINISTRATION}, f"/deposit/{REGION}/2026/grassroots/1/decision", {"decision": "approve"}),
    "/deposit/<region_code>/<year:year>/hospitals/<code>/notices/<which>": (
        {D.FUND_SETTLEMENT}, f"/deposit/{REGION}/2026/hospitals/H32060000001/notices/rectification", {}),
    "/cycle/<region_code>/<year:year>/batches/<id:batch_id>/confirm-selected": (
        {D.FINANCE}, f"{CYCLE}/batches/1/confirm-selected",
        {"scope": "selected", "instruction": "1", "bank_ref": "DF-9", "paid_count": "1", "paid_total": "100000.00",
         "paid_from": "expenditure", "day": "2026-01-26"}),
    "/cycle/<region_code>/<year:year>/batches/<id:batch_id>/pay": ({D.FINANCE}, f"{CYCLE}/batches/1/pay",
                                                                   {"day": "2026-01-23"}),
    "/cycle/<region_code>/<year:year>/instructions/<id:instruction_id>/confirm": (
        {D.FINANCE}, f"{CYCLE}/instructions/1/confirm",
        {"bank_ref": "BK-9", "paid_from": "expenditure", "day": "2026-01-26"}),
    "/cycle/<region_code>/<year:year>/batches/<id:batch_id>/return": (
        {D.FINANCE}, f"{CYCLE}/batches/1/return",
        lambda: {"paid_from": "expenditure", "file": (io.BytesIO(PAYMENT_RETURN_CSV), "回单.csv")}),
    # 15§(四): the bank's return of a transfer unpaid (退票), and its re-issue
    "/cycle/<region_code>/<year:year>/instructions/<id:instruction_id>/bounce": (
        {D.FINANCE}, f"{CYCLE}/instructions/1/bounce", {"failure": "账户已销户"}),
    "/cycle/<region_code>/<year:year>/instructions/<id:instruction_id>/reissue": (
        {D.FINANCE}, f"{CYCLE}/instructions/1/reissue", {"note": "机构账户变更函", "day": "2026-01-26"}),
    "/cycle/<region_code>/<year:year>/instructions/<id:instruction_id>/approve-reissue": (
        {D.INTERNAL_AUDIT}, f"{CYCLE}/instructions/1/approve-reissue", {"comment": "已核对账户变更函"}),
    "/cycle/<region_code>/<year:year>/instructions/<id:instruction_id>/void": (
        {D.FINANCE}, f"{CYCLE}/instructions/1/void", {"reason": "账号有误"}),
    # the batch of the signing region was submitted: the internal audit's level is due (24§(五))
    "/batches/<id:batch_id>/sign": ({D.FINANCE}, "/batches/2/sign", {"comment": "同意", "seen_hash": "0" * 64}),
    "/batches/<id:batch_id>/reject": ({D.FINANCE}, "/batches/2/reject", {"reason": "金额有误"}),
    "/ledger/<region_code>/closing/close": ({D.FINANCE}, f"/ledger/{REGION}/closing/close",
                                            {"fund": "employee", "period": "2026-01", "confirm": "y"}),
    "/ledger/<region_code>/closing/reopen": ({D.FINANCE}, f"/ledger/{REGION}/closing/reopen",
                                             {"fund": "employee", "reason": "补记"}),
    "/admin/users": ({D.ADMINISTRATOR}, "/admin/users", {
        "username": "newcomer", "name": "新人", "department": "finance", "region": REGION,
        "password": "a-long-password-1"}),
    "/admin/users/<username>/password": ({D.ADMINISTRATOR}, "/admin/users/jihe1/password",
                                         {"password": "another-password-1"}),
    "/admin/users/<username>/grant": ({D.ADMINISTRATOR}, "/admin/users/jihe1/grant", {"region": SIGNING}),
    "/admin/users/<username>/disable": ({D.ADMINISTRATOR}, "/admin/users/jihe1/disable", {"confirm": "y"}),
    "/admin/tokens": ({D.ADMINISTRATOR}, "/admin/tokens", {"username": "jihe1", "name": "结算平台"}),
    "/admin/tokens/<id:token_id>/revoke": ({D.ADMINISTRATOR}, "/admin/tokens/1/revoke", {}),
    "/admin/policy/<region_code>/<year:year>": ({D.ADMINISTRATION, D.FINANCE, D.ADMINISTRATOR},
                                                f"/admin/policy/{REGION}/2027",
                                                {"parameter": "amount.minimum", "value": '"50000"',
                                                 "approval_ref": "苏医保〔2026〕9号"}),
    "/admin/calendar": ({D.FUND_SETTLEMENT, D.FINANCE, D.ADMINISTRATOR}, "/admin/calendar",
                        {"scope": REGION, "day": "2027-10-08", "note": "国办发明电〔2026〕1号"}),
    # data intake: the department that owns the kind (the monthly settlement: fund settlement)
    "/imports/<region_code>/<kind>/preview": ({D.FUND_SETTLEMENT}, f"/imports/{REGION}/settlement/preview",
                                              lambda: {"file": (io.BytesIO(SETTLEMENT), "settlement.csv")}),
    "/imports/<region_code>/uploads/<id:upload_id>/confirm": ({D.FUND_SETTLEMENT}, f"/imports/{REGION}/uploads/1/confirm",
                                                              {}),
    # the return path: triggers are the inspection department's (24§(三)), the money the finance department's
    "/recovery/<region_code>/triggers": ({D.INSPECTION}, f"/recovery/{REGION}/triggers", {
        "institution": "H32060000001", "kind": "misuse", "evidence": "挪用预付金", "day": "2026-03-02"}),
    # RULES §2: lifting a self-declared or trigger-borne condition is 稽核's (24§(三))
    "/institutions/<region_code>/<code>/lift": ({D.INSPECTION}, f"/institutions/{REGION}/H32060000001/lift", {
        "condition": "asset_seizure", "source": "trigger", "evidence": "法院解除保全裁定"}),
    "/recovery/<region_code>/year-end": ({D.FINANCE}, f"/recovery/{REGION}/year-end", {"year": "2026",
                                                                                       "day": "2026-03-02", "confirm": "y"}),
    "/recovery/<region_code>/settlements": ({D.FINANCE}, f"/recovery/{REGION}/settlements", {
        "month": "2026-03", "fund": "employee", "day": "2026-04-10"}),
    "/recovery/<region_code>/settlements/clearing": ({D.FINANCE}, f"/recovery/{REGION}/settlements/clearing", {
        "year": "2025", "fund": "employee", "day": "2026-02-10"}),
    "/recovery/<region_code>/<id:receivable_id>/<action>": ({D.FINANCE}, f"/recovery/{REGION}/1/demand",
                                                            {"day": "2026-04-09"}),
    # 26§: recorded by fund settlement; pre-settlement 1 was submitted, the internal audit's level is due
    "/recovery/<region_code>/presettlements": ({D.FUND_SETTLEMENT}, f"/recovery/{REGION}/presettlements", {
        "institution": "H32060000001", "fund": "employee", "month": "2026-05", "case": "large_gap",
        "incurred": "100000.00", "settled": "0", "amount": "50000.00", "application_ref": "申请2号"}),
    "/recovery/<region_code>/presettlements/<id:presettlement_id>/sign": (
        {D.FINANCE}, f"/recovery/{REGION}/presettlements/1/sign", {"comment": "同意", "seen_hash": "0" * 64}),
    "/recovery/<region_code>/presettlements/<id:presettlement_id>/reject": (
        {D.FINANCE}, f"/recovery/{REGION}/presettlements/1/reject", {"reason": "金额有误"}),
    # documents: the agreement, notices and the public list are fund settlement's; demands and statements finance's
    "/documents/<region_code>/<year:year>/<code>/<kind>": ({D.FUND_SETTLEMENT},
                                                          f"/documents/{REGION}/2026/H32060000001/determination_notice", {}),
    "/documents/<region_code>/issue": ({D.FUND_SETTLEMENT}, f"/documents/{REGION}/issue",
                                       {"kind": "determination_notice", "year": "2026",
                                        "institution": "H32060000001"}),
    "/documents/<region_code>/<year:year>/public-list": ({D.FUND_SETTLEMENT}, f"/documents/{REGION}/2026/public-list",
                                                         {"days": "7"}),
    "/documents/<region_code>/<year:year>/batch/<kind>": ({D.FUND_SETTLEMENT},
                                                          f"/documents/{REGION}/2026/batch/determination_notice", {}),
    "/documents/<region_code>/receivables/<id:receivable_id>/demand": ({D.FINANCE},
                                                                      f"/documents/{REGION}/receivables/1/demand", {}),
    "/documents/<region_code>/statements/<code>": ({D.FINANCE}, f"/documents/{REGION}/statements/H32060000001",
                                                   {"fund": "employee"}),
    "/documents/<region_code>/templates/<document_kind>": ({D.ADMINISTRATOR}, f"/documents/{REGION}/templates/agreement",
                                                  lambda: {"file": (io.BytesIO(_agreement_template()), "协议.docx")}),
    # a region's own rules: the administrator adds a profile (issue 14)
    "/admin/profiles": ({D.ADMINISTRATOR}, "/admin/profiles", lambda: {"file": (io.BytesIO(LAKESIDE), "lakeside.toml")}),
    "/recovery/<region_code>/presettlements/<id:presettlement_id>/pay": (
        {D.FINANCE}, f"/recovery/{REGION}/presettlements/1/pay", {"bank_ref": "B3", "paid_from": "expenditure",
                                                                  "day": "2026-06-01"}),
}
SELF_SERVICE = {"/login", "/logout", "/password",  # every member of staff, for themselves
                "/documents/verify"}  # anyone checks a presented file against the register; it changes nothing
API = {
    "POST /api/v1/regions/<region_code>/campaigns/<year:year>/applications": (
        {D.FUND_SETTLEMENT}, f"/api/v1/regions/{REGION}/campaigns/2026/applications",
        {"institution_code": "H32060000001", "submitted_on": "2025-12-28", "answers": clean_answers()}),
    "POST /api/v1/regions/<region_code>/campaigns/<year:year>/securities": (
        {D.FUND_SETTLEMENT}, f"/api/v1/regions/{REGION}/campaigns/2026/securities",
        {"institution_code": "H32060000001", "kind": "pledge", "value": "2000000.00", "registration_ref": "抵押1",
         "registered_on": "2026-01-08"}),
    "POST /api/v1/regions/<region_code>/campaigns/<year:year>/agreements": (
        {D.FUND_SETTLEMENT}, f"/api/v1/regions/{REGION}/campaigns/2026/agreements",
        {"institution_code": "H32060000001", "signed_on": "2026-01-08"}),
    "POST /api/v1/regions/<region_code>/campaigns/<year:year>/signing-window": (
        {D.FUND_SETTLEMENT}, f"/api/v1/regions/{REGION}/campaigns/2026/signing-window",
        {"institution_codes": ["H32060000001"], "registration_ref": "通卫担1", "covered": "10000000.00",
         "on": "2026-01-08"}),
    "POST /api/v1/regions/<region_code>/deposit-references/<year:year>/runs": (
        {D.FUND_SETTLEMENT}, f"/api/v1/regions/{REGION}/deposit-references/2026/runs", {}),
    "POST /api/v1/regions/<region_code>/deposit-findings/<id:finding_id>/clearance": (
        {D.FUND_SETTLEMENT}, f"/api/v1/regions/{REGION}/deposit-findings/1/clearance", {"note": "核销"}),
    "POST /api/v1/regions/<region_code>/deposit-grassroots/<year:year>": (
        {D.FUND_SETTLEMENT}, f"/api/v1/regions/{REGION}/deposit-grassroots/2026", {}),
    "POST /api/v1/regions/<region_code>/grassroots-tables/<id:table_id>/decision": (
        {D.ADMINISTRATION}, f"/api/v1/regions/{REGION}/grassroots-tables/1/decision", {"approve": True}),
    "POST /api/v1/regions/<region_code>/deposit-references/<year:year>/checks": (
        {D.FUND_SETTLEMENT}, f"/api/v1/regions/{REGION}/deposit-references/2026/checks", {"on": "2026-02-01"}),
    "POST /api/v1/batches/<id:batch_id>/selected-confirmation": (
        {D.FINANCE}, "/api/v1/batches/1/selected-confirmation",
        {"instruction_ids": [1], "bank_ref": "DF-9", "paid_on": "2026-01-26", "paid_from": "expenditure",
         "paid_count": 1, "paid_total": "100000.00"}),
    "POST /api/v1/batches/<id:batch_id>/sign-offs": (
        {D.FINANCE}, "/api/v1/batches/2/sign-offs", {"batch_hash": "0" * 64, "comment": "同意"}),
    "POST /api/v1/payment-instructions/<id:instruction_id>/confirmation": (
        {D.FINANCE}, "/api/v1/payment-instructions/1/confirmation",
        {"bank_ref": "BK-9", "paid_on": "2026-01-26", "paid_from": "expenditure"}),
    "POST /api/v1/batches/<id:batch_id>/payment-return": (
        {D.FINANCE}, "/api/v1/batches/1/payment-return",
        lambda: {"paid_from": "expenditure", "file": (io.BytesIO(PAYMENT_RETURN_CSV), "return.csv")}),
    "POST /api/v1/payment-instructions/<id:instruction_id>/failure": (
        {D.FINANCE}, "/api/v1/payment-instructions/1/failure", {"reason": "账户已销户"}),
    "POST /api/v1/payment-instructions/<id:instruction_id>/reissue": (
        {D.FINANCE}, "/api/v1/payment-instructions/1/reissue", {"note": "机构账户变更函"}),
    "POST /api/v1/payment-instructions/<id:instruction_id>/reissue-approval": (
        {D.INTERNAL_AUDIT}, "/api/v1/payment-instructions/1/reissue-approval", {"comment": "已核对账户变更函"}),
    "POST /api/v1/payment-instructions/<id:instruction_id>/void": (
        {D.FINANCE}, "/api/v1/payment-instructions/1/void", {"reason": "账号有误"}),
    "POST /api/v1/imports/<kind>": (
        {D.FUND_SETTLEMENT}, "/api/v1/imports/settlement",
        lambda: {"region": REGION, "file": (io.BytesIO(SETTLEMENT), "settlement.csv")}),
    "POST /api/v1/regions/<region_code>/recovery-triggers": (
        {D.INSPECTION}, f"/api/v1/regions/{REGION}/recovery-triggers",
        {"institution_code": "H32060000001", "kind": "misuse", "occurred_on": "2026-03-02", "evidence": "挪用"}),
    "POST /api/v1/regions/<region_code>/clearing-runs": (
        {D.FINANCE}, f"/api/v1/regions/{REGION}/clearing-runs",
        {"year": 2025, "fund": "employee", "settled_on": "2026-02-10"}),
    "POST /api/v1/regions/<region_code>/condition-lifts": (
        {D.INSPECTION}, f"/api/v1/regions/{REGION}/condition-lifts",
        {"institution_code": "H32060000001", "condition": "asset_seizure", "source": "trigger", "evidence": "解除保全"}),
    "POST /api/v1/regions/<region_code>/year-ends": (
        {D.FINANCE}, f"/api/v1/regions/{REGION}/year-ends", {"year": 2026, "on": "2026-03-02"}),
    "POST /api/v1/regions/<region_code>/settlement-runs": (
        {D.FINANCE}, f"/api/v1/regions/{REGION}/settlement-runs",
        {"month": "2026-03", "fund": "employee", "settled_on": "2026-04-10"}),
    "POST /api/v1/receivables/<id:receivable_id>/method": (
        {D.FINANCE}, "/api/v1/receivables/1/method", {"method": "refund"}),
    "POST /api/v1/receivables/<id:receivable_id>/demands": (
        {D.FINANCE}, "/api/v1/receivables/1/demands", {"on": "2026-04-09"}),
    "POST /api/v1/receivables/<id:receivable_id>/refunds": (
        {D.FINANCE}, "/api/v1/receivables/1/refunds", {"amount": "100.00", "paid_on": "2026-04-09", "bank_ref": "B1"}),
    "POST /api/v1/receivables/<id:receivable_id>/succession": (
        {D.FINANCE}, "/api/v1/receivables/1/succession",
        {"successor_code": "H32060000002", "document_ref": "合并协议", "on": "2026-04-09"}),
    "POST /api/v1/receivables/<id:receivable_id>/court-case": (
        {D.FINANCE}, "/api/v1/receivables/1/court-case",
        {"route": "litigation", "case_ref": "（2026）民初1号", "court": "崇川区人民法院", "filed_on": "2026-04-20",
         "documents": "起诉状"}),
    "POST /api/v1/receivables/<id:receivable_id>/write-off": (
        {D.FINANCE}, "/api/v1/receivables/1/write-off",
        {"court_document_ref": "（2026）执1号", "approval_ref": "通政复〔2026〕1号", "on": "2026-05-01"}),
    "POST /api/v1/receivables/<id:receivable_id>/recoveries-after-write-off": (
        {D.FINANCE}, "/api/v1/receivables/1/recoveries-after-write-off",
        {"amount": "100.00", "paid_on": "2026-05-02", "bank_ref": "B2"}),
    "POST /api/v1/regions/<region_code>/presettlements": (
        {D.FUND_SETTLEMENT}, f"/api/v1/regions/{REGION}/presettlements",
        {"institution_code": "H32060000001", "fund": "employee", "month": "2026-05", "case": "large_gap",
         "incurred": "100000.00", "amount": "50000.00", "application_ref": "申请3号"}),
    "POST /api/v1/presettlements/<id:presettlement_id>/sign-offs": (
        {D.FINANCE}, "/api/v1/presettlements/1/sign-offs", {"hash": "0" * 64, "comment": "同意"}),
    "POST /api/v1/presettlements/<id:presettlement_id>/rejection": (
        {D.FINANCE}, "/api/v1/presettlements/1/rejection", {"reason": "金额有误"}),
    "POST /api/v1/presettlements/<id:presettlement_id>/payment": (
        {D.FINANCE}, "/api/v1/presettlements/1/payment", {"bank_ref": "B4", "paid_on": "2026-06-01"}),
    "POST /api/v1/regions/<region_code>/documents": (
        {D.FUND_SETTLEMENT}, f"/api/v1/regions/{REGION}/documents",
        {"kind": "determination_notice", "year": 2026, "institution_code": "H32060000001"}),
    "POST /api/v1/profiles": ({D.ADMINISTRATOR}, "/api/v1/profiles",
                              lambda: {"file": (io.BytesIO(LAKESIDE), "lakeside.toml")}),
    # anyone checks a presented file against the register; it changes nothing
    "POST /api/v1/documents/verification": (ALL, "/api/v1/documents/verification", None),
    "GET /api/v1/regions/<region_code>/audit-trail": (
        {D.AUDITOR, D.INTERNAL_AUDIT, D.ADMINISTRATOR}, f"/api/v1/regions/{REGION}/audit-trail", None),
}
TABLES = ("data_import", "monthly_payout", "import_upload", "transition", "application", "determination", "security_pledge", "agreement", "payment_instruction",
          "ledger_entry", "staff", "staff_region", "api_token", "policy_override", "calendar_day",
          "ledger_period_closure", "payment_batch_sign_off", "recovery_trigger", "receivable", "recovery_movement",
          "settlement_run", "settlement_line", "institution_bar", "presettlement", "presettlement_sign_off", "issued_document", "region_template",
          "policy_profile")


@pytest.fixture
def region(app):
    """A played year (batch 1 paid, instruction 1 confirmed), and a second region whose batch 2 was
    submitted and waits for the next level of the chain (Nantong: 财务管理部门审核申报, RULES §4)."""
    sessions = app.extensions["prepay_sessions"]
    load_demo(sessions, institutions=12, seed=2026, year=2026)
    batch = batch_awaiting_sign_off(sessions, SIGNING, "南通市（签字演示）", institutions=12, applicants=5, signed=2)
    assert batch == 2
    batches.sign_off(sessions, batch, "jiesuan1", "提交", batches.current_hash(sessions, batch))
    # receivable 1 (a trigger on a paid institution) and settlement run 1 (February)
    paid = _paid_code(sessions)
    triggers.record_trigger(sessions, REGION, paid, TriggerKind.ASSET_SEIZURE, dt.date(2026, 2, 2), "财保1号", "jihe1")
    settlement_file(sessions, dt.date(2026, 2, 1))
    settlement.run_month(sessions, REGION, dt.date(2026, 2, 1), Fund.EMPLOYEE, "caiwu1", dt.date(2026, 3, 10))
    proposed = presettlement.propose(sessions, REGION, paid, Fund.EMPLOYEE, dt.date(2026, 2, 1), PresettlementCase.LARGE_GAP,
                                     Decimal("100000.00"), Decimal("30000.00"), "jiesuan1", application_ref="申请1号")
    presettlement.sign_off(sessions, proposed.presettlement_id, "jiesuan1", "提交",
                           presettlement.current_hash(sessions, proposed.presettlement_id))
    previewed = preview_upload(sessions, "jiesuan1", REGION, "settlement", "settlement.csv", SETTLEMENT)
    assert previewed.upload_id == 1  # an upload awaiting confirmation
    token_for(app, "jiesuan1")  # token 1, for the revoke route
    documents.issue(sessions, "public_list", REGION, "jiesuan1", year=2026)  # document 1, read by everyone
    from prepay_admin.services.deposit import compute_reference
    from tests.integration.test_discharges_intake import csv, row
    import_file(sessions, "jiesuan1", REGION, "discharges", "住院结算明细.csv", io.BytesIO(csv(row())))
    compute_reference(sessions, REGION, 2026, "jiesuan1")  # deposit run 1, its reference read by everyone
    return sessions


def _agreement_template() -> bytes:
    from prepay_admin.services.documents import REGISTRY

    return REGISTRY["agreement"].kind.packaged_template()


def _paid_code(sessions) -> str:
    from prepay_admin.models import Determination, Institution

    with sessions() as s:
        return s.scalars(select(Institution.code).join(Determination, Determination.institution_id == Institution.id)
                         .where(Determination.state == "paid").order_by(Institution.code)).first()


def counts(sessions) -> dict[str, int]:
    from sqlalchemy import table

    with sessions() as s:
        return {name: s.scalar(select(func.count()).select_from(table(name))) for name in TABLES}


def refusals(sessions) -> int:
    with sessions() as s:
        return s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.kind == "refused"))


def test_24_the_table_names_the_duty_of_every_mutating_route(app):
    screens = {rule.rule for rule in app.url_map.iter_rules() if "POST" in rule.methods
               and not rule.rule.startswith("/api/")}
    assert screens - SELF_SERVICE == set(SCREENS)
    api = {f"{m} {rule.rule}" for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/v1/")
           for m in rule.methods - {"HEAD", "OPTIONS"} if m != "GET" or "audit" in rule.rule}
    assert api == set(API)


def test_24_every_screen_action_refuses_other_departments_changes_nothing_and_is_recorded(client, app, region):
    """Every route and department is tried, and every failure is named (issue 29: the first one stopped
    the sweep and hid the others)."""
    checked, failures = 0, []
    for rule, (duty, path, form) in SCREENS.items():
        for department in sorted(ALL - duty):
            if checked:
                client.post("/logout", data={"csrf_token": csrf_token(client, "/password")})
            sign_in(client, STAFF[department])
            before, refused = counts(region), refusals(region)
            response = client.post(path, data={"csrf_token": csrf_token(client, "/password"),
                                               **(form() if callable(form) else form)})
            checked += 1
            if response.status_code != 403:
                failures.append(f"{rule} as {department}: {response.status_code} "
                                f"{response.get_data(as_text=True)[-300:]!r}")
            elif counts(region) != before:
                failures.append(f"{rule} as {department}: refused but wrote {diff(before, counts(region))}")
            elif refusals(region) != refused + 1:
                failures.append(f"{rule} as {department}: refused but not recorded")
    assert failures == []
    assert checked >= 100


def test_24_every_api_action_refuses_other_departments_changes_nothing_and_is_recorded(client, app, region):
    checked, failures = 0, []
    for rule, (duty, path, body) in API.items():
        method = rule.split()[0]
        for department in sorted(ALL - duty):
            headers = {"Authorization": f"Bearer {token_for(app, STAFF[department])}",
                       "Idempotency-Key": f"{rule}-{department}"}
            before, refused = counts(region), refusals(region)
            response = (client.open(path, method=method, headers=headers, data=body()) if callable(body)
                        else client.open(path, method=method, headers=headers, json=body))
            checked += 1
            if response.status_code != 403 or not response.is_json:
                failures.append(f"{rule} as {department}: {response.status_code} "
                                f"{response.get_data(as_text=True)[:300]!r}")
            elif counts(region) != before:
                failures.append(f"{rule} as {department}: refused but wrote {diff(before, counts(region))}")
            elif refusals(region) != refused + 1:
                failures.append(f"{rule} as {department}: refused but not recorded")
    assert failures == []
    assert checked >= 35


def diff(before: dict[str, int], after: dict[str, int]) -> dict[str, tuple[int, int]]:
    return {table: (before[table], after[table]) for table in before if before[table] != after[table]}


OVERSEERS = {D.AUDITOR, D.INTERNAL_AUDIT, D.ADMINISTRATOR}
RESTRICTED_READS = {"/admin/users": {D.ADMINISTRATOR}, "/audit/<region_code>": OVERSEERS,
                    "/audit/<region_code>/trail.xlsx": OVERSEERS}
PATHS = {"<region_code>": REGION, "<year:year>": "2026", "<id:batch_id>": "1", "<code>": "H32060000001",
         "<kind>": "institutions", "<id:receivable_id>": "1", "<id:run_id>": "1", "<id:presettlement_id>": "1",
         "<document_kind>": "agreement", "<name>": "nantong-2025", "<id:document_id>": "1",
         "<id:version>": str(load_profile("nantong-2025").version), "<which>": "rectification"}
PUBLIC = {"/login", "/static/<path:filename>", "/favicon.ico", "/api/openapi.json", "/api/docs"}


def test_24_every_screen_is_read_by_every_department_of_the_region_but_users_and_the_audit_trail(client, app, region):
    """Reading is everyone's (审计 reads everything); the staff list and the audit trail are for those
    who oversee. The table of restricted reads is checked against the URL map like the duties."""
    screens = [rule.rule for rule in app.url_map.iter_rules() if "GET" in rule.methods
               and not rule.rule.startswith("/api/") and rule.rule not in PUBLIC | {"/password"}]
    assert set(RESTRICTED_READS) <= set(screens)
    for n, (department, username) in enumerate(STAFF.items()):
        if n:
            client.post("/logout", data={"csrf_token": csrf_token(client, "/password")})
        sign_in(client, username)
        for rule in screens:
            path = rule
            for name, value in PATHS.items():
                path = path.replace(name, value)
            status = client.get(path).status_code
            allowed = department in RESTRICTED_READS.get(rule, ALL)
            assert status == (200 if allowed else 403), (rule, department, status)


def test_24_the_screens_say_the_duties_the_services_enforce(app):
    """The screens' table of duties (``web/duties.py``) is the table above, which the services prove."""
    from prepay_admin.web import duties

    endpoints = {rule.rule: rule.endpoint for rule in app.url_map.iter_rules() if "POST" in rule.methods
                 and not rule.rule.startswith("/api/")}
    assert set(endpoints.values()) == set(duties.DUTIES) | duties.BY_THE_OBJECT | duties.SELF_SERVICE
    for rule, (departments, _, _) in SCREENS.items():
        if endpoints[rule] in duties.DUTIES:
            assert duties.DUTIES[endpoints[rule]] == departments, rule


class _Forms(HTMLParser):
    """The POST forms of a page that can be submitted: not inside a disabled fieldset."""

    def __init__(self):
        super().__init__()
        self.enabled: list[str] = []
        self.disabled: list[str] = []
        self._fieldsets: list[bool] = []
        self._form: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "").lower() == "post":
            self._form = a.get("action") or ""
        elif tag == "fieldset" and self._form is not None:
            self._fieldsets.append("disabled" in a)
        elif tag == "button" and self._form is not None:
            (self.disabled if any(self._fieldsets) or "disabled" in a else self.enabled).append(self._form)

    def handle_endtag(self, tag):
        if tag == "fieldset" and self._fieldsets:
            self._fieldsets.pop()
        elif tag == "form":
            self._form, self._fieldsets = None, []


def test_24_no_screen_offers_a_department_an_action_it_does_not_take(client, app, region):
    """Every screen of the region, read by each department: each button it can press is an action of its
    department; another department's is shown disabled, saying whose it is."""
    from werkzeug.routing import RequestRedirect

    from prepay_admin.web import duties

    concrete = {path: departments for departments, path, _ in SCREENS.values()}
    adapter = app.url_map.bind("localhost")
    screens = [rule.rule for rule in app.url_map.iter_rules() if "GET" in rule.methods
               and not rule.rule.startswith("/api/") and rule.rule not in PUBLIC | {"/password"}
               and "." not in rule.rule.rsplit("/", 1)[-1]]  # downloads have no forms
    pages = set()
    for rule in screens:
        for name, value in PATHS.items():
            rule = rule.replace(name, value)
        pages.add(rule)
    pages |= {"/batches/2", f"/cycle/{SIGNING}/2026", f"/?region={SIGNING}", f"/recovery/{REGION}/presettlements/1"}
    wrong, offered, shown_disabled = [], 0, 0
    for n, (department, username) in enumerate(STAFF.items()):
        if n:
            client.post("/logout", data={"csrf_token": csrf_token(client, "/password")})
        sign_in(client, username)
        for page in sorted(pages):
            answer = client.get(page)
            if answer.status_code != 200 or "text/html" not in answer.content_type:
                continue
            forms = _Forms()
            forms.feed(answer.get_data(as_text=True))
            shown_disabled += len(forms.disabled)
            for action in forms.enabled:
                path = (action or page).split("?")[0]
                try:
                    endpoint, args = adapter.match(path, method="POST")
                except RequestRedirect:
                    continue
                if endpoint in duties.SELF_SERVICE:
                    continue
                allowed = duties.departments_for(endpoint, args.get("kind")) or concrete.get(path)
                offered += 1
                if allowed is None or department not in allowed:
                    wrong.append((department.value, page, path))
    assert not wrong, "\n".join(" ".join(w) for w in sorted(set(wrong)))
    assert offered > 50 and shown_disabled > 50  # the pages were read, and others' actions were shown
