"""Which department's duty each screen action is (24§), so that a screen offers a member of staff only the
actions their department takes and shows the others disabled, with whose they are (issue 30: every role
saw every button, and a click answered a bare 403).

The services decide (each step requires its department); this table says it to the screens. A test holds
it to the role-refusal table, which proves each entry against the services
(``tests/integration/test_role_refusals.py``), and requires every mutating route to be in it or in
``BY_THE_OBJECT``: actions whose department depends on the object — the sign-off chain's next level, the
import kind's owner, the document kind's issuer — which their pages decide with the same definitions.
"""
from __future__ import annotations

from flask_login import current_user
from markupsafe import Markup

from ..intake.kinds import KINDS as IMPORT_KINDS
from ..policy.departments import DEPARTMENT_CN, Department
from ..services.documents import REGISTRY

D = Department
ADMIN = frozenset({D.ADMINISTRATOR})

DUTIES: dict[str, frozenset[Department]] = {
    "cycle.open_year": frozenset({D.FINANCE}),  # 9§, 24§(一)
    "cycle.apply": frozenset({D.FUND_SETTLEMENT}),  # 15§(一), 24§(二)
    "cycle.determine": frozenset({D.FUND_SETTLEMENT}),
    "cycle.fix_list": frozenset({D.FUND_SETTLEMENT}),
    "cycle.security": frozenset({D.FUND_SETTLEMENT}),  # 13§
    "cycle.sign": frozenset({D.FUND_SETTLEMENT}),
    "cycle.window_bulk": frozenset({D.FUND_SETTLEMENT}),  # 15§(三): 批量办理
    "cycle.prepare": frozenset({D.FUND_SETTLEMENT}),
    "cycle.pay": frozenset({D.FINANCE}),  # 24§(一): 拨付
    "cycle.confirm": frozenset({D.FINANCE}),
    "cycle.confirm_return": frozenset({D.FINANCE}),
    "cycle.confirm_selected": frozenset({D.FINANCE}),
    "cycle.void": frozenset({D.FINANCE}),
    "cycle.bounce": frozenset({D.FINANCE}),  # 15§(四): the bank's return
    "cycle.reissue": frozenset({D.FINANCE}),
    "cycle.approve_reissue": frozenset({D.INTERNAL_AUDIT}),  # 24§(四): a re-issue reviewed before it is sent
    "institutions.lift": frozenset({D.INSPECTION}),  # 24§(三)
    "deposit.compute": frozenset({D.FUND_SETTLEMENT}),  # DEPOSIT.md rule 1: who holds the settlements
    "deposit.check": frozenset({D.FUND_SETTLEMENT}),  # rules 1, 3, 4, 5 over the published tables
    "deposit.notice": frozenset({D.FUND_SETTLEMENT}),  # 整改提示函 / 重新测算提示函 (the kinds' issuer)
    "deposit.clear": frozenset({D.FUND_SETTLEMENT}),  # 已核销, saying why
    "deposit.grassroots_propose": frozenset({D.FUND_SETTLEMENT}),  # GZ 16: the bureau computes
    "deposit.grassroots_decide": frozenset({D.ADMINISTRATION}),  # GZ 16: approved with the health commission
    "ledger.close": frozenset({D.FINANCE}),
    "ledger.reopen": frozenset({D.FINANCE}),
    "admin.create_user": ADMIN, "admin.reset_password": ADMIN, "admin.grant": ADMIN, "admin.disable": ADMIN,
    "admin.issue_token": ADMIN, "admin.revoke_token": ADMIN,
    "admin.override": frozenset({D.ADMINISTRATION, D.FINANCE, D.ADMINISTRATOR}),  # 14§
    "admin.set_calendar_day": frozenset({D.FUND_SETTLEMENT, D.FINANCE, D.ADMINISTRATOR}),  # RULES §9
    "profiles.add": ADMIN,
    "documents.upload_template": ADMIN,
    "recovery.propose": frozenset({D.FUND_SETTLEMENT}),  # 26§
    "recovery.pay_presettlement": frozenset({D.FINANCE}),
    "recovery.trigger": frozenset({D.INSPECTION}),  # 20§, 24§(三)
    "recovery.close_year": frozenset({D.FINANCE}),  # 17§
    "recovery.act": frozenset({D.FINANCE}),  # 20§(二)
    "recovery.run": frozenset({D.FINANCE}),
    "recovery.run_clearing": frozenset({D.FINANCE}),
}
# the department is the object's: the documents' issuer by kind, the import kind's owner, the chain's next level
DOCUMENT_KIND = {"documents.public_list": "public_list", "documents.demand": "demand", "documents.statement": "statement"}
BY_THE_OBJECT = frozenset({"batches.sign", "batches.reject", "recovery.sign_presettlement",
                           "recovery.reject_presettlement", "imports.preview", "imports.confirm",
                           "documents.institution_document", "documents.issue", "documents.batch",
                           *DOCUMENT_KIND})
SELF_SERVICE = frozenset({"auth.login", "auth.logout", "auth.password", "documents.verify"})


def departments_for(endpoint: str, kind: str | None = None) -> frozenset[Department] | None:
    """Whose duty the action is; None when its page decides (the sign-off chain's next level)."""
    if endpoint in DUTIES:
        return DUTIES[endpoint]
    if endpoint == "documents.issue" and kind is None:  # the form of each kind is shown to its issuer only
        return frozenset(entry.issuer for entry in REGISTRY.values())
    document_kind = DOCUMENT_KIND.get(endpoint) or (kind if endpoint.startswith("documents.") else None)
    if document_kind in REGISTRY:
        return frozenset({REGISTRY[document_kind].issuer})
    if endpoint.startswith("imports.") and kind in IMPORT_KINDS:
        return frozenset({IMPORT_KINDS[kind].owner})
    return None


def whose(departments: frozenset[Department]) -> str:
    return "、".join(DEPARTMENT_CN[d] for d in Department if d in departments)


def may(endpoint: str, kind: str | None = None) -> bool:
    """Whether the signed-in member of staff's department takes this action."""
    departments = departments_for(endpoint, kind)
    return departments is None or current_user.identity.department in departments


def duty_open(endpoint: str, kind: str | None = None, row: bool = False) -> Markup:
    """Opens a form's fieldset: enabled for the department whose duty it is; for the others disabled with
    "由财务管理部门办理" (a form in a table row is left out, its note shown in its place)."""
    if may(endpoint, kind):
        return Markup('<fieldset class="duty">')
    note = f"由{whose(departments_for(endpoint, kind) or frozenset())}办理"
    if row:
        return Markup('<span class="duty-note">{}</span><fieldset class="duty" disabled hidden>').format(note)
    return Markup('<fieldset class="duty" disabled><span class="duty-note">{}</span>').format(note)


def duty_close() -> Markup:
    return Markup("</fieldset>")
